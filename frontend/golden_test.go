package frontend

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/internal/sharedtest"
	"github.com/kerasgen/kerasgen/runtime"
)

// goldenMeta is the part of a golden case's meta.json these tests read.
type goldenMeta struct {
	Case         string           `json:"case"`
	WeightsOrder []string         `json:"weights_order"`
	WeightShapes map[string][]int `json:"weights_shapes"`
	Trainable    []string         `json:"trainable"`
	Inputs       []struct {
		Shape []*int `json:"shape"`
	} `json:"inputs"`
	Outputs []struct {
		Shape []*int `json:"shape"`
	} `json:"outputs"`
}

// goldenCases lists the case directories of ../shared/golden.
func goldenCases(t *testing.T) []string {
	root := sharedtest.Dir(t, "golden")
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var cases []string
	for _, e := range ents {
		if _, err := os.Stat(filepath.Join(root, e.Name(), "meta.json")); err == nil {
			cases = append(cases, filepath.Join(root, e.Name()))
		}
	}
	if len(cases) < 16 {
		t.Fatalf("found %d golden cases, want at least 16", len(cases))
	}
	return cases
}

// goldenFiles lists every model file a golden case has, with the options to load it.
func goldenFiles(dir string) map[string]Options {
	files := map[string]Options{
		"model.keras": {},
		"model.h5":    {},
		"model.json":  {Weights: filepath.Join(dir, "model.weights.h5")},
	}
	if _, err := os.Stat(filepath.Join(dir, "tfjs", "model.json")); err == nil {
		files["tfjs/model.json"] = Options{}
	}
	return files
}

func readGoldenMeta(t *testing.T, dir string) goldenMeta {
	t.Helper()
	var meta goldenMeta
	data, err := os.ReadFile(filepath.Join(dir, "meta.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &meta); err != nil {
		t.Fatal(err)
	}
	return meta
}

// TestGoldenWeights loads every model file of every golden case and checks every weight
// against weights.npz bit for bit, matched by Keras variable path, and the parameter totals
// against meta.json.
func TestGoldenWeights(t *testing.T) {
	for _, dir := range goldenCases(t) {
		meta := readGoldenMeta(t, dir)
		want, keys, err := runtime.ReadNPZFile(filepath.Join(dir, "weights.npz"))
		if err != nil {
			t.Fatal(err)
		}
		var wantTotal, wantTrainable int64
		for _, k := range keys {
			wantTotal += int64(want[k].Size())
		}
		for _, k := range meta.Trainable {
			wantTrainable += int64(want[k].Size())
		}
		for file, opt := range goldenFiles(dir) {
			t.Run(filepath.Base(dir)+"/"+file, func(t *testing.T) {
				m, err := Load(filepath.Join(dir, file), opt)
				if err != nil {
					t.Fatalf("load: %v", err)
				}
				paths, ws := m.WeightPaths()
				if len(ws) != len(keys) {
					t.Fatalf("%d weights, weights.npz has %d", len(ws), len(keys))
				}
				for i, p := range paths {
					// Keras paths of a freshly built Sequential carry the model name; match by suffix.
					k := meta.WeightsOrder[i]
					if k != p && !strings.HasSuffix(k, "/"+p) {
						t.Errorf("weight %d is %s, Keras' model.weights[%d] is %s", i, p, i, k)
						continue
					}
					assertBitsEqual(t, p, ws[i], want[k])
				}
				got := m.CountParams()
				if got.Total != wantTotal || got.Trainable != wantTrainable || got.NonTrainable != wantTotal-wantTrainable {
					t.Errorf("params %+v, want total %d trainable %d", got, wantTotal, wantTrainable)
				}
			})
		}
	}
}

func assertBitsEqual(t *testing.T, name string, w *Weight, want *runtime.Array) {
	t.Helper()
	if !Shape(w.Shape).Equal(Shape(want.Shape)) {
		t.Errorf("%s: shape %v, want %v", name, w.Shape, want.Shape)
		return
	}
	for j, v := range w.Values {
		if math.Float32bits(v) != math.Float32bits(want.Data[j]) {
			t.Errorf("%s[%d] = %v, want %v (bit for bit)", name, j, v, want.Data[j])
			return
		}
	}
}
