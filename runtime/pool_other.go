//go:build !amd64 || purego

package runtime

// pool2DAmd64 is never called without the amd64 kernels (haveAsm is false).
func pool2DAmd64(p *PoolParams, x, y []float32, isMax bool, lo, hi int) {
	panic("runtime: no pooling kernels in this build")
}
