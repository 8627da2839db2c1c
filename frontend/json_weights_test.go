package frontend

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgen/kerasgen/hdf5"
	"github.com/kerasgen/kerasgen/internal/sharedtest"
)

// TestKeras2JSONWithWeights reads Keras 2 model.to_json() output with its weights in a
// separate HDF5 file: the JSON is each corpus .h5's own model_config (Keras 2.0.9 functional,
// tf.keras 2.4 nested Sequential/Functional, Keras 2.2.5 multi-input), written to a temporary
// file; the weights are the .h5 itself. The result must equal loading the .h5 directly.
func TestKeras2JSONWithWeights(t *testing.T) {
	root := sharedtest.Dir(t, "corpus")
	for _, f := range []string{
		"mini-xception-fer/fer2013_mini_XCEPTION.102-0.66.hdf5",
		"tm-streamlit/keras_model.h5",
		"seq2seq-lstm/s2s.h5",
	} {
		t.Run(filepath.Dir(f), func(t *testing.T) {
			path := filepath.Join(root, f)
			h, err := hdf5.OpenFile(path)
			if err != nil {
				t.Fatal(err)
			}
			cfg := attrString(h.Root(), "model_config")
			if cfg == "" {
				t.Fatal("no model_config")
			}
			js := filepath.Join(t.TempDir(), "model.json")
			if err := os.WriteFile(js, []byte(cfg), 0o644); err != nil {
				t.Fatal(err)
			}
			fromJSON, err := Load(js, Options{Weights: path})
			if err != nil {
				t.Fatal(err)
			}
			direct, err := Load(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if fromJSON.Dialect != 2 {
				t.Errorf("dialect %d, want 2 (a Keras 2 config)", fromJSON.Dialect)
			}
			pj, wj := fromJSON.WeightPaths()
			pd, wd := direct.WeightPaths()
			if len(pj) != len(pd) || fromJSON.CountParams() != direct.CountParams() {
				t.Fatalf("%d weights / %+v from JSON, %d / %+v from the .h5", len(pj), fromJSON.CountParams(), len(pd), direct.CountParams())
			}
			for i := range pj {
				if pj[i] != pd[i] || len(wj[i].Values) != len(wd[i].Values) || (len(wj[i].Values) > 0 && wj[i].Values[0] != wd[i].Values[0]) {
					t.Errorf("weight %d: %s from JSON, %s from the .h5", i, pj[i], pd[i])
				}
			}
		})
	}
}
