package compile

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kerasgen/kerasgen/internal/sharedtest"
	"github.com/kerasgen/kerasgen/runtime"
)

var benchPrecision = flag.String("precision", "fp32", "precision TestBenchModels compiles with (fp32 or bf16)")

// TestBenchModels compiles every benchmark model of ../shared/bench and checks its
// predictions at batch 1 and 32 against Keras' (expected_b1.npy, expected_b32.npy), where
// the inputs exist. The transformer builds its position ids with keras.ops nodes.
func TestBenchModels(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the benchmark models; skipped with -short")
	}
	root := sharedtest.Dir(t, "bench", "models")
	type check struct {
		name, expected string
	}
	var jobs []Job
	var checks []check
	for _, name := range []string{"mlp", "cnn", "lstm", "mobilenetv2", "resnet_small", "transformer"} {
		dir := filepath.Join(root, name)
		r, err := Compile(filepath.Join(dir, "model.keras"), Options{Verify: true, Precision: *benchPrecision})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, b := range []string{"b1", "b32"} {
			in, err := runtime.ReadNPYFile(filepath.Join(dir, "input_"+b+".npy"))
			if os.IsNotExist(err) && name == "mobilenetv2" && b == "b32" {
				// Not shipped (19 MB): regenerated from its documented hash.
				in, err = hashedUniform(32, 224, 224, 3), nil
			}
			if err != nil {
				t.Fatal(err)
			}
			jobs = append(jobs, Job{Result: r, Inputs: []*runtime.Array{in}})
			checks = append(checks, check{name + "/" + b, filepath.Join(dir, "expected_"+b+".npy")})
		}
	}
	outs, err := RunAll(t.TempDir(), jobs)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range checks {
		want, err := runtime.ReadNPYFile(c.expected)
		if err != nil {
			t.Fatal(err)
		}
		atol, rtol := 1e-5, 1e-4
		if *benchPrecision == "bf16" {
			atol, rtol = bf16Tolerance(want)
		}
		d := Compare(outs[i][0], want, nil, atol, rtol)
		if !d.OK() {
			t.Errorf("%s: %s", c.name, d)
		}
		t.Logf("%s: %s (atol %.3g, rtol %.3g)", c.name, d, atol, rtol)
	}
}

// hashedUniform is ../shared/bench/models/gen_input.py's input: element i of the flat array
// is float32((lowbias32(uint32(i) + 0x6D2B79F5) >> 8) / 2²³ - 1), exactly.
func hashedUniform(shape ...int) *runtime.Array {
	n := 1
	for _, d := range shape {
		n *= d
	}
	a := &runtime.Array{Shape: shape, DType: "f4", Data: make([]float32, n)}
	for i := range a.Data {
		h := uint32(i) + 0x6D2B79F5
		h ^= h >> 16
		h *= 0x7FEB352D
		h ^= h >> 15
		h *= 0x846CA68B
		h ^= h >> 16
		a.Data[i] = float32(float64(h>>8)/(1<<23) - 1)
	}
	return a
}

// bf16Tolerance is the stated tolerance of a bf16 package's outputs against Keras' float32
// ones: atol = 0.1·max|expected|, rtol = 0.05. Each bf16 weight and layer input carries a
// relative rounding error of up to 2⁻⁹; measured worst errors as a fraction of the output's
// scale: mlp 0.8–1.8%, cnn 0.3–0.5%, lstm 0.9–1.7%, resnet_small 0.5–1.0%, transformer
// 0.1–0.3%, MobileNetV2 (52 layers, 1000 near-uniform probabilities) 7%.
func bf16Tolerance(want *runtime.Array) (atol, rtol float64) {
	scale := 0.0
	for _, v := range want.Data {
		scale = max(scale, math.Abs(float64(v)))
	}
	return 0.1 * scale, 0.05
}

// TestMicroBatches checks the schedule pass's micro-batched packages against Keras on batches
// the micro-batch does not divide: the MNIST CNN (18 samples a step through its convolutions,
// each pooling folded into its convolution, then the Dense head on the whole batch) at batch
// 20, and at batch 5 with every layer's output as an extra output (values cross the trunk
// everywhere and no pooling folds, so the whole graph runs 4 samples at a time); resnet_small
// (1 sample a step) at batch 3.
func TestMicroBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("builds benchmark models; skipped with -short")
	}
	root := sharedtest.Dir(t, "bench", "models")
	cases := []struct {
		name         string
		batch        int
		layerOutputs bool
		trunk        string // what the generated code must hold
	}{
		{"cnn", 20, false, "microBatch = 18"},
		{"cnn", 5, true, "microBatch = 4"},
		{"resnet_small", 3, false, "microBatch = 1"},
	}
	var jobs []Job
	var wants []*runtime.Array
	for _, c := range cases {
		dir := filepath.Join(root, c.name)
		r, err := Compile(filepath.Join(dir, "model.keras"), Options{Verify: true, LayerOutputs: c.layerOutputs})
		if err != nil {
			t.Fatal(err)
		}
		src := string(r.Files["model.go"])
		require.Contains(t, src, c.trunk, c.name)
		require.Equal(t, !c.layerOutputs, strings.Contains(src, "func (m *Model) forwardTrunk("), "%s: a head of its own", c.name)
		in, err := runtime.ReadNPYFile(filepath.Join(dir, "input_b32.npy"))
		require.NoError(t, err)
		want, err := runtime.ReadNPYFile(filepath.Join(dir, "expected_b32.npy"))
		require.NoError(t, err)
		jobs = append(jobs, Job{Result: r, Inputs: []*runtime.Array{firstRows(in, c.batch)}})
		wants = append(wants, firstRows(want, c.batch))
	}
	outs, err := RunAll(t.TempDir(), jobs)
	require.NoError(t, err)
	for i, c := range cases {
		d := Compare(outs[i][0], wants[i], nil, 1e-5, 1e-4) // the model's output comes first
		require.True(t, d.OK(), "%s batch %d (layer outputs %v): %s", c.name, c.batch, c.layerOutputs, d)
		t.Logf("%s batch %d (layer outputs %v): %s", c.name, c.batch, c.layerOutputs, d)
	}
}

// firstRows returns the first n rows of a (a view).
func firstRows(a *runtime.Array, n int) *runtime.Array {
	shape := append([]int{n}, a.Shape[1:]...)
	return &runtime.Array{Shape: shape, DType: a.DType, Data: a.Data[:len(a.Data)/a.Shape[0]*n]}
}
