// DepthwiseConv2D: the dispatching entry point and its pure-Go twin.
//
// Contract: as conv.go's file comment states for DepthwiseConv2D (x
// [N,H,W,C], w [KH,KW,C,M], y [N,OH,OW,C*M], every element of y written and
// nothing else, then ep applied; panics on a short slice before writing).
// With depth multiplier 1 at the avx2 and avx512 levels the assembly
// kernels of depthwise_amd64.go run, with ep's bias and a clamp activation
// (see fusedClamp) fused; otherwise, and for any other multiplier,
// depthwiseGeneric. The two agree within float32 rounding: both sum a
// pixel's taps in the same order, but the assembly fuses each multiply-add.

package runtime

import "math"

// DepthwiseConv2D sets y to the depthwise convolution of x with w (see the
// file comment of conv.go), then applies ep.
func DepthwiseConv2D(p *ConvParams, x, w, y []float32, ep *Epilogue) {
	c, oc := p.C, p.OC
	mult := 0
	if c > 0 {
		mult = oc / c
	}
	if mult*c != oc {
		panic("runtime.DepthwiseConv2D: OC is not a multiple of C")
	}
	need("DepthwiseConv2D", "x", x, p.N*p.H*p.W*c)
	need("DepthwiseConv2D", "w", w, p.KH*p.KW*oc)
	need("DepthwiseConv2D", "y", y, p.N*p.OH*p.OW*oc)
	if cpuLevel != levelGeneric && mult == 1 && c > 0 && p.KH > 0 && p.KW > 0 &&
		p.N*p.H*p.W > 0 && p.N*p.OH*p.OW > 0 {
		depthwiseAsm(p, x, w, y, ep)
		return
	}
	depthwiseGeneric(p, x, w, y, ep)
}

// fusedClamp returns what a fused epilogue does for ep on rows of n
// channels: add bias (nil: none), then clamp to [lo, hi] with NaN passing
// through. ok is false when ep needs more (a residual, or an activation
// that is not such a clamp); then bias is nil and [lo, hi] = [-Inf, +Inf].
func fusedClamp(ep *Epilogue, n int) (bias []float32, lo, hi float32, ok bool) {
	lo, hi = float32(math.Inf(-1)), float32(math.Inf(1))
	if ep == nil {
		return nil, lo, hi, true
	}
	if ep.Residual != nil {
		return nil, lo, hi, false
	}
	flo, fhi := lo, hi
	switch ep.Act {
	case ActLinear:
	case ActRelu:
		flo = 0
	case ActRelu6:
		flo, fhi = 0, 6
	case ActHardTanh:
		flo, fhi = -1, 1
	case ActReluFull:
		// min(x, max_value) above threshold 0, 0 below: a clamp when the
		// slope is 0 and max_value is not negative.
		q := ep.Params
		if q.Threshold != 0 || q.Alpha != 0 || (q.HasMax && !(q.MaxValue >= 0)) {
			return nil, lo, hi, false
		}
		flo = 0
		if q.HasMax {
			fhi = q.MaxValue
		}
	default:
		return nil, lo, hi, false
	}
	if ep.Bias != nil {
		need("Epilogue", "Bias", ep.Bias, n)
		bias = ep.Bias[:n]
	}
	return bias, flo, fhi, true
}

// depthwiseGeneric is DepthwiseConv2D in pure Go, for any depth multiplier
// (slices already checked).
func depthwiseGeneric(p *ConvParams, x, w, y []float32, ep *Epilogue) {
	sh, sw, dh, dw, _ := p.steps()
	c, oc := p.C, p.OC
	mult := 0
	if c > 0 {
		mult = oc / c
	}
	rowLen := p.OW * oc
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
				xrow := x[(n*p.H+ih)*p.W*c:]
				for kw := 0; kw < p.KW; kw++ {
					lo, hi := validRange(p.OW, p.W, sw, kw*dw-p.PadL)
					wt := w[(kh*p.KW+kw)*oc:][:oc]
					for ow := lo; ow < hi; ow++ {
						iw := ow*sw + kw*dw - p.PadL
						xp := xrow[iw*c:][:c]
						yp := yrow[ow*oc:][:oc]
						if mult == 1 {
							for j, v := range xp {
								yp[j] += v * wt[j]
							}
							continue
						}
						for j, v := range xp {
							yj := yp[j*mult:][:mult]
							wj := wt[j*mult:][:mult]
							for m := range yj {
								yj[m] += v * wj[m]
							}
						}
					}
				}
			}
			ep.Apply(row*p.OW, p.OW, oc, yrow, oc)
		}
	}
}
