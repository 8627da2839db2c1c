package passes

import "github.com/kerasgen/kerasgen/ir"

// FuseResidualAdds folds an elementwise Add into the Conv or MatMul producing one of its
// inputs, which then adds the other input (the residual) in its epilogue: when the producer
// has no residual yet, its output is used by the Add alone and is not a graph output, and
// both inputs have the Add's shape (no broadcasting). The residual is added before the
// producer's activation when that is linear (so a following activation can still fuse:
// act(x·w + b + r)), after it otherwise (act(x·w + b) + r). The fused op takes the Add's
// place in the op order, where the residual is known to be computed; the producer's own
// inputs come earlier still. When both inputs qualify, the later producer is fused.
func FuseResidualAdds(g *ir.Graph) error {
	uses := g.Uses()
	outputs := g.OutputSet()
	fused := map[*ir.Op]bool{}
	for i, op := range g.Ops {
		if op.Kind != "Binary" || op.Attrs.String("fn", "") != "add" || len(op.In) != 2 {
			continue
		}
		out := op.Out[0].Type.Shape
		var p *ir.Op
		var res *ir.Value
		for k, x := range op.In {
			d := x.Def
			r := op.In[1-k]
			if d == nil || fused[d] || uses[x] != 1 || outputs[x] || !residualFusible(d) ||
				!x.Type.Shape.Equal(out) || !r.Type.Shape.Equal(out) || r == x {
				continue
			}
			if p == nil || opIndex(g, d) > opIndex(g, p) {
				p, res = d, r
			}
		}
		if p == nil {
			continue
		}
		where := "before_act"
		if p.Attrs.String("act", "linear") != "linear" {
			where = "after_act"
		}
		if p.Attrs == nil {
			p.Attrs = ir.Attrs{}
		}
		p.Attrs["residual"] = where
		p.In = append(p.In, res)
		g.Replace(op.Out[0], p.Out[0])
		g.Ops[i] = p // p takes the Add's place; the Add is gone
		fused[p] = true
	}
	// A fused producer now appears twice (its old place and the Add's): keep the later.
	last := map[*ir.Op]int{}
	for i, op := range g.Ops {
		last[op] = i
	}
	kept := g.Ops[:0]
	for i, op := range g.Ops {
		if last[op] == i {
			kept = append(kept, op)
		}
	}
	g.Ops = kept
	return nil
}

// residualFusible reports whether op can take a residual input in its epilogue.
func residualFusible(op *ir.Op) bool {
	switch op.Kind {
	case "Conv", "MatMul":
		return op.Attrs.String("residual", "") == ""
	}
	return false
}

// opIndex returns op's position in g.Ops (-1 if absent).
func opIndex(g *ir.Graph, op *ir.Op) int {
	for i, o := range g.Ops {
		if o == op {
			return i
		}
	}
	return -1
}
