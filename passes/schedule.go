package passes

import "github.com/kerasgen/kerasgen/ir"

// Schedule decides the order in which a batch flows through the graph: layer by layer over
// the whole batch, or, for a convolutional trunk whose activations outgrow the cache, the
// trunk micro-batch by micro-batch and then the head over the whole batch.
//
// Layer by layer, each op writes its whole-batch output before the next op reads it: at
// batch 32 MobileNetV2's first activations are 150 MB and resnet_small's 8 MB, so every layer
// streams them through DRAM or L3. Run a few samples at a time through the trunk instead and
// its activations stay in L2. (On more than one thread the package still runs the trunk
// layer by layer, each op splitting the batch across threads: see codegen/schedule.go.)
// The head — the ops after the trunk, on one vector per sample (Dense layers) — runs on the
// whole batch, whose rows share each read of its weights. So do the last layers of the trunk
// when their kernels outweigh their activations and the trunk's weights outgrow L2
// (weightedHead: MobileNetV2's 14×14 and 7×7 stages, whose weights a one-sample step would
// stream from L3 for every sample).
//
// Guarantees: when it applies, the ops of the trunk are a prefix of g.Ops and carry the
// attribute microbatch = the samples per step (≥ 1); unless the trunk is the whole graph,
// exactly one value computed by the trunk or a graph input is read after it — the cut, which
// the head reads. No other op has the attribute. It does
// not apply (no op is marked) to graphs with a recurrent op (a step's matrix product wants
// the whole batch), with an op whose attributes reach across the batch dimension (perSample),
// with a value that is not [batch, static dimensions…], or whose trunk would be empty or would
// already fit in the budget at microBatchMax samples.
func Schedule(g *ir.Graph) error {
	for _, op := range g.Ops {
		delete(op.Attrs, "microbatch")
	}
	cut := trunkEnd(g)
	if cut == 0 {
		return nil
	}
	cut = weightedHead(g, cut)
	if cut == 0 {
		return nil
	}
	// Per-sample footprint: the largest set of activations one op of the trunk touches.
	foot := int64(0)
	for _, op := range g.Ops[:cut] {
		bytes := int64(0)
		for _, v := range append(append([]*ir.Value{}, op.In...), op.Out...) {
			if !v.IsConst() {
				bytes += 4 * v.Type.Shape.StaticSize()
			}
		}
		foot = max(foot, bytes)
	}
	mb := max(1, scheduleL2Budget/foot)
	if mb >= microBatchMax {
		return nil
	}
	for _, op := range g.Ops[:cut] {
		op.Attrs["microbatch"] = int(mb)
	}
	return nil
}

// scheduleL2Budget is the bytes of activations a trunk op may touch per micro-batch: half of
// this machine's 1 MiB L2, leaving the rest to the weights and the kernels' scratch.
const scheduleL2Budget = 512 << 10

// microBatchMax is where micro-batches stop paying: a trunk whose ops touch at most
// scheduleL2Budget for this many samples already runs from cache layer by layer at the
// batch sizes that matter.
const microBatchMax = 32

// trunkEnd returns the length of the trunk: the shortest prefix of g.Ops that holds every op
// with a value that is not a [batch, features] vector and ends at a cut (one value crosses
// it; the whole graph when no such prefix does), or 0 when every op is on vectors or the
// graph has a recurrent op or an unknown dimension besides the batch.
func trunkEnd(g *ir.Graph) int {
	// Values computed from constants alone are the same for every sample (a position
	// embedding): any shape. Every other value must be [batch, static…], each op on them per
	// sample.
	batched := map[*ir.Value]bool{}
	rows := func(v *ir.Value) bool { // [batch, static…]
		for i, d := range v.Type.Shape {
			if (i == 0 && d != ir.Batch) || (i > 0 && !d.Static()) {
				return false
			}
		}
		return len(v.Type.Shape) > 0
	}
	for _, v := range g.Inputs {
		if !rows(v) {
			return 0
		}
		batched[v] = true
	}
	for _, op := range g.Ops {
		var in *ir.Value // the first batched input
		for _, v := range op.In {
			if batched[v] {
				in = v
				break
			}
		}
		if in == nil {
			continue
		}
		if op.Kind == "Recurrent" || !perSample(op, len(in.Type.Shape)) {
			return 0
		}
		for _, v := range op.Out {
			if !rows(v) {
				return 0
			}
			batched[v] = true
		}
	}
	vector := func(op *ir.Op) bool {
		for _, v := range append(append([]*ir.Value{}, op.In...), op.Out...) {
			if !v.IsConst() && len(v.Type.Shape) != 2 {
				return false
			}
		}
		return true
	}
	end := len(g.Ops)
	for end > 0 && vector(g.Ops[end-1]) {
		end--
	}
	if end == 0 {
		return 0 // vectors only: nothing to keep in cache
	}
	// The head must start at a cut: move its start later until one value crosses; with
	// none, the whole graph is the trunk.
	for ; end < len(g.Ops); end++ {
		if crossing(g, end) == 1 {
			return end
		}
	}
	return end
}

// perSample reports whether op, on a batched input of the given rank, computes each sample's
// rows from that sample's rows alone, as far as its attributes tell: no axis, reduction,
// permutation, slice start or pad touches the batch dimension (axis 0). (A slice that keeps
// fewer samples has an output that is not [batch, …], which trunkEnd refuses.)
func perSample(op *ir.Op, rank int) bool {
	isBatch := func(a int) bool { return a == 0 || a == -rank }
	if _, ok := op.Attrs["axis"]; ok && isBatch(op.Attrs.Int("axis", -1)) {
		return false
	}
	for _, a := range op.Attrs.Ints("axes") {
		if isBatch(a) {
			return false
		}
	}
	for _, k := range []string{"begin", "before"} {
		if v := op.Attrs.Ints(k); len(v) > 0 && v[0] != 0 {
			return false
		}
	}
	if perm := op.Attrs.Ints("perm"); len(perm) > 0 && perm[0] != 0 {
		return false
	}
	return true
}

// crossing counts the values computed by g.Ops[:end] or graph inputs that g.Ops[end:] or the
// graph's outputs read.
func crossing(g *ir.Graph, end int) int {
	before := map[*ir.Value]bool{}
	for _, v := range g.Inputs {
		before[v] = true
	}
	for _, op := range g.Ops[:end] {
		for _, v := range op.Out {
			before[v] = true
		}
	}
	seen := map[*ir.Value]bool{}
	for _, op := range g.Ops[end:] {
		for _, v := range op.In {
			if before[v] {
				seen[v] = true
			}
		}
	}
	for _, v := range g.Outputs {
		if before[v] {
			seen[v] = true
		}
	}
	return len(seen)
}

// weightedHead moves the start of the head earlier, to the earliest cut (one value crossing)
// after which every op of the trunk with a kernel reads at least as many bytes of weights as
// of per-sample activations (ops without one, a pooling or an activation, go either way):
// those ops (the late, narrow layers of a convolutional network, with wide kernels) gain more
// from reading each weight once for the whole batch than from keeping a micro-batch's
// activations in L2. A block (Blocks) counts as one op: its kernels against its input and
// output. Only when the trunk's weights outgrow the L2 budget: otherwise they stay in L2 from
// one micro-batch to the next. It returns the new end of the trunk (0: the whole graph is
// weight-bound, no trunk).
func weightedHead(g *ir.Graph, end int) int {
	inBlock, blockOf := BlockRoles(g)
	weightBound := func(op *ir.Op) bool {
		if inBlock[op] {
			return true // judged with its Project
		}
		ops, ins, outs := []*ir.Op{op}, op.In, op.Out
		if b, ok := blockOf[op]; ok {
			ops = b.Ops()
			ins = append([]*ir.Value{b.Input()}, op.In[1:]...)
		}
		seen := map[*ir.Value]bool{}
		weights, acts := constBytes(ops, seen), int64(0)
		for _, v := range append(append([]*ir.Value{}, ins...), outs...) {
			if !v.IsConst() && !seen[v] {
				seen[v] = true
				acts += 4 * v.Type.Shape.StaticSize()
			}
		}
		return weights >= acts
	}
	// Weights that fit in L2 with a micro-batch's activations stay there from one step to the
	// next: then nothing is read again. (The convolutional ops' weights: a Dense layer on
	// vectors is in the trunk only when the graph has no cut before it.)
	var conv []*ir.Op
	for _, op := range g.Ops[:end] {
		if onImages(op) {
			conv = append(conv, op)
		}
	}
	if constBytes(conv, map[*ir.Value]bool{}) <= scheduleL2Budget {
		return end
	}
	start := end
	for c := end - 1; c >= 0; c-- {
		op := g.Ops[c]
		if hasWeights(op) || blockOf[op].Project != nil {
			if !weightBound(op) {
				break
			}
		}
		// (A cut inside a block needs one before its first op too, which the scan goes on to:
		// a block's inner ops count as weight-bound with their Project, so it joins whole.)
		if crossing(g, c) == 1 {
			start = c
		}
	}
	return start
}

// constBytes is the bytes of the constants ops read, each counted once (seen: those already
// counted).
func constBytes(ops []*ir.Op, seen map[*ir.Value]bool) int64 {
	n := int64(0)
	for _, op := range ops {
		for _, v := range op.In {
			if v.IsConst() && !seen[v] {
				seen[v] = true
				n += 4 * v.Type.Shape.StaticSize()
			}
		}
	}
	return n
}

// hasWeights reports whether op reads a constant of more than one value per channel (a
// kernel, not a bias or a scale).
func hasWeights(op *ir.Op) bool {
	for _, v := range op.In {
		if v.IsConst() && len(v.Type.Shape) >= 2 {
			return true
		}
	}
	return false
}

// onImages reports whether op reads or writes a value of rank above 2 that is not a constant.
func onImages(op *ir.Op) bool {
	for _, v := range append(append([]*ir.Value{}, op.In...), op.Out...) {
		if !v.IsConst() && len(v.Type.Shape) > 2 {
			return true
		}
	}
	return false
}
