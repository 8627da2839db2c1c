package compile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/kerasgen/kerasgen/internal/sharedtest"
	"github.com/kerasgen/kerasgen/runtime"
)

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
		r, err := Compile(filepath.Join(dir, "model.keras"), Options{Verify: true})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, b := range []string{"b1", "b32"} {
			in, err := runtime.ReadNPYFile(filepath.Join(dir, "input_"+b+".npy"))
			if os.IsNotExist(err) {
				continue // mobilenetv2 ships no batch-32 input
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
		d := Compare(outs[i][0], want, nil, 1e-5, 1e-4)
		if !d.OK() {
			t.Errorf("%s: %s", c.name, d)
		}
		t.Logf("%s: %s", c.name, d)
	}
}
