package passes

import "github.com/kerasgen/kerasgen/ir"

// FuseConvPools folds a max pooling with 2×2 windows and strides, or 1×2 ones (a
// MaxPooling1D(2) after a Conv1D), no padding ('valid'), into the Conv producing its input
// (attribute maxpool, the window): the Conv's output becomes the pooled image, and the
// runtime never stores the full one (runtime.Conv2DGemm*MaxPool) — nor, where the output's
// height or width is odd, computes the row or column the pooling drops. The
// Conv must be a matrix-product convolution (one group, not pointwise: the kernels that pool
// in registers are those), without a residual or a pooling already, its output static and
// read by the pooling alone, not a graph output; its activation, already fused, stays before
// the pooling. A per-channel Affine between them (a BatchNorm after the activation, which
// cannot fold into the Conv) with constant scales ≥ 0, read by the pooling alone, moves after
// it: the maximum of x·s + t is (max x)·s + t when s ≥ 0, rounding included, and the Affine
// then runs on a quarter of the pixels.
func FuseConvPools(g *ir.Graph) error {
	uses := g.Uses()
	outputs := g.OutputSet()
	single := func(v *ir.Value) bool { return uses[v] == 1 && !outputs[v] }
	kept := g.Ops[:0]
	for _, op := range g.Ops {
		ph := poolHeight(op)
		if ph == 0 || op.In[0].Def == nil || !single(op.In[0]) {
			kept = append(kept, op)
			continue
		}
		c, after := op.In[0].Def, (*ir.Op)(nil)
		if c.Kind == "Affine" && nonNegativeScale(c) && c.In[0].Def != nil && single(c.In[0]) {
			c, after = c.In[0].Def, c
		}
		if !poolableConv(c) {
			kept = append(kept, op)
			continue
		}
		c.Attrs["maxpool"] = []int{ph, 2}
		c.Out[0].Type = op.Out[0].Type
		c.Out[0].Name = op.Out[0].Name // the pooled image
		out := c.Out[0]
		if after != nil { // the Affine now reads the pooled image
			after.Out[0].Type = op.Out[0].Type
			out = after.Out[0]
		}
		g.Replace(op.Out[0], out)
	}
	g.Ops = kept
	return nil
}

// nonNegativeScale reports whether Affine op's scale is a constant with no value below 0
// (nor NaN).
func nonNegativeScale(op *ir.Op) bool {
	s := op.In[1]
	if !s.IsConst() {
		return false
	}
	for _, v := range s.Data {
		if !(v >= 0) {
			return false
		}
	}
	return true
}

// poolHeight returns the window height ph of op when op is a max Pool with windows and
// strides [ph, 2], ph 2 or 1, and no padding; else 0.
func poolHeight(op *ir.Op) int {
	win, st, pads := op.Attrs.Ints("window"), op.Attrs.Ints("strides"), op.Attrs.Ints("pads")
	if op.Kind != "Pool" || op.Attrs.String("mode", "") != "max" || len(win) != 2 || len(st) != 2 ||
		win[1] != 2 || st[0] != win[0] || st[1] != 2 || (win[0] != 1 && win[0] != 2) ||
		len(pads) != 4 || pads[0] != 0 || pads[1] != 0 || pads[2] != 0 || pads[3] != 0 {
		return 0
	}
	return win[0]
}

// poolableConv reports whether a pooling may fold into Conv op (see FuseConvPools).
func poolableConv(op *ir.Op) bool {
	return op.Kind == "Conv" && op.Attrs.Int("groups", 1) == 1 && !Pointwise(op) && op.Residual() == nil &&
		op.Attrs["maxpool"] == nil && staticImage(op.Out[0])
}
