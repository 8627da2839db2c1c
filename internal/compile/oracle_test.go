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

// Oracle cases made in this repository for what the Keras-made goldens do not cover. Each
// family is a directory of case directories, each with a model file, inputs, expected
// outputs, layer outputs and a case.json naming its oracle:
//
//	testdata/tfjs       TF.js 4.22 (make_cases.js)
//	testdata/tfjs_seq   TF.js 4.22, open sequence lengths (each case run at two lengths) and masking
//	testdata/numpy_ref* numpy re-implementations of Keras 3.15.1 formulas (make_cases.py),
//	                    .keras files written in Keras 3's layout
type oracleFamily struct {
	dir, model string
	// unsupported lists the cases the compiler refuses, with why and a fragment of the error;
	// mismatch lists cases that compile but disagree with the oracle, with the symptom. Both
	// are asserted exactly, so that no case drops out silently and fixed cases leave them.
	unsupported map[string]refusal
	mismatch    map[string]string
}

type refusal struct{ why, err string }

var oracleFamilies = []oracleFamily{
	{dir: "tfjs", model: "model.json", unsupported: map[string]refusal{
		"separable_conv2d_m2": {why: "TF.js bug: its SeparableConv2D config leaves out depth_multiplier, so the file " +
			"contradicts its own depthwise_kernel [3,3,2,2] (TF.js cannot reload it either)", err: "need (3, 3, 2, 1)"},
		"layernorm_axes_12": {why: "LayerNormalization over non-trailing axes ([1,2] of a (h,w,c) map) is not supported",
			err: "only trailing axes are supported"},
	}},
	{dir: "tfjs_seq", model: "model.json"},
	{dir: "numpy_ref", model: "model.keras"},
	{dir: "numpy_ref2", model: "model.keras"},
	{dir: "numpy_ref3", model: "model.keras"},
}

// oracleCase is one case directory's case.json.
type oracleCase struct {
	family *oracleFamily
	name   string // "<family>/<case>"
	dir    string

	Inputs   []string          `json:"inputs"`
	Expected []string          `json:"expected"`
	Layers   map[string]string `json:"layers"`
	// Runs, when set, run one package at several sequence lengths (one input each).
	Runs []struct {
		Length   int    `json:"length"`
		Input    string `json:"input"`
		Expected string `json:"expected"`
	} `json:"runs"`
	Params  *int64           `json:"params"`
	Weights map[string][]int `json:"weights"`
	Atol    float64          `json:"atol"`
	Rtol    float64          `json:"rtol"`
	Oracle  string           `json:"oracle"`
}

func oracleCases(t *testing.T) []*oracleCase {
	var out []*oracleCase
	for i := range oracleFamilies {
		f := &oracleFamilies[i]
		root := filepath.Join("..", "..", "testdata", f.dir)
		ents, err := os.ReadDir(root)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(root, e.Name(), "case.json"))
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			c := &oracleCase{family: f, name: f.dir + "/" + e.Name(), dir: filepath.Join(root, e.Name())}
			if err := json.Unmarshal(data, c); err != nil {
				t.Fatalf("%s/case.json: %v", c.name, err)
			}
			if (len(c.Inputs) == 0) == (len(c.Runs) == 0) || c.Atol <= 0 || c.Rtol <= 0 || c.Oracle == "" {
				t.Fatalf("%s/case.json: want inputs or runs, atol, rtol and oracle", c.name)
			}
			out = append(out, c)
			n++
		}
		if n == 0 {
			t.Fatalf("no cases under %s", root)
		}
	}
	return out
}

func (c *oracleCase) read(t *testing.T, files ...string) []*runtime.Array {
	t.Helper()
	var out []*runtime.Array
	for _, f := range files {
		a, err := runtime.ReadNPYFile(filepath.Join(c.dir, f))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		out = append(out, a)
	}
	return out
}

// oracleRun is one job of a case: a compiled package on one set of inputs.
type oracleRun struct {
	c        *oracleCase
	what     string // "", "layers", "length 5"
	job      int
	expected []string
}

// TestOracleCases compiles every oracle case, runs all of them in one build, and compares the
// final outputs and every recorded layer output with the oracle's at the case's tolerance.
func TestOracleCases(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every oracle case; skipped with -short")
	}
	var jobs []Job
	var runs []oracleRun
	refused := map[string]string{}
	for _, c := range oracleCases(t) {
		path := filepath.Join(c.dir, c.family.model)
		final, err := Compile(path, Options{Verify: true})
		if err != nil {
			refused[c.name] = err.Error()
			continue
		}
		checkOracleWeights(t, c, final.Model)
		if len(c.Runs) > 0 {
			if !strings.Contains(string(final.Files["model.go"]), "-2") {
				t.Errorf("%s: the generated InputShapes have no open length", c.name)
			}
			for _, r := range c.Runs {
				runs = append(runs, oracleRun{c, fmt.Sprintf("length %d", r.Length), len(jobs), []string{r.Expected}})
				jobs = append(jobs, Job{Result: final, Inputs: c.read(t, r.Input)})
			}
			continue
		}
		runs = append(runs, oracleRun{c, "", len(jobs), c.Expected})
		jobs = append(jobs, Job{Result: final, Inputs: c.read(t, c.Inputs...)})
		if len(c.Layers) > 0 {
			layers, err := Compile(path, Options{LayerOutputs: true})
			if err != nil {
				t.Errorf("%s (layer outputs): %v", c.name, err)
				continue
			}
			runs = append(runs, oracleRun{c, "layers", len(jobs), nil})
			jobs = append(jobs, Job{Result: layers, Inputs: c.read(t, c.Inputs...)})
		}
	}
	checkRefusals(t, refused)
	outs, err := RunAll(t.TempDir(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	failed := map[string][]string{}
	for _, r := range runs {
		failed[r.c.name] = append(failed[r.c.name], compareOracleRun(t, r, jobs[r.job].Result, outs[r.job])...)
	}
	names := make([]string, 0, len(failed))
	for name := range failed {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		problems := failed[name]
		fam, short, _ := strings.Cut(name, "/")
		want, listed := familyOf(fam).mismatch[short]
		switch {
		case len(problems) > 0 && !listed:
			t.Errorf("%s differs from its oracle:\n  %s", name, strings.Join(problems, "\n  "))
		case len(problems) == 0 && listed:
			t.Errorf("%s is listed as a known mismatch (%s) but matches: remove it", name, want)
		}
	}
	t.Logf("%d oracle cases checked in %d runs, %d refused", len(failed), len(runs), len(refused))
}

func familyOf(dir string) *oracleFamily {
	for i := range oracleFamilies {
		if oracleFamilies[i].dir == dir {
			return &oracleFamilies[i]
		}
	}
	return &oracleFamily{}
}

// checkRefusals asserts the refused cases are exactly the listed ones, for the listed reason.
func checkRefusals(t *testing.T, refused map[string]string) {
	for _, f := range oracleFamilies {
		for name, r := range f.unsupported {
			got, ok := refused[f.dir+"/"+name]
			switch {
			case !ok:
				t.Errorf("%s/%s is listed as unsupported (%s) but compiles: remove it", f.dir, name, r.why)
			case !strings.Contains(got, r.err):
				t.Errorf("%s/%s is refused with %q, want an error saying %q", f.dir, name, got, r.err)
			}
		}
	}
	for name, err := range refused {
		fam, short, _ := strings.Cut(name, "/")
		if _, ok := familyOf(fam).unsupported[short]; !ok {
			t.Errorf("%s does not compile: %s", name, err)
		}
	}
}

// checkOracleWeights compares the parameter count and the Keras variable paths the frontend
// reports with those case.json records (the numpy cases record them).
func checkOracleWeights(t *testing.T, c *oracleCase, m *frontend.Model) {
	if c.Params != nil && m.CountParams().Total != *c.Params {
		t.Errorf("%s: %d parameters, the case has %d", c.name, m.CountParams().Total, *c.Params)
	}
	if c.Weights == nil {
		return
	}
	paths, ws := m.WeightPaths()
	if len(paths) != len(c.Weights) {
		t.Errorf("%s: %d weights %v, the case has %d", c.name, len(paths), paths, len(c.Weights))
	}
	for i, p := range paths {
		if want, ok := c.Weights[p]; !ok || !frontend.Shape(ws[i].Shape).Equal(frontend.Shape(want)) {
			t.Errorf("%s: weight %s %v, the case has %v", c.name, p, ws[i].Shape, want)
		}
	}
}

// compareOracleRun lists where one run's outputs differ from the oracle's.
func compareOracleRun(t *testing.T, r oracleRun, res *Result, outs []*runtime.Array) []string {
	c := r.c
	var problems []string
	if r.what == "layers" {
		keys := make([]string, 0, len(c.Layers))
		for k := range c.Layers {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		got := map[string]*runtime.Array{}
		for i, k := range res.Outputs[res.NumModelOutputs:] {
			got[k] = outs[res.NumModelOutputs+i]
		}
		for _, k := range keys {
			a, ok := got[k]
			if !ok {
				problems = append(problems, fmt.Sprintf("layer %q: no such layer output", k))
				continue
			}
			if d := Compare(a, c.read(t, c.Layers[k])[0], nil, c.Atol, c.Rtol); !d.OK() {
				problems = append(problems, fmt.Sprintf("layer %q: %s", k, d))
			}
		}
		return problems
	}
	if len(r.expected) != res.NumModelOutputs {
		return []string{fmt.Sprintf("%d outputs, the case has %d expected files", res.NumModelOutputs, len(r.expected))}
	}
	for i, want := range c.read(t, r.expected...) {
		if d := Compare(outs[i], want, nil, c.Atol, c.Rtol); !d.OK() {
			problems = append(problems, fmt.Sprintf("%s output %d (%s): %s", r.what, i, r.expected[i], d))
		}
	}
	return problems
}
