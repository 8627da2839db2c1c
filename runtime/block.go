// InvertedResidual: a MobileNetV2 block (expand 1×1 → depthwise → project 1×1) run band by
// band of output rows, so that the expanded image, six times wider than the block's input
// and output, never goes through memory whole: each band's expanded rows and depthwise output
// stay in L2 between the three kernels that use them. A block without an expand layer
// (NoExpand: MobileNetV2's first, depthwise → project) runs the same way on its input's rows,
// so that the depthwise output never goes through memory whole either.
//
// Contract: x is [N, H, W, C]; we the expand kernel [C, E] in panel layout, epE its epilogue
// (both ignored, and C = E, under NoExpand); wd the depthwise kernel [KH, KW, E, 1] and epD
// its epilogue; wp the project kernel [E, P] in panel layout and epP its epilogue, whose
// Residual (if any) is a whole [N, OH, OW, P] tensor. y is [N, OH, OW, P]. The depthwise
// parameters (p.Depthwise: N, H, W, C = OC = E, OH, OW, kernel, strides, dilations, padding
// before) are those of the unfused layer. The kernels are the unfused chain's, on the same
// values, so every output element is the same bits whenever a band's matrix products take the
// same GEMM path as the whole image's (a large product of at least 128 rows may instead pack
// B, with other k blocks: then within float32 rounding); TestInvertedResidualMatchesLayers
// checks bits. scratch holds InvertedResidualScratch(p) elements. Nothing is allocated (with
// threads, part 0 uses scratch and each other part its worker's own buffer, partScratch, so a
// warm call allocates nothing either).
package runtime

import "sync"

// InvertedResidualParams describes one block call (see the file comment).
type InvertedResidualParams struct {
	Depthwise ConvParams // the depthwise layer on the expanded image
	C, P      int        // the block's input and output channels
	Band      int        // output rows per band, at least 1
	NoExpand  bool       // no expand layer: x is the depthwise layer's input (C = E)
}

// bandRows is the number of input rows a band of b output rows reads.
func (p *InvertedResidualParams) bandRows(b int) int {
	d := &p.Depthwise
	sh, _, dh, _, _ := d.steps()
	return min((b-1)*sh+(d.KH-1)*dh+1, d.H)
}

// inputRows returns the input rows [r0, r1) that output rows [oy0, oy1) read (none when
// oy0 ≥ oy1); rows outside the image are the depthwise layer's padding, and a band that reads
// only padding gets r0 = r1 = 0.
func (p *InvertedResidualParams) inputRows(oy0, oy1 int) (r0, r1 int) {
	if oy0 >= oy1 {
		return 0, 0
	}
	d := &p.Depthwise
	sh, _, dh, _, _ := d.steps()
	r0 = max(oy0*sh-d.PadT, 0)
	r1 = min((oy1-1)*sh-d.PadT+(d.KH-1)*dh+1, d.H)
	if r1 <= r0 {
		return 0, 0
	}
	return r0, r1
}

// splitRows is the fewest output rows a part of an image may take when threads split its
// rows: one more than the output rows whose input rows the part shares with the part above
// (3 for a 3×3 depthwise layer at stride 1, 2 at stride 2), so that expanding them again
// costs at most about two thirds of the part's own rows.
func (p *InvertedResidualParams) splitRows() int {
	d := &p.Depthwise
	sh, _, dh, _, _ := d.steps()
	return ((d.KH-1)*dh+sh-1)/sh + 1
}

// InvertedResidualScratch is the scratch size (in elements) InvertedResidual needs: one
// band's expanded rows (none under NoExpand) and its depthwise output.
func InvertedResidualScratch(p *InvertedResidualParams) int {
	d := &p.Depthwise
	b := max(p.Band, 1)
	if p.NoExpand {
		return b * d.OW * d.C
	}
	return p.bandRows(b)*d.W*d.C + b*d.OW*d.C
}

// InvertedResidual runs the block on x into y (see the file comment). With threads, the
// batch's images are split across them when there are at least as many images as threads,
// else each image's output rows, in whole bands (a part's first band expands the rows it
// shares with the part before again); each part has its own band scratch (partScratch).
func InvertedResidual(p *InvertedResidualParams, x []float32, we *Panels, epE *Epilogue, wd []float32, epD *Epilogue, wp *Panels, epP *Epilogue, y, scratch []float32) {
	d := &p.Depthwise
	n, h, w, c, e, oh, ow, pc := d.N, d.H, d.W, p.C, d.C, d.OH, d.OW, p.P
	need("InvertedResidual", "x", x, n*h*w*c)
	need("InvertedResidual", "y", y, n*oh*ow*pc)
	need("InvertedResidual", "scratch", scratch, InvertedResidualScratch(p))
	if !p.NoExpand {
		needPanels("InvertedResidual", we, c, e)
	}
	needPanels("InvertedResidual", wp, e, pc)
	if d.OC != e || d.Groups > 1 || (p.NoExpand && c != e) {
		panic("runtime.InvertedResidual: the depthwise layer must keep the expanded channels")
	}
	j := blockJobs.Get().(*blockJob)
	*j = blockJob{p: *p, x: x, we: we, wd: wd, wp: wp, y: y, scratch: scratch}
	// The job keeps copies, so that the epilogues do not escape: a caller may pass them on its
	// stack.
	for i, ep := range []*Epilogue{epE, epD, epP} {
		if ep != nil {
			j.epv[i] = *ep
			j.ep[i] = &j.epv[i]
		}
	}
	work := oh * ow * e * (d.KH*d.KW + pc) // multiply-adds per image
	if !p.NoExpand {
		work += h * w * c * e
	}
	// Fewer images than threads: split each image's output rows evenly, in runs of at least
	// p.splitRows() (a run expands the input rows it shares with the run above again).
	rowRuns := oh / p.splitRows()
	j.byRows = n < Threads() && rowRuns > n
	pieces := n
	if j.byRows {
		pieces = rowRuns
	}
	if parts := partsFor(n*work, pieces); parts > 1 {
		runParts(j, parts, &j.wg)
	} else {
		for img := 0; img < n; img++ {
			j.rows(img, 0, oh, scratch, true)
		}
	}
	*j = blockJob{}
	blockJobs.Put(j)
}

// blockJob is one InvertedResidual call; pooled, so a warm call does not allocate.
type blockJob struct {
	p        InvertedResidualParams
	x, wd, y []float32
	scratch  []float32 // the call's: part 0's (partScratch)
	we, wp   *Panels
	ep       [3]*Epilogue // expand, depthwise, project: nil or &epv[i]
	epv      [3]Epilogue
	byRows   bool // parts split each image's output rows, not the images
	wg       partsDone
}

var blockJobs = sync.Pool{New: func() any { return new(blockJob) }}

// runPart runs part p of parts of the batch's images, or of every image's bands (byRows),
// with the part's scratch.
func (j *blockJob) runPart(p, parts int) {
	d := &j.p.Depthwise
	buf := partScratch(p, InvertedResidualScratch(&j.p), j.scratch)
	if j.byRows {
		lo, hi := split(d.OH, 1, p, parts)
		for img := 0; img < d.N; img++ {
			j.rows(img, lo, hi, buf, false)
		}
		return
	}
	lo, hi := split(d.N, 1, p, parts)
	for img := lo; img < hi; img++ {
		j.rows(img, 0, d.OH, buf, false)
	}
}

// rows runs the block on output rows [oyLo, oyHi) of image img, band by band from oyLo,
// with scratch for one band; its matrix products may split across threads only when threads
// is true.
func (j *blockJob) rows(img, oyLo, oyHi int, scratch []float32, threads bool) {
	p, d := &j.p, j.p.Depthwise
	h, w, c, e, oh, ow, pc := d.H, d.W, p.C, d.C, d.OH, d.OW, p.P
	band := max(p.Band, 1)
	sh, _, _, _, _ := d.steps()
	rowLen := w * e
	var buf []float32
	if !p.NoExpand {
		buf = scratch[:p.bandRows(band)*rowLen]
	}
	dwOut := scratch[len(buf) : len(buf)+band*ow*e]
	xn := j.x[img*h*w*c : (img+1)*h*w*c]
	held0, held1 := 0, 0 // the input rows whose expansion buf holds, from its start
	for oy0 := oyLo; oy0 < oyHi; oy0 += band {
		oy1 := min(oy0+band, oyHi)
		r0, r1 := p.inputRows(oy0, oy1)
		// The next band's new input rows, which this band's first GEMM prefetches (the
		// expand, or without one the projection) while it computes: MobileNetV2's block 1
		// reads an 800 KB image that L2 does not hold, its first block the stem's 1.6 MB
		// output, from L3 by then.
		_, n1 := p.inputRows(oy1, min(oy1+band, oyHi))
		next := xn[r1*w*c : max(n1, r1)*w*c]
		var in []float32
		if p.NoExpand {
			in = xn[r0*rowLen : r1*rowLen] // the input rows themselves (C = E)
		} else {
			from := r0
			if r0 >= held0 && r0 < held1 {
				// Rows the last band expanded too move to the front instead of running again.
				copy(buf, buf[(r0-held0)*rowLen:(held1-held0)*rowLen])
				from = held1
			}
			if from < r1 {
				// The first band's expand also prefetches the weights the band needs next,
				// cold on every call: the depthwise kernel and the projection's first panel
				// (MobileNetV2's 7×7 blocks, one band each, read 35 KB and 123 KB of them from
				// L3 or DRAM).
				var wd, wp []float32
				if oy0 == oyLo {
					wd, wp = j.wd, panelB(j.wp).block(0, 0, j.wp.K) // the first panel
				}
				b := panelB(j.we).prefetching(wd, wp, next)
				gemmOn(threads, (r1-from)*w, e, c, xn[from*w*c:r1*w*c], c, b, buf[(from-r0)*rowLen:(r1-r0)*rowLen], e, false, j.ep[0], 0)
			}
			held0, held1 = r0, r1
			in = buf[:(r1-r0)*rowLen]
		}
		q := d
		q.N, q.H, q.OH = 1, r1-r0, oy1-oy0
		q.PadT = d.PadT - oy0*sh + r0
		DepthwiseConv2D(&q, in, j.wd, dwOut[:(oy1-oy0)*ow*e], j.ep[1])
		row0 := (img*oh + oy0) * ow
		wp := panelB(j.wp)
		if p.NoExpand {
			wp = wp.prefetching(next)
		}
		gemmOn(threads, (oy1-oy0)*ow, pc, e, dwOut[:(oy1-oy0)*ow*e], e, wp, j.y[row0*pc:(row0+(oy1-oy0)*ow)*pc], pc, false, j.ep[2], row0)
	}
}
