package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/kerasgen/kerasgen/internal/compile"
	"github.com/kerasgen/kerasgen/runtime"
)

// cmdBench times a compiled model's Predict (or, with --gemm, the sgemm kernel alone).
func cmdBench(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("bench", stderr)
	lf := addLoadFlags(fs)
	batch := fs.Int("batch", 1, "batch size")
	threads := fs.Int("threads", 1, "threads the kernels may use (KERASGEN_THREADS and GOMAXPROCS of the timed process)")
	precision := fs.String("precision", "fp32", "fp32, or bf16 (Dense and convolution kernels in bf16)")
	winograd := fs.Bool("winograd", true, "run 3×3 stride-1 convolutions of 12 or more channels with Winograd's F(4×4, 3×3) or F(2×2, 3×3) (false: all convolutions direct)")
	input := fs.String("input", "", "input .npy files, comma-separated (default: seeded uniform [0,1) values)")
	asJSON := fs.Bool("json", false, "print one JSON line")
	gemm := fs.String("gemm", "", "comma-separated square sizes: time runtime.Gemm alone")
	profile := fs.String("cpuprofile", "", "write a CPU profile of the timed calls to this file")
	save := fs.String("save", "", "build the timing program and save it (with its inputs) in this directory instead of running it, to time on another machine of the same architecture; see BENCHMARKS.md")
	layers := fs.Bool("layers", false, "also time each kernel call of the forward pass (its median per call, in a package instrumented for it)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if *threads < 1 || *threads > 256 {
		fmt.Fprintf(stderr, "kerasgen: bench: --threads %d: want 1 to 256\n", *threads)
		return 2
	}
	if *precision != "fp32" && *precision != "bf16" {
		fmt.Fprintf(stderr, "kerasgen: bench: --precision %s: want fp32 or bf16\n", *precision)
		return 2
	}
	work, err := os.MkdirTemp("", "kerasgen-bench-")
	if err != nil {
		fmt.Fprintf(stderr, "kerasgen: %v\n", err)
		return 2
	}
	defer os.RemoveAll(work)
	if *gemm != "" {
		var sizes []int
		for _, f := range strings.Split(*gemm, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || n > 8192 {
				fmt.Fprintf(stderr, "kerasgen: --gemm: bad size %q\n", f)
				return 2
			}
			sizes = append(sizes, n)
		}
		if *save != "" {
			if err := compile.SaveGemm(*save); err != nil {
				fmt.Fprintf(stderr, "kerasgen: %v\n", err)
				return 2
			}
			fmt.Fprintf(stdout, "saved %s: run as KERASGEN_THREADS=1 %s %s\n", filepath.Join(*save, "gemm"), filepath.Join(*save, "gemm"), *gemm)
			return 0
		}
		res, err := compile.BenchGemm(work, sizes)
		if err != nil {
			fmt.Fprintf(stderr, "kerasgen: %v\n", err)
			return 2
		}
		for _, r := range res {
			if *asJSON {
				line, _ := json.Marshal(r)
				fmt.Fprintln(stdout, string(line))
			} else {
				fmt.Fprintf(stdout, "sgemm %d×%d×%d: %.2f GFLOP/s (%.3f ms)%s\n", r.Size, r.Size, r.Size, r.GFLOPS, r.MS, ofPeak(r.GFLOPS, r.PeakGFLOPS))
			}
		}
		return 0
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "usage: kerasgen bench MODEL [--batch N] [--threads T] [--precision fp32|bf16] [--input x.npy] [--layers] [--json]\n       kerasgen bench --gemm 256,512,1024,2048 [--json]")
		return 2
	}
	res, err := compile.Compile(pos[0], compile.Options{Load: lf.options(), Precision: *precision, Direct: !*winograd})
	if err != nil {
		return fail(stderr, pos[0], err)
	}
	var ins []*runtime.Array
	if *input != "" {
		for _, f := range strings.Split(*input, ",") {
			a, err := runtime.ReadNPYFile(f)
			if err != nil {
				fmt.Fprintf(stderr, "kerasgen: %v\n", err)
				return 2
			}
			ins = append(ins, a)
		}
	} else if ins, err = randomInputs(res, *batch); err != nil {
		fmt.Fprintf(stderr, "kerasgen: %v\n", err)
		return 2
	}
	if *profile != "" {
		abs, err := filepath.Abs(*profile)
		if err != nil {
			fmt.Fprintf(stderr, "kerasgen: %v\n", err)
			return 2
		}
		os.Setenv("KERASGEN_CPUPROFILE", abs)
	}
	if *save != "" {
		if err := compile.SaveBench(*save, modelName(pos[0]), res, ins, *layers); err != nil {
			fmt.Fprintf(stderr, "kerasgen: %v\n", err)
			return 2
		}
		bin := filepath.Join(*save, "bench")
		fmt.Fprintf(stdout, "saved %s: run as GOMAXPROCS=%d KERASGEN_THREADS=%d %s %s\n", bin, *threads, *threads, bin, filepath.Join(*save, "data"))
		return 0
	}
	b, err := compile.Bench(work, res, ins, *threads, *layers)
	if err != nil {
		fmt.Fprintf(stderr, "kerasgen: %v\n", err)
		return 2
	}
	b.Model = modelName(pos[0])
	if *asJSON {
		line, _ := json.Marshal(b)
		fmt.Fprintln(stdout, string(line))
		return 0
	}
	fmt.Fprintf(stdout, "%s, batch %d: median %.3f ms (min %.3f, max %.3f, %d calls), %.1f samples/s, %.2f GFLOP/s%s\n",
		pos[0], b.Batch, b.MedianMS, b.MinMS, b.MaxMS, b.N, b.SamplesPerSec, b.GFLOPS, ofPeak(b.GFLOPS/float64(b.Threads), b.PeakGFLOPS))
	for _, l := range b.Layers {
		fmt.Fprintf(stdout, "%10.1f µs %5.1f%%  %s\n", l.MedianMS*1e3, 100*l.MedianMS/b.MedianMS, l.Name)
	}
	return 0
}

// ofPeak describes a rate per core against the core's multiply-add peak probed in the same
// run ("" when there was no probe).
func ofPeak(gflops, peak float64) string {
	if peak <= 0 {
		return ""
	}
	return fmt.Sprintf(", %.0f%% of the core's peak beside it (%.1f GFLOP/s)", 100*gflops/peak, peak)
}

// randomInputs makes seeded uniform [0, 1) inputs for every model input (ids read as 0).
func randomInputs(res *compile.Result, batch int) ([]*runtime.Array, error) {
	rng := rand.New(rand.NewSource(1))
	var out []*runtime.Array
	for _, r := range res.Model.Inputs {
		shape, _, err := res.Model.Layer(r.Layer).Config.Shape("batch_shape")
		if err != nil {
			return nil, err
		}
		shape[0] = batch
		n := 1
		for _, d := range shape {
			if d < 0 {
				return nil, fmt.Errorf("input %s has an open length %v: give inputs with --input", r.Layer, shape)
			}
			n *= d
		}
		a := &runtime.Array{Shape: shape, DType: "f4", Data: make([]float32, n)}
		for i := range a.Data {
			a.Data[i] = rng.Float32()
		}
		out = append(out, a)
	}
	return out, nil
}

// modelName names a model file for benchmark tables: its directory for a generic file name
// (models/mlp/model.keras is "mlp"), else its file name without the extension.
func modelName(path string) string {
	base := filepath.Base(path)
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	if stem == "model" {
		return filepath.Base(filepath.Dir(path))
	}
	return stem
}
