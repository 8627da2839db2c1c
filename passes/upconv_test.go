package passes

import (
	"fmt"
	"testing"

	"github.com/kerasgen/kerasgen/ir"
)

// TestUpconvGolden: which 2× nearest upsamplings fold into the convolution that reads them
// (before/after files in testdata/upconv; the interpreter checks every case computes what it
// did).
func TestUpconvGolden(t *testing.T) {
	nearest := func(h, w int) ir.Attrs { return ir.Attrs{"mode": "nearest", "size": []int{h, w}} }
	// upConv builds x (h×w×2) → Resize (resize) → Conv 3×3 (conv attrs, 3 channels, bias) →
	// graph output, with rest free to add another reader of the upsampled image.
	upConv := func(name string, h, w ir.Dim, resize, conv ir.Attrs, rest func(b *builder, up, c *ir.Value) *ir.Graph) func(t testing.TB) *ir.Graph {
		return func(t testing.TB) *ir.Graph {
			b := newBuilder(t, name)
			x := b.in("x", ir.Batch, h, w, 2)
			up := b.op("Resize", "up", vals(x), resize)
			c := b.op("Conv", "conv", vals(up, b.c("conv.kernel", 3, 3, 2, 3), b.c("conv.bias", 3)), conv)
			if rest != nil {
				return rest(b, up, c)
			}
			return b.out(c)
		}
	}
	folded := func(t *testing.T, _ snapshot, g *ir.Graph) {
		wantKinds(t, g, "Conv")
		c := opsOfKind(g, "Conv")[0]
		if c.In[0] != g.Inputs[0] || fmt.Sprint(c.Attrs["upsample"]) != "[2 2]" {
			t.Errorf("conv reads %s with attrs %v: want the graph's input, upsample [2 2]", c.In[0].Name, c.Attrs)
		}
	}
	kept := func(kinds string) func(t *testing.T, _ snapshot, g *ir.Graph) { return keptWithout(kinds, "upsample") }
	relu := func() ir.Attrs { return convAttrs(pad1, "act", "relu") } // a map per graph: the pass writes to it
	runGolden(t, "upconv", FuseUpsampledConvs, []goldenCase{
		{"folded", upConv("folded", 3, 5, nearest(6, 10), relu(), nil), folded},
		{"linear", upConv("linear", 4, 4, nearest(8, 8), convAttrs(pad1), nil), folded},
		// Not 2× in both axes, not nearest, not 'same', strided: kept.
		{"upsample_3x", upConv("3x", 3, 3, nearest(9, 9), relu(), nil), kept("Resize Conv")},
		{"upsample_2x1", upConv("2x1", 3, 3, nearest(6, 3), relu(), nil), kept("Resize Conv")},
		{"valid_conv", upConv("valid", 3, 3, nearest(6, 6), convAttrs(pad0, "act", "relu"), nil), kept("Resize Conv")},
		{"strided_conv", upConv("strided", 4, 4, nearest(8, 8), ir.Attrs{"strides": []int{2, 2}, "dilations": []int{1, 1}, "pads": []int{0, 1, 0, 1}, "act": "relu"}, nil), kept("Resize Conv")},
		// The upsampled image read twice, or a graph output: kept.
		{"upsampled_read_twice", upConv("twice", 3, 3, nearest(6, 6), relu(), func(b *builder, up, c *ir.Value) *ir.Graph {
			return b.out(c, b.op("Unary", "tanh", vals(up), ir.Attrs{"fn": "tanh"}))
		}), kept("Resize Conv Unary")},
		{"upsampled_is_output", upConv("output", 3, 3, nearest(6, 6), relu(), func(b *builder, up, c *ir.Value) *ir.Graph {
			return b.out(c, up)
		}), kept("Resize Conv")},
	})
}

// TestUpconvPipeline runs the whole pipeline on UpSampling2D → Conv2D → UpSampling2D → Conv2D
// (a decoder's tail, as denoise-ae ends) and checks both upsamplings folded and the outputs
// kept (checkRunEquivalent).
func TestUpconvPipeline(t *testing.T) {
	b := newBuilder(t, "decoder")
	x := b.in("x", ir.Batch, 3, 4, 4)
	up1 := b.op("Resize", "up1", vals(x), ir.Attrs{"mode": "nearest", "size": []int{6, 8}})
	c1 := b.op("Conv", "conv1", vals(up1, b.c("conv1.kernel", 3, 3, 4, 3), b.c("conv1.bias", 3)), convAttrs(pad1))
	r1 := b.op("Unary", "relu1", vals(c1), ir.Attrs{"fn": "relu"})
	up2 := b.op("Resize", "up2", vals(r1), ir.Attrs{"mode": "nearest", "size": []int{12, 16}})
	g := b.out(b.op("Conv", "conv2", vals(up2, b.c("conv2.kernel", 3, 3, 3, 1)), convAttrs(pad1, "act", "sigmoid")))
	checkRunEquivalent(t, g, 5)
	wantKinds(t, g, "Conv Conv")
	for _, c := range opsOfKind(g, "Conv") {
		if len(c.Attrs.Ints("upsample")) != 2 {
			t.Errorf("conv %s: attrs %v, want upsample", c.Layer, c.Attrs)
		}
	}
}
