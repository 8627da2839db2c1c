package frontend

import (
	"fmt"
	"strings"

	"github.com/kerasgen/kerasgen/ir"
)

// Keras 3 functional graphs may call keras.ops functions directly; such calls are saved as
// operation nodes ("module": "keras.src.ops.numpy", class names like OnesLike, Cumsum,
// Subtract). They are not layers: they own no variables, are not in model.layers (so they
// take no part in .keras weight-group naming), and their class names can clash with layer
// classes (Subtract, Add), so they are told apart by their module. Their positional
// arguments may be plain numbers (n.Args). Where every input is a constant known at build
// time (position ids from ones_like/cumsum), the lowering folds them into constants.

// isOp reports whether a "layer" is a keras.ops operation node.
func isOp(l *Layer) bool {
	return strings.HasPrefix(l.Module, "keras.src.ops") || l.Module == "keras.ops"
}

// opBinaryFns maps elementwise keras.ops classes to Binary functions.
var opBinaryFns = map[string]string{
	"Add": "add", "Subtract": "sub", "Multiply": "mul", "Divide": "div", "TrueDivide": "div",
	"Maximum": "max", "Minimum": "min", "Power": "pow",
}

// opKnown lists the keras.ops classes the frontend reads.
func opKnown(class string) bool {
	_, bin := opBinaryFns[class]
	return bin || class == "OnesLike" || class == "ZerosLike" || class == "Cumsum"
}

// opArgs returns an op node's positional arguments as shapes (a number is a scalar, shape
// []) via shapeOf for tensors.
func opArgs(n Node, shapeOf func(TensorRef) Shape) ([]Shape, error) {
	var out []Shape
	for _, a := range n.Args {
		switch v := a.(type) {
		case TensorRef:
			out = append(out, shapeOf(v))
		case float64:
			out = append(out, Shape{})
		default:
			return nil, fmt.Errorf("argument %v of type %T", a, a)
		}
	}
	return out, nil
}

// opShape infers the output shape of an op node.
func opShape(l *Layer, n Node, shapeOf func(TensorRef) Shape) ([]Shape, error) {
	args, err := opArgs(n, shapeOf)
	if err != nil {
		return nil, err
	}
	switch {
	case l.Class == "OnesLike" || l.Class == "ZerosLike" || l.Class == "Cumsum":
		if len(args) != 1 {
			return nil, fmt.Errorf("%s takes one tensor", l.Class)
		}
		return []Shape{args[0]}, nil
	case opBinaryFns[l.Class] != "":
		if len(args) != 2 {
			return nil, fmt.Errorf("%s takes two arguments", l.Class)
		}
		s, err := broadcastShapes(args[0], args[1])
		return []Shape{s}, err
	}
	return nil, fmt.Errorf("keras.ops.%s is not supported", l.Class)
}

// lowerOp lowers an op node, folding it when all its inputs are constants.
func lowerOp(c *LowerCtx, l *Layer, n Node) ([]*ir.Value, error) {
	var args []*ir.Value
	for _, a := range n.Args {
		switch v := a.(type) {
		case TensorRef:
			t, err := c.Tensor(v)
			if err != nil {
				return nil, err
			}
			args = append(args, t)
		case float64:
			args = append(args, c.Const("arg", ir.Shape{}, []float32{float32(v)}))
		default:
			return nil, unsupportedf("argument %v", a)
		}
	}
	switch l.Class {
	case "OnesLike", "ZerosLike":
		// Only the shape of the input matters: a constant, broadcast over the batch.
		s := args[0].Type.Shape
		if !s[1:].Static() {
			return nil, unsupportedf("%s of a value with unknown dimensions", l.Class)
		}
		shape := append(ir.Shape{1}, s[1:]...)
		data := make([]float32, shape.StaticSize())
		if l.Class == "OnesLike" {
			for i := range data {
				data[i] = 1
			}
		}
		return []*ir.Value{c.Const(strings.ToLower(l.Class), shape, data)}, nil
	case "Cumsum":
		x := args[0]
		if !x.IsConst() {
			return nil, unsupportedf("cumsum of a value that is not a constant")
		}
		axis, err := l.Config.Int("axis", 0)
		if err != nil {
			return nil, err
		}
		return []*ir.Value{c.Const("cumsum", x.Type.Shape, cumsum(x.Data, x.Type.Shape, axis))}, nil
	}
	fn := opBinaryFns[l.Class]
	if args[0].IsConst() && args[1].IsConst() {
		shape, err := ir.Broadcast(args[0].Type.Shape, args[1].Type.Shape)
		if err != nil {
			return nil, err
		}
		return []*ir.Value{c.Const(strings.ToLower(l.Class), shape, foldBinary(fn, args[0], args[1], shape))}, nil
	}
	return one(c.Op("Binary", args, ir.Attrs{"fn": fn}))
}

// cumsum computes a cumulative sum along axis of data with the given static shape.
func cumsum(data []float32, shape ir.Shape, axis int) []float32 {
	if axis < 0 {
		axis += len(shape)
	}
	inner := int(shape[axis+1:].StaticSize())
	n := int(shape[axis])
	out := append([]float32{}, data...)
	for base := 0; base < len(out); base += n * inner {
		for i := 1; i < n; i++ {
			for j := 0; j < inner; j++ {
				out[base+i*inner+j] += out[base+(i-1)*inner+j]
			}
		}
	}
	return out
}

// foldBinary evaluates an elementwise op on constants with numpy broadcasting, in float32.
func foldBinary(fn string, a, b *ir.Value, shape ir.Shape) []float32 {
	out := make([]float32, shape.StaticSize())
	idx := func(v *ir.Value, flat int) int {
		s := v.Type.Shape
		off, stride := 0, 1
		rem := flat
		for i := len(shape) - 1; i >= 0; i-- {
			d := int(shape[i])
			coord := rem % d
			rem /= d
			j := i - (len(shape) - len(s))
			if j >= 0 {
				if s[j] != 1 {
					off += coord * stride
				}
				stride *= int(s[j])
			}
		}
		return off
	}
	for i := range out {
		x, y := a.Data[idx(a, i)], b.Data[idx(b, i)]
		switch fn {
		case "add":
			out[i] = x + y
		case "sub":
			out[i] = x - y
		case "mul":
			out[i] = x * y
		case "div":
			out[i] = x / y
		case "max":
			out[i] = max(x, y)
		case "min":
			out[i] = min(x, y)
		}
	}
	return out
}
