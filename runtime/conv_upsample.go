// Conv2DUpsampled: a 3×3, stride-1, 'same' convolution of an image upsampled 2× by nearest
// neighbour (Keras' UpSampling2D then Conv2D, as decoders and autoencoders stack them),
// without the upsampled image. Output pixel (2i+a, 2j+b) reads upsampled rows 2i+a-1 … 2i+a+1,
// which are input rows i+a-1 and i+a (two of the three taps land on the same input row), and
// likewise for columns: so each of the four output phases (a, b) is a 2×2 convolution of the
// input, whose kernel sums the 3×3 kernel's taps that land on the same input pixel
// (UpsampledPhaseKernels), padded by one row above (a = 0) or below (a = 1) and one column left
// (b = 0) or right (b = 1), where the upsampled image's 'same' padding falls. That is 4 taps an
// output pixel instead of 9, and the four times larger upsampled image is never written nor
// read. The sums differ from the unfused layers' by float32 rounding only (two taps' weights
// are added before they multiply the pixel they share).
//
// Each phase runs as a matrix-product convolution (Conv2DGemm's path: the implicit kernels, or
// im2col) into scratch, one image at a time, epilogue included, and is copied into its strided
// place in y (every other pixel of every other row) while the image is in cache.

package runtime

// UpsampledPhaseKernelsLen is the length of the four 2×2 phase kernels of a 3×3 kernel with c
// input and oc output channels: 16·c·oc.
func UpsampledPhaseKernelsLen(c, oc int) int { return 16 * c * oc }

// upsampledTaps lists, for output phase a along one axis, the 3×3 kernel's taps (0, 1, 2) that
// land on each of the phase kernel's two taps: phase 0 reads input i-1 (tap 0) and i (taps 1
// and 2), phase 1 reads i (taps 0 and 1) and i+1 (tap 2).
var upsampledTaps = [2][2][]int{{{0}, {1, 2}}, {{0, 1}, {2}}}

// UpsampledPhaseKernels writes into dst (UpsampledPhaseKernelsLen(c, oc) elements) the phase
// kernels of w, a 3×3 kernel in Keras' layout [3, 3, c, oc]: phase a·2+b at dst[(a·2+b)·4·c·oc:],
// each in the same layout [2, 2, c, oc], tap (r, s) the sum of w's taps upsampledTaps[a][r] ×
// upsampledTaps[b][s] (in that order, in float32, as the build does). It returns dst.
func UpsampledPhaseKernels(dst, w []float32, c, oc int) []float32 {
	need("UpsampledPhaseKernels", "w", w, 9*c*oc)
	need("UpsampledPhaseKernels", "dst", dst, UpsampledPhaseKernelsLen(c, oc))
	n := c * oc
	for a := range 2 {
		for b := range 2 {
			ph := dst[(a*2+b)*4*n : (a*2+b+1)*4*n]
			for r := range 2 {
				for s := range 2 {
					t := ph[(r*2+s)*n : (r*2+s+1)*n]
					clear(t)
					for _, ky := range upsampledTaps[a][r] {
						for _, kx := range upsampledTaps[b][s] {
							src := w[(ky*3+kx)*n : (ky*3+kx+1)*n]
							for i := range t {
								t[i] += src[i]
							}
						}
					}
				}
			}
		}
	}
	return dst
}

// upsampledPhase returns the 2×2 convolution of phase (a, b) for p (see Conv2DUpsampled), one
// image.
func upsampledPhase(p *ConvParams, a, b int) ConvParams {
	q := *p
	q.N, q.PadT, q.PadL = 1, 1-a, 1-b
	return q
}

// UpsampledConvParams returns the ConvParams Conv2DUpsampled takes for a convolution of an
// H×W×C image upsampled 2× into OC channels (N left 0: the caller sets the batch).
func UpsampledConvParams(h, w, c, oc int) ConvParams {
	return ConvParams{H: h, W: w, C: c, OH: h, OW: w, OC: oc, KH: 2, KW: 2, SH: 1, SW: 1, DH: 1, DW: 1}
}

// Conv2DUpsampledScratch is the scratch Conv2DUpsampled needs: one phase's output for one
// image, and the scratch of the phase's convolution.
func Conv2DUpsampledScratch(p *ConvParams) int {
	q := upsampledPhase(p, 0, 0) // every phase pads one row and one column: same scratch
	return p.H*p.W*p.OC + Conv2DGemmScratch(&q)
}

// Conv2DUpsampled sets y, [N, 2H, 2W, OC], to the 3×3 'same' stride-1 convolution of x, [N,
// H, W, C], upsampled 2× by nearest neighbour, then applies ep (bias and activation; no
// residual), through the four phase kernels w (UpsampledPhaseKernels of the 3×3 kernel) — see
// the file comment. p describes one phase's convolution: N, H, W, C and OC as above, KH = KW = 2,
// OH = H, OW = W, unit strides and dilations, Groups 1 (its padding is set per phase). scratch
// holds Conv2DUpsampledScratch(p) elements; UpsampledConvParams makes p. Nothing is allocated.
func Conv2DUpsampled(p *ConvParams, x, w, y, scratch []float32, ep *Epilogue) {
	const kernel = "Conv2DUpsampled"
	sh, sw, dh, dw, groups := p.steps()
	if p.KH != 2 || p.KW != 2 || p.OH != p.H || p.OW != p.W || sh != 1 || sw != 1 || dh != 1 || dw != 1 || groups != 1 {
		panic("runtime: " + kernel + " takes a 2×2 phase convolution (KH = KW = 2, OH = H, OW = W, unit steps, one group)")
	}
	if ep != nil && ep.Residual != nil {
		panic("runtime: " + kernel + " takes no residual")
	}
	n, h, wd, c, oc := p.N, p.H, p.W, p.C, p.OC
	need(kernel, "x", x, n*h*wd*c)
	need(kernel, "w", w, UpsampledPhaseKernelsLen(c, oc))
	need(kernel, "y", y, n*4*h*wd*oc)
	need(kernel, "scratch", scratch, Conv2DUpsampledScratch(p))
	out, cs := scratch[:h*wd*oc], scratch[h*wd*oc:]
	rowLen := 2 * wd * oc // one row of y
	for img := 0; img < n; img++ {
		xi := x[img*h*wd*c : (img+1)*h*wd*c]
		yi := y[img*4*h*wd*oc : (img+1)*4*h*wd*oc]
		for a := range 2 {
			for b := range 2 {
				q := upsampledPhase(p, a, b)
				ph := a*2 + b
				convGemm(kernel, &q, xi, plainB(w[ph*4*c*oc:(ph+1)*4*c*oc], oc), out, cs, ep)
				for i := 0; i < h; i++ {
					copyRows(yi[(2*i+a)*rowLen+b*oc:], 2*oc, out[i*wd*oc:], oc, wd, oc)
				}
			}
		}
	}
}
