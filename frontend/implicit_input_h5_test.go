package frontend

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgen/kerasgen/internal/sharedtest"
)

// TestImplicitInputH5 reads ../shared's corpus/carnd-nvidia/model.h5, a Keras 2.0.6 full-model
// file whose Sequential config is the bare layer list and whose input is implicit (the first
// layer's batch_input_shape), its weights located through weight_names: the loader adds the
// InputLayer Keras 2 named <first layer>_input, and the parameter counts equal Keras' (the
// case's meta.json, if_supported: Keras 3.15.1 with the Lambda re-applied). The model's
// predictions are checked by TestEndToEnd.
func TestImplicitInputH5(t *testing.T) {
	dir := sharedtest.Dir(t, "corpus", "carnd-nvidia")
	m, err := Load(filepath.Join(dir, "model.h5"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Dialect != 2 || m.KerasVersion != "2.0.6" || m.Format != FormatH5 {
		t.Errorf("dialect %d, version %q, format %s", m.Dialect, m.KerasVersion, m.Format)
	}
	if got := m.Layers[0]; got.Class != "InputLayer" || got.Name != "lambda_1_input" {
		t.Errorf("implicit input %s (%s)", got.Name, got.Class)
	}
	if k := m.Layer("dense_1").Weight("kernel"); k == nil || !Shape(k.Shape).Equal(Shape{1728, 60}) {
		t.Errorf("dense_1 kernel %+v", k)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		IfSupported struct {
			Params struct{ Total, Trainable int64 } `json:"params"`
		} `json:"if_supported"`
	}
	want := &meta.IfSupported.Params
	if err := json.Unmarshal(raw, &meta); err != nil || want.Total == 0 {
		t.Fatalf("meta.json if_supported.params: %v", err)
	}
	if p := m.CountParams(); p.Total != want.Total || p.Trainable != want.Trainable {
		t.Errorf("params %+v, Keras %+v", p, *want)
	}
}
