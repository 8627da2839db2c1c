package frontend

import (
	"fmt"
	"strings"

	"github.com/kerasgen/kerasgen/ir"
)

// Lowerings of Attention (Luong, score_mode dot or concat), AdditiveAttention (Bahdanau),
// EinsumDense (the contractions a matrix product expresses) and TimeDistributed (around
// layers that act on the last axes only), as Keras 3 defines them:
//
//	Attention dot:      scores = (q·kᵀ) [* scale]
//	Attention concat:   scores = concat_score_weight * Σ_d tanh([scale *] (q_i + k_j))
//	AdditiveAttention:  scores = Σ_d [scale_d *] tanh(q_id + k_jd)
//	then (causal: scores -= 1e9 where j > i), weights = softmax(scores), out = weights·v.

func init() {
	lowerings["Attention"] = lowerScoreAttention
	lowerings["AdditiveAttention"] = lowerScoreAttention
	lowerings["EinsumDense"] = lowerEinsumDense
	lowerings["TimeDistributed"] = lowerTimeDistributed
}

func lowerScoreAttention(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	if len(in) < 2 || len(in) > 3 {
		return nil, fmt.Errorf("called with %d tensors, want [query, value] or [query, value, key]", len(in))
	}
	if hasMaskArg(n.Kwargs["mask"]) {
		return nil, unsupportedf("a mask argument")
	}
	q, v := in[0], in[1]
	k := v
	if len(in) == 3 {
		k = in[2]
	}
	if len(q.Type.Shape) != 3 || len(k.Type.Shape) != 3 {
		return nil, unsupportedf("inputs of shape %v, %v", q.Type.Shape, k.Type.Shape)
	}
	var scale *ir.Value
	if l.Config.Bool("use_scale", l.Class == "AdditiveAttention") {
		var err error
		if scale, err = c.Weight(l, "scale"); err != nil {
			return nil, err
		}
	}
	var scores *ir.Value
	var err error
	mode := l.Config.String("score_mode", "dot")
	if l.Class == "AdditiveAttention" {
		mode = "additive"
	}
	switch mode {
	case "dot":
		if scores, err = c.Op("BatchMatMul", []*ir.Value{q, k}, ir.Attrs{"transpose_b": true}); err != nil {
			return nil, err
		}
		if scale != nil {
			scores, err = c.Op("Binary", []*ir.Value{scores, scale}, ir.Attrs{"fn": "mul"})
		}
	case "concat", "additive":
		scores, err = c.pairwiseTanhScores(l, q, k, scale, mode)
	default:
		return nil, unsupportedf("score_mode %q", mode)
	}
	if err != nil {
		return nil, err
	}
	if causal, _ := n.Kwargs["use_causal_mask"].(bool); causal {
		if scores, err = c.causalMask(scores); err != nil {
			return nil, err
		}
	}
	weights, err := c.Op("Softmax", []*ir.Value{scores}, ir.Attrs{"axis": -1})
	if err != nil {
		return nil, err
	}
	out, err := c.Op("BatchMatMul", []*ir.Value{weights, v}, nil)
	if err != nil {
		return nil, err
	}
	if ret, _ := n.Kwargs["return_attention_scores"].(bool); ret {
		return []*ir.Value{out, weights}, nil
	}
	return []*ir.Value{out}, nil
}

// pairwiseTanhScores computes the concat / additive scores over every query-key pair:
// q [N,Tq,D] and k [N,Tk,D] broadcast to [N,Tq,Tk,D].
func (c *LowerCtx) pairwiseTanhScores(l *Layer, q, k, scale *ir.Value, mode string) (*ir.Value, error) {
	qs, ks := q.Type.Shape, k.Type.Shape
	q4, err := c.Op("Reshape", []*ir.Value{q}, ir.Attrs{"shape": []int{int(ir.Batch), int(qs[1]), 1, int(qs[2])}})
	if err != nil {
		return nil, err
	}
	k4, err := c.Op("Reshape", []*ir.Value{k}, ir.Attrs{"shape": []int{int(ir.Batch), 1, int(ks[1]), int(ks[2])}})
	if err != nil {
		return nil, err
	}
	s, err := c.Op("Binary", []*ir.Value{q4, k4}, ir.Attrs{"fn": "add"})
	if err != nil {
		return nil, err
	}
	if mode == "concat" && scale != nil {
		if s, err = c.Op("Binary", []*ir.Value{scale, s}, ir.Attrs{"fn": "mul"}); err != nil {
			return nil, err
		}
	}
	if s, err = c.Op("Unary", []*ir.Value{s}, ir.Attrs{"fn": "tanh"}); err != nil {
		return nil, err
	}
	if mode == "additive" && scale != nil {
		if s, err = c.Op("Binary", []*ir.Value{scale, s}, ir.Attrs{"fn": "mul"}); err != nil {
			return nil, err
		}
	}
	if s, err = c.Op("Reduce", []*ir.Value{s}, ir.Attrs{"mode": "sum", "axes": []int{-1}}); err != nil {
		return nil, err
	}
	if mode == "concat" {
		w, err := c.Weight(l, "concat_score_weight")
		if err != nil {
			return nil, err
		}
		return c.Op("Binary", []*ir.Value{w, s}, ir.Attrs{"fn": "mul"})
	}
	return s, nil
}

// causalMask subtracts 1e9 from the scores [N, Tq, Tk] where the key comes after the query.
func (c *LowerCtx) causalMask(scores *ir.Value) (*ir.Value, error) {
	s := scores.Type.Shape
	tq, tk := s[len(s)-2], s[len(s)-1]
	if !tq.Static() || !tk.Static() {
		return nil, unsupportedf("a causal mask over an unknown length")
	}
	adder := make([]float32, int(tq)*int(tk))
	for i := 0; i < int(tq); i++ {
		for j := i + 1; j < int(tk); j++ {
			adder[i*int(tk)+j] = 1e9
		}
	}
	return c.Op("Binary", []*ir.Value{scores, c.Const("causal_mask", ir.Shape{tq, tk}, adder)}, ir.Attrs{"fn": "sub"})
}

// lowerEinsumDense lowers the einsum equations a matrix product expresses:
// "<free><contracted>,<contracted><rest>-><free><rest>" (an ellipsis stands for free
// leading axes), plus the bias over bias_axes and the activation.
func lowerEinsumDense(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	eq := strings.ReplaceAll(l.Config.String("equation", ""), " ", "")
	lhs, out, ok := strings.Cut(eq, "->")
	inSpec, kSpec, ok2 := strings.Cut(lhs, ",")
	if !ok || !ok2 {
		return nil, unsupportedf("equation %q", eq)
	}
	x := in[0]
	rank := len(x.Type.Shape)
	if strings.HasPrefix(inSpec, "...") { // name the ellipsis' axes with digits
		free := rank - (len(inSpec) - 3)
		names := "0123456789"[:max(free, 0)]
		inSpec = names + inSpec[3:]
		out = strings.Replace(out, "...", names, 1)
	}
	if len(inSpec) != rank || strings.Contains(out, "...") || strings.Contains(kSpec, "...") {
		return nil, unsupportedf("equation %q for an input of rank %d", l.Config.String("equation", ""), rank)
	}
	var contracted string
	for _, r := range kSpec {
		if strings.ContainsRune(inSpec, r) && !strings.ContainsRune(out, r) {
			contracted += string(r)
		}
	}
	free := strings.TrimSuffix(inSpec, contracted)
	rest := strings.TrimPrefix(kSpec, contracted)
	if free+contracted != inSpec || contracted+rest != kSpec || free+rest != out || contracted == "" {
		return nil, unsupportedf("equation %q (only <free><contracted>,<contracted><rest>-><free><rest> is supported)", l.Config.String("equation", ""))
	}
	w := l.Weight("kernel")
	if w == nil || len(w.Shape) != len(kSpec) {
		return nil, fmt.Errorf("kernel %v for equation %q", w, eq)
	}
	kc, kr := 1, 1
	for i := range w.Shape {
		if i < len(contracted) {
			kc *= w.Shape[i]
		} else {
			kr *= w.Shape[i]
		}
	}
	xs := x.Type.Shape
	var err error
	if len(contracted) > 1 {
		shape := []int{}
		for _, d := range xs[:len(free)] {
			shape = append(shape, int(d))
		}
		if x, err = c.Op("Reshape", []*ir.Value{x}, ir.Attrs{"shape": append(shape, kc)}); err != nil {
			return nil, err
		}
	}
	y, err := c.Op("MatMul", []*ir.Value{x, c.Const("kernel_2d", ir.Shape{ir.Dim(kc), ir.Dim(kr)}, w.Values)}, nil)
	if err != nil {
		return nil, err
	}
	if len(rest) != 1 {
		shape := []int{}
		for _, d := range xs[:len(free)] {
			shape = append(shape, int(d))
		}
		for _, d := range w.Shape[len(contracted):] {
			shape = append(shape, d)
		}
		if y, err = c.Op("Reshape", []*ir.Value{y}, ir.Attrs{"shape": shape}); err != nil {
			return nil, err
		}
	}
	if axes := l.Config.String("bias_axes", ""); axes != "" {
		b := l.Weight("bias")
		if b == nil {
			return nil, fmt.Errorf("weight \"bias\" missing")
		}
		// Keras' bias shape: from the first bias axis to the end of the output, the bias
		// axes' sizes and 1 elsewhere.
		first := strings.IndexAny(out, axes)
		ys := y.Type.Shape
		var shape ir.Shape
		for i := first; i < len(out); i++ {
			if strings.IndexByte(axes, out[i]) >= 0 {
				shape = append(shape, ys[i])
			} else {
				shape = append(shape, 1)
			}
		}
		if shape.StaticSize() != int64(len(b.Values)) {
			return nil, fmt.Errorf("bias of %d values for bias_axes %q of output %v", len(b.Values), axes, ys)
		}
		if y, err = c.Op("Binary", []*ir.Value{y, c.Const("bias_broadcast", shape, b.Values)}, ir.Attrs{"fn": "add"}); err != nil {
			return nil, err
		}
	}
	return one(c.activation(y, l.Config["activation"]))
}

// timeDistributedInner are the layers TimeDistributed can wrap here: they act on the last
// axes only, so applying them to every step at once is the same as one step at a time.
var timeDistributedInner = map[string]bool{
	"Dense": true, "Activation": true, "Dropout": true, "ReLU": true, "LeakyReLU": true, "ELU": true,
	"LayerNormalization": true, "BatchNormalization": true, "EinsumDense": true, "Flatten": true,
}

func lowerTimeDistributed(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	class, cfg, ok := l.Config.Object("layer")
	if !ok || lowerings[class] == nil {
		return nil, unsupportedf("TimeDistributed around %s", class)
	}
	x := in[0]
	if !timeDistributedInner[class] {
		return c.timeDistributedSteps(l, class, cfg, x)
	}
	if class == "Flatten" {
		s := x.Type.Shape
		if len(s) < 3 || !s[2:].Static() {
			return nil, unsupportedf("TimeDistributed(Flatten) of %v", s)
		}
		return one(c.Op("Reshape", in, ir.Attrs{"shape": []int{int(ir.Batch), int(s[1]), int(s[2:].StaticSize())}}))
	}
	if class == "BatchNormalization" || class == "LayerNormalization" {
		if err := lastAxis(&Layer{Config: cfg}, len(x.Type.Shape)-1); err != nil {
			return nil, err
		}
	}
	return lowerings[class](c, innerLayer(l, class, cfg), n, in)
}

// hasMaskArg reports whether a call's mask argument holds a tensor (mask=[None, None] does not).
func hasMaskArg(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case []any:
		for _, e := range t {
			if hasMaskArg(e) {
				return true
			}
		}
		return false
	}
	return true
}

// innerLayer is the layer a wrapper holds, with its weights renamed from "layer/..".
func innerLayer(l *Layer, class string, cfg Config) *Layer {
	inner := &Layer{Name: l.Name, Class: class, Config: cfg}
	for _, w := range l.Weights {
		cp := *w
		cp.Name = strings.TrimPrefix(w.Name, "layer/")
		inner.Weights = append(inner.Weights, &cp)
	}
	return inner
}

// timeDistributedSteps applies a layer that needs its own batch axis (a convolution, a
// pooling) to every step of x [N, T, ...] in turn: slice the step, run the layer, stack the
// results along the time axis. T must be known; the weights are shared by the steps.
func (c *LowerCtx) timeDistributedSteps(l *Layer, class string, cfg Config, x *ir.Value) ([]*ir.Value, error) {
	s := x.Type.Shape
	if len(s) < 3 || !s[1].Static() || !s[2:].Static() {
		return nil, unsupportedf("TimeDistributed(%s) over an unknown number of steps", class)
	}
	inner := innerLayer(l, class, cfg)
	steps := int(s[1])
	stepShape := []int{int(ir.Batch)}
	for _, d := range s[2:] {
		stepShape = append(stepShape, int(d))
	}
	var outs []*ir.Value
	for t := 0; t < steps; t++ {
		begin, size := make([]int, len(s)), make([]int, len(s))
		for i := range size {
			size[i] = -1
		}
		begin[1], size[1] = t, 1
		xt, err := c.Op("Slice", []*ir.Value{x}, ir.Attrs{"begin": begin, "size": size})
		if err != nil {
			return nil, err
		}
		if xt, err = c.Op("Reshape", []*ir.Value{xt}, ir.Attrs{"shape": append([]int{}, stepShape...)}); err != nil {
			return nil, err
		}
		ys, err := lowerings[class](c, inner, Node{}, []*ir.Value{xt})
		if err != nil {
			return nil, err
		}
		y := ys[0]
		shape := []int{int(ir.Batch), 1}
		for _, d := range y.Type.Shape[1:] {
			shape = append(shape, int(d))
		}
		if y, err = c.Op("Reshape", []*ir.Value{y}, ir.Attrs{"shape": shape}); err != nil {
			return nil, err
		}
		outs = append(outs, y)
	}
	if len(outs) == 1 {
		return outs, nil
	}
	return one(c.Op("Concat", outs, ir.Attrs{"axis": 1}))
}
