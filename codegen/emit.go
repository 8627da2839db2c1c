package codegen

import (
	"fmt"
	"strings"

	"github.com/kerasgen/kerasgen/runtime"

	"github.com/dave/jennifer/jen"

	"github.com/kerasgen/kerasgen/ir"
	"github.com/kerasgen/kerasgen/passes"
)

// rt qualifies a runtime identifier.
func rt(name string) *jen.Statement { return jen.Qual(RuntimePath, name) }

// forward emits the body of a forward function running g (the whole graph, or the trunk or
// head of a schedule) with gen.plan its memory plan and rowsConst the constant naming the
// plan's rows per sample: the locations of inputs, outputs and intermediates, then one
// commented block per op.
func (gen *generator) forward(g *ir.Graph, outNames []string, rowsConst string) ([]jen.Code, error) {
	gen.rowsConst = rowsConst
	var body []jen.Code
	if len(gen.symbols) > 0 {
		r := jen.Id("n")
		for _, d := range gen.symbols {
			r = r.Op("*").Id(symVar(d))
		}
		body = append(body, jen.Id("r").Op(":=").Add(r).Comment("arena rows: batch times steps"))
	}
	for i, v := range g.Inputs {
		body = append(body, jen.Id(gen.names[v]).Op(":=").Id("inputs").Index(jen.Lit(i)))
	}
	// Each graph output produced by an op (not a view) is written in place into the
	// caller's slice; every other output is copied there at the end.
	inPlace := map[*ir.Value]int{}
	for j, v := range g.Outputs {
		body = append(body, jen.Id(outNames[j]).Op(":=").Id("outputs").Index(jen.Lit(j)))
		if _, dup := inPlace[v]; v.Def != nil && !dup && gen.plan.Alias[v] == nil {
			inPlace[v] = j
			gen.names[v] = outNames[j]
		}
	}
	// An inverted-residual block runs as one call in its Project's place (passes.Blocks).
	inBlock, blocks := passes.BlockRoles(g)
	for _, op := range g.Ops {
		if inBlock[op] {
			continue
		}
		var block []jen.Code
		for _, o := range op.Out {
			if _, ok := inPlace[o]; ok {
				continue
			}
			id := gen.ident(o.Name)
			gen.names[o] = id
			if root := gen.plan.Alias[o]; root != nil {
				body = append(body, jen.Id(id).Op(":=").Id(gen.names[root]).Comment(fmt.Sprintf("%s: a view of %s", o.Name, root.Name)))
				continue
			}
			off, _, ok := gen.plan.Buffer(o)
			if !ok {
				return nil, fmt.Errorf("value %s has no buffer", o.Name)
			}
			var lo jen.Code = jen.Empty()
			if off > 0 {
				lo = mul(off, gen.unit())
			}
			var hi jen.Code = jen.Add(lo).Op("+").Add(size(o))
			if off == 0 {
				hi = size(o)
			}
			if len(gen.symbols) == 0 && hasBatch(o) {
				hi = mul(off+rowSize(o), jen.Id("n"))
			}
			body = append(body, jen.Id(id).Op(":=").Id("a").Index(lo, hi))
		}
		if op.Kind == "Reshape" && gen.plan.Alias[op.Out[0]] != nil {
			continue // a view: nothing to compute
		}
		b, isBlock := blocks[op]
		var calls []jen.Code
		var err error
		if isBlock {
			calls, err = gen.emitBlock(b)
		} else {
			calls, err = gen.emitOp(op)
		}
		if err != nil {
			return nil, fmt.Errorf("%s (layer %s): %w", op.Kind, op.Layer, err)
		}
		block = append(block, calls...)
		if isBlock {
			var layers, kinds []string
			for _, o := range b.Ops() {
				if len(layers) == 0 || layers[len(layers)-1] != o.Layer { // a separable convolution is one layer
					layers = append(layers, o.Layer)
				}
				kinds = append(kinds, describeOp(o))
			}
			what := "inverted-residual block"
			if b.Expand == nil {
				what = "depthwise → pointwise block"
			}
			body = append(body, jen.Comment(fmt.Sprintf("%s: %s, %d output rows per band (%s)",
				strings.Join(layers, ", "), what, b.Band, strings.Join(kinds, "; "))))
		} else {
			body = append(body, jen.Comment(fmt.Sprintf("%s: %s", op.Layer, describeOp(op))))
		}
		if len(block) == 1 {
			body = append(body, block[0])
		} else {
			body = append(body, jen.Block(block...))
		}
	}
	for j, v := range g.Outputs {
		if k, ok := inPlace[v]; ok && k == j {
			continue
		}
		body = append(body, jen.Copy(jen.Id(outNames[j]), gen.loc(v)))
	}
	return body, nil
}

// describeOp is the comment over an op's call.
func describeOp(op *ir.Op) string {
	s := op.Kind
	switch op.Kind {
	case "Unary", "Binary":
		s += " " + op.Attrs.String("fn", "")
	case "Pool", "Reduce":
		s += " " + op.Attrs.String("mode", "")
	}
	res := op.Residual() != nil
	if res && op.Attrs.String("residual", "") == "before_act" {
		s += " + residual"
	}
	if a := op.Attrs.String("act", "linear"); a != "linear" {
		s += " + " + a
	}
	if res && op.Attrs.String("residual", "") == "after_act" {
		s += " + residual"
	}
	if w := op.Attrs.Ints("maxpool"); len(w) == 2 {
		s += fmt.Sprintf(" + max pool %d×%d", w[0], w[1])
	}
	return s
}

// loc is the Go expression of a value's data.
func (gen *generator) loc(v *ir.Value) jen.Code {
	if v.IsConst() {
		return jen.Id("m").Dot("w").Dot(gen.names[v])
	}
	return jen.Id(gen.names[v])
}

// dims returns Go expressions for a shape's dimensions (n for the batch).
func dims(s ir.Shape) []jen.Code {
	var out []jen.Code
	for _, d := range s {
		if d == ir.Batch {
			out = append(out, jen.Id("n"))
		} else if d < 0 {
			out = append(out, jen.Id(symVar(d)))
		} else {
			out = append(out, jen.Lit(int(d)))
		}
	}
	return out
}

// prod is a Go expression for the product of a shape's dimensions: k, k*n, k*n*t, ...
func prod(s ir.Shape) jen.Code {
	k := 1
	var vars []string
	for _, d := range s {
		switch {
		case d == ir.Batch:
			vars = append(vars, "n")
		case d < 0:
			vars = append(vars, symVar(d))
		default:
			k *= int(d)
		}
	}
	if len(vars) == 0 {
		return jen.Lit(k)
	}
	e := jen.Id(vars[0])
	for _, v := range vars[1:] {
		e = e.Op("*").Id(v)
	}
	return mul(k, e)
}

func ints(xs []int) jen.Code {
	var c []jen.Code
	for _, x := range xs {
		c = append(c, jen.Lit(x))
	}
	return jen.Index().Int().Values(c...)
}

// actCode returns rt.ActX and an rt.ActParams literal (and whether it sets any field) for an
// op's activation attributes:
// the runtime's defaults for the activation (Keras' defaults, e.g. elu's alpha 1), overridden
// by the op's alpha, max_value and threshold.
func actCode(a ir.Attrs, key string) (act, params jen.Code, set bool, err error) {
	name := a.String(key, "linear")
	c, ok := actConsts[name]
	if !ok {
		return nil, nil, false, fmt.Errorf("activation %q has no runtime kernel", name)
	}
	p := runtime.ActParams{}
	if ra, ok := runtime.ActByName(name); ok {
		p = runtime.DefaultActParams(ra)
	}
	if v, ok := a["alpha"].(float64); ok {
		p.Alpha = float32(v)
	}
	if v, ok := a["max_value"].(float64); ok {
		p.MaxValue, p.HasMax = float32(v), true
	}
	if v, ok := a["threshold"].(float64); ok {
		p.Threshold = float32(v)
	}
	var fields []jen.Code
	if p.Alpha != 0 {
		fields = append(fields, jen.Id("Alpha").Op(":").Lit(p.Alpha))
	}
	if p.HasMax {
		fields = append(fields, jen.Id("MaxValue").Op(":").Lit(p.MaxValue), jen.Id("HasMax").Op(":").True())
	}
	if p.Threshold != 0 {
		fields = append(fields, jen.Id("Threshold").Op(":").Lit(p.Threshold))
	}
	return rt(c), rt("ActParams").Values(fields...), len(fields) > 0, nil
}

// actConsts maps IR activation names to runtime constants.
var actConsts = map[string]string{
	"linear": "ActLinear", "relu": "ActRelu", "sigmoid": "ActSigmoid", "tanh": "ActTanh", "softplus": "ActSoftplus",
	"softsign": "ActSoftsign", "selu": "ActSelu", "elu": "ActElu", "exponential": "ActExponential", "gelu": "ActGelu",
	"gelu_tanh": "ActGeluTanh", "silu": "ActSilu", "hard_sigmoid": "ActHardSigmoid", "hard_sigmoid_keras2": "ActHardSigmoidKeras2",
	"hard_silu": "ActHardSilu", "leaky_relu": "ActLeakyRelu", "relu6": "ActRelu6", "relu_full": "ActReluFull",
	"mish": "ActMish", "log_sigmoid": "ActLogSigmoid", "celu": "ActCelu",
	"hard_tanh": "ActHardTanh", "tanh_shrink": "ActTanhShrink", "soft_shrink": "ActSoftShrink",
	"hard_shrink": "ActHardShrink", "squareplus": "ActSquareplus", "sparse_plus": "ActSparsePlus",
	"sparse_sigmoid": "ActSparseSigmoid",
}

var binConsts = map[string]string{
	"add": "BinAdd", "sub": "BinSub", "mul": "BinMul", "div": "BinDiv", "max": "BinMax", "min": "BinMin",
	"pow": "BinPow", "squared_diff": "BinSquaredDiff", "not_equal": "BinNotEqual",
}

var unConsts = map[string]string{
	"neg": "UnNeg", "exp": "UnExp", "log": "UnLog", "sqrt": "UnSqrt", "rsqrt": "UnRsqrt", "abs": "UnAbs",
	"square": "UnSquare", "reciprocal": "UnReciprocal", "sign": "UnSign", "floor": "UnFloor", "ceil": "UnCeil",
	"round": "UnRound", "erf": "UnErf", "sin": "UnSin", "cos": "UnCos",
}

// epilogue declares a Model field holding op's bias and activation, set in New, and returns
// a pointer expression to it (nil when the op has neither), and the statements to run
// before the op: setting the residual, whose buffer depends on the batch size.
func (gen *generator) epilogue(op *ir.Op) (jen.Code, []jen.Code, error) {
	act, params, set, err := actCode(op.Attrs, "act")
	if err != nil {
		return nil, nil, err
	}
	bias, res := op.Bias(), op.Residual()
	if bias == nil && res == nil && op.Attrs.String("act", "linear") == "linear" {
		return jen.Nil(), nil, nil
	}
	id := gen.ident(op.Layer + "Epilogue")
	what := "bias and activation"
	if res != nil {
		what += ", residual add"
	}
	gen.fields = append(gen.fields, jen.Id(id).Add(rt("Epilogue")).Comment(op.Layer+": "+what))
	var fields []jen.Code
	if bias != nil {
		fields = append(fields, jen.Id("Bias").Op(":").Id("w").Dot(gen.names[bias]))
	}
	fields = append(fields, jen.Id("Act").Op(":").Add(act))
	if set {
		fields = append(fields, jen.Id("Params").Op(":").Add(params))
	}
	if res != nil && op.Attrs.String("residual", "") == "after_act" {
		fields = append(fields, jen.Id("ResidualAfterAct").Op(":").True())
	}
	gen.inits = append(gen.inits, jen.Id("m").Dot(id).Op("=").Add(rt("Epilogue")).Values(fields...))
	if res == nil {
		return jen.Op("&").Id("m").Dot(id), nil, nil
	}
	// The residual's buffer depends on the call: a copy on the stack takes it (the Model
	// may serve concurrent calls; the runtime does not keep the pointer).
	pre := []jen.Code{
		jen.Id("ep").Op(":=").Id("m").Dot(id),
		jen.Id("ep").Dot("Residual").Op("=").Add(gen.loc(res)),
	}
	return jen.Op("&").Id("ep"), pre, nil
}

// paramsVar declares a package-level kernel parameter value and returns its name.
func (gen *generator) paramsVar(layer, suffix string, value jen.Code) string {
	id := gen.ident(layer + suffix)
	gen.params = append(gen.params, jen.Var().Id(id).Op("=").Add(value))
	return id
}

// emitConv emits a Conv, DepthwiseConv or ConvTranspose with its epilogue ep.
func (gen *generator) emitConv(op *ir.Op, ep jen.Code) ([]jen.Code, error) {
	in := func(i int) jen.Code { return gen.loc(op.In[i]) }
	out := gen.loc(op.Out[0])
	xs, ys := op.In[0].Type.Shape, op.Out[0].Type.Shape
	if upsampledOp(op) {
		return gen.emitUpsampledConv(op, ep)
	}
	if op.Kind == "Conv" {
		if code := gen.emitBF16Dense(op, ep); code != nil {
			return code, nil
		}
	}
	w := op.In[1].Type.Shape
	if gen.panels[op.In[1]] && passes.Pointwise(op) {
		return []jen.Code{rt("DensePanels").Call(prod(xs[:len(xs)-1]), jen.Lit(int(w[2])), jen.Lit(int(w[3])),
			in(0), in(1), out, ep)}, nil
	}
	st, dl := op.Attrs.Ints("strides"), op.Attrs.Ints("dilations")
	pads := op.Attrs.Ints("pads")
	if op.Kind == "ConvTranspose" {
		pads = []int{op.Attrs.Ints("crop")[0], 0, op.Attrs.Ints("crop")[1], 0}
	}
	pool := op.Attrs.Ints("maxpool") // [ph, 2], or none
	pooled := len(pool) == 2
	if pooled { // the convolution's own output, which the call pools
		var err error
		if ys, err = ir.ConvOutput(op); err != nil {
			return nil, err
		}
	}
	params := runtime.ConvParams{
		H: int(xs[1]), W: int(xs[2]), C: int(xs[3]), OH: int(ys[1]), OW: int(ys[2]), OC: int(ys[3]),
		KH: int(w[0]), KW: int(w[1]), SH: st[0], SW: st[1], DH: dl[0], DW: dl[1], PadT: pads[0], PadL: pads[2],
		Groups: op.Attrs.Int("groups", 1),
	}
	fields := append(convFields(params), jen.Id("Groups").Op(":").Lit(params.Groups))
	kernel, typ := "Conv2D", rt("ConvParams").Values(fields...)
	// A pointwise convolution is a Dense product (DensePanels above; Conv2D runs it so when its
	// kernel is not in panel layout, a constant shared with another use); any other Groups = 1
	// convolution, strided 1×1 ones included, runs as a matrix-product convolution.
	if op.Kind == "Conv" && params.Groups == 1 && !passes.Pointwise(op) { // a pooled Conv never is pointwise (FuseConvPools)
		// A matrix-product convolution (implicit GEMM, or im2col on CPUs without the conv
		// kernels), with its padded image or block of patches in the batch-independent scratch
		// (and, pooled, one image's convolution where the kernels cannot pool).
		pv := gen.paramsVar(op.Layer, "Params", typ)
		need := runtime.Conv2DGemmScratch(&params)
		switch {
		case pooled && gen.winograd[op.In[1]]:
			need = runtime.Conv2DWinogradMaxPoolScratch(&params, winogradTile(op.In[1]))
		case pooled:
			need = runtime.ConvMaxPoolScratch(&params)
		case gen.winograd[op.In[1]]:
			need = runtime.Conv2DWinogradScratch(&params, winogradTile(op.In[1]))
		}
		gen.fixedScratch = max(gen.fixedScratch, need)
		kernel := "Conv2DGemm"
		switch {
		case gen.winograd[op.In[1]]:
			kernel = "Conv2DWinograd"
		case gen.bf16[op.In[1]]:
			kernel = "Conv2DGemmBF16"
		case gen.panels[op.In[1]]:
			kernel = "Conv2DGemmPanels"
		}
		args := []jen.Code{jen.Op("&").Id("p"), in(0), in(1), out, gen.fixedScratchSlice(need), ep}
		if pooled { // the pooling window's height after the params
			kernel += "MaxPool"
			args = append([]jen.Code{args[0], jen.Lit(pool[0])}, args[1:]...)
		}
		return []jen.Code{jen.Id("p").Op(":=").Id(pv), jen.Id("p").Dot("N").Op("=").Id("n"),
			rt(kernel).Call(args...)}, nil
	}
	switch op.Kind {
	case "DepthwiseConv":
		kernel = "DepthwiseConv2D"
	case "ConvTranspose":
		kernel, typ = "Conv2DTranspose", rt("ConvTransposeParams").Values(jen.Id("ConvParams").Op(":").Add(rt("ConvParams").Values(fields...)))
	}
	pv := gen.paramsVar(op.Layer, "Params", typ)
	setN := jen.Id("p").Dot("N").Op("=").Id("n")
	return []jen.Code{jen.Id("p").Op(":=").Id(pv), setN, rt(kernel).Call(jen.Op("&").Id("p"), in(0), in(1), out, ep)}, nil
}

// emitBlock emits an inverted-residual block (passes.Blocks) as one runtime.InvertedResidual
// call, its scratch (one band) in the batch-independent scratch.
func (gen *generator) emitBlock(b passes.Block) ([]jen.Code, error) {
	var pre []jen.Code
	// epilogue returns op's epilogue (nil for a block without an expand layer).
	epilogue := func(op *ir.Op) (jen.Code, error) {
		if op == nil {
			return jen.Nil(), nil
		}
		ep, code, err := gen.epilogue(op)
		pre = append(pre, code...)
		return ep, err
	}
	var eps [3]jen.Code
	for i, op := range []*ir.Op{b.Expand, b.Depthwise, b.Project} {
		var err error
		if eps[i], err = epilogue(op); err != nil {
			return nil, err
		}
	}
	we := jen.Code(jen.Nil())
	if b.Expand != nil {
		we = gen.loc(b.Expand.In[1])
	}
	params := b.Params()
	pv := gen.paramsVar(b.Depthwise.Layer, "Block", rt("InvertedResidualParams").Values(append([]jen.Code{
		jen.Id("Depthwise").Op(":").Add(rt("ConvParams").Values(convFields(params.Depthwise)...))},
		blockFields(params)...)...))
	need := runtime.InvertedResidualScratch(&params)
	gen.fixedScratch = max(gen.fixedScratch, need)
	return append(pre,
		jen.Id("p").Op(":=").Id(pv), jen.Id("p").Dot("Depthwise").Dot("N").Op("=").Id("n"),
		rt("InvertedResidual").Call(jen.Op("&").Id("p"), gen.loc(b.Input()), we, eps[0], gen.loc(b.Depthwise.In[1]), eps[1],
			gen.loc(b.Project.In[1]), eps[2], gen.loc(b.Project.Out[0]), gen.fixedScratchSlice(need))), nil
}

// convFields are the fields of a ConvParams literal for p, from H to PadL (N is set at run
// time; Groups only where the kernel takes it).
func convFields(p runtime.ConvParams) []jen.Code {
	return []jen.Code{
		jen.Id("H").Op(":").Lit(p.H), jen.Id("W").Op(":").Lit(p.W), jen.Id("C").Op(":").Lit(p.C),
		jen.Id("OH").Op(":").Lit(p.OH), jen.Id("OW").Op(":").Lit(p.OW), jen.Id("OC").Op(":").Lit(p.OC),
		jen.Id("KH").Op(":").Lit(p.KH), jen.Id("KW").Op(":").Lit(p.KW),
		jen.Id("SH").Op(":").Lit(p.SH), jen.Id("SW").Op(":").Lit(p.SW),
		jen.Id("DH").Op(":").Lit(p.DH), jen.Id("DW").Op(":").Lit(p.DW),
		jen.Id("PadT").Op(":").Lit(p.PadT), jen.Id("PadL").Op(":").Lit(p.PadL),
	}
}

// blockFields are the fields of an InvertedResidualParams literal after Depthwise (NoExpand
// only when set, so that the blocks with an expand layer read as before).
func blockFields(p runtime.InvertedResidualParams) []jen.Code {
	f := []jen.Code{jen.Id("C").Op(":").Lit(p.C), jen.Id("P").Op(":").Lit(p.P), jen.Id("Band").Op(":").Lit(p.Band)}
	if p.NoExpand {
		f = append(f, jen.Id("NoExpand").Op(":").True())
	}
	return f
}

func (gen *generator) emitOp(op *ir.Op) ([]jen.Code, error) {
	in := func(i int) jen.Code { return gen.loc(op.In[i]) }
	out := gen.loc(op.Out[0])
	xs, ys := op.In[0].Type.Shape, op.Out[0].Type.Shape
	switch op.Kind {
	case "MatMul":
		ep, pre, err := gen.epilogue(op)
		if err != nil {
			return nil, err
		}
		if code := gen.emitBF16Dense(op, ep); code != nil {
			return append(pre, code...), nil
		}
		w := op.In[1].Type.Shape
		dense := "Dense"
		if gen.panels[op.In[1]] {
			dense = "DensePanels"
		}
		return append(pre, rt(dense).Call(prod(xs[:len(xs)-1]), jen.Lit(int(w[0])), jen.Lit(int(w[1])), in(0), in(1), out, ep)), nil

	case "Conv", "DepthwiseConv", "ConvTranspose":
		ep, pre, err := gen.epilogue(op)
		if err != nil {
			return nil, err
		}
		code, err := gen.emitConv(op, ep)
		return append(pre, code...), err

	case "Pool":
		win, st, pads := op.Attrs.Ints("window"), op.Attrs.Ints("strides"), op.Attrs.Ints("pads")
		pv := gen.paramsVar(op.Layer, "Params", rt("PoolParams").Values(
			jen.Id("H").Op(":").Lit(int(xs[1])), jen.Id("W").Op(":").Lit(int(xs[2])), jen.Id("C").Op(":").Lit(int(xs[3])),
			jen.Id("OH").Op(":").Lit(int(ys[1])), jen.Id("OW").Op(":").Lit(int(ys[2])),
			jen.Id("KH").Op(":").Lit(win[0]), jen.Id("KW").Op(":").Lit(win[1]),
			jen.Id("SH").Op(":").Lit(st[0]), jen.Id("SW").Op(":").Lit(st[1]),
			jen.Id("PadT").Op(":").Lit(pads[0]), jen.Id("PadL").Op(":").Lit(pads[2]),
		))
		kernel := "MaxPool2D"
		if op.Attrs.String("mode", "") == "avg" {
			kernel = "AvgPool2D"
		}
		return []jen.Code{jen.Id("p").Op(":=").Id(pv), jen.Id("p").Dot("N").Op("=").Id("n"), rt(kernel).Call(jen.Op("&").Id("p"), in(0), out)}, nil

	case "Reduce":
		axes := normalize(op.Attrs.Ints("axes"), len(xs))
		lo, hi := axes[0], axes[len(axes)-1]
		if hi-lo+1 != len(axes) || lo == 0 {
			return nil, fmt.Errorf("reduction over axes %v: only contiguous non-batch axes are supported", axes)
		}
		mode := map[string]string{"mean": "ReduceMean", "max": "ReduceMax", "min": "ReduceMin", "sum": "ReduceSum"}[op.Attrs.String("mode", "")]
		return []jen.Code{rt(mode).Call(prod(xs[:lo]), prod(xs[lo:hi+1]), prod(xs[hi+1:]), in(0), out)}, nil

	case "Unary":
		fn := op.Attrs.String("fn", "")
		if u, ok := unConsts[fn]; ok {
			return []jen.Code{rt("Unary").Call(rt(u), size(op.Out[0]), in(0), out)}, nil
		}
		act, params, _, err := actCode(op.Attrs, "fn")
		if err != nil {
			return nil, err
		}
		return []jen.Code{jen.Copy(out, in(0)), rt("Activate").Call(act, params, out)}, nil

	case "Binary":
		return gen.emitBinary(op)

	case "Affine":
		c := int(xs[len(xs)-1])
		shift := jen.Code(jen.Nil())
		if len(op.In) == 3 {
			shift = in(2)
		}
		return []jen.Code{rt("Affine").Call(prod(xs[:len(xs)-1]), jen.Lit(c), in(0), in(1), shift, out)}, nil

	case "LayerNorm":
		k := len(op.Attrs.Ints("axes"))
		gamma, beta := jen.Code(jen.Nil()), jen.Code(jen.Nil())
		next := 1
		if op.Attrs.Bool("has_gamma", false) {
			gamma, next = in(next), next+1
		}
		if op.Attrs.Bool("has_beta", false) {
			beta = in(next)
		}
		return []jen.Code{rt("LayerNorm").Call(prod(xs[:len(xs)-k]), prod(xs[len(xs)-k:]), in(0), gamma, beta, out,
			jen.Lit(float32(op.Attrs.Float("eps", 1e-3))), jen.Lit(op.Attrs.Bool("rms", false)))}, nil

	case "GroupNorm":
		gamma, beta := jen.Code(jen.Nil()), jen.Code(jen.Nil())
		next := 1
		if op.Attrs.Bool("has_gamma", false) {
			gamma, next = in(next), next+1
		}
		if op.Attrs.Bool("has_beta", false) {
			beta = in(next)
		}
		return []jen.Code{rt("GroupNorm").Call(jen.Id("n"), prod(xs[1:len(xs)-1]), jen.Lit(int(xs[len(xs)-1])), jen.Lit(op.Attrs.Int("groups", 1)),
			in(0), gamma, beta, out, jen.Lit(float32(op.Attrs.Float("eps", 1e-3))))}, nil

	case "UnitNorm":
		axes := normalize(op.Attrs.Ints("axes"), len(xs))
		if len(axes) != 1 || axes[0] != len(xs)-1 {
			return nil, fmt.Errorf("unit normalization over axes %v: only the last axis is supported", axes)
		}
		return []jen.Code{rt("L2Normalize").Call(prod(xs[:len(xs)-1]), jen.Lit(int(xs[len(xs)-1])), in(0), out, jen.Lit(float32(1e-12)))}, nil

	case "Softmax", "LogSoftmax":
		axis := normalize([]int{op.Attrs.Int("axis", -1)}, len(xs))[0]
		if axis == len(xs)-1 {
			return []jen.Code{rt(op.Kind).Call(prod(xs[:axis]), jen.Lit(int(xs[axis])), in(0), out)}, nil
		}
		if op.Kind == "LogSoftmax" {
			return nil, fmt.Errorf("log-softmax over a non-last axis")
		}
		return []jen.Code{rt("SoftmaxStrided").Call(prod(xs[:axis]), jen.Lit(int(xs[axis])), prod(xs[axis+1:]), in(0), out)}, nil

	case "Reshape":
		return []jen.Code{jen.Copy(out, in(0))}, nil

	case "Transpose":
		return []jen.Code{rt("Transpose").Call(jen.Index().Int().Values(dims(xs)...), ints(op.Attrs.Ints("perm")), in(0), out)}, nil

	case "Concat":
		axis := normalize([]int{op.Attrs.Int("axis", -1)}, len(xs))[0]
		var inners, parts []jen.Code
		for i, v := range op.In {
			inners = append(inners, prod(v.Type.Shape[axis:]))
			parts = append(parts, in(i))
		}
		return []jen.Code{rt("Concat").Call(prod(xs[:axis]), jen.Index().Int().Values(inners...), jen.Index().Index().Float32().Values(parts...), out)}, nil

	case "Pad":
		return []jen.Code{rt("Pad").Call(jen.Index().Int().Values(dims(xs)...), ints(op.Attrs.Ints("before")), ints(op.Attrs.Ints("after")),
			jen.Lit(float32(op.Attrs.Float("value", 0))), in(0), out)}, nil

	case "Slice":
		return []jen.Code{rt("Slice").Call(jen.Index().Int().Values(dims(xs)...), ints(op.Attrs.Ints("begin")), jen.Index().Int().Values(dims(ys)...), in(0), out)}, nil

	case "Resize":
		kernel := "ResizeBilinear"
		if op.Attrs.String("mode", "") == "nearest" {
			kernel = "ResizeNearest"
		}
		return []jen.Code{rt(kernel).Call(jen.Id("n"), jen.Lit(int(xs[1])), jen.Lit(int(xs[2])), jen.Lit(int(xs[3])),
			jen.Lit(int(ys[1])), jen.Lit(int(ys[2])), in(0), out)}, nil

	case "Repeat":
		axis := normalize([]int{op.Attrs.Int("axis", 0)}, len(xs))[0]
		return []jen.Code{rt("Repeat").Call(prod(xs[:axis]), prod(xs[axis:axis+1]), prod(xs[axis+1:]), jen.Lit(op.Attrs.Int("times", 1)), in(0), out)}, nil

	case "BatchMatMul":
		return gen.emitBatchMatMul(op)

	case "Gather":
		tab := op.In[1].Type.Shape
		// Out-of-range ids give zero rows, as a failed lookup should not crash a server.
		return []jen.Code{rt("Gather").Call(in(0), in(1), jen.Lit(int(tab[0])), jen.Lit(int(tab[1])), out)}, nil

	case "Reverse":
		axis := normalize([]int{op.Attrs.Int("axis", 0)}, len(xs))[0]
		return []jen.Code{rt("Reverse").Call(prod(xs[:axis]), prod(xs[axis:axis+1]), prod(xs[axis+1:]), in(0), out)}, nil

	case "Recurrent":
		return gen.emitRecurrent(op)
	}
	return nil, fmt.Errorf("the code generator has no kernel for %s", op.Kind)
}

func normalize(axes []int, rank int) []int {
	out := make([]int, len(axes))
	for i, a := range axes {
		if a < 0 {
			a += rank
		}
		out[i] = a
	}
	return out
}

// emitBinary picks the cheapest elementwise kernel: same shapes, a scalar constant, or a
// general broadcast with strides.
func (gen *generator) emitBinary(op *ir.Op) ([]jen.Code, error) {
	fn, ok := binConsts[op.Attrs.String("fn", "")]
	if !ok {
		return nil, fmt.Errorf("binary function %q", op.Attrs.String("fn", ""))
	}
	a, b, y := op.In[0], op.In[1], op.Out[0]
	switch {
	case a.Type.Shape.Equal(b.Type.Shape):
		return []jen.Code{rt("Binary").Call(rt(fn), size(y), gen.loc(a), gen.loc(b), gen.loc(y))}, nil
	case b.IsConst() && len(b.Data) == 1:
		return []jen.Code{rt("BinaryScalar").Call(rt(fn), size(y), gen.loc(a), jen.Lit(b.Data[0]), gen.loc(y), jen.False())}, nil
	case a.IsConst() && len(a.Data) == 1:
		return []jen.Code{rt("BinaryScalar").Call(rt(fn), size(y), gen.loc(b), jen.Lit(a.Data[0]), gen.loc(y), jen.True())}, nil
	}
	ys := y.Type.Shape
	// strides gives v's element strides for each axis of y: 0 where v is broadcast, else the
	// product of v's later dimensions (an expression when one of them is open).
	strides := func(v *ir.Value) jen.Code {
		s := v.Type.Shape
		st := make([]jen.Code, len(ys))
		var acc []ir.Dim // v's dimensions after the current one
		for i := len(ys) - 1; i >= 0; i-- {
			j := i - (len(ys) - len(s))
			switch {
			case j < 0 || (s[j] == 1 && ys[i] != 1):
				st[i] = jen.Lit(0)
			default:
				st[i] = prod(acc)
			}
			if j >= 0 {
				acc = append(ir.Shape{s[j]}, acc...)
			}
		}
		return jen.Index().Int().Values(st...)
	}
	sa, sb := strides(a), strides(b)
	return []jen.Code{rt("BinaryBroadcast").Call(rt(fn), jen.Index().Int().Values(dims(ys)...), gen.loc(a), sa, gen.loc(b), sb, gen.loc(y))}, nil
}

// emitBatchMatMul multiplies matching matrices of (…, M, K)·(…, K, N) values over the leading
// dimensions (the batch, heads) in one runtime.GemmBatch call, which splits the products
// across threads; transposed operands use its NT / TN forms, and operands stored with their
// heads swapped (swap_a, swap_b, swap_y) are read and written in place, at strides.
func (gen *generator) emitBatchMatMul(op *ir.Op) ([]jen.Code, error) {
	a, _, err := ir.BatchMatMulOperands(op)
	if err != nil {
		return nil, err
	}
	y := op.Out[0].Type.Shape
	if op.Attrs.Bool("swap_y", false) {
		if y, err = ir.SwapHeads(y); err != nil {
			return nil, err
		}
	}
	r := len(a)
	if r < 3 {
		return nil, fmt.Errorf("batch matmul of rank %d", r)
	}
	ta, tb := op.Attrs.Bool("transpose_a", false), op.Attrs.Bool("transpose_b", false)
	form := "FormNN"
	switch {
	case ta && tb:
		return nil, fmt.Errorf("batch matmul with both operands transposed")
	case ta:
		form = "FormTN"
	case tb:
		form = "FormNT"
	}
	k := a[r-1]
	if ta {
		k = a[r-2]
	}
	dim := func(d ir.Dim) jen.Code { return dims(ir.Shape{d})[0] }
	// outer·inner products: inner is the axis before the matrices (the heads) from rank 4.
	outer, inner := prod(y[:r-2]), jen.Code(jen.Lit(1))
	if r >= 4 {
		outer, inner = prod(y[:r-3]), dim(y[r-3])
	}
	// operand locates input or output i's matrices in its stored shape s.
	operand := func(s ir.Shape, swapped bool) jen.Code {
		o, in, ld := prod(s[r-2:]), jen.Code(jen.Lit(0)), dim(s[r-1])
		switch {
		case swapped: // [… T, H, D]: head h at h·D, rows H·D apart
			o, in, ld = prod(s[r-3:]), dim(s[r-1]), prod(s[r-2:])
		case r >= 4:
			o, in = prod(s[r-3:]), prod(s[r-2:])
		}
		return rt("BatchOperand").Values(jen.Id("Outer").Op(":").Add(o), jen.Id("Inner").Op(":").Add(in), jen.Id("LD").Op(":").Add(ld))
	}
	return []jen.Code{rt("GemmBatch").Call(rt(form), outer, inner, dim(y[r-2]), dim(y[r-1]), dim(k),
		gen.loc(op.In[0]), operand(op.In[0].Type.Shape, op.Attrs.Bool("swap_a", false)),
		gen.loc(op.In[1]), operand(op.In[1].Type.Shape, op.Attrs.Bool("swap_b", false)),
		gen.loc(op.Out[0]), operand(op.Out[0].Type.Shape, op.Attrs.Bool("swap_y", false)), jen.False())}, nil
}

var cellConsts = map[string]string{"simple_rnn": "CellSimpleRNN", "lstm": "CellLSTM", "gru": "CellGRU"}

// recurrentScratch is a Recurrent op's scratch per batch row (runtime.RecurrentScratch).
func recurrentScratch(op *ir.Op) int {
	x := op.In[0].Type.Shape
	if !x[1].Static() { // per row of n*t: n*t*G*U + n*G*U + 3*n*U fits in n*t*(2*G*U + 3*U)
		x = ir.Shape{x[0], 1, x[2]}
	}
	gates := map[string]int{"simple_rnn": 1, "lstm": 4, "gru": 3}[op.Attrs.String("cell", "")]
	u := op.Attrs.Int("units", 0)
	return int(x[1])*gates*u + gates*u + 3*u
}

// emitRecurrent calls rt.Recurrent with the op's parameters and a scratch region of the arena.
func (gen *generator) emitRecurrent(op *ir.Op) ([]jen.Code, error) {
	x := op.In[0].Type.Shape
	steps := jen.Code(jen.Lit(int(x[1])))
	if !x[1].Static() {
		steps = jen.Id(symVar(x[1]))
	}
	act, actP, _, err := actCode(ir.Attrs{"act": op.Attrs.String("act", "")}, "act")
	if err != nil {
		return nil, err
	}
	rec, recP, _, err := actCode(ir.Attrs{"act": op.Attrs.String("recurrent_act", "")}, "act")
	if err != nil {
		return nil, err
	}
	pv := gen.paramsVar(op.Layer, "Params", rt("RecurrentParams").Values(
		jen.Id("F").Op(":").Lit(int(x[2])), jen.Id("U").Op(":").Lit(op.Attrs.Int("units", 0)),
		jen.Id("Cell").Op(":").Add(rt(cellConsts[op.Attrs.String("cell", "")])),
		jen.Id("Act").Op(":").Add(act), jen.Id("ActP").Op(":").Add(actP),
		jen.Id("RecAct").Op(":").Add(rec), jen.Id("RecActP").Op(":").Add(recP),
		jen.Id("ResetAfter").Op(":").Lit(op.Attrs.Bool("reset_after", false)),
		jen.Id("GoBackwards").Op(":").Lit(op.Attrs.Bool("go_backwards", false)),
		jen.Id("ReturnSequences").Op(":").Lit(op.Attrs.Bool("return_sequences", false)),
		jen.Id("ZeroOutputForMask").Op(":").Lit(op.Attrs.Bool("zero_output_for_mask", false)),
	))
	args := []jen.Code{jen.Op("&").Id("p"), gen.loc(op.In[0]), gen.loc(op.In[1]), gen.loc(op.In[2])}
	next := 3
	if op.Attrs.Bool("has_bias", false) {
		args = append(args, gen.loc(op.In[next]))
		next++
	} else {
		args = append(args, jen.Nil())
	}
	h0, c0, mask := jen.Code(jen.Nil()), jen.Code(jen.Nil()), jen.Code(jen.Nil())
	if op.Attrs.Bool("has_state", false) {
		h0 = gen.loc(op.In[next])
		if op.Attrs.String("cell", "") == "lstm" {
			c0 = gen.loc(op.In[next+1])
		}
	}
	if op.Attrs.Bool("has_mask", false) {
		mask = gen.loc(op.In[len(op.In)-1])
	}
	args = append(args, h0, c0, mask, gen.loc(op.Out[0]), gen.loc(op.Out[1]))
	if len(op.Out) > 2 {
		args = append(args, gen.loc(op.Out[2]))
	} else {
		args = append(args, jen.Nil())
	}
	gen.scratchRows = max(gen.scratchRows, recurrentScratch(op))
	args = append(args, gen.scratch(recurrentScratch(op)))
	code := []jen.Code{jen.Id("p").Op(":=").Id(pv), jen.Id("p").Dot("N").Op(",").Id("p").Dot("T").Op("=").Id("n").Op(",").Add(steps)}
	if op.Attrs.String("cell", "") == "lstm" && op.In[1].IsConst() && op.In[2].IsConst() {
		// The stacked kernel of the batched LSTM path and the recurrent kernel in the one-row
		// step's order, built once by New (nil where the runtime does not stack: activations
		// other than Keras' defaults).
		id := gen.ident(op.Layer + "Stacked")
		gen.fields = append(gen.fields, jen.Id(id).Op("*").Add(rt("StackedKernel")).Comment(op.Layer+": [kernel; recurrent kernel] in panel layout, or nil"))
		gen.inits = append(gen.inits, jen.Id("m").Dot(id).Op("=").Add(rt("StackRecurrentKernels")).Call(jen.Op("&").Id(pv), gen.loc(op.In[1]), gen.loc(op.In[2])))
		code = append(code, jen.Id("p").Dot("Stacked").Op("=").Id("m").Dot(id))
	}
	return append(code, rt("Recurrent").Call(args...)), nil
}

// scratch is the scratch region of the arena, after the planned buffers.
func (gen *generator) scratch(rows int) jen.Code {
	return jen.Id("a").Index(mul(gen.plan.Rows, gen.unit()), mul(gen.plan.Rows+rows, gen.unit()))
}

// fixedScratchSlice is the batch-independent scratch region, after every per-row region.
func (gen *generator) fixedScratchSlice(size int) jen.Code {
	start := jen.Id(gen.rowsConst).Op("*").Add(gen.unit())
	return jen.Id("a").Index(start, jen.Add(start).Op("+").Lit(size))
}
