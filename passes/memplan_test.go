package passes

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/kerasgen/kerasgen/ir"
)

// planStats summarizes a checked plan.
type planStats struct {
	buffers, sumSizes int
}

// checkPlan checks a memory plan's invariants against g, computing lifetimes itself:
//   - every Alias entry is a Reshape output (not a graph output) mapped to that Reshape's
//     input;
//   - every op output that is not a graph input or output has a buffer, or is a view whose
//     root (following Alias) has one or lives in the caller's slices;
//   - only op outputs have buffers, never graph inputs/outputs, constants or views;
//   - sizes and offsets are multiples of 16, sizes at least the value's static size (per
//     batch row), and Rows ≥ every Offset+Size;
//   - Buffer agrees with Offset/Size after following views;
//   - no two buffered values whose lifetimes overlap share any element: a value lives from
//     the op that defines it to the last op reading it or any view of it, inclusive (an
//     op's outputs must not overlap its inputs).
func checkPlan(t *testing.T, g *ir.Graph, p *MemPlan) planStats {
	t.Helper()
	external := map[*ir.Value]bool{}
	for _, v := range g.Inputs {
		external[v] = true
	}
	for _, v := range g.Outputs {
		external[v] = true
	}
	def := map[*ir.Value]int{}
	for i, op := range g.Ops {
		for _, o := range op.Out {
			def[o] = i
		}
	}
	for view, target := range p.Alias {
		op := view.Def
		switch {
		case op == nil || op.Kind != "Reshape":
			t.Errorf("%s is an alias but not a Reshape's output", view.Name)
		case op.In[0] != target:
			t.Errorf("%s aliases %s, but its Reshape reads %s", view.Name, target.Name, op.In[0].Name)
		case external[view]:
			t.Errorf("graph output %s is an alias", view.Name)
		case target.IsConst():
			t.Errorf("%s aliases constant %s", view.Name, target.Name)
		}
	}
	root := func(v *ir.Value) *ir.Value {
		for n := 0; p.Alias[v] != nil; n++ {
			if n > len(g.Ops) {
				t.Fatalf("alias cycle at %s", v.Name)
			}
			v = p.Alias[v]
		}
		return v
	}
	for v, off := range p.Offset {
		size, ok := p.Size[v]
		switch {
		case !ok:
			t.Errorf("%s has an offset but no size", v.Name)
		case v.Def == nil || external[v] || p.Alias[v] != nil:
			t.Errorf("%s has a buffer but is an input, constant, graph output or view", v.Name)
		case size%16 != 0 || off%16 != 0:
			t.Errorf("%s at [%d,+%d) is not 16-aligned", v.Name, off, size)
		case int64(size) < v.Type.Shape.StaticSize():
			t.Errorf("%s of %v has size %d", v.Name, v.Type, size)
		case off < 0 || off+size > p.Rows:
			t.Errorf("%s at [%d,+%d) is outside Rows %d", v.Name, off, size, p.Rows)
		}
	}
	if p.Rows%16 != 0 {
		t.Errorf("Rows %d is not a multiple of 16", p.Rows)
	}
	// Every op output has a place.
	for _, op := range g.Ops {
		for _, o := range op.Out {
			if external[o] {
				continue
			}
			r := root(o)
			_, has := p.Offset[r]
			if !has && !external[r] {
				t.Errorf("%s (root %s) has no buffer", o.Name, r.Name)
			}
			off, size, ok := p.Buffer(o)
			if ok != has || has && (off != p.Offset[r] || size != p.Size[r]) {
				t.Errorf("Buffer(%s) = %d, %d, %v; its root %s is at %d, %d, %v", o.Name, off, size, ok, r.Name, p.Offset[r], p.Size[r], has)
			}
		}
	}
	// Lifetimes of the buffered roots.
	last := map[*ir.Value]int{}
	for v := range p.Offset {
		last[v] = def[v]
	}
	for i, op := range g.Ops {
		for _, v := range op.In {
			r := root(v)
			if _, ok := p.Offset[r]; ok && i > last[r] {
				last[r] = i
			}
		}
	}
	var bufs []*ir.Value
	st := planStats{}
	for _, op := range g.Ops { // deterministic order
		for _, o := range op.Out {
			if _, ok := p.Offset[o]; ok {
				bufs = append(bufs, o)
				st.sumSizes += p.Size[o]
			}
		}
	}
	st.buffers = len(bufs)
	for i, a := range bufs {
		for _, b := range bufs[i+1:] {
			if def[a] > last[b] || def[b] > last[a] {
				continue // disjoint lifetimes
			}
			ao, bo := p.Offset[a], p.Offset[b]
			if ao < bo+p.Size[b] && bo < ao+p.Size[a] && p.Size[a] > 0 && p.Size[b] > 0 {
				t.Errorf("%s [%d,+%d) live ops %d..%d overlaps %s [%d,+%d) live ops %d..%d",
					a.Name, ao, p.Size[a], def[a], last[a], b.Name, bo, p.Size[b], def[b], last[b])
			}
		}
	}
	return st
}

// ---- the test graphs ----

func memMLP(t testing.TB) *ir.Graph {
	b := newBuilder(t, "mem mlp")
	h := b.in("x", ir.Batch, 16)
	for i, w := range []ir.Dim{32, 32, 64, 16} {
		name := fmt.Sprint("dense_", i)
		k := h.Type.Shape[1]
		h = b.op("MatMul", name, vals(h, b.c(name+".kernel", k, w), b.c(name+".bias", w)), ir.Attrs{"act": "relu"})
	}
	return b.out(b.op("Softmax", "probs", vals(h), ir.Attrs{"axis": -1}))
}

func memResidual(t testing.TB) *ir.Graph {
	// a is read by the next conv and by the add three ops later.
	b := newBuilder(t, "mem residual")
	x := b.in("x", ir.Batch, 4, 4, 8)
	a := b.op("Conv", "conv_a", vals(x, b.c("conv_a.kernel", 1, 1, 8, 8)), convAttrs(pad0, "act", "relu"))
	h := b.op("Conv", "conv_b", vals(a, b.c("conv_b.kernel", 3, 3, 8, 8)), convAttrs(pad1, "act", "relu"))
	h = b.op("Conv", "conv_c", vals(h, b.c("conv_c.kernel", 3, 3, 8, 8)), convAttrs(pad1))
	h = b.op("Binary", "add", vals(a, h), ir.Attrs{"fn": "add"})
	h = b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu"})
	return b.out(b.op("Conv", "conv_d", vals(h, b.c("conv_d.kernel", 1, 1, 8, 4)), convAttrs(pad0)))
}

func memViews(t testing.TB) *ir.Graph {
	// h1's only direct reader is a Reshape, but its view r (and r's view rr) is read at the
	// end, so h1 must stay live; also views of a graph input, a Reshape of a constant and a
	// Reshape that is a graph output.
	b := newBuilder(t, "mem views")
	x := b.in("x", ir.Batch, 16)
	h1 := b.op("MatMul", "dense_1", vals(x, b.c("dense_1.kernel", 16, 16)), nil)
	r := b.op("Reshape", "r", vals(h1), ir.Attrs{"shape": []int{-1, 4, 4}})
	rr := b.op("Reshape", "rr", vals(r), ir.Attrs{"shape": []int{-1, 2, 8}})
	a := b.op("MatMul", "dense_2", vals(x, b.c("dense_2.kernel", 16, 16)), nil)
	a = b.op("MatMul", "dense_3", vals(a, b.c("dense_3.kernel", 16, 16)), nil)
	a = b.op("MatMul", "dense_4", vals(a, b.c("dense_4.kernel", 16, 16)), nil)
	c := b.op("Reshape", "c", vals(a), ir.Attrs{"shape": []int{-1, 2, 8}})
	d := b.op("Binary", "add", vals(rr, c), ir.Attrs{"fn": "add"})
	xv := b.op("Reshape", "x_view", vals(x), ir.Attrs{"shape": []int{-1, 2, 8}})
	d = b.op("Binary", "add_x", vals(d, xv), ir.Attrs{"fn": "add"})
	kc := b.op("Reshape", "k_view", vals(b.c("k", 16)), ir.Attrs{"shape": []int{2, 8}})
	d = b.op("Binary", "add_k", vals(d, kc), ir.Attrs{"fn": "add"})
	flat := b.op("Reshape", "flat", vals(d), ir.Attrs{"shape": []int{-1, 16}})
	return b.out(flat)
}

func memMidOutput(t testing.TB) *ir.Graph {
	// h2 is a graph output that later ops also read; h4 is the final output.
	b := newBuilder(t, "mem mid output")
	x := b.in("x", ir.Batch, 8)
	h1 := b.op("MatMul", "dense_1", vals(x, b.c("dense_1.kernel", 8, 24)), nil)
	h2 := b.op("MatMul", "dense_2", vals(h1, b.c("dense_2.kernel", 24, 8)), nil)
	h3 := b.op("MatMul", "dense_3", vals(h2, b.c("dense_3.kernel", 8, 24)), nil)
	h4 := b.op("Binary", "add", vals(h3, h1), ir.Attrs{"fn": "add"})
	h4 = b.op("MatMul", "dense_4", vals(h4, b.c("dense_4.kernel", 24, 8)), nil)
	h4 = b.op("Binary", "add_2", vals(h4, h2), ir.Attrs{"fn": "add"})
	return b.out(h2, h4)
}

func memRecurrent(t testing.TB) *ir.Graph {
	// An LSTM over an open length whose final states are unused (dead at once), an unused
	// Dense (dead), and a sequence output read twice.
	b := newBuilder(t, "mem recurrent")
	x := b.in("seq", ir.Batch, ir.Time, 5)
	outs, err := b.g.AddOp("Recurrent", "lstm", vals(x, b.c("lstm.kernel", 5, 12), b.c("lstm.recurrent", 3, 12), b.c("lstm.bias", 12)),
		ir.Attrs{"cell": "lstm", "units": 3, "act": "tanh", "recurrent_act": "sigmoid", "has_bias": true, "return_sequences": true}, "lstm")
	if err != nil {
		t.Fatal(err)
	}
	y := outs[0]
	b.op("MatMul", "unused", vals(y, b.c("unused.kernel", 3, 40)), nil)
	h := b.op("MatMul", "dense", vals(y, b.c("dense.kernel", 3, 3)), ir.Attrs{"act": "tanh"})
	h = b.op("Binary", "add", vals(h, y), ir.Attrs{"fn": "add"})
	return b.out(h)
}

func TestPlanMemory(t *testing.T) {
	for _, c := range []struct {
		name  string
		build func(testing.TB) *ir.Graph
	}{
		{"mlp", memMLP}, {"residual", memResidual}, {"views", memViews},
		{"mid_output", memMidOutput}, {"recurrent", memRecurrent},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := c.build(t)
			mustVerify(t, g, "plan input")
			p := PlanMemory(g)
			st := checkPlan(t, g, p)
			t.Logf("%d buffers, sum of sizes %d, Rows %d", st.buffers, st.sumSizes, p.Rows)
		})
	}
}

// TestPlanMemoryReuse checks that buffers are reused.
func TestPlanMemoryReuse(t *testing.T) {
	g := memMLP(t)
	p := PlanMemory(g)
	st := checkPlan(t, g, p)
	if st.buffers != 4 || p.Rows >= st.sumSizes {
		t.Errorf("MLP: %d buffers of %d elements in all, Rows %d: want 4 buffers and reuse", st.buffers, st.sumSizes, p.Rows)
	}
	// A chain of equal-size ops ping-pongs between two buffers.
	b := newBuilder(t, "chain")
	h := b.in("x", ir.Batch, 32)
	for i := 0; i < 8; i++ {
		h = b.op("MatMul", fmt.Sprint("d", i), vals(h, b.c(fmt.Sprint("k", i), 32, 32)), nil)
	}
	g = b.out(b.op("Unary", "out", vals(h), ir.Attrs{"fn": "tanh"}))
	p = PlanMemory(g)
	checkPlan(t, g, p)
	if p.Rows != 64 {
		t.Errorf("chain of 8 [N,32] ops: Rows %d, want 64 (two buffers)", p.Rows)
	}
}

// TestPlanMemoryDetails checks specific decisions on the hand-built graphs.
func TestPlanMemoryDetails(t *testing.T) {
	g := memViews(t)
	p := PlanMemory(g)
	checkPlan(t, g, p)
	byName := map[string]*ir.Value{}
	for _, v := range g.Values() {
		byName[v.Name] = v
	}
	for view, target := range map[string]string{"r": "dense_1", "rr": "r", "c": "dense_4", "x_view": "x"} {
		if got := p.Alias[byName[view]]; got != byName[target] {
			t.Errorf("Alias[%s] = %v, want %s", view, got, target)
		}
	}
	if p.Alias[byName["k_view"]] != nil || p.Alias[byName["flat"]] != nil {
		t.Errorf("a Reshape of a constant or a graph output Reshape is an alias")
	}
	if _, ok := p.Offset[byName["k_view"]]; !ok {
		t.Errorf("the Reshape of a constant has no buffer")
	}
	if _, _, ok := p.Buffer(byName["x_view"]); ok {
		t.Errorf("a view of a graph input has an arena buffer")
	}

	g = memMidOutput(t)
	p = PlanMemory(g)
	checkPlan(t, g, p)
	for _, v := range g.Outputs {
		if _, ok := p.Offset[v]; ok {
			t.Errorf("graph output %s has an arena buffer", v.Name)
		}
	}
	if len(p.Offset) != 4 {
		t.Errorf("%d buffers, want 4 (dense_1, dense_3, add, dense_4)", len(p.Offset))
	}
}

// TestPlanMemoryAfterPipeline plans every equivalence graph after the pipeline.
func TestPlanMemoryAfterPipeline(t *testing.T) {
	for _, c := range equivGraphs {
		t.Run(c.name, func(t *testing.T) {
			g := c.build(t)
			if err := Run(g, nil); err != nil {
				t.Fatal(err)
			}
			checkPlan(t, g, PlanMemory(g))
		})
	}
}

// randomPlanGraph generates a seeded random graph of [N,w] values: chains (MatMul,
// Unary), diamonds (Binary of two earlier values), Reshape views (and views of views),
// multi-use values, dead values and graph outputs taken mid-way.
func randomPlanGraph(t testing.TB, seed uint64) *ir.Graph {
	rng := rand.New(rand.NewPCG(seed, 11))
	b := newBuilder(t, fmt.Sprint("random plan ", seed))
	widths := []ir.Dim{1, 3, 8, 16, 20, 33}
	pool := []*ir.Value{b.in("x", ir.Batch, widths[rng.IntN(len(widths))])}
	if rng.IntN(2) == 0 {
		pool = append(pool, b.in("y", ir.Batch, widths[rng.IntN(len(widths))]))
	}
	pick := func() *ir.Value {
		if rng.IntN(3) == 0 {
			return pool[rng.IntN(len(pool))]
		}
		return pool[len(pool)-1-rng.IntN(min(2, len(pool)))]
	}
	var outs []*ir.Value
	steps := 3 + rng.IntN(25)
	for i := 0; i < steps; i++ {
		name := fmt.Sprint("v", i)
		x := pick()
		xw := x.Type.Shape[len(x.Type.Shape)-1]
		var y *ir.Value
		switch rng.IntN(6) {
		case 0, 1: // chain
			w := widths[rng.IntN(len(widths))]
			y = b.op("MatMul", name, vals(x, b.c(name+".k", xw, w)), nil)
		case 2:
			y = b.op("Unary", name, vals(x), ir.Attrs{"fn": "tanh"})
		case 3: // diamond: join with an earlier value of the same width, else with itself
			z := x
			for _, v := range pool {
				if v.Type.Shape.Equal(x.Type.Shape) && rng.IntN(2) == 0 {
					z = v
				}
			}
			y = b.op("Binary", name, vals(x, z), ir.Attrs{"fn": "add"})
		case 4: // a view, sometimes a view of a view
			y = b.op("Reshape", name, vals(x), ir.Attrs{"shape": []int{-1, 1, int(xw)}})
			y = b.op("Reshape", name+"_back", vals(y), ir.Attrs{"shape": []int{-1, int(xw)}})
			if rng.IntN(3) == 0 {
				y = b.op("Reshape", name+"_again", vals(y), ir.Attrs{"shape": []int{-1, int(xw)}})
			}
		case 5: // a dead value
			b.op("Unary", name+"_dead", vals(x), ir.Attrs{"fn": "exp"})
			continue
		}
		pool = append(pool, y)
		if rng.IntN(6) == 0 {
			outs = append(outs, y)
		}
	}
	return b.out(append(outs, pool[len(pool)-1])...)
}

// TestPlanMemoryRandom checks the plan invariants, overlap above all, on random graphs.
func TestPlanMemoryRandom(t *testing.T) {
	reused := 0
	for seed := uint64(0); seed < 400; seed++ {
		g := randomPlanGraph(t, seed)
		mustVerify(t, g, "random graph")
		p := PlanMemory(g)
		ok := t.Run(fmt.Sprint(seed), func(t *testing.T) {
			if st := checkPlan(t, g, p); p.Rows < st.sumSizes {
				reused++
			}
		})
		if !ok {
			t.Logf("graph %d:\n%s", seed, ir.Print(g))
			break
		}
	}
	if reused < 100 {
		t.Errorf("only %d of 400 random plans reuse a buffer", reused)
	}
}
