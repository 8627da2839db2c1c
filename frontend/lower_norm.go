package frontend

import (
	"math"
	"sort"

	"github.com/kerasgen/kerasgen/ir"
)

// Lowerings of normalization and rescaling layers.

func init() {
	lowerings["BatchNormalization"] = lowerBatchNorm
	lowerings["LayerNormalization"] = lowerLayerNorm
	lowerings["GroupNormalization"] = lowerGroupNorm
	lowerings["UnitNormalization"] = func(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
		axes, err := l.Config.Ints("axis")
		if err != nil {
			return nil, err
		}
		if axes == nil {
			axes = []int{-1}
		}
		return one(c.Op("UnitNorm", in, ir.Attrs{"axes": axes}))
	}
	lowerings["Rescaling"] = lowerRescaling
	lowerings["Normalization"] = lowerNormalization
}

// lastAxis normalizes a Keras axis config (an int or a one-element list) and checks it is the
// last axis of a value of the given rank.
func lastAxis(l *Layer, rank int) error {
	axes, err := l.Config.Ints("axis")
	if err != nil {
		return err
	}
	if len(axes) == 0 {
		return nil
	}
	a := axes[0]
	if a < 0 {
		a += rank
	}
	if len(axes) != 1 || a != rank-1 {
		return unsupportedf("axis %v (only the last axis is supported)", l.Config["axis"])
	}
	return nil
}

// lowerBatchNorm: inference batch normalization over the last axis.
func lowerBatchNorm(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	if err := lastAxis(l, len(in[0].Type.Shape)); err != nil {
		return nil, err
	}
	ops := []*ir.Value{in[0]}
	for _, name := range []string{"moving_mean", "moving_variance"} {
		v, err := c.Weight(l, name)
		if err != nil {
			return nil, err
		}
		ops = append(ops, v)
	}
	attrs := ir.Attrs{"eps": l.Config.Float("epsilon", 1e-3)}
	for _, p := range []struct{ key, weight, attr string }{{"scale", "gamma", "has_gamma"}, {"center", "beta", "has_beta"}} {
		if l.Config.Bool(p.key, true) {
			v, err := c.Weight(l, p.weight)
			if err != nil {
				return nil, err
			}
			ops = append(ops, v)
			attrs[p.attr] = true
		}
	}
	return one(c.Op("BatchNorm", ops, attrs))
}

// lowerLayerNorm: normalization over the configured (trailing) axes.
func lowerLayerNorm(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	axes, err := l.Config.Ints("axis")
	if err != nil {
		return nil, err
	}
	if axes == nil {
		axes = []int{-1}
	}
	rank := len(in[0].Type.Shape)
	norm := make([]int, len(axes))
	for i, a := range axes {
		if a < 0 {
			a += rank
		}
		norm[i] = a
	}
	sort.Ints(norm)
	for i, a := range norm {
		if a != rank-len(norm)+i {
			return nil, unsupportedf("normalization over axes %v of a rank-%d input (only trailing axes are supported)", axes, rank)
		}
	}
	rms := l.Config.Bool("rms_scaling", false)
	attrs := ir.Attrs{"axes": axes, "eps": l.Config.Float("epsilon", 1e-3)}
	if rms {
		attrs["rms"] = true
	}
	ops := []*ir.Value{in[0]}
	if l.Config.Bool("scale", true) || rms {
		g, err := c.Weight(l, "gamma")
		if err != nil {
			return nil, err
		}
		ops, attrs["has_gamma"] = append(ops, g), true
	}
	if l.Config.Bool("center", true) && !rms {
		b, err := c.Weight(l, "beta")
		if err != nil {
			return nil, err
		}
		ops, attrs["has_beta"] = append(ops, b), true
	}
	return one(c.Op("LayerNorm", ops, attrs))
}

func lowerGroupNorm(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	if err := lastAxis(l, len(in[0].Type.Shape)); err != nil {
		return nil, err
	}
	groups, err := l.Config.Int("groups", 32)
	if err != nil {
		return nil, err
	}
	attrs := ir.Attrs{"groups": groups, "eps": l.Config.Float("epsilon", 1e-3)}
	ops := []*ir.Value{in[0]}
	if l.Config.Bool("scale", true) {
		g, err := c.Weight(l, "gamma")
		if err != nil {
			return nil, err
		}
		ops, attrs["has_gamma"] = append(ops, g), true
	}
	if l.Config.Bool("center", true) {
		b, err := c.Weight(l, "beta")
		if err != nil {
			return nil, err
		}
		ops, attrs["has_beta"] = append(ops, b), true
	}
	return one(c.Op("GroupNorm", ops, attrs))
}

// floats reads a config value that is a number or a list of numbers, as float32.
func floats(cfg Config, key string, def float64) []float32 {
	switch v := cfg[key].(type) {
	case float64:
		return []float32{float32(v)}
	case []any:
		out := make([]float32, 0, len(v))
		for _, e := range v {
			f, _ := e.(float64)
			out = append(out, float32(f))
		}
		return out
	}
	return []float32{float32(def)}
}

// lowerRescaling: x * scale + offset, with scale and offset in float32 as Keras casts them.
func lowerRescaling(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	scale, offset := floats(l.Config, "scale", 1), floats(l.Config, "offset", 0)
	sv := c.Const("scale", ir.Shape{ir.Dim(len(scale))}, scale)
	ov := c.Const("offset", ir.Shape{ir.Dim(len(offset))}, offset)
	return one(c.Op("Affine", []*ir.Value{in[0], sv, ov}, nil))
}

// lowerNormalization: (x - mean) / max(sqrt(variance), epsilon), the adapted statistics
// coming from the layer's variables or from its config.
func lowerNormalization(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	if l.Config.Bool("invert", false) {
		return nil, unsupportedf("invert=True")
	}
	var mean, variance []float32
	var shape ir.Shape
	if m, v := l.Weight("mean"), l.Weight("variance"); m != nil && v != nil {
		mean, variance = m.Values, v.Values
		for _, d := range m.Shape {
			shape = append(shape, ir.Dim(d))
		}
	} else if l.Config.Has("mean") && l.Config.Has("variance") {
		mean, variance = floats(l.Config, "mean", 0), floats(l.Config, "variance", 1)
		shape = ir.Shape{ir.Dim(len(mean))}
	} else {
		return nil, unsupportedf("a Normalization layer that was never adapted")
	}
	denom := make([]float32, len(variance))
	for i, v := range variance {
		denom[i] = max(float32(math.Sqrt(float64(v))), 1e-7) // Keras: maximum(sqrt(variance), epsilon())
	}
	mv := c.Const("mean", shape, mean)
	dv := c.Const("denominator", shape, denom)
	centered, err := c.Op("Binary", []*ir.Value{in[0], mv}, ir.Attrs{"fn": "sub"})
	if err != nil {
		return nil, err
	}
	return one(c.Op("Binary", []*ir.Value{centered, dv}, ir.Attrs{"fn": "div"}))
}
