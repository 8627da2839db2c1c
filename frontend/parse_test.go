package frontend

import (
	"reflect"
	"strings"
	"testing"
)

func mustParse(t *testing.T, cfg string, dialect int) *Model {
	t.Helper()
	m, err := ParseConfig([]byte(cfg), dialect)
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	if err := checkGraph(m); err != nil {
		t.Fatalf("checkGraph: %v", err)
	}
	return m
}

// TestActivationNames: the activation a config names is normalized to one Keras 3 name, and
// hard_sigmoid's meaning follows the writer's major version.
func TestActivationNames(t *testing.T) {
	cases := []struct {
		in      string
		dialect int
		want    any
	}{
		{`"relu"`, 3, "relu"},
		{`null`, 3, "linear"},
		{`"swish"`, 2, "silu"},
		{`"silu"`, 3, "silu"},
		{`"hard_sigmoid"`, 2, "hard_sigmoid_keras2"},
		{`"hard_sigmoid"`, 3, "hard_sigmoid"},
		{`{"class_name": "ReLU", "config": {"max_value": null, "negative_slope": 0.0, "threshold": 0.0}}`, 2, "relu"},
		{`{"module": "keras.activations", "class_name": "function", "config": "gelu", "registered_name": "function"}`, 3, "gelu"},
		{`{"class_name": "LeakyReLU", "config": {"alpha": 0.3}}`, 2,
			map[string]any{"class_name": "LeakyReLU", "config": map[string]any{"negative_slope": 0.3}}},
		{`{"class_name": "ReLU", "config": {"max_value": 6.0}}`, 2,
			map[string]any{"class_name": "ReLU", "config": map[string]any{"max_value": 6.0}}},
	}
	for _, c := range cases {
		cfg := `{"class_name": "Sequential", "config": {"name": "s", "layers": [
			{"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [null, 3], "activation": ` + c.in + `}}]}}`
		m := mustParse(t, cfg, c.dialect)
		if got := m.Layers[1].Config["activation"]; !reflect.DeepEqual(got, c.want) {
			t.Errorf("activation %s (dialect %d) = %#v, want %#v", c.in, c.dialect, got, c.want)
		}
	}
}

// TestKeras2Sequential: a Keras 2.0 Sequential (a bare layer list, input shape on the first
// layer) gets an explicit InputLayer named like Keras 2 names it, and a chain of calls.
func TestKeras2Sequential(t *testing.T) {
	m := mustParse(t, `{"class_name": "Sequential", "config": [
		{"class_name": "Conv2D", "config": {"name": "conv2d_1", "batch_input_shape": [null, 8, 8, 3], "filters": 4, "kernel_size": [3, 3]}},
		{"class_name": "LeakyReLU", "config": {"name": "lrelu", "alpha": 0.1}},
		{"class_name": "Flatten", "config": {"name": "flatten_1"}}]}`, 2)
	var names []string
	for _, l := range m.Layers {
		names = append(names, l.Name)
	}
	if got := strings.Join(names, ","); got != "conv2d_1_input,conv2d_1,lrelu,flatten_1" {
		t.Fatalf("layers %s", got)
	}
	if got, _, _ := m.Layers[0].Config.Shape("batch_shape"); !reflect.DeepEqual(got, []int{-1, 8, 8, 3}) {
		t.Errorf("input batch_shape %v", got)
	}
	if m.Layers[1].Config.Has("batch_input_shape") {
		t.Errorf("batch_input_shape kept on conv2d_1")
	}
	if got := m.Layers[2].Config.Float("negative_slope", -1); got != 0.1 {
		t.Errorf("LeakyReLU alpha not renamed: %v", m.Layers[2].Config)
	}
	if got := m.Layers[3].Nodes[0].Inputs; !reflect.DeepEqual(got, []TensorRef{{Layer: "lrelu"}}) {
		t.Errorf("flatten input %v", got)
	}
	if !reflect.DeepEqual(m.Outputs, []TensorRef{{Layer: "flatten_1"}}) || !reflect.DeepEqual(m.Inputs, []TensorRef{{Layer: "conv2d_1_input"}}) {
		t.Errorf("inputs %v outputs %v", m.Inputs, m.Outputs)
	}
}

// TestInboundNodeDialects: both node encodings give the same normalized calls, Keras 2.2's
// extra RNN inputs become initial_state, and tf-keras' single-entry TFOpLambda node with a
// tensor kwarg is understood.
func TestInboundNodeDialects(t *testing.T) {
	m := mustParse(t, keras2Seed, 2)
	lstm := m.Layer("lstm_1")
	if want := []TensorRef{{Layer: "input_1"}}; !reflect.DeepEqual(lstm.Nodes[0].Inputs, want) {
		t.Errorf("lstm inputs %v", lstm.Nodes[0].Inputs)
	}
	if want := []TensorRef{{Layer: "input_2"}, {Layer: "input_2"}}; !reflect.DeepEqual(lstm.Nodes[0].Kwargs["initial_state"], want) {
		t.Errorf("initial_state %#v", lstm.Nodes[0].Kwargs["initial_state"])
	}
	if got := lstm.Config["recurrent_activation"]; got != "hard_sigmoid_keras2" {
		t.Errorf("recurrent_activation %v", got)
	}
	add := m.Layer("add").Nodes[0]
	if !reflect.DeepEqual(add.Inputs, []TensorRef{{Layer: "lstm_1"}}) || add.Kwargs["y"] != (TensorRef{Layer: "input_2"}) || add.Kwargs["name"] != nil {
		t.Errorf("TFOpLambda node %#v", add)
	}

	k3 := mustParse(t, keras3Seed, 3)
	mha := k3.Layer("mha").Nodes[0]
	if want := []TensorRef{{Layer: "tokens"}, {Layer: "tokens"}}; !reflect.DeepEqual(mha.Inputs, want) {
		t.Errorf("mha inputs %v", mha.Inputs)
	}
	addK3 := k3.Layer("add").Nodes[0]
	if want := []TensorRef{{Layer: "tokens"}, {Layer: "mha"}}; !reflect.DeepEqual(addK3.Inputs, want) || !reflect.DeepEqual(addK3.Args, []any{want}) {
		t.Errorf("add node %#v", addK3)
	}
	if got := k3.Layer("mha").Config["dtype"]; got != "float32" {
		t.Errorf("DTypePolicy not normalized: %v", got)
	}
}

// TestSnakeCase matches Keras' naming.to_snake_case, which names .keras weight groups.
func TestSnakeCase(t *testing.T) {
	for in, want := range map[string]string{
		"Conv2D": "conv2d", "Dense": "dense", "LSTM": "lstm", "PReLU": "p_re_lu", "ReLU": "re_lu",
		"GlobalAveragePooling2D": "global_average_pooling2d", "MultiHeadAttention": "multi_head_attention",
		"Conv2DTranspose": "conv2d_transpose", "TFOpLambda": "tf_op_lambda", "BatchNormalization": "batch_normalization",
		"DepthwiseConv2D": "depthwise_conv2d", "UpSampling2D": "up_sampling2d", "Functional": "functional",
	} {
		if got := snakeCase(in); got != want {
			t.Errorf("snakeCase(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestNameMatches: TF.js and Keras 2 weight names find their variables.
func TestNameMatches(t *testing.T) {
	cases := []struct {
		file, spec string
		want       bool
	}{
		{"dense_1/kernel", "kernel", true},
		{"dense_1/kernel:0", "kernel", true},
		{"dense_1/bias", "kernel", false},
		{"depthwise_conv2d/depthwise_kernel", "kernel", true},
		{"lstm_1/recurrent_kernel", "cell/recurrent_kernel", true},
		{"bidirectional/forward_forward_lstm/kernel", "forward_layer/cell/kernel", true},
		{"bidirectional/backward_forward_lstm/kernel", "forward_layer/cell/kernel", false},
		{"bidirectional/backward_forward_lstm/kernel", "backward_layer/cell/kernel", true},
		{"mha/query/kernel", "query_dense/kernel", true},
		{"mha/key/kernel", "query_dense/kernel", false},
	}
	for _, c := range cases {
		if got := nameMatches(c.file, c.spec); got != c.want {
			t.Errorf("nameMatches(%s, %s) = %v", c.file, c.spec, got)
		}
	}
}
