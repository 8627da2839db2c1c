package codegen

import (
	"fmt"

	"github.com/dave/jennifer/jen"
	"github.com/kerasgen/kerasgen/ir"
	"github.com/kerasgen/kerasgen/runtime"
)

// Upsampled convolutions: a Conv that reads its input upsampled 2× by nearest neighbour
// (attribute upsample, passes.FuseUpsampledConvs) runs through runtime.Conv2DUpsampled, as
// four 2×2 convolutions of the small image, one per output phase. Its 3×3 kernel is stored
// as the four phase kernels (runtime.UpsampledPhaseKernels, float32, also in a bf16 build),
// so the constant must have no other use (the pass folds only such convolutions).

// upsampledOp reports whether op is a convolution Conv2DUpsampled runs.
func upsampledOp(op *ir.Op) bool { return op.Kind == "Conv" && op.Attrs["upsample"] != nil }

// upsampledConsts returns the constants stored as phase kernels: those whose every use is as
// the kernel of an upsampledOp.
func upsampledConsts(g *ir.Graph) map[*ir.Value]bool { return kernelConsts(g, upsampledOp) }

// upsampledData returns the phase kernels of a 3×3 kernel constant [3, 3, C, OC].
func upsampledData(c *ir.Value) []float32 {
	s := c.Type.Shape
	ci, oc := int(s[2]), int(s[3])
	return runtime.UpsampledPhaseKernels(make([]float32, runtime.UpsampledPhaseKernelsLen(ci, oc)), c.Data, ci, oc)
}

// emitUpsampledConv emits an upsampled convolution: one Conv2DUpsampled call with its phase
// convolution's params and its scratch in the batch-independent scratch.
func (gen *generator) emitUpsampledConv(op *ir.Op, ep jen.Code) ([]jen.Code, error) {
	if !gen.upsampled[op.In[1]] {
		return nil, fmt.Errorf("upsampled convolution %s: its kernel %s has another use", op.Layer, op.In[1].Name)
	}
	xs, ys := op.In[0].Type.Shape, op.Out[0].Type.Shape
	params := runtime.UpsampledConvParams(int(xs[1]), int(xs[2]), int(xs[3]), int(ys[3]))
	pv := gen.paramsVar(op.Layer, "Params", rt("ConvParams").Values(convFields(params)...))
	need := runtime.Conv2DUpsampledScratch(&params)
	gen.fixedScratch = max(gen.fixedScratch, need)
	return []jen.Code{jen.Id("p").Op(":=").Id(pv), jen.Id("p").Dot("N").Op("=").Id("n"),
		rt("Conv2DUpsampled").Call(jen.Op("&").Id("p"), gen.loc(op.In[0]), gen.loc(op.In[1]), gen.loc(op.Out[0]), gen.fixedScratchSlice(need), ep)}, nil
}
