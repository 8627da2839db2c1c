//go:build amd64 && !purego

// Implicit-GEMM convolution: the k×k convolutions without a gathered im2col
// matrix. For one output row, the output pixels ox, ox+1, … read input
// pixels SW apart for every tap (kh, kw), so the taps of a run of pixels
// form an r×C matrix with row stride SW·C starting at that tap's offset
// from the run's first pixel. The conv kernels (gemm_amd64.s, conv*) keep an
// r×w tile of the output in registers and sum, tap after tap, the products
// of those shifted matrices with the kernel's rows for the tap — the
// kernel's Keras layout [KH, KW, C, OC] is those row blocks in tap order.
// Padding comes from zero-bordered copies in scratch (only when the
// convolution reads outside the image; unpadded convolutions read x in
// place): for an image at least convSplitMinW output pixels wide, only of
// the strips around the interior (convSource), the interior read in place;
// else of the whole image. Output rows are tiled in balanced runs of at most
// the kernel's height, each column panel (32 wide, 16 for a narrow last panel
// on AVX-512) in turn, and the pixels left and right of a split image's
// interior in runs down their columns; a clamp-form epilogue runs in the
// kernels, any other on each output row while it is in cache.
// Output rows are split across threads. The pooled form (conv_pool.go) runs
// the convPool kernels on tiles of two output rows (2×2 pooling) or the
// convPoolRow kernels on tiles of one (1×2), pooled pixel by pooled pixel.

package runtime

import "sync"

// convMaxTaps bounds KH·KW for the implicit path (the tap offsets live in a
// fixed array on the stack); larger kernels take the im2col path.
const convMaxTaps = 64

type convKernel func(taps int, offs *int, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool, mask uint32, ep *float32, pf *float32)

type convAVX2Kernel func(taps int, offs *int, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool, ep *float32)

// convAVX512Kernels are the 32-wide AVX-512 conv kernels in the form in use (useZMMHalves).
var convAVX512Kernels [12]convKernel

var convAVX512KernelsFull = [...]convKernel{
	convAVX512_1x32, convAVX512_2x32, convAVX512_3x32, convAVX512_4x32,
	convAVX512_5x32, convAVX512_6x32, convAVX512_7x32, convAVX512_8x32,
	convAVX512_9x32, convAVX512_10x32, convAVX512_11x32, convAVX512_12x32,
}

var convAVX512KernelsEmb = [...]convKernel{
	convAVX512Emb_1x32, convAVX512Emb_2x32, convAVX512Emb_3x32, convAVX512Emb_4x32,
	convAVX512Emb_5x32, convAVX512Emb_6x32, convAVX512Emb_7x32, convAVX512Emb_8x32,
	convAVX512Emb_9x32, convAVX512Emb_10x32, convAVX512Emb_11x32, convAVX512Emb_12x32,
}

// convAVX512Kernels8 are the 8-wide conv kernels (at most 8 output channels) in the form in
// use (useZMMHalves): convAVX512DepthPairs8's, or on Zen 4 convAVX512YMM8's.
var convAVX512Kernels8 [16]convKernel

// convAVX512YMM8 are the 8-wide kernels with one YMM a pixel, each multiply-add broadcasting
// its element of A (Zen 4's form: YMM broadcasts and multiply-adds issue two a cycle there).
var convAVX512YMM8 = [...]convKernel{
	convAVX512_1x8, convAVX512_2x8, convAVX512_3x8, convAVX512_4x8,
	convAVX512_5x8, convAVX512_6x8, convAVX512_7x8, convAVX512_8x8,
	convAVX512_9x8, convAVX512_10x8, convAVX512_11x8, convAVX512_12x8,
	convAVX512_13x8, convAVX512_14x8, convAVX512_15x8, convAVX512_16x8,
}

// convAVX512DepthPairs8 are the 8-wide kernels that take the depth two steps at a time, the
// form for cores other than Zen 4. On Zen 5 the kernels with one YMM per pixel
// (convAVX512YMM8) were bound by their broadcasts of A (one a pixel and step, about two a
// cycle: ~105 GFLOP/s); these load a pixel's two elements at once, its two steps in one ZMM
// multiply-add (asm/gemm's pairs.go): 1.7× at 224×224, 3×3, 16 or 8 → 8 channels
// (BenchmarkConv2DGemm's unet shapes, session 20).
var convAVX512DepthPairs8 = [...]convKernel{
	convDepthPairsAVX512_1x8, convDepthPairsAVX512_2x8, convDepthPairsAVX512_3x8, convDepthPairsAVX512_4x8,
	convDepthPairsAVX512_5x8, convDepthPairsAVX512_6x8, convDepthPairsAVX512_7x8, convDepthPairsAVX512_8x8,
	convDepthPairsAVX512_9x8, convDepthPairsAVX512_10x8, convDepthPairsAVX512_11x8, convDepthPairsAVX512_12x8,
	convDepthPairsAVX512_13x8, convDepthPairsAVX512_14x8, convDepthPairsAVX512_15x8, convDepthPairsAVX512_16x8,
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
// over 32 columns (wide: the form in use, useZMMHalves; wideFull and wideEmb the two) and
// over 16, AVX2 over 16; and AVX-512 over 8 columns (eight: the form in use, as many pixels as
// narrow), pairs8 taking the depth two steps at a time, which sum as convAVX512DepthPairs8
// do, or ymm8 as convAVX512YMM8 do.
type convPoolSet struct {
	wide, wideFull, wideEmb, narrow, avx2 []convPoolKernel
	eight, pairs8, ymm8                   []convPoolKernel
}

// convPoolSets holds the pooled kernels by pooling height: 2 (2×2, convPool*), 1 (1×2,
// convPoolRow*).
var convPoolSets = [3]convPoolSet{
	1: {
		wideFull: []convPoolKernel{convPoolRowAVX512_1x32, convPoolRowAVX512_2x32, convPoolRowAVX512_3x32,
			convPoolRowAVX512_4x32, convPoolRowAVX512_5x32, convPoolRowAVX512_6x32},
		wideEmb: []convPoolKernel{convPoolRowAVX512Emb_1x32, convPoolRowAVX512Emb_2x32, convPoolRowAVX512Emb_3x32,
			convPoolRowAVX512Emb_4x32, convPoolRowAVX512Emb_5x32, convPoolRowAVX512Emb_6x32},
		narrow: []convPoolKernel{convPoolRowAVX512_1x16, convPoolRowAVX512_2x16, convPoolRowAVX512_3x16, convPoolRowAVX512_4x16,
			convPoolRowAVX512_5x16, convPoolRowAVX512_6x16, convPoolRowAVX512_7x16, convPoolRowAVX512_8x16},
		pairs8: []convPoolKernel{convPoolRowDepthPairsAVX512_1x8, convPoolRowDepthPairsAVX512_2x8, convPoolRowDepthPairsAVX512_3x8, convPoolRowDepthPairsAVX512_4x8,
			convPoolRowDepthPairsAVX512_5x8, convPoolRowDepthPairsAVX512_6x8, convPoolRowDepthPairsAVX512_7x8, convPoolRowDepthPairsAVX512_8x8},
		ymm8: []convPoolKernel{convPoolRowAVX512_1x8, convPoolRowAVX512_2x8, convPoolRowAVX512_3x8, convPoolRowAVX512_4x8,
			convPoolRowAVX512_5x8, convPoolRowAVX512_6x8, convPoolRowAVX512_7x8, convPoolRowAVX512_8x8},
		avx2: []convPoolKernel{avx2Pool(convPoolRowAVX2_1x16), avx2Pool(convPoolRowAVX2_2x16), avx2Pool(convPoolRowAVX2_3x16)},
	},
	2: {
		wideFull: []convPoolKernel{convPoolAVX512_1x32, convPoolAVX512_2x32, convPoolAVX512_3x32},
		wideEmb:  []convPoolKernel{convPoolAVX512Emb_1x32, convPoolAVX512Emb_2x32, convPoolAVX512Emb_3x32},
		narrow:   []convPoolKernel{convPoolAVX512_1x16, convPoolAVX512_2x16, convPoolAVX512_3x16, convPoolAVX512_4x16},
		pairs8:   []convPoolKernel{convPoolDepthPairsAVX512_1x8, convPoolDepthPairsAVX512_2x8, convPoolDepthPairsAVX512_3x8, convPoolDepthPairsAVX512_4x8},
		ymm8:     []convPoolKernel{convPoolAVX512_1x8, convPoolAVX512_2x8, convPoolAVX512_3x8, convPoolAVX512_4x8},
		avx2:     []convPoolKernel{avx2Pool(convPoolAVX2_1x16)},
	},
}

type convDotKernel func(taps int, offs *int, k int, a *float32, lda int, b *float32, c *float32, ldc int)

// convDotAVX512Kernels are the one-output-channel kernels (convdot_amd64.s), by pixels: a
// dot product per pixel, vectorized along its taps, where the tiled kernels would multiply
// on one lane of eight.
var convDotAVX512Kernels = [...]convDotKernel{
	convDotAVX512_1, convDotAVX512_2, convDotAVX512_3, convDotAVX512_4,
	convDotAVX512_5, convDotAVX512_6, convDotAVX512_7, convDotAVX512_8,
	convDotAVX512_9, convDotAVX512_10, convDotAVX512_11, convDotAVX512_12,
	convDotAVX512_13, convDotAVX512_14, convDotAVX512_15, convDotAVX512_16,
}

// convDot reports whether convImplicit runs p on the dot-product kernels: one output channel,
// on AVX-512. Their sums come in another order than the tiled kernels', so the pooled form
// does not take them (convPoolOK): it pools the convolution's output instead.
func convDot(p *ConvParams) bool {
	return cpuLevel == levelAVX512 && p.OC == 1
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
	if ph < 1 || ph > 2 || !convImplicitOK(p) || convDot(p) {
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
	n, c, ow, oc := p.N, p.C, p.OW, p.OC
	j := convJobs.Get().(*convJob)
	*j = convJob{p: *p, x: x, w: w, y: y, scratch: scratch, sh: sh, sw: sw, poolH: ph}
	oh := j.outRows()
	if ep != nil {
		// A copy, so that ep does not escape: a caller may pass one on its stack.
		j.epv = *ep
		j.ep = &j.epv
	}
	j.padded, j.hp, j.wp = convPadded(p)
	// Threads split the batch's images when there are enough to share evenly or nearly (one
	// handoff per call, each part padding its images into its own buffer, partScratch), else
	// each image's output rows, or, for an image of one output row (a 1-D convolution), its
	// output columns (ecg-cnn at batch 3 took 2:1 images on two threads).
	work := oh * ow * oc * p.KH * p.KW * c
	parts := partsFor(n*work, n*oh)
	if parts > 1 && n >= parts && (n%parts == 0 || n >= 2*parts) {
		j.byImage = true
		runParts(j, parts, &j.wg)
	} else {
		j.src = convSources.Get().(*convSource)
		width := j.outCols()
		for img := 0; img < n; img++ {
			j.img = img
			j.image(j.src, img, scratch)
			j.byCols = false
			parts := partsFor(work, oh)
			if parts <= 1 && oh == 1 {
				parts = partsFor(work, (width+convColUnit-1)/convColUnit)
				j.byCols = true
			}
			if parts > 1 {
				runParts(j, parts, &j.wg)
			} else {
				j.rows(j.src, img, 0, oh, 0, width)
			}
		}
		*j.src = convSource{}
		convSources.Put(j.src)
	}
	*j = convJob{}
	convJobs.Put(j)
}

// convSplitMinW is the least output width whose padded images split (convSource): on
// narrower ones the runs down the border columns and the shorter row runs cost more than
// the copy of the interior saves.
var convSplitMinW = 32 // a variable for the tests, which compare the split and whole paths

// convRegion is a source the kernels read output pixels' taps from: src holds the padded
// image's pixels from (y0, x0) on (padded coordinates), rows rowW pixels long, and output
// pixel (oy, ox) reads its taps from padded pixel (oy·sh, ox·sw) on, at the offsets offs.
type convRegion struct {
	src          []float32
	rowW, y0, x0 int
	taps, depth  int // taps per output pixel, input values per tap
	offs         [convMaxTaps]int
}

// set points r at src with its geometry.
func (r *convRegion) set(p *ConvParams, src []float32, rowW, y0, x0 int) {
	r.src, r.rowW, r.y0, r.x0 = src, rowW, y0, x0
	r.taps, r.depth = convTaps(p, rowW, &r.offs)
}

// at returns where in src output pixel (oy, ox)'s first tap is.
func (r *convRegion) at(c, sh, sw, oy, ox int) int {
	return ((oy*sh-r.y0)*r.rowW + ox*sw - r.x0) * c
}

// convAheadRows is how many output rows ahead of the one they compute the conv kernels
// prefetch input rows (convRegion.ahead). The distance was measured on MobileNetV2's stem
// (224×224×3, stride 2) with a first version that prefetched each row's rows in one burst:
// with its input out of cache, 1 / 2 / 4 rows ahead took 153.8 / 149.4 / 153.3 µs against
// 197.2 without. This version (per tap, in the kernels), three alternated runs, medians: 144.2
// against 198.5 µs with the input out of cache, 126.4 against 116.3 with it in cache
// (BenchmarkConvColdInput, which also gives a busier stretch's numbers).
const convAheadRows = 2

// convTapLines is how many cache lines the AVX-512 conv kernels prefetch per tap: asm/gemm's
// convTapLines, which TestConvTapLines reads off gemm_amd64.s.
const convTapLines = 4

// ahead returns the elements of r's rows that output row oy reads and row oy-1 does not (its
// last sh padded rows, whole), as far as r holds them: nil past its end.
func (r *convRegion) ahead(p *ConvParams, oy int) []float32 {
	sh, _, dh, _, _ := p.steps()
	end := oy*sh + (p.KH-1)*dh + 1 - r.y0 // one past the last row oy reads, in r's rows
	lo, hi := max(end-sh, 0)*r.rowW*p.C, min(end*r.rowW*p.C, len(r.src))
	if lo >= hi {
		return nil
	}
	return r.src[lo:hi]
}

// convSource is one image as the kernels read it: whole (in place when the convolution reads
// nothing outside it, else a zero-padded copy), or split: the interior — the output pixels
// [oyLo, oyHi) × [oxLo, oxHi), whose taps all fall inside the image — read in place, and
// zero-padded copies of what the pixels around it read: the padded rows of the output rows
// above and below it (full width, strips 0 and 1), and the padded columns of the pixels left
// and right of it (the interior rows' height, strips 2 and 3). Pooled, as the kernels take
// its offsets through function values.
type convSource struct {
	whole  convRegion
	split  bool
	inner  convRegion
	strips [4]convRegion
	convSplit
}

var convSources = sync.Pool{New: func() any { return new(convSource) }}

// convSplit is the split geometry of a convolution's padded images (see convSource): the
// interior output pixels [oyLo, oyHi) × [oxLo, oxHi), and for each strip (above, below, left,
// right of it) the padded rows [r0, r1) and columns [c0, c1) its pixels read.
type convSplit struct {
	oyLo, oyHi, oxLo, oxHi int
	bounds                 [4]struct{ r0, r1, c0, c1 int }
}

// splitOf returns the split geometry of p's hp×wp padded images; ok is false when they do not
// split: no interior, narrower than convSplitMinW, or strips larger than the whole image.
func splitOf(p *ConvParams, hp, wp int) (g convSplit, ok bool) {
	sh, sw, dh, dw, _ := p.steps()
	g.oyLo, _ = validRange(p.OH, p.H, sh, -p.PadT)
	_, g.oyHi = validRange(p.OH, p.H, sh, -p.PadT+(p.KH-1)*dh)
	g.oxLo, _ = validRange(p.OW, p.W, sw, -p.PadL)
	_, g.oxHi = validRange(p.OW, p.W, sw, -p.PadL+(p.KW-1)*dw)
	if g.oyLo >= g.oyHi || g.oxLo >= g.oxHi || p.OW < convSplitMinW {
		return g, false
	}
	// reach is one past the last padded row or column the first n output rows or columns read.
	reach := func(n, s, k, d int) int {
		if n == 0 {
			return 0
		}
		return (n-1)*s + (k-1)*d + 1
	}
	r0, r1 := g.oyLo*sh, reach(g.oyHi, sh, p.KH, dh) // the interior rows' padded rows
	g.bounds[0].r1, g.bounds[0].c1 = reach(g.oyLo, sh, p.KH, dh), wp
	g.bounds[1].r0, g.bounds[1].r1, g.bounds[1].c1 = g.oyHi*sh, hp, wp
	g.bounds[2].r0, g.bounds[2].r1, g.bounds[2].c1 = r0, r1, reach(g.oxLo, sw, p.KW, dw)
	g.bounds[3].r0, g.bounds[3].r1, g.bounds[3].c0, g.bounds[3].c1 = r0, r1, g.oxHi*sw, wp
	return g, g.size(p.C) <= hp*wp*p.C
}

// size is the elements the strips of g take for c channels.
func (g *convSplit) size(c int) int {
	n := 0
	for _, st := range g.bounds {
		n += (st.r1 - st.r0) * (st.c1 - st.c0) * c
	}
	return n
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
	p       ConvParams // a copy: the caller's may live on its stack
	x       []float32
	scratch []float32 // the call's: part 0's padded copies when split by images (partScratch)
	padded  bool      // reads outside the image, whose padded extent is hp×wp
	hp, wp  int
	src     *convSource // split by rows: image img as the kernels read it
	img     int         // split by rows: its index
	byImage bool        // split by images, else by the rows of img
	byCols  bool        // split by the columns of img's one output row, not by rows
	w       bMat
	y       []float32
	ep      *Epilogue // nil or &epv
	epv     Epilogue
	sh, sw  int
	poolH   int // the pooled form (1 or 2, else 0): y is the poolH×2 max pooling of the convolution
	wg      partsDone
}

// outRows is the number of rows of each output image: the convolution's, or the pooled ones.
func (j *convJob) outRows() int {
	return j.p.OH / max(j.poolH, 1)
}

// outCols is the number of columns of each output image: the convolution's, or the pooled ones.
func (j *convJob) outCols() int {
	if j.poolH > 0 {
		return j.p.OW / 2
	}
	return j.p.OW
}

// convColUnit is the fewest output columns a part of a split by columns gets (a 16-pixel
// kernel run).
const convColUnit = 16

var convJobs = sync.Pool{New: func() any { return new(convJob) }}

// image sets s to image img of x as the kernels read it (see convSource), its padded
// copies in buf (at least hp·wp·C elements when the convolution pads).
func (j *convJob) image(s *convSource, img int, buf []float32) {
	p := &j.p
	size := p.H * p.W * p.C
	x := j.x[img*size : (img+1)*size]
	s.split = false
	if !j.padded {
		s.whole.set(p, x, p.W, p.PadT, p.PadL)
		return
	}
	hp, wp := j.hp, j.wp
	g, ok := splitOf(p, hp, wp)
	if !ok || j.poolH > 0 {
		padRegion(buf, x, p, 0, hp, 0, wp)
		s.whole.set(p, buf[:hp*wp*p.C], wp, 0, 0)
		return
	}
	s.split, s.convSplit = true, g
	s.inner.set(p, x, p.W, p.PadT, p.PadL)
	for i, st := range g.bounds {
		n := (st.r1 - st.r0) * (st.c1 - st.c0) * p.C
		padRegion(buf[:n], x, p, st.r0, st.r1, st.c0, st.c1)
		s.strips[i].set(p, buf[:n], st.c1-st.c0, st.r0, st.c0)
		buf = buf[n:]
	}
}

func (j *convJob) runPart(p, parts int) {
	switch {
	case j.byCols:
		lo, hi := split(j.outCols(), convColUnit, p, parts)
		j.rows(j.src, j.img, 0, j.outRows(), lo, hi)
		return
	case !j.byImage:
		lo, hi := split(j.outRows(), 1, p, parts)
		j.rows(j.src, j.img, lo, hi, 0, j.outCols())
		return
	}
	lo, hi := split(j.p.N, 1, p, parts)
	var buf []float32
	if j.padded {
		buf = partScratch(p, j.hp*j.wp*j.p.C, j.scratch)
	}
	s := convSources.Get().(*convSource)
	defer convSources.Put(s)
	for img := lo; img < hi; img++ {
		j.image(s, img, buf)
		j.rows(s, img, 0, j.outRows(), 0, j.outCols())
	}
	*s = convSource{}
}

// rows computes output rows [lo, hi), columns [x0, x1), of image img, read from s.
func (j *convJob) rows(s *convSource, img, lo, hi, x0, x1 int) {
	if j.poolH > 0 {
		j.poolRows(&s.whole, img, lo, hi, x0, x1)
		return
	}
	p := &j.p
	c, ow, oc := p.C, p.OW, p.OC
	mr, nr := 12, 32
	if cpuLevel == levelAVX2 {
		mr, nr = 6, 16
	}
	// A clamp-form epilogue runs in the kernels, on each tile in registers; any other, and
	// any on the dot-product kernels, on the rows at the end. Runs down a column step a row
	// of output pixels per kernel row, in the residual too (down).
	dot := convDot(p)
	var kep, down *tileEp
	var et epTile
	if j.ep != nil && !dot {
		if _, _, _, clamp := j.ep.clampForm(); clamp {
			et = epTile{ep: j.ep, n: oc, clamp: true}
			kep = et.kernelEp(p.N*p.OH*ow, oc)
			defer tileEps.Put(kep)
			if s.split {
				down = tileEps.Get().(*tileEp)
				*down = *kep
				down.ldr = ow * oc
				defer tileEps.Put(down)
			}
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
		if dot {
			rmax = len(convDotAVX512Kernels)
		}
		eight := narrow && cols <= 8
		mask := uint32(uint64(1)<<cols - 1)
		b, ldb := j.w.at(0, col)
		// run computes the r output pixels from (oy, ox) on, along the row, or down the
		// column when vertical, reading their taps from reg.
		// The t-th run of a row prefetches its share of next (see prefetchAt).
		run := func(reg *convRegion, oy, ox, r int, vertical bool, next []float32, t int) {
			pix := (img*p.OH+oy)*ow + ox
			a := &reg.src[reg.at(c, j.sh, j.sw, oy, ox)]
			pf := prefetchAt(next, convTapLines*reg.taps, t, a)
			lda, ldc, ke := j.sw*c, oc, kep
			if vertical {
				lda, ldc, ke = j.sh*reg.rowW*c, ow*oc, down
			}
			out := &j.y[pix*oc+col]
			var e *float32
			if ke != nil {
				e = ke.at(&et, pix, col)
			}
			switch {
			case dot: // one column: b is the kernel's taps·depth values in a row (ldb 1)
				convDotAVX512Kernels[r-1](reg.taps, &reg.offs[0], reg.depth, a, lda, b, out, ldc)
			case eight:
				convAVX512Kernels8[r-1](reg.taps, &reg.offs[0], reg.depth, a, lda, b, ldb, out, ldc, false, mask, e, pf)
			case narrow:
				convAVX512NarrowKernels[r-1](reg.taps, &reg.offs[0], reg.depth, a, lda, b, ldb, out, ldc, false, mask, e, pf)
			case cpuLevel == levelAVX512:
				convAVX512Kernels[r-1](reg.taps, &reg.offs[0], reg.depth, a, lda, b, ldb, out, ldc, false, mask, e, pf)
			default:
				convAVX2Kernels[r-1](reg.taps, &reg.offs[0], reg.depth, a, lda, b, ldb, out, ldc, false, e)
			}
		}
		// runs cuts [from, to) into balanced runs of at most rmax pixels. Along a row of the
		// first column panel, they prefetch the input rows that row oy+convAheadRows is the
		// first to read (reg.ahead): an image streamed from DRAM then arrives before the
		// kernels need it.
		runs := func(reg *convRegion, oy, ox, from, to int, vertical bool) {
			var next []float32
			if !vertical && col == 0 {
				next = reg.ahead(p, oy+convAheadRows)
			}
			for t, tiles := 0, (to-from+rmax-1)/rmax; t < tiles; t++ {
				off, r := balancedTile(to-from, tiles, t)
				if vertical {
					run(reg, from+off, ox, r, true, nil, t)
				} else {
					run(reg, oy, from+off, r, false, next, t)
				}
			}
		}
		for oy := lo; oy < hi; oy++ {
			switch {
			case !s.split:
				runs(&s.whole, oy, 0, x0, x1, false)
			case oy < s.oyLo:
				runs(&s.strips[0], oy, 0, x0, x1, false)
			case oy >= s.oyHi:
				runs(&s.strips[1], oy, 0, x0, x1, false)
			case max(x0, s.oxLo) < min(x1, s.oxHi):
				runs(&s.inner, oy, 0, max(x0, s.oxLo), min(x1, s.oxHi), false)
			}
		}
		if y0, y1 := max(lo, s.oyLo), min(hi, s.oyHi); s.split && y0 < y1 {
			for ox := x0; ox < min(x1, s.oxLo); ox++ {
				runs(&s.strips[2], 0, ox, y0, y1, true)
			}
			for ox := max(x0, s.oxHi); ox < x1; ox++ {
				runs(&s.strips[3], 0, ox, y0, y1, true)
			}
		}
	}
	if kep == nil && x0 == 0 && x1 == ow {
		pix := (img*p.OH + lo) * ow
		j.ep.Apply(pix, (hi-lo)*ow, oc, j.y[pix*oc:(pix+(hi-lo)*ow)*oc], oc)
	} else if kep == nil {
		for oy := lo; oy < hi; oy++ {
			pix := (img*p.OH+oy)*ow + x0
			j.ep.Apply(pix, x1-x0, oc, j.y[pix*oc:(pix+x1-x0)*oc], oc)
		}
	}
}

// poolRows computes pooled output rows [lo, hi), pooled columns [x0, x1), of image img, read
// from src: each from conv
// output rows 2·py and 2·py+1 (2×2 pooling; 1×2: row py), in tiles of as many pooled pixels as
// the kernels of convPoolSets take (2×2: 12 conv pixels over 32 columns, 16 over 16, 4 on
// AVX2), the epilogue in the kernels.
func (j *convJob) poolRows(reg *convRegion, img, lo, hi, x0, x1 int) {
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
	lda, lrow := j.sw*c, j.sh*reg.rowW*c
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
		case cols <= 8:
			kernels = set.eight
		case cols <= 16:
			kernels = set.narrow
		}
		mask := uint32(uint64(1)<<cols - 1)
		tiles := (x1 - x0 + len(kernels) - 1) / len(kernels)
		b, ldb := j.w.at(0, col)
		for py := lo; py < hi; py++ {
			pix := (img*poh + py) * pow           // first pooled pixel of the row
			in := reg.at(c, j.sh, j.sw, ph*py, 0) // the first input element of its first conv row
			for t := 0; t < tiles; t++ {
				px, r := balancedTile(x1-x0, tiles, t)
				px += x0
				var e *float32
				if kep != nil {
					e = kep.at(&et, pix+px, col)
				}
				kernels[r-1](reg.taps, &reg.offs[0], reg.depth, &reg.src[in+2*px*lda], lda, lrow, b, ldb, &j.y[(pix+px)*oc+col], oc, mask, e)
			}
		}
	}
}
