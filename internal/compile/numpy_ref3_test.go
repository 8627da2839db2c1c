package compile

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/frontend"
	"github.com/kerasgen/kerasgen/runtime"
)

// numpyRef3Dir holds the cases written by testdata/numpy_ref3/make_cases.py: keras.ops operation
// nodes in a functional config (Transpose, Matmul, Softmax, Reshape, Mean, Sum, Max, ExpandDims,
// Squeeze, Concatenate, an Add with a baked __tensor__ constant), TimeDistributed around
// Conv2D, GlobalAveragePooling2D, MaxPooling2D and Flatten, and masked Bidirectional LSTM/GRU
// fed by Embedding(mask_zero=True) (the mask being a NotEqual op node passed as the recorded
// "mask" kwarg), each a model.keras in Keras 3.15.1's own form, with a numpy re-implementation
// of Keras 3.15's formulas as the oracle. Each case.json's "semantics" quotes the Keras source
// the case follows.
const numpyRef3Dir = "../../testdata/numpy_ref3"

// numpyRef3Refusal is why the compiler refuses a case, and a part of the error it gives.
type numpyRef3Refusal struct{ why, err string }

// numpyRef3Unsupported lists the cases this compiler refuses to compile, with the reason and a
// part of the error. The test fails if one of them compiles or fails with another error, and
// if any other case fails to compile.
var numpyRef3Unsupported = map[string]numpyRef3Refusal{}

// numpyRef3KnownMismatch lists the cases that compile but whose generated code does not build
// or whose outputs differ from the oracle, with the diagnosis. The test fails if any other case
// differs, and if one of these stops differing (so that the table stays honest).
var numpyRef3KnownMismatch = map[string]string{}

// numpyRef3Case is one case directory's case.json.
type numpyRef3Case struct {
	name        string
	dir         string
	Description string            `json:"description"`
	Inputs      []string          `json:"inputs"`
	Expected    []string          `json:"expected"`
	Layers      map[string]string `json:"layers"`
	Params      *int64            `json:"params"`
	Weights     map[string][]int  `json:"weights"`
	Atol        float64           `json:"atol"`
	Rtol        float64           `json:"rtol"`
	Oracle      string            `json:"oracle"`
}

func numpyRef3Cases(t *testing.T) []*numpyRef3Case {
	ents, err := os.ReadDir(numpyRef3Dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []*numpyRef3Case
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(numpyRef3Dir, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, "case.json"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		c := &numpyRef3Case{name: e.Name(), dir: dir}
		if err := json.Unmarshal(data, c); err != nil {
			t.Fatalf("%s/case.json: %v", e.Name(), err)
		}
		if len(c.Inputs) == 0 || len(c.Expected) == 0 || len(c.Layers) == 0 || c.Params == nil || c.Weights == nil || c.Atol <= 0 || c.Rtol <= 0 {
			t.Fatalf("%s/case.json: inputs, expected, layers, params, weights, atol and rtol are all required", e.Name())
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatalf("no case.json under %s", numpyRef3Dir)
	}
	return out
}

// numpyRef3CheckLoad loads a case's model.keras and returns every difference of its parameter
// count and of its variables' Keras paths and shapes from case.json (the sizes of the arrays the
// generator wrote into model.weights.h5). It is run for the cases that compile, and its
// findings count as the case's problems (so numpyRef3KnownMismatch covers them too).
func numpyRef3CheckLoad(c *numpyRef3Case, model string) []string {
	m, err := frontend.Load(model, frontend.Options{KnownClass: frontend.KnownCustomClass})
	if err != nil {
		return []string{fmt.Sprintf("frontend.Load: %v", err)}
	}
	var problems []string
	if got := m.CountParams().Total; got != *c.Params {
		problems = append(problems, fmt.Sprintf("%d parameters, the case's weights hold %d", got, *c.Params))
	}
	paths, ws := m.WeightPaths()
	got := map[string][]int{}
	for i, p := range paths {
		got[p] = ws[i].Shape
	}
	var want []string
	for p := range c.Weights {
		want = append(want, p)
	}
	sort.Strings(want)
	for _, p := range want {
		shape := c.Weights[p]
		s, ok := got[p]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("no weight %s %v in the loaded model (it has %v)", p, shape, paths))
		case fmt.Sprint(s) != fmt.Sprint(shape):
			problems = append(problems, fmt.Sprintf("weight %s has shape %v, want %v", p, s, shape))
		}
	}
	for _, p := range paths {
		if _, ok := c.Weights[p]; !ok {
			problems = append(problems, fmt.Sprintf("the loaded model has a weight %s %v the case does not", p, got[p]))
		}
	}
	return problems
}

// TestNumpyRef3Cases compiles every case under testdata/numpy_ref3 twice, as is and exposing
// every layer's output, checks the loaded model's parameter count and weights against case.json,
// runs both builds on the case's inputs (one build of all the generated packages), and compares
// the model's outputs and each recorded layer output with the oracle's at the case's tolerance.
func TestNumpyRef3Cases(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every numpy_ref3 case; skipped with -short")
	}
	type built struct {
		c             *numpyRef3Case
		final, layers int // job indices
	}
	var jobs []Job
	var runs []built
	refused := map[string]error{}
	loadProblems := map[string][]string{}
	for _, c := range numpyRef3Cases(t) {
		var ins []*runtime.Array
		for _, f := range c.Inputs {
			a, err := runtime.ReadNPYFile(filepath.Join(c.dir, f))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			ins = append(ins, a)
		}
		model := filepath.Join(c.dir, "model.keras")
		final, err := Compile(model, Options{Verify: true})
		if err != nil {
			refused[c.name] = err
			continue
		}
		loadProblems[c.name] = numpyRef3CheckLoad(c, model)
		layers, err := Compile(model, Options{LayerOutputs: true})
		if err != nil {
			t.Errorf("%s: compiles, but not with LayerOutputs: %v", c.name, err)
			continue
		}
		runs = append(runs, built{c: c, final: len(jobs), layers: len(jobs) + 1})
		jobs = append(jobs, Job{Result: final, Inputs: ins}, Job{Result: layers, Inputs: ins})
	}
	for name, err := range refused {
		reason, listed := numpyRef3Unsupported[name]
		kind := "error"
		var ue *frontend.UnsupportedError
		if errors.As(err, &ue) {
			kind = "UnsupportedError"
		}
		switch {
		case !listed:
			t.Errorf("%s does not compile (%s): %v", name, kind, err)
		case !strings.Contains(err.Error(), reason.err):
			t.Errorf("%s is listed as unsupported (%s) but fails with another error (%s): %v", name, reason.why, kind, err)
		default:
			t.Logf("%s: refused as expected (%s); %s: %v", name, reason.why, kind, err)
		}
	}
	for name, reason := range numpyRef3Unsupported {
		if _, ok := refused[name]; !ok {
			t.Errorf("%s is listed as unsupported (%s) but compiles: remove it from numpyRef3Unsupported", name, reason.why)
		}
	}
	if len(jobs) == 0 {
		t.Fatal("no case compiled")
	}
	// One build and run of every case not listed in numpyRef3KnownMismatch (if that fails,
	// each of them alone, to tell which fail); the listed ones alone, since their code may not
	// build.
	outs := make([][]*runtime.Array, len(jobs))
	runErr := map[string]error{}
	alone := func(r built) {
		o, err := RunAll(t.TempDir(), []Job{jobs[r.final], jobs[r.layers]})
		if err != nil {
			runErr[r.c.name] = err
			return
		}
		outs[r.final], outs[r.layers] = o[0], o[1]
	}
	var batch []Job
	var inBatch []built
	for _, r := range runs {
		if _, known := numpyRef3KnownMismatch[r.c.name]; known {
			alone(r)
			continue
		}
		inBatch = append(inBatch, r)
		batch = append(batch, jobs[r.final], jobs[r.layers])
	}
	if len(batch) > 0 {
		o, err := RunAll(t.TempDir(), batch)
		if err != nil {
			t.Logf("building and running the cases at once failed; trying each alone: %v", numpyRef3FirstLines(err.Error(), 5))
			for _, r := range inBatch {
				alone(r)
			}
		} else {
			for i, r := range inBatch {
				outs[r.final], outs[r.layers] = o[2*i], o[2*i+1]
			}
		}
	}
	seen := map[string]bool{}
	for _, r := range runs {
		seen[r.c.name] = true
		problems := loadProblems[r.c.name]
		if err := runErr[r.c.name]; err != nil {
			problems = append(problems, "the generated code does not build or run: "+numpyRef3FirstLines(err.Error(), 8))
		} else {
			problems = append(problems, numpyRef3Check(t, r.c, jobs[r.final].Result, outs[r.final], jobs[r.layers].Result, outs[r.layers])...)
		}
		symptom, known := numpyRef3KnownMismatch[r.c.name]
		switch {
		case len(problems) > 0 && known:
			t.Logf("%s: known mismatch (%s):\n  %s", r.c.name, symptom, strings.Join(problems, "\n  "))
		case len(problems) > 0:
			t.Errorf("%s: differs from the oracle (%s):\n  %s", r.c.name, r.c.Oracle, strings.Join(problems, "\n  "))
		case known:
			t.Errorf("%s is listed as a known mismatch (%s) but matches: remove it from numpyRef3KnownMismatch", r.c.name, symptom)
		default:
			t.Logf("%s: %d outputs and %d layer outputs match", r.c.name, len(r.c.Expected), len(r.c.Layers))
		}
	}
	for name := range numpyRef3KnownMismatch {
		if !seen[name] {
			if _, ok := numpyRef3Unsupported[name]; !ok {
				t.Errorf("%s is listed in numpyRef3KnownMismatch but is not a compiled case", name)
			}
		}
	}
	t.Logf("%d numpy_ref3 cases compiled and checked, %d refused", len(runs), len(refused))
}

// numpyRef3Check compares a case's final outputs and layer outputs with the oracle's and
// returns every difference, each naming the output file or the layer (layers in sorted order).
func numpyRef3Check(t *testing.T, c *numpyRef3Case, final *Result, finalOuts []*runtime.Array, layers *Result, layerOuts []*runtime.Array) []string {
	var problems []string
	if final.NumModelOutputs != len(c.Expected) {
		return []string{fmt.Sprintf("%d model outputs, the case has %d expected files", final.NumModelOutputs, len(c.Expected))}
	}
	for i, f := range c.Expected {
		want, err := runtime.ReadNPYFile(filepath.Join(c.dir, f))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if d := Compare(finalOuts[i], want, nil, c.Atol, c.Rtol); !d.OK() {
			problems = append(problems, fmt.Sprintf("output %d (%s): %s", i, f, numpyRef3Diff(d, finalOuts[i], want)))
		}
	}
	got := map[string]*runtime.Array{}
	for i, k := range layers.Outputs[layers.NumModelOutputs:] {
		got[k] = layerOuts[layers.NumModelOutputs+i]
	}
	var keys []string
	for k := range c.Layers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want, err := runtime.ReadNPYFile(filepath.Join(c.dir, c.Layers[k]))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		a, ok := got[k]
		if !ok {
			problems = append(problems, fmt.Sprintf("layer %q: no such layer output in the compiled model", k))
			continue
		}
		if d := Compare(a, want, nil, c.Atol, c.Rtol); !d.OK() {
			problems = append(problems, fmt.Sprintf("layer %q: %s", k, numpyRef3Diff(d, a, want)))
		}
	}
	return problems
}

// numpyRef3FirstLines returns s up to its n-th line.
func numpyRef3FirstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n    ")
}

// numpyRef3Diff describes a difference with the worst element's actual and expected values.
func numpyRef3Diff(d Diff, got, want *runtime.Array) string {
	s := d.String()
	if d.Err == "" && d.WorstAt < len(got.Data) && d.WorstAt < len(want.Data) {
		s += fmt.Sprintf(" (got %g, want %g; %d values)", got.Data[d.WorstAt], want.Data[d.WorstAt], len(want.Data))
	}
	return s
}
