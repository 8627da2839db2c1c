package frontend

import (
	"errors"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/ir"
)

// keras3Activations are the names keras.activations.get accepts in Keras 3.15.
var keras3Activations = []string{
	"celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
	"hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu",
	"sigmoid", "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid",
	"sparsemax", "squareplus", "swish", "tanh", "tanh_shrink", "threshold",
}

// unsupportedActivations are refused with a clear error, and why.
var unsupportedActivations = map[string]string{
	"sparsemax": "a sort-based projection with no kernel yet",
	"threshold": "needs threshold and default_value arguments a config string cannot give",
}

// TestLowerEveryActivation lowers Dense(…, activation=name) for every Keras 3 activation
// name: each lowers to ops that pass the IR verifier, or is refused naming the activation.
func TestLowerEveryActivation(t *testing.T) {
	for _, act := range keras3Activations {
		cfg := `{"class_name": "Sequential", "config": {"name": "s", "layers": [
			{"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [null, 4]}},
			{"class_name": "Dense", "config": {"name": "d", "units": 6, "use_bias": false, "activation": "` + act + `"}}]}}`
		m := mustParse(t, cfg, 3)
		m.Layer("d").Weights = []*Weight{{Name: "kernel", Shape: []int{4, 6}, Values: make([]float32, 24)}}
		lw, err := Lower(m, LowerOptions{})
		if reason, bad := unsupportedActivations[act]; bad {
			if err == nil || !errors.Is(err, errUnsupportedConfig) || !strings.Contains(err.Error(), act) {
				t.Errorf("%s (%s): want an unsupported-activation error, got %v", act, reason, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", act, err)
			continue
		}
		if err := ir.Verify(lw.Graph); err != nil {
			t.Errorf("%s: %v", act, err)
		}
	}
}

// TestLowerResizingSameSize: a Resizing to the size its input already has statically lowers
// to no resize at all (tf.image.resize returns the images then); to another size, or from an
// unknown one, to a Resize op.
func TestLowerResizingSameSize(t *testing.T) {
	for _, c := range []struct {
		in         string
		h, w       string
		wantResize bool
	}{
		{"[null, 8, 6, 3]", "8", "6", false},
		{"[null, 8, 6, 3]", "8", "7", true},
		{"[null, null, null, 3]", "8", "6", true},
	} {
		cfg := `{"class_name": "Sequential", "config": {"name": "s", "layers": [
			{"class_name": "InputLayer", "config": {"name": "x", "batch_shape": ` + c.in + `}},
			{"class_name": "Resizing", "config": {"name": "r", "height": ` + c.h + `, "width": ` + c.w + `}}]}}`
		lw, err := Lower(mustParse(t, cfg, 3), LowerOptions{})
		if err != nil {
			t.Fatalf("%s to %sx%s: %v", c.in, c.h, c.w, err)
		}
		resize := false
		for _, op := range lw.Graph.Ops {
			resize = resize || op.Kind == "Resize"
		}
		if resize != c.wantResize {
			t.Errorf("%s to %sx%s: a Resize op %v, want %v", c.in, c.h, c.w, resize, c.wantResize)
		}
	}
}
