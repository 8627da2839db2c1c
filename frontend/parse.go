package frontend

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ParseConfig normalizes a model config — the JSON that `model.to_json()` writes, the
// `config.json` of a `.keras` zip, the `model_config` attribute of an `.h5`, or a TF.js
// `modelTopology` — into a Model without weights. dialect is 2 for files written by Keras 2,
// tf-keras or TF.js, and 3 for Keras 3; it decides version-dependent meaning (hard_sigmoid).
func ParseConfig(data []byte, dialect int) (*Model, error) {
	var raw map[string]any
	if err := decodeJSON(data, &raw); err != nil {
		return nil, fmt.Errorf("model config: %w", err)
	}
	p := parser{dialect: dialect}
	return p.model(Config(raw), nil)
}

// decodeJSON decodes JSON and reports a syntax error with its line and column.
func decodeJSON(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	var se *json.SyntaxError
	if errors.As(err, &se) {
		line := 1 + bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("invalid JSON at byte %d (line %d): %v", se.Offset, line, err)
	}
	return err
}

// maxNesting bounds the depth of nested models, so that a hostile config cannot recurse
// without end.
const maxNesting = 64

type parser struct {
	dialect int
	depth   int
}

// modelClasses are the classes that hold a model config.
var modelClasses = map[string]string{
	"Sequential": "Sequential", "Functional": "Functional", "Model": "Functional",
}

// model parses a {"class_name": ..., "config": ...} model object.
func (p *parser) model(obj Config, parent *Layer) (*Model, error) {
	if p.depth++; p.depth > maxNesting {
		return nil, fmt.Errorf("models nested more than %d deep", maxNesting)
	}
	defer func() { p.depth-- }()
	class, _ := obj["class_name"].(string)
	norm, ok := modelClasses[class]
	switch {
	case class == "" && obj.Has("node") && obj.Has("versions"):
		return nil, fmt.Errorf("this is a TensorFlow graph (GraphDef), not a Keras model config")
	case class == "":
		return nil, fmt.Errorf("model config has no class_name")
	case !ok:
		return nil, fmt.Errorf("model config class %q is not a Sequential or Functional model (a subclassed model's config cannot be compiled)", class)
	}
	m := &Model{Class: norm, Trainable: true}
	var layers []any
	cfg := obj.Sub("config")
	switch c := obj["config"].(type) {
	case []any: // Keras 2.0-2.1 Sequential: the config is the bare layer list
		layers = c
	case map[string]any:
		m.Name = cfg.String("name", "")
		m.Trainable = cfg.Bool("trainable", true)
		var isList bool
		layers, isList = cfg["layers"].([]any)
		if !isList {
			return nil, fmt.Errorf("model %q: config has no layer list", m.Name)
		}
	default:
		return nil, fmt.Errorf("model config of class %s has no config", class)
	}
	if parent != nil && m.Name == "" {
		m.Name = parent.Name
	}
	if norm == "Sequential" {
		if err := p.sequential(m, layers, cfg); err != nil {
			return nil, err
		}
	} else if err := p.functional(m, layers, cfg); err != nil {
		return nil, err
	}
	return m, nil
}

// sequential builds the chain of a Sequential model, adding the InputLayer that Keras 2
// files leave implicit (batch_input_shape on the first layer) and Keras 3 files may leave
// to build_input_shape.
func (p *parser) sequential(m *Model, layers []any, cfg Config) error {
	var prev *TensorRef
	for i, raw := range layers {
		obj, ok := raw.(map[string]any)
		if !ok {
			return fmt.Errorf("model %q: layer %d is not an object", m.Name, i)
		}
		l, err := p.layer(Config(obj))
		if err != nil {
			return err
		}
		if prev == nil && l.Class != "InputLayer" {
			in, err := p.implicitInput(m, l, cfg)
			if err != nil {
				return err
			}
			m.Layers = append(m.Layers, in)
			m.Inputs = []TensorRef{{Layer: in.Name}}
			prev = &m.Inputs[0]
		}
		if l.Class == "InputLayer" {
			if prev != nil {
				return fmt.Errorf("model %q: InputLayer %q is not the first layer of the Sequential", m.Name, l.Name)
			}
			m.Inputs = []TensorRef{{Layer: l.Name}}
		} else {
			l.Nodes = []Node{{Inputs: []TensorRef{*prev}, Args: []any{*prev}}}
		}
		m.Layers = append(m.Layers, l)
		prev = &TensorRef{Layer: l.Name}
	}
	if prev == nil {
		return fmt.Errorf("model %q: Sequential model has no layers", m.Name)
	}
	m.Outputs = []TensorRef{*prev}
	return nil
}

// implicitInput makes the InputLayer of a Sequential whose first layer carries the input
// shape (Keras 2: batch_input_shape; name "<first layer>_input" as Keras 2 named it).
func (p *parser) implicitInput(m *Model, first *Layer, cfg Config) (*Layer, error) {
	shape, ok, err := first.Config.Shape("batch_shape")
	if err != nil {
		return nil, fmt.Errorf("layer %q: %w", first.Name, err)
	}
	if !ok && first.Model != nil && len(first.Model.Inputs) == 1 {
		// A nested model first: the Sequential's input is the nested model's input.
		in := first.Model.Layer(first.Model.Inputs[0].Layer)
		if shape, ok, err = in.Config.Shape("batch_shape"); err != nil {
			return nil, fmt.Errorf("layer %q: %w", in.Name, err)
		}
	}
	if !ok {
		if shape, ok, err = cfg.Shape("build_input_shape"); err != nil {
			return nil, fmt.Errorf("model %q: %w", m.Name, err)
		}
	}
	if !ok {
		return nil, fmt.Errorf("model %q: Sequential model has no input shape (neither an InputLayer nor batch_input_shape on its first layer %q): Keras never built it, so its weights cannot have been saved", m.Name, first.Name)
	}
	dtype := first.Config.String("dtype", "float32")
	return &Layer{
		Name:  first.Name + "_input",
		Class: "InputLayer",
		Config: Config{
			"name": first.Name + "_input", "batch_shape": shapeToJSON(shape), "dtype": dtype,
		},
	}, nil
}

func shapeToJSON(shape []int) []any {
	out := make([]any, len(shape))
	for i, d := range shape {
		if d >= 0 {
			out[i] = float64(d)
		}
	}
	return out
}

// functional builds a Functional model from its layers and their inbound nodes.
func (p *parser) functional(m *Model, layers []any, cfg Config) error {
	names := map[string]bool{}
	var pending [][]any
	for i, raw := range layers {
		obj, ok := raw.(map[string]any)
		if !ok {
			return fmt.Errorf("model %q: layer %d is not an object", m.Name, i)
		}
		l, err := p.layer(Config(obj))
		if err != nil {
			return err
		}
		if names[l.Name] {
			return fmt.Errorf("model %q: two layers are named %q", m.Name, l.Name)
		}
		names[l.Name] = true
		m.Layers = append(m.Layers, l)
		nodes, _ := obj["inbound_nodes"].([]any)
		pending = append(pending, nodes)
	}
	for i, l := range m.Layers {
		for j, raw := range pending[i] {
			n, err := p.node(raw, names)
			if err != nil {
				return fmt.Errorf("layer %q node %d: %w", l.Name, j, err)
			}
			if isRNN(l.Class) && len(n.Inputs) > 1 && n.Kwargs["initial_state"] == nil {
				// Keras 2.2 passes initial states as extra inputs of the call.
				n.Kwargs["initial_state"] = n.Inputs[1:]
				n.Inputs = n.Inputs[:1]
				n.Args = []any{n.Inputs[0]}
			}
			l.Nodes = append(l.Nodes, n)
		}
	}
	var err error
	if m.Inputs, err = tensorList(cfg["input_layers"], names); err != nil {
		return fmt.Errorf("model %q input_layers: %w", m.Name, err)
	}
	if m.Outputs, err = tensorList(cfg["output_layers"], names); err != nil {
		return fmt.Errorf("model %q output_layers: %w", m.Name, err)
	}
	skipFirstNodes(m)
	if len(m.Outputs) == 0 {
		return fmt.Errorf("model %q has no outputs", m.Name)
	}
	return nil
}

// isRNN reports whether a class takes initial states as extra inputs in Keras 2.
func isRNN(class string) bool {
	switch class {
	case "LSTM", "GRU", "SimpleRNN", "RNN", "Bidirectional", "CuDNNLSTM", "CuDNNGRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D":
		return true
	}
	return false
}

// node parses one inbound node in either dialect:
//   - Keras 3: {"args": [...], "kwargs": {...}} with {"class_name": "__keras_tensor__", ...};
//   - Keras 2: [[name, node, tensor, {kwargs}], ...], or a single [name, node, tensor, {kwargs}]
//     (tf-keras writes TFOpLambda calls this way).
func (p *parser) node(raw any, names map[string]bool) (Node, error) {
	n := Node{Kwargs: map[string]any{}}
	switch t := raw.(type) {
	case map[string]any:
		args, _ := t["args"].([]any)
		for _, a := range args {
			v, err := convertTensors(a, names, &n.Inputs, 0)
			if err != nil {
				return n, err
			}
			n.Args = append(n.Args, v)
		}
		kw, _ := t["kwargs"].(map[string]any)
		for _, k := range sortedKeys(kw) {
			v, err := convertTensors(kw[k], names, nil, 0)
			if err != nil {
				return n, err
			}
			n.Kwargs[k] = v
		}
	case []any:
		entries := t
		if len(t) > 0 {
			if _, single := t[0].(string); single {
				entries = []any{t}
			}
		}
		for _, e := range entries {
			ent, ok := e.([]any)
			if !ok || len(ent) < 3 {
				return n, fmt.Errorf("malformed inbound entry %v", e)
			}
			ref, ok := keras2Ref(ent, names)
			if !ok {
				return n, fmt.Errorf("inbound entry %v does not name a layer of the model", e)
			}
			n.Inputs = append(n.Inputs, ref)
			if len(ent) > 3 {
				kw, _ := ent[3].(map[string]any)
				for _, k := range sortedKeys(kw) {
					v, err := convertKeras2Kwarg(kw[k], names, 0)
					if err != nil {
						return n, err
					}
					n.Kwargs[k] = v
				}
			}
		}
		if len(n.Inputs) == 1 {
			n.Args = []any{n.Inputs[0]}
		} else {
			refs := make([]any, len(n.Inputs))
			for i, r := range n.Inputs {
				refs[i] = r
			}
			n.Args = []any{refs}
		}
	default:
		return n, fmt.Errorf("malformed inbound node %T", raw)
	}
	return n, nil
}

// convertTensors replaces Keras 3 __keras_tensor__ objects by TensorRefs (lists of them by
// []TensorRef), appending positional tensors to flat when it is not nil.
func convertTensors(v any, names map[string]bool, flat *[]TensorRef, depth int) (any, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("call arguments nested too deep")
	}
	switch t := v.(type) {
	case map[string]any:
		if t["class_name"] == "__keras_tensor__" {
			cfg := Config(t).Sub("config")
			hist, _ := cfg["keras_history"].([]any)
			ref, ok := keras2Ref(hist, names)
			if !ok {
				return nil, fmt.Errorf("keras_history %v does not name a layer of the model", cfg["keras_history"])
			}
			if flat != nil {
				*flat = append(*flat, ref)
			}
			return ref, nil
		}
		out := map[string]any{}
		for _, k := range sortedKeys(t) {
			c, err := convertTensors(t[k], names, flat, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		allRefs := len(t) > 0
		for i, e := range t {
			c, err := convertTensors(e, names, flat, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = c
			_, isRef := c.(TensorRef)
			allRefs = allRefs && isRef
		}
		if allRefs {
			refs := make([]TensorRef, len(out))
			for i, c := range out {
				refs[i] = c.(TensorRef)
			}
			return refs, nil
		}
		return out, nil
	}
	return v, nil
}

// convertKeras2Kwarg turns Keras 2 tensor references in call kwargs ([name, node, tensor]
// triples naming a layer of the model, or lists of them) into TensorRefs.
func convertKeras2Kwarg(v any, names map[string]bool, depth int) (any, error) {
	if depth > maxNesting {
		return nil, fmt.Errorf("call arguments nested too deep")
	}
	t, ok := v.([]any)
	if !ok {
		return v, nil
	}
	if ref, ok := keras2Ref(t, names); ok {
		return ref, nil
	}
	out := make([]any, len(t))
	refs := make([]TensorRef, 0, len(t))
	for i, e := range t {
		c, err := convertKeras2Kwarg(e, names, depth+1)
		if err != nil {
			return nil, err
		}
		out[i] = c
		if r, ok := c.(TensorRef); ok {
			refs = append(refs, r)
		}
	}
	if len(refs) == len(t) && len(t) > 0 {
		return refs, nil
	}
	return out, nil
}

// keras2Ref reads a [layer name, node index, tensor index, ...] triple.
func keras2Ref(ent []any, names map[string]bool) (TensorRef, bool) {
	if len(ent) < 3 {
		return TensorRef{}, false
	}
	name, ok1 := ent[0].(string)
	node, ok2 := ent[1].(float64)
	tensor, ok3 := ent[2].(float64)
	if !ok1 || !ok2 || !ok3 || !names[name] || node < 0 || tensor < 0 || node > 1<<20 || tensor > 1<<20 ||
		node != float64(int(node)) || tensor != float64(int(tensor)) {
		return TensorRef{}, false
	}
	return TensorRef{Layer: name, Node: int(node), Tensor: int(tensor)}, true
}

// tensorList reads input_layers/output_layers: a list of triples, or a single triple.
func tensorList(v any, names map[string]bool) ([]TensorRef, error) {
	arr, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("missing")
	}
	if ref, ok := keras2Ref(arr, names); ok {
		return []TensorRef{ref}, nil
	}
	var out []TensorRef
	for _, e := range arr {
		ent, _ := e.([]any)
		ref, ok := keras2Ref(ent, names)
		if !ok {
			return nil, fmt.Errorf("%v does not name a layer of the model", e)
		}
		out = append(out, ref)
	}
	return out, nil
}

// layer parses one layer object and normalizes its config.
func (p *parser) layer(obj Config) (*Layer, error) {
	class, _ := obj["class_name"].(string)
	cfg := obj.Sub("config")
	if class == "" {
		return nil, fmt.Errorf("a layer has no class_name")
	}
	if cfg == nil {
		cfg = Config{}
	}
	name := cfg.String("name", obj.String("name", ""))
	if name == "" {
		return nil, fmt.Errorf("a %s layer has no name", class)
	}
	l := &Layer{
		Name:           name,
		Class:          class,
		Module:         obj.String("module", ""),
		RegisteredName: obj.String("registered_name", ""),
	}
	if norm, ok := modelClasses[class]; ok {
		sub, err := p.model(obj, l)
		if err != nil {
			return nil, fmt.Errorf("nested model %q: %w", name, err)
		}
		sub.Name = name
		l.Class, l.Model = norm, sub
		l.Config = Config{"name": name, "trainable": sub.Trainable}
		return l, nil
	}
	l.Config = p.normalizeConfig(class, cfg)
	l.Config["name"] = name
	return l, nil
}

// keras2Renames are config keys Keras 3 renamed, by class.
var keras2Renames = map[string]map[string]string{
	"LeakyReLU": {"alpha": "negative_slope"},
}

// normalizeConfig rewrites a layer config into Keras 3 form. It returns a new map.
func (p *parser) normalizeConfig(class string, in Config) Config {
	c := Config{}
	for k, v := range in {
		c[k] = v
	}
	for old, nw := range keras2Renames[class] {
		if v, ok := c[old]; ok && !c.Has(nw) {
			c[nw] = v
			delete(c, old)
		}
	}
	if v, ok := c["batch_input_shape"]; ok {
		if !c.Has("batch_shape") {
			c["batch_shape"] = v
		}
		delete(c, "batch_input_shape")
	}
	if v, ok := c["input_shape"].([]any); ok && !c.Has("batch_shape") && class != "Reshape" {
		c["batch_shape"] = append([]any{nil}, v...)
	}
	if d, ok := c["dtype"].(map[string]any); ok { // Keras 3 DTypePolicy object
		if n, ok := Config(d).Sub("config")["name"].(string); ok {
			c["dtype"] = n
		}
	}
	for _, k := range []string{"activation", "recurrent_activation"} {
		if v, ok := c[k]; ok {
			c[k] = p.activation(v)
		}
	}
	// Wrapped layers (Bidirectional, TimeDistributed) keep their inner config normalized too.
	for _, k := range []string{"layer", "backward_layer", "cell"} {
		if obj, ok := c[k].(map[string]any); ok {
			if inner, ok := obj["config"].(map[string]any); ok {
				ic, _ := obj["class_name"].(string)
				cp := map[string]any{}
				for kk, vv := range obj {
					cp[kk] = vv
				}
				cp["config"] = map[string]any(p.normalizeConfig(ic, inner))
				c[k] = cp
			}
		}
	}
	return c
}

// activation normalizes an activation to a Keras 3 name: Keras 2 "swish" is "silu",
// Keras 2's hard_sigmoid (clip(0.2x+0.5, 0, 1)) becomes "hard_sigmoid_keras2" because Keras 3's
// hard_sigmoid is clip(x/6+0.5, 0, 1), a layer object equivalent to a plain activation becomes
// that name, and other layer objects (LeakyReLU(0.3), ReLU(max_value=6)) stay as
// {"class_name", "config"} objects for the lowering to read.
func (p *parser) activation(v any) any {
	switch t := v.(type) {
	case nil:
		return "linear"
	case string:
		return p.activationName(t)
	case map[string]any:
		obj := Config(t)
		class, _ := obj["class_name"].(string)
		cfg := obj.Sub("config")
		if class == "function" || class == "" { // Keras 3 serialized function
			if s, ok := obj["config"].(string); ok {
				return p.activationName(s)
			}
		}
		switch class {
		case "ReLU":
			if !cfg.Has("max_value") && cfg.Float("negative_slope", 0) == 0 && cfg.Float("threshold", 0) == 0 {
				return "relu"
			}
		case "Activation":
			return p.activation(cfg["activation"])
		case "Softmax":
			if ax, err := cfg.Int("axis", -1); err == nil && ax == -1 {
				return "softmax"
			}
		}
		return map[string]any{"class_name": class, "config": map[string]any(p.normalizeConfig(class, cfg))}
	}
	return v
}

func (p *parser) activationName(s string) string {
	s = strings.TrimPrefix(s, "keras.activations.")
	switch s {
	case "swish":
		return "silu"
	case "hard_sigmoid":
		if p.dialect == 2 {
			return "hard_sigmoid_keras2"
		}
	case "":
		return "linear"
	}
	return s
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// skipFirstNodes renumbers references to nested models built on their own inputs. Keras
// (2, 3, and TF.js) leaves such a model's first node — the one linking its own inputs to
// its outputs — out of the config, but counts it in the node indices of the layers that
// call the model; here node indices count the calls listed, from 0.
func skipFirstNodes(m *Model) {
	skips := map[string]bool{}
	for _, l := range m.Layers {
		if l.Model != nil && len(l.Model.Layers) > 0 && l.Model.Layers[0].Class == "InputLayer" {
			skips[l.Name] = true
		}
	}
	if len(skips) == 0 {
		return
	}
	fix := func(r TensorRef) TensorRef {
		if skips[r.Layer] && r.Node > 0 {
			r.Node--
		}
		return r
	}
	var fixAny func(v any) any
	fixAny = func(v any) any {
		switch t := v.(type) {
		case TensorRef:
			return fix(t)
		case []TensorRef:
			out := make([]TensorRef, len(t))
			for i, r := range t {
				out[i] = fix(r)
			}
			return out
		case []any:
			out := make([]any, len(t))
			for i, e := range t {
				out[i] = fixAny(e)
			}
			return out
		case map[string]any:
			out := map[string]any{}
			for k, e := range t {
				out[k] = fixAny(e)
			}
			return out
		}
		return v
	}
	for _, l := range m.Layers {
		for i := range l.Nodes {
			n := &l.Nodes[i]
			for j, r := range n.Inputs {
				n.Inputs[j] = fix(r)
			}
			for j, a := range n.Args {
				n.Args[j] = fixAny(a)
			}
			for k, v := range n.Kwargs {
				n.Kwargs[k] = fixAny(v)
			}
		}
	}
	for i, r := range m.Outputs {
		m.Outputs[i] = fix(r)
	}
}
