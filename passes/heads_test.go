package passes

import (
	"testing"

	"github.com/kerasgen/kerasgen/ir"
)

// TestHeadsGolden: the Transposes MultiHeadAttention's lowering puts around its batched
// products go, the products reading and writing the heads in place (swap attributes), and
// Transposes the rewrite cannot remove stay (before/after files in testdata/heads; the
// interpreter checks every case computes what it did).
func TestHeadsGolden(t *testing.T) {
	const tq, heads, dim = 3, 2, 2
	perm := ir.Attrs{"perm": []int{0, 2, 1, 3}}
	// split projects x [N, T, 4] to [N, T, H·D], then to heads [N, H, T, D].
	split := func(b *builder, name string, x *ir.Value) *ir.Value {
		h := b.op("MatMul", name, vals(x, b.c(name+".kernel", 4, heads*dim), b.c(name+".bias", heads*dim)), nil)
		h = b.op("Reshape", name, vals(h), ir.Attrs{"shape": []int{-1, tq, heads, dim}})
		return b.op("Transpose", name, vals(h), perm)
	}
	// mha builds MultiHeadAttention as the frontend lowers it; tail gets its context
	// [N, H, T, D] and returns the graph.
	mha := func(name string, tail func(b *builder, ctx *ir.Value) *ir.Graph) func(t testing.TB) *ir.Graph {
		return func(t testing.TB) *ir.Graph {
			b := newBuilder(t, name)
			x := b.in("x", ir.Batch, tq, 4)
			q := split(b, "query", x)
			q = b.op("Binary", "mha", vals(q, b.g.AddConst("scale", ir.Shape{}, []float32{0.5})), ir.Attrs{"fn": "mul"})
			k, v := split(b, "key", x), split(b, "value", x)
			s := b.op("BatchMatMul", "mha", vals(q, k), ir.Attrs{"transpose_b": true})
			p := b.op("Softmax", "mha", vals(s), ir.Attrs{"axis": -1})
			return tail(b, b.op("BatchMatMul", "mha", vals(p, v), nil))
		}
	}
	// join ends MultiHeadAttention: context [N, H, T, D] back to [N, T, H·D], projected.
	join := func(b *builder, ctx *ir.Value) *ir.Graph {
		y := b.op("Transpose", "mha", vals(ctx), perm)
		y = b.op("Reshape", "mha", vals(y), ir.Attrs{"shape": []int{-1, tq, heads * dim}})
		return b.out(b.op("MatMul", "out", vals(y, b.c("out.kernel", heads*dim, 4)), nil))
	}
	swaps := func(want ...string) func(t *testing.T, _ snapshot, g *ir.Graph) {
		return func(t *testing.T, _ snapshot, g *ir.Graph) {
			for i, mm := range opsOfKind(g, "BatchMatMul") {
				got := ""
				for _, k := range []string{"swap_a", "swap_b", "swap_y"} {
					if mm.Attrs.Bool(k, false) {
						got += k[5:]
					}
				}
				if got != want[i] {
					t.Errorf("BatchMatMul %d swaps %q, want %q", i, got, want[i])
				}
			}
		}
	}
	runGolden(t, "heads", FoldHeadTransposes, []goldenCase{
		{"mha", mha("mha", join), func(t *testing.T, s snapshot, g *ir.Graph) {
			wantKinds(t, g, "MatMul Reshape Binary MatMul Reshape MatMul Reshape BatchMatMul Softmax BatchMatMul Reshape MatMul")
			swaps("ab", "by")(t, s, g)
		}},
		{"context_is_output", mha("context output", func(b *builder, ctx *ir.Value) *ir.Graph {
			return b.out(b.op("Transpose", "mha", vals(ctx), perm))
		}), func(t *testing.T, s snapshot, g *ir.Graph) {
			// The product writes the graph's output in the transposed layout; the output keeps its name.
			wantKinds(t, g, "MatMul Reshape Binary MatMul Reshape MatMul Reshape BatchMatMul Softmax BatchMatMul")
			swaps("ab", "by")(t, s, g)
		}},
		{"heads_read_twice", mha("read twice", func(b *builder, ctx *ir.Value) *ir.Graph {
			// The context is read by its Transpose and by an Unary: the product keeps its layout.
			y := join(b, ctx).Outputs[0]
			b.g.Outputs = nil
			return b.out(y, b.op("Unary", "other", vals(ctx), ir.Attrs{"fn": "tanh"}))
		}), func(t *testing.T, s snapshot, g *ir.Graph) { swaps("ab", "b")(t, s, g) }},
		{"transpose_read_twice", func(t testing.TB) *ir.Graph {
			// The keys' Transpose is also read by an Unary, and the scale is not one value.
			b := newBuilder(t, "transpose read twice")
			x := b.in("x", ir.Batch, tq, 4)
			q := split(b, "query", x)
			q = b.op("Binary", "mha", vals(q, b.c("scale", dim)), ir.Attrs{"fn": "mul"})
			k := split(b, "key", x)
			s := b.op("BatchMatMul", "mha", vals(q, k), ir.Attrs{"transpose_b": true})
			return b.out(s, b.op("Unary", "other", vals(k), ir.Attrs{"fn": "tanh"}))
		}, func(t *testing.T, s snapshot, g *ir.Graph) {
			wantKinds(t, g, "MatMul Reshape Transpose Binary MatMul Reshape Transpose BatchMatMul Unary")
			swaps("")(t, s, g)
		}},
		{"other_perms", func(t testing.TB) *ir.Graph {
			// Transposes that do not swap the heads with the rows stay.
			b := newBuilder(t, "other perms")
			x := b.in("x", ir.Batch, 2, 3, 4)
			a := b.op("Transpose", "a", vals(x), ir.Attrs{"perm": []int{0, 1, 3, 2}}) // [N, 2, 4, 3]
			c := b.op("Transpose", "c", vals(x), ir.Attrs{"perm": []int{0, 3, 2, 1}}) // [N, 4, 3, 2]
			c = b.op("Reshape", "c", vals(c), ir.Attrs{"shape": []int{-1, 2, 3, 4}})
			y := b.op("BatchMatMul", "mm", vals(c, a), nil) // [N, 2, 3, 3]
			return b.out(b.op("Transpose", "y", vals(y), ir.Attrs{"perm": []int{0, 3, 2, 1}}))
		}, func(t *testing.T, s snapshot, g *ir.Graph) {
			wantKinds(t, g, "Transpose Transpose Reshape BatchMatMul Transpose")
			swaps("")(t, s, g)
		}},
	})
}
