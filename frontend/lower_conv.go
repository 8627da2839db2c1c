package frontend

import (
	"fmt"

	"github.com/kerasgen/kerasgen/ir"
)

// Lowerings of convolutions and pooling. Everything runs as 2-D NHWC: 1-D layers reshape
// (N, W, C) to (N, 1, W, C) and back. Padding is TF-style: 'same' puts the extra row or
// column at the bottom/right; 'causal' pads dilation*(k-1) on the left.

func init() {
	for _, cls := range []string{"Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D"} {
		lowerings[cls] = lowerConv
	}
	lowerings["Conv1DTranspose"] = lowerConvTranspose
	lowerings["Conv2DTranspose"] = lowerConvTranspose
	for _, cls := range []string{"MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D"} {
		lowerings[cls] = lowerPool
	}
	for _, cls := range []string{"GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D"} {
		lowerings[cls] = lowerGlobalPool
	}
}

// spatialRank is 1 for the *1D classes and 2 otherwise.
func spatialRank(class string) int {
	if len(class) > 2 && class[len(class)-2:] == "1D" {
		return 1
	}
	if len(class) > 11 && class[len(class)-11:] == "1DTranspose" {
		return 1
	}
	return 2
}

// to2D reshapes a 1-D layer's (N, W, C) input to (N, 1, W, C); 2-D inputs pass.
func (c *LowerCtx) to2D(x *ir.Value, rank int) (*ir.Value, error) {
	s := x.Type.Shape
	if len(s) != rank+2 {
		return nil, fmt.Errorf("input %v has rank %d, want %d", s, len(s), rank+2)
	}
	if rank == 2 {
		return x, nil
	}
	return c.Op("Reshape", []*ir.Value{x}, ir.Attrs{"shape": []int{int(ir.Batch), 1, int(s[1]), int(s[2])}})
}

// from2D undoes to2D on the output.
func (c *LowerCtx) from2D(y *ir.Value, rank int) (*ir.Value, error) {
	if rank == 2 {
		return y, nil
	}
	s := y.Type.Shape
	return c.Op("Reshape", []*ir.Value{y}, ir.Attrs{"shape": []int{int(ir.Batch), int(s[2]), int(s[3])}})
}

// kernel2D returns a 1-D layer's kernel (k, ...) as a (1, k, ...) constant; 2-D kernels pass.
func (c *LowerCtx) kernel2D(l *Layer, name string, rank int) (*ir.Value, error) {
	w := l.Weight(name)
	if w == nil {
		return nil, fmt.Errorf("weight %q missing", name)
	}
	if rank == 2 {
		return c.weightValue(w), nil
	}
	shape := ir.Shape{1}
	for _, d := range w.Shape {
		shape = append(shape, ir.Dim(d))
	}
	return c.Const(name+"_2d", shape, w.Values), nil
}

// convGeometry reads kernel_size, strides, dilation_rate and padding for rank spatial axes
// and returns them for two axes (a 1-D layer's first axis is the size-1 height).
type convGeometry struct {
	kernel, strides, dilations [2]int
	pads                       [4]int // top, bottom, left, right
}

func geometry(l *Layer, rank int, in ir.Shape, kernelKey string) (convGeometry, error) {
	var g convGeometry
	if l.Config.String("data_format", "channels_last") != "channels_last" {
		return g, unsupportedf("data_format %q", l.Config.String("data_format", ""))
	}
	k, err := l.Config.IntsN(kernelKey, rank, 1)
	if err != nil {
		return g, err
	}
	defStride := 1
	if kernelKey == "pool_size" {
		defStride = -1
	}
	s, err := l.Config.IntsN("strides", rank, defStride)
	if err != nil {
		return g, err
	}
	d, err := l.Config.IntsN("dilation_rate", rank, 1)
	if err != nil {
		return g, err
	}
	padding := l.Config.String("padding", "valid")
	off := 2 - rank
	g.kernel, g.strides, g.dilations = [2]int{1, 1}, [2]int{1, 1}, [2]int{1, 1}
	for i := 0; i < rank; i++ {
		g.kernel[off+i], g.dilations[off+i] = k[i], d[i]
		g.strides[off+i] = s[i]
		if s[i] < 0 { // pooling: strides default to pool_size
			g.strides[off+i] = k[i]
		}
		size := in[1+i]
		if !size.Static() {
			return g, unsupportedf("%s over an unknown length", l.Class)
		}
		before, after, err := padAmounts(padding, int(size), k[i], g.strides[off+i], d[i])
		if err != nil {
			return g, err
		}
		g.pads[2*(off+i)], g.pads[2*(off+i)+1] = before, after
	}
	return g, nil
}

// padAmounts computes the padding before and after one axis.
func padAmounts(padding string, in, k, stride, dilation int) (int, int, error) {
	eff := (k-1)*dilation + 1
	switch padding {
	case "valid":
		return 0, 0, nil
	case "causal":
		return eff - 1, 0, nil
	case "same":
		out := (in + stride - 1) / stride
		total := max((out-1)*stride+eff-in, 0)
		return total / 2, total - total/2, nil
	}
	return 0, 0, unsupportedf("padding %q", padding)
}

func (g convGeometry) attrs() ir.Attrs {
	return ir.Attrs{"strides": g.strides[:], "dilations": g.dilations[:], "pads": g.pads[:]}
}

// lowerConv lowers Conv1D/2D, DepthwiseConv1D/2D and SeparableConv1D/2D (a depthwise
// convolution followed by a 1×1 pointwise one).
func lowerConv(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	rank := spatialRank(l.Class)
	x, err := c.to2D(in[0], rank)
	if err != nil {
		return nil, err
	}
	g, err := geometry(l, rank, in[0].Type.Shape, "kernel_size")
	if err != nil {
		return nil, err
	}
	var bias []*ir.Value
	if l.Config.Bool("use_bias", true) {
		b, err := c.Weight(l, "bias")
		if err != nil {
			return nil, err
		}
		bias = []*ir.Value{b}
	}
	var y *ir.Value
	switch l.Class {
	case "Conv1D", "Conv2D":
		k, err := c.kernel2D(l, "kernel", rank)
		if err != nil {
			return nil, err
		}
		attrs := g.attrs()
		groups, err := l.Config.Int("groups", 1)
		if err != nil {
			return nil, err
		}
		if groups != 1 {
			attrs["groups"] = groups
		}
		y, err = c.Op("Conv", append([]*ir.Value{x, k}, bias...), attrs)
		if err != nil {
			return nil, err
		}
	case "DepthwiseConv1D", "DepthwiseConv2D":
		k, err := c.kernel2D(l, "kernel", rank)
		if err != nil {
			return nil, err
		}
		if y, err = c.Op("DepthwiseConv", append([]*ir.Value{x, k}, bias...), g.attrs()); err != nil {
			return nil, err
		}
	default: // separable
		dk, err := c.kernel2D(l, "depthwise_kernel", rank)
		if err != nil {
			return nil, err
		}
		pk, err := c.kernel2D(l, "pointwise_kernel", rank)
		if err != nil {
			return nil, err
		}
		dw, err := c.Op("DepthwiseConv", []*ir.Value{x, dk}, g.attrs())
		if err != nil {
			return nil, err
		}
		pw := ir.Attrs{"strides": []int{1, 1}, "dilations": []int{1, 1}, "pads": []int{0, 0, 0, 0}}
		if y, err = c.Op("Conv", append([]*ir.Value{dw, pk}, bias...), pw); err != nil {
			return nil, err
		}
	}
	if y, err = c.from2D(y, rank); err != nil {
		return nil, err
	}
	return one(c.activation(y, l.Config["activation"]))
}

// lowerConvTranspose lowers Conv1DTranspose/Conv2DTranspose. The output length per axis
// follows Keras' deconv_output_length; the rows cut from the top/left of the full
// transposed output are half the excess, as in the gradient of a TF 'same' convolution.
func lowerConvTranspose(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	rank := spatialRank(l.Class)
	x, err := c.to2D(in[0], rank)
	if err != nil {
		return nil, err
	}
	if l.Config.String("data_format", "channels_last") != "channels_last" {
		return nil, unsupportedf("data_format %q", l.Config.String("data_format", ""))
	}
	ks, err := l.Config.IntsN("kernel_size", rank, 1)
	if err != nil {
		return nil, err
	}
	st, err := l.Config.IntsN("strides", rank, 1)
	if err != nil {
		return nil, err
	}
	dl, err := l.Config.IntsN("dilation_rate", rank, 1)
	if err != nil {
		return nil, err
	}
	var outPad []int
	if l.Config.Has("output_padding") {
		if outPad, err = l.Config.IntsN("output_padding", rank, 0); err != nil {
			return nil, err
		}
	}
	padding := l.Config.String("padding", "valid")
	size, crop := []int{1, 1}, []int{0, 0}
	strides, dilations := []int{1, 1}, []int{1, 1}
	off := 2 - rank
	for i := 0; i < rank; i++ {
		inLen := in[0].Type.Shape[1+i]
		if !inLen.Static() {
			return nil, unsupportedf("%s over an unknown length", l.Class)
		}
		eff := ks[i] + (ks[i]-1)*(dl[i]-1)
		var length int
		if outPad == nil {
			switch padding {
			case "valid":
				length = int(inLen)*st[i] + max(eff-st[i], 0)
			case "same":
				length = int(inLen) * st[i]
			default:
				return nil, unsupportedf("padding %q", padding)
			}
		} else {
			pad := 0
			if padding == "same" {
				pad = eff / 2
			}
			length = (int(inLen)-1)*st[i] + eff - 2*pad + outPad[i]
		}
		full := (int(inLen)-1)*st[i] + eff
		size[off+i], crop[off+i] = length, max(full-length, 0)/2
		strides[off+i], dilations[off+i] = st[i], dl[i]
	}
	k, err := c.kernel2D(l, "kernel", rank)
	if err != nil {
		return nil, err
	}
	ops := []*ir.Value{x, k}
	if l.Config.Bool("use_bias", true) {
		b, err := c.Weight(l, "bias")
		if err != nil {
			return nil, err
		}
		ops = append(ops, b)
	}
	y, err := c.Op("ConvTranspose", ops, ir.Attrs{"strides": strides, "dilations": dilations, "out_size": size, "crop": crop})
	if err != nil {
		return nil, err
	}
	if y, err = c.from2D(y, rank); err != nil {
		return nil, err
	}
	return one(c.activation(y, l.Config["activation"]))
}

// lowerPool lowers Max/AveragePooling1D/2D; average pooling excludes padding.
func lowerPool(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	rank := spatialRank(l.Class)
	x, err := c.to2D(in[0], rank)
	if err != nil {
		return nil, err
	}
	g, err := geometry(l, rank, in[0].Type.Shape, "pool_size")
	if err != nil {
		return nil, err
	}
	mode := "max"
	if l.Class[:3] == "Ave" {
		mode = "avg"
	}
	y, err := c.Op("Pool", []*ir.Value{x}, ir.Attrs{"mode": mode, "window": g.kernel[:], "strides": g.strides[:], "pads": g.pads[:]})
	if err != nil {
		return nil, err
	}
	return one(c.from2D(y, rank))
}

// lowerGlobalPool lowers Global{Max,Average}Pooling1D/2D as a reduction over the spatial axes.
func lowerGlobalPool(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	if l.Config.String("data_format", "channels_last") != "channels_last" {
		return nil, unsupportedf("data_format %q", l.Config.String("data_format", ""))
	}
	rank := spatialRank(l.Class)
	if len(in[0].Type.Shape) != rank+2 {
		return nil, fmt.Errorf("input %v has rank %d, want %d", in[0].Type.Shape, len(in[0].Type.Shape), rank+2)
	}
	axes := []int{1}
	if rank == 2 {
		axes = []int{1, 2}
	}
	mode := "max"
	if l.Class[6:9] == "Ave" {
		mode = "mean"
	}
	if m := c.maskOf(in[0]); m != nil && mode == "mean" && rank == 1 {
		return one(c.maskedMean(in[0], m, l.Config.Bool("keepdims", false)))
	}
	return one(c.Op("Reduce", in, ir.Attrs{"mode": mode, "axes": axes, "keepdims": l.Config.Bool("keepdims", false)}))
}
