package compile

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/frontend"
	"github.com/kerasgen/kerasgen/internal/sharedtest"
	"github.com/kerasgen/kerasgen/ir"
	"github.com/kerasgen/kerasgen/runtime"
)

// e2eCase is one model file of one golden or corpus case, with its reference data.
type e2eCase struct {
	name       string // "golden/mlp_relu_softmax/model.keras"
	caseName   string // "golden/mlp_relu_softmax"
	file       string
	opt        frontend.Options
	inputs     []string
	expected   []string
	layerFiles []string // layer_outputs.npz / layer_samples.npz that exist
	atol, rtol float64
}

// expectedUnsupported lists the cases this compiler does not compile yet, with the reason.
// The test fails if one of them compiles or if any other case fails to, so that no case
// drops out silently; the sequence work empties it.
var expectedUnsupported = map[string]string{}

func goldenE2E(t *testing.T) []e2eCase {
	root := sharedtest.Dir(t, "golden")
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	var out []e2eCase
	for _, e := range ents {
		dir := filepath.Join(root, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, "meta.json"))
		if err != nil {
			continue
		}
		var meta struct {
			Inputs    []struct{ File string } `json:"inputs"`
			Outputs   []struct{ File string } `json:"outputs"`
			Tolerance struct{ Atol, Rtol float64 }
		}
		if err := json.Unmarshal(data, &meta); err != nil {
			t.Fatal(err)
		}
		c := e2eCase{caseName: "golden/" + e.Name(), atol: meta.Tolerance.Atol, rtol: meta.Tolerance.Rtol,
			layerFiles: []string{filepath.Join(dir, "layer_outputs.npz")}}
		for _, in := range meta.Inputs {
			c.inputs = append(c.inputs, filepath.Join(dir, in.File))
		}
		for _, o := range meta.Outputs {
			c.expected = append(c.expected, filepath.Join(dir, o.File))
		}
		files := map[string]frontend.Options{"model.keras": {}, "model.h5": {},
			"model.json": {Weights: filepath.Join(dir, "model.weights.h5")}}
		if _, err := os.Stat(filepath.Join(dir, "tfjs", "model.json")); err == nil {
			files["tfjs/model.json"] = frontend.Options{}
		}
		for f, opt := range files {
			cc := c
			cc.name, cc.file, cc.opt = c.caseName+"/"+f, filepath.Join(dir, f), opt
			out = append(out, cc)
		}
	}
	return out
}

func corpusE2E(t *testing.T) []e2eCase {
	root := sharedtest.Dir(t, "corpus")
	data, err := os.ReadFile(filepath.Join(root, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var index []struct {
		Case        string                        `json:"case"`
		Expect      string                        `json:"expect"`
		ModelFiles  []string                      `json:"model_files"`
		Inputs      []string                      `json:"inputs"`
		Expected    []string                      `json:"expected"`
		Tolerance   *struct{ Atol, Rtol float64 } `json:"tolerance"`
		Recommended *struct{ Atol, Rtol float64 } `json:"recommended_tolerance"`
	}
	if err := json.Unmarshal(data, &index); err != nil {
		t.Fatal(err)
	}
	var out []e2eCase
	for _, e := range index {
		dir := filepath.Join(root, e.Case)
		c := e2eCase{caseName: "corpus/" + e.Case}
		if e.Tolerance != nil {
			c.atol, c.rtol = e.Tolerance.Atol, e.Tolerance.Rtol
		}
		model := e.ModelFiles[0]
		for _, f := range e.ModelFiles {
			if filepath.Base(f) == "model.json" {
				model = f
			}
		}
		c.name, c.file = c.caseName+"/"+model, filepath.Join(dir, model)
		data := dir
		switch {
		case e.Expect == "ok":
		case e.Case == "carnd-nvidia" || e.Case == "ecg-transformer":
			// Negative cases with outputs for a compiler that supports the construct.
			data = filepath.Join(dir, "if_supported")
			e.Inputs, e.Expected = []string{"input.npy"}, []string{"expected.npy"}
		default:
			continue
		}
		for _, in := range e.Inputs {
			c.inputs = append(c.inputs, filepath.Join(data, in))
		}
		for _, o := range e.Expected {
			c.expected = append(c.expected, filepath.Join(data, o))
		}
		for _, f := range []string{"layer_outputs.npz", "layer_samples.npz"} {
			if _, err := os.Stat(filepath.Join(data, f)); err == nil {
				c.layerFiles = append(c.layerFiles, filepath.Join(data, f))
			}
		}
		if e.Recommended != nil {
			c.atol, c.rtol = e.Recommended.Atol, e.Recommended.Rtol
		}
		out = append(out, c)
	}
	return out
}

// registerCarndLambda registers the Go lowering a user would write for carnd-nvidia's
// Lambda (x / 255 - 0.5), the way the README shows.
func registerCarndLambda() {
	frontend.RegisterLowering("lambda_1", func(c *frontend.LowerCtx, l *frontend.Layer, n frontend.Node, in []*ir.Value) ([]*ir.Value, error) {
		d, err := c.Op("Binary", []*ir.Value{in[0], c.Const("k255", ir.Shape{}, []float32{255})}, ir.Attrs{"fn": "div"})
		if err != nil {
			return nil, err
		}
		y, err := c.Op("Binary", []*ir.Value{d, c.Const("half", ir.Shape{}, []float32{0.5})}, ir.Attrs{"fn": "sub"})
		return []*ir.Value{y}, err
	})
}

// TestEndToEnd compiles every golden case and every corpus case (every model file of each)
// through the same path as `kerasgen verify`, runs the generated packages on the cases'
// inputs, and compares the outputs — and, in a second build that exposes them, every
// layer's output — with the expected data at each case's tolerance.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every golden and corpus model; skipped with -short")
	}
	registerCarndLambda()
	cases := append(goldenE2E(t), corpusE2E(t)...)
	type built struct {
		c      e2eCase
		final  int // job index of the optimized build
		layers int // job index of the build exposing layer outputs
	}
	var jobs []Job
	var runs []built
	unsupported := map[string]string{}
	for _, c := range cases {
		var ins []*runtime.Array
		for _, p := range c.inputs {
			a, err := runtime.ReadNPYFile(p)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			ins = append(ins, a)
		}
		final, err := Compile(c.file, Options{Load: c.opt, Verify: true})
		if err != nil {
			var ue *frontend.UnsupportedError
			if errors.As(err, &ue) {
				unsupported[c.caseName] = err.Error()
				continue
			}
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		layers, err := Compile(c.file, Options{Load: c.opt, LayerOutputs: true})
		if err != nil {
			t.Errorf("%s (layer outputs): %v", c.name, err)
			continue
		}
		runs = append(runs, built{c: c, final: len(jobs), layers: len(jobs) + 1})
		jobs = append(jobs, Job{Result: final, Inputs: ins}, Job{Result: layers, Inputs: ins})
	}
	for name, reason := range expectedUnsupported {
		if _, ok := unsupported[name]; !ok {
			t.Errorf("%s is listed as unsupported (%s) but compiles: remove it from expectedUnsupported", name, reason)
		}
	}
	for name, err := range unsupported {
		if _, ok := expectedUnsupported[name]; !ok {
			t.Errorf("%s does not compile: %s", name, err)
		}
	}
	outs, err := RunAll(t.TempDir(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range runs {
		t.Run(r.c.name, func(t *testing.T) {
			checkFinal(t, r.c, jobs[r.final].Result, outs[r.final])
			checkLayers(t, r.c, jobs[r.layers].Result, outs[r.layers])
		})
	}
	t.Logf("%d model files compiled and checked, %d cases expected unsupported", len(runs), len(unsupported))
}

func checkFinal(t *testing.T, c e2eCase, r *Result, outs []*runtime.Array) {
	if len(c.expected) != r.NumModelOutputs {
		t.Fatalf("%d outputs, the case has %d expected files", r.NumModelOutputs, len(c.expected))
	}
	for i, p := range c.expected {
		want, err := runtime.ReadNPYFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if d := Compare(outs[i], want, nil, c.atol, c.rtol); !d.OK() {
			t.Errorf("output %d (%s): %s", i, filepath.Base(p), d)
		}
	}
}

// checkLayers compares every layer output the case records; the first failure in graph
// order names the layer where the compiled model diverges.
func checkLayers(t *testing.T, c e2eCase, r *Result, outs []*runtime.Array) {
	got := map[string]*runtime.Array{}
	for i, k := range r.Outputs[r.NumModelOutputs:] {
		got[k] = outs[r.NumModelOutputs+i]
	}
	compared := 0
	var failures []string
	for _, f := range c.layerFiles {
		arrays, keys, err := runtime.ReadNPZFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if strings.HasSuffix(k, "__idx") {
				continue
			}
			a, ok := got[k]
			if !ok {
				failures = append(failures, k+": no such layer output in the compiled model")
				continue
			}
			var idx []int64
			if ix, ok := arrays[k+"__idx"]; ok {
				idx = ix.Ints
			}
			compared++
			if d := Compare(a, arrays[k], idx, c.atol, c.rtol); !d.OK() {
				failures = append(failures, k+": "+d.String())
			}
		}
	}
	if len(failures) > 0 {
		t.Errorf("layer outputs differ from Keras (in layer order of the first divergence, see the first):\n  %s", strings.Join(failures, "\n  "))
	}
	if compared == 0 && len(c.layerFiles) > 0 {
		t.Errorf("no layer output compared")
	}
}
