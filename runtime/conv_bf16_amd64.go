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
	return BF16Native() && groups == 1 && BF16ConvChannelsOK(p.C) && p.OC > 0 &&
		p.KH*p.KW <= convMaxTaps && w.M.K == p.KH*p.KW*p.C && w.M.N == p.OC
}

// convBF16 sets y to the convolution of x with w, then applies ep, when convBF16OK;
// scratch holds Conv2DGemmScratch(p) elements (the padded image). Output rows are split
// across threads.
func convBF16(p *ConvParams, x []float32, w *BF16Weights, y, scratch []float32, ep *Epilogue) {
	sh, sw, _, _, _ := p.steps()
	wd, c := p.W, p.C
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
	j.x, j.padded, j.hp, j.wp = x, padded, hp, wp
	// Threads split the batch's images when there are enough (each part rounding its images
	// into pooled buffers), else each image's output rows.
	parts := partsFor(p.N*p.OH*p.OW*p.OC*p.KH*p.KW*c, p.N*p.OH)
	if parts > 1 && p.N >= parts {
		j.byImage = true
		runParts(j, parts, &j.wg)
	} else {
		s := bf16Scratch.Get().(*[]uint16)
		for img := 0; img < p.N; img++ {
			j.a, j.img = j.image(img, scratch, s), img
			if parts := partsFor(p.OH*p.OW*p.OC*p.KH*p.KW*c, p.OH); parts > 1 {
				runParts(j, parts, &j.wg)
			} else {
				j.rows(j.a, img, 0, p.OH)
			}
		}
		bf16Scratch.Put(s)
	}
	*j = convBF16Job{}
	convBF16Jobs.Put(j)
}

// convBF16Job is one image of a bf16 implicit convolution, split by output rows; pooled, so
// a warm call does not allocate.
type convBF16Job struct {
	p        ConvParams
	x        []float32
	padded   bool // read images through zero-padded hp×wp copies
	hp, wp   int
	a        []uint16 // split by rows: the image in bf16, rows rowW pixels long
	img      int      // split by rows: its index
	byImage  bool     // split by images, else by the rows of img
	w        *BF16Weights
	y        []float32
	ep       *Epilogue // nil or &epv
	epv      Epilogue
	offs     [convMaxTaps]int // pairs from a pixel's first tap to each tap
	taps, kp int              // taps per pixel, pairs per tap
	rowW     int
	sh, sw   int
	wg       partsDone
}

var convBF16Jobs = sync.Pool{New: func() any { return new(convBF16Job) }}

// image returns image img of x rounded to bf16 in *s (grown as needed), zero-padded first
// into pad when the convolution reads outside it.
func (j *convBF16Job) image(img int, pad []float32, s *[]uint16) []uint16 {
	p := &j.p
	size := p.H * p.W * p.C
	src := j.x[img*size : (img+1)*size]
	if j.padded {
		src = pad[:j.hp*j.wp*p.C]
		padRegion(src, j.x[img*size:(img+1)*size], p, 0, j.hp, 0, j.wp)
	}
	if cap(*s) < len(src) {
		*s = make([]uint16, len(src))
	}
	a := (*s)[:len(src)]
	bf16Asm.cvtRow(a, src)
	return a
}

func (j *convBF16Job) runPart(p, parts int) {
	if !j.byImage {
		lo, hi := split(j.p.OH, 1, p, parts)
		j.rows(j.a, j.img, lo, hi)
		return
	}
	lo, hi := split(j.p.N, 1, p, parts)
	s := bf16Scratch.Get().(*[]uint16)
	defer bf16Scratch.Put(s)
	var pad []float32
	if j.padded {
		buf := getPack(j.hp * j.wp * j.p.C)
		defer packPool.Put(buf)
		pad = *buf
	}
	for img := lo; img < hi; img++ {
		j.rows(j.image(img, pad, s), img, 0, j.p.OH)
	}
}

// rows computes output rows [lo, hi) of image img, read (in bf16) from a.
func (j *convBF16Job) rows(a []uint16, img, lo, hi int) {
	p := &j.p
	c, ow, oc := p.C, p.OW, p.OC
	panelLen := (j.w.M.K + 1) / 2 * 2 * bf16NR
	for oy := lo; oy < hi; oy++ {
		pix := (img*p.OH + oy) * ow
		in := oy * j.sh * j.rowW * c / 2 // pairs
		for col := 0; col < oc; col += bf16NR {
			cols := min(bf16NR, oc-col)
			mask := uint32(uint64(1)<<cols - 1)
			tiles := (ow + bf16MR - 1) / bf16MR
			for t := 0; t < tiles; t++ {
				ox, r := balancedTile(ow, tiles, t)
				convBF16Kernels[r-1](j.taps, &j.offs[0], j.kp, &a[2*(in+ox*j.sw*c/2)], j.sw*c/2,
					&j.w.M.Data[col/bf16NR*panelLen], &j.y[(pix+ox)*oc+col], oc, false, mask)
			}
		}
		j.ep.Apply(pix, ow, oc, j.y[pix*oc:(pix+ow)*oc], oc)
	}
}
