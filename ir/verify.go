package ir

import (
	"fmt"
	"strings"
)

// Verify checks every invariant of g and returns nil, or an error naming the first op or
// value at fault (ops as "op #index Kind (layer L)", values as in the text form, "%name").
// The invariants:
//
//   - g, and every value and op it refers to, is non-nil;
//   - every value has exactly one definition (one place among g.Inputs, g.Consts and the
//     ops' Out lists), a unique ID, a unique non-empty name and a known dtype;
//   - inputs have no Def and no Data; constants have no Def, a static shape and non-nil
//     Data of exactly the shape's element count;
//   - every op's kind is in Ops; its arity and attributes pass its OpDef's check; its
//     OpDef's Infer succeeds and reproduces exactly its output types; its outputs' Def is
//     the op;
//   - every op input is a graph input, a constant or an output of an earlier op, so that
//     g.Ops is an execution order (and the graph has no cycle);
//   - every graph output is defined in g.
//
// Verify does not modify g.
func Verify(g *Graph) error {
	if g == nil {
		return fmt.Errorf("ir: verify: nil graph")
	}
	v := verifier{g: g, site: map[*Value]string{}, ids: map[int]*Value{}, names: map[string]*Value{}}
	if err := v.definitions(); err != nil {
		return v.wrap(err)
	}
	if err := v.order(); err != nil {
		return v.wrap(err)
	}
	for i, out := range g.Outputs {
		if out == nil {
			return v.wrap(fmt.Errorf("graph output %d is nil", i))
		}
		if _, ok := v.site[out]; !ok {
			return v.wrap(fmt.Errorf("graph output %d %s is not defined in the graph", i, valueRef(out)))
		}
	}
	return nil
}

type verifier struct {
	g     *Graph
	site  map[*Value]string // where each value is defined, for messages
	ids   map[int]*Value
	names map[string]*Value
}

func (v *verifier) wrap(err error) error {
	return fmt.Errorf("ir: verify graph %s: %w", quoteName(v.g.Name), err)
}

// definitions records where every value is defined and checks the per-value invariants.
func (v *verifier) definitions() error {
	for i, x := range v.g.Inputs {
		if x == nil {
			return fmt.Errorf("graph input %d is nil", i)
		}
		if err := v.define(x, fmt.Sprintf("graph input %d", i)); err != nil {
			return err
		}
		if x.Def != nil || x.Data != nil {
			return fmt.Errorf("graph input %s has a Def or Data", valueRef(x))
		}
	}
	for i, c := range v.g.Consts {
		if c == nil {
			return fmt.Errorf("constant %d is nil", i)
		}
		if err := v.define(c, fmt.Sprintf("constant %d", i)); err != nil {
			return err
		}
		if err := checkConst(c); err != nil {
			return err
		}
	}
	for k, op := range v.g.Ops {
		if op == nil {
			return fmt.Errorf("op #%d is nil", k)
		}
		for i, o := range op.Out {
			if o == nil {
				return fmt.Errorf("%s: output %d is nil", opRef(k, op), i)
			}
			if err := v.define(o, fmt.Sprintf("output %d of %s", i, opRef(k, op))); err != nil {
				return err
			}
			if o.Def != op {
				return fmt.Errorf("%s: output %s does not point back to the op (Def)", opRef(k, op), valueRef(o))
			}
			if o.Data != nil {
				return fmt.Errorf("%s: output %s has constant Data", opRef(k, op), valueRef(o))
			}
		}
	}
	return nil
}

// define records x's definition at site, refusing a second definition, a shared ID or name.
func (v *verifier) define(x *Value, site string) error {
	if prev, ok := v.site[x]; ok {
		return fmt.Errorf("value %s is defined twice: as %s and as %s", valueRef(x), prev, site)
	}
	v.site[x] = site
	if y, ok := v.ids[x.ID]; ok {
		return fmt.Errorf("values %s and %s share ID %d", valueRef(y), valueRef(x), x.ID)
	}
	v.ids[x.ID] = x
	if x.Name == "" {
		return fmt.Errorf("%s (ID %d) has an empty name", site, x.ID)
	}
	if y, ok := v.names[x.Name]; ok {
		return fmt.Errorf("%s and %s share the name %s", v.site[y], site, valueRef(x))
	}
	v.names[x.Name] = x
	if int(x.Type.DType) >= len(dtypeNames) {
		return fmt.Errorf("value %s has unknown %v", valueRef(x), x.Type.DType)
	}
	return nil
}

// checkConst checks a constant's Def, shape and Data.
func checkConst(c *Value) error {
	switch {
	case c.Def != nil:
		return fmt.Errorf("constant %s has a Def", valueRef(c))
	case !c.Type.Shape.Static():
		return fmt.Errorf("constant %s has symbolic shape %v", valueRef(c), c.Type.Shape)
	case c.Data == nil:
		return fmt.Errorf("constant %s has no Data", valueRef(c))
	}
	if n, ok := elemCount(c.Type.Shape, int64(len(c.Data))); !ok || n != int64(len(c.Data)) {
		return fmt.Errorf("constant %s of shape %v has %d elements of Data", valueRef(c), c.Type.Shape, len(c.Data))
	}
	return nil
}

// elemCount returns the element count of a static shape, and false when it exceeds limit.
func elemCount(s Shape, limit int64) (int64, bool) {
	n := int64(1)
	for _, d := range s {
		if d == 0 {
			return 0, true
		}
	}
	for _, d := range s {
		if d < 0 || int64(d) > limit || n > limit/int64(d) {
			return 0, false
		}
		n *= int64(d)
	}
	return n, n <= limit
}

// order checks the ops in execution order: kind, arity, attributes, that inputs are
// defined earlier, and that the shape rule reproduces the output types.
func (v *verifier) order() error {
	avail := map[*Value]bool{}
	for _, x := range v.g.Inputs {
		avail[x] = true
	}
	for _, c := range v.g.Consts {
		avail[c] = true
	}
	for k, op := range v.g.Ops {
		def, ok := Ops[op.Kind]
		if !ok {
			return fmt.Errorf("%s: unknown op kind %q", opRef(k, op), op.Kind)
		}
		if err := def.check(op); err != nil {
			return fmt.Errorf("%s: %w", opRef(k, op), err)
		}
		for i, x := range op.In {
			if avail[x] {
				continue
			}
			if site, ok := v.site[x]; ok {
				return fmt.Errorf("%s: input %d %s is used before its definition (%s)", opRef(k, op), i, valueRef(x), site)
			}
			return fmt.Errorf("%s: input %d %s is not defined in the graph", opRef(k, op), i, valueRef(x))
		}
		types, err := def.Infer(op)
		if err != nil {
			return fmt.Errorf("%s: shape rule: %w", opRef(k, op), err)
		}
		if len(types) != len(op.Out) {
			return fmt.Errorf("%s: has %d outputs, its shape rule gives %d", opRef(k, op), len(op.Out), len(types))
		}
		for i, t := range types {
			o := op.Out[i]
			if o.Type.DType != t.DType || !o.Type.Shape.Equal(t.Shape) {
				return fmt.Errorf("%s: output %s has type %v, its shape rule gives %v", opRef(k, op), valueRef(o), o.Type, t)
			}
		}
		for _, o := range op.Out {
			avail[o] = true
		}
	}
	return nil
}

// opRef names op number k for messages.
func opRef(k int, op *Op) string {
	var b strings.Builder
	fmt.Fprintf(&b, "op #%d %s", k, op.Kind)
	if op.Layer != "" {
		fmt.Fprintf(&b, " (layer %s)", quoteName(op.Layer))
	}
	return b.String()
}

// valueRef names a value for messages as the text form does.
func valueRef(v *Value) string {
	if v == nil {
		return "%<nil>"
	}
	return "%" + quoteName(v.Name)
}
