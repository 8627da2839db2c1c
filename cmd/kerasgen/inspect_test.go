package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/internal/sharedtest"
)

// inspectJSON is the part of `inspect --json` output the tests read.
type inspectJSON struct {
	Params struct {
		Total        int64 `json:"total"`
		Trainable    int64 `json:"trainable"`
		NonTrainable int64 `json:"non_trainable"`
	} `json:"params"`
	Layers []struct {
		Name        string `json:"name"`
		Class       string `json:"class"`
		OutputShape any    `json:"output_shape"`
		Params      int64  `json:"params"`
	} `json:"layers"`
	Inputs  []struct{ Name string } `json:"inputs"`
	Outputs []struct{ Name string } `json:"outputs"`
}

func runCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestInspectExample inspects the bundled example model (made by TF.js) as `make demo` does.
func TestInspectExample(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "models", "mlp", "model.json")
	code, out, errs := runCLI("inspect", path, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var s inspectJSON
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	// Dense(8->16), Dense(16->8), Dense(8->3): weights plus biases.
	if want := int64(8*16 + 16 + 16*8 + 8 + 8*3 + 3); s.Params.Total != want || s.Params.Trainable != want || s.Params.NonTrainable != 0 {
		t.Errorf("params %+v, want total %d", s.Params, want)
	}
	var names []string
	for _, l := range s.Layers {
		names = append(names, l.Name+":"+l.Class)
	}
	if got := strings.Join(names, " "); got != "hidden_1_input:InputLayer hidden_1:Dense hidden_2:Dense probs:Dense" {
		t.Errorf("layers %s", got)
	}
	code, out, _ = runCLI("inspect", path)
	if code != 0 || !strings.Contains(out, "Total params: 307") || !strings.Contains(out, "probs (Dense)") {
		t.Errorf("text summary (exit %d):\n%s", code, out)
	}
}

// TestInspectGoldenParams checks `inspect --json` totals on golden cases of every file kind.
func TestInspectGoldenParams(t *testing.T) {
	dir := sharedtest.Dir(t, "golden", "cnn_bn_dropout")
	// conv2d 3*3*2*6+6, BN 4*6 (moving stats non-trainable), conv2d_1 3*3*6*8+8, dense 72*5+5.
	wantTotal, wantNon := int64(114+24+440+365), int64(12)
	for _, args := range [][]string{
		{filepath.Join(dir, "model.keras")},
		{filepath.Join(dir, "model.h5")},
		{filepath.Join(dir, "model.json"), "--weights", filepath.Join(dir, "model.weights.h5")},
		{filepath.Join(dir, "tfjs", "model.json")},
	} {
		code, out, errs := runCLI(append([]string{"inspect", "--json"}, args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		var s inspectJSON
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatal(err)
		}
		if s.Params.Total != wantTotal || s.Params.NonTrainable != wantNon || s.Params.Trainable != wantTotal-wantNon {
			t.Errorf("%v: params %+v, want total %d non-trainable %d", args, s.Params, wantTotal, wantNon)
		}
	}
}

// TestInspectErrors: unreadable input exits 2 with a message, never a panic.
func TestInspectErrors(t *testing.T) {
	for _, args := range [][]string{
		{"inspect"},
		{"inspect", "/nonexistent/model.keras"},
		{"inspect", filepath.Join("..", "..", "README.md")},
		{"nosuchcommand"},
	} {
		code, _, errs := runCLI(args...)
		if code != 2 || errs == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errs)
		}
	}
}
