//go:build !amd64 || purego

package runtime

// haveAsm reports whether this build has assembly kernels.
const haveAsm = false

// Gemm sets C[m×n] (row stride ldc) to A[m×k] (lda) · B[k×n] (ldb), plus
// C's old value when acc.
func Gemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	gemmGeneric(m, n, k, a, lda, b, ldb, c, ldc, acc)
}

// GemmEpilogue sets C[m×n] (row stride ldc) to A[m×k] (lda) · B[k×n] (ldb)
// and applies ep to it, C's rows being rows row0… of ep's output (row
// length n).
func GemmEpilogue(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, row0 int, ep *Epilogue) {
	gemmGeneric(m, n, k, a, lda, b, ldb, c, ldc, false)
	ep.Apply(row0, m, n, c, ldc)
}

// GemmNT sets C[m×n] (ldc) to A·Bᵀ, where A is m×k (lda) and B is stored
// n×k (ldb), plus C's old value when acc. It is the input gradient of a
// dense layer (dY·Wᵀ), attention's Q·Kᵀ and the core of Conv2DTranspose.
func GemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if m <= 0 || n <= 0 {
		return
	}
	need("GemmNT", "c", c, matLen(m, n, ldc))
	need("GemmNT", "a", a, matLen(m, k, lda))
	need("GemmNT", "b", b, matLen(n, k, ldb))
	gemmNTGeneric(m, n, k, a, lda, b, ldb, c, ldc, acc)
}
