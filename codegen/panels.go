package codegen

import (
	"github.com/kerasgen/kerasgen/ir"
	"github.com/kerasgen/kerasgen/runtime"
)

// Kernels pre-packed at build time: the float32 kernels of the convolutions that run as matrix
// products (every Groups = 1 Conv: the pointwise ones through runtime.DensePanels, the others
// through runtime.Conv2DGemmPanels) are stored in the weights blob in the panel layout the
// GEMM and convolution kernels read (runtime.PackPanelsInto: 32-column panels, each a
// contiguous run), so no call packs or strides through Keras' [K, N] layout. A constant used
// any other way stays plain. Dense layers (MatMul) keep Keras' layout: at batch 1 they are
// matrix-vector products, whose kernel reads 256 columns of a row at once.

// panelConv reports whether op is a convolution whose kernel (input 1) can be in panel layout.
func panelConv(op *ir.Op) bool {
	return op.Kind == "Conv" && len(op.In) >= 2 && op.In[1].IsConst() &&
		op.Attrs.Int("groups", 1) == 1 && len(op.In[1].Type.Shape) == 4
}

// panelConsts returns the constants stored in panel layout: those not stored as bf16 whose
// every use is as the kernel of a panelConv.
func panelConsts(g *ir.Graph, bf16 map[*ir.Value]bool) map[*ir.Value]bool {
	ok := map[*ir.Value]bool{}
	bad := map[*ir.Value]bool{}
	for _, op := range g.Ops {
		for i, v := range op.In {
			if !v.IsConst() {
				continue
			}
			if i == 1 && panelConv(op) && !bf16[v] {
				ok[v] = true
			} else {
				bad[v] = true
			}
		}
	}
	for v := range bad {
		delete(ok, v)
	}
	return ok
}

// constData returns what the blob holds for a float32 constant: its data, packed when it is
// stored in panel layout.
func (gen *generator) constData(c *ir.Value) []float32 {
	if !gen.panels[c] {
		return c.Data
	}
	k, n := kernelDims(c)
	packed := make([]float32, runtime.PanelsLen(k, n))
	runtime.PackPanelsInto(packed, k, n, c.Data, n)
	return packed
}
