package frontend

import "fmt"

// checkWeightShapes checks that a layer's weights have the shapes its config and input shape
// require (a Dense kernel is (input features, units), ...), so that weights from another
// model or a corrupt file are refused with the layer and variable named. Classes without an
// entry here are not checked; -1 in an expected shape matches any size.
func checkWeightShapes(l *Layer, in []Shape) error {
	if len(in) == 0 || len(l.Weights) == 0 {
		return nil
	}
	want, err := expectedWeightShapes(l, in[0])
	if err != nil || want == nil {
		return err
	}
	for _, w := range l.Weights {
		exp, ok := want[w.Name]
		if !ok {
			continue
		}
		if !shapeFits(Shape(w.Shape), exp) {
			return fmt.Errorf("weight %q has shape %v, but the layer's config and input %s need %v (from %s)",
				w.Name, Shape(w.Shape), in[0], exp, w.Source)
		}
	}
	return nil
}

func shapeFits(got, want Shape) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if want[i] >= 0 && got[i] != want[i] {
			return false
		}
	}
	return true
}

// expectedWeightShapes gives the variable shapes of the common classes.
func expectedWeightShapes(l *Layer, x Shape) (map[string]Shape, error) {
	c := l.Config
	last := dimAt(x, -1)
	channels := last
	if c.String("data_format", "channels_last") == "channels_first" && len(x) > 1 {
		channels = x[1]
	}
	switch l.Class {
	case "Dense":
		u, err := c.Int("units", -1)
		return map[string]Shape{"kernel": {last, u}, "bias": {u}}, err
	case "Embedding":
		v, err1 := c.Int("input_dim", -1)
		d, err2 := c.Int("output_dim", -1)
		return map[string]Shape{"embeddings": {v, d}}, firstErr(err1, err2)
	case "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
		"DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D":
		rank := len(x) - 2
		k, err := c.IntsN("kernel_size", rank, 1)
		if err != nil || rank < 1 {
			return nil, err
		}
		f, _ := c.Int("filters", -1)
		groups, _ := c.Int("groups", 1)
		mult, _ := c.Int("depth_multiplier", 1)
		kern := func(tail ...int) Shape { return append(append(Shape{}, k...), tail...) }
		ones := func(tail ...int) Shape {
			s := make(Shape, rank)
			for i := range s {
				s[i] = 1
			}
			return append(s, tail...)
		}
		inPerGroup := -1
		if channels >= 0 && groups > 0 {
			inPerGroup = channels / groups
		}
		switch l.Class {
		case "Conv1D", "Conv2D", "Conv3D":
			return map[string]Shape{"kernel": kern(inPerGroup, f), "bias": {f}}, nil
		case "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose":
			return map[string]Shape{"kernel": kern(f, channels), "bias": {f}}, nil
		case "DepthwiseConv1D", "DepthwiseConv2D":
			return map[string]Shape{"kernel": kern(channels, mult), "bias": {mulDims(channels, mult)}}, nil
		default:
			return map[string]Shape{"depthwise_kernel": kern(channels, mult),
				"pointwise_kernel": ones(mulDims(channels, mult), f), "bias": {f}}, nil
		}
	case "BatchNormalization":
		axes, err := c.Ints("axis")
		if err != nil || len(axes) != 1 {
			return nil, err
		}
		n := dimAt(x, axes[0])
		return map[string]Shape{"gamma": {n}, "beta": {n}, "moving_mean": {n}, "moving_variance": {n}}, nil
	case "SimpleRNN", "LSTM", "GRU":
		u, err := c.Int("units", -1)
		gates := map[string]int{"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[l.Class]
		bias := Shape{gates * u}
		if l.Class == "GRU" && c.Bool("reset_after", true) {
			bias = Shape{2, gates * u}
		}
		return map[string]Shape{"cell/kernel": {last, gates * u}, "cell/recurrent_kernel": {u, gates * u}, "cell/bias": bias}, err
	}
	return nil, nil
}

// dimAt returns dimension i of a shape (negative i counts from the end), or -1.
func dimAt(s Shape, i int) int {
	if i < 0 {
		i += len(s)
	}
	if i < 0 || i >= len(s) {
		return -1
	}
	return s[i]
}

func mulDims(a, b int) int {
	if a < 0 || b < 0 {
		return -1
	}
	return a * b
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
