package compile

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kerasgen/kerasgen/internal/sharedtest"
	"github.com/kerasgen/kerasgen/runtime"
)

// TestWinogradChoice checks which of resnet_small's convolutions run with Winograd's
// algorithm: its thirteen 3×3 stride-1 ones (16 to 128 channels, so F(4×4, 3×3)), not the
// 3-channel stem, the stride-2 ones or the 1×1 projections; with Direct, none. Both packages' predictions
// match Keras' (the Winograd one is also checked by TestBenchModels and, on the corpus
// U-Nets and autoencoder, TestEndToEnd).
func TestWinogradChoice(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a benchmark model; skipped with -short")
	}
	dir := filepath.Join(sharedtest.Dir(t, "bench", "models"), "resnet_small")
	in, err := runtime.ReadNPYFile(filepath.Join(dir, "input_b1.npy"))
	require.NoError(t, err)
	want, err := runtime.ReadNPYFile(filepath.Join(dir, "expected_b1.npy"))
	require.NoError(t, err)
	var jobs []Job
	for _, c := range []struct {
		direct bool
		calls  int
	}{{false, 13}, {true, 0}} {
		r, err := Compile(filepath.Join(dir, "model.keras"), Options{Direct: c.direct})
		require.NoError(t, err)
		src := r.Files["model.go"]
		require.Equal(t, c.calls, bytes.Count(src, []byte("rt.Conv2DWinograd(")), "direct %v", c.direct)
		// Every one of them has channel counts in multiples of 16: F(4×4, 3×3).
		require.Equal(t, c.calls, bytes.Count(src, []byte("rt.NewWinogradKernel(4, ")), "direct %v", c.direct)
		require.Equal(t, 20-c.calls, bytes.Count(src, []byte("rt.Conv2DGemmPanels(")), "direct %v", c.direct)
		jobs = append(jobs, Job{Result: r, Inputs: []*runtime.Array{in}})
	}
	outs, err := RunAll(t.TempDir(), jobs)
	require.NoError(t, err)
	for i, out := range outs {
		d := Compare(out[0], want, nil, 1e-5, 1e-4)
		require.True(t, d.OK(), "package %d: %s", i, d)
	}
}

// TestWinogradPooledChoice checks that a convolution with a max pooling folded into it runs
// with Winograd's algorithm where its unpooled twin would: the benchmark CNN's conv_2 (32 → 64
// channels, 3×3, then a 2×2 pooling) through Conv2DWinogradMaxPool, its 1-channel conv_1
// still on the direct kernels that pool in registers; with Direct, both direct. Both
// packages' predictions at batch 32 match Keras'.
func TestWinogradPooledChoice(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a benchmark model; skipped with -short")
	}
	dir := filepath.Join(sharedtest.Dir(t, "bench", "models"), "cnn")
	in, err := runtime.ReadNPYFile(filepath.Join(dir, "input_b32.npy"))
	require.NoError(t, err)
	want, err := runtime.ReadNPYFile(filepath.Join(dir, "expected_b32.npy"))
	require.NoError(t, err)
	var jobs []Job
	for _, c := range []struct {
		direct bool
		calls  int
	}{{false, 1}, {true, 0}} {
		r, err := Compile(filepath.Join(dir, "model.keras"), Options{Direct: c.direct})
		require.NoError(t, err)
		src := r.Files["model.go"]
		require.Equal(t, c.calls, bytes.Count(src, []byte("rt.Conv2DWinogradMaxPool(")), "direct %v", c.direct)
		require.Equal(t, 2-c.calls, bytes.Count(src, []byte("rt.Conv2DGemmPanelsMaxPool(")), "direct %v", c.direct)
		jobs = append(jobs, Job{Result: r, Inputs: []*runtime.Array{in}})
	}
	outs, err := RunAll(t.TempDir(), jobs)
	require.NoError(t, err)
	for i, out := range outs {
		d := Compare(out[0], want, nil, 1e-5, 1e-4)
		require.True(t, d.OK(), "package %d: %s", i, d)
	}
}
