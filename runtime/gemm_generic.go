//go:build !amd64 || purego

package runtime

// haveAsm reports whether this build has assembly kernels.
const haveAsm = false

// Gemm sets C[m×n] (row stride ldc) to A[m×k] (lda) · B[k×n] (ldb), plus
// C's old value when acc.
func Gemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	gemmGeneric(m, n, k, a, lda, b, ldb, c, ldc, acc)
}
