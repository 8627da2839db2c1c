//go:build amd64 && !purego

// Implicit-GEMM convolution: the k×k convolutions without a gathered im2col
// matrix. For one output row, the output pixels ox, ox+1, … read input
// pixels SW apart for every tap (kh, kw), so the taps of a run of pixels
// form an r×C matrix with row stride SW·C starting at that tap's offset
// from the run's first pixel. The conv kernels (gemm_amd64.s, conv*) keep an
// r×w tile of the output in registers and sum, tap after tap, the products
// of those shifted matrices with the kernel's rows for the tap — the
// kernel's Keras layout [KH, KW, C, OC] is those row blocks in tap order.
// Padding comes from a zero-bordered copy of one image in scratch (only
// when the convolution reads outside the image); unpadded convolutions read
// x in place. Output rows are tiled in balanced runs of at most the kernel's
// height, each column panel (32 wide, 16 for a narrow last panel on AVX-512)
// in turn; a clamp-form epilogue runs in the kernels, any other on each output row
// while it is in cache.
// Output rows are split across threads. The pooled form (conv_pool.go) runs
// the convPool kernels on tiles of two output rows (2×2 pooling) or the
// convPoolRow kernels on tiles of one (1×2), pooled pixel by pooled pixel.

package runtime

import "sync"

// convMaxTaps bounds KH·KW for the implicit path (the tap offsets live in a
// fixed array on the stack); larger kernels take the im2col path.
const convMaxTaps = 64

type convKernel func(taps int, offs *int, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool, mask uint32, ep *float32)

type convAVX2Kernel func(taps int, offs *int, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool, ep *float32)

var convAVX512Kernels = [...]convKernel{
	convAVX512_1x32, convAVX512_2x32, convAVX512_3x32, convAVX512_4x32,
	convAVX512_5x32, convAVX512_6x32, convAVX512_7x32, convAVX512_8x32,
	convAVX512_9x32, convAVX512_10x32, convAVX512_11x32, convAVX512_12x32,
}

var convAVX512NarrowKernels = [...]convKernel{
	convAVX512_1x16, convAVX512_2x16, convAVX512_3x16, convAVX512_4x16,
	convAVX512_5x16, convAVX512_6x16, convAVX512_7x16, convAVX512_8x16,
	convAVX512_9x16, convAVX512_10x16, convAVX512_11x16, convAVX512_12x16,
	convAVX512_13x16, convAVX512_14x16, convAVX512_15x16, convAVX512_16x16,
}

type convPoolKernel func(taps int, offs *int, k int, a *float32, lda, lrow int, b *float32, ldb int, c *float32, ldc int, mask uint32, ep *float32)

// avx2Pool gives an AVX2 pooled kernel the AVX-512 kernels' form (no mask: AVX2 panels are
// full).
func avx2Pool(kern func(taps int, offs *int, k int, a *float32, lda, lrow int, b *float32, ldb int, c *float32, ldc int, ep *float32)) convPoolKernel {
	return func(taps int, offs *int, k int, a *float32, lda, lrow int, b *float32, ldb int, c *float32, ldc int, _ uint32, ep *float32) {
		kern(taps, offs, k, a, lda, lrow, b, ldb, c, ldc, ep)
	}
}

// convPoolSet is the pooled kernels of one pooling height, by pooled pixels per tile: AVX-512
// over 32 and over 16 columns, AVX2 over 16.
type convPoolSet struct{ wide, narrow, avx2 []convPoolKernel }

// convPoolSets holds the pooled kernels by pooling height: 2 (2×2, convPool*), 1 (1×2,
// convPoolRow*).
var convPoolSets = [3]convPoolSet{
	1: {
		wide: []convPoolKernel{convPoolRowAVX512_1x32, convPoolRowAVX512_2x32, convPoolRowAVX512_3x32,
			convPoolRowAVX512_4x32, convPoolRowAVX512_5x32, convPoolRowAVX512_6x32},
		narrow: []convPoolKernel{convPoolRowAVX512_1x16, convPoolRowAVX512_2x16, convPoolRowAVX512_3x16, convPoolRowAVX512_4x16,
			convPoolRowAVX512_5x16, convPoolRowAVX512_6x16, convPoolRowAVX512_7x16, convPoolRowAVX512_8x16},
		avx2: []convPoolKernel{avx2Pool(convPoolRowAVX2_1x16), avx2Pool(convPoolRowAVX2_2x16), avx2Pool(convPoolRowAVX2_3x16)},
	},
	2: {
		wide:   []convPoolKernel{convPoolAVX512_1x32, convPoolAVX512_2x32, convPoolAVX512_3x32},
		narrow: []convPoolKernel{convPoolAVX512_1x16, convPoolAVX512_2x16, convPoolAVX512_3x16, convPoolAVX512_4x16},
		avx2:   []convPoolKernel{avx2Pool(convPoolAVX2_1x16)},
	},
}

var convAVX2Kernels = [...]convAVX2Kernel{
	convAVX2_1x16, convAVX2_2x16, convAVX2_3x16, convAVX2_4x16, convAVX2_5x16, convAVX2_6x16,
}

// convImplicitOK reports whether convImplicit handles p on this CPU: a
// Groups = 1 convolution with at most convMaxTaps taps, on AVX-512 (any
// OC) or AVX2 (OC a multiple of 16, the AVX2 kernels' width).
func convImplicitOK(p *ConvParams) bool {
	_, _, _, _, groups := p.steps()
	if groups != 1 || p.KH*p.KW > convMaxTaps || p.C <= 0 || p.OC <= 0 {
		return false
	}
	switch cpuLevel {
	case levelAVX512:
		return true
	case levelAVX2:
		return p.OC%16 == 0
	}
	return false
}

// convPoolOK reports whether convImplicitPool handles p, pooled ph×2, with epilogue ep on
// this CPU: ph 1 or 2, the implicit path (AVX-512, or AVX2 with OC a multiple of 16), and ep
// nil or of the clamp form, monotone (slope ≥ 0), without a residual.
func convPoolOK(p *ConvParams, ph int, ep *Epilogue) bool {
	if ph < 1 || ph > 2 || !convImplicitOK(p) {
		return false
	}
	if ep == nil {
		return true
	}
	slope, _, _, clamp := ep.clampForm()
	return clamp && slope >= 0 && ep.Residual == nil
}

// convImplicit sets y to the convolution of x with the kernel w (the [KH·KW·C, OC] matrix,
// plain or in panel layout), then applies ep, when convImplicitOK(p); scratch holds
// Conv2DGemmScratch(p) elements.
func convImplicit(p *ConvParams, x []float32, w bMat, y, scratch []float32, ep *Epilogue) {
	convImplicitRun(p, x, w, y, scratch, ep, 0)
}

// convImplicitPool sets y to the ph×2, stride ph×2 max pooling of what convImplicit would set
// (conv_pool.go), when convPoolOK(p, ph, ep).
func convImplicitPool(p *ConvParams, ph int, x []float32, w bMat, y, scratch []float32, ep *Epilogue) {
	convImplicitRun(p, x, w, y, scratch, ep, ph)
}

// convImplicitRun is convImplicit (ph 0) or convImplicitPool.
func convImplicitRun(p *ConvParams, x []float32, w bMat, y, scratch []float32, ep *Epilogue, ph int) {
	sh, sw, _, _, _ := p.steps()
	n, wd, c, ow, oc := p.N, p.W, p.C, p.OW, p.OC
	j := convJobs.Get().(*convJob)
	*j = convJob{p: *p, w: w, y: y, sh: sh, sw: sw, poolH: ph}
	oh := j.outRows()
	if ep != nil {
		// A copy, so that ep does not escape: a caller may pass one on its stack.
		j.epv = *ep
		j.ep = &j.epv
	}
	padded, hp, wp := convPadded(p)
	j.rowW = wd
	if padded {
		j.rowW = wp
	}
	j.taps, j.depth = convTaps(p, j.rowW, &j.offs)
	j.x, j.padded, j.hp, j.wp = x, padded, hp, wp
	// Threads split the batch's images when there are enough (one handoff per call, each
	// part padding its images into a pooled buffer), else each image's output rows.
	parts := partsFor(n*oh*ow*oc*p.KH*p.KW*c, n*oh)
	if parts > 1 && n >= parts {
		j.byImage = true
		runParts(j, parts, &j.wg)
	} else {
		for img := 0; img < n; img++ {
			j.img, j.src = img, j.image(img, scratch)
			if parts := partsFor(oh*ow*oc*p.KH*p.KW*c, oh); parts > 1 {
				runParts(j, parts, &j.wg)
			} else {
				j.rows(j.src, img, 0, oh)
			}
		}
	}
	*j = convJob{}
	convJobs.Put(j)
}

// convTaps writes to offs the element offset of each tap of p from a pixel's first tap, in an
// image whose rows are rowW pixels long, and returns the number of taps and the depth (input
// values) of each: undilated columns make a kernel row's KW taps one contiguous run of KW·C
// input values (and of kernel rows), so one tap of depth KW·C per kernel row.
func convTaps(p *ConvParams, rowW int, offs *[convMaxTaps]int) (taps, depth int) {
	_, _, dh, dw, _ := p.steps()
	taps, depth = p.KH*p.KW, p.C
	if dw == 1 {
		taps, depth = p.KH, p.KW*p.C
	}
	per := taps / p.KH
	for kh := 0; kh < p.KH; kh++ {
		for kw := 0; kw < per; kw++ {
			offs[kh*per+kw] = (kh*dh*rowW + kw*dw) * p.C
		}
	}
	return taps, depth
}

// balancedTile returns the first row and the height of tile t when n rows are cut into
// tiles tiles of as equal heights as can be.
func balancedTile(n, tiles, t int) (start, size int) {
	size = n / tiles
	start = t*size + min(t, n%tiles)
	if t < n%tiles {
		size++
	}
	return start, size
}

// convJob is one image of an implicit convolution, split by output rows;
// pooled, so a warm call does not allocate.
type convJob struct {
	p           ConvParams // a copy: the caller's may live on its stack
	x           []float32
	padded      bool // read images through zero-padded hp×wp copies
	hp, wp      int
	src         []float32 // split by rows: the image, maybe padded, rows rowW pixels long
	img         int       // split by rows: its index
	byImage     bool      // split by images, else by the rows of img
	w           bMat
	y           []float32
	ep          *Epilogue // nil or &epv
	epv         Epilogue
	offs        [convMaxTaps]int // element offset of each tap from its pixel's first tap
	rowW        int
	taps, depth int // taps per output pixel, input values per tap
	sh, sw      int
	poolH       int // the pooled form (1 or 2, else 0): y is the poolH×2 max pooling of the convolution
	wg          sync.WaitGroup
}

// outRows is the number of rows of each output image: the convolution's, or the pooled ones.
func (j *convJob) outRows() int {
	return j.p.OH / max(j.poolH, 1)
}

var convJobs = sync.Pool{New: func() any { return new(convJob) }}

// image returns image img of x as the kernels read it: in place, or zero-padded into buf.
func (j *convJob) image(img int, buf []float32) []float32 {
	p := &j.p
	size := p.H * p.W * p.C
	x := j.x[img*size : (img+1)*size]
	if !j.padded {
		return x
	}
	src := buf[:j.hp*j.wp*p.C]
	padImage(src, j.hp, j.wp, x, p.H, p.W, p.C, p.PadT, p.PadL)
	return src
}

func (j *convJob) runPart(p, parts int) {
	if !j.byImage {
		lo, hi := split(j.outRows(), 1, p, parts)
		j.rows(j.src, j.img, lo, hi)
		return
	}
	lo, hi := split(j.p.N, 1, p, parts)
	var buf *[]float32
	if j.padded {
		buf = getPack(j.hp * j.wp * j.p.C)
		defer packPool.Put(buf)
	}
	for img := lo; img < hi; img++ {
		var b []float32
		if buf != nil {
			b = *buf
		}
		j.rows(j.image(img, b), img, 0, j.outRows())
	}
}

// rows computes output rows [lo, hi) of image img, read from src.
func (j *convJob) rows(src []float32, img, lo, hi int) {
	if j.poolH > 0 {
		j.poolRows(src, img, lo, hi)
		return
	}
	p := &j.p
	c, ow, oc := p.C, p.OW, p.OC
	taps, depth := j.taps, j.depth
	mr, nr := 12, 32
	if cpuLevel == levelAVX2 {
		mr, nr = 6, 16
	}
	// A clamp-form epilogue runs in the kernels, on each tile in registers; any other on
	// the rows at the end.
	var kep *tileEp
	var et epTile
	if j.ep != nil {
		if _, _, _, clamp := j.ep.clampForm(); clamp {
			et = epTile{ep: j.ep, n: oc, clamp: true}
			kep = et.kernelEp(p.N*p.OH*ow, oc)
			defer tileEps.Put(kep)
		}
	}
	// Column panels outside, output rows inside: a panel of the kernel (K×32) is read from
	// cache for every row after the first instead of the whole kernel per row.
	for col := 0; col < oc; col += nr {
		cols := min(nr, oc-col)
		rmax := mr
		narrow := cpuLevel == levelAVX512 && cols <= 16
		if narrow {
			rmax = len(convAVX512NarrowKernels)
		}
		mask := uint32(uint64(1)<<cols - 1)
		tiles := (ow + rmax - 1) / rmax
		b, ldb := j.w.at(0, col)
		for oy := lo; oy < hi; oy++ {
			pix := (img*p.OH + oy) * ow  // first output pixel of the row
			in := oy * j.sh * j.rowW * c // its first input element
			for t := 0; t < tiles; t++ {
				ox, r := balancedTile(ow, tiles, t)
				a := &src[in+ox*j.sw*c]
				out := &j.y[(pix+ox)*oc+col]
				var e *float32
				if kep != nil {
					e = kep.at(&et, pix+ox, col)
				}
				switch {
				case narrow:
					convAVX512NarrowKernels[r-1](taps, &j.offs[0], depth, a, j.sw*c, b, ldb, out, oc, false, mask, e)
				case cpuLevel == levelAVX512:
					convAVX512Kernels[r-1](taps, &j.offs[0], depth, a, j.sw*c, b, ldb, out, oc, false, mask, e)
				default:
					convAVX2Kernels[r-1](taps, &j.offs[0], depth, a, j.sw*c, b, ldb, out, oc, false, e)
				}
			}
		}
	}
	if kep == nil {
		pix := (img*p.OH + lo) * ow
		j.ep.Apply(pix, (hi-lo)*ow, oc, j.y[pix*oc:(pix+(hi-lo)*ow)*oc], oc)
	}
}

// poolRows computes pooled output rows [lo, hi) of image img, read from src: each from conv
// output rows 2·py and 2·py+1 (2×2 pooling; 1×2: row py), in tiles of as many pooled pixels as
// the kernels of convPoolSets take (2×2: 12 conv pixels over 32 columns, 16 over 16, 4 on
// AVX2), the epilogue in the kernels.
func (j *convJob) poolRows(src []float32, img, lo, hi int) {
	p, ph := &j.p, j.poolH
	c, oc := p.C, p.OC
	poh, pow := p.OH/ph, p.OW/2
	var kep *tileEp
	var et epTile
	if j.ep != nil {
		et = epTile{ep: j.ep, n: oc, clamp: true}
		kep = et.kernelEp(p.N*poh*pow, oc)
		defer tileEps.Put(kep)
	}
	lda, lrow := j.sw*c, j.sh*j.rowW*c
	set := &convPoolSets[ph]
	nr := 32
	if cpuLevel == levelAVX2 {
		nr = 16
	}
	for col := 0; col < oc; col += nr {
		cols := min(nr, oc-col)
		kernels := set.wide
		switch {
		case cpuLevel == levelAVX2:
			kernels = set.avx2
		case cols <= 16:
			kernels = set.narrow
		}
		mask := uint32(uint64(1)<<cols - 1)
		tiles := (pow + len(kernels) - 1) / len(kernels)
		b, ldb := j.w.at(0, col)
		for py := lo; py < hi; py++ {
			pix := (img*poh + py) * pow       // first pooled pixel of the row
			in := ph * py * j.sh * j.rowW * c // the first input element of its first conv row
			for t := 0; t < tiles; t++ {
				px, r := balancedTile(pow, tiles, t)
				var e *float32
				if kep != nil {
					e = kep.at(&et, pix+px, col)
				}
				kernels[r-1](j.taps, &j.offs[0], j.depth, &src[in+2*px*lda], lda, lrow, b, ldb, &j.y[(pix+px)*oc+col], oc, mask, e)
			}
		}
	}
}
