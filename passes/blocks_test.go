package passes

import (
	"testing"

	"github.com/kerasgen/kerasgen/ir"
	"github.com/stretchr/testify/require"
)

// blockGraph is an inverted-residual block on an hw×hw×c image (expand to e channels, 3×3
// depthwise with stride s, project back to c, a residual add at stride 1) between two 1×1
// convolutions; change (if not nil) alters it before the passes run.
func blockGraph(t *testing.T, hw, c, e, s int, change func(b *builder, x, ex, dw *ir.Value) (*ir.Value, *ir.Value)) *ir.Graph {
	b := newBuilder(t, "block")
	x := b.in("x", ir.Batch, ir.Dim(hw), ir.Dim(hw), ir.Dim(c))
	x = b.op("Conv", "stem", vals(x, b.c("k0", 1, 1, ir.Dim(c), ir.Dim(c))), convAttrs(pad0))
	ex := b.op("Conv", "expand", vals(x, b.c("ke", 1, 1, ir.Dim(c), ir.Dim(e)), b.c("be", ir.Dim(e))), convAttrs(pad0, "act", "relu"))
	pads := pad1
	if s == 2 {
		pads = []int{0, 1, 0, 1}
	}
	dw := b.op("DepthwiseConv", "depthwise", vals(ex, b.c("kd", 3, 3, ir.Dim(e), 1)), ir.Attrs{"strides": []int{s, s}, "dilations": one2, "pads": pads, "act": "relu"})
	var extra *ir.Value
	if change != nil {
		dw, extra = change(b, x, ex, dw)
	}
	y := b.op("Conv", "project", vals(dw, b.c("kp", 1, 1, ir.Dim(e), ir.Dim(c))), convAttrs(pad0))
	if s == 1 {
		y = b.op("Binary", "add", vals(y, x), ir.Attrs{"fn": "add"})
	}
	y = b.op("Conv", "tail", vals(y, b.c("kt", 1, 1, ir.Dim(c), ir.Dim(c))), convAttrs(pad0))
	if extra != nil {
		return b.out(y, extra)
	}
	return b.out(y)
}

// bands returns each DepthwiseConv's band attribute (0: none).
func bands(g *ir.Graph) []int {
	var bs []int
	for _, op := range g.Ops {
		if op.Kind == "DepthwiseConv" {
			bs = append(bs, op.Attrs.Int("band", 0))
		}
	}
	return bs
}

// TestFuseBlocks checks that the blocks pass marks an inverted-residual block, with or without
// a residual, at stride 1 and 2, and that Blocks and the memory plan see it: the expanded and
// depthwise values get no buffer and the block's input lives until the block's call.
func TestFuseBlocks(t *testing.T) {
	for _, s := range []int{1, 2} {
		g := blockGraph(t, 56, 24, 144, s, nil)
		require.NoError(t, Run(g, nil))
		bs := Blocks(g)
		require.Len(t, bs, 1)
		b := bs[0]
		require.Equal(t, []string{"expand", "depthwise", "project"}, []string{b.Expand.Layer, b.Depthwise.Layer, b.Project.Layer})
		require.Equal(t, b.Band, b.Depthwise.Attrs.Int("band", 0))
		require.Equal(t, s == 1, b.Project.Residual() != nil, "residual folded into the project")
		p := PlanMemory(g)
		for _, v := range []*ir.Value{b.Expand.Out[0], b.Depthwise.Out[0]} {
			_, _, ok := p.Buffer(v)
			require.False(t, ok, "%s has a buffer", v.Name)
		}
		x, y := b.Expand.In[0], b.Project.Out[0]
		xo, xs, ok := p.Buffer(x)
		require.True(t, ok)
		yo, ys, ok := p.Buffer(y)
		require.True(t, ok)
		require.True(t, xo+xs <= yo || yo+ys <= xo, "the block's input and output share memory")
	}
}

// TestBlockBand checks the rows per band on MobileNetV2-224's blocks: the most whose expanded
// rows and depthwise output fit blockL2Budget (bytes = 4·E·(input rows·W + band·OW)).
func TestBlockBand(t *testing.T) {
	for _, c := range []struct{ hw, e, s, want int }{
		{112, 96, 2, 4},  // (9·112 + 4·56)·96·4 = 473,088 bytes; 5 rows: 580,608
		{56, 144, 1, 7},  // (9·56 + 7·56)·144·4 = 516,096; 8 rows: 580,608
		{56, 144, 2, 6},  // (13·56 + 6·28)·144·4 = 516,096; 7 rows: 596,736
		{28, 192, 1, 11}, // (13·28 + 11·28)·192·4 = 516,096; 12 rows: 559,104
		{14, 384, 1, 11}, // (13·14 + 11·14)·384·4 = 516,096; 12 rows: 559,104
		{7, 960, 1, 7},   // the whole map: (7·7 + 7·7)·960·4 = 376,320
	} {
		g := blockGraph(t, c.hw, 24, c.e, c.s, nil)
		require.NoError(t, Run(g, nil))
		bs := Blocks(g)
		require.Len(t, bs, 1)
		d := bs[0].Depthwise
		h, w, e := c.hw, c.hw, c.e
		oh := int(d.Out[0].Type.Shape[1])
		bytes := func(b int) int { return 4 * e * (min((b-1)*c.s+3, h)*w + b*oh) }
		require.LessOrEqual(t, bytes(bs[0].Band), blockL2Budget, "%+v", c)
		if bs[0].Band < oh {
			require.Greater(t, bytes(bs[0].Band+1), blockL2Budget, "%+v", c)
		}
		require.Equal(t, c.want, bs[0].Band, "%+v", c)
	}
}

// TestFuseBlocksLeavesAlone checks the chains the pass must not mark, and those whose expand
// layer must stay out of the block (the depthwise and project layers then form a block
// without one).
func TestFuseBlocksLeavesAlone(t *testing.T) {
	// The expanded value is read twice: the expand layer runs on its own.
	g := blockGraph(t, 16, 8, 48, 1, func(b *builder, x, ex, dw *ir.Value) (*ir.Value, *ir.Value) {
		return dw, b.op("Reduce", "gap", vals(ex), ir.Attrs{"mode": "mean", "axes": []int{1, 2}})
	})
	require.NoError(t, Run(g, nil))
	bs := Blocks(g)
	require.Len(t, bs, 1)
	require.Nil(t, bs[0].Expand, "expanded value read twice")
	require.Equal(t, "depthwise", bs[0].Depthwise.Layer)
	for name, change := range map[string]func(b *builder, x, ex, dw *ir.Value) (*ir.Value, *ir.Value){
		"depthwise value read twice": func(b *builder, x, ex, dw *ir.Value) (*ir.Value, *ir.Value) {
			return dw, b.op("Reduce", "gap", vals(dw), ir.Attrs{"mode": "mean", "axes": []int{1, 2}})
		},
		"depthwise value a graph output": func(b *builder, x, ex, dw *ir.Value) (*ir.Value, *ir.Value) {
			return dw, dw
		},
		"a depthwise multiplier of 2": func(b *builder, x, ex, dw *ir.Value) (*ir.Value, *ir.Value) {
			e := ex.Type.Shape[3]
			d2 := b.op("DepthwiseConv", "dw2", vals(ex, b.c("kd2", 3, 3, e, 2)), ir.Attrs{"strides": one2, "dilations": one2, "pads": pad1})
			return b.op("Conv", "squeeze", vals(d2, b.c("ks", 1, 1, 2*e, e)), convAttrs(pad0)), nil
		},
		"a 3×3 convolution after the depthwise": func(b *builder, x, ex, dw *ir.Value) (*ir.Value, *ir.Value) {
			e := ex.Type.Shape[3]
			return b.op("Conv", "conv3", vals(dw, b.c("k3", 3, 3, e, e)), convAttrs(pad1)), nil
		},
	} {
		g := blockGraph(t, 16, 8, 48, 1, change)
		require.NoError(t, Run(g, nil), name)
		for _, b := range Blocks(g) {
			require.NotEqual(t, "depthwise", b.Depthwise.Layer, "%s: marked", name)
		}
	}
	// The expand reads a non-constant kernel: it stays out of the block.
	b := newBuilder(t, "dynamic")
	x := b.in("x", ir.Batch, 8, 8, 4)
	k := b.in("k", 1, 1, 4, 24)
	ex := b.op("Conv", "expand", vals(x, k), convAttrs(pad0))
	dw := b.op("DepthwiseConv", "depthwise", vals(ex, b.c("kd", 3, 3, 24, 1)), ir.Attrs{"strides": one2, "dilations": one2, "pads": pad1})
	g = b.out(b.op("Conv", "project", vals(dw, b.c("kp", 1, 1, 24, 4)), convAttrs(pad0)))
	require.NoError(t, Run(g, nil))
	bs = Blocks(g)
	require.Len(t, bs, 1)
	require.Nil(t, bs[0].Expand, "dynamic expand kernel")
	// The project reads a non-constant kernel: no block.
	b = newBuilder(t, "dynamic project")
	x = b.in("x", ir.Batch, 8, 8, 24)
	dw = b.op("DepthwiseConv", "depthwise", vals(x, b.c("kd", 3, 3, 24, 1)), ir.Attrs{"strides": one2, "dilations": one2, "pads": pad1})
	g = b.out(b.op("Conv", "project", vals(dw, b.in("kp", 1, 1, 24, 4)), convAttrs(pad0)))
	require.NoError(t, Run(g, nil))
	require.Equal(t, []int{0}, bands(g))
}

// TestFuseBlocksNoExpand checks a depthwise → project chain on a graph input (MobileNetV2's
// first block reads the stem's output the same way): a block without an expand layer, its
// band sized like a block's with one, whose input lives until the block's call and whose
// depthwise value gets no buffer.
func TestFuseBlocksNoExpand(t *testing.T) {
	b := newBuilder(t, "noexpand")
	x := b.in("x", ir.Batch, 112, 112, 32)
	dw := b.op("DepthwiseConv", "depthwise", vals(x, b.c("kd", 3, 3, 32, 1)), ir.Attrs{"strides": one2, "dilations": one2, "pads": pad1, "act": "relu"})
	y := b.op("Conv", "project", vals(dw, b.c("kp", 1, 1, 32, 16)), convAttrs(pad0))
	g := b.out(b.op("Conv", "tail", vals(y, b.c("kt", 1, 1, 16, 16)), convAttrs(pad0)))
	require.NoError(t, Run(g, nil))
	bs := Blocks(g)
	require.Len(t, bs, 1)
	blk := bs[0]
	require.Nil(t, blk.Expand)
	require.Equal(t, []string{"depthwise", "project"}, []string{blk.Depthwise.Layer, blk.Project.Layer})
	require.Equal(t, 1, blk.Depthwise.Attrs.Int("noexpand", 0))
	require.Equal(t, blk.Depthwise.In[0], blk.Input())
	// (b+2 input rows + b output rows)·112·32·4 bytes ≤ 512 KiB: b = 17.
	require.Equal(t, 17, blk.Band)
	p := PlanMemory(g)
	_, _, ok := p.Buffer(blk.Depthwise.Out[0])
	require.False(t, ok, "the depthwise value has a buffer")
}

// TestFuseBlocksChained checks two separable convolutions in a row (Xception's pattern): the
// first one's pointwise Conv projects its block and does not also expand the second, which is
// a block without an expand layer too.
func TestFuseBlocksChained(t *testing.T) {
	b := newBuilder(t, "chained")
	x := b.in("x", ir.Batch, 32, 32, 16)
	sep := func(name string, x *ir.Value, c int) *ir.Value {
		d := b.op("DepthwiseConv", name+"_dw", vals(x, b.c(name+"_kd", 3, 3, ir.Dim(c), 1)), ir.Attrs{"strides": one2, "dilations": one2, "pads": pad1})
		return b.op("Conv", name+"_pw", vals(d, b.c(name+"_kp", 1, 1, ir.Dim(c), ir.Dim(c))), convAttrs(pad0, "act", "relu"))
	}
	g := b.out(sep("sep2", sep("sep1", x, 16), 16))
	require.NoError(t, Run(g, nil))
	bs := Blocks(g)
	require.Len(t, bs, 2)
	for i, name := range []string{"sep1", "sep2"} {
		require.Nil(t, bs[i].Expand, name)
		require.Equal(t, []string{name + "_dw", name + "_pw"}, []string{bs[i].Depthwise.Layer, bs[i].Project.Layer})
	}
	p := PlanMemory(g)
	_, _, ok := p.Buffer(bs[0].Project.Out[0])
	require.True(t, ok, "the first block's output, the second's input, has a buffer")
}
