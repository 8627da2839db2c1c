package frontend

import (
	"errors"
	"fmt"
	"sort"

	"github.com/kerasgen/kerasgen/ir"
)

// LowerFunc lowers one call of a layer into IR ops: it gets the values of the call's
// positional tensor inputs and returns the values of the call's outputs. Tensors passed by
// keyword are reached through c.Tensor, weights through c.Weight.
type LowerFunc func(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error)

// lowerings is the table of built-in lowerings, keyed by Keras class name.
var lowerings = map[string]LowerFunc{}

// custom holds the lowerings users registered, keyed by layer name or class name.
var custom = map[string]LowerFunc{}

// RegisterLowering registers a Go lowering for a custom class, a Lambda layer or any other
// layer: key is a layer name (checked first) or a class name (a custom class's name, or its
// registered_name). The lowering replaces the built-in one for that layer or class; a
// custom class with a registered lowering is also accepted by Load.
func RegisterLowering(key string, fn LowerFunc) { custom[key] = fn }

// KnownCustomClass reports whether a lowering was registered for a class, for Options.KnownClass.
func KnownCustomClass(class string) bool { _, ok := custom[class]; return ok }

// LowerOptions tune Lower.
type LowerOptions struct {
	// Stateful lowers every recurrence with its state as an extra graph input (after the
	// model's inputs) and its final state as an extra graph output (after every other
	// output), and leaves the sequence length of the inputs open, so that the generated
	// package can stream a sequence in chunks. Recurrences that cannot stream (go_backwards,
	// Bidirectional, initial states from the model) are refused.
	Stateful bool
	// LayerOutputs adds every layer's outputs as extra graph outputs, named by their
	// layer_outputs.npz key ("<outer>/<inner>" in nested models, "<name>#<i>" for the i-th of
	// several outputs), so that a compiled model can be checked layer by layer.
	LayerOutputs bool
}

// Lowered is a lowered model: the IR graph, plus the extra layer outputs when asked for.
type Lowered struct {
	Graph *ir.Graph
	// LayerOutputs lists the keys of the extra graph outputs that follow the model's own
	// outputs, in order.
	LayerOutputs []string
	// States lists the recurrent states of a stateful lowering, in the order of their extra
	// graph inputs and of their extra graph outputs (which come last).
	States []State
}

// State is one recurrent state carried between the chunks of a stream.
type State struct {
	Name  string // "<layer>.h" or "<layer>.c"
	Units int
}

// LowerCtx is what a LowerFunc works with.
type LowerCtx struct {
	G       *ir.Graph
	Dialect int
	prefix  string // the nested-model path of the layers being lowered: "outer/inner/"
	values  map[TensorRef][]*ir.Value
	consts  map[*Weight]*ir.Value
	current string
	// stateful lowering: the states' graph inputs and final values, in order
	stateful    bool
	states      []State
	stateValues []*ir.Value
	// masks maps a sequence value to its Keras mask ([N, T], 1 keep / 0 skip).
	masks map[*ir.Value]*ir.Value
}

// Path is the key of the layer being lowered ("outer/inner" inside nested models); IR ops
// carry it as their Layer.
func (c *LowerCtx) Path() string { return c.current }

// Tensor returns the value of a tensor passed to the call (a keyword argument's TensorRef).
func (c *LowerCtx) Tensor(r TensorRef) (*ir.Value, error) {
	vs, ok := c.values[TensorRef{Layer: r.Layer, Node: r.Node}]
	if !ok || r.Tensor >= len(vs) {
		return nil, fmt.Errorf("tensor %s is not available", r)
	}
	return vs[r.Tensor], nil
}

// Weight returns a layer's weight as an IR constant (one constant per weight, however many
// times it is used), or an error naming the missing variable.
func (c *LowerCtx) Weight(l *Layer, name string) (*ir.Value, error) {
	w := l.Weight(name)
	if w == nil {
		return nil, fmt.Errorf("weight %q missing", name)
	}
	return c.weightValue(w), nil
}

func (c *LowerCtx) weightValue(w *Weight) *ir.Value {
	if v, ok := c.consts[w]; ok {
		return v
	}
	shape := make(ir.Shape, len(w.Shape))
	for i, d := range w.Shape {
		shape[i] = ir.Dim(d)
	}
	v := c.G.AddConst(c.current+"."+w.Name, shape, w.Values)
	c.consts[w] = v
	return v
}

// Const adds a constant computed by the lowering (a reshaped kernel, a folded scale).
func (c *LowerCtx) Const(name string, shape ir.Shape, data []float32) *ir.Value {
	return c.G.AddConst(c.current+"."+name, shape, data)
}

// Op adds a single-output op for the current layer.
func (c *LowerCtx) Op(kind string, in []*ir.Value, attrs ir.Attrs) (*ir.Value, error) {
	return c.G.Add1(kind, c.current, in, attrs, c.current)
}

// Lower turns a model into an IR graph: each layer call becomes the ops of its class's
// lowering, nested models are inlined, and every layer that cannot be lowered is reported at
// once in an *UnsupportedError.
func Lower(m *Model, opt LowerOptions) (*Lowered, error) {
	if err := unsupportedLayers(m); err != nil {
		return nil, err
	}
	c := &LowerCtx{G: ir.NewGraph(m.Name), Dialect: m.Dialect, consts: map[*Weight]*ir.Value{}, stateful: opt.Stateful,
		masks: map[*ir.Value]*ir.Value{}}
	var ins []*ir.Value
	next := ir.Time // each input's open length is its own symbol: T, S3, S4, ...
	for _, r := range m.Inputs {
		l := m.Layer(r.Layer)
		shape, _, err := l.Config.Shape("batch_shape")
		if err != nil {
			return nil, err
		}
		if opt.Stateful && len(shape) >= 2 {
			shape[1] = -1 // a stream's chunks have any number of steps
		}
		ins = append(ins, c.G.AddInput(l.Name, ir.Type{DType: ir.F32, Shape: irShape(shape, &next)}))
	}
	lw := &Lowered{Graph: c.G}
	outs, err := c.lowerModel(m, "", ins, lw, opt.LayerOutputs, 0)
	if err != nil {
		return nil, err
	}
	c.G.Outputs = append(append(outs, c.G.Outputs...), c.stateValues...)
	lw.States = c.states
	if opt.Stateful && len(c.states) == 0 {
		return nil, unsupportedf("a stateful build of a model without recurrent layers")
	}
	return lw, nil
}

// irShape converts an input's frontend shape: the first dimension is the batch; every other
// unknown dimension (an open sequence length) gets the next symbol from *next.
func irShape(s []int, next *ir.Dim) ir.Shape {
	out := make(ir.Shape, len(s))
	for i, d := range s {
		switch {
		case i == 0:
			out[i] = ir.Batch
		case d < 0:
			out[i] = *next
			*next--
		default:
			out[i] = ir.Dim(d)
		}
	}
	return out
}

// lowerModel lowers the calls of m with its inputs bound to ins and returns its outputs.
// When record is set, the outputs of each layer's first call are appended to the graph's
// outputs as it goes (a nested model's layers only for the model's first call).
func (c *LowerCtx) lowerModel(m *Model, prefix string, ins []*ir.Value, lw *Lowered, record bool, depth int) ([]*ir.Value, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("models nested more than %d deep", maxNesting)
	}
	order, err := m.TopoOrder()
	if err != nil {
		return nil, err
	}
	saved, savedPrefix := c.values, c.prefix
	c.values, c.prefix = map[TensorRef][]*ir.Value{}, prefix
	defer func() { c.values, c.prefix = saved, savedPrefix }()
	for i, r := range m.Inputs {
		if i >= len(ins) {
			return nil, fmt.Errorf("model %q has %d inputs, called with %d", m.Name, len(m.Inputs), len(ins))
		}
		c.values[TensorRef{Layer: r.Layer}] = []*ir.Value{ins[i]}
	}
	for _, id := range order {
		l := m.Layer(id.Layer)
		if l.Class == "InputLayer" {
			if _, ok := c.values[TensorRef{Layer: l.Name}]; !ok {
				return nil, fmt.Errorf("input layer %q is not an input of model %q", l.Name, m.Name)
			}
			continue
		}
		n := l.Nodes[id.Node]
		var in []*ir.Value
		for _, r := range n.Inputs {
			v, err := c.Tensor(r)
			if err != nil {
				return nil, fmt.Errorf("layer '%s': %w", prefix+l.Name, err)
			}
			in = append(in, v)
		}
		c.current = prefix + l.Name
		if r, ok := n.Kwargs["mask"].(TensorRef); ok && len(in) > 0 {
			// Keras 3 records the mask a layer was called with (an Embedding's
			// ops.not_equal node); it is the mask of the call's input.
			m, err := c.Tensor(r)
			if err != nil {
				return nil, fmt.Errorf("layer '%s': mask: %w", prefix+l.Name, err)
			}
			if len(m.Type.Shape) == 2 {
				c.masks[in[0]] = m
			}
		}
		var outs []*ir.Value
		if isOp(l) && lookupLowering(l) == nil {
			outs, err = lowerOp(c, l, n)
		} else if l.Model != nil && lookupLowering(l) == nil {
			outs, err = c.lowerModel(l.Model, prefix+l.Name+"/", in, lw, record && id.Node == 0, depth+1)
			c.current = prefix + l.Name
		} else {
			outs, err = lookupLowering(l)(c, l, n, in)
		}
		if err == nil {
			err = c.propagateMask(l, in, outs)
		}
		if err != nil {
			return nil, fmt.Errorf("layer '%s' (class %s): %w", prefix+l.Name, l.Class, err)
		}
		c.values[TensorRef{Layer: l.Name, Node: id.Node}] = outs
		if record && id.Node == 0 {
			for i, o := range outs {
				key := prefix + l.Name
				if len(outs) > 1 {
					key = fmt.Sprintf("%s#%d", key, i)
				}
				c.G.Outputs = append(c.G.Outputs, o)
				lw.LayerOutputs = append(lw.LayerOutputs, key)
			}
		}
	}
	var outs []*ir.Value
	for _, r := range m.Outputs {
		v, err := c.Tensor(r)
		if err != nil {
			return nil, fmt.Errorf("model %q output: %w", m.Name, err)
		}
		outs = append(outs, v)
	}
	return outs, nil
}

// lookupLowering finds a layer's lowering: a registered one by layer name, then by class or
// registered_name, then the built-in one by class.
func lookupLowering(l *Layer) LowerFunc {
	for _, k := range []string{l.Name, l.Class, l.RegisteredName} {
		if fn, ok := custom[k]; ok && k != "" {
			return fn
		}
	}
	if isOp(l) {
		return nil // keras.ops calls are lowered by lowerOp
	}
	return lowerings[l.Class]
}

// unsupportedLayers lists, in one error, every layer that has no lowering, with the reason.
func unsupportedLayers(m *Model) error {
	var bad []UnsupportedLayer
	var walk func(m *Model, prefix string)
	walk = func(m *Model, prefix string) {
		for _, l := range m.Layers {
			if l.Class == "InputLayer" || lookupLowering(l) != nil || (isOp(l) && opKnown(l.Class)) {
				continue
			}
			if l.Model != nil {
				walk(l.Model, prefix+l.Name+"/")
				continue
			}
			bad = append(bad, UnsupportedLayer{Name: prefix + l.Name, Class: l.Class, Reason: whyUnsupported(l, prefix+l.Name)})
		}
	}
	walk(m, "")
	if len(bad) == 0 {
		return nil
	}
	return &UnsupportedError{Summary: fmt.Sprintf("%d layer(s) cannot be compiled:", len(bad)), Layers: bad}
}

// sequenceClasses are the layers of the sequence work (embeddings, masking, recurrent and
// attention layers), not lowered yet.
var sequenceClasses = map[string]bool{
	"RNN": true, "ConvLSTM1D": true, "ConvLSTM2D": true,
}

func whyUnsupported(l *Layer, path string) string {
	switch {
	case l.Class == "Lambda":
		ft := l.Config.String("function_type", "lambda")
		return fmt.Sprintf("layer '%s' (class Lambda, function_type '%s') contains Python bytecode and cannot be compiled; replace it by a built-in layer (for example Rescaling) or register a Go lowering for it with frontend.RegisterLowering(%q, ...)", path, ft, l.Name)
	case l.Class == "TFOpLambda":
		return fmt.Sprintf("layer '%s' is TFOpLambda (config.function '%s'): only elementwise arithmetic TF ops are supported; register a Go lowering for it with frontend.RegisterLowering(%q, ...)", path, l.Config.String("function", "?"), l.Name)
	case sequenceClasses[l.Class]:
		return fmt.Sprintf("layer '%s' (class %s): sequence and attention layers are not supported yet", path, l.Class)
	}
	return fmt.Sprintf("layer '%s' (class %s, %s): no lowering for this class; register one with frontend.RegisterLowering(%q, ...)", path, l.Class, origin(l), l.Class)
}

// errUnsupportedConfig is returned by lowerings for a config they do not handle.
var errUnsupportedConfig = errors.New("unsupported configuration")

func unsupportedf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUnsupportedConfig, fmt.Sprintf(format, args...))
}

func sortStrings(xs []string) { sort.Strings(xs) }
