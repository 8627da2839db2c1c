//go:build amd64 && !purego

package runtime

// sumColumnsAsm adds Σ_i x[i*inner + j] (i < axis, in order, in float64) to a[j] for the
// leading columns j of a that the column-sum kernels (asm/pool) take at this CPU level, and
// returns how many: all at avx512, a multiple of 16 at avx2, none at generic. x holds at
// least (axis-1)·inner + len(a) elements.
func sumColumnsAsm(axis, inner int, x []float32, a []float64) int {
	n := len(a)
	if cpuLevel == levelAVX2 {
		n &^= 15
	}
	if n == 0 || axis == 0 || cpuLevel == levelGeneric {
		return 0
	}
	_ = x[(axis-1)*inner+n-1] // bounds check for the kernels
	if cpuLevel == levelAVX512 {
		colSumsAVX512(axis, &x[0], inner, n, &a[0], uint32(uint64(1)<<(n%32)-1))
	} else {
		colSumsAVX2(axis, &x[0], inner, n, &a[0])
	}
	return n
}
