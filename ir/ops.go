package ir

import (
	"fmt"
	"slices"
	"strings"
)

// OpDef declares one op kind: its arity, attributes, shape rule, gradient rule and cost.
// The table Ops is closed: lowering may only emit these kinds, and every pass and the code
// generator handle exactly these.
type OpDef struct {
	Kind         string
	MinIn, MaxIn int    // MaxIn < 0: any number
	AttrSpec     string // "name:kind ..." with kind i, f, s, b, I (ints), F (floats); a trailing ! marks required
	Infer        func(op *Op) ([]Type, error)
	// Grad is the gradient rule, filled in by the training work: given the op and the
	// gradients of its outputs it adds ops computing the gradients of its inputs. An op
	// whose Grad is nil and NoGrad false cannot be trained through yet.
	Grad   func(g *Graph, op *Op, dOut []*Value) ([]*Value, error)
	NoGrad bool // not differentiable (integer ids, shape-only ops with no float input)
	// Cost estimates the floating-point operations of one call with symbolic dims as 1.
	Cost  func(op *Op) int64
	attrs map[string]attrInfo
}

type attrInfo struct {
	kind     byte
	required bool
}

// scheduleAttrs are the attributes any op may carry from the schedule pass (passes.Schedule):
// microbatch, the samples per step of the trunk the op belongs to.
const scheduleAttrs = "microbatch:i"

// Ops is the closed op table.
var Ops = map[string]*OpDef{}

func def(d *OpDef) {
	d.attrs = map[string]attrInfo{}
	for _, f := range strings.Fields(d.AttrSpec + " " + scheduleAttrs) {
		name, kind, _ := strings.Cut(f, ":")
		req := strings.HasSuffix(kind, "!")
		d.attrs[name] = attrInfo{kind: strings.TrimSuffix(kind, "!")[0], required: req}
	}
	if d.Cost == nil {
		d.Cost = func(op *Op) int64 { return op.Out[0].Type.Shape.StaticSize() }
	}
	Ops[d.Kind] = d
}

// check validates an op's arity and attributes against its definition.
func (d *OpDef) check(op *Op) error {
	if len(op.In) < d.MinIn || (d.MaxIn >= 0 && len(op.In) > d.MaxIn) {
		return fmt.Errorf("ir: %s (layer %s) takes %d..%d inputs, got %d", d.Kind, op.Layer, d.MinIn, d.MaxIn, len(op.In))
	}
	for i, v := range op.In {
		if v == nil {
			return fmt.Errorf("ir: %s (layer %s): input %d is nil", d.Kind, op.Layer, i)
		}
	}
	for _, k := range op.Attrs.Keys() {
		info, ok := d.attrs[k]
		if !ok {
			return fmt.Errorf("ir: %s (layer %s): unknown attribute %q", d.Kind, op.Layer, k)
		}
		if !attrKindOK(info.kind, op.Attrs[k]) {
			return fmt.Errorf("ir: %s (layer %s): attribute %q has type %T, want %s", d.Kind, op.Layer, k, op.Attrs[k], attrKindName[info.kind])
		}
	}
	for name, info := range d.attrs {
		if _, ok := op.Attrs[name]; info.required && !ok {
			return fmt.Errorf("ir: %s (layer %s): missing attribute %q", d.Kind, op.Layer, name)
		}
	}
	return nil
}

var attrKindName = map[byte]string{'i': "int", 'f': "float", 's': "string", 'b': "bool", 'I': "[]int", 'F': "[]float"}

func attrKindOK(kind byte, v any) bool {
	switch v.(type) {
	case int:
		return kind == 'i'
	case float64:
		return kind == 'f'
	case string:
		return kind == 's'
	case bool:
		return kind == 'b'
	case []int:
		return kind == 'I'
	case []float64:
		return kind == 'F'
	}
	return false
}

// actAttrs are the attributes of an activation applied by (or fused into) an op.
const actAttrs = " act:s alpha:f max_value:f threshold:f"

// Activations lists the activation names ops accept (Keras 3 names, plus
// hard_sigmoid_keras2 for Keras 2's clip(0.2x+0.5, 0, 1) and relu_full for the ReLU layer
// with max_value/negative_slope(alpha)/threshold).
var Activations = map[string]bool{
	"linear": true, "relu": true, "sigmoid": true, "tanh": true, "softplus": true, "softsign": true,
	"selu": true, "elu": true, "exponential": true, "gelu": true, "gelu_tanh": true, "silu": true,
	"hard_sigmoid": true, "hard_sigmoid_keras2": true, "hard_silu": true, "leaky_relu": true,
	"relu6": true, "mish": true, "log_sigmoid": true, "celu": true, "relu_full": true,
	"hard_tanh": true, "tanh_shrink": true, "soft_shrink": true, "hard_shrink": true, "squareplus": true,
	"sparse_plus": true, "sparse_sigmoid": true,
}

// UnaryFns lists the math functions of the Unary op besides activations.
var UnaryFns = map[string]bool{
	"neg": true, "exp": true, "log": true, "sqrt": true, "rsqrt": true, "abs": true, "square": true,
	"reciprocal": true, "sign": true, "floor": true, "ceil": true, "round": true, "erf": true,
	"sin": true, "cos": true,
}

// BinaryFns lists the functions of the Binary op.
var BinaryFns = map[string]bool{
	"add": true, "sub": true, "mul": true, "div": true, "max": true, "min": true, "pow": true, "squared_diff": true,
	"not_equal": true, // 1 where the operands differ, else 0 (masks)
}

func checkAct(op *Op) error {
	if a := op.Attrs.String("act", "linear"); !Activations[a] {
		return fmt.Errorf("unknown activation %q", a)
	}
	return nil
}

// residualAttrs are the attributes of the ops that can take a residual input (MatMul, Conv):
// residual is "before_act" (y = act(x·w + bias + r)) or "after_act" (y = act(x·w + bias) + r)
// when the op's last input is a residual r of the output's shape, added in its epilogue.
const residualAttrs = " residual:s"

// Bias returns the bias input of a MatMul, Conv, DepthwiseConv or ConvTranspose, or nil.
func (op *Op) Bias() *Value {
	n := len(op.In)
	if op.Residual() != nil {
		n--
	}
	if n == 3 {
		return op.In[2]
	}
	return nil
}

// Residual returns the residual input of a MatMul or Conv (see residualAttrs), or nil.
func (op *Op) Residual() *Value {
	if op.Attrs.String("residual", "") == "" || len(op.In) < 3 {
		return nil
	}
	return op.In[len(op.In)-1]
}

// checkResidual checks an op's residual attribute and input against its output shape.
func checkResidual(op *Op, out Shape) error {
	switch op.Attrs.String("residual", "") {
	case "":
		return nil
	case "before_act", "after_act":
	default:
		return fmt.Errorf("residual %q: want before_act or after_act", op.Attrs.String("residual", ""))
	}
	r := op.Residual()
	if r == nil {
		return fmt.Errorf("residual %q without a residual input", op.Attrs.String("residual", ""))
	}
	if !r.Type.Shape.Equal(out) {
		return fmt.Errorf("residual %v for output %v", r.Type.Shape, out)
	}
	return nil
}

// one returns a single output type; the shape is copied so that an output never shares its
// shape's backing array with an input (a pass editing one would silently edit the other).
func one(t Type) ([]Type, error) { return []Type{{t.DType, append(Shape{}, t.Shape...)}}, nil }

func init() {
	def(&OpDef{Kind: "MatMul", MinIn: 2, MaxIn: 4, AttrSpec: actAttrs + residualAttrs,
		// x [..., K] · w [K, N] (+ bias [N]) -> [..., N], then the activation; a residual
		// (see residualAttrs) last.
		Infer: func(op *Op) ([]Type, error) {
			x, w := op.In[0].Type.Shape, op.In[1].Type.Shape
			if len(x) < 1 || len(w) != 2 || x[len(x)-1] != w[0] {
				return nil, fmt.Errorf("shapes %v · %v do not multiply", x, w)
			}
			if b := op.Bias(); b != nil && !b.Type.Shape.Equal(Shape{w[1]}) {
				return nil, fmt.Errorf("bias %v for %d outputs", b.Type.Shape, w[1])
			}
			if err := checkAct(op); err != nil {
				return nil, err
			}
			out := append(append(Shape{}, x[:len(x)-1]...), w[1])
			if err := checkResidual(op, out); err != nil {
				return nil, err
			}
			return one(Type{F32, out})
		},
		Cost: func(op *Op) int64 {
			return 2 * op.Out[0].Type.Shape.StaticSize() * int64(op.In[1].Type.Shape[0])
		}})

	// BatchMatMul: a [B..., M, K] · b [B..., K, N] -> [B..., M, N]; batch dims must be equal.
	// swap_a, swap_b, swap_y (rank ≥ 4; set by the heads pass): that operand, or the output,
	// is stored with the two axes before its matrix swapped — [B..., T, H, D] for the
	// [B..., H, T, D] the product works on (attention's heads, read and written in place).
	def(&OpDef{Kind: "BatchMatMul", MinIn: 2, MaxIn: 2, AttrSpec: "transpose_a:b transpose_b:b swap_a:b swap_b:b swap_y:b",
		Infer: func(op *Op) ([]Type, error) {
			a, b, err := BatchMatMulOperands(op)
			if err != nil {
				return nil, err
			}
			if len(a) < 2 || len(a) != len(b) {
				return nil, fmt.Errorf("ranks %v, %v", a, b)
			}
			r := len(a)
			m, ka := a[r-2], a[r-1]
			if op.Attrs.Bool("transpose_a", false) {
				m, ka = ka, m
			}
			kb, n := b[r-2], b[r-1]
			if op.Attrs.Bool("transpose_b", false) {
				kb, n = n, kb
			}
			if ka != kb || !a[:r-2].Equal(b[:r-2]) {
				return nil, fmt.Errorf("shapes %v · %v do not multiply", a, b)
			}
			out := append(append(Shape{}, a[:r-2]...), m, n)
			if op.Attrs.Bool("swap_y", false) {
				if out, err = SwapHeads(out); err != nil {
					return nil, err
				}
			}
			return one(Type{F32, out})
		},
		// Two FLOPs per multiply-add: K of them per output element.
		Cost: func(op *Op) int64 {
			a, _, err := BatchMatMulOperands(op)
			if err != nil {
				return 0
			}
			k := a[len(a)-1]
			if op.Attrs.Bool("transpose_a", false) {
				k = a[len(a)-2]
			}
			return 2 * op.Out[0].Type.Shape.StaticSize() * int64(k)
		}})

	convInfer := func(op *Op) ([]Type, error) {
		out, err := ConvOutput(op)
		if err != nil {
			return nil, err
		}
		if err := checkAct(op); err != nil {
			return nil, err
		}
		if b := op.Bias(); b != nil && !b.Type.Shape.Equal(Shape{out[3]}) {
			return nil, fmt.Errorf("bias %v for %d channels", b.Type.Shape, out[3])
		}
		if mp, ok := op.Attrs["maxpool"]; ok {
			w := op.Attrs.Ints("maxpool")
			if len(w) != 2 || w[0] < 1 || w[0] > 2 || w[1] != 2 {
				return nil, fmt.Errorf("maxpool %v: want [2,2] or [1,2]", mp)
			}
			if op.Kind != "Conv" || op.Attrs.Int("groups", 1) != 1 || op.Residual() != nil {
				return nil, fmt.Errorf("maxpool is for a one-group Conv without a residual")
			}
			if out[1] < Dim(w[0]) || out[2] < 2 {
				return nil, fmt.Errorf("maxpool %v of a %v output", w, out)
			}
			out[1], out[2] = out[1]/Dim(w[0]), out[2]/2
		}
		if up, ok := op.Attrs["upsample"]; ok {
			if u := op.Attrs.Ints("upsample"); len(u) != 2 || u[0] != 2 || u[1] != 2 {
				return nil, fmt.Errorf("upsample %v: want [2,2]", up)
			}
			if !UpsampledConv(op) {
				return nil, fmt.Errorf("upsample is for a one-group 3×3, stride-1, undilated 'same' Conv without a residual or a pooling")
			}
		}
		if err := checkResidual(op, out); err != nil {
			return nil, err
		}
		return one(Type{F32, out})
	}
	// convCost counts the convolution's multiply-adds (a pooled output's pooling not counted,
	// its convolution counted whole).
	convCost := func(op *Op) int64 {
		w := op.In[1].Type.Shape
		perOut := int64(w[0]) * int64(w[1]) * int64(w[2])
		out, err := ConvOutput(op)
		if err != nil {
			out = op.Out[0].Type.Shape
		}
		return 2 * out.StaticSize() * perOut
	}
	convAttrs := "strides:I! dilations:I! pads:I! groups:i" + actAttrs
	// Conv: x [N,H,W,C], w [KH,KW,C/groups,OC] (Keras layout), optional bias [OC], optional
	// residual (see residualAttrs); pads are top, bottom, left, right. 1-D convolutions are
	// lowered with H = 1. maxpool [ph, 2] (ph 2 or 1): the output is the max pooling of
	// window and strides [ph, 2] ('valid', sizes rounded down) of the convolution after its
	// activation (passes.FuseConvPools; no residual then). upsample [2, 2]: the convolution
	// reads x upsampled 2× by nearest neighbour (each pixel repeated in a 2×2 block: the
	// output is [N, 2H, 2W, OC]); only for a one-group 3×3, stride-1, undilated 'same' Conv
	// without a residual or a pooling (passes.FuseUpsampledConvs).
	def(&OpDef{Kind: "Conv", MinIn: 2, MaxIn: 4, AttrSpec: convAttrs + residualAttrs + " maxpool:I upsample:I", Infer: convInfer, Cost: convCost})
	// DepthwiseConv: w [KH,KW,C,M]; output channel c*M+m. band: the output rows per band of the
	// inverted-residual block it is the middle (or, with noexpand = 1, the start) of
	// (passes.FuseBlocks).
	def(&OpDef{Kind: "DepthwiseConv", MinIn: 2, MaxIn: 3, AttrSpec: "strides:I! dilations:I! pads:I! band:i noexpand:i" + actAttrs,
		Infer: convInfer, Cost: func(op *Op) int64 {
			w := op.In[1].Type.Shape
			return 2 * op.Out[0].Type.Shape.StaticSize() * int64(w[0]) * int64(w[1])
		}})
	// ConvTranspose: x [N,H,W,C], w [KH,KW,OC,C] (Keras layout); out_size gives OH, OW and
	// crop the rows/columns cut from the top/left of the full transposed output.
	def(&OpDef{Kind: "ConvTranspose", MinIn: 2, MaxIn: 3, AttrSpec: "strides:I! dilations:I! out_size:I! crop:I!" + actAttrs,
		Infer: func(op *Op) ([]Type, error) {
			x, w := op.In[0].Type.Shape, op.In[1].Type.Shape
			if len(x) != 4 || len(w) != 4 || w[3] != x[3] {
				return nil, fmt.Errorf("kernel %v does not fit input %v", w, x)
			}
			sz, crop := op.Attrs.Ints("out_size"), op.Attrs.Ints("crop")
			st, dl := op.Attrs.Ints("strides"), op.Attrs.Ints("dilations")
			if len(sz) != 2 || len(crop) != 2 || len(st) != 2 || len(dl) != 2 {
				return nil, fmt.Errorf("strides, dilations, out_size and crop take 2 values")
			}
			for i := 0; i < 2; i++ {
				if sz[i] < 1 || sz[i] > maxWindow || crop[i] < 0 || st[i] < 1 || dl[i] < 1 {
					return nil, fmt.Errorf("out_size %v, crop %v, strides %v, dilations %v", sz, crop, st, dl)
				}
			}
			if len(op.In) == 3 && !op.In[2].Type.Shape.Equal(Shape{w[2]}) {
				return nil, fmt.Errorf("bias %v for %d channels", op.In[2].Type.Shape, w[2])
			}
			if err := checkAct(op); err != nil {
				return nil, err
			}
			return one(Type{F32, Shape{x[0], Dim(sz[0]), Dim(sz[1]), w[2]}})
		},
		Cost: func(op *Op) int64 {
			w := op.In[1].Type.Shape
			return 2 * op.In[0].Type.Shape.StaticSize() * int64(w[0]) * int64(w[1]) * int64(w[2])
		}})

	// Pool: max or average (padding excluded from the count) over NHWC windows.
	def(&OpDef{Kind: "Pool", MinIn: 1, MaxIn: 1, AttrSpec: "mode:s! window:I! strides:I! pads:I!",
		Infer: func(op *Op) ([]Type, error) {
			x := op.In[0].Type.Shape
			win, st, pd := op.Attrs.Ints("window"), op.Attrs.Ints("strides"), op.Attrs.Ints("pads")
			if m := op.Attrs.String("mode", ""); m != "max" && m != "avg" {
				return nil, fmt.Errorf("mode %q", m)
			}
			if len(x) != 4 || len(win) != 2 || len(st) != 2 || len(pd) != 4 {
				return nil, fmt.Errorf("want NHWC input, window/strides (2) and pads (4)")
			}
			out := Shape{x[0], 0, 0, x[3]}
			for i := 0; i < 2; i++ {
				n, err := windowOut(x[1+i], win[i], 1, st[i], pd[2*i], pd[2*i+1])
				if err != nil {
					return nil, fmt.Errorf("spatial axis %d: %w", i, err)
				}
				// A window lying wholly in the padding would have nothing to pool.
				if pd[2*i] >= win[i] || pd[2*i+1] >= win[i] {
					return nil, fmt.Errorf("pads %v not smaller than window %v", pd, win)
				}
				out[1+i] = n
			}
			return one(Type{F32, out})
		}})

	// Reduce: mean, max, min or sum over axes (negative axes count from the end).
	def(&OpDef{Kind: "Reduce", MinIn: 1, MaxIn: 1, AttrSpec: "mode:s! axes:I! keepdims:b",
		Infer: func(op *Op) ([]Type, error) {
			x := op.In[0].Type.Shape
			axes, err := normAxes(op.Attrs.Ints("axes"), len(x))
			if err != nil {
				return nil, err
			}
			switch op.Attrs.String("mode", "") {
			case "mean", "max", "min", "sum":
			default:
				return nil, fmt.Errorf("mode %q", op.Attrs.String("mode", ""))
			}
			var out Shape
			for i, d := range x {
				if containsInt(axes, i) {
					if op.Attrs.Bool("keepdims", false) {
						out = append(out, 1)
					}
					continue
				}
				out = append(out, d)
			}
			return one(Type{F32, out})
		}})

	// Unary: an activation or a math function, elementwise.
	def(&OpDef{Kind: "Unary", MinIn: 1, MaxIn: 1, AttrSpec: "fn:s!" + actAttrs[len(" act:s"):],
		Infer: func(op *Op) ([]Type, error) {
			fn := op.Attrs.String("fn", "")
			if !Activations[fn] && !UnaryFns[fn] {
				return nil, fmt.Errorf("unknown function %q", fn)
			}
			return one(op.In[0].Type)
		}})

	// Binary: elementwise with numpy broadcasting.
	def(&OpDef{Kind: "Binary", MinIn: 2, MaxIn: 2, AttrSpec: "fn:s!",
		Infer: func(op *Op) ([]Type, error) {
			if fn := op.Attrs.String("fn", ""); !BinaryFns[fn] {
				return nil, fmt.Errorf("unknown function %q", fn)
			}
			s, err := Broadcast(op.In[0].Type.Shape, op.In[1].Type.Shape)
			if err != nil {
				return nil, err
			}
			return one(Type{F32, s})
		}})

	// Affine: x * scale + shift along the last axis (scale, shift: [C] or [1]; shift optional).
	def(&OpDef{Kind: "Affine", MinIn: 2, MaxIn: 3,
		Infer: func(op *Op) ([]Type, error) {
			x := op.In[0].Type.Shape
			for _, p := range op.In[1:] {
				s := p.Type.Shape
				if len(s) != 1 || (s[0] != 1 && (len(x) == 0 || s[0] != x[len(x)-1])) {
					return nil, fmt.Errorf("parameter %v for input %v", s, x)
				}
			}
			return one(op.In[0].Type)
		}})

	// BatchNorm (inference): (x - mean) / sqrt(var + eps) * gamma + beta over the last axis;
	// inputs x, mean, variance, then gamma and beta when has_gamma/has_beta.
	def(&OpDef{Kind: "BatchNorm", MinIn: 3, MaxIn: 5, AttrSpec: "eps:f! has_gamma:b has_beta:b",
		Infer: func(op *Op) ([]Type, error) {
			want := 3
			if op.Attrs.Bool("has_gamma", false) {
				want++
			}
			if op.Attrs.Bool("has_beta", false) {
				want++
			}
			if len(op.In) != want {
				return nil, fmt.Errorf("%d inputs for has_gamma=%v has_beta=%v", len(op.In), op.Attrs["has_gamma"], op.Attrs["has_beta"])
			}
			x := op.In[0].Type.Shape
			for _, p := range op.In[1:] {
				if len(x) == 0 || !p.Type.Shape.Equal(Shape{x[len(x)-1]}) {
					return nil, fmt.Errorf("parameter %v for input %v", p.Type.Shape, x)
				}
			}
			return one(op.In[0].Type)
		}})

	// LayerNorm: normalize over the trailing axes (biased variance); rms for rms_scaling;
	// inputs x, then gamma and beta (shaped like the normalized axes) when present.
	def(&OpDef{Kind: "LayerNorm", MinIn: 1, MaxIn: 3, AttrSpec: "axes:I! eps:f! rms:b has_gamma:b has_beta:b",
		Infer: func(op *Op) ([]Type, error) {
			x := op.In[0].Type.Shape
			axes, err := normAxes(op.Attrs.Ints("axes"), len(x))
			if err != nil {
				return nil, err
			}
			for i, a := range axes {
				if a != len(x)-len(axes)+i {
					return nil, fmt.Errorf("axes %v are not the trailing axes of %v", op.Attrs.Ints("axes"), x)
				}
			}
			if err := checkNormParams(op, x[len(x)-len(axes):]); err != nil {
				return nil, err
			}
			return one(op.In[0].Type)
		}})

	// GroupNorm: Keras GroupNormalization over the last (channel) axis; inputs x, gamma?, beta?.
	def(&OpDef{Kind: "GroupNorm", MinIn: 1, MaxIn: 3, AttrSpec: "groups:i! eps:f! has_gamma:b has_beta:b",
		Infer: func(op *Op) ([]Type, error) {
			x, g := op.In[0].Type.Shape, op.Attrs.Int("groups", 0)
			if len(x) == 0 || !x[len(x)-1].Static() || g < 1 || int(x[len(x)-1])%g != 0 {
				return nil, fmt.Errorf("%d groups for input %v", g, x)
			}
			if err := checkNormParams(op, x[len(x)-1:]); err != nil {
				return nil, err
			}
			return one(op.In[0].Type)
		}})

	// UnitNorm: x / sqrt(max(sum(x^2), eps)) over axes (Keras UnitNormalization).
	def(&OpDef{Kind: "UnitNorm", MinIn: 1, MaxIn: 1, AttrSpec: "axes:I!",
		Infer: func(op *Op) ([]Type, error) {
			if _, err := normAxes(op.Attrs.Ints("axes"), len(op.In[0].Type.Shape)); err != nil {
				return nil, err
			}
			return one(op.In[0].Type)
		}})

	// Softmax and LogSoftmax over one axis.
	for _, k := range []string{"Softmax", "LogSoftmax"} {
		def(&OpDef{Kind: k, MinIn: 1, MaxIn: 1, AttrSpec: "axis:i!",
			Infer: func(op *Op) ([]Type, error) {
				if _, err := normAxes([]int{op.Attrs.Int("axis", -1)}, len(op.In[0].Type.Shape)); err != nil {
					return nil, err
				}
				return one(op.In[0].Type)
			}})
	}

	// Reshape: to shape, where -1 is the batch and -2 the open sequence length.
	def(&OpDef{Kind: "Reshape", MinIn: 1, MaxIn: 1, AttrSpec: "shape:I!", NoGrad: false,
		Infer: func(op *Op) ([]Type, error) {
			x := op.In[0].Type.Shape
			var out Shape
			for _, d := range op.Attrs.Ints("shape") {
				out = append(out, Dim(d))
			}
			if x.StaticSize() != out.StaticSize() || symbols(x) != symbols(out) {
				return nil, fmt.Errorf("cannot reshape %v to %v", x, out)
			}
			return one(Type{op.In[0].Type.DType, out})
		}, Cost: zeroCost})

	// Transpose: out[i] = in[perm[i]].
	def(&OpDef{Kind: "Transpose", MinIn: 1, MaxIn: 1, AttrSpec: "perm:I!",
		Infer: func(op *Op) ([]Type, error) {
			x, perm := op.In[0].Type.Shape, op.Attrs.Ints("perm")
			if len(perm) != len(x) {
				return nil, fmt.Errorf("perm %v for rank %d", perm, len(x))
			}
			out := make(Shape, len(x))
			seen := make([]bool, len(x))
			for i, p := range perm {
				if p < 0 || p >= len(x) || seen[p] {
					return nil, fmt.Errorf("perm %v is not a permutation", perm)
				}
				seen[p] = true
				out[i] = x[p]
			}
			return one(Type{op.In[0].Type.DType, out})
		}, Cost: zeroCost})

	// Concat along axis; other dims equal.
	def(&OpDef{Kind: "Concat", MinIn: 1, MaxIn: -1, AttrSpec: "axis:i!",
		Infer: func(op *Op) ([]Type, error) {
			x := op.In[0].Type.Shape
			ax, err := normAxes([]int{op.Attrs.Int("axis", -1)}, len(x))
			if err != nil {
				return nil, err
			}
			a := ax[0]
			out := append(Shape{}, x...)
			for _, v := range op.In[1:] {
				s := v.Type.Shape
				if len(s) != len(x) {
					return nil, fmt.Errorf("concat of %v and %v", x, s)
				}
				for i := range s {
					if i != a && s[i] != x[i] {
						return nil, fmt.Errorf("concat of %v and %v along axis %d", x, s, a)
					}
				}
				if !s[a].Static() || !out[a].Static() {
					return nil, fmt.Errorf("concat along a symbolic axis")
				}
				out[a] += s[a]
			}
			return one(Type{F32, out})
		}, Cost: zeroCost})

	// Pad: constant padding, before/after per axis.
	def(&OpDef{Kind: "Pad", MinIn: 1, MaxIn: 1, AttrSpec: "before:I! after:I! value:f",
		Infer: func(op *Op) ([]Type, error) {
			x, b, a := op.In[0].Type.Shape, op.Attrs.Ints("before"), op.Attrs.Ints("after")
			if len(b) != len(x) || len(a) != len(x) {
				return nil, fmt.Errorf("pads for rank %d", len(x))
			}
			out := append(Shape{}, x...)
			for i := range x {
				if b[i] < 0 || a[i] < 0 {
					return nil, fmt.Errorf("negative padding")
				}
				if b[i]+a[i] > 0 {
					if !x[i].Static() {
						return nil, fmt.Errorf("padding a symbolic axis")
					}
					out[i] += Dim(b[i] + a[i])
				}
			}
			return one(Type{F32, out})
		}, Cost: zeroCost})

	// Slice: begin and size per axis (size -1: to the end).
	def(&OpDef{Kind: "Slice", MinIn: 1, MaxIn: 1, AttrSpec: "begin:I! size:I!",
		Infer: func(op *Op) ([]Type, error) {
			x, b, s := op.In[0].Type.Shape, op.Attrs.Ints("begin"), op.Attrs.Ints("size")
			if len(b) != len(x) || len(s) != len(x) {
				return nil, fmt.Errorf("begin/size for rank %d", len(x))
			}
			out := append(Shape{}, x...)
			for i := range x {
				if s[i] == -1 {
					if b[i] != 0 && !x[i].Static() {
						return nil, fmt.Errorf("slicing a symbolic axis")
					}
					if b[i] < 0 || (x[i].Static() && b[i] > int(x[i])) {
						return nil, fmt.Errorf("slice [%d:] of axis %d (%v)", b[i], i, x[i])
					}
					if x[i].Static() {
						out[i] = x[i] - Dim(b[i])
					}
					continue
				}
				if !x[i].Static() || b[i] < 0 || s[i] < 0 || b[i] > int(x[i])-s[i] {
					return nil, fmt.Errorf("slice [%d:+%d] of axis %d (%v)", b[i], s[i], i, x[i])
				}
				out[i] = Dim(s[i])
			}
			return one(Type{F32, out})
		}, Cost: zeroCost})

	// Resize: NHWC to size (OH, OW), nearest or bilinear (half-pixel centers, no antialias).
	def(&OpDef{Kind: "Resize", MinIn: 1, MaxIn: 1, AttrSpec: "mode:s! size:I!",
		Infer: func(op *Op) ([]Type, error) {
			x, sz := op.In[0].Type.Shape, op.Attrs.Ints("size")
			if m := op.Attrs.String("mode", ""); m != "nearest" && m != "bilinear" {
				return nil, fmt.Errorf("mode %q", m)
			}
			if len(x) != 4 || len(sz) != 2 || sz[0] <= 0 || sz[1] <= 0 {
				return nil, fmt.Errorf("want NHWC input and 2 positive sizes")
			}
			return one(Type{F32, Shape{x[0], Dim(sz[0]), Dim(sz[1]), x[3]}})
		}})

	// Repeat: repeat each element along axis `times` times (UpSampling nearest, RepeatVector
	// after an expand).
	def(&OpDef{Kind: "Repeat", MinIn: 1, MaxIn: 1, AttrSpec: "axis:i! times:i!",
		Infer: func(op *Op) ([]Type, error) {
			x := op.In[0].Type.Shape
			ax, err := normAxes([]int{op.Attrs.Int("axis", 0)}, len(x))
			if err != nil {
				return nil, err
			}
			t := op.Attrs.Int("times", 0)
			if t < 1 || !x[ax[0]].Static() {
				return nil, fmt.Errorf("repeat %d times along axis %d of %v", t, ax[0], x)
			}
			out := append(Shape{}, x...)
			out[ax[0]] *= Dim(t)
			return one(Type{F32, out})
		}, Cost: zeroCost})

	// Gather: rows of table [V, D] by integer ids stored as floats: ids [...] -> [..., D].
	def(&OpDef{Kind: "Gather", MinIn: 2, MaxIn: 2, NoGrad: false,
		Infer: func(op *Op) ([]Type, error) {
			ids, tab := op.In[0].Type.Shape, op.In[1].Type.Shape
			if len(tab) != 2 {
				return nil, fmt.Errorf("table %v is not 2-D", tab)
			}
			return one(Type{F32, append(append(Shape{}, ids...), tab[1])})
		}, Cost: zeroCost})

	// Recurrent: a SimpleRNN, LSTM or GRU over a whole sequence (the loop over time is inside
	// the op, so code size does not grow with the sequence). Inputs: x [N,T,F], kernel
	// [F,G*U], recurrent kernel [U,G*U], then the bias when has_bias ([G*U], or [2,G*U] for a
	// GRU with reset_after), then the initial states when has_state (h0, and c0 for an LSTM),
	// then a [N,T] mask (0 = skip the step) when has_mask.
	// Outputs: y ([N,T,U] with return_sequences, else [N,U]), the final h, and c for an LSTM.
	def(&OpDef{Kind: "Recurrent", MinIn: 3, MaxIn: 7,
		AttrSpec: "cell:s! units:i! act:s! recurrent_act:s! reset_after:b go_backwards:b return_sequences:b has_bias:b has_state:b has_mask:b zero_output_for_mask:b",
		Infer: func(op *Op) ([]Type, error) {
			cell := op.Attrs.String("cell", "")
			gates := map[string]int{"simple_rnn": 1, "lstm": 4, "gru": 3}[cell]
			if gates == 0 {
				return nil, fmt.Errorf("cell %q", cell)
			}
			for _, k := range []string{"act", "recurrent_act"} {
				if a := op.Attrs.String(k, ""); !Activations[a] {
					return nil, fmt.Errorf("%s %q", k, a)
				}
			}
			u := Dim(op.Attrs.Int("units", 0))
			x, w, r := op.In[0].Type.Shape, op.In[1].Type.Shape, op.In[2].Type.Shape
			if u < 1 || len(x) != 3 || !w.Equal(Shape{x[2], Dim(gates) * u}) || !r.Equal(Shape{u, Dim(gates) * u}) {
				return nil, fmt.Errorf("kernels %v, %v for input %v and %d units", w, r, x, u)
			}
			next := 3
			if op.Attrs.Bool("has_bias", false) {
				b := op.In[next].Type.Shape
				want := Shape{Dim(gates) * u}
				if cell == "gru" && op.Attrs.Bool("reset_after", false) {
					want = Shape{2, Dim(gates) * u}
				}
				if !b.Equal(want) {
					return nil, fmt.Errorf("bias %v, want %v", b, want)
				}
				next++
			}
			states := 0
			if op.Attrs.Bool("has_state", false) {
				states = 1
				if cell == "lstm" {
					states = 2
				}
			}
			masks := 0
			if op.Attrs.Bool("has_mask", false) {
				masks = 1
				if m := op.In[len(op.In)-1].Type.Shape; !m.Equal(Shape{x[0], x[1]}) {
					return nil, fmt.Errorf("mask %v, want %v", m, Shape{x[0], x[1]})
				}
			}
			if len(op.In) != next+states+masks {
				return nil, fmt.Errorf("%d inputs, want %d", len(op.In), next+states+masks)
			}
			for _, st := range op.In[next : next+states] {
				if !st.Type.Shape.Equal(Shape{x[0], u}) {
					return nil, fmt.Errorf("initial state %v, want %v", st.Type.Shape, Shape{x[0], u})
				}
			}
			y := Shape{x[0], u}
			if op.Attrs.Bool("return_sequences", false) {
				y = Shape{x[0], x[1], u}
			}
			out := []Type{{F32, y}, {F32, Shape{x[0], u}}}
			if cell == "lstm" {
				out = append(out, Type{F32, Shape{x[0], u}})
			}
			return out, nil
		},
		Cost: func(op *Op) int64 {
			x, r := op.In[0].Type.Shape, op.In[2].Type.Shape
			return 2 * x.StaticSize() / max(int64(x[len(x)-1]), 1) * (int64(x[len(x)-1]) + int64(r[0])) * int64(r[1])
		}})

	// Reverse reverses the order along one axis (a backward RNN's sequence output).
	def(&OpDef{Kind: "Reverse", MinIn: 1, MaxIn: 1, AttrSpec: "axis:i!",
		Infer: func(op *Op) ([]Type, error) {
			_, err := normAxes([]int{op.Attrs.Int("axis", 0)}, len(op.In[0].Type.Shape))
			return []Type{{op.In[0].Type.DType, append(Shape{}, op.In[0].Type.Shape...)}}, err
		}, Cost: zeroCost})

	// Dropout and the other train-time noise layers: the identity at inference (the
	// dropout pass removes them); kind names the Keras layer family.
	def(&OpDef{Kind: "Dropout", MinIn: 1, MaxIn: 1, AttrSpec: "rate:f kind:s",
		Infer: func(op *Op) ([]Type, error) { return one(op.In[0].Type) }, Cost: zeroCost})

	// Identity passes its input through (removed by canonicalization).
	def(&OpDef{Kind: "Identity", MinIn: 1, MaxIn: 1,
		Infer: func(op *Op) ([]Type, error) { return one(op.In[0].Type) }, Cost: zeroCost})
}

func zeroCost(*Op) int64 { return 0 }

// maxWindow bounds window, stride, dilation and padding sizes so that the arithmetic of
// windowOut cannot overflow.
const maxWindow = 1 << 30

// windowOut is the length of a sliding window's output: a window of k elements dilated by
// dil, moved by stride st over in elements padded by lo before and hi after, gives
// floor((in+lo+hi-eff)/st)+1 positions with eff = (k-1)*dil+1. It refuses windows that do
// not fit. A symbolic in is kept when the window preserves the length (stride 1,
// lo+hi = eff-1, as 'same' and 'causal' padding do); other symbolic lengths cannot be
// expressed and are refused.
func windowOut(in Dim, k, dil, st, lo, hi int) (Dim, error) {
	for _, v := range []int{k, dil, st} {
		if v < 1 || v > maxWindow {
			return 0, fmt.Errorf("window %d, dilation %d, stride %d", k, dil, st)
		}
	}
	if lo < 0 || hi < 0 || lo > maxWindow || hi > maxWindow {
		return 0, fmt.Errorf("padding %d, %d", lo, hi)
	}
	eff := (k-1)*dil + 1
	if !in.Static() {
		if st == 1 && lo+hi == eff-1 {
			return in, nil
		}
		return 0, fmt.Errorf("length %v through window %d (dilation %d), stride %d, padding %d, %d has no symbolic size", in, k, dil, st, lo, hi)
	}
	span := int(in) + lo + hi - eff
	if span < 0 {
		return 0, fmt.Errorf("window %d (dilation %d) does not fit length %d padded by %d, %d", k, dil, in, lo, hi)
	}
	return Dim(span/st + 1), nil
}

// checkNormParams checks a normalization's optional gamma and beta inputs (op.In[1:]):
// one for each of has_gamma and has_beta, each shaped like param.
func checkNormParams(op *Op, param Shape) error {
	want := 1
	for _, k := range []string{"has_gamma", "has_beta"} {
		if op.Attrs.Bool(k, false) {
			want++
		}
	}
	if len(op.In) != want {
		return fmt.Errorf("%d inputs for has_gamma=%v has_beta=%v", len(op.In), op.Attrs.Bool("has_gamma", false), op.Attrs.Bool("has_beta", false))
	}
	for _, p := range op.In[1:] {
		if !p.Type.Shape.Equal(param) {
			return fmt.Errorf("parameter %v, want %v", p.Type.Shape, param)
		}
	}
	return nil
}

// Broadcast computes the numpy broadcast of two shapes.
func Broadcast(a, b Shape) (Shape, error) {
	n := max(len(a), len(b))
	out := make(Shape, n)
	for i := 0; i < n; i++ {
		da, db := Dim(1), Dim(1)
		if j := len(a) - n + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - n + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[i] = da
		case da == 1:
			out[i] = db
		case db == 1:
			out[i] = da
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

func normAxes(axes []int, rank int) ([]int, error) {
	out := make([]int, len(axes))
	for i, a := range axes {
		if a < 0 {
			a += rank
		}
		if a < 0 || a >= rank {
			return nil, fmt.Errorf("axis %d out of range for rank %d", axes[i], rank)
		}
		out[i] = a
	}
	return out, nil
}

func containsInt(xs []int, x int) bool {
	for _, e := range xs {
		if e == x {
			return true
		}
	}
	return false
}

// symbols lists a shape's symbolic dims as a string, for comparing reshapes.
func symbols(s Shape) string {
	var b strings.Builder
	for _, d := range s {
		if !d.Static() {
			b.WriteString(d.String())
		}
	}
	return b.String()
}

// ConvOutput is the output shape of a Conv or DepthwiseConv before its pooling (a Conv's
// maxpool), from its input, kernel and attributes.
func ConvOutput(op *Op) (Shape, error) {
	x, w := op.In[0].Type.Shape, op.In[1].Type.Shape
	if len(x) != 4 || len(w) != 4 {
		return nil, fmt.Errorf("want NHWC input and a 4-D kernel, got %v and %v", x, w)
	}
	st, dl, pd := op.Attrs.Ints("strides"), op.Attrs.Ints("dilations"), op.Attrs.Ints("pads")
	if len(st) != 2 || len(dl) != 2 || len(pd) != 4 {
		return nil, fmt.Errorf("strides, dilations (2 each) and pads (4) are required")
	}
	c := x[3]
	if op.Attrs["upsample"] != nil && x[1].Static() && x[2].Static() { // the image it reads
		x = Shape{x[0], 2 * x[1], 2 * x[2], c}
	}
	var oc Dim
	switch op.Kind {
	case "Conv":
		g := op.Attrs.Int("groups", 1)
		if g < 1 || c%Dim(g) != 0 || w[2]*Dim(g) != c || w[3]%Dim(g) != 0 {
			return nil, fmt.Errorf("kernel %v does not fit %d input channels in %d groups", w, c, g)
		}
		oc = w[3]
	case "DepthwiseConv":
		if w[2] != c {
			return nil, fmt.Errorf("depthwise kernel %v for %d channels", w, c)
		}
		oc = c * w[3]
	}
	out := Shape{x[0], 0, 0, oc}
	for i := 0; i < 2; i++ {
		n, err := windowOut(x[1+i], int(w[i]), dl[i], st[i], pd[2*i], pd[2*i+1])
		if err != nil {
			return nil, fmt.Errorf("spatial axis %d: %w", i, err)
		}
		out[1+i] = n
	}
	return out, nil
}

// UpsampledConv reports whether Conv op may read its input upsampled (attribute upsample): one
// group, a 3×3 kernel, unit strides and dilations, pads [1, 1, 1, 1] ('same'), no residual,
// no pooling.
func UpsampledConv(op *Op) bool {
	w, st, dl, pd := op.In[1].Type.Shape, op.Attrs.Ints("strides"), op.Attrs.Ints("dilations"), op.Attrs.Ints("pads")
	return op.Kind == "Conv" && op.Attrs.Int("groups", 1) == 1 && len(w) == 4 && w[0] == 3 && w[1] == 3 &&
		slices.Equal(st, []int{1, 1}) && slices.Equal(dl, []int{1, 1}) && slices.Equal(pd, []int{1, 1, 1, 1}) &&
		op.Residual() == nil && op.Attrs["maxpool"] == nil
}

// SwapHeads returns s with the two axes before its last swapped ([…, T, H, D] ↔
// […, H, T, D]); s must have rank 4 or more (the batch stays first).
func SwapHeads(s Shape) (Shape, error) {
	r := len(s)
	if r < 4 {
		return nil, fmt.Errorf("heads swapped in a shape of rank %d", r)
	}
	out := append(Shape{}, s...)
	out[r-3], out[r-2] = out[r-2], out[r-3]
	return out, nil
}

// BatchMatMulOperands returns the shapes a BatchMatMul's product works on: its inputs',
// with the heads swapped where swap_a or swap_b says they are stored swapped.
func BatchMatMulOperands(op *Op) (a, b Shape, err error) {
	a, b = op.In[0].Type.Shape, op.In[1].Type.Shape
	if op.Attrs.Bool("swap_a", false) {
		if a, err = SwapHeads(a); err != nil {
			return nil, nil, err
		}
	}
	if op.Attrs.Bool("swap_b", false) {
		if b, err = SwapHeads(b); err != nil {
			return nil, nil, err
		}
	}
	return a, b, nil
}
