package passes

import (
	"github.com/kerasgen/kerasgen/ir"
	"github.com/kerasgen/kerasgen/runtime"
)

// FuseBlocks marks the inverted-residual blocks of a graph (MobileNetV2's expand → depthwise
// → project) for band-by-band execution (runtime.InvertedResidual): the expanded image, six
// times wider than the block's input and output, then never goes through memory whole —
// each band's expanded rows and depthwise output stay in L2 between the three kernels.
//
// A block is a DepthwiseConv with depth multiplier 1 whose input is computed by a pointwise
// Conv (1×1, stride and dilation 1, no padding, one group, no residual) and read by the
// DepthwiseConv alone, and whose output is read alone by the input of another pointwise Conv
// (which may add a residual); neither value is a graph output, every shape is static apart
// from the batch, and both pointwise kernels are constants used by their Conv alone. A
// DepthwiseConv whose input is not such an expand layer (MobileNetV2's first block,
// depthwise → project; a separable convolution) is a block without one: its input rows then
// stream from memory band by band, and its depthwise output never goes through memory whole.
// An op is in one block at most: a pointwise Conv that projects one block does not expand the
// next (chained separable convolutions are blocks without an expand layer, one after another).
//
// Guarantees: the DepthwiseConv of each block, and no other op, carries the attribute band
// = the output rows per band (≥ 1): the most that keep one band's expanded (or input) rows
// and depthwise output within blockL2Budget bytes; one without an expand layer carries
// noexpand = 1 too. Blocks returns the marked blocks. The ops themselves are unchanged, so a
// consumer that ignores the marks computes the same values.
func FuseBlocks(g *ir.Graph) error {
	for _, op := range g.Ops {
		if op.Kind == "DepthwiseConv" {
			delete(op.Attrs, "band")
			delete(op.Attrs, "noexpand")
		}
	}
	uses := g.Uses()
	outputs := g.OutputSet()
	readers := g.Readers()
	single := func(v *ir.Value) bool { return uses[v] == 1 && !outputs[v] && len(readers[v]) == 1 }
	projects := map[*ir.Op]bool{} // of the blocks marked so far: an op is in one block at most
	for _, d := range g.Ops {
		if d.Kind != "DepthwiseConv" || len(d.In[1].Type.Shape) != 4 || d.In[1].Type.Shape[3] != 1 {
			continue
		}
		if !single(d.Out[0]) || !staticImage(d.In[0]) || !staticImage(d.Out[0]) {
			continue
		}
		p := readers[d.Out[0]][0]
		if !blockPointwise(p, single) || p.In[0] != d.Out[0] {
			continue
		}
		e := d.In[0].Def
		expand := e != nil && !projects[e] && single(d.In[0]) && blockPointwise(e, single) && e.Residual() == nil && staticImage(e.In[0])
		d.Attrs["band"] = blockBand(d)
		if !expand {
			d.Attrs["noexpand"] = 1
		}
		projects[p] = true
	}
	return nil
}

// Block is one inverted-residual block marked by FuseBlocks (Expand nil: none).
type Block struct {
	Expand, Depthwise, Project *ir.Op
	Band                       int
}

// Input is the value the block reads: its expand layer's input, or its depthwise layer's.
func (b Block) Input() *ir.Value {
	if b.Expand != nil {
		return b.Expand.In[0]
	}
	return b.Depthwise.In[0]
}

// Ops are the block's layers, in order: expand (if any), depthwise, project.
func (b Block) Ops() []*ir.Op {
	if b.Expand == nil {
		return []*ir.Op{b.Depthwise, b.Project}
	}
	return []*ir.Op{b.Expand, b.Depthwise, b.Project}
}

// Blocks returns the blocks FuseBlocks marked in g, in op order of their DepthwiseConv.
func Blocks(g *ir.Graph) []Block {
	var bs []Block
	for _, d := range g.Ops {
		band := d.Attrs.Int("band", 0)
		if d.Kind != "DepthwiseConv" || band < 1 {
			continue
		}
		var p *ir.Op
		for _, op := range g.Ops {
			if len(op.In) > 0 && op.In[0] == d.Out[0] {
				p = op
			}
		}
		e := d.In[0].Def
		if d.Attrs.Int("noexpand", 0) == 1 {
			e = nil
		} else if e == nil {
			continue
		}
		if p == nil {
			continue
		}
		bs = append(bs, Block{Expand: e, Depthwise: d, Project: p, Band: band})
	}
	return bs
}

// BlockRoles returns the ops of g's blocks that run inside a block's one call (each Expand and
// Depthwise), and each block by its Project, in whose place the call stands.
func BlockRoles(g *ir.Graph) (inner map[*ir.Op]bool, byProject map[*ir.Op]Block) {
	inner, byProject = map[*ir.Op]bool{}, map[*ir.Op]Block{}
	for _, b := range Blocks(g) {
		ops := b.Ops()
		for _, op := range ops[:len(ops)-1] {
			inner[op] = true
		}
		byProject[b.Project] = b
	}
	return inner, byProject
}

// blockPointwise reports whether op is a pointwise Conv with one group whose kernel (and bias)
// are constants it alone reads.
func blockPointwise(op *ir.Op, single func(*ir.Value) bool) bool {
	if !Pointwise(op) || op.Attrs.Int("groups", 1) != 1 || !op.In[1].IsConst() || !single(op.In[1]) {
		return false
	}
	b := op.Bias()
	return b == nil || b.IsConst()
}

// Pointwise reports whether op is a 1×1 convolution over every pixel (stride and dilation 1,
// no padding): a Dense product over the pixels.
func Pointwise(op *ir.Op) bool {
	if op.Kind != "Conv" || len(op.In) < 2 {
		return false
	}
	w, xs, ys := op.In[1].Type.Shape, op.In[0].Type.Shape, op.Out[0].Type.Shape
	st, dl, pads := op.Attrs.Ints("strides"), op.Attrs.Ints("dilations"), op.Attrs.Ints("pads")
	return len(w) == 4 && w[0] == 1 && w[1] == 1 && len(st) == 2 && st[0] == 1 && st[1] == 1 &&
		len(dl) == 2 && dl[0] == 1 && dl[1] == 1 && len(pads) == 4 && pads[0] == 0 && pads[2] == 0 &&
		len(xs) == 4 && len(ys) == 4 && xs[1] == ys[1] && xs[2] == ys[2]
}

// staticImage reports whether v is [batch, H, W, C] with H, W and C static.
func staticImage(v *ir.Value) bool {
	s := v.Type.Shape
	if len(s) != 4 {
		return false
	}
	for _, d := range s[1:] {
		if d < 1 {
			return false
		}
	}
	return true
}

// blockL2Budget is the bytes one band's expanded rows and depthwise output may take: half of
// this machine's 1 MiB L2 (BenchmarkInvertedResidual: MobileNetV2's first blocks run fastest
// with bands of about this size).
const blockL2Budget = 512 << 10

// blockBand returns the output rows per band of a block with depthwise op d: the most whose
// band working set (runtime.InvertedResidualScratch of the block with an expand layer: the
// expanded input rows and the depthwise output; without one, the same bytes are the input rows
// the band streams and its depthwise output) fits blockL2Budget, at least 1, at most the
// output's height.
func blockBand(d *ir.Op) int {
	p := runtime.InvertedResidualParams{Depthwise: depthwiseParams(d)}
	bytes := func(b int) int { p.Band = b; return 4 * runtime.InvertedResidualScratch(&p) }
	band := 1
	for band < p.Depthwise.OH && bytes(band+1) <= blockL2Budget {
		band++
	}
	return band
}

// depthwiseParams returns the runtime parameters of DepthwiseConv d (N left 0, for the caller).
func depthwiseParams(d *ir.Op) runtime.ConvParams {
	x, y, w := d.In[0].Type.Shape, d.Out[0].Type.Shape, d.In[1].Type.Shape
	st, dl, pads := d.Attrs.Ints("strides"), d.Attrs.Ints("dilations"), d.Attrs.Ints("pads")
	return runtime.ConvParams{
		H: int(x[1]), W: int(x[2]), C: int(x[3]), OH: int(y[1]), OW: int(y[2]), OC: int(y[3]),
		KH: int(w[0]), KW: int(w[1]), SH: st[0], SW: st[1], DH: dl[0], DW: dl[1], PadT: pads[0], PadL: pads[2]}
}

// Params returns the runtime parameters of the block's one call (runtime.InvertedResidual;
// the depthwise layer's N left 0, for the caller).
func (b Block) Params() runtime.InvertedResidualParams {
	return runtime.InvertedResidualParams{
		Depthwise: depthwiseParams(b.Depthwise),
		C:         int(b.Input().Type.Shape[3]), P: int(b.Project.Out[0].Type.Shape[3]),
		Band: b.Band, NoExpand: b.Expand == nil,
	}
}
