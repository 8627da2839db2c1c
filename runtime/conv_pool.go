// A convolution whose output only a max pooling of window and stride ph×2 reads, ph 2 or 1,
// 'valid' (Keras' Conv2D then MaxPooling2D(2); Conv1D, a convolution of height 1, then
// MaxPooling1D(2) with ph = 1): Conv2DGemm*MaxPool set y, [N, OH/ph, OW/2, OC] (rounded down),
// to that pooling of what Conv2DGemm* would compute (p describes the convolution itself).
//
// With the implicit conv kernels (AVX-512; AVX2 where OC is a multiple of 16) and an
// epilogue of the clamp form without a residual (bias, relu, relu6, leaky relu with slope
// ≥ 0, …: monotone, so the maximum may be taken before it), the pooled kernels (convPool*,
// convPoolRow*) compute the conv pixels of each pooled one in registers and store only the
// maximum: the convolution's output never goes through memory, and the last row and column
// of an odd-sized output, which the pooling drops, are never computed. The values are the
// unfused ones (max commutes with monotone steps and their rounding; the kernels' sums are
// the conv kernels' sums). Elsewhere each image is convolved into scratch and pooled from
// there.
//
// The epilogue takes no residual (the pooling would have to see it). scratch must hold
// ConvMaxPoolScratch(p) elements; nothing is allocated.

package runtime

import "strconv"

// ConvMaxPoolScratch is the scratch Conv2DGemm*MaxPool need: Conv2DGemmScratch(p) and one
// image's convolution output.
func ConvMaxPoolScratch(p *ConvParams) int {
	return Conv2DGemmScratch(p) + p.OH*p.OW*p.OC
}

// Conv2DGemmMaxPool is Conv2DGemm followed by a ph×2, stride ph×2 max pooling (see the file
// comment).
func Conv2DGemmMaxPool(p *ConvParams, ph int, x, w, y, scratch []float32, ep *Epilogue) {
	need("Conv2DGemmMaxPool", "w", w, p.KH*p.KW*p.C*p.OC)
	needConvPool("Conv2DGemmMaxPool", p, ph, x, y, scratch, ep)
	convGemmMaxPool("Conv2DGemmMaxPool", p, ph, x, plainB(w, p.OC), y, scratch, ep)
}

// Conv2DGemmPanelsMaxPool is Conv2DGemmMaxPool with the kernel in panel layout, as a
// generated package stores it.
func Conv2DGemmPanelsMaxPool(p *ConvParams, ph int, x []float32, w *Panels, y, scratch []float32, ep *Epilogue) {
	needPanels("Conv2DGemmPanelsMaxPool", w, p.KH*p.KW*p.C, p.OC)
	needConvPool("Conv2DGemmPanelsMaxPool", p, ph, x, y, scratch, ep)
	convGemmMaxPool("Conv2DGemmPanelsMaxPool", p, ph, x, panelB(w), y, scratch, ep)
}

// Conv2DGemmBF16MaxPool is Conv2DGemmBF16 followed by a ph×2, stride ph×2 max pooling: each
// image convolved into scratch and pooled from there.
func Conv2DGemmBF16MaxPool(p *ConvParams, ph int, x []float32, w *BF16Weights, y, scratch []float32, ep *Epilogue) {
	needConvPool("Conv2DGemmBF16MaxPool", p, ph, x, y, scratch, ep)
	convThenPool(p, ph, x, y, scratch, func(q ConvParams, xi, out, s []float32) {
		Conv2DGemmBF16(&q, xi, w, out, s, ep)
	})
}

// convGemmMaxPool is Conv2DGemmMaxPool after its checks, for a kernel of either layout.
func convGemmMaxPool(kernel string, p *ConvParams, ph int, x []float32, w bMat, y, scratch []float32, ep *Epilogue) {
	if convPoolOK(p, ph, ep) {
		convImplicitPool(p, ph, x, w, y, scratch, ep)
		return
	}
	convThenPool(p, ph, x, y, scratch, func(q ConvParams, xi, out, s []float32) {
		convGemm(kernel, &q, xi, w, out, s, ep)
	})
}

// pooledParams returns the ph×2 pooling of the output of convolution p.
func pooledParams(p *ConvParams, ph int) PoolParams {
	return PoolParams{N: p.N, H: p.OH, W: p.OW, C: p.OC, OH: p.OH / ph, OW: p.OW / 2, KH: ph, KW: 2, SH: ph, SW: 2}
}

// needConvPool panics, naming kernel, unless needPooled's conditions hold and scratch holds
// ConvMaxPoolScratch(p) elements.
func needConvPool(kernel string, p *ConvParams, ph int, x, y, scratch []float32, ep *Epilogue) {
	needPooled(kernel, p, ph, x, y, ep)
	need(kernel, "scratch", scratch, ConvMaxPoolScratch(p))
}

// needPooled panics, naming kernel, unless ph is 1 or 2, x and y hold p's input and pooled
// output, and ep has no residual: what every convolution followed by a ph×2 max pooling
// (Conv2DGemm*MaxPool, Conv2DWinogradMaxPool) takes.
func needPooled(kernel string, p *ConvParams, ph int, x, y []float32, ep *Epilogue) {
	if ph < 1 || ph > 2 {
		panic("runtime: " + kernel + " pools 1×2 or 2×2, not " + strconv.Itoa(ph) + "×2")
	}
	if ep != nil && ep.Residual != nil {
		panic("runtime: " + kernel + " takes no residual")
	}
	need(kernel, "x", x, p.N*p.H*p.W*p.C)
	need(kernel, "y", y, p.N*(p.OH/ph)*(p.OW/2)*p.OC)
}

// convThenPool runs conv on one image at a time (q: p for one image; by value, since a
// pointer passed through a function value would escape), into the tail of scratch, and
// max-pools each result ph×2 into y.
func convThenPool(p *ConvParams, ph int, x, y, scratch []float32, conv func(q ConvParams, xi, out, scratch []float32)) {
	q := *p
	q.N = 1
	pp := pooledParams(&q, ph)
	in, outSize := p.H*p.W*p.C, pp.OH*pp.OW*pp.C
	tmp := scratch[Conv2DGemmScratch(p):][:p.OH*p.OW*p.OC]
	for img := 0; img < p.N; img++ {
		conv(q, x[img*in:(img+1)*in], tmp, scratch[:Conv2DGemmScratch(p)])
		MaxPool2D(&pp, tmp, y[img*outSize:(img+1)*outSize])
	}
}
