//go:build !amd64 || purego

package runtime

// convImplicitOK: without the conv kernels, every convolution takes the im2col path.
func convImplicitOK(*ConvParams) bool { return false }

func convImplicit(p *ConvParams, x, w, y, scratch []float32, ep *Epilogue) {
	panic("runtime: no implicit convolution on this build")
}
