package codegen

import (
	"github.com/kerasgen/kerasgen/ir"
	"github.com/kerasgen/kerasgen/runtime"
)

// Winograd convolutions: a 3×3, stride 1, undilated Groups = 1 convolution whose
// channel counts runtime.WinogradTile gives a tile size runs through runtime.Conv2DWinograd
// (F(4×4, 3×3) or F(2×2, 3×3): 2.25 or 4 multiply-adds per output value and input channel
// instead of 9), or, with a max pooling folded into it (passes.FuseConvPools),
// runtime.Conv2DWinogradMaxPool, unless Options.Direct is set; in a bf16 build too, with its
// kernel in float32 (winogradConsts). Pooled, it ran 1.85–2× as fast
// as the direct kernels that pool in registers (age-gender, potato-h5: BENCHMARKS.md
// "Session 20"). Its kernel is stored
// transformed (runtime.WinogradKernelInto, the 36 or 16 C×OC matrices in panel layout)
// instead of in panel layout, so the constant must have no other use.

// winogradOp reports whether op is a convolution Conv2DWinograd runs.
func winogradOp(op *ir.Op) bool {
	if op.Kind != "Conv" || len(op.In) < 2 || op.Attrs.Int("groups", 1) != 1 {
		return false
	}
	w, xs, ys := op.In[1].Type.Shape, op.In[0].Type.Shape, op.Out[0].Type.Shape // ys pooled, if it is
	st, dl := op.Attrs.Ints("strides"), op.Attrs.Ints("dilations")
	return len(w) == 4 && w[0] == 3 && w[1] == 3 && runtime.WinogradTile(int(w[2]), int(w[3])) > 0 &&
		len(st) == 2 && st[0] == 1 && st[1] == 1 && len(dl) == 2 && dl[0] == 1 && dl[1] == 1 &&
		len(xs) == 4 && len(ys) == 4 && ys[1] > 0 && ys[2] > 0
}

// winogradConsts returns the constants stored as transformed kernels: those whose every use
// is as the kernel of a winogradOp. A bf16 build keeps such kernels in float32 where the
// convolution's output has at least winogradBF16Pixels pixels an image: there Winograd's
// F(4×4, 3×3) in float32 ran 1.2–1.4× as fast as the bf16 direct kernels (one image, 16×16 to
// 60×60, 64 → 64 channels: 541–612 against 439–453 GFLOP/s; 28×28, 128 → 128: 569 against 463),
// with float32's accuracy; at 8×8 (128 → 128) the two tied, and on the bench CNN's 11×11
// conv_2 the bf16 kernels were faster (batch 1: 14.5 against 17.4 µs for the model). Planes in
// bf16 were measured and not kept: F(4×4) ran up to 1.9× as fast at 128 channels but came
// up to 5% of Σ|x·w| off (the bf16 direct kernels up to 0.4%), F(2×2) was faster than float32
// F(4×4) only from 128 channels on. BENCHMARKS.md "Session 20".
func winogradConsts(g *ir.Graph, bf16 bool) map[*ir.Value]bool {
	return kernelConsts(g, func(op *ir.Op) bool {
		if !winogradOp(op) {
			return false
		}
		if !bf16 {
			return true
		}
		ys, err := ir.ConvOutput(op) // the convolution's own output, pooled or not
		return err == nil && ys[1]*ys[2] >= winogradBF16Pixels
	})
}

// winogradBF16Pixels is the fewest output pixels an image a convolution of a bf16 build needs
// to run with Winograd's algorithm (see winogradConsts).
const winogradBF16Pixels = 256

// winogradTile is the output tile side a Winograd kernel constant [3, 3, C, OC] is transformed
// for (runtime.WinogradTile).
func winogradTile(c *ir.Value) int {
	s := c.Type.Shape
	return runtime.WinogradTile(int(s[2]), int(s[3]))
}

// winogradData returns the transform of a 3×3 kernel constant [3, 3, C, OC].
func winogradData(c *ir.Value) []float32 {
	s := c.Type.Shape
	ci, oc, m := int(s[2]), int(s[3]), winogradTile(c)
	u := runtime.WinogradKernelInto(make([]float32, runtime.WinogradKernelLen(m, ci, oc)), c.Data, m, ci, oc)
	return u.Data
}
