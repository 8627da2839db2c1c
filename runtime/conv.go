// Convolutions over NHWC images with Keras kernel layouts.
//
// Contract: x is the input [N,H,W,C], y the output [N,OH,OW,OC], both dense
// NHWC; a 1-D convolution is the case H = KH = 1. Output pixel (oh, ow) reads
// input pixel (oh*SH + kh*DH - PadT, ow*SW + kw*DW - PadL) through tap
// (kh, kw); taps outside the input read zero. The caller computes PadT/PadL
// (TF-style 'same': the smaller half before; 'causal': DW*(KW-1) before)
// and OH/OW, which imply the padding after. Strides, dilations and Groups of
// 0 mean 1. Accumulation is in float32. Each kernel writes every element of
// y[:N*OH*OW*OC] and nothing else, then applies ep (nil for none) to the
// output rows (one row per output pixel, OC wide). x and w are only read and
// must not overlap y. Panics if a slice is shorter than its shape.
//
//   - Conv2D: w is [KH,KW,C/Groups,OC]; output channel o uses input channels
//     of group o/(OC/Groups). The 1×1, stride-1, unpadded, ungrouped case is
//     one Gemm over all pixels.
//   - DepthwiseConv2D: w is [KH,KW,C,M] with OC = C*M; output channel c*M+m
//     reads only input channel c (Groups is ignored). See depthwise.go.
//   - Conv2DTranspose: Keras Conv2DTranspose, w is [KH,KW,OC,C]; input pixel
//     (ih, iw) adds x·w[kh,kw] to output pixel (ih*SH + kh*DH - PadT,
//     iw*SW + kw*DW - PadL) when that lies inside the output: PadT/PadL is
//     what is cropped from the start of the full transposed output (the
//     caller derives it, and OH/OW, from Keras' padding and output_padding).
//     Groups must be 1.

package runtime

import "sync"

// ConvParams describes a 2-D convolution (see the file comment).
type ConvParams struct {
	N, H, W, C int // input
	OH, OW, OC int // output
	KH, KW     int
	SH, SW     int // strides
	DH, DW     int // dilations
	PadT, PadL int // padding before; padding after is implied by OH/OW
	Groups     int // 1 normally; Conv groups
}

// steps returns the strides, dilations and group count, 0 read as 1.
func (p *ConvParams) steps() (sh, sw, dh, dw, groups int) {
	return max(p.SH, 1), max(p.SW, 1), max(p.DH, 1), max(p.DW, 1), max(p.Groups, 1)
}

// validRange returns the positions o in [0, out) for which the position it
// reads, o*s + off, lies in [0, in), as the half-open range [lo, hi).
func validRange(out, in, s, off int) (lo, hi int) {
	if off < 0 {
		lo = (-off + s - 1) / s
	}
	last := in - 1 - off // largest o*s allowed
	if last < 0 {
		return lo, lo
	}
	hi = min(last/s+1, out)
	return lo, max(hi, lo)
}

// Conv2D sets y to the convolution of x with w (see the file comment), then
// applies ep.
func Conv2D(p *ConvParams, x, w, y []float32, ep *Epilogue) {
	sh, sw, dh, dw, groups := p.steps()
	cpg, opg := p.C/groups, p.OC/groups
	if cpg*groups != p.C || opg*groups != p.OC {
		panic("runtime.Conv2D: channels not divisible by Groups")
	}
	need("Conv2D", "x", x, p.N*p.H*p.W*p.C)
	need("Conv2D", "w", w, p.KH*p.KW*cpg*p.OC)
	need("Conv2D", "y", y, p.N*p.OH*p.OW*p.OC)
	if p.KH == 1 && p.KW == 1 && sh == 1 && sw == 1 && p.PadT == 0 && p.PadL == 0 &&
		p.OH == p.H && p.OW == p.W && groups == 1 {
		Dense(p.N*p.H*p.W, p.C, p.OC, x, w, y, ep)
		return
	}
	rowLen := p.OW * p.OC
	for n := 0; n < p.N; n++ {
		for oh := 0; oh < p.OH; oh++ {
			row := n*p.OH + oh
			yrow := y[row*rowLen : (row+1)*rowLen]
			clear(yrow)
			for kh := 0; kh < p.KH; kh++ {
				ih := oh*sh + kh*dh - p.PadT
				if ih < 0 || ih >= p.H {
					continue
				}
				for kw := 0; kw < p.KW; kw++ {
					lo, hi := validRange(p.OW, p.W, sw, kw*dw-p.PadL)
					if lo >= hi {
						continue
					}
					iw := lo*sw + kw*dw - p.PadL
					// Rows lo..hi-1 of this output row times the tap's
					// [C/Groups × OC] weight matrix, the input pixels read
					// with a stride of SW pixels.
					xs := x[((n*p.H+ih)*p.W+iw)*p.C:]
					ws := w[(kh*p.KW+kw)*cpg*p.OC:]
					ys := yrow[lo*p.OC:]
					for g := 0; g < groups; g++ {
						Gemm(hi-lo, opg, cpg, xs[g*cpg:], sw*p.C, ws[g*opg:], p.OC, ys[g*opg:], p.OC, true)
					}
				}
			}
			ep.Apply(row*p.OW, p.OW, p.OC, yrow, p.OC)
		}
	}
}

// ConvTransposeParams describes a Keras Conv2DTranspose: N,H,W,C is its
// input, OH,OW,OC its output, PadT/PadL the crop (see the file comment).
type ConvTransposeParams struct{ ConvParams }

// tiles reports whether each input pixel of p writes its own KH×KW tile of the output and
// nothing else does: kernel and stride the same, undilated, nothing cropped (a U-Net's 2×2,
// stride-2 upsampling, 'valid' or 'same').
func (p *ConvTransposeParams) tiles() bool {
	sh, sw, dh, dw, _ := p.steps()
	return p.KH == sh && p.KW == sw && (dh == 1 || p.KH == 1) && (dw == 1 || p.KW == 1) &&
		p.PadT == 0 && p.PadL == 0 && p.OH == p.H*sh && p.OW == p.W*sw
}

// convTransposeTiles is Conv2DTranspose when p.tiles(): output row ih·KH + kh is, pixel
// group by pixel group, input row ih times the kernel's rows for kh, [C, KW·OC] (rearranged
// from w's [KH, KW, OC, C] into a pooled buffer): one product per output row, each element
// written once, with ep (none with a residual) applied tile by tile in the product, its bias
// repeated for the row's KW pixels.
func convTransposeTiles(p *ConvTransposeParams, x, w, y []float32, ep *Epilogue) {
	c, oc, kw := p.C, p.OC, p.KW
	n := kw * oc // columns of one kernel row's matrix: a tile row, kw pixels of oc
	buf := getPack(p.KH*c*n + n)
	defer packPool.Put(buf)
	b := *buf
	var row *Epilogue
	var rep Epilogue
	if ep != nil {
		rep = *ep
		if ep.Bias != nil {
			rep.Bias = b[p.KH*c*n:][:n]
			for k := 0; k < kw; k++ {
				copy(rep.Bias[k*oc:], ep.Bias[:oc])
			}
		}
		row = &rep
	}
	for kh := 0; kh < p.KH; kh++ {
		for k := 0; k < kw; k++ {
			for o := 0; o < oc; o++ {
				src := w[((kh*kw+k)*oc+o)*c:][:c]
				for ci, v := range src {
					b[(kh*c+ci)*n+k*oc+o] = v
				}
			}
		}
	}
	op := convTransposeOp{p: p.ConvParams, x: x, b: b, y: y, ep: copyEpilogue(row)}
	rows := p.N * p.H
	if parts := partsFor(rows*p.W*p.KH*n*c, rows); parts > 1 {
		runSplit[convTransposeOp](&convTransposeJobs, op, parts)
		return
	}
	op.rows(0, rows, true)
}

// convTransposeOp is a convTransposeTiles call split across threads (runSplit) by input rows:
// each part runs the one-thread loop's products for a band of the N·H input rows (each
// writes its own KH output rows), so the values do not depend on the threads. Unsplit, a
// U-Net's last 2×2 upsampling (2×112×112×16 → 8 channels) ran on the caller alone: 254 µs on
// one thread and on two.
type convTransposeOp struct {
	p       ConvParams
	x, b, y []float32
	ep      epilogueCopy
}

var convTransposeJobs = sync.Pool{New: func() any { return new(splitJob[convTransposeOp, *convTransposeOp]) }}

func (o *convTransposeOp) runPart(part, parts int) {
	lo, hi := split(o.p.N*o.p.H, 1, part, parts)
	o.rows(lo, hi, false)
}

// rows runs the products of input rows lo…hi-1 (row r is row r mod H of image r / H), each
// split across the threads itself only when threads is set.
func (o *convTransposeOp) rows(lo, hi int, threads bool) {
	p := &o.p
	c, n := p.C, p.KW*p.OC
	ep := o.ep.get()
	for r := lo; r < hi; r++ {
		img, ih := r/p.H, r%p.H
		xr := o.x[r*p.W*c:]
		for kh := 0; kh < p.KH; kh++ {
			oh := ih*p.KH + kh
			gemmOn(threads, p.W, n, c, xr, c, plainB(o.b[kh*c*n:], n), o.y[(img*p.OH+oh)*p.OW*p.OC:], n, false, ep, 0)
		}
	}
}

// Conv2DTranspose sets y to the transposed convolution of x with w (see the
// file comment), then applies ep.
func Conv2DTranspose(p *ConvTransposeParams, x, w, y []float32, ep *Epilogue) {
	sh, sw, dh, dw, groups := p.steps()
	if groups != 1 {
		panic("runtime.Conv2DTranspose: Groups must be 1")
	}
	c, oc := p.C, p.OC
	need("Conv2DTranspose", "x", x, p.N*p.H*p.W*c)
	need("Conv2DTranspose", "w", w, p.KH*p.KW*oc*c)
	need("Conv2DTranspose", "y", y, p.N*p.OH*p.OW*oc)
	if p.tiles() {
		if ep != nil && ep.Residual != nil {
			convTransposeTiles(p, x, w, y, nil)
			ep.Apply(0, p.N*p.OH*p.OW, oc, y, oc)
			return
		}
		convTransposeTiles(p, x, w, y, ep)
		return
	}
	clear(y[:p.N*p.OH*p.OW*oc])
	for n := 0; n < p.N; n++ {
		for ih := 0; ih < p.H; ih++ {
			for kh := 0; kh < p.KH; kh++ {
				oh := ih*sh + kh*dh - p.PadT
				if oh < 0 || oh >= p.OH {
					continue
				}
				for kw := 0; kw < p.KW; kw++ {
					lo, hi := validRange(p.W, p.OW, sw, kw*dw-p.PadL)
					if lo >= hi {
						continue
					}
					ow := lo*sw + kw*dw - p.PadL
					// Input pixels lo..hi-1 of this row, [· × C], times
					// w[kh,kw]ᵀ ([OC × C] stored), added to every SW-th
					// output pixel from ow.
					GemmNT(hi-lo, oc, c, x[((n*p.H+ih)*p.W+lo)*c:], c,
						w[(kh*p.KW+kw)*oc*c:], c,
						y[((n*p.OH+oh)*p.OW+ow)*oc:], sw*oc, true)
				}
			}
		}
	}
	ep.Apply(0, p.N*p.OH*p.OW, oc, y, oc)
}
