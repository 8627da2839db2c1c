package compile

import (
	"bytes"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kerasgen/kerasgen/internal/sharedtest"
	"github.com/kerasgen/kerasgen/runtime"
)

// TestWinogradChoice checks which of resnet_small's convolutions run with Winograd's
// algorithm: its thirteen 3×3 stride-1 ones (16 to 128 channels, so F(4×4, 3×3)), not the
// 3-channel stem, the stride-2 ones or the 1×1 projections; with Direct, none; in a bf16
// build, those with at least 256 output pixels an image. Both packages' predictions
// match Keras' (the Winograd one is also checked by TestBenchModels and, on the corpus
// U-Nets and autoencoder, TestEndToEnd).
func TestWinogradChoice(t *testing.T) {
	checkWinogradBuilds(t, "resnet_small", "b1", 13, func(src []byte, calls int, what string) {
		require.Equal(t, calls, bytes.Count(src, []byte("rt.Conv2DWinograd(")), what)
		// Every one of them has channel counts in multiples of 16: F(4×4, 3×3).
		require.Equal(t, calls, bytes.Count(src, []byte("rt.NewWinogradKernel(4, ")), what)
		require.Equal(t, 20-calls, bytes.Count(src, []byte("rt.Conv2DGemmPanels(")), what)
	})
	// A bf16 build runs with Winograd, their kernels in float32, those of at least 16×16 output
	// pixels (64×64, 32×32 and 16×16: 4 + 3 + 3; the three of 8×8 on the bf16 kernels).
	// TestBenchModels checks its predictions at the bf16 tolerance.
	r, err := Compile(filepath.Join(sharedtest.Dir(t, "bench", "models"), "resnet_small", "model.keras"), Options{Precision: "bf16"})
	require.NoError(t, err)
	src := r.Files["model.go"]
	require.Equal(t, 10, bytes.Count(src, []byte("rt.Conv2DWinograd(")), "bf16")
	require.Equal(t, 10, bytes.Count(src, []byte("rt.NewWinogradKernel(4, ")), "bf16")
}

// TestWinogradPooledChoice checks that a convolution with a max pooling folded into it runs
// with Winograd's algorithm where its unpooled twin would: the benchmark CNN's conv_2 (32 → 64
// channels, 3×3, then a 2×2 pooling) through Conv2DWinogradMaxPool, its 1-channel conv_1
// still on the direct kernels that pool in registers; with Direct, both direct. Both
// packages' predictions at batch 32 match Keras'.
func TestWinogradPooledChoice(t *testing.T) {
	checkWinogradBuilds(t, "cnn", "b32", 1, func(src []byte, calls int, what string) {
		require.Equal(t, calls, bytes.Count(src, []byte("rt.Conv2DWinogradMaxPool(")), what)
		require.Equal(t, 2-calls, bytes.Count(src, []byte("rt.Conv2DGemmPanelsMaxPool(")), what)
	})
}

// checkWinogradBuilds builds the benchmark model twice, with Winograd's algorithm and with
// Direct, has check look at each package's model.go given the Winograd calls it should hold
// (winograd, and none with Direct), and checks both packages' predictions on the model's input
// for batch (b1, b32) against Keras'.
func checkWinogradBuilds(t *testing.T, model, batch string, winograd int, check func(src []byte, calls int, what string)) {
	if testing.Short() {
		t.Skip("builds a benchmark model; skipped with -short")
	}
	dir := filepath.Join(sharedtest.Dir(t, "bench", "models"), model)
	in, err := runtime.ReadNPYFile(filepath.Join(dir, "input_"+batch+".npy"))
	require.NoError(t, err)
	want, err := runtime.ReadNPYFile(filepath.Join(dir, "expected_"+batch+".npy"))
	require.NoError(t, err)
	var jobs []Job
	for _, direct := range []bool{false, true} {
		r, err := Compile(filepath.Join(dir, "model.keras"), Options{Direct: direct})
		require.NoError(t, err)
		calls := winograd
		if direct {
			calls = 0
		}
		check(r.Files["model.go"], calls, fmt.Sprintf("%s, direct %v", model, direct))
		jobs = append(jobs, Job{Result: r, Inputs: []*runtime.Array{in}})
	}
	outs, err := RunAll(t.TempDir(), jobs)
	require.NoError(t, err)
	for i, out := range outs {
		d := Compare(out[0], want, nil, 1e-5, 1e-4)
		require.True(t, d.OK(), "package %d: %s", i, d)
	}
}
