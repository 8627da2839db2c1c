//go:build !amd64 || purego

// DepthwiseConv2D without assembly: the dispatch never leaves the generic
// level, so depthwiseAsm is the pure-Go twin.

package runtime

func depthwiseAsm(p *ConvParams, x, w, y []float32, ep *Epilogue) {
	depthwiseGeneric(p, x, w, y, ep)
}
