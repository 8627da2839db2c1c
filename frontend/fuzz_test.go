package frontend

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgen/kerasgen/internal/sharedtest"
)

// Fuzzers for the frontend's readers: a config JSON, a .keras zip and an .h5 full model must
// give a model or an error, never a panic or a runaway allocation. The checked-in seeds are
// in testdata/fuzz/<Fuzzer>/; when ../shared is present its golden files are added as seeds.

const keras3Seed = `{"module": "keras", "class_name": "Functional", "config": {"name": "f", "layers": [
 {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [null, 6, 16], "dtype": "float32", "name": "tokens"}, "name": "tokens", "inbound_nodes": []},
 {"module": "keras.layers", "class_name": "MultiHeadAttention", "config": {"name": "mha", "num_heads": 2, "key_dim": 8, "dtype": {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}}, "name": "mha",
  "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {"shape": [null, 6, 16], "dtype": "float32", "keras_history": ["tokens", 0, 0]}}, {"class_name": "__keras_tensor__", "config": {"shape": [null, 6, 16], "dtype": "float32", "keras_history": ["tokens", 0, 0]}}], "kwargs": {}}]},
 {"module": "keras.layers", "class_name": "Add", "config": {"name": "add"}, "name": "add", "inbound_nodes": [{"args": [[{"class_name": "__keras_tensor__", "config": {"keras_history": ["tokens", 0, 0]}}, {"class_name": "__keras_tensor__", "config": {"keras_history": ["mha", 0, 0]}}]], "kwargs": {}}]}],
 "input_layers": [["tokens", 0, 0]], "output_layers": [["add", 0, 0]]}}`

const keras2Seed = `{"class_name": "Model", "config": {"name": "m", "layers": [
 {"name": "input_1", "class_name": "InputLayer", "config": {"batch_input_shape": [null, null, 7], "name": "input_1"}, "inbound_nodes": []},
 {"name": "input_2", "class_name": "InputLayer", "config": {"batch_input_shape": [null, 3], "name": "input_2"}, "inbound_nodes": []},
 {"name": "lstm_1", "class_name": "LSTM", "config": {"name": "lstm_1", "units": 3, "recurrent_activation": "hard_sigmoid", "return_state": true}, "inbound_nodes": [[["input_1", 0, 0, {}], ["input_2", 0, 0, {}], ["input_2", 0, 0, {}]]]},
 {"name": "add", "class_name": "TFOpLambda", "config": {"name": "add", "function": "__operators__.add"}, "inbound_nodes": [["lstm_1", 0, 0, {"y": ["input_2", 0, 0], "name": null}]]}],
 "input_layers": [["input_1", 0, 0], ["input_2", 0, 0]], "output_layers": [["add", 0, 0]]}, "keras_version": "2.2.5"}`

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{keras3Seed, keras2Seed, cycleConfig, customConfig} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, dialect := range []int{2, 3} {
			m, err := ParseConfig(data, dialect)
			if err != nil {
				continue
			}
			if checkModel(m, Options{}) == nil {
				_, _ = m.OutputShapes()
			}
		}
	})
}

func FuzzLoadKeras(f *testing.F) {
	f.Add(zipOf(f, [2]string{"config.json", keras3Seed}))
	f.Add(zipOf(f, [2]string{"metadata.json", `{"keras_version": "2.15.0"}`}, [2]string{"config.json", keras2Seed}))
	addSharedSeeds(f, "model.keras")
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := loadKeras(data, Options{}); err == nil {
			_, _ = m.OutputShapes()
		}
	})
}

func FuzzLoadH5(f *testing.F) {
	addSharedSeeds(f, "model.h5")
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := loadH5(data, Options{}); err == nil {
			_, _ = m.OutputShapes()
		}
	})
}

// addSharedSeeds adds a few small golden model files as seeds, when ../shared is present.
func addSharedSeeds(f *testing.F, name string) {
	root := filepath.Join(sharedtest.Root(), "golden")
	for _, c := range []string{"mlp_relu_softmax", "multi_io", "bidirectional_lstm"} {
		if data, err := os.ReadFile(filepath.Join(root, c, name)); err == nil {
			f.Add(data)
		}
	}
}
