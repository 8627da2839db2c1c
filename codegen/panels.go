package codegen

import (
	"github.com/kerasgen/kerasgen/ir"
	"github.com/kerasgen/kerasgen/runtime"
)

// Kernels pre-packed at build time: the float32 kernels of the convolutions that run as matrix
// products (every Groups = 1 Conv: the pointwise ones through runtime.DensePanels, the others
// through runtime.Conv2DGemmPanels) and of the Dense layers applied to more than one vector per
// sample (a Dense over a sequence: runtime.DensePanels) are stored in the weights blob in the
// panel layout the GEMM and convolution kernels read (runtime.PackPanelsInto: 32-column panels,
// each a contiguous run), so no call packs or strides through Keras' [K, N] layout. A constant
// used any other way stays plain: a Dense layer on one vector per sample is a matrix-vector
// product at batch 1, whose kernel reads 256 columns of a row at once.

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
		xs := op.In[0].Type.Shape
		if len(xs) < 2 {
			return false
		}
		rows := int64(1) // vectors per sample
		for _, d := range xs[1 : len(xs)-1] {
			if !d.Static() {
				return false // a sequence of run-time length: maybe one step
			}
			rows *= int64(d)
		}
		return len(op.In[1].Type.Shape) == 2 && rows > 1
	}
	return false
}

// panelConsts returns the constants stored in panel layout: those not stored as bf16 whose
// every use is as the kernel of a panelOp.
func panelConsts(g *ir.Graph, bf16 map[*ir.Value]bool) map[*ir.Value]bool {
	ok := map[*ir.Value]bool{}
	bad := map[*ir.Value]bool{}
	for _, op := range g.Ops {
		for i, v := range op.In {
			if !v.IsConst() {
				continue
			}
			if i == 1 && panelOp(op) && !bf16[v] {
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
