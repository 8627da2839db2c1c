//go:build !amd64 || purego

package runtime

// haveAsm reports whether this build has assembly kernels.
const haveAsm = false

// gemmBlock is the one-thread Gemm for m, n > 0; ep (or nil) is applied to C.
func gemmBlock(m, n, k int, a []float32, lda int, b bMat, c []float32, ldc int, acc bool, ep *epTile) {
	gemmGenericB(m, n, k, a, lda, b, c, ldc, acc)
	if ep != nil {
		ep.apply(0, 0, m, n, c, ldc)
	}
}

// gemmNT is GemmNT after its checks: the dot-product twin.
func gemmNT(_ bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	gemmNTGeneric(m, n, k, a, lda, b, ldb, c, ldc, acc)
}
