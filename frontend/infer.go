package frontend

import (
	"fmt"
	"strings"
)

// ShapeError is a layer call whose output shape cannot be inferred: its inputs do not fit
// the layer's config (Add of (None, 3) and (None, 4), a Conv2D on a rank-3 tensor), or its
// config cannot be read. Layer is the layer's path ("<outer>/<inner>" inside nested models).
type ShapeError struct {
	Layer string
	Class string
	Err   error
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("layer '%s' (class %s): %v", e.Layer, e.Class, e.Err)
}

func (e *ShapeError) Unwrap() error { return e.Err }

// OutputShapes infers the output shapes of every call of the model, nested models included
// (a nested model's call maps its inputs' shapes through its own graph), in TopoOrder.
//
// The inputs' shapes come from the model's InputLayers (their batch_shape). Every other call
// gets its shapes from the shape rule of its layer's class (shapeRules, which follow Keras 3's
// compute_output_shape); a nested model's call binds the nested model's inputs to the call's
// input shapes and records the shapes inside it in ShapeMap.Nested for its first call.
//
// A layer of a class with no shape rule fails with an *UnsupportedError naming the class;
// inputs that do not fit a layer fail with a *ShapeError naming the layer and its class.
func (m *Model) OutputShapes() (*ShapeMap, error) {
	return m.inferShapes(nil, "", 0)
}

// inferShapes infers the shapes of m's calls. bound, when not nil, gives the shapes m's
// inputs are called with (a nested model's call); prefix is the path of m's layers for
// error messages ("outer/").
func (m *Model) inferShapes(bound []Shape, prefix string, depth int) (*ShapeMap, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("models nested more than %d deep", maxNesting)
	}
	order, err := m.TopoOrder()
	if err != nil {
		return nil, fmt.Errorf("model '%s': %w", modelPath(m, prefix), err)
	}
	layers := make(map[string]*Layer, len(m.Layers))
	for _, l := range m.Layers {
		layers[l.Name] = l
	}
	sm := &ShapeMap{Calls: map[NodeID][]Shape{}, Nested: map[string]*ShapeMap{}}
	shapeOf := func(r TensorRef) Shape {
		if s := sm.Of(r); s != nil {
			return append(Shape(nil), s...)
		}
		return nil
	}
	for _, id := range order {
		l := layers[id.Layer]
		fail := func(err error) error {
			return &ShapeError{Layer: prefix + l.Name, Class: l.Class, Err: err}
		}
		if l.Class == "InputLayer" {
			s, err := inputLayerShape(l)
			if err != nil {
				return nil, fail(err)
			}
			for i, r := range m.Inputs {
				if bound != nil && r.Layer == l.Name {
					if s, err = bindInput(s, bound[i]); err != nil {
						return nil, fail(err)
					}
				}
			}
			sm.Calls[id] = []Shape{s}
			continue
		}
		n := l.Nodes[id.Node]
		for _, r := range nodeTensors(n) {
			if sm.Of(r) == nil {
				return nil, fail(fmt.Errorf("input tensor %s does not exist: layer '%s' has %d outputs",
					r, r.Layer, len(sm.Calls[NodeID{r.Layer, r.Node}])))
			}
		}
		in := make([]Shape, len(n.Inputs))
		for i, r := range n.Inputs {
			in[i] = shapeOf(r)
		}
		var outs []Shape
		if l.Model != nil {
			if len(in) != len(l.Model.Inputs) {
				return nil, fail(fmt.Errorf("called with %d positional tensors, the nested model has %d inputs", len(in), len(l.Model.Inputs)))
			}
			sub, err := l.Model.inferShapes(in, prefix+l.Name+"/", depth+1)
			if err != nil {
				return nil, err
			}
			for _, r := range l.Model.Outputs {
				outs = append(outs, sub.Of(r))
			}
			if id.Node == 0 {
				sm.Nested[l.Name] = sub
			}
		} else if isOp(l) {
			if outs, err = opShape(l, n, shapeOf); err != nil {
				return nil, fail(err)
			}
		} else {
			rule, ok := shapeRules[l.Class]
			if !ok {
				return nil, &UnsupportedError{Layers: []UnsupportedLayer{{
					Name: prefix + l.Name, Class: l.Class,
					Reason: fmt.Sprintf("layer '%s' (class %s): no shape rule for class %s", prefix+l.Name, l.Class, l.Class),
				}}}
			}
			if outs, err = rule(l, n, in, shapeOf); err != nil {
				return nil, fail(err)
			}
			if err := checkWeightShapes(l, in); err != nil {
				return nil, fail(err)
			}
			for _, o := range outs {
				for _, d := range o {
					if d < -1 || d > maxElements {
						return nil, fail(fmt.Errorf("inferred output shape %s is out of range", o))
					}
				}
			}
		}
		sm.Calls[id] = outs
	}
	for _, r := range m.Outputs {
		if sm.Of(r) == nil {
			return nil, fmt.Errorf("model '%s': output tensor %s does not exist: layer '%s' has %d outputs",
				modelPath(m, prefix), r, r.Layer, len(sm.Calls[NodeID{r.Layer, r.Node}]))
		}
	}
	return sm, nil
}

// modelPath names a model in errors: its path for a nested model, else its name.
func modelPath(m *Model, prefix string) string {
	if prefix != "" {
		return strings.TrimSuffix(prefix, "/")
	}
	return m.Name
}

// inputLayerShape reads an InputLayer's batch_shape (Keras 2's batch_input_shape is
// normalized to it; a bare `shape` gets an unknown batch).
func inputLayerShape(l *Layer) (Shape, error) {
	s, ok, err := l.Config.Shape("batch_shape")
	if err != nil {
		return nil, err
	}
	if !ok {
		if s, ok, err = l.Config.Shape("shape"); err != nil {
			return nil, err
		}
		if ok {
			s = append([]int{-1}, s...)
		}
	}
	if !ok {
		return nil, fmt.Errorf("InputLayer has no batch_shape")
	}
	for _, d := range s {
		if d < -1 {
			return nil, fmt.Errorf("batch_shape %v has a negative dimension", s)
		}
	}
	return Shape(s), nil
}

// bindInput merges the shape a nested model's InputLayer declares with the shape the model
// is called with. The call's tensor is what flows through the nested model, so its batch and
// its known dimensions win (Keras 3 only warns when they differ from the declared ones); a
// dimension unknown in the call takes the declared one. Like Keras 3's Functional call, a
// rank that differs by a trailing 1 is squeezed or expanded; another rank is an error.
func bindInput(decl, call Shape) (Shape, error) {
	if len(decl) == 0 || len(call) == 0 {
		return nil, fmt.Errorf("called with shape %s, but the nested model's input has shape %s", call, decl)
	}
	switch {
	case len(call) == len(decl)+1 && call[len(call)-1] == 1:
		call = call[:len(call)-1]
	case len(call)+1 == len(decl) && decl[len(decl)-1] == 1:
		call = append(append(Shape(nil), call...), 1)
	}
	if len(call) != len(decl) {
		return nil, fmt.Errorf("called with shape %s, but the nested model's input has shape %s", call, decl)
	}
	out := make(Shape, len(decl))
	out[0] = call[0]
	for i := 1; i < len(decl); i++ {
		if out[i] = call[i]; call[i] < 0 {
			out[i] = decl[i]
		}
	}
	return out, nil
}
