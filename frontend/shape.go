package frontend

import (
	"strconv"
	"strings"
)

// Shape is a static tensor shape with the batch dimension first; -1 marks a dimension
// unknown until run time (the batch, a sequence length given as None).
type Shape []int

// String writes the shape as Keras does: (None, 28, 28, 1).
func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d < 0 {
			parts[i] = "None"
		} else {
			parts[i] = strconv.Itoa(d)
		}
	}
	if len(parts) == 1 {
		return "(" + parts[0] + ",)"
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// MarshalJSON writes the shape as a list with null for unknown dimensions: [null, 32].
func (s Shape) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		if d < 0 {
			b.WriteString("null")
		} else {
			b.WriteString(strconv.Itoa(d))
		}
	}
	b.WriteByte(']')
	return []byte(b.String()), nil
}

// Equal reports whether two shapes are identical (unknown dimensions equal each other).
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

// ShapeMap holds the inferred output shapes of every call of a model.
type ShapeMap struct {
	// Calls maps each call to the shapes of its outputs, in output order.
	Calls map[NodeID][]Shape
	// Nested holds, for each nested model layer, the shapes inside it for its first call.
	Nested map[string]*ShapeMap
}

// Of returns the shape of one tensor, or nil when it is unknown.
func (s *ShapeMap) Of(r TensorRef) Shape {
	if s == nil {
		return nil
	}
	outs := s.Calls[NodeID{r.Layer, r.Node}]
	if r.Tensor < len(outs) {
		return outs[r.Tensor]
	}
	return nil
}
