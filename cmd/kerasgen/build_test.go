package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/internal/compile"
	"github.com/kerasgen/kerasgen/internal/sharedtest"
	"github.com/kerasgen/kerasgen/runtime"
)

// TestVerifyGolden runs `kerasgen verify` on a golden case: exit 0 with the worst error
// printed, and exit 1 when the expected values are another model's.
func TestVerifyGolden(t *testing.T) {
	dir := sharedtest.Dir(t, "golden", "multi_io")
	in := filepath.Join(dir, "input_0.npy") + "," + filepath.Join(dir, "input_1.npy")
	want := filepath.Join(dir, "expected_0.npy") + "," + filepath.Join(dir, "expected_1.npy")
	code, out, errs := runCLI("verify", filepath.Join(dir, "model.h5"), "--input", in, "--expect", want)
	if code != 0 || strings.Count(out, ": ok: worst |diff|") != 2 {
		t.Fatalf("exit %d\n%s%s", code, out, errs)
	}
	swapped := filepath.Join(dir, "expected_0.npy") + "," + filepath.Join(dir, "expected_0.npy")
	code, out, errs = runCLI("verify", filepath.Join(dir, "model.keras"), "--input", in, "--expect", swapped)
	if code != 1 || !strings.Contains(out, "MISMATCH") {
		t.Errorf("want exit 1 and a MISMATCH line, got exit %d\n%s%s", code, out, errs)
	}
}

// TestBuildRefusals: models that cannot be compiled exit 2 with every offending layer named.
func TestBuildRefusals(t *testing.T) {
	corpus := sharedtest.Dir(t, "corpus")
	cases := []struct {
		file    string
		phrases []string
	}{
		{filepath.Join(corpus, "carnd-nvidia", "model.h5"), []string{"layer 'lambda_1' (class Lambda, function_type 'lambda') contains Python bytecode", "RegisterLowering"}},
		{filepath.Join(corpus, "transformer-streamlit", "model.keras"), []string{"PositionalEmbedding (x2)", "TransformerEncoder", "TransformerDecoder"}},
		{writeConfig(t, twoUnsupported), []string{"2 layer(s) cannot be compiled", "layer 'pool3d' (class MaxPooling3D", "layer 'up3d' (class UpSampling3D"}},
		{filepath.Join(corpus, "tfjs-mnist-cnn", "model.json"), []string{"graph-model"}},
	}
	for _, c := range cases {
		if _, err := os.Stat(c.file); err != nil {
			matches, _ := filepath.Glob(filepath.Join(filepath.Dir(c.file), "*.keras"))
			if len(matches) == 0 {
				t.Fatalf("%s: %v", c.file, err)
			}
			c.file = matches[0]
		}
		code, _, errs := runCLI("build", c.file, "-o", t.TempDir())
		if code != 2 {
			t.Errorf("%s: exit %d, want 2", c.file, code)
		}
		for _, p := range c.phrases {
			if !strings.Contains(errs, p) {
				t.Errorf("%s: message does not say %q:\n%s", filepath.Base(c.file), p, errs)
			}
		}
	}
}

// TestBuildDump prints the IR after a pass.
func TestBuildDump(t *testing.T) {
	dir := sharedtest.Dir(t, "golden", "cnn_bn_dropout")
	code, out, errs := runCLI("build", filepath.Join(dir, "model.keras"), "-o", t.TempDir(), "--dump=bnfold")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	if !strings.Contains(out, "# after bnfold") || strings.Contains(out, "BatchNorm(") || !strings.Contains(out, "Conv(") {
		t.Errorf("dump after bnfold:\n%s", out)
	}
	if code, _, _ := runCLI("build", filepath.Join(dir, "model.keras"), "--dump=nosuchpass"); code != 2 {
		t.Errorf("unknown pass: exit %d, want 2", code)
	}
}

// twoUnsupported is a to_json() config with two layers the compiler does not support yet;
// every one must be named in the refusal.
const twoUnsupported = `{"class_name": "Sequential", "config": {"name": "m", "layers": [
 {"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [null, 4, 4, 4, 1]}},
 {"class_name": "MaxPooling3D", "config": {"name": "pool3d", "pool_size": [2, 2, 2]}},
 {"class_name": "UpSampling3D", "config": {"name": "up3d", "size": [2, 2, 2]}}]}}`

func writeConfig(t *testing.T, cfg string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "model.json")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBench times the bundled example model and a small sgemm: one JSON line each with the
// fields BENCHMARKS.md reads (a benchmark, not a timed assertion: only the shape is checked),
// and with --layers its four kernel calls in the order they run.
func TestBench(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and times a package; skipped with -short")
	}
	code, out, errs := runCLI("bench", filepath.Join("..", "..", "examples", "models", "mlp", "model.json"), "--batch", "4", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, k := range []string{"median_ms", "min_ms", "max_ms", "n", "samples_per_s", "gflops"} {
		if v, ok := r[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v", k, r[k])
		}
	}
	checkPeak(t, r)
	code, out, errs = runCLI("bench", filepath.Join("..", "..", "examples", "models", "mlp", "model.json"), "--batch", "64", "--threads", "2", "--json")
	if code != 0 || !strings.Contains(out, `"threads":2`) {
		t.Errorf("--threads 2: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI("bench", filepath.Join("..", "..", "examples", "models", "mlp", "model.json"), "--batch", "2", "--precision", "bf16", "--json")
	if code != 0 || !strings.Contains(out, `"runner":"kerasgen-bf16"`) || !strings.Contains(out, `"precision":"bf16"`) {
		t.Errorf("--precision bf16: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI("bench", filepath.Join("..", "..", "examples", "models", "mlp", "model.json"), "--batch", "2", "--winograd=false", "--json")
	if code != 0 || !strings.Contains(out, `"runner":"kerasgen-direct"`) {
		t.Errorf("--winograd=false: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI("bench", filepath.Join("..", "..", "examples", "models", "mlp", "model.json"), "--layers", "--json")
	var lr struct {
		Layers []struct {
			Name     string  `json:"name"`
			MedianMS float64 `json:"median_ms"`
		} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(out), &lr); code != 0 || err != nil || len(lr.Layers) != 4 {
		t.Errorf("--layers: exit %d, %v, %d layers\n%s%s", code, err, len(lr.Layers), out, errs)
	} else if l := lr.Layers[0]; l.Name != "hidden_1 (DensePanels)" || l.MedianMS < 0 {
		t.Errorf("--layers: first call %+v, want hidden_1's DensePanels", l)
	}
	// A model with open sequence lengths: its outputs are sized from the inputs' lengths.
	s2s := sharedtest.Dir(t, "corpus", "seq2seq-lstm")
	code, out, errs = runCLI("bench", filepath.Join(s2s, "s2s.h5"), "--input", filepath.Join(s2s, "input_0.npy")+","+filepath.Join(s2s, "input_1.npy"), "--json")
	if code != 0 || !strings.Contains(out, `"median_ms"`) {
		t.Errorf("open lengths: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCLI("bench", "--gemm", "8,16", "--json")
	if code != 0 || strings.Count(out, `"gflops"`) != 2 {
		t.Errorf("gemm: exit %d\n%s%s", code, out, errs)
	}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var g map[string]any
		if err := json.Unmarshal([]byte(line), &g); err != nil {
			t.Fatalf("gemm: %v: %s", err, line)
		}
		checkPeak(t, g)
	}
}

// TestBenchSave saves the timing programs (`--save`) and runs them as a machine without Go
// would: the model's program on its saved inputs at two threads prints the timing line, its
// bench.json names the model, batch and FLOPs, and the sgemm program times the sizes it is given.
func TestBenchSave(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two programs; skipped with -short")
	}
	dir := t.TempDir()
	code, out, errs := runCLI("bench", filepath.Join("..", "..", "examples", "models", "mlp", "model.json"), "--batch", "3", "--save", dir)
	if code != 0 || !strings.Contains(out, "saved") {
		t.Fatalf("--save: exit %d\n%s%s", code, out, errs)
	}
	var meta compile.SavedBench
	if b, err := os.ReadFile(filepath.Join(dir, "bench.json")); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(b, &meta); err != nil || meta.Model != "mlp" || meta.Batch != 3 || meta.FLOPs <= 0 || meta.Runner != "kerasgen" {
		t.Fatalf("bench.json: %v %+v", err, meta)
	}
	cmd := exec.Command(filepath.Join(dir, "bench"), filepath.Join(dir, "data"))
	trace := filepath.Join(dir, "trace.out")
	cmd.Env = append(os.Environ(), "GOMAXPROCS=2", "KERASGEN_THREADS=2", "KERASGEN_TRACE="+trace)
	res, err := cmd.Output()
	if err != nil {
		t.Fatalf("saved program: %v", err)
	}
	if st, err := os.Stat(trace); err != nil || st.Size() == 0 {
		t.Errorf("KERASGEN_TRACE: no execution trace written (%v)", err)
	}
	var r map[string]any
	if err := json.Unmarshal(res, &r); err != nil {
		t.Fatalf("%v: %s", err, res)
	}
	if v, ok := r["median_ms"].(float64); !ok || v <= 0 {
		t.Errorf("median_ms = %v", r["median_ms"])
	}
	checkPeak(t, r)
	if code, out, errs := runCLI("bench", "--gemm", "8", "--save", dir); code != 0 {
		t.Fatalf("--gemm --save: exit %d\n%s%s", code, out, errs)
	}
	g, err := exec.Command(filepath.Join(dir, "gemm"), "8,16").Output()
	if err != nil || strings.Count(string(g), `"gflops"`) != 2 {
		t.Fatalf("saved gemm program: %v: %s", err, g)
	}
}

// checkPeak checks a bench result's cpu_level, zmm_form and peak_gflops: the core's multiply-add rate
// probed in the run where the timed process's kernel level (its build's, or KERASGEN_CPU's,
// inherited from the test) has a probe, 0 where it has none (generic). The timed process is
// built without this test binary's tags, so under -tags purego it may still run vector
// kernels: its level, not this process's, decides.
func checkPeak(t *testing.T, r map[string]any) {
	t.Helper()
	level, _ := r["cpu_level"].(string)
	if !slices.Contains([]string{"generic", "avx2", "avx512"}, level) {
		t.Errorf("cpu_level = %v", r["cpu_level"])
	}
	if want := os.Getenv("KERASGEN_CPU"); want != "" && want == runtime.CPULevel() && level != want {
		t.Errorf("cpu_level = %s with KERASGEN_CPU=%s", level, want)
	}
	p, ok := r["peak_gflops"].(float64)
	if !ok || (p > 0) != (level != "generic") {
		t.Errorf("peak_gflops = %v at level %s", r["peak_gflops"], level)
	}
	form, _ := r["zmm_form"].(string)
	switch want := os.Getenv("KERASGEN_ZMM"); {
	case level != "avx512" && form != "":
		t.Errorf("zmm_form = %q at level %s", form, level)
	case level == "avx512" && form != "halves" && form != "full":
		t.Errorf("zmm_form = %q at level avx512", form)
	case level == "avx512" && (want == "halves" || want == "full") && form != want:
		t.Errorf("zmm_form = %s with KERASGEN_ZMM=%s", form, want)
	}
}
