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
	"Maximum": "max", "Minimum": "min", "Power": "pow", "NotEqual": "not_equal",
}

// opShaping are the keras.ops classes that compute over one tensor.
var opShaping = map[string]bool{
	"OnesLike": true, "ZerosLike": true, "Cumsum": true, "Reshape": true, "Transpose": true,
	"ExpandDims": true, "Squeeze": true, "Mean": true, "Sum": true, "Max": true, "Min": true,
	"Softmax": true, "Matmul": true, "Concatenate": true,
}

// opKnown lists the keras.ops classes the frontend reads.
func opKnown(class string) bool {
	_, bin := opBinaryFns[class]
	return bin || opShaping[class]
}

// opArgs returns an op node's positional arguments as shapes (a number is a scalar, shape
// []) via shapeOf for tensors.
func opArgs(n Node, shapeOf func(TensorRef) Shape) ([]Shape, error) {
	var out []Shape
	for _, a := range n.Args {
		switch v := a.(type) {
		case TensorRef:
			out = append(out, shapeOf(v))
		case []TensorRef: // ops.concatenate([a, b])
			for _, r := range v {
				out = append(out, shapeOf(r))
			}
		case float64:
			out = append(out, Shape{})
		case map[string]any:
			_, shape, err := tensorConst(v)
			if err != nil {
				return nil, err
			}
			out = append(out, Shape(shape))
		default:
			return nil, fmt.Errorf("argument %v of type %T", a, a)
		}
	}
	return out, nil
}

// tensorConst reads a concrete tensor Keras baked into a call's arguments:
// {"class_name": "__tensor__", "config": {"value": nested lists, "dtype": ...}}.
func tensorConst(m map[string]any) ([]float32, []int, error) {
	if m["class_name"] != "__tensor__" {
		return nil, nil, fmt.Errorf("argument %v", m)
	}
	cfg, _ := m["config"].(map[string]any)
	var data []float32
	var shape []int
	var walk func(v any, depth int) error
	walk = func(v any, depth int) error {
		if depth > 32 || len(data) > 1<<24 {
			return fmt.Errorf("constant tensor too large")
		}
		switch t := v.(type) {
		case float64:
			if depth != len(shape) {
				return fmt.Errorf("ragged constant tensor")
			}
			data = append(data, float32(t))
		case bool:
			data = append(data, map[bool]float32{false: 0, true: 1}[t])
		case []any:
			if depth == len(shape) {
				shape = append(shape, len(t))
			} else if depth > len(shape) || shape[depth] != len(t) {
				return fmt.Errorf("ragged constant tensor")
			}
			for _, e := range t {
				if err := walk(e, depth+1); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("constant tensor element %T", v)
		}
		return nil
	}
	if err := walk(cfg["value"], 0); err != nil {
		return nil, nil, err
	}
	return data, shape, nil
}

// opAxes reads an op's axis config (an int, a list, or null for all axes) against a rank.
func opAxes(l *Layer, key string, rank int) ([]int, error) {
	if !l.Config.Has(key) {
		all := make([]int, rank)
		for i := range all {
			all[i] = i
		}
		return all, nil
	}
	axes, err := l.Config.Ints(key)
	if err != nil {
		return nil, err
	}
	for i, a := range axes {
		if a < 0 {
			a += rank
		}
		if a < 0 || a >= rank {
			return nil, fmt.Errorf("axis %d for rank %d", axes[i], rank)
		}
		axes[i] = a
	}
	return axes, nil
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
	case len(args) == 0:
		return nil, fmt.Errorf("%s without tensor arguments", l.Class)
	}
	x := args[0]
	switch l.Class {
	case "Softmax":
		return []Shape{x}, nil
	case "Reshape":
		target, _, err := l.Config.Shape("newshape")
		if err != nil {
			return nil, err
		}
		return []Shape{resolveReshape(x, target)}, nil
	case "Transpose":
		perm, err := l.Config.Ints("axes")
		if err != nil {
			return nil, err
		}
		if perm == nil {
			for i := len(x) - 1; i >= 0; i-- {
				perm = append(perm, i)
			}
		}
		if len(perm) != len(x) {
			return nil, fmt.Errorf("axes %v for rank %d", perm, len(x))
		}
		out := make(Shape, len(x))
		for i, p := range perm {
			if p < 0 || p >= len(x) {
				return nil, fmt.Errorf("axes %v", perm)
			}
			out[i] = x[p]
		}
		return []Shape{out}, nil
	case "ExpandDims":
		a, err := l.Config.Int("axis", 0)
		if err != nil {
			return nil, err
		}
		if a < 0 {
			a += len(x) + 1
		}
		if a < 0 || a > len(x) {
			return nil, fmt.Errorf("axis %d for rank %d", a, len(x))
		}
		out := append(append(append(Shape{}, x[:a]...), 1), x[a:]...)
		return []Shape{out}, nil
	case "Squeeze":
		axes, err := opAxes(l, "axis", len(x))
		if err != nil {
			return nil, err
		}
		var out Shape
		for i, d := range x {
			if containsInt(axes, i) && d == 1 {
				continue
			}
			if containsInt(axes, i) && l.Config.Has("axis") {
				return nil, fmt.Errorf("squeezing axis %d of size %d", i, d)
			}
			out = append(out, d)
		}
		return []Shape{out}, nil
	case "Mean", "Sum", "Max", "Min":
		axes, err := opAxes(l, "axis", len(x))
		if err != nil {
			return nil, err
		}
		var out Shape
		for i, d := range x {
			if containsInt(axes, i) {
				if l.Config.Bool("keepdims", false) {
					out = append(out, 1)
				}
				continue
			}
			out = append(out, d)
		}
		return []Shape{out}, nil
	case "Matmul":
		if len(args) != 2 || len(args[0]) < 2 || len(args[1]) < 2 {
			return nil, fmt.Errorf("matmul of %v", args)
		}
		a, b := args[0], args[1]
		batch, err := broadcastShapes(a[:len(a)-2], b[:len(b)-2])
		if err != nil {
			return nil, err
		}
		return []Shape{append(batch, a[len(a)-2], b[len(b)-1])}, nil
	case "Concatenate":
		a, err := l.Config.Int("axis", 0)
		if err != nil {
			return nil, err
		}
		if a < 0 {
			a += len(x)
		}
		out := append(Shape{}, x...)
		for _, s := range args[1:] {
			if len(s) != len(x) {
				return nil, fmt.Errorf("concatenate ranks %d and %d", len(x), len(s))
			}
			if out[a] < 0 || s[a] < 0 {
				out[a] = -1
			} else {
				out[a] += s[a]
			}
		}
		return []Shape{out}, nil
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
		case []TensorRef:
			for _, r := range v {
				t, err := c.Tensor(r)
				if err != nil {
					return nil, err
				}
				args = append(args, t)
			}
		case float64:
			args = append(args, c.Const("arg", ir.Shape{}, []float32{float32(v)}))
		case map[string]any:
			data, shape, err := tensorConst(v)
			if err != nil {
				return nil, unsupportedf("%v", err)
			}
			ds := make(ir.Shape, len(shape))
			for i, d := range shape {
				ds[i] = ir.Dim(d)
			}
			args = append(args, c.Const("tensor", ds, data))
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
	if opShaping[l.Class] {
		return lowerShapingOp(c, l, args)
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

// resolveReshape applies ops.reshape's newshape to a shape whose first dimension is the
// batch: the target's first entry stands for the batch, and a -1 among the others takes the
// remaining size.
func resolveReshape(x Shape, target []int) Shape {
	if len(target) == 0 || len(x) == 0 {
		return Shape(target)
	}
	out := Shape{x[0]}
	total, known, free := 1, 1, -1
	for _, d := range x[1:] {
		total *= d
	}
	for i, d := range target[1:] {
		if d < 0 {
			free = i + 1
			continue
		}
		known *= d
		out = append(out, d)
	}
	if free > 0 {
		rest := -1
		if total > 0 && known > 0 && total%known == 0 {
			rest = total / known
		}
		out = append(out[:free], append(Shape{rest}, out[free:]...)...)
	}
	return out
}

func containsInt(xs []int, x int) bool {
	for _, e := range xs {
		if e == x {
			return true
		}
	}
	return false
}

// lowerShapingOp lowers the keras.ops calls that reshape, reduce or multiply tensors.
func lowerShapingOp(c *LowerCtx, l *Layer, args []*ir.Value) ([]*ir.Value, error) {
	x := args[0]
	xs := x.Type.Shape
	shapeOf := func(s Shape) []int {
		out := make([]int, len(s))
		for i, d := range s {
			out[i] = d
		}
		return out
	}
	fshape := func(s ir.Shape) Shape {
		out := make(Shape, len(s))
		for i, d := range s {
			out[i] = int(d)
		}
		return out
	}
	switch l.Class {
	case "Softmax":
		axis, err := l.Config.Int("axis", -1)
		if err != nil {
			return nil, err
		}
		return one(c.Op("Softmax", args[:1], ir.Attrs{"axis": axis}))
	case "Reshape", "ExpandDims", "Squeeze":
		n := Node{Args: []any{TensorRef{}}}
		out, err := opShape(l, n, func(TensorRef) Shape { return fshape(xs) })
		if err != nil {
			return nil, err
		}
		for _, d := range out[0][1:] {
			if d < -1 {
				return nil, unsupportedf("%s to %v", l.Class, out[0])
			}
		}
		shape := shapeOf(out[0])
		shape[0] = int(ir.Batch)
		return one(c.Op("Reshape", args[:1], ir.Attrs{"shape": shape}))
	case "Transpose":
		perm, err := l.Config.Ints("axes")
		if err != nil {
			return nil, err
		}
		if perm == nil {
			for i := len(xs) - 1; i >= 0; i-- {
				perm = append(perm, i)
			}
		}
		return one(c.Op("Transpose", args[:1], ir.Attrs{"perm": perm}))
	case "Mean", "Sum", "Max", "Min":
		axes, err := opAxes(l, "axis", len(xs))
		if err != nil {
			return nil, err
		}
		mode := map[string]string{"Mean": "mean", "Sum": "sum", "Max": "max", "Min": "min"}[l.Class]
		return one(c.Op("Reduce", args[:1], ir.Attrs{"mode": mode, "axes": axes, "keepdims": l.Config.Bool("keepdims", false)}))
	case "Matmul":
		if len(args) != 2 {
			return nil, fmt.Errorf("matmul of %d tensors", len(args))
		}
		if b := args[1]; b.IsConst() && len(b.Type.Shape) == 2 {
			return one(c.Op("MatMul", args, nil))
		}
		return one(c.Op("BatchMatMul", args, nil))
	case "Concatenate":
		axis, err := l.Config.Int("axis", 0)
		if err != nil {
			return nil, err
		}
		return one(c.Op("Concat", args, ir.Attrs{"axis": axis}))
	}
	return nil, unsupportedf("keras.ops.%s", l.Class)
}
