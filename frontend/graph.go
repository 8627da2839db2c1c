package frontend

import (
	"fmt"
	"strings"
)

// NodeID names one call: node Node of layer Layer.
type NodeID struct {
	Layer string
	Node  int
}

// checkGraph validates a model's graph, nested models included: every tensor reference
// names a layer and a call that exist, the inputs are InputLayers, and there is no cycle.
func checkGraph(m *Model) error {
	if _, err := m.TopoOrder(); err != nil {
		return err
	}
	for _, l := range m.Layers {
		if l.Model != nil {
			if err := checkGraph(l.Model); err != nil {
				return fmt.Errorf("nested model %q: %w", l.Name, err)
			}
		}
	}
	return nil
}

// checkRef validates one tensor reference against the model's layers.
func (m *Model) checkRef(r TensorRef) error {
	l := m.Layer(r.Layer)
	switch {
	case l == nil:
		return fmt.Errorf("tensor %s names no layer of model %q", r, m.Name)
	case l.Class == "InputLayer":
		if r.Node != 0 || r.Tensor != 0 {
			return fmt.Errorf("tensor %s: an InputLayer has one output", r)
		}
	case r.Node >= len(l.Nodes):
		return fmt.Errorf("tensor %s: layer %q is called %d times", r, r.Layer, len(l.Nodes))
	}
	return nil
}

// TopoOrder returns the model's calls in an order where every call comes after the calls
// that produce its inputs (InputLayers first, then calls in layer order where possible). It
// fails on a dangling reference or a cycle, naming the layers involved.
func (m *Model) TopoOrder() ([]NodeID, error) {
	for _, r := range m.Inputs {
		if err := m.checkRef(r); err != nil {
			return nil, fmt.Errorf("model input: %w", err)
		}
		if m.Layer(r.Layer).Class != "InputLayer" {
			return nil, fmt.Errorf("model input %s is not an InputLayer", r)
		}
	}
	const (
		unseen = iota
		active
		done
	)
	state := map[NodeID]int{}
	var order []NodeID
	var stack []NodeID
	var visit func(id NodeID) error
	visit = func(id NodeID) error {
		switch state[id] {
		case done:
			return nil
		case active:
			var cyc []string
			for i := len(stack) - 1; i >= 0; i-- {
				cyc = append(cyc, stack[i].Layer)
				if stack[i] == id {
					break
				}
			}
			return fmt.Errorf("the layer graph has a cycle through %s", strings.Join(cyc, " <- "))
		}
		if len(stack) > 1<<16 {
			return fmt.Errorf("the layer graph is deeper than %d calls", 1<<16)
		}
		state[id] = active
		stack = append(stack, id)
		l := m.Layer(id.Layer)
		if l.Class != "InputLayer" {
			for _, in := range nodeTensors(l.Nodes[id.Node]) {
				if err := m.checkRef(in); err != nil {
					return fmt.Errorf("layer %q: %w", l.Name, err)
				}
				if err := visit(NodeID{in.Layer, in.Node}); err != nil {
					return err
				}
			}
		}
		stack = stack[:len(stack)-1]
		state[id] = done
		order = append(order, id)
		return nil
	}
	for _, l := range m.Layers {
		if l.Class == "InputLayer" {
			if err := visit(NodeID{l.Name, 0}); err != nil {
				return nil, err
			}
		}
	}
	for _, r := range m.Outputs {
		if err := m.checkRef(r); err != nil {
			return nil, fmt.Errorf("model output: %w", err)
		}
		if err := visit(NodeID{r.Layer, r.Node}); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// nodeTensors lists every tensor a call reads: positional inputs, then tensors passed by
// keyword (initial_state, mask, value, ...) in key order.
func nodeTensors(n Node) []TensorRef {
	out := append([]TensorRef{}, n.Inputs...)
	for _, k := range sortedKeys(n.Kwargs) {
		switch v := n.Kwargs[k].(type) {
		case TensorRef:
			out = append(out, v)
		case []TensorRef:
			out = append(out, v...)
		}
	}
	return out
}
