package frontend

import (
	"github.com/kerasgen/kerasgen/ir"
)

// Keras masking. A mask is a [N, T] value of 1s (keep) and 0s (skip) attached to a sequence
// value; Embedding(mask_zero=True) and Masking create one, the layers Keras marks
// supports_masking pass it on unchanged, recurrences skip masked steps (keeping their state)
// and GlobalAveragePooling1D averages over the kept steps. A layer that would use a mask in a
// way not implemented here is refused rather than computed without it; any other layer drops
// the mask, as Keras does.

// maskPropagators pass their input's mask to their output unchanged.
var maskPropagators = map[string]bool{
	"Dense": true, "Activation": true, "ReLU": true, "LeakyReLU": true, "ELU": true, "PReLU": true,
	"Softmax": true, "ThresholdedReLU": true, "Dropout": true, "SpatialDropout1D": true,
	"GaussianDropout": true, "GaussianNoise": true, "AlphaDropout": true, "BatchNormalization": true,
	"LayerNormalization": true, "ActivityRegularization": true, "Identity": true,
}

// maskRefused use a mask in ways not implemented yet.
var maskRefused = map[string]bool{
	"MultiHeadAttention": true, "Attention": true, "AdditiveAttention": true, "TimeDistributed": true,
	"Add": true, "Subtract": true, "Multiply": true, "Average": true, "Maximum": true,
	"Minimum": true, "Concatenate": true, "GlobalMaxPooling1D": true,
}

// maskOf returns the mask of a value, or nil.
func (c *LowerCtx) maskOf(v *ir.Value) *ir.Value { return c.masks[v] }

// propagateMask applies Keras' mask rules after a call of l: it refuses layers that would
// need the mask in a way not implemented, and passes the mask on through supports_masking
// layers (unless the layer set its output's mask itself).
func (c *LowerCtx) propagateMask(l *Layer, in, outs []*ir.Value) error {
	var mask *ir.Value
	for _, v := range in {
		if m := c.maskOf(v); m != nil {
			mask = m
		}
	}
	if mask == nil || len(outs) == 0 {
		return nil
	}
	switch {
	case maskRefused[l.Class]:
		return unsupportedf("a masked input (masking through %s is not supported yet)", l.Class)
	case maskPropagators[l.Class] && c.masks[outs[0]] == nil:
		c.masks[outs[0]] = mask
	}
	return nil
}

// embeddingMask is ids != 0, the mask of Embedding(mask_zero=True).
func (c *LowerCtx) embeddingMask(ids *ir.Value) (*ir.Value, error) {
	return c.Op("Binary", []*ir.Value{ids, c.Const("zero", ir.Shape{}, []float32{0})}, ir.Attrs{"fn": "not_equal"})
}

// lowerMasking: a step is kept when any feature differs from mask_value; the output is the
// input times the mask.
func lowerMasking(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	x := in[0]
	s := x.Type.Shape
	if len(s) != 3 {
		return nil, unsupportedf("Masking of a value of shape %v", s)
	}
	v := float32(l.Config.Float("mask_value", 0))
	ne, err := c.Op("Binary", []*ir.Value{x, c.Const("mask_value", ir.Shape{}, []float32{v})}, ir.Attrs{"fn": "not_equal"})
	if err != nil {
		return nil, err
	}
	mask, err := c.Op("Reduce", []*ir.Value{ne}, ir.Attrs{"mode": "max", "axes": []int{-1}})
	if err != nil {
		return nil, err
	}
	m3, err := c.Op("Reshape", []*ir.Value{mask}, ir.Attrs{"shape": []int{int(ir.Batch), int(s[1]), 1}})
	if err != nil {
		return nil, err
	}
	y, err := c.Op("Binary", []*ir.Value{x, m3}, ir.Attrs{"fn": "mul"})
	if err != nil {
		return nil, err
	}
	c.masks[y] = mask
	return []*ir.Value{y}, nil
}

// maskedMean is GlobalAveragePooling1D with a mask: sum(x*mask) / sum(mask) over the steps.
func (c *LowerCtx) maskedMean(x, mask *ir.Value, keepdims bool) (*ir.Value, error) {
	s := x.Type.Shape
	m3, err := c.Op("Reshape", []*ir.Value{mask}, ir.Attrs{"shape": []int{int(ir.Batch), int(s[1]), 1}})
	if err != nil {
		return nil, err
	}
	xm, err := c.Op("Binary", []*ir.Value{x, m3}, ir.Attrs{"fn": "mul"})
	if err != nil {
		return nil, err
	}
	num, err := c.Op("Reduce", []*ir.Value{xm}, ir.Attrs{"mode": "sum", "axes": []int{1}, "keepdims": keepdims})
	if err != nil {
		return nil, err
	}
	den, err := c.Op("Reduce", []*ir.Value{m3}, ir.Attrs{"mode": "sum", "axes": []int{1}, "keepdims": keepdims})
	if err != nil {
		return nil, err
	}
	return c.Op("Binary", []*ir.Value{num, den}, ir.Attrs{"fn": "div"})
}
