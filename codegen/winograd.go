package codegen

import (
	"github.com/kerasgen/kerasgen/ir"
	"github.com/kerasgen/kerasgen/runtime"
)

// Winograd convolutions: a float32 3×3, stride 1, undilated Groups = 1 convolution whose
// channel counts runtime.WinogradTile gives a tile size runs through runtime.Conv2DWinograd
// (F(4×4, 3×3) or F(2×2, 3×3): 2.25 or 4 multiply-adds per output value and input channel
// instead of 9), or, with a max pooling folded into it (passes.FuseConvPools),
// runtime.Conv2DWinogradMaxPool, unless Options.Direct is set. Pooled, it ran 1.85–2× as fast
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

// winogradConsts returns the constants stored as transformed kernels: those not stored as
// bf16 whose every use is as the kernel of a winogradOp.
func winogradConsts(g *ir.Graph, bf16 map[*ir.Value]bool) map[*ir.Value]bool {
	ok := kernelConsts(g, winogradOp)
	for v := range bf16 {
		delete(ok, v)
	}
	return ok
}

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
