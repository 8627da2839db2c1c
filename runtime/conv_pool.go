// A convolution whose output only a 2×2, stride-2 max pooling reads (Keras' Conv2D then
// MaxPooling2D(2)): Conv2DGemm*MaxPool set y, [N, OH/2, OW/2, OC] (rounded down, 'valid'), to
// that pooling of what Conv2DGemm* would compute (p describes the convolution itself).
//
// On AVX-512 with the implicit conv kernels and an epilogue of the clamp form without a
// residual (bias, relu, relu6, leaky relu with slope ≥ 0, …: monotone, so the maximum may be
// taken before it), the kernels (convPool*) compute the four conv pixels of each pooled one in
// registers and store only the maximum: the convolution's output never goes through memory,
// and the last row and column of an odd-sized output, which the pooling drops, are never
// computed. The values are the unfused ones (max commutes with monotone steps and their
// rounding; the kernels' sums are the conv kernels' sums). Elsewhere each image is convolved
// into scratch and pooled from there.
//
// The epilogue takes no residual (the pooling would have to see it). scratch must hold
// ConvMaxPoolScratch(p) elements; nothing is allocated.

package runtime

// ConvMaxPoolScratch is the scratch Conv2DGemm*MaxPool need: Conv2DGemmScratch(p) and one
// image's convolution output.
func ConvMaxPoolScratch(p *ConvParams) int {
	return Conv2DGemmScratch(p) + p.OH*p.OW*p.OC
}

// Conv2DGemmMaxPool is Conv2DGemm followed by a 2×2, stride-2 max pooling (see the file
// comment).
func Conv2DGemmMaxPool(p *ConvParams, x, w, y, scratch []float32, ep *Epilogue) {
	need("Conv2DGemmMaxPool", "w", w, p.KH*p.KW*p.C*p.OC)
	needConvPool("Conv2DGemmMaxPool", p, x, y, scratch, ep)
	convGemmMaxPool("Conv2DGemmMaxPool", p, x, plainB(w, p.OC), y, scratch, ep)
}

// Conv2DGemmPanelsMaxPool is Conv2DGemmMaxPool with the kernel in panel layout, as a
// generated package stores it.
func Conv2DGemmPanelsMaxPool(p *ConvParams, x []float32, w *Panels, y, scratch []float32, ep *Epilogue) {
	needPanels("Conv2DGemmPanelsMaxPool", w, p.KH*p.KW*p.C, p.OC)
	needConvPool("Conv2DGemmPanelsMaxPool", p, x, y, scratch, ep)
	convGemmMaxPool("Conv2DGemmPanelsMaxPool", p, x, panelB(w), y, scratch, ep)
}

// Conv2DGemmBF16MaxPool is Conv2DGemmBF16 followed by a 2×2, stride-2 max pooling: each
// image convolved into scratch and pooled from there.
func Conv2DGemmBF16MaxPool(p *ConvParams, x []float32, w *BF16Weights, y, scratch []float32, ep *Epilogue) {
	needConvPool("Conv2DGemmBF16MaxPool", p, x, y, scratch, ep)
	convThenPool(p, x, y, scratch, func(q ConvParams, xi, out, s []float32) {
		Conv2DGemmBF16(&q, xi, w, out, s, ep)
	})
}

// convGemmMaxPool is Conv2DGemmMaxPool after its checks, for a kernel of either layout.
func convGemmMaxPool(kernel string, p *ConvParams, x []float32, w bMat, y, scratch []float32, ep *Epilogue) {
	if convPoolOK(p, ep) {
		convImplicitPool(p, x, w, y, scratch, ep)
		return
	}
	convThenPool(p, x, y, scratch, func(q ConvParams, xi, out, s []float32) {
		convGemm(kernel, &q, xi, w, out, s, ep)
	})
}

// pooledParams returns the pooling of the output of convolution p.
func pooledParams(p *ConvParams) PoolParams {
	return PoolParams{N: p.N, H: p.OH, W: p.OW, C: p.OC, OH: p.OH / 2, OW: p.OW / 2, KH: 2, KW: 2, SH: 2, SW: 2}
}

// needConvPool panics, naming kernel, unless x, y and scratch hold p's input, pooled output
// and ConvMaxPoolScratch(p) elements and ep has no residual.
func needConvPool(kernel string, p *ConvParams, x, y, scratch []float32, ep *Epilogue) {
	if ep != nil && ep.Residual != nil {
		panic("runtime: " + kernel + " takes no residual")
	}
	need(kernel, "x", x, p.N*p.H*p.W*p.C)
	need(kernel, "y", y, p.N*(p.OH/2)*(p.OW/2)*p.OC)
	need(kernel, "scratch", scratch, ConvMaxPoolScratch(p))
}

// convThenPool runs conv on one image at a time (q: p for one image; by value, since a
// pointer passed through a function value would escape), into the tail of scratch, and
// max-pools each result into y.
func convThenPool(p *ConvParams, x, y, scratch []float32, conv func(q ConvParams, xi, out, scratch []float32)) {
	q := *p
	q.N = 1
	pp := pooledParams(&q)
	in, outSize := p.H*p.W*p.C, pp.OH*pp.OW*pp.C
	tmp := scratch[Conv2DGemmScratch(p):][:p.OH*p.OW*p.OC]
	for img := 0; img < p.N; img++ {
		conv(q, x[img*in:(img+1)*in], tmp, scratch[:Conv2DGemmScratch(p)])
		MaxPool2D(&pp, tmp, y[img*outSize:(img+1)*outSize])
	}
}
