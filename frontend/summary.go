package frontend

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Params counts a model's parameters the way Keras' count_params() does: every weight of
// every layer; trainable ones are those Keras would train (not BatchNormalization's moving
// statistics, nothing in a frozen layer or model).
type Params struct {
	Total        int64 `json:"total"`
	Trainable    int64 `json:"trainable"`
	NonTrainable int64 `json:"non_trainable"`
}

func (p *Params) add(q Params) {
	p.Total += q.Total
	p.Trainable += q.Trainable
	p.NonTrainable += q.NonTrainable
}

// CountParams counts a layer's parameters, a nested model's included.
func (l *Layer) CountParams() Params {
	var p Params
	if l.Model != nil {
		return l.Model.CountParams()
	}
	for _, w := range l.Weights {
		n := int64(w.Size())
		p.Total += n
		if w.Trainable {
			p.Trainable += n
		} else {
			p.NonTrainable += n
		}
	}
	return p
}

// CountParams counts every parameter of the model.
func (m *Model) CountParams() Params {
	var p Params
	for _, l := range m.Layers {
		p.add(l.CountParams())
	}
	return p
}

// Summary is what `kerasgen inspect` prints: Keras' model.summary() plus the inputs,
// outputs and the file's provenance.
type Summary struct {
	Name         string         `json:"name"`
	Class        string         `json:"class"`
	Format       Format         `json:"format,omitempty"`
	KerasVersion string         `json:"keras_version,omitempty"`
	Params       Params         `json:"params"`
	Layers       []LayerSummary `json:"layers"`
	Inputs       []TensorInfo   `json:"inputs"`
	Outputs      []TensorInfo   `json:"outputs"`
}

// LayerSummary is one row of the summary. OutputShape is the shape of the layer's first
// call (a list of shapes for a layer with several outputs).
type LayerSummary struct {
	Name        string         `json:"name"`
	Class       string         `json:"class"`
	OutputShape any            `json:"output_shape"`
	Params      int64          `json:"params"`
	Layers      []LayerSummary `json:"layers,omitempty"` // a nested model's own layers
}

// TensorInfo names a model input or output and its shape.
type TensorInfo struct {
	Name  string `json:"name"`
	Shape Shape  `json:"shape"`
}

// Summarize builds the summary of a model, inferring every layer's output shape.
func Summarize(m *Model) (*Summary, error) {
	shapes, err := m.OutputShapes()
	if err != nil {
		return nil, err
	}
	s := &Summary{Name: m.Name, Class: m.Class, Format: m.Format, KerasVersion: m.KerasVersion, Params: m.CountParams()}
	s.Layers = layerSummaries(m, shapes)
	for _, r := range m.Inputs {
		s.Inputs = append(s.Inputs, TensorInfo{Name: r.Layer, Shape: shapes.Of(r)})
	}
	for _, r := range m.Outputs {
		s.Outputs = append(s.Outputs, TensorInfo{Name: r.Layer, Shape: shapes.Of(r)})
	}
	return s, nil
}

func layerSummaries(m *Model, shapes *ShapeMap) []LayerSummary {
	var out []LayerSummary
	for _, l := range m.Layers {
		ls := LayerSummary{Name: l.Name, Class: l.Class, Params: l.CountParams().Total}
		outs := shapes.Calls[NodeID{l.Name, 0}]
		switch len(outs) {
		case 0:
			ls.OutputShape = nil
		case 1:
			ls.OutputShape = outs[0]
		default:
			ls.OutputShape = outs
		}
		if l.Model != nil {
			ls.Layers = layerSummaries(l.Model, shapes.Nested[l.Name])
		}
		out = append(out, ls)
	}
	return out
}

// WriteJSON prints the summary as one JSON object.
func (s *Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	return enc.Encode(s)
}

// WriteText prints the summary as a Keras-style table.
func (s *Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Model: %q (%s", s.Name, s.Class)
	if s.Format != "" {
		fmt.Fprintf(&b, ", %s file", s.Format)
	}
	if s.KerasVersion != "" {
		fmt.Fprintf(&b, " written by Keras %s", s.KerasVersion)
	}
	b.WriteString(")\n")
	w1, w2 := len("Layer (type)"), len("Output Shape")
	var widths func(ls []LayerSummary, indent int)
	widths = func(ls []LayerSummary, indent int) {
		for _, l := range ls {
			w1 = max(w1, indent+len(l.Name)+len(l.Class)+3)
			w2 = max(w2, len(shapeText(l.OutputShape)))
			widths(l.Layers, indent+2)
		}
	}
	widths(s.Layers, 0)
	line := strings.Repeat("─", w1+w2+14)
	fmt.Fprintf(&b, "%s\n%-*s %-*s %12s\n%s\n", line, w1, "Layer (type)", w2, "Output Shape", "Param #", strings.Repeat("═", w1+w2+14))
	var rows func(ls []LayerSummary, indent string)
	rows = func(ls []LayerSummary, indent string) {
		for _, l := range ls {
			fmt.Fprintf(&b, "%-*s %-*s %12s\n", w1, indent+l.Name+" ("+l.Class+")", w2, shapeText(l.OutputShape), groupDigits(l.Params))
			rows(l.Layers, indent+"  ")
		}
	}
	rows(s.Layers, "")
	fmt.Fprintf(&b, "%s\n", line)
	fmt.Fprintf(&b, " Total params: %s\n Trainable params: %s\n Non-trainable params: %s\n",
		groupDigits(s.Params.Total), groupDigits(s.Params.Trainable), groupDigits(s.Params.NonTrainable))
	for _, in := range s.Inputs {
		fmt.Fprintf(&b, " Input  %s %s\n", in.Name, in.Shape)
	}
	for _, out := range s.Outputs {
		fmt.Fprintf(&b, " Output %s %s\n", out.Name, out.Shape)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func shapeText(v any) string {
	switch t := v.(type) {
	case Shape:
		return t.String()
	case []Shape:
		parts := make([]string, len(t))
		for i, s := range t {
			parts[i] = s.String()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return "?"
}

// groupDigits writes 1234567 as 1,234,567, like Keras' summary.
func groupDigits(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
