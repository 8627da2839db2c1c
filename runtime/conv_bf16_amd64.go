//go:build amd64 && !purego

// The implicit-GEMM convolution (conv_implicit_amd64.go) with bf16 weights: each image
// (zero-padded when the convolution reads outside it) is rounded to bf16 once, and the
// convBF16 kernels sum, tap after tap, the products of its shifted pixel rows — pairs of
// channels, so C must be even — with the kernel's packed bf16 rows. The results are those of
// the im2col path bit for bit (same bf16 operands, same pair order).

package runtime

import "sync"

// convBF16OK reports whether convBF16 handles p with w on this CPU.
func convBF16OK(p *ConvParams, w *BF16Weights) bool {
	_, _, _, _, groups := p.steps()
	return BF16Native() && groups == 1 && p.C%2 == 0 && p.C > 0 && p.OC > 0 &&
		p.KH*p.KW <= convMaxTaps && w.M.K == p.KH*p.KW*p.C && w.M.N == p.OC
}

// convBF16 sets y to the convolution of x with w, then applies ep, when convBF16OK;
// scratch holds Conv2DGemmScratch(p) elements (the padded image). Output rows are split
// across threads.
func convBF16(p *ConvParams, x []float32, w *BF16Weights, y, scratch []float32, ep *Epilogue) {
	sh, sw, _, _, _ := p.steps()
	h, wd, c := p.H, p.W, p.C
	padded, hp, wp := convPadded(p)
	j := convBF16Jobs.Get().(*convBF16Job)
	*j = convBF16Job{p: *p, w: w, y: y, sh: sh, sw: sw, rowW: wd}
	if ep != nil {
		j.epv = *ep // a copy, so that ep does not escape
		j.ep = &j.epv
	}
	if padded {
		j.rowW = wp
	}
	taps, depth := convTaps(p, j.rowW, &j.offs)
	j.taps, j.kp = taps, depth/2
	for t := range taps {
		j.offs[t] /= 2 // in pairs (C is even)
	}
	s := bf16Scratch.Get().(*[]uint16)
	for img := 0; img < p.N; img++ {
		src := x[img*h*wd*c : (img+1)*h*wd*c]
		if padded {
			src = scratch[:hp*wp*c]
			padImage(src, hp, wp, x[img*h*wd*c:(img+1)*h*wd*c], h, wd, c, p.PadT, p.PadL)
		}
		if cap(*s) < len(src) {
			*s = make([]uint16, len(src))
		}
		j.a, j.img = (*s)[:len(src)], img
		bf16Asm.cvtRow(j.a, src)
		parts := partsFor(p.OH*p.OW*p.OC*p.KH*p.KW*c, p.OH)
		if parts <= 1 {
			j.rows(0, p.OH)
		} else {
			runParts(j, parts, &j.wg)
		}
	}
	bf16Scratch.Put(s)
	*j = convBF16Job{}
	convBF16Jobs.Put(j)
}

// convBF16Job is one image of a bf16 implicit convolution, split by output rows; pooled, so
// a warm call does not allocate.
type convBF16Job struct {
	p        ConvParams
	a        []uint16 // the image in bf16, rows rowW pixels long
	w        *BF16Weights
	y        []float32
	ep       *Epilogue // nil or &epv
	epv      Epilogue
	offs     [convMaxTaps]int // pairs from a pixel's first tap to each tap
	taps, kp int              // taps per pixel, pairs per tap
	rowW     int
	sh, sw   int
	img      int
	wg       sync.WaitGroup
}

var convBF16Jobs = sync.Pool{New: func() any { return new(convBF16Job) }}

func (j *convBF16Job) runPart(p, parts int) {
	lo, hi := split(j.p.OH, 1, p, parts)
	j.rows(lo, hi)
}

// rows computes output rows [lo, hi) of the job's image.
func (j *convBF16Job) rows(lo, hi int) {
	p := &j.p
	c, ow, oc := p.C, p.OW, p.OC
	panelLen := (j.w.M.K + 1) / 2 * 2 * bf16NR
	for oy := lo; oy < hi; oy++ {
		pix := (j.img*p.OH + oy) * ow
		in := oy * j.sh * j.rowW * c / 2 // pairs
		for col := 0; col < oc; col += bf16NR {
			cols := min(bf16NR, oc-col)
			mask := uint32(uint64(1)<<cols - 1)
			tiles := (ow + bf16MR - 1) / bf16MR
			for t := 0; t < tiles; t++ {
				ox, r := balancedTile(ow, tiles, t)
				convBF16Kernels[r-1](j.taps, &j.offs[0], j.kp, &j.a[2*(in+ox*j.sw*c/2)], j.sw*c/2,
					&j.w.M.Data[col/bf16NR*panelLen], &j.y[(pix+ox)*oc+col], oc, false, mask)
			}
		}
		j.ep.Apply(pix, ow, oc, j.y[pix*oc:(pix+ow)*oc], oc)
	}
}
