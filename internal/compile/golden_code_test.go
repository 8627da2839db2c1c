package compile

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgen/kerasgen/internal/sharedtest"
)

var update = flag.Bool("update", false, "rewrite the generated-code golden files under golden/")

// goldenCodeCases are the golden models whose generated package is checked in under
// golden/<case>/ (model.go, and weights.sha256 for the blob), and goldenBenchCases the
// benchmark models likewise (resnet_small: convolution kernels in panel layout, a trunk run
// one sample at a time by the schedule pass).
var (
	goldenCodeCases  = []string{"mlp_relu_softmax", "cnn_bn_dropout", "residual_add_concat", "multi_io", "depthwise_separable"}
	goldenBenchCases = []string{"resnet_small"}
)

// TestGeneratedCodeGolden regenerates the checked-in packages: the output must be
// byte-identical from one run to the next (deterministic), equal to the files in golden/
// (regenerate with `make golden` when a change is intended), and pass go vet.
func TestGeneratedCodeGolden(t *testing.T) {
	var paths []string
	for _, c := range goldenCodeCases {
		paths = append(paths, filepath.Join(sharedtest.Dir(t, "golden"), c, "model.keras"))
	}
	for _, c := range goldenBenchCases {
		paths = append(paths, filepath.Join(sharedtest.Dir(t, "bench", "models"), c, "model.keras"))
	}
	var results []*Result
	for _, path := range paths {
		c := filepath.Base(filepath.Dir(path))
		first, err := Compile(path, Options{Package: PackageName(c)})
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		second, err := Compile(path, Options{Package: PackageName(c)})
		if err != nil {
			t.Fatal(err)
		}
		for name, data := range first.Files {
			if !bytes.Equal(data, second.Files[name]) {
				t.Errorf("%s: %s differs between two runs on the same model", c, name)
			}
		}
		want := map[string][]byte{
			"model.go.golden": first.Files["model.go"],
			"weights.sha256":  []byte(fmt.Sprintf("%x  weights.bin\n", sha256.Sum256(first.Files["weights.bin"]))),
		}
		dir := filepath.Join("..", "..", "golden", c)
		for name, data := range want {
			p := filepath.Join(dir, name)
			if *update {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, data, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			old, err := os.ReadFile(p)
			if err != nil {
				t.Errorf("%s: %v (run make golden)", c, err)
				continue
			}
			if !bytes.Equal(old, data) {
				t.Errorf("%s: generated %s differs from %s; if the change is intended, run make golden and review the diff", c, name, p)
			}
		}
		results = append(results, first)
	}
	mod, _, err := WriteModule(t.TempDir(), results)
	if err != nil {
		t.Fatal(err)
	}
	if err := Vet(mod); err != nil {
		t.Error(err)
	}
}

// TestGeneratedTestsPass builds golden models with their reference vectors embedded, as
// `kerasgen build --test-vectors` does, and runs the generated tests: the outputs match
// Keras, a warm Predict allocates nothing, and concurrent calls agree.
func TestGeneratedTestsPass(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on generated packages; skipped with -short")
	}
	root := sharedtest.Dir(t, "golden")
	var results []*Result
	for _, c := range []string{"cnn_bn_dropout", "multi_io", "residual_add_concat", "depthwise_separable", "padding_same_strided", "conv1d"} {
		dir := filepath.Join(root, c)
		opt := Options{Package: PackageName(c)}
		if c == "cnn_bn_dropout" {
			opt.Threads = 2 // build -threads: New raises the runtime's thread count
		}
		r, err := Compile(filepath.Join(dir, "model.keras"), opt)
		if err != nil {
			t.Fatal(err)
		}
		ins, outs := []string{filepath.Join(dir, "input.npy")}, []string{filepath.Join(dir, "expected.npy")}
		if c == "multi_io" {
			ins = []string{filepath.Join(dir, "input_0.npy"), filepath.Join(dir, "input_1.npy")}
			outs = []string{filepath.Join(dir, "expected_0.npy"), filepath.Join(dir, "expected_1.npy")}
		}
		if err := r.AddTestVectors(ins, outs, 1e-5, 1e-4); err != nil {
			t.Fatal(err)
		}
		results = append(results, r)
	}
	mod, _, err := WriteModule(t.TempDir(), results)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := goCommand(mod, "test", "-count=1", "./models/...").CombinedOutput(); err != nil {
		t.Errorf("generated tests fail: %v\n%s", err, out)
	}
}
