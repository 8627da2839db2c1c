package frontend

import (
	"fmt"

	"github.com/kerasgen/kerasgen/ir"
)

// Lowerings of the recurrent layers (SimpleRNN, LSTM, GRU) and Bidirectional.

func init() {
	for _, cls := range []string{"SimpleRNN", "LSTM", "GRU"} {
		lowerings[cls] = lowerRecurrent
	}
	lowerings["Bidirectional"] = lowerBidirectional
	lowerings["Embedding"] = func(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
		table, err := c.Weight(l, "embeddings")
		if err != nil {
			return nil, err
		}
		y, err := c.Op("Gather", []*ir.Value{in[0], table}, nil)
		if err != nil || !l.Config.Bool("mask_zero", false) {
			return []*ir.Value{y}, err
		}
		if len(in[0].Type.Shape) != 2 {
			return nil, unsupportedf("mask_zero=True on ids of shape %v", in[0].Type.Shape)
		}
		if c.masks[y], err = c.embeddingMask(in[0]); err != nil {
			return nil, err
		}
		return []*ir.Value{y}, nil
	}
	lowerings["Masking"] = lowerMasking
}

var cellNames = map[string]string{"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}

// recurrentCall emits one Recurrent op for an RNN layer config whose weights are under
// prefix ("cell/", "forward_layer/cell/") of layer l. It returns y, h (and c for an LSTM).
func (c *LowerCtx) recurrentCall(l *Layer, class string, cfg Config, prefix string, x *ir.Value, states []*ir.Value, backwards bool) ([]*ir.Value, error) {
	if cfg.Bool("stateful", false) && !c.stateful {
		return nil, unsupportedf("stateful=True needs a stateful build (kerasgen build -stateful)")
	}
	units0, _ := cfg.Int("units", 0)
	if c.stateful {
		if backwards {
			return nil, unsupportedf("streaming a recurrence that reads its sequence backwards")
		}
		if len(states) > 0 {
			return nil, unsupportedf("streaming a recurrence whose initial state comes from the model")
		}
		names := []string{"h"}
		if class == "LSTM" {
			names = append(names, "c")
		}
		for _, n := range names {
			name := c.current + "." + n
			if prefix != "cell/" {
				name = c.current + "." + prefix + n
			}
			states = append(states, c.G.AddInput(name, ir.Type{DType: ir.F32, Shape: ir.Shape{ir.Batch, ir.Dim(units0)}}))
			c.states = append(c.states, State{Name: name, Units: units0})
		}
	}
	units, err := cfg.Int("units", 0)
	if err != nil {
		return nil, err
	}
	act, err := c.recurrentActivation(cfg, "activation", "tanh")
	if err != nil {
		return nil, err
	}
	recAct := "linear"
	if class != "SimpleRNN" {
		if recAct, err = c.recurrentActivation(cfg, "recurrent_activation", "sigmoid"); err != nil {
			return nil, err
		}
	}
	ops := []*ir.Value{x}
	for _, name := range []string{"kernel", "recurrent_kernel"} {
		v, err := c.Weight(l, prefix+name)
		if err != nil {
			return nil, err
		}
		ops = append(ops, v)
	}
	attrs := ir.Attrs{"cell": cellNames[class], "units": units, "act": act, "recurrent_act": recAct}
	if cfg.Bool("use_bias", true) {
		b, err := c.Weight(l, prefix+"bias")
		if err != nil {
			return nil, err
		}
		ops, attrs["has_bias"] = append(ops, b), true
	}
	if class == "GRU" && cfg.Bool("reset_after", true) {
		attrs["reset_after"] = true
	}
	if backwards {
		attrs["go_backwards"] = true
	}
	if cfg.Bool("return_sequences", false) {
		attrs["return_sequences"] = true
	}
	if class == "GRU" || class == "LSTM" || class == "SimpleRNN" {
		if cfg.Bool("zero_output_for_mask", false) {
			attrs["zero_output_for_mask"] = true
		}
	}
	if len(states) > 0 {
		want := 1
		if class == "LSTM" {
			want = 2
		}
		if len(states) != want {
			return nil, fmt.Errorf("%d initial states, a %s takes %d", len(states), class, want)
		}
		ops, attrs["has_state"] = append(ops, states...), true
	}
	mask := c.maskOf(x)
	if mask != nil {
		ops, attrs["has_mask"] = append(ops, mask), true
	}
	outs, err := c.G.AddOp("Recurrent", c.current, ops, attrs, c.current)
	if err == nil && c.stateful {
		c.stateValues = append(c.stateValues, outs[1:]...)
	}
	if err == nil && mask != nil && cfg.Bool("return_sequences", false) {
		c.masks[outs[0]] = mask // the sequence output keeps the mask
	}
	return outs, err
}

// recurrentActivation reads an RNN activation, which must be a plain name.
func (c *LowerCtx) recurrentActivation(cfg Config, key, def string) (string, error) {
	a, ok := cfg[key].(string)
	if !ok {
		if cfg[key] != nil {
			return "", unsupportedf("%s %v", key, cfg[key])
		}
		a = def
	}
	switch a {
	case "swish":
		a = "silu"
	case "hard_swish":
		a = "hard_silu"
	}
	if !ir.Activations[a] || a == "relu_full" {
		return "", unsupportedf("%s %q", key, a)
	}
	return a, nil
}

// initialStates reads a call's initial_state keyword (Keras 3, or Keras 2.2's extra inputs).
func (c *LowerCtx) initialStates(n Node) ([]*ir.Value, error) {
	var refs []TensorRef
	switch v := n.Kwargs["initial_state"].(type) {
	case nil:
		return nil, nil
	case TensorRef:
		refs = []TensorRef{v}
	case []TensorRef:
		refs = v
	default:
		return nil, unsupportedf("initial_state %v", v)
	}
	var out []*ir.Value
	for _, r := range refs {
		v, err := c.Tensor(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// lowerRecurrent: outputs are [y] or, with return_state, [y, h] (GRU, SimpleRNN) or
// [y, h, c] (LSTM).
func lowerRecurrent(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	if _, ok := n.Kwargs["mask"].(TensorRef); !ok && hasMaskArg(n.Kwargs["mask"]) {
		return nil, unsupportedf("a mask argument %v", n.Kwargs["mask"])
	}
	states, err := c.initialStates(n)
	if err != nil {
		return nil, err
	}
	outs, err := c.recurrentCall(l, l.Class, l.Config, "cell/", in[0], states, l.Config.Bool("go_backwards", false))
	if err != nil {
		return nil, err
	}
	if l.Config.Bool("return_state", false) {
		return outs, nil
	}
	return outs[:1], nil
}

// lowerBidirectional runs the wrapped layer forward and backward and merges the outputs
// (concat puts the forward output first; with return_sequences the backward output is
// reversed back into time order).
func lowerBidirectional(c *LowerCtx, l *Layer, n Node, in []*ir.Value) ([]*ir.Value, error) {
	class, fcfg, ok := l.Config.Object("layer")
	if !ok || cellNames[class] == "" {
		return nil, unsupportedf("Bidirectional around %s", class)
	}
	// The backward layer reads the sequence the other way: a saved backward_layer config
	// already says so (go_backwards true); one derived from the wrapped layer flips it.
	bclass, bcfg, bwBackwards := class, fcfg, !fcfg.Bool("go_backwards", false)
	if bc, cfg, ok := l.Config.Object("backward_layer"); ok {
		bclass, bcfg, bwBackwards = bc, cfg, cfg.Bool("go_backwards", false)
	}
	if c.stateful {
		return nil, unsupportedf("streaming a Bidirectional layer (its backward half needs the whole sequence)")
	}
	if l.Config.Bool("return_state", false) || fcfg.Bool("return_state", false) {
		return nil, unsupportedf("Bidirectional with return_state")
	}
	if n.Kwargs["initial_state"] != nil {
		return nil, unsupportedf("Bidirectional with initial_state")
	}
	// Keras' Bidirectional makes both halves output zeros at masked steps when they return
	// sequences (force_zero_output_for_mask).
	withZero := func(cfg Config) Config {
		cp := Config{}
		for k, v := range cfg {
			cp[k] = v
		}
		cp["zero_output_for_mask"] = cfg.Bool("return_sequences", false)
		return cp
	}
	fcfg, bcfg = withZero(fcfg), withZero(bcfg)
	fw, err := c.recurrentCall(l, class, fcfg, "forward_layer/cell/", in[0], nil, fcfg.Bool("go_backwards", false))
	if err != nil {
		return nil, err
	}
	bw, err := c.recurrentCall(l, bclass, bcfg, "backward_layer/cell/", in[0], nil, bwBackwards)
	if err != nil {
		return nil, err
	}
	f, b := fw[0], bw[0]
	if fcfg.Bool("return_sequences", false) {
		if b, err = c.Op("Reverse", []*ir.Value{b}, ir.Attrs{"axis": 1}); err != nil {
			return nil, err
		}
	}
	outs, err := c.mergeDirections(l, f, b)
	if err == nil && fcfg.Bool("return_sequences", false) {
		if m := c.maskOf(in[0]); m != nil {
			for _, o := range outs {
				c.masks[o] = m
			}
		}
	}
	return outs, err
}

// mergeDirections merges a Bidirectional's forward and backward outputs per merge_mode.
func (c *LowerCtx) mergeDirections(l *Layer, f, b *ir.Value) ([]*ir.Value, error) {
	mode := l.Config.String("merge_mode", "concat")
	if v, ok := l.Config["merge_mode"]; ok && v == nil {
		mode = "" // merge_mode=None: both outputs
	}
	switch mode {
	case "concat":
		return one(c.Op("Concat", []*ir.Value{f, b}, ir.Attrs{"axis": -1}))
	case "sum":
		return one(c.Op("Binary", []*ir.Value{f, b}, ir.Attrs{"fn": "add"}))
	case "mul":
		return one(c.Op("Binary", []*ir.Value{f, b}, ir.Attrs{"fn": "mul"}))
	case "ave":
		s, err := c.Op("Binary", []*ir.Value{f, b}, ir.Attrs{"fn": "add"})
		if err != nil {
			return nil, err
		}
		return one(c.Op("Binary", []*ir.Value{s, c.Const("half", ir.Shape{}, []float32{0.5})}, ir.Attrs{"fn": "mul"}))
	case "":
		return []*ir.Value{f, b}, nil
	default:
		return nil, unsupportedf("merge_mode %q", mode)
	}
}
