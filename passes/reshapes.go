package passes

import "github.com/kerasgen/kerasgen/ir"

// FoldReshapes lets the layers a Reshape separates from their producer reach it: a Conv1D is a
// 2-D Conv between Reshapes (to [N,1,L,C] and back), so its activation, batch norm or pooling
// would otherwise never meet it. Two rewrites, repeated until neither applies:
//
//   - A per-element op — a Unary, or a BatchNorm or Affine over the last axis when the Reshape
//     keeps that axis's length — whose input is a Reshape read by nothing else (and not a
//     graph output) runs before the Reshape instead: x → Reshape → op → … becomes
//     x → op → Reshape → …, the same values (a per-element op commutes with a reshape, a
//     per-channel one with a reshape that keeps the channels last).
//   - A Reshape of a Reshape read by nothing else reads the first one's input; when its shape
//     is that input's own, it goes (its uses read the input), unless it links a graph input
//     to a graph output.
//
// Guarantees: every value keeps its computed contents; the ops that moved keep their
// attributes; no Reshape reads a Reshape that only it reads.
func FoldReshapes(g *ir.Graph) error {
	for changed := true; changed; {
		changed = false
		uses := g.Uses()
		outputs := g.OutputSet()
		// single reports whether v is a Reshape's output that only one op reads.
		single := func(v *ir.Value) bool {
			return v.Def != nil && v.Def.Kind == "Reshape" && uses[v] == 1 && !outputs[v]
		}
		for i, op := range g.Ops {
			if len(op.In) == 0 || !single(op.In[0]) {
				continue
			}
			r := op.In[0].Def
			switch {
			case op.Kind == "Reshape":
				x, y := r.In[0], op.Out[0]
				op.In[0] = x // r is dead
				if y.Type.DType == x.Type.DType && y.Type.Shape.Equal(x.Type.Shape) && !(outputs[y] && x.Def == nil) {
					g.Replace(y, x) // and so is op
				}
				changed = true
			case movesAboveReshape(op, r):
				swapWithProducer(g, i, op, 0, !outputs[op.Out[0]])
				changed = true
			}
			if changed {
				break
			}
		}
		g.RemoveDead()
	}
	return nil
}

// movesAboveReshape reports whether op, whose input 0 is the output of Reshape r, computes
// the same values on r's input (see FoldReshapes).
func movesAboveReshape(op, r *ir.Op) bool {
	if r.In[0].Def == nil || r.In[0].IsConst() {
		return false // nothing above to meet
	}
	switch op.Kind {
	case "Unary":
		return true
	case "BatchNorm", "Affine":
		x, y := r.In[0].Type.Shape, r.Out[0].Type.Shape
		return len(x) > 0 && len(y) > 0 && x[len(x)-1] == y[len(y)-1] && x[len(x)-1].Static()
	}
	return false
}

// swapWithProducer rewrites x → r → op → y as x → op → r → y, where r is the one-input,
// one-output op whose output op (at index i of g.Ops) reads at input in: op reads x there and
// writes r's old output value, retyped as x; r reads that and writes y. With rename (y not a
// graph output, whose name may be the model's), the two values trade names, so that op's
// output keeps its name.
func swapWithProducer(g *ir.Graph, i int, op *ir.Op, in int, rename bool) {
	r := op.In[in].Def
	mid, y := r.Out[0], op.Out[0]
	mid.Type = r.In[0].Type
	if rename {
		mid.Name, y.Name = y.Name, mid.Name
	}
	op.In[in], op.Out[0], mid.Def = r.In[0], mid, op
	r.In[0], r.Out[0], y.Def = mid, y, r
	// r now follows op: move it from before op to just after it.
	j := 0
	for j < i && g.Ops[j] != r {
		j++
	}
	copy(g.Ops[j:i], g.Ops[j+1:i+1])
	g.Ops[i] = r
}
