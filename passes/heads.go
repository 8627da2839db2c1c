package passes

import "github.com/kerasgen/kerasgen/ir"

// FoldHeadTransposes lets batched products read and write attention's heads in place.
// MultiHeadAttention's lowering splits each projection [N, T, H·D] into heads by a Reshape to
// [N, T, H, D] and a Transpose to [N, H, T, D] for BatchMatMul, and joins the products'
// [N, H, T, D] back by a Transpose to [N, T, H, D]: each Transpose copies the tensor, where
// the product can read head h of sample n at stride H·D instead (runtime.GemmBatch's
// BatchOperand). A head Transpose is one of rank ≥ 4 that swaps the two axes before the
// last. Three rewrites, repeated until none applies:
//
//   - A head Transpose read only by BatchMatMul operands (and not a graph output) goes: the
//     products read its input, with swap_a / swap_b set on those operands.
//   - A head Transpose read only by a Binary whose other operand holds one value (the
//     query's 1/√D scale) runs after the Binary instead (the same values, element by
//     element), so that the first rewrite can reach the product.
//   - A BatchMatMul whose output (not a graph output) only a head Transpose reads writes the
//     transposed layout itself (swap_y), and the Transpose goes.
//
// Guarantees: every value the graph computes keeps its contents, and graph outputs their
// names; only BatchMatMul gains swap attributes, never twice on one operand.
func FoldHeadTransposes(g *ir.Graph) error {
	for changed := true; changed; {
		changed = false
		readers := g.Readers()
		outputs := g.OutputSet()
		for i, op := range g.Ops {
			switch {
			case isHeadTranspose(op) && !outputs[op.Out[0]] && readByProducts(op.Out[0], readers[op.Out[0]]):
				for _, mm := range readers[op.Out[0]] {
					for k, v := range mm.In {
						if v == op.Out[0] {
							mm.In[k] = op.In[0]
							mm.Attrs[swapAttr(k)] = true
						}
					}
				}
				changed = true
			case op.Kind == "Binary" && len(op.In) == 2:
				for k, v := range op.In {
					other := op.In[1-k]
					if v.Def != nil && isHeadTranspose(v.Def) && len(readers[v]) == 1 && !outputs[v] && v != other &&
						other.Type.Shape.Static() && other.Type.Shape.StaticSize() == 1 && len(other.Type.Shape) <= len(v.Type.Shape) {
						swapWithProducer(g, i, op, k, !outputs[op.Out[0]])
						changed = true
						break
					}
				}
			case op.Kind == "BatchMatMul" && !op.Attrs.Bool("swap_y", false) && !outputs[op.Out[0]]:
				rs := readers[op.Out[0]]
				if len(rs) != 1 || !isHeadTranspose(rs[0]) {
					break
				}
				t := rs[0]
				op.Attrs["swap_y"] = true
				op.Out[0].Type = t.Out[0].Type
				g.Replace(t.Out[0], op.Out[0])
				if outputs[t.Out[0]] {
					op.Out[0].Name = t.Out[0].Name // the model's output name stays
				}
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

// isHeadTranspose reports whether op is a Transpose of rank ≥ 4 that swaps the two axes
// before the last and keeps the others.
func isHeadTranspose(op *ir.Op) bool {
	if op.Kind != "Transpose" {
		return false
	}
	perm := op.Attrs.Ints("perm")
	r := len(perm)
	if r < 4 {
		return false
	}
	for i, p := range perm {
		want := i
		switch i {
		case r - 3:
			want = r - 2
		case r - 2:
			want = r - 3
		}
		if p != want {
			return false
		}
	}
	return true
}

// readByProducts reports whether v is read only by BatchMatMul operands not already swapped.
func readByProducts(v *ir.Value, readers []*ir.Op) bool {
	if len(readers) == 0 {
		return false
	}
	for _, op := range readers {
		if op.Kind != "BatchMatMul" {
			return false
		}
		for k, in := range op.In {
			if in == v && op.Attrs.Bool(swapAttr(k), false) {
				return false
			}
		}
	}
	return true
}

// swapAttr names the BatchMatMul attribute that says its input k (0: a, 1: b) is stored with
// its heads swapped.
func swapAttr(k int) string { return [...]string{"swap_a", "swap_b"}[k] }
