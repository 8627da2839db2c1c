package passes

import "github.com/kerasgen/kerasgen/ir"

// FuseUpsampledConvs folds a 2× nearest-neighbour upsampling (a Resize, mode nearest, to twice
// its input's height and width: Keras' UpSampling2D(2)) into the Conv that reads it, when that
// Conv is one-group 3×3, stride 1, undilated and 'same' without a residual or a pooling
// (ir.UpsampledConv) with a constant kernel it alone reads (the build stores it as the phase
// kernels), and the upsampled image is read by that Conv alone and is not a graph output: the
// Conv gets attribute upsample [2, 2] and reads the small image, and the Resize
// goes. The upsampled image is never stored then, and the convolution runs as four 2×2
// convolutions of the small image, one per output phase (runtime.Conv2DUpsampled: 4 taps an
// output pixel instead of 9).
func FuseUpsampledConvs(g *ir.Graph) error {
	uses := g.Uses()
	outputs := g.OutputSet()
	for _, op := range g.Ops {
		if op.Kind != "Conv" || !ir.UpsampledConv(op) || !staticImage(op.Out[0]) {
			continue
		}
		up := op.In[0].Def
		if up == nil || !nearest2x(up) || uses[op.In[0]] != 1 || outputs[op.In[0]] || !op.In[1].IsConst() || uses[op.In[1]] != 1 {
			continue
		}
		op.In[0] = up.In[0]
		op.Attrs["upsample"] = []int{2, 2}
	}
	g.RemoveDead() // the folded Resizes, read by nothing now
	return nil
}

// nearest2x reports whether op is a nearest-neighbour Resize of a static NHWC image to twice
// its height and width.
func nearest2x(op *ir.Op) bool {
	if op.Kind != "Resize" || op.Attrs.String("mode", "") != "nearest" || !staticImage(op.In[0]) {
		return false
	}
	x, size := op.In[0].Type.Shape, op.Attrs.Ints("size")
	return len(size) == 2 && size[0] == 2*int(x[1]) && size[1] == 2*int(x[2])
}
