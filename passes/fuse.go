package passes

import "github.com/kerasgen/kerasgen/ir"

// FuseActivations moves an activation (a Unary op whose function is an activation) into
// the Conv, DepthwiseConv, ConvTranspose or MatMul producing its input, when that op has no
// activation yet and the activation is its only user (and its output is not a graph
// output). The producer then applies bias and activation in its epilogue.
func FuseActivations(g *ir.Graph) error {
	uses := g.Uses()
	outputs := g.OutputSet()
	kept := g.Ops[:0]
	for _, op := range g.Ops {
		fn := op.Attrs.String("fn", "")
		x := op.In[0]
		p := x.Def
		if op.Kind == "Unary" && ir.Activations[fn] && p != nil && uses[x] == 1 && !outputs[x] && fusible(p) {
			p.Attrs["act"] = fn
			for _, k := range []string{"alpha", "max_value", "threshold"} {
				if v, ok := op.Attrs[k]; ok {
					p.Attrs[k] = v
				}
			}
			g.Replace(op.Out[0], x)
			continue
		}
		kept = append(kept, op)
	}
	g.Ops = kept
	return nil
}

func fusible(op *ir.Op) bool {
	switch op.Kind {
	case "Conv", "DepthwiseConv", "ConvTranspose", "MatMul":
		return op.Attrs.String("act", "linear") == "linear"
	}
	return false
}
