package codegen

import (
	"github.com/dave/jennifer/jen"

	"github.com/kerasgen/kerasgen/ir"
	"github.com/kerasgen/kerasgen/passes"
	"github.com/kerasgen/kerasgen/runtime"
)

// Precision bf16 (Options.Precision "bf16"): the kernels of Dense layers (MatMul) and of the
// convolutions that run as matrix products (k×k with an even input channel count, and 1×1
// convolutions) are stored in the weights blob as packed bf16 (runtime.PackBF16Into's
// layout), after the float32 weights, and run through runtime.DenseBF16 / Conv2DGemmBF16.
// Every other weight stays float32.

// bf16Kernel reports how op would run with a bf16 kernel (its input 1): "dense" for a MatMul
// or a 1×1 convolution that is a plain matrix product over pixels, "conv" for an im2col
// convolution, "" for neither.
func bf16Kernel(op *ir.Op) string {
	if len(op.In) < 2 || !op.In[1].IsConst() {
		return ""
	}
	w := op.In[1].Type.Shape
	switch op.Kind {
	case "MatMul":
		if len(w) == 2 {
			return "dense"
		}
	case "Conv":
		if op.Attrs.Int("groups", 1) != 1 || len(w) != 4 {
			return ""
		}
		if passes.Pointwise(op) {
			return "dense"
		}
		if w[0] == 1 && w[1] == 1 {
			return ""
		}
		if !runtime.BF16ConvChannelsOK(int(w[2])) {
			return "" // the float32 implicit convolution serves it (an RGB stem, a 1-channel image)
		}
		return "conv"
	}
	return ""
}

// bf16Consts returns the constants stored as bf16: those whose every use is as the kernel of
// an op that bf16Kernel accepts.
func bf16Consts(g *ir.Graph) map[*ir.Value]bool {
	return kernelConsts(g, func(op *ir.Op) bool { return bf16Kernel(op) != "" })
}

// kernelConsts returns the constants whose every use is as the kernel (input 1) of an op that
// accept accepts.
func kernelConsts(g *ir.Graph, accept func(*ir.Op) bool) map[*ir.Value]bool {
	ok := map[*ir.Value]bool{}
	bad := map[*ir.Value]bool{}
	for _, op := range g.Ops {
		for i, v := range op.In {
			if !v.IsConst() {
				continue
			}
			if i == 1 && accept(op) {
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

// kernelDims returns a kernel's matrix shape (bf16 or in panel layout): k rows (all but the last dimension) by
// n columns.
func kernelDims(v *ir.Value) (k, n int) {
	s := v.Type.Shape
	k = 1
	for _, d := range s[:len(s)-1] {
		k *= int(d)
	}
	return k, int(s[len(s)-1])
}

// emitBF16Dense emits the DenseBF16 call of an op whose bf16 kernel makes it a plain matrix
// product (bf16Kernel "dense"), or returns nil for any other op. (The im2col convolutions get
// Conv2DGemmBF16 from the Conv case, which builds their parameters.)
func (gen *generator) emitBF16Dense(op *ir.Op, ep jen.Code) []jen.Code {
	if !gen.bf16[op.In[1]] || bf16Kernel(op) != "dense" {
		return nil
	}
	k, n := kernelDims(op.In[1])
	xs := op.In[0].Type.Shape
	return []jen.Code{rt("DenseBF16").Call(prod(xs[:len(xs)-1]), jen.Lit(k), jen.Lit(n),
		gen.loc(op.In[0]), gen.loc(op.In[1]), gen.loc(op.Out[0]), ep)}
}
