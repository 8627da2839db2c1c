//go:build amd64 && !purego

// copyRows on amd64: rows up to copyRowsMax floats long in one copyRowsAVX512 call (asm/pack).

package runtime

// copyRows copies rows rows of n floats from src (rows lds elements apart) to dst (rows ldd
// elements apart): on AVX-512, rows of at most copyRowsMax floats in one copyRowsAVX512 call,
// else copyRowsGeneric.
func copyRows(dst []float32, ldd int, src []float32, lds, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	need("copyRows", "dst", dst, matLen(rows, n, ldd))
	need("copyRows", "src", src, matLen(rows, n, lds))
	if cpuLevel != levelAVX512 || n > copyRowsMax {
		copyRowsGeneric(dst, ldd, src, lds, rows, n)
		return
	}
	copyRowsAVX512(&dst[0], ldd, &src[0], lds, rows, n)
}
