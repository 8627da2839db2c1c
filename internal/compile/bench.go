package compile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"

	"github.com/kerasgen/kerasgen/runtime"
)

// BenchResult is the timing of one compiled model's Predict, one call at a time.
type BenchResult struct {
	Runner        string  `json:"runner"`
	Model         string  `json:"model"`
	Threads       int     `json:"threads"`
	Precision     string  `json:"precision"`
	Batch         int     `json:"batch"`
	MedianMS      float64 `json:"median_ms"`
	MinMS         float64 `json:"min_ms"`
	MaxMS         float64 `json:"max_ms"`
	N             int     `json:"n"`
	SamplesPerSec float64 `json:"samples_per_s"`
	GFLOPS        float64 `json:"gflops"`
	// PeakGFLOPS is one core's multiply-add rate, probed between the calls
	// (runtime.FMAPeakGFLOPS; 0 without vector kernels): the peak in this run.
	PeakGFLOPS float64 `json:"peak_gflops"`
	// CPULevel is the kernel level the timed process ran (runtime.CPULevel there: its build
	// and KERASGEN_CPU decide it, not the level of the process that asked for the timing).
	CPULevel string `json:"cpu_level"`
	// ZMMForm is the form of the AVX-512 kernels it ran (runtime.ZMMForm there: "halves" on
	// Zen 4, "full" elsewhere, KERASGEN_ZMM forcing one; "" below AVX-512).
	ZMMForm string `json:"zmm_form,omitempty"`
	// Layers, with --layers: the forward pass's kernel calls in order, each with its median.
	Layers []LayerTime `json:"layers,omitempty"`
}

// Bench builds the package in a temporary module under work and times Run on the given
// inputs with the kernels on the given number of threads (GOMAXPROCS and KERASGEN_THREADS of
// the timed process): a warm-up, then calls until 3 s have passed or 500 calls were made (at
// least 10). With layers, the package is instrumented (instrumentLayers) and the result
// also gives each kernel call's median time per Run.
func Bench(work string, r *Result, inputs []*runtime.Array, threads int, layers bool) (*BenchResult, error) {
	mod, data, err := writeBench(work, r, inputs, layers)
	if err != nil {
		return nil, err
	}
	out, err := runDriver(mod, filepath.Join(work, "bench"), threads, data)
	if err != nil {
		return nil, err
	}
	var res BenchResult
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("bench driver output %q: %v", out, err)
	}
	res.Threads = threads
	res.Complete(r, inputs[0].Shape[0])
	return &res, nil
}

// Complete fills in what the timed process does not know from the compiled model and the
// batch it ran: the runner's name, precision, batch, samples/s and GFLOP/s.
func (res *BenchResult) Complete(r *Result, batch int) {
	res.Runner, res.Precision, res.Batch = runnerName(r), r.Precision, batch
	res.SamplesPerSec = float64(res.Batch) / (res.MedianMS / 1e3)
	res.GFLOPS = float64(r.FLOPs) * float64(res.Batch) / (res.MedianMS / 1e3) / 1e9
}

// runnerName names the compiled model's row in ../shared/bench's tables: kerasgen, with its
// precision other than fp32 and -direct without Winograd.
func runnerName(r *Result) string {
	name := "kerasgen"
	if r.Precision != "fp32" {
		name += "-" + r.Precision
	}
	if r.Direct {
		name += "-direct"
	}
	return name
}

// SavedBench describes a timing program written by SaveBench (DIR/bench.json): what the
// program's output needs to become a BenchResult (BenchResult.Complete's inputs).
type SavedBench struct {
	Model     string `json:"model"`
	Runner    string `json:"runner"`
	Precision string `json:"precision"`
	Batch     int    `json:"batch"`
	// FLOPs is the model's floating-point operations per sample (Result.FLOPs).
	FLOPs int64 `json:"flops_per_sample"`
}

// SaveBench builds Bench's timing program and writes it, with its inputs, into dir instead
// of running it, so that it can be timed on another machine of the same architecture with
// no Go toolchain there: dir/bench, dir/data/in_K.npy and dir/bench.json (SavedBench). Run
// as `GOMAXPROCS=T KERASGEN_THREADS=T dir/bench dir/data`; it prints Bench's timing as one
// JSON line (median_ms, min_ms, max_ms, n, peak_gflops, cpu_level).
func SaveBench(dir, model string, r *Result, inputs []*runtime.Array, layers bool) error {
	return saving(dir, func(work, dir string) error { return saveBench(work, dir, model, r, inputs, layers) })
}

// saving runs save with a temporary work directory (removed after) and dir made absolute
// (the go command that builds into it runs elsewhere).
func saving(dir string, save func(work, dir string) error) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "kerasgen-save-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	return save(work, dir)
}

func saveBench(work, dir, model string, r *Result, inputs []*runtime.Array, layers bool) error {
	mod, data, err := writeBench(work, r, inputs, layers)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if out, err := goCommand(mod, "build", "-o", filepath.Join(dir, "bench"), ".").CombinedOutput(); err != nil {
		return fmt.Errorf("building the benchmark: %v\n%s", err, out)
	}
	if err := os.RemoveAll(filepath.Join(dir, "data")); err != nil {
		return err
	}
	if err := os.Rename(data, filepath.Join(dir, "data")); err != nil {
		return err
	}
	meta, err := json.MarshalIndent(SavedBench{model, runnerName(r), r.Precision, inputs[0].Shape[0], r.FLOPs}, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "bench.json"), append(meta, '\n'), 0o644)
}

// writeBench writes Bench's module (the package, instrumented with layers, and the timing
// driver) and its inputs under work, returning the module and the inputs' directories.
func writeBench(work string, r *Result, inputs []*runtime.Array, layers bool) (mod, data string, err error) {
	mod, names, err := WriteModule(work, []*Result{r})
	if err != nil {
		return "", "", err
	}
	if layers {
		dir := filepath.Join(mod, "models", names[0])
		model, table, n := instrumentLayers(r.Files["model.go"], r.Package)
		if n == 0 {
			return "", "", fmt.Errorf("--layers: no kernel call found in the generated forward pass")
		}
		if err := os.WriteFile(filepath.Join(dir, "model.go"), model, 0o644); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(filepath.Join(dir, "kerasgen_layers.go"), table, 0o644); err != nil {
			return "", "", err
		}
	}
	data = filepath.Join(work, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		return "", "", err
	}
	for k, in := range inputs {
		if err := runtime.WriteNPYFile(filepath.Join(data, fmt.Sprintf("in_%d.npy", k)), in.Shape, in.Data); err != nil {
			return "", "", err
		}
	}
	var main bytes.Buffer
	if err := benchDriver.Execute(&main, struct {
		Name   string
		Inputs int
		Layers bool
	}{names[0], len(inputs), layers}); err != nil {
		return "", "", err
	}
	if err := os.WriteFile(filepath.Join(mod, "main.go"), main.Bytes(), 0o644); err != nil {
		return "", "", err
	}
	return mod, data, nil
}

// GemmResult is the speed of the sgemm kernel on one square size.
type GemmResult struct {
	Size   int     `json:"size"`
	GFLOPS float64 `json:"gflops"`
	MS     float64 `json:"median_ms"`
	// PeakGFLOPS is the core's multiply-add rate, probed between the calls
	// (runtime.FMAPeakGFLOPS; 0 without vector kernels): the peak in this run.
	PeakGFLOPS float64 `json:"peak_gflops"`
	// CPULevel is the kernel level the timed process ran (as BenchResult's).
	CPULevel string `json:"cpu_level"`
	// ZMMForm is the form of its AVX-512 kernels (as BenchResult's).
	ZMMForm string `json:"zmm_form,omitempty"`
}

// BenchGemm times runtime.Gemm alone on square sizes, one core, in a temporary module: per
// size a warm-up call, then calls for 3 s or 500 of them (at least 3), reporting the median,
// as the model benchmark does.
func BenchGemm(work string, sizes []int) ([]GemmResult, error) {
	mod, _, err := WriteModule(work, nil)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(mod, "main.go"), []byte(gemmDriver), 0o644); err != nil {
		return nil, err
	}
	var args []string
	for _, s := range sizes {
		args = append(args, strconv.Itoa(s))
	}
	out, err := runDriver(mod, filepath.Join(work, "gemm"), 1, strings.Join(args, ","))
	if err != nil {
		return nil, err
	}
	var res []GemmResult
	if err := json.Unmarshal(out, &res); err != nil {
		return nil, fmt.Errorf("gemm driver output %q: %v", out, err)
	}
	return res, nil
}

// SaveGemm builds BenchGemm's timing program and writes it to dir/gemm instead of running it
// (for another machine of the same architecture). Run as `KERASGEN_THREADS=T dir/gemm
// 256,512`; it prints BenchGemm's results as one JSON array.
func SaveGemm(dir string) error {
	return saving(dir, saveGemm)
}

func saveGemm(work, dir string) error {
	mod, _, err := WriteModule(work, nil)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(mod, "main.go"), []byte(gemmDriver), 0o644); err != nil {
		return err
	}
	if out, err := goCommand(mod, "build", "-o", filepath.Join(dir, "gemm"), ".").CombinedOutput(); err != nil {
		return fmt.Errorf("building the benchmark: %v\n%s", err, out)
	}
	return nil
}

func runDriver(mod, bin string, threads int, args ...string) ([]byte, error) {
	if out, err := goCommand(mod, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the benchmark: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", threads), fmt.Sprintf("KERASGEN_THREADS=%d", threads))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("running the benchmark: %v\n%s", err, stderr.String())
	}
	return out, nil
}

var benchDriver = template.Must(template.New("bench").Parse(`// Code generated by kerasgen. DO NOT EDIT.

// Command bench times one generated package's Run, one call at a time.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"runtime/trace"
	"sort"
	"time"

	rt "github.com/kerasgen/kerasgen/runtime"
	model "kerasgenrun/models/{{.Name}}"
)

func main() {
	m, err := model.New()
	check(err)
	var inputs [][]float32
	batch := 0
	for i := 0; i < {{.Inputs}}; i++ {
		a, err := rt.ReadNPYFile(filepath.Join(os.Args[1], fmt.Sprintf("in_%d.npy", i)))
		check(err)
		batch = a.Shape[0]
		inputs = append(inputs, a.Data)
	}
	shapes, err := rt.ResolveShapes(batch, model.InputShapes, inputs, model.OutputShapes)
	check(err)
	var outputs [][]float32
	for _, s := range shapes {
		n := 1
		for _, d := range s {
			n *= d
		}
		outputs = append(outputs, make([]float32, n))
	}
	// Warm-up: 20 calls, and with threads 1 s at least. For the first 0.1–1 s of a process
	// on the Zen 5 VMs, its threads often run as if on one core (the batch-1 MLP on two
	// threads at its one-thread time in half the processes timed from a 20-call warm-up, in
	// none from a 1 s one; BENCHMARKS.md "Session 23"), where a server that loaded its model
	// once would not be.
	for i, t0 := 0, time.Now(); i < 20 || (rt.Threads() > 1 && time.Since(t0) < time.Second); i++ {
		check(m.Run(batch, inputs, outputs))
	}
	if f := os.Getenv("KERASGEN_CPUPROFILE"); f != "" {
		w, err := os.Create(f)
		check(err)
		check(pprof.StartCPUProfile(w))
		defer pprof.StopCPUProfile()
	}
	if f := os.Getenv("KERASGEN_TRACE"); f != "" {
		w, err := os.Create(f)
		check(err)
		check(trace.Start(w))
		defer trace.Stop()
	}
	var times []float64
	var peak rt.PeakProbe
{{- if .Layers}}
	names, _, _ := model.KerasgenLayers()
	layers := make([][]float64, len(names))
{{- end}}
	start := time.Now()
	for len(times) < 10 || (time.Since(start) < 3*time.Second && len(times) < 500) {
		peak.Tick()
		t0 := time.Now()
		check(m.Run(batch, inputs, outputs))
		times = append(times, float64(time.Since(t0).Nanoseconds())/1e6)
{{- if .Layers}}
		_, d, _ := model.KerasgenLayers()
		for i := range d {
			layers[i] = append(layers[i], float64(d[i].Nanoseconds())/1e6)
		}
{{- end}}
	}
	sort.Float64s(times)
	res := map[string]any{
		"median_ms": times[len(times)/2], "min_ms": times[0], "max_ms": times[len(times)-1], "n": len(times),
		"peak_gflops": peak.Median(), "cpu_level": rt.CPULevel(), "zmm_form": rt.ZMMForm(),
	}
{{- if .Layers}}
	// In the order the calls ran (the last Run's start times; a call that never ran last).
	_, _, started := model.KerasgenLayers()
	order := make([]int, len(names))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		sa, sb := started[order[a]], started[order[b]]
		return !sa.IsZero() && (sb.IsZero() || sa.Before(sb))
	})
	var ls []map[string]any
	for _, i := range order {
		t := layers[i]
		sort.Float64s(t)
		ls = append(ls, map[string]any{"name": names[i], "median_ms": t[len(t)/2]})
	}
	res["layers"] = ls
{{- end}}
	json.NewEncoder(os.Stdout).Encode(res)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`))

const gemmDriver = `// Code generated by kerasgen. DO NOT EDIT.

// Command gemm times runtime.Gemm on square sizes.
package main

import (
	"encoding/json"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	rt "github.com/kerasgen/kerasgen/runtime"
)

func main() {
	var out []map[string]any
	for _, f := range strings.Split(os.Args[1], ",") {
		n, _ := strconv.Atoi(f)
		a, b, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
		for i := range a {
			a[i], b[i] = float32(i%7)-3, float32(i%5)-2
		}
		rt.Gemm(n, n, n, a, n, b, n, c, n, false)
		var times []float64
		var peak rt.PeakProbe
		start := time.Now()
		for len(times) < 3 || (time.Since(start) < 3*time.Second && len(times) < 500) {
			peak.Tick()
			t0 := time.Now()
			rt.Gemm(n, n, n, a, n, b, n, c, n, false)
			times = append(times, time.Since(t0).Seconds())
		}
		sort.Float64s(times)
		med := times[len(times)/2]
		out = append(out, map[string]any{"size": n, "gflops": 2 * float64(n) * float64(n) * float64(n) / med / 1e9, "median_ms": med * 1e3,
			"peak_gflops": peak.Median(), "cpu_level": rt.CPULevel(), "zmm_form": rt.ZMMForm()})
	}
	json.NewEncoder(os.Stdout).Encode(out)
}
`
