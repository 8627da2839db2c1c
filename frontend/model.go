// Package frontend reads every Keras model file people have (Keras 3 and tf-keras `.keras`
// zips, legacy `.h5` full models, `model.to_json()` plus a weights file, TF.js layers models)
// into one normalized Model. It is the only package of kerasgen that knows Keras: dialects
// (Keras 2 vs Keras 3 configs, TF.js class names) and version-dependent meaning (Keras 2's
// hard_sigmoid) are decided here and nowhere else.
//
// Normalized means:
//   - every model is a graph of layer calls: a Sequential gets an explicit InputLayer and one
//     node per layer wired to the previous layer, exactly like a Functional model;
//   - configs use Keras 3 key names and values (batch_shape, dtype strings, activation names);
//   - weights are attached to the layer that owns them, named by the layer's own variable
//     names (kernel, bias, gamma, forward_layer/cell/kernel, ...) in the layer's variable order.
package frontend

import (
	"fmt"
	"regexp"
	"strings"
)

// Format names the kind of file a model was read from.
type Format string

// The formats the frontend reads.
const (
	FormatKeras Format = "keras" // Keras 3 / tf-keras `.keras` zip
	FormatH5    Format = "h5"    // legacy full-model HDF5 (`model.save("m.h5")`)
	FormatJSON  Format = "json"  // `model.to_json()` plus a weights file
	FormatTFJS  Format = "tfjs"  // TF.js layers model.json plus weight shards
)

// Model is one normalized Keras model: a graph of layer calls with weights attached.
// Nested models appear as a Layer whose Model field is set.
type Model struct {
	Name  string
	Class string // "Sequential" or "Functional" (TF.js "Model" and Keras 2 "Model" become "Functional")

	// Layers in model.layers order. A Sequential's implicit input becomes an explicit
	// InputLayer at index 0.
	Layers  []*Layer
	Inputs  []TensorRef
	Outputs []TensorRef

	// Trainable is false when the model (as a layer) was frozen; frozen models make every
	// weight inside them non-trainable.
	Trainable bool

	// Set on the top-level model only.
	Format        Format
	KerasVersion  string         // the writer's version as written: "3.15.1", "2.2.5", "tfjs-layers 4.22.0"
	Dialect       int            // 2 for Keras-2 semantics (Keras 2.x, tf-keras, TF.js), 3 for Keras 3
	Backend       string         // "tensorflow", "torch", "jax", "" when unknown
	CompileConfig map[string]any // the compile config (optimizer, loss, metrics) or nil
}

// Layer is one Keras layer: its class, normalized config, weights and the calls made to it.
type Layer struct {
	Name  string
	Class string // Keras 3 class name ("Dense", "Conv2D", "Functional", ...)
	// Module and RegisteredName as written in a Keras 3 config ("" when absent). A custom
	// class carries a RegisteredName such as "my_package>MyLayer" or a nil module.
	Module         string
	RegisteredName string

	Config Config

	// Weights in the layer's own variable order (the order of layer.weights in Keras).
	Weights []*Weight

	// Nodes are the calls of this layer, in the order of its inbound nodes. An InputLayer
	// has no node: its single output is TensorRef{Layer: name}.
	Nodes []Node

	// Model is set for a nested Sequential or Functional model used as a layer.
	Model *Model
}

// Node is one call of a layer.
type Node struct {
	// Inputs are the tensor arguments in call order, flattened: a merge layer's list argument
	// gives all its tensors here; tensors passed by keyword are in Kwargs, not here.
	Inputs []TensorRef
	// Args are the positional arguments as written, with tensors replaced by TensorRef (a
	// list of tensors by []TensorRef); keras.ops calls also pass plain values here.
	Args []any
	// Kwargs are the other call arguments. A tensor argument is a TensorRef, a list of tensors
	// a []TensorRef; other values are as decoded from JSON (float64, string, bool, nil, ...).
	// Keras 2.2's extra RNN inputs are normalized to Kwargs["initial_state"].
	Kwargs map[string]any
}

// TensorRef names one output tensor of one call of a layer: output Tensor of node Node of
// layer Layer (Keras' keras_history triple).
type TensorRef struct {
	Layer  string
	Node   int
	Tensor int
}

func (t TensorRef) String() string { return fmt.Sprintf("%s[%d][%d]", t.Layer, t.Node, t.Tensor) }

// Weight is one variable of a layer, with its value.
type Weight struct {
	// Name is the variable's path inside its layer, in Keras 3 naming: "kernel", "bias",
	// "moving_mean", "forward_layer/cell/kernel", "query_dense/kernel".
	Name string
	// Source says where the value was found in the file: an HDF5 dataset path or a TF.js
	// manifest name. It is for error messages only.
	Source    string
	Shape     []int
	DType     string    // the stored dtype: "float32", "float16", "float64", "int32", "uint8" (dequantized), ...
	Values    []float32 // the value in C order, converted to float32 (exactly, for float32 data)
	Trainable bool
}

// Size is the number of elements of the weight.
func (w *Weight) Size() int {
	n := 1
	for _, d := range w.Shape {
		n *= d
	}
	return n
}

// Layer returns the layer named name, or nil.
func (m *Model) Layer(name string) *Layer {
	for _, l := range m.Layers {
		if l.Name == name {
			return l
		}
	}
	return nil
}

// Weight returns the layer's weight named name ("kernel"), or nil.
func (l *Layer) Weight(name string) *Weight {
	for _, w := range l.Weights {
		if w.Name == name {
			return w
		}
	}
	return nil
}

// AllWeights returns every weight of the model, nested models included, in Keras'
// model.weights order (layers in order, each layer's variables in order).
func (m *Model) AllWeights() []*Weight {
	var ws []*Weight
	for _, l := range m.Layers {
		if l.Model != nil {
			ws = append(ws, l.Model.AllWeights()...)
			continue
		}
		ws = append(ws, l.Weights...)
	}
	return ws
}

// WeightPaths returns every weight of the model keyed by its Keras variable path
// ("dense_1/kernel", "bidirectional/forward_lstm/lstm_cell/kernel"; nested model layers as
// "<inner layer>/<var>" like Keras 3 does), in model.weights order.
func (m *Model) WeightPaths() ([]string, []*Weight) {
	var paths []string
	var ws []*Weight
	var walk func(m *Model)
	walk = func(m *Model) {
		for _, l := range m.Layers {
			if l.Model != nil {
				walk(l.Model)
				continue
			}
			for _, w := range l.Weights {
				paths = append(paths, l.Name+"/"+KerasVariablePath(l, w))
				ws = append(ws, w)
			}
		}
	}
	walk(m)
	return paths, ws
}

// KerasVariablePath maps a weight's object-graph name to the path Keras 3 gives the variable
// inside its layer: RNN cells are named after their class ("lstm_cell"), Bidirectional's
// halves after the wrapped layer ("forward_lstm"), MultiHeadAttention's projections after
// their layer names ("query", "attention_output").
func KerasVariablePath(l *Layer, w *Weight) string {
	parts := strings.Split(w.Name, "/")
	if len(parts) == 1 {
		return w.Name
	}
	var out []string
	for i, p := range parts[:len(parts)-1] {
		switch {
		case p == "cell":
			out = append(out, cellName(l, parts[:i]))
		case p == "backward_layer" && l.Config.Has("backward_layer"):
			_, inner, _ := l.Config.Object("backward_layer")
			out = append(out, inner.String("name", p))
		case p == "forward_layer" || p == "backward_layer":
			// Keras names the halves "forward_<name>" and "backward_<name>", where a saved
			// config's wrapped layer is already called "forward_<name>".
			_, inner, _ := l.Config.Object("layer")
			base := strings.TrimPrefix(inner.String("name", ""), "forward_")
			out = append(out, strings.TrimSuffix(p, "_layer")+"_"+base)
		case p == "layer" && l.Class == "TimeDistributed":
			// Keras names the wrapped layer's variables by the wrapped layer's name.
			_, inner, _ := l.Config.Object("layer")
			out = append(out, inner.String("name", p))
		case mhaSublayerNames[p] != "":
			out = append(out, mhaSublayerNames[p])
		default:
			out = append(out, p)
		}
	}
	return strings.Join(append(out, parts[len(parts)-1]), "/")
}

var mhaSublayerNames = map[string]string{
	"query_dense": "query", "key_dense": "key", "value_dense": "value", "output_dense": "attention_output",
}

// cellName names the RNN cell under the given sub-layer path of l.
func cellName(l *Layer, under []string) string {
	class := l.Class
	if len(under) > 0 { // Bidirectional(LSTM(...)): the wrapped layer's class
		if c, _, ok := l.Config.Object("layer"); ok {
			class = c
		}
	}
	return snakeCase(class) + "_cell"
}

// snakeCase converts a Keras class name to Keras' snake_case object name exactly as Keras'
// naming.to_snake_case does ("Conv2D" -> "conv2d", "PReLU" -> "p_re_lu",
// "GlobalAveragePooling2D" -> "global_average_pooling2d").
func snakeCase(s string) string {
	s = reNonWord.ReplaceAllString(s, "")
	s = reCapWord.ReplaceAllString(s, "${1}_${2}")
	s = reLowerUpper.ReplaceAllString(s, "${1}_${2}")
	return strings.ToLower(s)
}

var (
	reNonWord    = regexp.MustCompile(`\W+`)
	reCapWord    = regexp.MustCompile(`(.)([A-Z][a-z]+)`)
	reLowerUpper = regexp.MustCompile(`([a-z])([A-Z])`)
)
