package passes

import (
	"testing"

	"github.com/kerasgen/kerasgen/ir"
)

// TestReshapesGolden: per-element ops move above the Reshapes a Conv1D's lowering puts
// between them and the convolution, and chained Reshapes merge (before/after files in
// testdata/reshapes; the interpreter checks every case computes what it did).
func TestReshapesGolden(t *testing.T) {
	// conv1d builds x [N,L,C] → Reshape [N,1,L,C] → Conv 3-tap (3 filters) → Reshape [N,L',3]
	// and hands that to rest.
	conv1d := func(name string, l ir.Dim, rest func(b *builder, y *ir.Value) *ir.Graph) func(t testing.TB) *ir.Graph {
		return func(t testing.TB) *ir.Graph {
			b := newBuilder(t, name)
			x := b.in("x", ir.Batch, l, 2)
			h := b.op("Reshape", "conv", vals(x), ir.Attrs{"shape": []int{-1, 1, int(l), 2}})
			h = b.op("Conv", "conv", vals(h, b.c("conv.kernel", 1, 3, 2, 3), b.c("conv.bias", 3)), convAttrs(pad0))
			h = b.op("Reshape", "conv", vals(h), ir.Attrs{"shape": []int{-1, int(l) - 2, 3}})
			return rest(b, h)
		}
	}
	// next adds a second Conv1D on y [N,L,3], as Keras' lowering writes it.
	next := func(b *builder, y *ir.Value, l int) *ir.Value {
		h := b.op("Reshape", "conv_2", vals(y), ir.Attrs{"shape": []int{-1, 1, l, 3}})
		h = b.op("Conv", "conv_2", vals(h, b.c("conv_2.kernel", 1, 3, 3, 2)), convAttrs(pad0))
		return b.op("Reshape", "conv_2", vals(h), ir.Attrs{"shape": []int{-1, l - 2, 2}})
	}
	order := func(want string) func(t *testing.T, _ snapshot, g *ir.Graph) {
		return func(t *testing.T, _ snapshot, g *ir.Graph) { wantKinds(t, g, want) }
	}
	bnIn := func(b *builder, h *ir.Value) *ir.Value { return b.bn("bn", h, 3, true, true) }
	runGolden(t, "reshapes", FoldReshapes, []goldenCase{
		{"conv1d_relu_conv1d", conv1d("relu", 8, func(b *builder, y *ir.Value) *ir.Graph {
			y = b.op("Unary", "conv", vals(y), ir.Attrs{"fn": "relu"})
			return b.out(next(b, y, 6))
		}), order("Reshape Conv Unary Conv Reshape")},
		{"conv1d_bn_sigmoid", conv1d("bn", 8, func(b *builder, y *ir.Value) *ir.Graph {
			y = b.op("Unary", "act", vals(bnIn(b, y)), ir.Attrs{"fn": "sigmoid"})
			return b.out(y)
		}), order("Reshape Conv BatchNorm Unary Reshape")},
		{"affine", conv1d("affine", 8, func(b *builder, y *ir.Value) *ir.Graph {
			return b.out(b.op("Affine", "scale", vals(y, b.c("scale.s", 3), b.c("scale.b", 3)), nil))
		}), order("Reshape Conv Affine Reshape")},
		{"bn_channels_change", func(t testing.TB) *ir.Graph {
			// [N,4,6] → [N,6,4]: the channels change, a BatchNorm cannot move up.
			b := newBuilder(t, "bn channels")
			x := b.in("x", ir.Batch, 4, 6)
			h := b.op("Unary", "pre", vals(x), ir.Attrs{"fn": "tanh"})
			h = b.op("Reshape", "r", vals(h), ir.Attrs{"shape": []int{-1, 6, 4}})
			return b.out(b.bn("bn", h, 4, true, false))
		}, order("Unary Reshape BatchNorm")},
		{"reshape_read_twice", conv1d("read twice", 8, func(b *builder, y *ir.Value) *ir.Graph {
			r := b.op("Unary", "act", vals(y), ir.Attrs{"fn": "relu"})
			return b.out(r, b.op("Unary", "other", vals(y), ir.Attrs{"fn": "exp"}))
		}), order("Reshape Conv Reshape Unary Unary")},
		{"reshape_is_output", conv1d("output", 8, func(b *builder, y *ir.Value) *ir.Graph {
			return b.out(b.op("Unary", "act", vals(y), ir.Attrs{"fn": "relu"}), y)
		}), order("Reshape Conv Reshape Unary")},
		{"graph_input_reshape", func(t testing.TB) *ir.Graph {
			// Nothing above the Reshape to meet: the op stays.
			b := newBuilder(t, "input")
			x := b.in("x", ir.Batch, 4, 6)
			h := b.op("Reshape", "r", vals(x), ir.Attrs{"shape": []int{-1, 24}})
			return b.out(b.op("Unary", "act", vals(h), ir.Attrs{"fn": "relu"}))
		}, order("Reshape Unary")},
		{"chain_not_identity", func(t testing.TB) *ir.Graph {
			b := newBuilder(t, "chain")
			x := b.in("x", ir.Batch, 4, 6)
			h := b.op("Unary", "pre", vals(x), ir.Attrs{"fn": "tanh"})
			h = b.op("Reshape", "r1", vals(h), ir.Attrs{"shape": []int{-1, 24}})
			h = b.op("Reshape", "r2", vals(h), ir.Attrs{"shape": []int{-1, 2, 12}})
			return b.out(h)
		}, order("Unary Reshape")},
		{"input_to_output_chain", func(t testing.TB) *ir.Graph {
			// Reshape(Reshape(x)) = x with x a graph input and the result a graph output: kept.
			b := newBuilder(t, "input to output")
			x := b.in("x", ir.Batch, 4, 6)
			h := b.op("Reshape", "r1", vals(x), ir.Attrs{"shape": []int{-1, 24}})
			return b.out(b.op("Reshape", "r2", vals(h), ir.Attrs{"shape": []int{-1, 4, 6}}))
		}, order("Reshape")},
	})
}
