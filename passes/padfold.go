package passes

import "github.com/kerasgen/kerasgen/ir"

// FoldPads removes a zero Pad of the two spatial axes of an NHWC tensor (Keras
// ZeroPadding2D, as MobileNetV2 puts before its stride-2 depthwise convolutions) whose only
// users are Conv or DepthwiseConv ops reading it as their input: each of them reads the
// unpadded tensor instead, with the Pad's rows and columns added to its own padding, which
// reads zeros there just the same. The Pad's output must not be a graph output.
func FoldPads(g *ir.Graph) error {
	users := g.Readers()
	outputs := g.OutputSet()
	kept := g.Ops[:0]
	for _, op := range g.Ops {
		y := op.Out[0]
		if op.Kind != "Pad" || !spatialZeroPad(op) || outputs[y] || len(users[y]) == 0 || !padFoldable(y, users[y]) {
			kept = append(kept, op)
			continue
		}
		b, a := op.Attrs.Ints("before"), op.Attrs.Ints("after")
		for _, c := range users[y] {
			p := append([]int{}, c.Attrs.Ints("pads")...) // top, bottom, left, right
			p[0], p[1], p[2], p[3] = p[0]+b[1], p[1]+a[1], p[2]+b[2], p[3]+a[2]
			c.Attrs["pads"] = p
			c.In[0] = op.In[0]
		}
	}
	g.Ops = kept
	return nil
}

// spatialZeroPad reports whether a Pad pads only axes 1 and 2 of a rank-4 tensor, with zeros.
func spatialZeroPad(op *ir.Op) bool {
	b, a := op.Attrs.Ints("before"), op.Attrs.Ints("after")
	return len(b) == 4 && len(a) == 4 && op.Attrs.Float("value", 0) == 0 &&
		b[0] == 0 && a[0] == 0 && b[3] == 0 && a[3] == 0
}

// padFoldable reports whether every user of the padded value y is a Conv or DepthwiseConv
// reading it as its input (only).
func padFoldable(y *ir.Value, users []*ir.Op) bool {
	for _, c := range users {
		if (c.Kind != "Conv" && c.Kind != "DepthwiseConv") || c.In[0] != y || len(c.Attrs.Ints("pads")) != 4 {
			return false
		}
		for _, v := range c.In[1:] {
			if v == y {
				return false
			}
		}
	}
	return true
}
