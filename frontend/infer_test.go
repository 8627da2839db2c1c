package frontend

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/runtime"
)

// Shape inference is checked against what Keras computed on real inputs: every layer's
// output array in the golden cases' layer_outputs.npz and the corpus' meta.json
// layer_outputs, and the model outputs (expected*.npy).
//
// Each model is checked twice:
//   - as written: the inferred shape must match the array in every dimension but the batch,
//     where an inferred -1 (a dimension the model leaves unknown, such as seq2seq's time
//     axis) matches anything; the inferred batch must be -1 or the array's (golden cases);
//   - with its inputs bound to the arrays' shapes (batch included): then every dimension of
//     every inferred shape must equal the array's exactly.

// shapeWant is one expected layer output: the key names the layer ("outer/inner" inside
// nested models, "name#i" for the i-th output of a multi-output layer).
type shapeWant struct {
	Key   string
	Shape []int
}

// shapeCase is what one model file is checked against.
type shapeCase struct {
	Label   string      // "golden/conv1d/model.keras"
	Layers  []shapeWant // expected layer outputs
	Outputs [][]int     // expected model outputs, in model.outputs order
	Inputs  [][]int     // the arrays' input shapes, in model.inputs order
	// LooseBatch: the inferred batch may be anything (the corpus: an InputLayer may declare
	// batch 32 while the arrays have 2). Otherwise it must be -1 or the array's.
	LooseBatch bool
}

// lookupShape finds the inferred shape of a layer output key.
func lookupShape(m *Model, sm *ShapeMap, key string) (Shape, error) {
	parts := strings.Split(key, "/")
	for _, p := range parts[:len(parts)-1] {
		l := m.Layer(p)
		if l == nil || l.Model == nil {
			return nil, fmt.Errorf("%q is not a nested model of model %q", p, m.Name)
		}
		if sm = sm.Nested[p]; sm == nil {
			return nil, fmt.Errorf("no shapes recorded inside nested model %q", p)
		}
		m = l.Model
	}
	name, idx := parts[len(parts)-1], -1
	if i := strings.LastIndexByte(name, '#'); i >= 0 {
		n, err := strconv.Atoi(name[i+1:])
		if err == nil {
			name, idx = name[:i], n
		}
	}
	if m.Layer(name) == nil {
		return nil, fmt.Errorf("no layer named %q in model %q", name, m.Name)
	}
	outs, ok := sm.Calls[NodeID{name, 0}]
	if !ok {
		return nil, fmt.Errorf("layer %q has no inferred call", name)
	}
	switch {
	case idx >= 0 && idx < len(outs):
		return outs[idx], nil
	case idx >= 0:
		return nil, fmt.Errorf("layer %q has %d inferred outputs, no output %d", name, len(outs), idx)
	case len(outs) != 1:
		return nil, fmt.Errorf("layer %q has %d inferred outputs, the key names one", name, len(outs))
	}
	return outs[0], nil
}

// shapeMismatch says why got does not match the array shape want, or "".
func shapeMismatch(got Shape, want []int, strict, looseBatch bool) string {
	if len(got) != len(want) {
		return "rank differs"
	}
	for i := range got {
		switch {
		case got[i] == want[i]:
		case strict:
			return fmt.Sprintf("dimension %d differs", i)
		case i == 0 && (looseBatch || got[0] == -1):
		case i > 0 && got[i] == -1:
		default:
			return fmt.Sprintf("dimension %d differs", i)
		}
	}
	return ""
}

// checkShapes infers m's shapes and compares them with c; strict as above.
func checkShapes(t *testing.T, m *Model, c shapeCase, strict bool) {
	t.Helper()
	mode := "as written"
	if strict {
		mode = "inputs bound to the arrays' shapes"
	}
	sm, err := m.OutputShapes()
	if err != nil {
		t.Errorf("%s (%s): OutputShapes: %v", c.Label, mode, err)
		return
	}
	for _, w := range c.Layers {
		got, err := lookupShape(m, sm, w.Key)
		if err != nil {
			t.Errorf("%s (%s): layer %s: %v", c.Label, mode, w.Key, err)
			continue
		}
		if why := shapeMismatch(got, w.Shape, strict, c.LooseBatch); why != "" {
			t.Errorf("%s (%s): layer %s: inferred %s, Keras computed %s (%s)", c.Label, mode, w.Key, got, Shape(w.Shape), why)
		}
	}
	if len(m.Outputs) != len(c.Outputs) {
		t.Errorf("%s: the model has %d outputs, the case %d", c.Label, len(m.Outputs), len(c.Outputs))
		return
	}
	for i, r := range m.Outputs {
		got := sm.Of(r)
		if why := shapeMismatch(got, c.Outputs[i], strict, c.LooseBatch); why != "" {
			t.Errorf("%s (%s): model output %d (%s): inferred %s, expected array %s (%s)", c.Label, mode, i, r, got, Shape(c.Outputs[i]), why)
		}
	}
}

// bindInputShapes sets the batch_shape of the model's InputLayers to the given shapes.
func bindInputShapes(t *testing.T, m *Model, shapes [][]int) {
	t.Helper()
	if len(shapes) != len(m.Inputs) {
		t.Fatalf("the model has %d inputs, the case %d", len(m.Inputs), len(shapes))
	}
	for i, r := range m.Inputs {
		m.Layer(r.Layer).Config["batch_shape"] = shapeToJSON(shapes[i])
	}
}

// runShapeCase checks one loaded model both ways.
func runShapeCase(t *testing.T, load func() (*Model, error), c shapeCase) {
	t.Helper()
	m, err := load()
	if err != nil {
		t.Fatalf("%s: load: %v", c.Label, err)
	}
	checkShapes(t, m, c, false)
	if m, err = load(); err != nil {
		t.Fatalf("%s: load: %v", c.Label, err)
	}
	bindInputShapes(t, m, c.Inputs)
	checkShapes(t, m, c, true)
}

// npyFiles lists prefix.npy or prefix_<i>.npy in a directory, in index order.
func npyFiles(t *testing.T, dir, prefix string) []string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(dir, prefix+".npy")); err == nil {
		return []string{filepath.Join(dir, prefix+".npy")}
	}
	var out []string
	for i := 0; ; i++ {
		p := filepath.Join(dir, fmt.Sprintf("%s_%d.npy", prefix, i))
		if _, err := os.Stat(p); err != nil {
			break
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		t.Fatalf("%s: no %s*.npy", dir, prefix)
	}
	return out
}

func npyShapes(t *testing.T, files []string) [][]int {
	t.Helper()
	var out [][]int
	for _, f := range files {
		a, err := runtime.ReadNPYFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a.Shape)
	}
	return out
}

// TestInferGoldenShapes checks the inferred shapes of every model file of every golden case
// against layer_outputs.npz and expected*.npy.
func TestInferGoldenShapes(t *testing.T) {
	checked := 0
	for _, dir := range goldenCases(t) {
		name := filepath.Base(dir)
		arrays, keys, err := runtime.ReadNPZFile(filepath.Join(dir, "layer_outputs.npz"))
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) == 0 {
			t.Fatalf("golden %s: layer_outputs.npz is empty", name)
		}
		c := shapeCase{
			Outputs: npyShapes(t, npyFiles(t, dir, "expected")),
			Inputs:  npyShapes(t, npyFiles(t, dir, "input")),
		}
		for _, k := range keys {
			c.Layers = append(c.Layers, shapeWant{Key: k, Shape: arrays[k].Shape})
		}
		files := goldenFiles(dir)
		var names []string
		for f := range files {
			names = append(names, f)
		}
		sort.Strings(names)
		for _, file := range names {
			c := c
			c.Label = "golden/" + name + "/" + file
			checked++
			t.Run(name+"/"+file, func(t *testing.T) {
				runShapeCase(t, func() (*Model, error) { return Load(filepath.Join(dir, file), files[file]) }, c)
			})
		}
	}
	t.Logf("checked %d golden model files", checked)
}

// corpusShapeMeta is the part of a corpus meta.json (or its if_supported section) the shape
// checks read.
type corpusShapeMeta struct {
	Inputs []struct {
		Shape []int `json:"shape"`
	} `json:"inputs"`
	Outputs []struct {
		Shape []int `json:"shape"`
	} `json:"outputs"`
	LayerOutputs json.RawMessage `json:"layer_outputs"`
}

func (c corpusShapeMeta) layers() ([]shapeWant, error) {
	var lo struct {
		Layers []struct {
			Key   string `json:"key"`
			Shape []int  `json:"shape"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(c.LayerOutputs, &lo); err != nil {
		return nil, fmt.Errorf("layer_outputs: %w", err)
	}
	var out []shapeWant
	for _, l := range lo.Layers {
		out = append(out, shapeWant{Key: l.Key, Shape: l.Shape})
	}
	return out, nil
}

// corpusShapeUnchecked lists the corpus cases whose shapes cannot be checked, and why. Each
// must fail to load; every other case is checked, and none may fail to infer.
var corpusShapeUnchecked = map[string]string{
	"dcgan-generator":       "weights-only .h5: no architecture to infer",
	"praali-bilstm-h5":      "truncated .h5 (the Dense weights are missing): Keras computed nothing",
	"tfjs-mnist-cnn":        "TF.js graph model: no Keras layers",
	"transformer-streamlit": "custom layer classes (PositionalEmbedding, TransformerEncoder/Decoder) with no code in the file",
}

// TestInferCorpusShapes checks the inferred shapes of every corpus case that Keras computed
// (the ok cases, and the negative cases with if_supported outputs) against meta.json's
// layer_outputs and output shapes.
func TestInferCorpusShapes(t *testing.T) {
	root, cases := corpusCases(t)
	checked := 0
	for _, cc := range cases {
		t.Run(cc.Case, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(root, cc.Case, "meta.json"))
			if err != nil {
				t.Fatal(err)
			}
			var top struct {
				corpusShapeMeta
				IfSupported *corpusShapeMeta `json:"if_supported"`
			}
			if err := json.Unmarshal(data, &top); err != nil {
				t.Fatal(err)
			}
			meta := &top.corpusShapeMeta
			if cc.Expect != "ok" {
				meta = top.IfSupported
			}
			if reason, skip := corpusShapeUnchecked[cc.Case]; skip {
				if _, err := Load(cc.modelFile(root), Options{}); err == nil {
					t.Errorf("corpus/%s is listed as unchecked (%s) but loads: check it", cc.Case, reason)
				}
				return
			}
			if meta == nil || len(meta.LayerOutputs) == 0 || meta.LayerOutputs[0] != '{' {
				t.Fatalf("corpus/%s has no layer outputs to check and is not in corpusShapeUnchecked", cc.Case)
			}
			c := shapeCase{Label: "corpus/" + cc.Case, LooseBatch: true}
			if c.Layers, err = meta.layers(); err != nil {
				t.Fatal(err)
			}
			for _, in := range meta.Inputs {
				c.Inputs = append(c.Inputs, in.Shape)
			}
			for _, out := range meta.Outputs {
				c.Outputs = append(c.Outputs, out.Shape)
			}
			if len(c.Layers) == 0 || len(c.Inputs) == 0 || len(c.Outputs) == 0 {
				t.Fatalf("corpus/%s: meta.json lists %d layers, %d inputs, %d outputs", cc.Case, len(c.Layers), len(c.Inputs), len(c.Outputs))
			}
			checked++
			runShapeCase(t, func() (*Model, error) { return Load(cc.modelFile(root), Options{}) }, c)
		})
	}
	if want := len(cases) - len(corpusShapeUnchecked); checked != want {
		t.Errorf("checked %d corpus cases, want %d", checked, want)
	}
}

// TestInferErrors checks that shape errors name the layer, its class and the shapes.
func TestInferErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		config  string
		phrases []string
		unsup   bool
	}{
		{"add mismatch", functionalJSON(`
			{"class_name": "InputLayer", "config": {"name": "a", "batch_shape": [null, 3]}},
			{"class_name": "InputLayer", "config": {"name": "b", "batch_shape": [null, 4]}},
			{"class_name": "Add", "config": {"name": "add_1"}, "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]}`,
			`[["a", 0, 0], ["b", 0, 0]]`, `[["add_1", 0, 0]]`),
			[]string{"layer 'add_1' (class Add)", "(None, 3)", "(None, 4)"}, false},
		{"concatenate mismatch", functionalJSON(`
			{"class_name": "InputLayer", "config": {"name": "a", "batch_shape": [null, 3, 5]}},
			{"class_name": "InputLayer", "config": {"name": "b", "batch_shape": [null, 4, 5]}},
			{"class_name": "Concatenate", "config": {"name": "cat", "axis": -1}, "inbound_nodes": [[["a", 0, 0, {}], ["b", 0, 0, {}]]]}`,
			`[["a", 0, 0], ["b", 0, 0]]`, `[["cat", 0, 0]]`),
			[]string{"layer 'cat' (class Concatenate)", "(None, 3, 5)", "(None, 4, 5)"}, false},
		{"conv rank", sequentialJSON(`
			{"class_name": "Conv2D", "config": {"name": "conv", "batch_input_shape": [null, 10, 4], "filters": 2, "kernel_size": 3}}`),
			[]string{"layer 'conv' (class Conv2D)", "input shape (None, 10, 4)", "rank 4"}, false},
		{"dense unknown last", sequentialJSON(`
			{"class_name": "Dense", "config": {"name": "dense_3", "batch_input_shape": [null, 10, null], "units": 2}}`),
			[]string{"layer 'dense_3' (class Dense)", "input shape (None, 10, None)"}, false},
		{"conv too small", sequentialJSON(`
			{"class_name": "Conv1D", "config": {"name": "c", "batch_input_shape": [null, 2, 4], "filters": 2, "kernel_size": 3}}`),
			[]string{"layer 'c' (class Conv1D)", "(None, 2, 4)", "zero or negative"}, false},
		{"unknown class", sequentialJSON(`
			{"class_name": "MyLayer", "config": {"name": "mine", "batch_input_shape": [null, 3]}}`),
			[]string{"layer 'mine' (class MyLayer)", "no shape rule for class MyLayer"}, true},
		{"nested", sequentialJSON(`
			{"class_name": "InputLayer", "config": {"name": "in1", "batch_shape": [null, 3]}},
			{"class_name": "Sequential", "config": {"name": "inner", "layers": [
				{"class_name": "InputLayer", "config": {"name": "in2", "batch_shape": [null, 3]}},
				{"class_name": "Reshape", "config": {"name": "rs", "target_shape": [2, 2]}}]}}`),
			[]string{"layer 'inner/rs' (class Reshape)", "(None, 3)", "(2, 2)"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ParseConfig([]byte(tc.config), 3)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			_, err = m.OutputShapes()
			if err == nil {
				t.Fatalf("no error")
			}
			var ue *UnsupportedError
			var se *ShapeError
			if tc.unsup && !errors.As(err, &ue) {
				t.Errorf("error %T is not an UnsupportedError: %v", err, err)
			}
			if !tc.unsup && !errors.As(err, &se) {
				t.Errorf("error %T is not a ShapeError: %v", err, err)
			}
			for _, p := range tc.phrases {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error does not say %q:\n%v", p, err)
				}
			}
		})
	}
}

func functionalJSON(layers, inputs, outputs string) string {
	return `{"class_name": "Functional", "config": {"name": "m", "layers": [` + layers +
		`], "input_layers": ` + inputs + `, "output_layers": ` + outputs + `}}`
}

func sequentialJSON(layers string) string {
	return `{"class_name": "Sequential", "config": {"name": "m", "layers": [` + layers + `]}}`
}

// TestInferNested checks a nested model called with shapes other than its InputLayer's: the
// call's batch and known dimensions win, and the nested shapes are recorded per layer.
func TestInferNested(t *testing.T) {
	cfg := functionalJSON(`
		{"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [8, 5, 3]}},
		{"class_name": "Functional", "config": {"name": "enc", "layers": [
			{"class_name": "InputLayer", "config": {"name": "ein", "batch_shape": [null, null, 3]}, "inbound_nodes": []},
			{"class_name": "LSTM", "config": {"name": "rnn", "units": 4, "return_sequences": true, "return_state": true},
			 "inbound_nodes": [[["ein", 0, 0, {}]]]}],
			"input_layers": [["ein", 0, 0]], "output_layers": [["rnn", 0, 0], ["rnn", 0, 1], ["rnn", 0, 2]]},
		 "inbound_nodes": [[["x", 0, 0, {}]]]},
		{"class_name": "Dense", "config": {"name": "d", "units": 2}, "inbound_nodes": [[["enc", 0, 0, {}]]]},
		{"class_name": "Dense", "config": {"name": "h", "units": 6}, "inbound_nodes": [[["enc", 0, 1, {}]]]}`,
		`[["x", 0, 0]]`, `[["d", 0, 0], ["h", 0, 0]]`)
	m, err := ParseConfig([]byte(cfg), 3)
	if err != nil {
		t.Fatal(err)
	}
	sm, err := m.OutputShapes()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Shape{
		"enc/ein": {8, 5, 3}, "enc/rnn#0": {8, 5, 4}, "enc/rnn#1": {8, 4}, "enc/rnn#2": {8, 4},
		"enc#0": {8, 5, 4}, "enc#2": {8, 4}, "d": {8, 5, 2}, "h": {8, 6},
	}
	for k, w := range want {
		got, err := lookupShape(m, sm, k)
		if err != nil {
			t.Errorf("%s: %v", k, err)
		} else if !got.Equal(w) {
			t.Errorf("%s: %s, want %s", k, got, w)
		}
	}
}

// TestInferBindInput checks how a nested model's declared input shape merges with the shape
// it is called with.
func TestInferBindInput(t *testing.T) {
	for _, tc := range []struct {
		decl, call, want Shape
	}{
		{Shape{-1, -1, 3}, Shape{8, 5, 3}, Shape{8, 5, 3}},
		{Shape{4, 5, 3}, Shape{-1, -1, 3}, Shape{-1, 5, 3}},
		{Shape{-1, 224, 224, 3}, Shape{2, 128, 128, 3}, Shape{2, 128, 128, 3}}, // Keras only warns
		{Shape{-1, 5, 1}, Shape{8, 5}, Shape{8, 5, 1}},
		{Shape{-1, 5}, Shape{8, 5, 1}, Shape{8, 5}},
		{Shape{-1, 5}, Shape{8, 5, 2}, nil},
		{Shape{-1, 5, 2}, Shape{8}, nil},
	} {
		got, err := bindInput(tc.decl, tc.call)
		switch {
		case tc.want == nil && err == nil:
			t.Errorf("bind %s to %s: got %s, want an error", tc.call, tc.decl, got)
		case tc.want != nil && err != nil:
			t.Errorf("bind %s to %s: %v", tc.call, tc.decl, err)
		case tc.want != nil && !got.Equal(tc.want):
			t.Errorf("bind %s to %s: got %s, want %s", tc.call, tc.decl, got, tc.want)
		}
	}
}
