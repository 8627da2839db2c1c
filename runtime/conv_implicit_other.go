//go:build !amd64 || purego

package runtime

// convImplicitOK: without the conv kernels, every convolution takes the im2col path.
func convImplicitOK(*ConvParams) bool { return false }

func convImplicit(p *ConvParams, x []float32, w bMat, y, scratch []float32, ep *Epilogue) {
	panic("runtime: no implicit convolution on this build")
}

func convBF16OK(*ConvParams, *BF16Weights) bool { return false }

func convBF16(p *ConvParams, x []float32, w *BF16Weights, y, scratch []float32, ep *Epilogue) {
	panic("runtime: no implicit bf16 convolution on this build")
}

func convPoolOK(*ConvParams, int, *Epilogue) bool { return false }

func convImplicitPool(p *ConvParams, ph int, x []float32, w bMat, y, scratch []float32, ep *Epilogue) {
	panic("runtime: no pooled implicit convolution on this build")
}
