package passes

import (
	"testing"

	"github.com/kerasgen/kerasgen/ir"
	"github.com/stretchr/testify/require"
)

// scheduleGraph is a convolutional trunk on an hw×hw×c image — a 3×3 conv, a 1×1 conv, a mean
// over the pixels — then a Dense head; skip adds a second value crossing into the head.
func scheduleGraph(t *testing.T, hw, c int, skip, fullyConv bool) *ir.Graph {
	b := newBuilder(t, "schedule")
	x := b.in("x", ir.Batch, ir.Dim(hw), ir.Dim(hw), 3)
	h := b.op("Conv", "conv1", vals(x, b.c("k1", 3, 3, 3, ir.Dim(c))), convAttrs(pad1))
	h = b.op("Conv", "conv2", vals(h, b.c("k2", 1, 1, ir.Dim(c), ir.Dim(c))), convAttrs(pad0))
	if fullyConv {
		return b.out(h)
	}
	p := b.op("Reduce", "gap", vals(h), ir.Attrs{"mode": "mean", "axes": []int{1, 2}})
	y := b.op("MatMul", "dense", vals(p, b.c("k3", ir.Dim(c), 10)), nil)
	if skip {
		q := b.op("Reduce", "gmp", vals(h), ir.Attrs{"mode": "max", "axes": []int{1, 2}})
		y = b.op("Binary", "add", vals(y, b.op("MatMul", "dense2", vals(q, b.c("k4", ir.Dim(c), 10)), nil)), ir.Attrs{"fn": "add"})
	}
	return b.out(b.op("Unary", "sigmoid", vals(y), ir.Attrs{"fn": "sigmoid"}))
}

// marks returns each op's microbatch attribute (0: none).
func marks(g *ir.Graph) []int {
	var m []int
	for _, op := range g.Ops {
		m = append(m, op.Attrs.Int("microbatch", 0))
	}
	return m
}

// TestSchedule checks where the schedule pass cuts the graph and the micro-batch it picks: the
// samples whose largest op (input and output activations) fits scheduleL2Budget.
func TestSchedule(t *testing.T) {
	// 64×64×32 activations: 512 KiB per sample for the 1×1 conv's input and output → 1.
	g := scheduleGraph(t, 64, 32, false, false)
	require.NoError(t, Schedule(g))
	mustVerify(t, g, "schedule")
	require.Equal(t, []int{1, 1, 1, 0, 0}, marks(g), "conv1 conv2 gap | dense sigmoid")

	// 16×16×16: 32 KiB per sample → 16 samples a step.
	g = scheduleGraph(t, 16, 16, false, false)
	require.NoError(t, Schedule(g))
	require.Equal(t, []int{16, 16, 16, 0, 0}, marks(g))

	// 8×8×8: 4 KiB per sample → 128 ≥ microBatchMax: layer by layer.
	g = scheduleGraph(t, 8, 8, false, false)
	require.NoError(t, Schedule(g))
	require.Equal(t, []int{0, 0, 0, 0, 0}, marks(g))

	// Two values cross into the head until after the second dense: the cut moves to there.
	g = scheduleGraph(t, 64, 32, true, false)
	require.NoError(t, Schedule(g))
	require.Equal(t, []int{1, 1, 1, 1, 1, 1, 1, 0}, marks(g), "conv1 conv2 gap dense gmp dense2 add | sigmoid")

	// No head: the whole graph is the trunk.
	g = scheduleGraph(t, 64, 32, false, true)
	require.NoError(t, Schedule(g))
	require.Equal(t, []int{1, 1}, marks(g))

	// Running it again gives the same marks (it clears its own first).
	require.NoError(t, Schedule(g))
	require.Equal(t, []int{1, 1}, marks(g))
}

// TestScheduleLeavesAlone checks the graphs the pass does not touch: vectors only (an MLP), a
// recurrent op, an open sequence length.
func TestScheduleLeavesAlone(t *testing.T) {
	b := newBuilder(t, "mlp")
	x := b.in("x", ir.Batch, 4096)
	g := b.out(b.op("MatMul", "dense", vals(x, b.c("k", 4096, 64)), nil))
	require.NoError(t, Schedule(g))
	require.Equal(t, []int{0}, marks(g))

	b = newBuilder(t, "seq")
	s := b.in("s", ir.Batch, ir.Time, 8)
	g = b.out(b.op("Unary", "relu", vals(s), ir.Attrs{"fn": "relu"}))
	require.NoError(t, Schedule(g))
	require.Equal(t, []int{0}, marks(g))

	g = scheduleGraph(t, 64, 32, false, false)
	g.Ops[3].Kind = "Recurrent" // the pass only looks at the kind
	require.NoError(t, Schedule(g))
	require.Equal(t, []int{0, 0, 0, 0, 0}, marks(g))

	// A value for every sample from constants alone (a position embedding) is fine. (A slice
	// keeping some samples cannot arise: the IR refuses slices of the batch axis.)
	b = newBuilder(t, "consts")
	x = b.in("x", ir.Batch, 64, 64, 32)
	pos := b.op("Binary", "pos", vals(b.c("p", 1, 64, 64, 32), b.c("q", 1, 64, 64, 32)), ir.Attrs{"fn": "add"})
	h := b.op("Binary", "add", vals(x, pos), ir.Attrs{"fn": "add"})
	h = b.op("Conv", "conv", vals(h, b.c("k", 1, 1, 32, 32)), convAttrs(pad0))
	g = b.out(h)
	require.NoError(t, Schedule(g))
	require.Equal(t, []int{1, 1, 1}, marks(g))

	// Ops that reach across the batch: a reduction, a concatenation, a transpose, a slice.
	for _, a := range []ir.Attrs{{"axes": []int{0, 1, 2}}, {"axes": []int{-4}}, {"axis": 0}, {"perm": []int{1, 0, 2, 3}}, {"begin": []int{1, 0, 0, 0}}} {
		g = scheduleGraph(t, 64, 32, false, false)
		for k, v := range a {
			g.Ops[2].Attrs[k] = v // the pass only looks at the attributes
		}
		require.NoError(t, Schedule(g))
		require.Equal(t, []int{0, 0, 0, 0, 0}, marks(g), "%v", a)
	}
}

// TestScheduleWeightedHead checks that the late layers whose kernels outweigh their
// activations join the head (the whole batch, each weight read once) when the trunk's weights
// outgrow the L2 budget, and that small weights leave the trunk as it was.
func TestScheduleWeightedHead(t *testing.T) {
	build := func(late ir.Dim) *ir.Graph {
		b := newBuilder(t, "weighted")
		x := b.in("x", ir.Batch, 56, 56, 3)
		h := b.op("Conv", "stem", vals(x, b.c("k0", 3, 3, 3, 64)), convAttrs(pad1))
		h = b.op("Conv", "down", vals(h, b.c("k1", 1, 1, 64, 64)), ir.Attrs{"strides": []int{8, 8}, "dilations": one2, "pads": pad0})
		// 7×7×64: 12.5 KiB in; a late×64 kernel (late = 1024: 256 KiB) and its way back.
		h = b.op("Conv", "wide", vals(h, b.c("k2", 1, 1, 64, late)), convAttrs(pad0))
		h = b.op("Conv", "narrow", vals(h, b.c("k3", 1, 1, late, 64)), convAttrs(pad0))
		p := b.op("Reduce", "gap", vals(h), ir.Attrs{"mode": "mean", "axes": []int{1, 2}})
		return b.out(b.op("MatMul", "dense", vals(p, b.c("k4", 64, 10)), nil))
	}
	// 2 × 256 KiB of kernels > 512 KiB: wide and narrow (weights 256 KiB against 12.5 + 196
	// KiB of activations each) run on the whole batch; stem and down stay a trunk. The stem's
	// 56×56×64 output (784 KiB) makes the micro-batch 1.
	g := build(1024)
	require.NoError(t, Schedule(g))
	mustVerify(t, g, "schedule")
	require.Equal(t, []int{1, 1, 0, 0, 0, 0}, marks(g), "stem down | wide narrow gap dense")

	// 64-channel late layers (16 KiB of kernels): the trunk ends at the pooling, as before.
	g = build(64)
	require.NoError(t, Schedule(g))
	require.Equal(t, []int{1, 1, 1, 1, 1, 0}, marks(g), "stem down wide narrow gap | dense")
}

// TestScheduleWeightedHeadKeepsBlocks checks that an inverted-residual block in the weight-bound
// tail (one call in the generated code) joins the head whole: a block without a residual has a
// one-value cut between its expand and its depthwise, and the head starts at its expand.
func TestScheduleWeightedHeadKeepsBlocks(t *testing.T) {
	b := newBuilder(t, "blocks")
	x := b.in("x", ir.Batch, 56, 56, 3)
	h := b.op("Conv", "stem", vals(x, b.c("k0", 3, 3, 3, 64)), convAttrs(pad1))
	h = b.op("Conv", "down", vals(h, b.c("k1", 1, 1, 64, 64)), ir.Attrs{"strides": []int{8, 8}, "dilations": one2, "pads": pad0})
	// A 7×7 block 64 → 1024 → 64 without a residual: 512 KiB of kernels against 25 KiB of input
	// and output.
	e := b.op("Conv", "expand", vals(h, b.c("ke", 1, 1, 64, 1024)), convAttrs(pad0, "act", "relu"))
	d := b.op("DepthwiseConv", "depthwise", vals(e, b.c("kd", 3, 3, 1024, 1)), ir.Attrs{"strides": one2, "dilations": one2, "pads": pad1})
	h = b.op("Conv", "project", vals(d, b.c("kp", 1, 1, 1024, 64)), convAttrs(pad0))
	p := b.op("Reduce", "gap", vals(h), ir.Attrs{"mode": "mean", "axes": []int{1, 2}})
	g := b.out(b.op("MatMul", "dense", vals(p, b.c("k4", 64, 10)), nil))
	require.NoError(t, Run(g, nil))
	require.Len(t, Blocks(g), 1)
	var layers []string
	for _, op := range g.Ops {
		if op.Attrs.Int("microbatch", 0) > 0 {
			layers = append(layers, op.Layer)
		}
	}
	require.Equal(t, []string{"stem", "down"}, layers, "the trunk ends before the block")
}
