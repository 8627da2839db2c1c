package frontend

import (
	"fmt"
	"strings"

	"github.com/kerasgen/kerasgen/ir"
)

// Lowerings of the merge layers (Add, Subtract, Multiply, Average, Maximum, Minimum,
// Concatenate, Dot) and of tf-keras' TFOpLambda for elementwise arithmetic.

func init() {
	for cls, fn := range map[string]string{"Add": "add", "Multiply": "mul", "Maximum": "max", "Minimum": "min", "Average": "add"} {
		lowerings[cls] = func(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
			if len(in) < 1 {
				return nil, fmt.Errorf("no inputs")
			}
			acc := in[0]
			for _, x := range in[1:] {
				var err error
				if acc, err = c.Op("Binary", []*ir.Value{acc, x}, ir.Attrs{"fn": fn}); err != nil {
					return nil, err
				}
			}
			if l.Class == "Average" { // Keras: the sum divided by the number of inputs
				k := c.Const("count", ir.Shape{}, []float32{float32(len(in))})
				return one(c.Op("Binary", []*ir.Value{acc, k}, ir.Attrs{"fn": "div"}))
			}
			if len(in) == 1 {
				return one(c.Op("Identity", in, nil))
			}
			return []*ir.Value{acc}, nil
		}
	}
	lowerings["Subtract"] = func(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
		if len(in) != 2 {
			return nil, fmt.Errorf("Subtract takes 2 inputs, got %d", len(in))
		}
		return one(c.Op("Binary", in, ir.Attrs{"fn": "sub"}))
	}
	lowerings["Concatenate"] = func(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
		axis, err := l.Config.Int("axis", -1)
		if err != nil {
			return nil, err
		}
		return one(c.Op("Concat", in, ir.Attrs{"axis": axis}))
	}
	lowerings["Dot"] = lowerDot
	lowerings["TFOpLambda"] = lowerTFOpLambda
}

// lowerDot lowers Dot for (batch, d)·(batch, d) and (batch, m, d)·(batch, n, d) inputs.
func lowerDot(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("Dot takes 2 inputs, got %d", len(in))
	}
	axes, err := l.Config.Ints("axes")
	if err != nil {
		return nil, err
	}
	a, b := in[0], in[1]
	rank := len(a.Type.Shape)
	if len(b.Type.Shape) != rank || len(axes) == 0 || len(axes) > 2 {
		return nil, unsupportedf("Dot of %v and %v on axes %v", a.Type.Shape, b.Type.Shape, axes)
	}
	ax := []int{axes[0], axes[len(axes)-1]}
	for i := range ax {
		if ax[i] < 0 {
			ax[i] += rank
		}
	}
	if l.Config.Bool("normalize", false) {
		if a, err = c.Op("UnitNorm", []*ir.Value{a}, ir.Attrs{"axes": []int{ax[0]}}); err != nil {
			return nil, err
		}
		if b, err = c.Op("UnitNorm", []*ir.Value{b}, ir.Attrs{"axes": []int{ax[1]}}); err != nil {
			return nil, err
		}
	}
	switch {
	case rank == 2 && ax[0] == 1 && ax[1] == 1:
		p, err := c.Op("Binary", []*ir.Value{a, b}, ir.Attrs{"fn": "mul"})
		if err != nil {
			return nil, err
		}
		return one(c.Op("Reduce", []*ir.Value{p}, ir.Attrs{"mode": "sum", "axes": []int{1}, "keepdims": true}))
	case rank == 3 && ax[0] >= 1 && ax[1] >= 1:
		return one(c.Op("BatchMatMul", []*ir.Value{a, b}, ir.Attrs{"transpose_a": ax[0] == 1, "transpose_b": ax[1] == 2}))
	}
	return nil, unsupportedf("Dot of %v and %v on axes %v", a.Type.Shape, b.Type.Shape, axes)
}

// tfOpFns maps the TF ops tf-keras records as TFOpLambda to Binary functions.
var tfOpFns = map[string]string{
	"__operators__.add": "add", "math.add": "add", "__operators__.sub": "sub", "math.subtract": "sub",
	"__operators__.mul": "mul", "math.multiply": "mul", "__operators__.truediv": "div", "math.truediv": "div",
	"math.divide": "div", "math.maximum": "max", "math.minimum": "min",
}

// lowerTFOpLambda lowers elementwise arithmetic recorded by tf-keras as TFOpLambda: x op y,
// y a tensor or a number given in the call's kwargs (or as a second input).
func lowerTFOpLambda(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	name := l.Config.String("function", "")
	fn, ok := tfOpFns[name]
	if !ok {
		return nil, unsupportedf("TF op %q (supported: %s)", name, strings.Join(sortedFnNames(), ", "))
	}
	x := in[0]
	var y *ir.Value
	switch v := n.Kwargs["y"].(type) {
	case TensorRef:
		var err error
		if y, err = c.Tensor(v); err != nil {
			return nil, err
		}
	case float64:
		y = c.Const("y", ir.Shape{}, []float32{float32(v)})
	case nil:
		if len(in) < 2 {
			return nil, fmt.Errorf("TF op %q has no second operand", name)
		}
		y = in[1]
	default:
		return nil, unsupportedf("second operand %T of TF op %q", v, name)
	}
	return one(c.Op("Binary", []*ir.Value{x, y}, ir.Attrs{"fn": fn}))
}

func sortedFnNames() []string {
	var ks []string
	for k := range tfOpFns {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return ks
}
