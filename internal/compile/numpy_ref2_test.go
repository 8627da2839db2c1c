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

// numpyRef2Dir holds the cases written by testdata/numpy_ref2/make_cases.py: MultiHeadAttention
// variants, GroupNormalization, UnitNormalization, grouped Conv1D/Conv2D and
// LayerNormalization(rms_scaling=True), each a model.keras in Keras 3.15.1's own form, with a
// numpy re-implementation of Keras 3.15's formulas as the oracle.
const numpyRef2Dir = "../../testdata/numpy_ref2"

// numpyRef2Refusal is why the compiler refuses a case, and a part of the error it gives.
type numpyRef2Refusal struct{ why, err string }

// numpyRef2Unsupported lists the cases this compiler refuses to compile, with the reason and a
// part of the error. The test fails if one of them compiles or fails with another error, and
// if any other case fails to compile.
var numpyRef2Unsupported = map[string]numpyRef2Refusal{}

// numpyRef2KnownMismatch lists the cases that compile but whose generated code does not build
// or whose outputs differ from the oracle, with the diagnosis. The test fails if any other case
// differs, and if one of these stops differing (so that the table stays honest).
var numpyRef2KnownMismatch = map[string]string{}

// numpyRef2Case is one case directory's case.json.
type numpyRef2Case struct {
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

func numpyRef2Cases(t *testing.T) []*numpyRef2Case {
	ents, err := os.ReadDir(numpyRef2Dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []*numpyRef2Case
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(numpyRef2Dir, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, "case.json"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		c := &numpyRef2Case{name: e.Name(), dir: dir}
		if err := json.Unmarshal(data, c); err != nil {
			t.Fatalf("%s/case.json: %v", e.Name(), err)
		}
		if len(c.Inputs) == 0 || len(c.Expected) == 0 || len(c.Layers) == 0 || c.Params == nil || c.Weights == nil || c.Atol <= 0 || c.Rtol <= 0 {
			t.Fatalf("%s/case.json: inputs, expected, layers, params, weights, atol and rtol are all required", e.Name())
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatalf("no case.json under %s", numpyRef2Dir)
	}
	return out
}

// numpyRef2CheckLoad loads a case's model.keras and checks its parameter count and every
// variable's Keras path and shape against case.json (the sizes of the arrays the generator
// wrote into model.weights.h5).
func numpyRef2CheckLoad(t *testing.T, c *numpyRef2Case, model string) {
	m, err := frontend.Load(model, frontend.Options{KnownClass: frontend.KnownCustomClass})
	if err != nil {
		t.Errorf("%s: frontend.Load: %v", c.name, err)
		return
	}
	if got := m.CountParams().Total; got != *c.Params {
		t.Errorf("%s: %d parameters, the case's weights hold %d", c.name, got, *c.Params)
	}
	paths, ws := m.WeightPaths()
	got := map[string][]int{}
	for i, p := range paths {
		got[p] = ws[i].Shape
	}
	for p, shape := range c.Weights {
		s, ok := got[p]
		switch {
		case !ok:
			t.Errorf("%s: no weight %s %v in the loaded model (it has %v)", c.name, p, shape, paths)
		case fmt.Sprint(s) != fmt.Sprint(shape):
			t.Errorf("%s: weight %s has shape %v, want %v", c.name, p, s, shape)
		}
	}
	for _, p := range paths {
		if _, ok := c.Weights[p]; !ok {
			t.Errorf("%s: the loaded model has a weight %s %v the case does not", c.name, p, got[p])
		}
	}
}

// TestNumpyRef2Cases loads every case under testdata/numpy_ref2 (checking its parameter count
// and weights), compiles it twice, as is and exposing every layer's output, runs both builds on
// the case's inputs (one build of all the generated packages), and compares the model's
// outputs and each recorded layer output with the oracle's at the case's tolerance.
func TestNumpyRef2Cases(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every numpy_ref2 case; skipped with -short")
	}
	type built struct {
		c             *numpyRef2Case
		final, layers int // job indices
	}
	var jobs []Job
	var runs []built
	refused := map[string]error{}
	for _, c := range numpyRef2Cases(t) {
		var ins []*runtime.Array
		for _, f := range c.Inputs {
			a, err := runtime.ReadNPYFile(filepath.Join(c.dir, f))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			ins = append(ins, a)
		}
		model := filepath.Join(c.dir, "model.keras")
		numpyRef2CheckLoad(t, c, model)
		final, err := Compile(model, Options{Verify: true})
		if err != nil {
			refused[c.name] = err
			continue
		}
		layers, err := Compile(model, Options{LayerOutputs: true})
		if err != nil {
			t.Errorf("%s: compiles, but not with LayerOutputs: %v", c.name, err)
			continue
		}
		runs = append(runs, built{c: c, final: len(jobs), layers: len(jobs) + 1})
		jobs = append(jobs, Job{Result: final, Inputs: ins}, Job{Result: layers, Inputs: ins})
	}
	for name, err := range refused {
		reason, listed := numpyRef2Unsupported[name]
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
	for name, reason := range numpyRef2Unsupported {
		if _, ok := refused[name]; !ok {
			t.Errorf("%s is listed as unsupported (%s) but compiles: remove it from numpyRef2Unsupported", name, reason.why)
		}
	}
	if len(jobs) == 0 {
		t.Fatal("no case compiled")
	}
	// One build and run of every case not listed in numpyRef2KnownMismatch (if that fails,
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
		if _, known := numpyRef2KnownMismatch[r.c.name]; known {
			alone(r)
			continue
		}
		inBatch = append(inBatch, r)
		batch = append(batch, jobs[r.final], jobs[r.layers])
	}
	if len(batch) > 0 {
		o, err := RunAll(t.TempDir(), batch)
		if err != nil {
			t.Logf("building and running the cases at once failed; trying each alone: %v", numpyRef2FirstLines(err.Error(), 5))
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
		var problems []string
		if err := runErr[r.c.name]; err != nil {
			problems = []string{"the generated code does not build or run: " + numpyRef2FirstLines(err.Error(), 8)}
		} else {
			problems = numpyRef2Check(t, r.c, jobs[r.final].Result, outs[r.final], jobs[r.layers].Result, outs[r.layers])
		}
		symptom, known := numpyRef2KnownMismatch[r.c.name]
		switch {
		case len(problems) > 0 && known:
			t.Logf("%s: known mismatch (%s):\n  %s", r.c.name, symptom, strings.Join(problems, "\n  "))
		case len(problems) > 0:
			t.Errorf("%s: differs from the oracle (%s):\n  %s", r.c.name, r.c.Oracle, strings.Join(problems, "\n  "))
		case known:
			t.Errorf("%s is listed as a known mismatch (%s) but matches: remove it from numpyRef2KnownMismatch", r.c.name, symptom)
		default:
			t.Logf("%s: %d outputs and %d layer outputs match", r.c.name, len(r.c.Expected), len(r.c.Layers))
		}
	}
	for name := range numpyRef2KnownMismatch {
		if !seen[name] {
			if _, ok := numpyRef2Unsupported[name]; !ok {
				t.Errorf("%s is listed in numpyRef2KnownMismatch but is not a compiled case", name)
			}
		}
	}
	t.Logf("%d numpy_ref2 cases compiled and checked, %d refused", len(runs), len(refused))
}

// numpyRef2Check compares a case's final outputs and layer outputs with the oracle's and
// returns every difference, each naming the output file or the layer (layers in sorted order).
func numpyRef2Check(t *testing.T, c *numpyRef2Case, final *Result, finalOuts []*runtime.Array, layers *Result, layerOuts []*runtime.Array) []string {
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
			problems = append(problems, fmt.Sprintf("output %d (%s): %s", i, f, numpyRef2Diff(d, finalOuts[i], want)))
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
			problems = append(problems, fmt.Sprintf("layer %q: %s", k, numpyRef2Diff(d, a, want)))
		}
	}
	return problems
}

// numpyRef2FirstLines returns s up to its n-th line.
func numpyRef2FirstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "...")
	}
	return strings.Join(lines, "\n    ")
}

// numpyRef2Diff describes a difference with the worst element's actual and expected values.
func numpyRef2Diff(d Diff, got, want *runtime.Array) string {
	s := d.String()
	if d.Err == "" && d.WorstAt < len(got.Data) && d.WorstAt < len(want.Data) {
		s += fmt.Sprintf(" (got %g, want %g; %d values)", got.Data[d.WorstAt], want.Data[d.WorstAt], len(want.Data))
	}
	return s
}
