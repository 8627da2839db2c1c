package compile

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/frontend"
	"github.com/kerasgen/kerasgen/runtime"
)

// numpyRefCasesDir holds the layer cases written by testdata/numpy_ref/make_cases.py: Keras 3
// `.keras` files for layers that neither Keras (not installable here) nor TF.js 4.22 can run,
// with a numpy re-implementation of Keras 3.15's formulas as the oracle.
const numpyRefCasesDir = "../../testdata/numpy_ref"

// numpyRefUnsupported lists the numpy-reference cases this compiler refuses to compile, with the
// reason and a part of the error. The test fails if one of them compiles or fails with another
// error, and if any other case fails to compile.
var numpyRefUnsupported = map[string]tfjsRefusal{}

// numpyRefKnownMismatch lists the numpy-reference cases that compile but whose generated code
// does not build or whose outputs differ from the oracle, with the symptom. The test fails if
// any other case differs, and if one of these stops differing.
var numpyRefKnownMismatch = map[string]string{}

// numpyRefCase is one case directory's case.json: the TF.js cases' fields plus the parameter
// count of the written weights.
type numpyRefCase struct {
	tfjsCase
	Params int64 `json:"params"`
}

func numpyRefCases(t *testing.T) []*numpyRefCase {
	ents, err := os.ReadDir(numpyRefCasesDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []*numpyRefCase
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(numpyRefCasesDir, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, "case.json"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		c := &numpyRefCase{tfjsCase: tfjsCase{name: e.Name(), dir: dir}, Params: -1}
		if err := json.Unmarshal(data, c); err != nil {
			t.Fatalf("%s/case.json: %v", e.Name(), err)
		}
		if len(c.Inputs) == 0 || len(c.Expected) == 0 || len(c.Layers) == 0 || c.Atol <= 0 || c.Rtol <= 0 || c.Params < 0 {
			t.Fatalf("%s/case.json: inputs, expected, layers, params, atol and rtol are all required", e.Name())
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatalf("no case.json under %s", numpyRefCasesDir)
	}
	return out
}

// TestNumpyRefModelsLoad checks that every case's model.keras loads and that its parameter
// count is the number of weight values the generator wrote.
func TestNumpyRefModelsLoad(t *testing.T) {
	for _, c := range numpyRefCases(t) {
		m, err := frontend.Load(filepath.Join(c.dir, "model.keras"), frontend.Options{})
		if err != nil {
			t.Errorf("%s: does not load: %v", c.name, err)
			continue
		}
		if p := m.CountParams(); p.Total != c.Params {
			t.Errorf("%s: %d parameters, the generator wrote %d weight values", c.name, p.Total, c.Params)
		}
	}
}

// TestNumpyRefCases compiles every case under testdata/numpy_ref twice, as is and exposing every
// layer's output, runs both builds on the case's inputs (one build of all the generated
// packages), and compares the model's outputs and each recorded layer output with the numpy
// reference at the case's tolerance.
func TestNumpyRefCases(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every numpy-reference case; skipped with -short")
	}
	type built struct {
		c             *numpyRefCase
		final, layers int // job indices
	}
	var jobs []Job
	var runs []built
	refused := map[string]error{}
	for _, c := range numpyRefCases(t) {
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
		if p := final.Model.CountParams(); p.Total != c.Params {
			t.Errorf("%s: %d parameters, the generator wrote %d weight values", c.name, p.Total, c.Params)
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
		reason, listed := numpyRefUnsupported[name]
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
	for name, reason := range numpyRefUnsupported {
		if _, ok := refused[name]; !ok {
			t.Errorf("%s is listed as unsupported (%s) but compiles: remove it from numpyRefUnsupported", name, reason.why)
		}
	}
	if len(jobs) == 0 {
		t.Fatal("no case compiled")
	}
	// One build and run of every case not listed in numpyRefKnownMismatch (if that fails, each
	// of them alone, to tell which fail); the listed ones alone, since their code may not build.
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
		if _, known := numpyRefKnownMismatch[r.c.name]; known {
			alone(r)
			continue
		}
		inBatch = append(inBatch, r)
		batch = append(batch, jobs[r.final], jobs[r.layers])
	}
	if len(batch) > 0 {
		o, err := RunAll(t.TempDir(), batch)
		if err != nil {
			t.Logf("building and running the cases at once failed; trying each alone: %v", firstLines(err.Error(), 5))
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
			problems = []string{"the generated code does not build or run: " + firstLines(err.Error(), 8)}
		} else {
			problems = tfjsCheck(t, &r.c.tfjsCase, jobs[r.final].Result, outs[r.final], jobs[r.layers].Result, outs[r.layers])
		}
		symptom, known := numpyRefKnownMismatch[r.c.name]
		switch {
		case len(problems) > 0 && known:
			t.Logf("%s: known mismatch (%s):\n  %s", r.c.name, symptom, strings.Join(problems, "\n  "))
		case len(problems) > 0:
			t.Errorf("%s: differs from the oracle (%s):\n  %s", r.c.name, r.c.Oracle, strings.Join(problems, "\n  "))
		case known:
			t.Errorf("%s is listed as a known mismatch (%s) but matches: remove it from numpyRefKnownMismatch", r.c.name, symptom)
		default:
			t.Logf("%s: %d outputs and %d layer outputs match", r.c.name, len(r.c.Expected), len(r.c.Layers))
		}
	}
	for name := range numpyRefKnownMismatch {
		if !seen[name] {
			if _, ok := numpyRefUnsupported[name]; !ok {
				t.Errorf("%s is listed in numpyRefKnownMismatch but is not a compiled case", name)
			}
		}
	}
	t.Logf("%d numpy-reference cases compiled and checked, %d refused", len(runs), len(refused))
}
