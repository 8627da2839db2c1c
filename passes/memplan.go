package passes

import (
	"sort"

	"github.com/kerasgen/kerasgen/ir"
)

// MemPlan is a static memory plan: every intermediate value gets a place in one arena of
// float32s, and buffers are reused once their values are dead. Sizes and offsets are per
// batch row: a value lives at [Offset*batch, (Offset+Size)*batch) of the arena, which holds
// Rows*batch elements. Graph inputs and outputs live in the caller's slices; constants in
// the weights. A Reshape's output is a view of its input's buffer (Alias). The values inside
// an inverted-residual block (Blocks) have no buffer: the block runs as one call.
type MemPlan struct {
	Offset map[*ir.Value]int
	Size   map[*ir.Value]int
	// Alias maps a view to the value whose buffer it shares.
	Alias map[*ir.Value]*ir.Value
	Rows  int // arena elements per batch row
}

// align is the buffer alignment in elements (64 bytes).
const align = 16

// perRow is a value's element count for a batch of one.
func perRow(v *ir.Value) int {
	n := int(v.Type.Shape.StaticSize())
	return (n + align - 1) / align * align
}

// isView reports whether an op's output shares its input's buffer.
func isView(op *ir.Op) bool { return op.Kind == "Reshape" }

// PlanMemory computes the memory plan of a graph whose passes have run.
func PlanMemory(g *ir.Graph) *MemPlan {
	p := &MemPlan{Offset: map[*ir.Value]int{}, Size: map[*ir.Value]int{}, Alias: map[*ir.Value]*ir.Value{}}
	external := map[*ir.Value]bool{}
	for _, v := range g.Inputs {
		external[v] = true
	}
	for _, v := range g.Outputs {
		external[v] = true
	}
	root := func(v *ir.Value) *ir.Value {
		for p.Alias[v] != nil {
			v = p.Alias[v]
		}
		return v
	}
	// Views of values that live in the arena share their buffer; the last use of a buffer is
	// the last use of any of its views.
	for _, op := range g.Ops {
		if isView(op) && !external[op.Out[0]] && !op.In[0].IsConst() {
			p.Alias[op.Out[0]] = op.In[0]
		}
	}
	// An inverted-residual block (FuseBlocks) runs as one call in its Project's place: its
	// expanded and depthwise values get no buffer, and its input lives until that call.
	inBlock, byProject := BlockRoles(g)
	inputs := func(op *ir.Op) []*ir.Value {
		if b, ok := byProject[op]; ok {
			return append(append([]*ir.Value{}, op.In...), b.Ops()[0].In...)
		}
		return op.In
	}
	last := map[*ir.Value]int{}
	for i, op := range g.Ops {
		if inBlock[op] {
			continue
		}
		for _, v := range inputs(op) {
			last[root(v)] = i
		}
	}
	type block struct{ off, size int }
	var free []block
	top := 0
	alloc := func(size int) int {
		for i, b := range free {
			if b.size >= size {
				off := b.off
				if b.size == size {
					free = append(free[:i], free[i+1:]...)
				} else {
					free[i] = block{b.off + size, b.size - size}
				}
				return off
			}
		}
		off := top
		top += size
		return off
	}
	release := func(off, size int) {
		free = append(free, block{off, size})
		sort.Slice(free, func(i, j int) bool { return free[i].off < free[j].off })
		merged := free[:0]
		for _, b := range free {
			if n := len(merged); n > 0 && merged[n-1].off+merged[n-1].size == b.off {
				merged[n-1].size += b.size
				continue
			}
			merged = append(merged, b)
		}
		free = merged
	}
	for i, op := range g.Ops {
		if inBlock[op] {
			continue
		}
		for _, o := range op.Out {
			if external[o] || p.Alias[o] != nil {
				continue
			}
			size := perRow(o)
			p.Offset[o], p.Size[o] = alloc(size), size
		}
		for _, o := range op.Out { // an output nobody reads is dead at once
			if _, used := last[o]; !used && p.Alias[o] == nil && !external[o] {
				release(p.Offset[o], p.Size[o])
			}
		}
		seen := map[*ir.Value]bool{}
		for _, v := range inputs(op) {
			r := root(v)
			if seen[r] || last[r] != i || external[r] || r.IsConst() {
				continue
			}
			seen[r] = true
			if _, ok := p.Offset[r]; ok {
				release(p.Offset[r], p.Size[r])
			}
		}
	}
	p.Rows = top
	return p
}

// Buffer returns where a value lives: its offset and size per batch row, after following
// views, and false for values that are not in the arena.
func (p *MemPlan) Buffer(v *ir.Value) (off, size int, ok bool) {
	for p.Alias[v] != nil {
		v = p.Alias[v]
	}
	off, ok = p.Offset[v]
	return off, p.Size[v], ok
}
