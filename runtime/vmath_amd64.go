//go:build amd64 && !purego

// Dispatch of the vmath functions to the assembly kernels of
// vmath_amd64.s at the cpuLevel in force: AVX-512 covers a whole slice
// (masked tail); AVX2 covers multiples of 8 and runs the last n mod 8
// values through a padded stack buffer, so every value goes through the
// same kernel; generic runs the pure-Go twins of vmath.go (bit-identical
// to the kernels). Nothing allocates.

package runtime

type vmKernel func(x *float32, n int)

// vmRun applies the kernel pair (or the twin) at the current level to x.
func vmRun(x []float32, avx512, avx2 vmKernel, twin func([]float32)) {
	n := len(x)
	if n == 0 {
		return
	}
	switch cpuLevel {
	case levelAVX512:
		avx512(&x[0], n)
	case levelAVX2:
		n8 := n &^ 7
		if n8 > 0 {
			avx2(&x[0], n8)
		}
		if n8 < n {
			var buf [8]float32
			copy(buf[:], x[n8:])
			avx2(&buf[0], 8)
			copy(x[n8:], buf[:])
		}
	default:
		twin(x)
	}
}

func vexp(x []float32)      { vmRun(x, expAVX512, expAVX2, expGo) }
func vsigmoid(x []float32)  { vmRun(x, sigmoidAVX512, sigmoidAVX2, sigmoidGo) }
func vsilu(x []float32)     { vmRun(x, siluAVX512, siluAVX2, siluGo) }
func vtanh(x []float32)     { vmRun(x, tanhAVX512, tanhAVX2, tanhGo) }
func vgelu(x []float32)     { vmRun(x, geluAVX512, geluAVX2, geluGo) }
func vgeluTanh(x []float32) { vmRun(x, geluTanhAVX512, geluTanhAVX2, geluTanhGo) }
