// Convolution as matrix products: Conv2DGemm computes exactly what Conv2D computes (see
// conv.go's contract) for Groups = 1. Where the CPU has the conv kernels it runs the
// implicit-GEMM convolution (conv_implicit_amd64.go: no gathered patches; a zero-padded copy
// of one image when padding is read). Elsewhere it gathers the input taps of a block of output
// pixels into scratch (im2col) — a [pixels, KH*KW*C] matrix, zeros for taps outside the input —
// and multiplies it by the kernel, whose Keras layout [KH,KW,C,OC] is already the
// [KH*KW*C, OC] matrix, through Gemm. scratch must hold Conv2DGemmScratch(p) elements (enough
// for either path); nothing is allocated.

package runtime

// convGemmBlock is how many output pixels one product covers.
const convGemmBlock = 128

// Conv2DGemmScratch is the scratch Conv2DGemm needs on any CPU: one block of gathered
// patches, or one zero-padded image for the implicit path (conv_implicit_amd64.go).
func Conv2DGemmScratch(p *ConvParams) int {
	patches := min(convGemmBlock, max(p.OH*p.OW, 1)) * p.KH * p.KW * p.C
	if padded, hp, wp := convPadded(p); padded {
		return max(patches, hp*wp*p.C)
	}
	return patches
}

// convPadded reports whether the convolution reads outside its input image (padding
// before, or past the last row or column), and the hp×wp extent it reads, padding
// included: a zero-bordered copy of that size holds every tap of every output pixel.
func convPadded(p *ConvParams) (padded bool, hp, wp int) {
	sh, sw, dh, dw, _ := p.steps()
	hp = (p.OH-1)*sh + (p.KH-1)*dh + 1
	wp = (p.OW-1)*sw + (p.KW-1)*dw + 1
	return p.PadT > 0 || p.PadL > 0 || p.PadT+p.H < hp || p.PadL+p.W < wp, hp, wp
}

// padRegion writes into dst the padded rows [r0, r1) and columns [c0, c1) of image x as p's
// convolution reads it (x at (PadT, PadL), zeros around it), rows c1-c0 pixels long: the
// whole padded image, or one strip of it (convSource).
func padRegion(dst, x []float32, p *ConvParams, r0, r1, c0, c1 int) {
	c := p.C
	w := (c1 - c0) * c
	for py := r0; py < r1; py++ {
		row := dst[(py-r0)*w : (py-r0+1)*w]
		iy := py - p.PadT
		if iy < 0 || iy >= p.H {
			clear(row)
			continue
		}
		lo, hi := validRange(c1-c0, p.W, 1, c0-p.PadL) // columns c0+i that read x[iy, c0+i-PadL]
		clear(row[:lo*c])
		copy(row[lo*c:hi*c], x[(iy*p.W+c0+lo-p.PadL)*c:(iy*p.W+c0+hi-p.PadL)*c])
		clear(row[hi*c:])
	}
}

// Conv2DGemm sets y to the convolution of x with w, then applies ep: on CPUs with the
// conv kernels (convImplicitOK) without gathering patches, else through im2col and Gemm.
func Conv2DGemm(p *ConvParams, x, w, y, scratch []float32, ep *Epilogue) {
	need("Conv2DGemm", "w", w, p.KH*p.KW*p.C*p.OC)
	needConv("Conv2DGemm", p, x, y, scratch)
	convGemm("Conv2DGemm", p, x, plainB(w, p.OC), y, scratch, ep)
}

// Conv2DGemmPanels is Conv2DGemm with the kernel in panel layout (w: the [KH·KW·C, OC]
// matrix, see panels.go), as a generated package stores it.
func Conv2DGemmPanels(p *ConvParams, x []float32, w *Panels, y, scratch []float32, ep *Epilogue) {
	needPanels("Conv2DGemmPanels", w, p.KH*p.KW*p.C, p.OC)
	needConv("Conv2DGemmPanels", p, x, y, scratch)
	convGemm("Conv2DGemmPanels", p, x, panelB(w), y, scratch, ep)
}

// convGemm is Conv2DGemm after its checks, for a kernel of either layout.
func convGemm(kernel string, p *ConvParams, x []float32, w bMat, y, scratch []float32, ep *Epilogue) {
	if convImplicitOK(p) {
		convImplicit(p, x, w, y, scratch, ep)
		return
	}
	kk := p.KH * p.KW * p.C
	conv2DGemm(kernel, p, x, y, scratch, func(rows int, patches, out []float32, row0 int) {
		gemm(rows, p.OC, kk, patches, kk, w, out, p.OC, false, ep, row0)
	})
}

// needConv panics, naming kernel, unless x, y and scratch hold p's input, output and
// Conv2DGemmScratch(p) elements.
func needConv(kernel string, p *ConvParams, x, y, scratch []float32) {
	need(kernel, "x", x, p.N*p.H*p.W*p.C)
	need(kernel, "y", y, p.N*p.OH*p.OW*p.OC)
	need(kernel, "scratch", scratch, Conv2DGemmScratch(p))
}

// conv2DGemm gathers blocks of patches of x into scratch and hands each to
// mul, which must set out (rows×OC, the block's output rows, row0… of y) to
// patches (rows×KH·KW·C) times the kernel, epilogue included. The caller has checked the
// slices (needConv).
func conv2DGemm(kernel string, p *ConvParams, x, y, scratch []float32, mul func(rows int, patches, out []float32, row0 int)) {
	sh, sw, dh, dw, groups := p.steps()
	if groups != 1 {
		panic("runtime: " + kernel + " needs Groups = 1")
	}
	n, h, wd, c, oh, ow, oc := p.N, p.H, p.W, p.C, p.OH, p.OW, p.OC
	kk := p.KH * p.KW * c
	pixels := oh * ow
	for img := 0; img < n; img++ {
		xi := x[img*h*wd*c : (img+1)*h*wd*c]
		for p0 := 0; p0 < pixels; p0 += convGemmBlock {
			rows := min(convGemmBlock, pixels-p0)
			patches := scratch[:rows*kk]
			for r := 0; r < rows; r++ {
				o := p0 + r
				oy, ox := o/ow, o%ow
				row := patches[r*kk : (r+1)*kk]
				for kh := 0; kh < p.KH; kh++ {
					iy := oy*sh + kh*dh - p.PadT
					ix0 := ox*sw - p.PadL
					if dw == 1 && iy >= 0 && iy < h && ix0 >= 0 && ix0+p.KW <= wd {
						// The row's taps are contiguous in the input: one copy.
						copy(row[kh*p.KW*c:(kh+1)*p.KW*c], xi[(iy*wd+ix0)*c:(iy*wd+ix0+p.KW)*c])
						continue
					}
					for kw := 0; kw < p.KW; kw++ {
						ix := ox*sw + kw*dw - p.PadL
						dst := row[(kh*p.KW+kw)*c : (kh*p.KW+kw+1)*c]
						if iy < 0 || iy >= h || ix < 0 || ix >= wd {
							clear(dst)
							continue
						}
						copy(dst, xi[(iy*wd+ix)*c:(iy*wd+ix+1)*c])
					}
				}
			}
			out := y[(img*pixels+p0)*oc : (img*pixels+p0+rows)*oc]
			mul(rows, patches, out, img*pixels+p0)
		}
	}
}
