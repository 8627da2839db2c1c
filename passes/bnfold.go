package passes

import (
	"fmt"
	"math"

	"github.com/kerasgen/kerasgen/ir"
)

// FoldBatchNorm removes every BatchNorm op. With scale = gamma/sqrt(variance+eps) and
// shift = beta - mean*scale (computed in float64, rounded once to float32):
//   - a BatchNorm whose input comes from a Conv, DepthwiseConv, ConvTranspose or MatMul
//     with no activation, used only by the BatchNorm, is folded into that op: the kernel's
//     output channels are multiplied by scale and the bias becomes bias*scale + shift;
//   - any other BatchNorm becomes an Affine op (x*scale + shift over the last axis).
func FoldBatchNorm(g *ir.Graph) error {
	removed := map[*ir.Op]bool{}
	for _, op := range append([]*ir.Op{}, g.Ops...) {
		if op.Kind != "BatchNorm" {
			continue
		}
		scale, shift, err := bnScaleShift(op)
		if err != nil {
			return fmt.Errorf("BatchNorm (layer %s): %w", op.Layer, err)
		}
		// Use counts are taken afresh for every BatchNorm (an earlier fold redirects readers),
		// leaving out the BatchNorms already folded away.
		uses := map[*ir.Value]int{}
		for _, o := range g.Ops {
			if !removed[o] {
				for _, v := range o.In {
					uses[v]++
				}
			}
		}
		for _, v := range g.Outputs {
			uses[v]++
		}
		outputs := g.OutputSet()
		x := op.In[0]
		if p := x.Def; p != nil && uses[x] == 1 && !outputs[x] && foldable(p) {
			foldInto(g, p, scale, shift)
			g.Replace(op.Out[0], x)
			removed[op] = true
			continue
		}
		c := len(scale)
		sv := g.AddConst(op.Layer+".bn_scale", ir.Shape{ir.Dim(c)}, scale)
		hv := g.AddConst(op.Layer+".bn_shift", ir.Shape{ir.Dim(c)}, shift)
		op.Kind, op.In, op.Attrs = "Affine", []*ir.Value{x, sv, hv}, ir.Attrs{}
	}
	kept := g.Ops[:0]
	for _, op := range g.Ops {
		if !removed[op] {
			kept = append(kept, op)
		}
	}
	g.Ops = kept
	g.RemoveDead()
	return nil
}

// bnScaleShift computes a BatchNorm's per-channel scale and shift.
func bnScaleShift(op *ir.Op) (scale, shift []float32, err error) {
	mean, variance := op.In[1], op.In[2]
	if !mean.IsConst() || !variance.IsConst() {
		return nil, nil, fmt.Errorf("statistics are not constants")
	}
	next := 3
	var gamma, beta []float32
	for _, p := range []struct {
		attr string
		dst  *[]float32
	}{{"has_gamma", &gamma}, {"has_beta", &beta}} {
		if !op.Attrs.Bool(p.attr, false) {
			continue
		}
		if next >= len(op.In) || !op.In[next].IsConst() {
			return nil, nil, fmt.Errorf("%s is set but its parameter is not a constant", p.attr)
		}
		*p.dst, next = op.In[next].Data, next+1
	}
	eps := op.Attrs.Float("eps", 1e-3)
	c := len(mean.Data)
	scale, shift = make([]float32, c), make([]float32, c)
	for i := 0; i < c; i++ {
		s := 1 / math.Sqrt(float64(variance.Data[i])+float64(float32(eps)))
		if gamma != nil {
			s *= float64(gamma[i])
		}
		b := -float64(mean.Data[i]) * s
		if beta != nil {
			b += float64(beta[i])
		}
		scale[i], shift[i] = float32(s), float32(b)
	}
	return scale, shift, nil
}

// foldable reports whether a BatchNorm can be folded into op.
func foldable(op *ir.Op) bool {
	switch op.Kind {
	case "Conv", "DepthwiseConv", "ConvTranspose", "MatMul":
		return op.Attrs.String("act", "linear") == "linear" && op.Residual() == nil && op.In[1].IsConst() &&
			(op.Bias() == nil || op.Bias().IsConst())
	}
	return false
}

// foldInto scales op's kernel per output channel and sets its bias to bias*scale + shift.
func foldInto(g *ir.Graph, op *ir.Op, scale, shift []float32) {
	w := op.In[1]
	shape := w.Type.Shape
	data := make([]float32, len(w.Data))
	// The output channel of each kernel element: the last axis, except ConvTranspose's
	// kernel (KH, KW, OC, C), where it is axis 2.
	inner, channels := 1, len(scale)
	if op.Kind == "ConvTranspose" {
		inner = int(shape[3])
	}
	for i, v := range w.Data {
		data[i] = float32(float64(v) * float64(scale[(i/inner)%channels]))
	}
	op.In[1] = g.AddConst(w.Name+"_bnfolded", shape, data)
	bias := make([]float32, channels)
	for c := range bias {
		b := 0.0
		if len(op.In) == 3 {
			b = float64(op.In[2].Data[c])
		}
		bias[c] = float32(b*float64(scale[c]) + float64(shift[c]))
	}
	bv := g.AddConst(op.Layer+".bias_bnfolded", ir.Shape{ir.Dim(channels)}, bias)
	if len(op.In) == 3 {
		op.In[2] = bv
	} else {
		op.In = append(op.In, bv)
	}
}
