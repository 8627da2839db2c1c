// Package ir is kerasgen's intermediate representation: a small SSA graph of values with a
// dtype and a static shape (the batch dimension, and a sequence length the model leaves
// open, stay symbolic) and ops drawn from a closed table (see ops.go), where each op
// declares its arity, attributes, shape rule, gradient rule slot and cost.
//
// Lowering (package frontend) builds a Graph from a Keras model; passes (package passes)
// rewrite it; codegen emits Go from it. Verify checks every invariant; Print and Parse give
// a text form that round-trips, so that passes can be tested as before/after text.
package ir

import (
	"fmt"
	"sort"
)

// DType is a value's element type.
type DType uint8

// The element types.
const (
	F32 DType = iota
	I32
	I64
	Bool
)

var dtypeNames = [...]string{F32: "f32", I32: "i32", I64: "i64", Bool: "bool"}

func (d DType) String() string {
	if int(d) < len(dtypeNames) {
		return dtypeNames[d]
	}
	return fmt.Sprintf("dtype(%d)", d)
}

// Size is the width of one element in bytes.
func (d DType) Size() int {
	switch d {
	case I64:
		return 8
	case Bool:
		return 1
	}
	return 4
}

// Dim is one dimension: a static size (≥ 0) or a symbol (< 0) known only at run time.
type Dim int

// The symbolic dimensions.
const (
	Batch Dim = -1 // the batch size, a run-time argument of Predict
	Time  Dim = -2 // a sequence length the model leaves open (None)
)

func (d Dim) String() string {
	switch {
	case d == Batch:
		return "N"
	case d == Time:
		return "T"
	case d < 0:
		return fmt.Sprintf("S%d", -int(d))
	}
	return fmt.Sprint(int(d))
}

// Static reports whether the dimension is a known size.
func (d Dim) Static() bool { return d >= 0 }

// Shape is a value's shape.
type Shape []Dim

// Static reports whether every dimension is a known size.
func (s Shape) Static() bool {
	for _, d := range s {
		if !d.Static() {
			return false
		}
	}
	return true
}

// Equal compares two shapes, symbols included.
func (s Shape) Equal(t Shape) bool {
	if len(s) != len(t) {
		return false
	}
	for i := range s {
		if s[i] != t[i] {
			return false
		}
	}
	return true
}

// StaticSize is the product of the static dimensions (symbols count as 1).
func (s Shape) StaticSize() int64 {
	n := int64(1)
	for _, d := range s {
		if d.Static() {
			n *= int64(d)
		}
	}
	return n
}

func (s Shape) String() string {
	b := []byte{'['}
	for i, d := range s {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, d.String()...)
	}
	return string(append(b, ']'))
}

// Type is a value's dtype and shape.
type Type struct {
	DType DType
	Shape Shape
}

func (t Type) String() string { return t.DType.String() + t.Shape.String() }

// Value is one SSA value: a graph input, a constant (a weight) or an op's output.
type Value struct {
	ID   int
	Name string // a readable name, unique in the graph: "dense_1", "dense_1.kernel"
	Type Type
	Def  *Op       // the producing op, nil for inputs and constants
	Data []float32 // a constant's value in C order (nil for non-constants)

	// parsedHash is the hash Parse read for a constant printed without its data; Parse
	// zero-fills Data, and Print writes parsedHash back while Data is still all zeros.
	parsedHash string
}

// IsConst reports whether the value is a constant.
func (v *Value) IsConst() bool { return v.Def == nil && v.Data != nil }

// Op is one operation.
type Op struct {
	Kind  string // a key of the op table (ops.go)
	Layer string // the Keras layer it implements, for comments and dumps
	In    []*Value
	Out   []*Value
	Attrs Attrs
}

// Attrs are an op's attributes. Values are int, float64, string, bool, []int or []float64.
type Attrs map[string]any

// Int returns an int attribute (def when absent).
func (a Attrs) Int(k string, def int) int {
	if v, ok := a[k].(int); ok {
		return v
	}
	return def
}

// Float returns a float attribute.
func (a Attrs) Float(k string, def float64) float64 {
	switch v := a[k].(type) {
	case float64:
		return v
	case int:
		return float64(v)
	}
	return def
}

// String returns a string attribute.
func (a Attrs) String(k, def string) string {
	if v, ok := a[k].(string); ok {
		return v
	}
	return def
}

// Bool returns a bool attribute.
func (a Attrs) Bool(k string, def bool) bool {
	if v, ok := a[k].(bool); ok {
		return v
	}
	return def
}

// Ints returns an int-list attribute.
func (a Attrs) Ints(k string) []int {
	v, _ := a[k].([]int)
	return v
}

// Floats returns a float-list attribute.
func (a Attrs) Floats(k string) []float64 {
	v, _ := a[k].([]float64)
	return v
}

// Keys returns the attribute names, sorted.
func (a Attrs) Keys() []string {
	ks := make([]string, 0, len(a))
	for k := range a {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Graph is a whole model: inputs, constants, ops in a valid execution order, outputs.
type Graph struct {
	Name    string
	Inputs  []*Value
	Outputs []*Value
	Consts  []*Value // constants in creation order
	Ops     []*Op
	nextID  int
	names   map[string]bool
}

// NewGraph makes an empty graph.
func NewGraph(name string) *Graph { return &Graph{Name: name, names: map[string]bool{}} }

// uniqueName returns name, or name with a numeric suffix when it is taken.
func (g *Graph) uniqueName(name string) string {
	if g.names == nil {
		g.names = map[string]bool{}
	}
	if name == "" {
		name = "v"
	}
	n := name
	for i := 1; g.names[n]; i++ {
		n = fmt.Sprintf("%s_%d", name, i)
	}
	g.names[n] = true
	return n
}

func (g *Graph) newValue(name string, t Type) *Value {
	v := &Value{ID: g.nextID, Name: g.uniqueName(name), Type: t}
	g.nextID++
	return v
}

// AddInput adds a graph input.
func (g *Graph) AddInput(name string, t Type) *Value {
	v := g.newValue(name, t)
	g.Inputs = append(g.Inputs, v)
	return v
}

// AddConst adds a constant (a weight) with its data in C order.
func (g *Graph) AddConst(name string, shape Shape, data []float32) *Value {
	v := g.newValue(name, Type{F32, shape})
	v.Data = data
	g.Consts = append(g.Consts, v)
	return v
}

// AddOp appends an op, infers its output types with the op table's shape rule, and returns
// its outputs. names name the outputs (a shorter list reuses the last name with suffixes).
func (g *Graph) AddOp(kind, layer string, in []*Value, attrs Attrs, names ...string) ([]*Value, error) {
	def, ok := Ops[kind]
	if !ok {
		return nil, fmt.Errorf("ir: unknown op %q", kind)
	}
	if attrs == nil {
		attrs = Attrs{}
	}
	op := &Op{Kind: kind, Layer: layer, In: in, Attrs: attrs}
	if err := def.check(op); err != nil {
		return nil, err
	}
	types, err := def.Infer(op)
	if err != nil {
		return nil, fmt.Errorf("ir: %s (layer %s): %w", kind, layer, err)
	}
	for i, t := range types {
		name := layer
		if i < len(names) {
			name = names[i]
		} else if len(names) > 0 {
			name = names[len(names)-1]
		}
		v := g.newValue(name, t)
		v.Def = op
		op.Out = append(op.Out, v)
	}
	g.Ops = append(g.Ops, op)
	return op.Out, nil
}

// Add1 is AddOp for single-output ops.
func (g *Graph) Add1(kind, layer string, in []*Value, attrs Attrs, name ...string) (*Value, error) {
	outs, err := g.AddOp(kind, layer, in, attrs, name...)
	if err != nil {
		return nil, err
	}
	if len(outs) != 1 {
		return nil, fmt.Errorf("ir: %s has %d outputs", kind, len(outs))
	}
	return outs[0], nil
}

// Values returns every value of the graph: inputs, constants, op outputs, in that order.
func (g *Graph) Values() []*Value {
	vs := append(append([]*Value{}, g.Inputs...), g.Consts...)
	for _, op := range g.Ops {
		vs = append(vs, op.Out...)
	}
	return vs
}

// Uses counts how many op inputs and graph outputs read each value.
func (g *Graph) Uses() map[*Value]int {
	u := map[*Value]int{}
	for _, op := range g.Ops {
		for _, v := range op.In {
			u[v]++
		}
	}
	for _, v := range g.Outputs {
		u[v]++
	}
	return u
}

// Readers lists, for each value, the ops that read it, in op order, an op once per input
// that reads the value.
func (g *Graph) Readers() map[*Value][]*Op {
	r := map[*Value][]*Op{}
	for _, op := range g.Ops {
		for _, v := range op.In {
			r[v] = append(r[v], op)
		}
	}
	return r
}

// OutputSet returns the set of the graph's outputs.
func (g *Graph) OutputSet() map[*Value]bool {
	set := map[*Value]bool{}
	for _, v := range g.Outputs {
		set[v] = true
	}
	return set
}

// Replace makes every use of old (op inputs and graph outputs) use nw instead.
func (g *Graph) Replace(old, nw *Value) {
	for _, op := range g.Ops {
		for i, v := range op.In {
			if v == old {
				op.In[i] = nw
			}
		}
	}
	for i, v := range g.Outputs {
		if v == old {
			g.Outputs[i] = nw
		}
	}
}

// RemoveDead drops ops none of whose outputs are used, and unused constants.
func (g *Graph) RemoveDead() {
	for {
		uses := g.Uses()
		kept := g.Ops[:0]
		removed := false
		for _, op := range g.Ops {
			live := false
			for _, o := range op.Out {
				live = live || uses[o] > 0
			}
			if live {
				kept = append(kept, op)
			} else {
				removed = true
			}
		}
		g.Ops = kept
		if !removed {
			break
		}
	}
	uses := g.Uses()
	consts := g.Consts[:0]
	for _, c := range g.Consts {
		if uses[c] > 0 {
			consts = append(consts, c)
		}
	}
	g.Consts = consts
}
