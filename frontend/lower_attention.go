package frontend

import (
	"math"

	"github.com/kerasgen/kerasgen/ir"
)

// Lowering of MultiHeadAttention into matrix products, as Keras 3 computes it:
//
//	q = (query·Wq + bq) * 1/sqrt(key_dim)   per head: [N, H, Tq, K]
//	k = key·Wk + bk, v = value·Wv + bv        [N, H, Tk, K], [N, H, Tk, V]
//	scores = softmax(q·kᵀ + mask adder)       [N, H, Tq, Tk]; masked positions get -1e9
//	out = concat_heads(scores·v)·Wo + bo      [N, Tq, out]

func init() { lowerings["MultiHeadAttention"] = lowerMHA }

// largeNegative is what Keras adds to masked attention scores (float32's _large_negative_number).
const largeNegative = -1e9

func lowerMHA(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	cfg := l.Config
	heads, err := cfg.Int("num_heads", 0)
	if err != nil {
		return nil, err
	}
	keyDim, err := cfg.Int("key_dim", 0)
	if err != nil {
		return nil, err
	}
	valueDim, err := cfg.Int("value_dim", keyDim)
	if err != nil {
		return nil, err
	}
	if cfg.Has("attention_axes") {
		if axes, _ := cfg.Ints("attention_axes"); !(len(axes) == 1 && (axes[0] == 1 || axes[0] == -2)) {
			return nil, unsupportedf("attention_axes %v", cfg["attention_axes"])
		}
	}
	for _, k := range []string{"query_mask", "value_mask", "key_mask"} {
		if n.Kwargs[k] != nil {
			return nil, unsupportedf("%s (masking is not supported yet)", k)
		}
	}
	// The tensors: query and value positionally (Keras 3) or by keyword (tf-keras), key
	// defaulting to value.
	tensor := func(pos int, key string) (*ir.Value, error) {
		if r, ok := n.Kwargs[key].(TensorRef); ok {
			return c.Tensor(r)
		}
		if pos < len(in) {
			return in[pos], nil
		}
		return nil, nil
	}
	query, err := tensor(0, "query")
	if err != nil {
		return nil, err
	}
	value, err := tensor(1, "value")
	if err != nil {
		return nil, err
	}
	key, err := tensor(2, "key")
	if err != nil {
		return nil, err
	}
	if query == nil || value == nil {
		return nil, unsupportedf("a call without query and value tensors")
	}
	if key == nil {
		key = value
	}
	for _, v := range []*ir.Value{query, key, value} {
		if len(v.Type.Shape) != 3 {
			return nil, unsupportedf("inputs of shape %v (only (batch, time, features) is supported)", v.Type.Shape)
		}
	}
	useBias := cfg.Bool("use_bias", true)
	q, err := c.headProjection(l, "query_dense", query, heads, keyDim, useBias)
	if err != nil {
		return nil, err
	}
	scale := c.Const("inverse_sqrt_key_dim", ir.Shape{}, []float32{float32(1 / math.Sqrt(float64(keyDim)))})
	if q, err = c.Op("Binary", []*ir.Value{q, scale}, ir.Attrs{"fn": "mul"}); err != nil {
		return nil, err
	}
	k, err := c.headProjection(l, "key_dense", key, heads, keyDim, useBias)
	if err != nil {
		return nil, err
	}
	v, err := c.headProjection(l, "value_dense", value, heads, valueDim, useBias)
	if err != nil {
		return nil, err
	}
	scores, err := c.Op("BatchMatMul", []*ir.Value{q, k}, ir.Attrs{"transpose_b": true})
	if err != nil {
		return nil, err
	}
	if scores, err = c.attentionMask(scores, n, query, key); err != nil {
		return nil, err
	}
	probs, err := c.Op("Softmax", []*ir.Value{scores}, ir.Attrs{"axis": -1})
	if err != nil {
		return nil, err
	}
	ctx, err := c.Op("BatchMatMul", []*ir.Value{probs, v}, nil) // [N, H, Tq, V]
	if err != nil {
		return nil, err
	}
	if ctx, err = c.Op("Transpose", []*ir.Value{ctx}, ir.Attrs{"perm": []int{0, 2, 1, 3}}); err != nil {
		return nil, err
	}
	tq := query.Type.Shape[1]
	if ctx, err = c.Op("Reshape", []*ir.Value{ctx}, ir.Attrs{"shape": []int{int(ir.Batch), int(tq), heads * valueDim}}); err != nil {
		return nil, err
	}
	// The output projection: kernel (H, V, out...) used as (H*V, out).
	wo := l.Weight("output_dense/kernel")
	if wo == nil || len(wo.Shape) != 3 {
		return nil, unsupportedf("output_dense kernel %v (only a single output dimension is supported)", wo)
	}
	ops := []*ir.Value{ctx, c.Const("output_dense.kernel_2d", ir.Shape{ir.Dim(heads * valueDim), ir.Dim(wo.Shape[2])}, wo.Values)}
	if useBias {
		b, err := c.Weight(l, "output_dense/bias")
		if err != nil {
			return nil, err
		}
		ops = append(ops, b)
	}
	out, err := c.Op("MatMul", ops, nil)
	if err != nil {
		return nil, err
	}
	if ret, _ := n.Kwargs["return_attention_scores"].(bool); ret {
		return []*ir.Value{out, probs}, nil
	}
	return []*ir.Value{out}, nil
}

// headProjection computes x·W + b for one of the q/k/v projections (kernel (D, H, K), bias
// (H, K)) and returns it split into heads: [N, H, T, K].
func (c *LowerCtx) headProjection(l *Layer, name string, x *ir.Value, heads, dim int, useBias bool) (*ir.Value, error) {
	w := l.Weight(name + "/kernel")
	if w == nil || len(w.Shape) != 3 || w.Shape[1] != heads || w.Shape[2] != dim {
		return nil, unsupportedf("%s kernel %v for %d heads of %d", name, w, heads, dim)
	}
	ops := []*ir.Value{x, c.Const(name+".kernel_2d", ir.Shape{ir.Dim(w.Shape[0]), ir.Dim(heads * dim)}, w.Values)}
	if useBias {
		b := l.Weight(name + "/bias")
		if b == nil {
			return nil, unsupportedf("%s bias missing", name)
		}
		ops = append(ops, c.Const(name+".bias_1d", ir.Shape{ir.Dim(heads * dim)}, b.Values))
	}
	y, err := c.Op("MatMul", ops, nil)
	if err != nil {
		return nil, err
	}
	t := x.Type.Shape[1]
	if y, err = c.Op("Reshape", []*ir.Value{y}, ir.Attrs{"shape": []int{int(ir.Batch), int(t), heads, dim}}); err != nil {
		return nil, err
	}
	return c.Op("Transpose", []*ir.Value{y}, ir.Attrs{"perm": []int{0, 2, 1, 3}})
}

// attentionMask adds Keras' large negative number to the scores [N, H, Tq, Tk] where the
// causal mask (use_causal_mask) or the call's attention_mask [N, Tq, Tk] is 0.
func (c *LowerCtx) attentionMask(scores *ir.Value, n Node, query, key *ir.Value) (*ir.Value, error) {
	if r, ok := n.Kwargs["attention_mask"].(TensorRef); ok {
		mask, err := c.Tensor(r)
		if err != nil {
			return nil, err
		}
		s := mask.Type.Shape
		if len(s) != 3 {
			return nil, unsupportedf("attention_mask of shape %v", s)
		}
		// adder = (1 - mask) * large negative, broadcast over the heads.
		one := c.Const("one", ir.Shape{}, []float32{1})
		inv, err := c.Op("Binary", []*ir.Value{one, mask}, ir.Attrs{"fn": "sub"})
		if err != nil {
			return nil, err
		}
		adder, err := c.Op("Binary", []*ir.Value{inv, c.Const("large_negative", ir.Shape{}, []float32{largeNegative})}, ir.Attrs{"fn": "mul"})
		if err != nil {
			return nil, err
		}
		if adder, err = c.Op("Reshape", []*ir.Value{adder}, ir.Attrs{"shape": []int{int(ir.Batch), 1, int(s[1]), int(s[2])}}); err != nil {
			return nil, err
		}
		if scores, err = c.Op("Binary", []*ir.Value{scores, adder}, ir.Attrs{"fn": "add"}); err != nil {
			return nil, err
		}
	}
	causal, _ := n.Kwargs["use_causal_mask"].(bool)
	if !causal {
		return scores, nil
	}
	tq, tk := query.Type.Shape[1], key.Type.Shape[1]
	if !tq.Static() || !tk.Static() {
		return nil, unsupportedf("a causal mask over an unknown length")
	}
	adder := make([]float32, int(tq)*int(tk))
	for i := 0; i < int(tq); i++ {
		for j := i + 1; j < int(tk); j++ {
			adder[i*int(tk)+j] = largeNegative
		}
	}
	return c.Op("Binary", []*ir.Value{scores, c.Const("causal_mask", ir.Shape{tq, tk}, adder)}, ir.Attrs{"fn": "add"})
}
