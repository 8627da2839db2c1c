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

// tfjsSeqCasesDir holds the variable-length sequence cases written by
// testdata/tfjs_seq/make_cases.js, with TensorFlow.js 4.22 as the oracle: models whose input
// has an open length, each with inputs and expected outputs at two lengths (T=5 and T=9).
const tfjsSeqCasesDir = "../../testdata/tfjs_seq"

// maskingRefusal is what the compiler says of a model that needs masking.
const maskingRefusal = "masking is not supported yet"

// tfjsSeqUnsupported lists the sequence cases this compiler refuses to compile, with the reason
// and a part of the error. The test fails if one of them compiles or fails with another error,
// and if any other case fails to compile. The masking cases have expected outputs: when masking
// lands, remove them from here and they are checked like the others.
var tfjsSeqUnsupported = map[string]tfjsRefusal{}

// tfjsSeqKnownMismatch lists the sequence cases that compile but whose generated code does not
// build or whose outputs differ from the oracle, with the symptom. The test fails if any other
// case differs, and if one of these stops differing (so that the table stays honest).
var tfjsSeqKnownMismatch = map[string]string{}

// tfjsSeqRun is one length of a case: its input and expected output.
type tfjsSeqRun struct {
	Length   int    `json:"length"`
	Input    string `json:"input"`
	Expected string `json:"expected"`
}

// tfjsSeqCase is one case directory's case.json.
type tfjsSeqCase struct {
	name        string
	dir         string
	Description string       `json:"description"`
	Oracle      string       `json:"oracle"`
	Masking     bool         `json:"masking"`
	Runs        []tfjsSeqRun `json:"runs"`
	Atol        float64      `json:"atol"`
	Rtol        float64      `json:"rtol"`
}

func tfjsSeqCases(t *testing.T) []*tfjsSeqCase {
	ents, err := os.ReadDir(tfjsSeqCasesDir)
	if err != nil {
		t.Fatal(err)
	}
	var out []*tfjsSeqCase
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(tfjsSeqCasesDir, e.Name())
		data, err := os.ReadFile(filepath.Join(dir, "case.json"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		c := &tfjsSeqCase{name: e.Name(), dir: dir}
		if err := json.Unmarshal(data, c); err != nil {
			t.Fatalf("%s/case.json: %v", e.Name(), err)
		}
		lengths := map[int]bool{}
		for _, r := range c.Runs {
			if r.Length <= 0 || r.Input == "" || r.Expected == "" {
				t.Fatalf("%s/case.json: a run needs length, input and expected: %+v", e.Name(), r)
			}
			lengths[r.Length] = true
		}
		if len(lengths) < 2 || len(lengths) != len(c.Runs) || c.Atol <= 0 || c.Rtol <= 0 || c.Oracle == "" {
			t.Fatalf("%s/case.json: runs at two or more distinct lengths, atol, rtol and oracle are all required", e.Name())
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		t.Fatalf("no case.json under %s", tfjsSeqCasesDir)
	}
	return out
}

// inputShapesLine returns the line of a generated model.go that declares InputShapes.
func inputShapesLine(src []byte) string {
	for _, line := range strings.Split(string(src), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "InputShapes" && f[1] == "=" {
			return strings.TrimSpace(line)
		}
	}
	return ""
}

// TestTFJSVariableLength compiles every case under testdata/tfjs_seq once, checks that the
// generated package's input has an open length (-2 in InputShapes), runs that one package on
// each of the case's lengths (all cases and lengths in one build), and compares each output
// with TF.js' at the case's tolerance.
func TestTFJSVariableLength(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every TF.js sequence case; skipped with -short")
	}
	type built struct {
		c    *tfjsSeqCase
		jobs []int // one job per run, in c.Runs order, sharing one *Result
	}
	var jobs []Job
	var runs []built
	refused := map[string]error{}
	cases := tfjsSeqCases(t)
	for _, c := range cases {
		res, err := Compile(filepath.Join(c.dir, "model.json"), Options{Verify: true})
		if err != nil {
			refused[c.name] = err
			continue
		}
		if line := inputShapesLine(res.Files["model.go"]); !strings.Contains(line, "-2") {
			t.Errorf("%s: the generated InputShapes has no open length (-2): %q", c.name, line)
		}
		b := built{c: c}
		for _, r := range c.Runs {
			in, err := runtime.ReadNPYFile(filepath.Join(c.dir, r.Input))
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if len(in.Shape) < 2 || in.Shape[1] != r.Length {
				t.Fatalf("%s: %s has shape %v, not length %d", c.name, r.Input, in.Shape, r.Length)
			}
			b.jobs = append(b.jobs, len(jobs))
			jobs = append(jobs, Job{Result: res, Inputs: []*runtime.Array{in}})
		}
		runs = append(runs, b)
	}
	for name, err := range refused {
		reason, listed := tfjsSeqUnsupported[name]
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
		case strings.HasPrefix(reason.why, "masking") && !strings.Contains(strings.ToLower(err.Error()), "mask"):
			t.Errorf("%s is refused for masking (%s) but the error does not mention masking: %v", name, reason.why, err)
		default:
			t.Logf("%s: refused as expected (%s); %s: %v", name, reason.why, kind, err)
		}
	}
	for name, reason := range tfjsSeqUnsupported {
		if _, ok := refused[name]; !ok {
			t.Errorf("%s is listed as unsupported (%s) but compiles: remove it from tfjsSeqUnsupported", name, reason.why)
		}
	}
	if len(jobs) == 0 {
		t.Fatal("no case compiled")
	}
	// One build and run of every case not listed in tfjsSeqKnownMismatch (if that fails, each
	// of them alone, to tell which fail); the listed ones alone, since their code may not build.
	outs := make([][]*runtime.Array, len(jobs))
	runErr := map[string]error{}
	alone := func(b built) {
		var js []Job
		for _, j := range b.jobs {
			js = append(js, jobs[j])
		}
		o, err := RunAll(t.TempDir(), js)
		if err != nil {
			runErr[b.c.name] = err
			return
		}
		for i, j := range b.jobs {
			outs[j] = o[i]
		}
	}
	var batch []Job
	var inBatch []built
	for _, b := range runs {
		if _, known := tfjsSeqKnownMismatch[b.c.name]; known {
			alone(b)
			continue
		}
		inBatch = append(inBatch, b)
		for _, j := range b.jobs {
			batch = append(batch, jobs[j])
		}
	}
	if len(batch) > 0 {
		o, err := RunAll(t.TempDir(), batch)
		if err != nil {
			t.Logf("building and running the cases at once failed; trying each alone: %v", firstLines(err.Error(), 5))
			for _, b := range inBatch {
				alone(b)
			}
		} else {
			k := 0
			for _, b := range inBatch {
				for _, j := range b.jobs {
					outs[j] = o[k]
					k++
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, b := range runs {
		seen[b.c.name] = true
		var problems []string
		if err := runErr[b.c.name]; err != nil {
			problems = []string{"the generated code does not build or run: " + firstLines(err.Error(), 8)}
		} else {
			for i, r := range b.c.Runs {
				problems = append(problems, tfjsSeqCheck(t, b.c, r, jobs[b.jobs[i]].Result, outs[b.jobs[i]])...)
			}
		}
		symptom, known := tfjsSeqKnownMismatch[b.c.name]
		switch {
		case len(problems) > 0 && known:
			t.Logf("%s: known mismatch (%s):\n  %s", b.c.name, symptom, strings.Join(problems, "\n  "))
		case len(problems) > 0:
			t.Errorf("%s: differs from the oracle (%s):\n  %s", b.c.name, b.c.Oracle, strings.Join(problems, "\n  "))
		case known:
			t.Errorf("%s is listed as a known mismatch (%s) but matches: remove it from tfjsSeqKnownMismatch", b.c.name, symptom)
		default:
			var ls []string
			for _, r := range b.c.Runs {
				ls = append(ls, fmt.Sprint(r.Length))
			}
			t.Logf("%s: one package, outputs match at lengths %s", b.c.name, strings.Join(ls, " and "))
		}
	}
	var names []string
	for name := range tfjsSeqKnownMismatch {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !seen[name] {
			if _, ok := tfjsSeqUnsupported[name]; !ok {
				t.Errorf("%s is listed in tfjsSeqKnownMismatch but is not a compiled case", name)
			}
		}
	}
	t.Logf("%d TF.js sequence cases compiled and checked at %d lengths in all, %d refused", len(runs), len(jobs), len(refused))
}

// tfjsSeqCheck compares one run's output with the oracle's and returns the difference, naming
// the length and the file.
func tfjsSeqCheck(t *testing.T, c *tfjsSeqCase, r tfjsSeqRun, res *Result, got []*runtime.Array) []string {
	if res.NumModelOutputs != 1 || len(got) < 1 {
		return []string{fmt.Sprintf("T=%d: %d model outputs (%d returned), the case has one expected file", r.Length, res.NumModelOutputs, len(got))}
	}
	want, err := runtime.ReadNPYFile(filepath.Join(c.dir, r.Expected))
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	if d := Compare(got[0], want, nil, c.Atol, c.Rtol); !d.OK() {
		return []string{fmt.Sprintf("T=%d (%s): %s", r.Length, r.Expected, tfjsDiff(d, got[0], want))}
	}
	return nil
}
