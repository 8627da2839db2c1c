package passes

import (
	"fmt"
	"testing"

	"github.com/kerasgen/kerasgen/ir"
)

// TestConvPoolGolden: which poolings fold into their convolution (before/after files in
// testdata/convpool; the interpreter checks every case computes what it did).
func TestConvPoolGolden(t *testing.T) {
	poolAttrs := func(win, st int, pads []int) ir.Attrs {
		return ir.Attrs{"mode": "max", "window": []int{win, win}, "strides": []int{st, st}, "pads": pads}
	}
	// convPool builds x (h×w×2) → Conv 3×3 (pads, relu) → pool → graph output, with rest
	// free to add another reader of the conv's output.
	convPool := func(name string, h, w ir.Dim, conv ir.Attrs, pool ir.Attrs, rest func(b *builder, c, p *ir.Value) *ir.Graph) func(t testing.TB) *ir.Graph {
		return func(t testing.TB) *ir.Graph {
			b := newBuilder(t, name)
			x := b.in("x", ir.Batch, h, w, 2)
			c := b.op("Conv", "conv", vals(x, b.c("conv.kernel", 3, 3, 2, 3), b.c("conv.bias", 3)), conv)
			p := b.op("Pool", "pool", vals(c), pool)
			if rest != nil {
				return rest(b, c, p)
			}
			return b.out(p)
		}
	}
	// pool1x2 is a 'valid' max pooling of window [1, 2] and the given strides.
	pool1x2 := func(st []int) ir.Attrs {
		return ir.Attrs{"mode": "max", "window": []int{1, 2}, "strides": st, "pads": pad0}
	}
	// rowPooled checks that the graph is one Conv with maxpool [1 2].
	rowPooled := func(t *testing.T, _ snapshot, g *ir.Graph) {
		wantKinds(t, g, "Conv")
		if a := opsOfKind(g, "Conv")[0].Attrs; fmt.Sprint(a["maxpool"]) != "[1 2]" {
			t.Errorf("attrs %v, want maxpool [1 2]", a)
		}
	}
	relu := func() ir.Attrs { return convAttrs(pad0, "act", "relu") } // a map per graph: the pass writes to it
	folded := func(t *testing.T, _ snapshot, g *ir.Graph) {
		wantKinds(t, g, "Conv")
		if c := opsOfKind(g, "Conv")[0]; fmt.Sprint(c.Attrs["maxpool"]) != "[2 2]" || c.Out[0].Name != "pool" {
			t.Errorf("conv %v, output %s: want maxpool [2 2], the pool's output name", c.Attrs, c.Out[0].Name)
		}
	}
	kept := func(kinds string) func(t *testing.T, _ snapshot, g *ir.Graph) { return keptWithout(kinds, "maxpool") }
	// pooled builds x [N, h, w, c] → what producer makes of it → pool → graph output.
	pooled := func(name string, h, w, c ir.Dim, pool ir.Attrs, producer func(b *builder, x *ir.Value) *ir.Value) func(t testing.TB) *ir.Graph {
		return func(t testing.TB) *ir.Graph {
			b := newBuilder(t, name)
			x := b.in("x", ir.Batch, h, w, c)
			return b.out(b.op("Pool", "pool", vals(producer(b, x)), pool))
		}
	}
	// affinePool pools Conv → relu → Affine (a BatchNorm after the activation), the Affine's
	// scales given: ≥ 0, it moves after the pooling.
	affinePool := func(name string, scale []float32) func(t testing.TB) *ir.Graph {
		return pooled(name, 6, 6, 2, poolAttrs(2, 2, pad0), func(b *builder, x *ir.Value) *ir.Value {
			c := b.op("Conv", "conv", vals(x, b.c("conv.kernel", 3, 3, 2, 3), b.c("conv.bias", 3)), relu())
			return b.op("Affine", "bn", vals(c, b.g.AddConst("bn.scale", ir.Shape{3}, scale), b.c("bn.shift", 3)), nil)
		})
	}
	runGolden(t, "convpool", FuseConvPools, []goldenCase{
		{"even", convPool("even", 6, 8, relu(), poolAttrs(2, 2, pad0), nil), folded},
		{"odd_padded_conv", convPool("odd", 7, 5, convAttrs(pad1, "act", "leaky_relu", "alpha", 0.1), poolAttrs(2, 2, pad0), nil), folded},
		{"linear_conv", convPool("linear", 6, 6, convAttrs(pad0), poolAttrs(2, 2, pad0), nil), folded},
		// A 1×2 pooling (MaxPooling1D(2) after a Conv1D), here of a 2-D image: maxpool [1 2].
		{"row_pool", convPool("row pool", 5, 7, relu(), pool1x2([]int{1, 2}), nil), rowPooled},
		// Conv1D → MaxPooling1D(2) as the lowering writes them once the reshapes pass has run: a
		// Conv of height 1, then the 1×2 pooling; an odd length (7 → 3).
		{"conv1d_pool", pooled("conv1d pool", 1, 9, 2, pool1x2([]int{1, 2}), func(b *builder, x *ir.Value) *ir.Value {
			return b.op("Conv", "conv", vals(x, b.c("conv.kernel", 1, 3, 2, 3), b.c("conv.bias", 3)), relu())
		}), rowPooled},
		{"row_pool_stride_1", convPool("row stride 1", 5, 7, relu(), pool1x2([]int{1, 1}), nil), kept("Conv Pool")},
		{"window_3", convPool("window 3", 7, 7, relu(), poolAttrs(3, 2, pad0), nil), kept("Conv Pool")},
		{"stride_1", convPool("stride 1", 6, 6, relu(), poolAttrs(2, 1, pad0), nil), kept("Conv Pool")},
		{"padded_pool", convPool("padded pool", 5, 5, relu(), poolAttrs(2, 2, []int{0, 1, 0, 1}), nil), kept("Conv Pool")},
		{"avg_pool", convPool("avg", 6, 6, relu(), ir.Attrs{"mode": "avg", "window": []int{2, 2}, "strides": []int{2, 2}, "pads": pad0}, nil), kept("Conv Pool")},
		{"conv_read_twice", convPool("read twice", 6, 6, relu(), poolAttrs(2, 2, pad0), func(b *builder, c, p *ir.Value) *ir.Graph {
			r := b.op("Reshape", "flat", vals(c), ir.Attrs{"shape": []int{-1, 48}}) // 4×4×3
			return b.out(p, r)
		}), kept("Conv Pool Reshape")},
		{"conv_is_output", convPool("conv output", 6, 6, relu(), poolAttrs(2, 2, pad0), func(b *builder, c, p *ir.Value) *ir.Graph {
			return b.out(p, c)
		}), kept("Conv Pool")},
		{"pointwise", pooled("pointwise", 4, 4, 2, poolAttrs(2, 2, pad0), func(b *builder, x *ir.Value) *ir.Value {
			return b.op("Conv", "conv", vals(x, b.c("conv.kernel", 1, 1, 2, 3)), relu())
		}), kept("Conv Pool")},
		{"depthwise", pooled("depthwise", 6, 6, 2, poolAttrs(2, 2, pad0), func(b *builder, x *ir.Value) *ir.Value {
			return b.op("DepthwiseConv", "dw", vals(x, b.c("dw.kernel", 3, 3, 2, 1)), relu())
		}), kept("DepthwiseConv Pool")},
		{"residual_conv", pooled("residual", 6, 6, 2, poolAttrs(2, 2, pad0), func(b *builder, x *ir.Value) *ir.Value {
			r := b.in("r", ir.Batch, 4, 4, 3)
			return b.op("Conv", "conv", vals(x, b.c("conv.kernel", 3, 3, 2, 3), r), convAttrs(pad0, "residual", "before_act"))
		}), kept("Conv Pool")},
		{"affine_between", affinePool("affine", []float32{0.5, 0, 1}), func(t *testing.T, _ snapshot, g *ir.Graph) {
			wantKinds(t, g, "Conv Affine")
			if opsOfKind(g, "Conv")[0].Attrs["maxpool"] == nil {
				t.Error("the conv did not take the pooling")
			}
		}},
		{"affine_negative_scale", affinePool("affine negative", []float32{0.5, -0.25, 1}), kept("Conv Affine Pool")},
		{"two_stages", func(t testing.TB) *ir.Graph {
			// The bench CNN's shape: conv → pool → conv → pool, the second conv's output 5×5 (odd).
			b := newBuilder(t, "two stages")
			x := b.in("x", ir.Batch, 16, 16, 1)
			h := b.op("Conv", "conv_1", vals(x, b.c("k1", 3, 3, 1, 4), b.c("b1", 4)), relu())
			h = b.op("Pool", "pool_1", vals(h), poolAttrs(2, 2, pad0))
			h = b.op("Conv", "conv_2", vals(h, b.c("k2", 3, 3, 4, 3), b.c("b2", 3)), relu())
			h = b.op("Pool", "pool_2", vals(h), poolAttrs(2, 2, pad0))
			return b.out(b.op("Reshape", "flatten", vals(h), ir.Attrs{"shape": []int{-1, 2 * 2 * 3}}))
		}, func(t *testing.T, _ snapshot, g *ir.Graph) { wantKinds(t, g, "Conv Conv Reshape") }},
	})
}
