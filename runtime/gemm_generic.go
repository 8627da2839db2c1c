//go:build !amd64 || purego

package runtime

// haveAsm reports whether this build has assembly kernels.
const haveAsm = false

// gemmBlock is the one-thread Gemm for m, n > 0; ep (or nil) is applied to C.
func gemmBlock(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool, ep *epTile) {
	gemmGeneric(m, n, k, a, lda, b, ldb, c, ldc, acc)
	if ep != nil {
		ep.apply(0, 0, m, n, c, ldc)
	}
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
