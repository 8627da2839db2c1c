// Spatial pooling over NHWC images.
//
// Contract: x is [N,H,W,C] and y is [N,OH,OW,C], both dense. Output pixel
// (oh, ow) pools the taps (oh*SH + kh - PadT, ow*SW + kw - PadL),
// 0 ≤ kh < KH, 0 ≤ kw < KW, that lie inside the input; taps in the padding
// are ignored: MaxPool2D takes the maximum of the inside taps (NaN if any
// is NaN) and AvgPool2D divides their sum by their count, as TF, JAX and
// Keras' documentation do for 'same' padding. A window with no inside tap
// (impossible with Keras' 'valid' and 'same') gives 0. Strides of 0 mean 1.
// The global pools reduce x [n, spatial, c] over spatial to y [n, c]; the
// averages accumulate in float64 (an empty reduction gives NaN for the mean
// and -Inf for the max). Every kernel writes all of its y and nothing else,
// reads only x, and panics if a slice is shorter than its shape.
//
// At the avx2 and avx512 levels MaxPool2D and AvgPool2D run the assembly
// of pool_amd64.go, vectorized over channels; pool2DGeneric is their
// pure-Go twin, which they match exactly (the same sums in the same order).

package runtime

import (
	"math"
	"sync"
)

// PoolParams describes a 2-D pooling window (see the file comment); a 1-D
// pool is the case H = KH = 1.
type PoolParams struct{ N, H, W, C, OH, OW, KH, KW, SH, SW, PadT, PadL int }

// window returns the inside taps of output pixel (oh, ow) as the half-open
// input ranges [h0,h1)×[w0,w1).
func (p *PoolParams) window(oh, ow int) (h0, h1, w0, w1 int) {
	h0 = oh*max(p.SH, 1) - p.PadT
	w0 = ow*max(p.SW, 1) - p.PadL
	h1 = min(h0+p.KH, p.H)
	w1 = min(w0+p.KW, p.W)
	return max(h0, 0), h1, max(w0, 0), w1
}

// MaxPool2D sets each output pixel of y to the channel-wise maximum of its
// window's inside taps.
func MaxPool2D(p *PoolParams, x, y []float32) {
	pool2D("MaxPool2D", p, x, y, true)
}

// AvgPool2D sets each output pixel of y to the channel-wise mean of its
// window's inside taps (padding is not counted).
func AvgPool2D(p *PoolParams, x, y []float32) {
	pool2D("AvgPool2D", p, x, y, false)
}

func pool2D(kernel string, p *PoolParams, x, y []float32, isMax bool) {
	need(kernel, "x", x, p.N*p.H*p.W*p.C)
	need(kernel, "y", y, p.N*p.OH*p.OW*p.C)
	rows := p.N * p.OH
	parts := partsFor(rows*p.OW*p.C*p.KH*p.KW*poolWork, rows)
	if parts <= 1 {
		poolRows(p, x, y, isMax, 0, rows)
		return
	}
	runSplit[poolOp](&poolJobs, poolOp{p: *p, x: x, y: y, isMax: isMax}, parts)
}

// poolWork is the work of one tap of one output value in minPartWork's units (multiply-adds of
// the GEMM kernels): on the Zen 5 a 2×2 max pooling over 8 channels takes ~0.04 ns a tap
// (tfjs-unet's first, 2×224×224×8: 135 µs), ~5 multiply-adds' time.
const poolWork = 6

// poolOp is one MaxPool2D or AvgPool2D call split across threads (runSplit) by output rows:
// each part pools a band of the N·OH rows, as the one-thread loop does, so the values do not
// depend on the threads. Before the split, the whole pooling ran on the caller while the
// convolution before it had been split: tfjs-unet's first pooling took 135 µs on one thread
// and 168 on two.
type poolOp struct {
	p     PoolParams
	x, y  []float32
	isMax bool
}

var poolJobs = sync.Pool{New: func() any { return new(splitJob[poolOp, *poolOp]) }}

func (o *poolOp) runPart(part, parts int) {
	lo, hi := split(o.p.N*o.p.OH, 1, part, parts)
	poolRows(&o.p, o.x, o.y, o.isMax, lo, hi)
}

// poolRows pools output rows lo…hi-1 of the N·OH (row r is row r mod OH of image r / OH).
func poolRows(p *PoolParams, x, y []float32, isMax bool, lo, hi int) {
	if haveAsm && cpuLevel != levelGeneric && p.C > 0 && p.KH > 0 && p.KW > 0 {
		pool2DAmd64(p, x, y, isMax, lo, hi)
		return
	}
	pool2DGeneric(p, x, y, isMax, lo, hi)
}

// pool2DGeneric is pool2D in pure Go on output rows lo…hi-1 (slices already checked).
func pool2DGeneric(p *PoolParams, x, y []float32, isMax bool, lo, hi int) {
	c := p.C
	for r := lo; r < hi; r++ {
		n, oh := r/p.OH, r%p.OH
		img := x[n*p.H*p.W*c:]
		for ow := 0; ow < p.OW; ow++ {
			yp := y[((n*p.OH+oh)*p.OW+ow)*c:][:c]
			h0, h1, w0, w1 := p.window(oh, ow)
			if h0 >= h1 || w0 >= w1 {
				clear(yp)
				continue
			}
			copy(yp, img[(h0*p.W+w0)*c:][:c])
			for ih := h0; ih < h1; ih++ {
				for iw := w0; iw < w1; iw++ {
					if ih == h0 && iw == w0 {
						continue
					}
					xp := img[(ih*p.W+iw)*c:][:c]
					if isMax {
						maxTo(yp, xp)
					} else {
						addTo(yp, xp)
					}
				}
			}
			if !isMax {
				count := float32((h1 - h0) * (w1 - w0))
				for j := range yp {
					yp[j] /= count
				}
			}
		}
	}
}

// maxTo sets y[j] = max(y[j], x[j]), NaN winning.
func maxTo(y, x []float32) {
	x = x[:len(y)]
	for j, v := range y {
		if u := x[j]; u > v || u != u {
			y[j] = u
		}
	}
}

// GlobalAvgPool sets y[n, c] to the mean of x[n, :, c] over spatial
// positions (Keras GlobalAveragePooling1D/2D/3D, channels last).
func GlobalAvgPool(n, spatial, c int, x, y []float32) {
	need("GlobalAvgPool", "x", x, n*spatial*c)
	need("GlobalAvgPool", "y", y, n*c)
	for b := 0; b < n; b++ {
		reduceAxis(spatial, c, x[b*spatial*c:], y[b*c:][:c], reduceMean)
	}
}

// GlobalMaxPool sets y[n, c] to the maximum of x[n, :, c] over spatial
// positions (Keras GlobalMaxPooling1D/2D/3D, channels last).
func GlobalMaxPool(n, spatial, c int, x, y []float32) {
	need("GlobalMaxPool", "x", x, n*spatial*c)
	need("GlobalMaxPool", "y", y, n*c)
	for b := 0; b < n; b++ {
		reduceAxis(spatial, c, x[b*spatial*c:], y[b*c:][:c], reduceMax)
	}
}

// negInf is float32 -Inf, the maximum of nothing.
var negInf = float32(math.Inf(-1))
