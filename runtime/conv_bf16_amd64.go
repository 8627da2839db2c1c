//go:build amd64 && !purego

// The implicit-GEMM convolution (conv_implicit_amd64.go) with bf16 weights: each image
// (zero-padded when the convolution reads outside it) is rounded to bf16 once, and the
// convBF16 kernels sum, tap after tap, the products of its shifted pixel rows — pairs of
// channels, so C must be even — with the kernel's packed bf16 rows. The results are those of
// the im2col path bit for bit (same bf16 operands, same pair order). One thread.

package runtime

// convBF16OK reports whether convBF16 handles p with w on this CPU.
func convBF16OK(p *ConvParams, w *BF16Weights) bool {
	_, _, _, _, groups := p.steps()
	return BF16Native() && groups == 1 && p.C%2 == 0 && p.C > 0 && p.OC > 0 &&
		p.KH*p.KW <= convMaxTaps && w.M.K == p.KH*p.KW*p.C && w.M.N == p.OC
}

// convBF16 sets y to the convolution of x with w, then applies ep, when convBF16OK;
// scratch holds Conv2DGemmScratch(p) elements (the padded image).
func convBF16(p *ConvParams, x []float32, w *BF16Weights, y, scratch []float32, ep *Epilogue) {
	sh, sw, dh, dw, _ := p.steps()
	h, wd, c, oh, ow, oc := p.H, p.W, p.C, p.OH, p.OW, p.OC
	padded, hp, wp := convPadded(p)
	rowW := wd
	if padded {
		rowW = wp
	}
	var offs [convMaxTaps]int // in pairs
	taps, depth := p.KH*p.KW, c
	if dw == 1 {
		taps, depth = p.KH, p.KW*c
	}
	for kh := 0; kh < p.KH; kh++ {
		for kw := 0; kw < taps/p.KH; kw++ {
			offs[kh*(taps/p.KH)+kw] = (kh*dh*rowW + kw*dw) * c / 2
		}
	}
	s := bf16Scratch.Get().(*[]uint16)
	defer bf16Scratch.Put(s)
	kp := depth / 2
	panelLen := (w.M.K + 1) / 2 * 2 * bf16NR
	for img := 0; img < p.N; img++ {
		src := x[img*h*wd*c : (img+1)*h*wd*c]
		if padded {
			src = scratch[:hp*wp*c]
			padImage(src, hp, wp, x[img*h*wd*c:(img+1)*h*wd*c], h, wd, c, p.PadT, p.PadL)
		}
		if cap(*s) < len(src) {
			*s = make([]uint16, len(src))
		}
		a := (*s)[:len(src)]
		bf16Asm.cvtRow(a, src)
		for oy := 0; oy < oh; oy++ {
			pix := (img*oh + oy) * ow
			in := oy * sh * rowW * c / 2 // pairs
			for col := 0; col < oc; col += bf16NR {
				cols := min(bf16NR, oc-col)
				mask := uint32(uint64(1)<<cols - 1)
				tiles := (ow + bf16MR - 1) / bf16MR
				for t, ox := 0, 0; t < tiles; t++ {
					r := ow / tiles
					if t < ow%tiles {
						r++
					}
					convBF16Kernels[r-1](taps, &offs[0], kp, &a[2*(in+ox*sw*c/2)], sw*c/2,
						&w.M.Data[col/bf16NR*panelLen], &y[(pix+ox)*oc+col], oc, false, mask)
					ox += r
				}
			}
			ep.Apply(pix, ow, oc, y[pix*oc:(pix+ow)*oc], oc)
		}
	}
}
