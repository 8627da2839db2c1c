package codegen

import (
	"github.com/kerasgen/kerasgen/ir"
	"github.com/kerasgen/kerasgen/passes"
	"github.com/kerasgen/kerasgen/runtime"
)

// Kernels pre-packed at build time: the float32 kernels of the matrix products — Dense layers
// (MatMul, through runtime.DensePanels) and every Groups = 1 Conv (the pointwise ones through
// runtime.DensePanels, the others through runtime.Conv2DGemmPanels) — are stored in the weights
// blob in the panel layout the GEMM, GEMV and convolution kernels read (runtime.PackPanelsInto:
// 32-column panels, each a contiguous run), so no call packs B or strides through Keras' [K, N]
// layout. A constant used any other way (a bias, a recurrent kernel, a depthwise kernel) stays
// plain.

// panelOp reports whether op is a convolution or a matrix product whose kernel (input 1) can be
// in panel layout.
func panelOp(op *ir.Op) bool {
	if len(op.In) < 2 || !op.In[1].IsConst() {
		return false
	}
	switch op.Kind {
	case "Conv":
		return op.Attrs.Int("groups", 1) == 1 && len(op.In[1].Type.Shape) == 4
	case "MatMul":
		return len(op.In[1].Type.Shape) == 2
	}
	return false
}

// panelConsts returns the constants stored in panel layout: those not stored as bf16 whose
// every use is as the kernel of a panelOp.
func panelConsts(g *ir.Graph, bf16 map[*ir.Value]bool) map[*ir.Value]bool {
	ok := kernelConsts(g, panelOp)
	for v := range bf16 {
		delete(ok, v)
	}
	return ok
}

// constData returns what the blob holds for a float32 constant: its data, packed when it is
// stored in panel layout, transformed when it is a Winograd kernel or an upsampled
// convolution's kernel.
func (gen *generator) constData(c *ir.Value) []float32 {
	if gen.winograd[c] {
		return winogradData(c)
	}
	if gen.upsampled[c] {
		return upsampledData(c)
	}
	if !gen.panels[c] {
		return c.Data
	}
	k, n := kernelDims(c)
	packed := make([]float32, runtime.PanelsLen(k, n))
	runtime.PackPanelsInto(packed, k, n, c.Data, n)
	return packed
}

// unmarkBlocks removes the marks of every inverted-residual block (passes.FuseBlocks) whose
// pointwise kernels are not in panel layout (bf16 ones), which then runs as its separate
// layers, and reports whether it removed any: runtime.InvertedResidual takes panels.
func unmarkBlocks(g *ir.Graph, panels map[*ir.Value]bool) bool {
	changed := false
	for _, b := range passes.Blocks(g) {
		if (b.Expand != nil && !panels[b.Expand.In[1]]) || !panels[b.Project.In[1]] {
			delete(b.Depthwise.Attrs, "band")
			delete(b.Depthwise.Attrs, "noexpand")
			changed = true
		}
	}
	return changed
}
