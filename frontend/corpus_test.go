package frontend

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/internal/sharedtest"
)

// corpusCase is one entry of ../shared/corpus/index.json plus its meta.json parameters.
type corpusCase struct {
	Case       string   `json:"case"`
	Expect     string   `json:"expect"`
	ModelFiles []string `json:"model_files"`
	Error      *struct {
		ErrorClass string `json:"error_class"`
	} `json:"error"`
}

func corpusCases(t *testing.T) (string, []corpusCase) {
	root := sharedtest.Dir(t, "corpus")
	data, err := os.ReadFile(filepath.Join(root, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []corpusCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	if len(cases) != 35 {
		t.Fatalf("corpus index lists %d cases, want 35", len(cases))
	}
	return root, cases
}

// modelFile picks the file to load: the TF.js model.json, else the one model file.
func (c corpusCase) modelFile(root string) string {
	for _, f := range c.ModelFiles {
		if filepath.Base(f) == "model.json" {
			return filepath.Join(root, c.Case, f)
		}
	}
	return filepath.Join(root, c.Case, c.ModelFiles[0])
}

// TestCorpusOK loads every `ok` corpus case and checks the parameter totals of its meta.json.
func TestCorpusOK(t *testing.T) {
	root, cases := corpusCases(t)
	n := 0
	for _, c := range cases {
		if c.Expect != "ok" {
			continue
		}
		n++
		t.Run(c.Case, func(t *testing.T) {
			// TF.js cases' meta.json gives the total only (TF.js files do not say what trains).
			var meta struct {
				Params struct {
					Total        int64  `json:"total"`
					Trainable    *int64 `json:"trainable"`
					NonTrainable *int64 `json:"non_trainable"`
				} `json:"params"`
			}
			data, err := os.ReadFile(filepath.Join(root, c.Case, "meta.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &meta); err != nil {
				t.Fatal(err)
			}
			m, err := Load(c.modelFile(root), Options{})
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			got, want := m.CountParams(), meta.Params
			if got.Total != want.Total || (want.Trainable != nil && got.Trainable != *want.Trainable) ||
				(want.NonTrainable != nil && got.NonTrainable != *want.NonTrainable) {
				t.Errorf("params %+v, want total %d trainable %v non-trainable %v", got, want.Total, want.Trainable, want.NonTrainable)
			}
			if want.Trainable == nil && c.Case != "tfjs-divorce-mlp" && c.Case != "tfjs-teachable-image" &&
				c.Case != "tfjs-textgen-lstm" && c.Case != "tfjs-unet" {
				t.Errorf("meta.json gives no trainable count for a non-TF.js case")
			}
		})
	}
	if n != 29 {
		t.Errorf("%d ok cases, want 29", n)
	}
}

// TestCorpusErrors checks the corpus' negative cases: files that cannot be read fail with a
// FormatError naming the reason; custom classes fail with an UnsupportedError naming every
// class; Lambda and TFOpLambda files are readable (the compiler refuses them later).
func TestCorpusErrors(t *testing.T) {
	root, cases := corpusCases(t)
	want := map[string]struct {
		readable bool
		phrases  []string
	}{
		"dcgan-generator":       {false, []string{"no model architecture", "model_config", "save_weights", "layer_names", "--config"}},
		"praali-bilstm-h5":      {false, []string{"incomplete", "'dense_8'", "'dense_9'", "layer_names", "more than once"}},
		"tfjs-mnist-cnn":        {false, []string{`"format": "graph-model"`, "layers model"}},
		"transformer-streamlit": {false, []string{"PositionalEmbedding (x2)", "TransformerEncoder", "TransformerDecoder", "'module': null"}},
		"carnd-nvidia":          {true, nil},
		"ecg-transformer":       {true, nil},
	}
	seen := 0
	for _, c := range cases {
		if c.Expect != "error" {
			continue
		}
		w, ok := want[c.Case]
		if !ok {
			t.Errorf("corpus error case %s (%s) has no expectation here", c.Case, c.Error.ErrorClass)
			continue
		}
		seen++
		t.Run(c.Case, func(t *testing.T) {
			m, err := Load(c.modelFile(root), Options{})
			if w.readable {
				if err != nil {
					t.Fatalf("load: %v", err)
				}
				if m.CountParams().Total == 0 {
					t.Errorf("no parameters read")
				}
				return
			}
			if err == nil {
				t.Fatalf("loaded; want an error (%s)", c.Error.ErrorClass)
			}
			var fe *FormatError
			var ue *UnsupportedError
			if !errors.As(err, &fe) && !errors.As(err, &ue) {
				t.Errorf("error %T is neither a FormatError nor an UnsupportedError", err)
			}
			for _, p := range w.phrases {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error does not say %q:\n%v", p, err)
				}
			}
		})
	}
	if seen != len(want) {
		t.Errorf("checked %d error cases, want %d", seen, len(want))
	}
}
