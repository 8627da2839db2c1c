package frontend

import (
	"fmt"

	"github.com/kerasgen/kerasgen/ir"
)

// Lowerings of the core layers: Dense, activations, the train-time-only layers, and the
// layers that only move data (Flatten, Reshape, Permute, RepeatVector).

func init() {
	lowerings["Dense"] = lowerDense
	lowerings["Activation"] = func(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
		return one(c.activation(in[0], l.Config["activation"]))
	}
	lowerings["ReLU"] = func(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
		return one(c.activation(in[0], map[string]any{"class_name": "ReLU", "config": map[string]any(l.Config)}))
	}
	for _, cls := range []string{"LeakyReLU", "ELU", "Softmax", "ThresholdedReLU"} {
		lowerings[cls] = func(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
			return one(c.activation(in[0], map[string]any{"class_name": l.Class, "config": map[string]any(l.Config)}))
		}
	}
	lowerings["PReLU"] = lowerPReLU
	for _, cls := range []string{"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
		"GaussianDropout", "GaussianNoise", "AlphaDropout"} {
		lowerings[cls] = func(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
			return one(c.Op("Dropout", in[:1], ir.Attrs{"rate": l.Config.Float("rate", l.Config.Float("stddev", 0)), "kind": l.Class}))
		}
	}
	for _, cls := range []string{"ActivityRegularization", "Identity", "RandomFlip", "RandomRotation", "RandomZoom",
		"RandomTranslation", "RandomContrast", "RandomBrightness", "RandomCrop", "RandomHeight", "RandomWidth"} {
		// Identity at inference: Keras' random augmentation layers pass inputs through.
		lowerings[cls] = func(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
			return one(c.Op("Identity", in[:1], nil))
		}
	}
	lowerings["Flatten"] = func(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
		s := in[0].Type.Shape
		if len(s) <= 2 { // Keras' Flatten of (batch, features) is the identity
			return one(c.Op("Identity", in, nil))
		}
		if !s[1:].Static() {
			return nil, unsupportedf("Flatten of %v with unknown dimensions", s)
		}
		return one(c.Op("Reshape", in, ir.Attrs{"shape": []int{int(ir.Batch), int(s[1:].StaticSize())}}))
	}
	lowerings["Reshape"] = lowerReshape
	lowerings["Permute"] = func(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
		dims, err := l.Config.Ints("dims")
		if err != nil {
			return nil, err
		}
		perm := []int{0}
		for _, d := range dims {
			perm = append(perm, d) // Keras' dims are 1-based over the non-batch axes
		}
		return one(c.Op("Transpose", in, ir.Attrs{"perm": perm}))
	}
	lowerings["RepeatVector"] = func(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
		times, err := l.Config.Int("n", 1)
		if err != nil {
			return nil, err
		}
		s := in[0].Type.Shape
		if len(s) != 2 {
			return nil, unsupportedf("RepeatVector of %v", s)
		}
		x, err := c.Op("Reshape", in, ir.Attrs{"shape": []int{int(ir.Batch), 1, int(s[1])}})
		if err != nil {
			return nil, err
		}
		return one(c.Op("Repeat", []*ir.Value{x}, ir.Attrs{"axis": 1, "times": times}))
	}
}

func one(v *ir.Value, err error) ([]*ir.Value, error) {
	if err != nil {
		return nil, err
	}
	return []*ir.Value{v}, nil
}

// lowerDense: y = activation(x · kernel + bias) over the last axis of any rank.
func lowerDense(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	k, err := c.Weight(l, "kernel")
	if err != nil {
		return nil, err
	}
	ops := []*ir.Value{in[0], k}
	if l.Config.Bool("use_bias", true) {
		b, err := c.Weight(l, "bias")
		if err != nil {
			return nil, err
		}
		ops = append(ops, b)
	}
	y, err := c.Op("MatMul", ops, nil)
	if err != nil {
		return nil, err
	}
	return one(c.activation(y, l.Config["activation"]))
}

// activation applies a normalized activation (a name, or a {class_name, config} layer
// object: ReLU, LeakyReLU, ELU, Softmax, ThresholdedReLU, Activation) to x.
func (c *LowerCtx) activation(x *ir.Value, spec any) (*ir.Value, error) {
	switch s := spec.(type) {
	case nil:
		return x, nil
	case string:
		switch s {
		case "linear", "":
			return x, nil
		case "softmax":
			return c.Op("Softmax", []*ir.Value{x}, ir.Attrs{"axis": -1})
		case "log_softmax":
			return c.Op("LogSoftmax", []*ir.Value{x}, ir.Attrs{"axis": -1})
		case "hard_swish":
			s = "hard_silu"
		case "swish":
			s = "silu"
		case "leaky_relu": // keras.activations.leaky_relu's default slope
			return c.Op("Unary", []*ir.Value{x}, ir.Attrs{"fn": "leaky_relu", "alpha": 0.2})
		case "elu", "celu":
			return c.Op("Unary", []*ir.Value{x}, ir.Attrs{"fn": s, "alpha": 1.0})
		case "glu": // keras.activations.glu: a * sigmoid(b), a and b the halves of the last axis
			return c.glu(x)
		}
		if !ir.Activations[s] || s == "relu_full" || s == "gelu_tanh" {
			return nil, unsupportedf("activation %q", s)
		}
		return c.Op("Unary", []*ir.Value{x}, ir.Attrs{"fn": s})
	case map[string]any:
		obj := Config(s)
		class, _ := obj["class_name"].(string)
		cfg := obj.Sub("config")
		switch class {
		case "Activation":
			return c.activation(x, cfg["activation"])
		case "ReLU":
			slope, thr := cfg.Float("negative_slope", 0), cfg.Float("threshold", 0)
			attrs := ir.Attrs{"fn": "relu_full", "alpha": slope, "threshold": thr}
			if cfg.Has("max_value") {
				attrs["max_value"] = cfg.Float("max_value", 0)
			} else if slope == 0 && thr == 0 {
				attrs = ir.Attrs{"fn": "relu"}
			}
			return c.Op("Unary", []*ir.Value{x}, attrs)
		case "LeakyReLU":
			return c.Op("Unary", []*ir.Value{x}, ir.Attrs{"fn": "leaky_relu", "alpha": cfg.Float("negative_slope", 0.3)})
		case "ELU":
			return c.Op("Unary", []*ir.Value{x}, ir.Attrs{"fn": "elu", "alpha": cfg.Float("alpha", 1)})
		case "ThresholdedReLU":
			return c.Op("Unary", []*ir.Value{x}, ir.Attrs{"fn": "relu_full", "threshold": cfg.Float("theta", 1)})
		case "Softmax":
			axes, err := cfg.Ints("axis")
			if err != nil {
				return nil, err
			}
			if len(axes) > 1 {
				return nil, unsupportedf("Softmax over several axes %v", axes)
			}
			axis := -1
			if len(axes) == 1 {
				axis = axes[0]
			}
			return c.Op("Softmax", []*ir.Value{x}, ir.Attrs{"axis": axis})
		}
		return nil, unsupportedf("activation layer %s", class)
	}
	return nil, unsupportedf("activation %v", spec)
}

// lowerPReLU: max(x, 0) + alpha * min(x, 0) with alpha broadcast over the shared axes.
func lowerPReLU(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	alpha, err := c.Weight(l, "alpha")
	if err != nil {
		return nil, err
	}
	zero := c.Const("zero", ir.Shape{}, []float32{0})
	pos, err := c.Op("Unary", in, ir.Attrs{"fn": "relu"})
	if err != nil {
		return nil, err
	}
	neg, err := c.Op("Binary", []*ir.Value{in[0], zero}, ir.Attrs{"fn": "min"})
	if err != nil {
		return nil, err
	}
	scaled, err := c.Op("Binary", []*ir.Value{neg, alpha}, ir.Attrs{"fn": "mul"})
	if err != nil {
		return nil, err
	}
	return one(c.Op("Binary", []*ir.Value{pos, scaled}, ir.Attrs{"fn": "add"}))
}

// lowerReshape resolves Keras' target_shape (one entry may be -1) against the input.
func lowerReshape(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	target, _, err := l.Config.Shape("target_shape") // TF.js writes -1 as null
	if err != nil {
		return nil, err
	}
	s := in[0].Type.Shape
	if !s[1:].Static() {
		return nil, unsupportedf("Reshape of %v with unknown dimensions", s)
	}
	total := int(s[1:].StaticSize())
	known, free := 1, -1
	for i, d := range target {
		if d == -1 {
			if free >= 0 {
				return nil, fmt.Errorf("target_shape %v has two -1 entries", target)
			}
			free = i
			continue
		}
		known *= d
	}
	shape := []int{int(ir.Batch)}
	for i, d := range target {
		if i == free {
			if known == 0 || total%known != 0 {
				return nil, fmt.Errorf("cannot reshape %v to %v", s, target)
			}
			d = total / known
		}
		shape = append(shape, d)
	}
	return one(c.Op("Reshape", in, ir.Attrs{"shape": shape}))
}

// glu splits the last axis in halves a, b and returns a * sigmoid(b).
func (c *LowerCtx) glu(x *ir.Value) (*ir.Value, error) {
	s := x.Type.Shape
	last := s[len(s)-1]
	if !last.Static() || last%2 != 0 {
		return nil, unsupportedf("glu over an axis of size %v (it must be even)", last)
	}
	half := int(last) / 2
	begin, size := make([]int, len(s)), make([]int, len(s))
	for i := range size {
		size[i] = -1
	}
	size[len(s)-1] = half
	a, err := c.Op("Slice", []*ir.Value{x}, ir.Attrs{"begin": append([]int{}, begin...), "size": size})
	if err != nil {
		return nil, err
	}
	begin[len(s)-1] = half
	b, err := c.Op("Slice", []*ir.Value{x}, ir.Attrs{"begin": begin, "size": append([]int{}, size...)})
	if err != nil {
		return nil, err
	}
	if b, err = c.Op("Unary", []*ir.Value{b}, ir.Attrs{"fn": "sigmoid"}); err != nil {
		return nil, err
	}
	return c.Op("Binary", []*ir.Value{a, b}, ir.Attrs{"fn": "mul"})
}
