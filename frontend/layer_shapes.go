package frontend

import (
	"fmt"
	"regexp"
	"strings"
)

// shapeRule computes the output shapes of one call of a layer, following Keras 3's
// compute_output_shape for the class. in holds the shapes of the call's positional tensors
// (n.Inputs); shapeOf gives the shape of any tensor the call reads, such as a tensor passed
// by keyword (MultiHeadAttention's value, an RNN's initial_state); every tensor of the call
// has a shape by the time a rule runs. Rules return fresh slices and never modify in.
//
// Shapes keep the batch dimension first; -1 is a dimension unknown until run time, and a
// rule keeps it unknown wherever Keras computes None.
type shapeRule func(l *Layer, n Node, in []Shape, shapeOf func(TensorRef) Shape) ([]Shape, error)

// shapeRules maps a Keras class name to its shape rule. Nested models (Sequential,
// Functional) are handled by the traversal, not here.
var shapeRules map[string]shapeRule

func init() {
	shapeRules = map[string]shapeRule{
		"Dense":       ruleDense,
		"EinsumDense": ruleEinsumDense,
		"Embedding":   ruleEmbedding,
		"Lambda":      ruleLambda,
		"TFOpLambda":  ruleTFOpLambda,

		"Flatten":      ruleFlatten,
		"Reshape":      ruleReshape,
		"Permute":      rulePermute,
		"RepeatVector": ruleRepeatVector,

		"Cropping1D":    rulePadCrop(1, -1),
		"Cropping2D":    rulePadCrop(2, -1),
		"Cropping3D":    rulePadCrop(3, -1),
		"ZeroPadding1D": rulePadCrop(1, 1),
		"ZeroPadding2D": rulePadCrop(2, 1),
		"ZeroPadding3D": rulePadCrop(3, 1),
		"UpSampling1D":  ruleUpSampling(1),
		"UpSampling2D":  ruleUpSampling(2),
		"UpSampling3D":  ruleUpSampling(3),

		"Conv1D":          ruleConv(1, convPlain),
		"Conv2D":          ruleConv(2, convPlain),
		"Conv3D":          ruleConv(3, convPlain),
		"Conv1DTranspose": ruleConv(1, convTranspose),
		"Conv2DTranspose": ruleConv(2, convTranspose),
		"Conv3DTranspose": ruleConv(3, convTranspose),
		"DepthwiseConv1D": ruleConv(1, convDepthwise),
		"DepthwiseConv2D": ruleConv(2, convDepthwise),
		"SeparableConv1D": ruleConv(1, convSeparable),
		"SeparableConv2D": ruleConv(2, convSeparable),

		"MaxPooling1D":           rulePool(1),
		"MaxPooling2D":           rulePool(2),
		"MaxPooling3D":           rulePool(3),
		"AveragePooling1D":       rulePool(1),
		"AveragePooling2D":       rulePool(2),
		"AveragePooling3D":       rulePool(3),
		"GlobalMaxPooling1D":     ruleGlobalPool(1),
		"GlobalMaxPooling2D":     ruleGlobalPool(2),
		"GlobalMaxPooling3D":     ruleGlobalPool(3),
		"GlobalAveragePooling1D": ruleGlobalPool(1),
		"GlobalAveragePooling2D": ruleGlobalPool(2),
		"GlobalAveragePooling3D": ruleGlobalPool(3),

		"Add":         ruleMerge(1, 0),
		"Multiply":    ruleMerge(1, 0),
		"Average":     ruleMerge(1, 0),
		"Maximum":     ruleMerge(1, 0),
		"Minimum":     ruleMerge(1, 0),
		"Subtract":    ruleMerge(2, 2),
		"Concatenate": ruleConcatenate,
		"Dot":         ruleDot,

		"Resizing":   ruleResize,
		"CenterCrop": ruleResize,
		// At inference RandomCrop center-crops (or resizes) to height x width.
		"RandomCrop":       ruleResize,
		"CategoryEncoding": ruleCategoryEncoding,

		"SimpleRNN":       ruleRNN,
		"LSTM":            ruleRNN,
		"GRU":             ruleRNN,
		"Bidirectional":   ruleBidirectional,
		"TimeDistributed": ruleTimeDistributed,

		"MultiHeadAttention": ruleMultiHeadAttention,
		"Attention":          ruleAttention,
		"AdditiveAttention":  ruleAttention,
	}
	// Layers whose output has the shape of their single input.
	for _, c := range []string{
		"Activation", "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax", "ThresholdedReLU",
		"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
		"GaussianNoise", "AlphaDropout", "ActivityRegularization", "Masking",
		"BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
		"Rescaling", "Normalization", "Identity",
		// Random augmentation layers are the identity at inference (training=False), which is
		// what a compiled model runs.
		"RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
		"RandomBrightness",
		// tf-keras' RandomHeight/RandomWidth (not in Keras 3) return their input at inference.
		"RandomHeight", "RandomWidth",
	} {
		shapeRules[c] = ruleIdentity
	}
}

// ---- helpers ----

// single returns the only positional input of a call.
func single(in []Shape) (Shape, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("called with %d positional tensors, want 1", len(in))
	}
	if len(in[0]) == 0 {
		return nil, fmt.Errorf("input is a scalar, want a batch")
	}
	return in[0], nil
}

// rankIs checks an input's rank.
func rankIs(s Shape, rank int, what string) error {
	if len(s) != rank {
		return fmt.Errorf("input shape %s: want rank %d (%s)", s, rank, what)
	}
	return nil
}

// channelsFirst reads data_format.
func channelsFirst(cfg Config) (bool, error) {
	switch f := cfg.String("data_format", "channels_last"); f {
	case "channels_last":
		return false, nil
	case "channels_first":
		return true, nil
	default:
		return false, fmt.Errorf("data_format %q is neither channels_last nor channels_first", f)
	}
}

// spatialAxes returns the indices of the spatial axes and the channel axis of a rank-(k+2)
// shape.
func spatialAxes(rank int, cf bool) (spatial []int, channel int) {
	if cf {
		for i := 2; i < rank; i++ {
			spatial = append(spatial, i)
		}
		return spatial, 1
	}
	for i := 1; i < rank-1; i++ {
		spatial = append(spatial, i)
	}
	return spatial, rank - 1
}

func clone(s Shape) Shape { return append(Shape(nil), s...) }

// normAxis maps an axis in [-rank, rank) to [0, rank).
func normAxis(axis, rank int) (int, error) {
	if axis < -rank || axis >= rank {
		return 0, fmt.Errorf("axis %d is out of range for rank %d", axis, rank)
	}
	if axis < 0 {
		axis += rank
	}
	return axis, nil
}

func positiveInt(cfg Config, key string) (int, error) {
	if !cfg.Has(key) {
		return 0, fmt.Errorf("config has no %q", key)
	}
	v, err := cfg.Int(key, 0)
	if err != nil {
		return 0, err
	}
	if v <= 0 {
		return 0, fmt.Errorf("config %q is %d, want a positive integer", key, v)
	}
	return v, nil
}

func positiveInts(cfg Config, key string, n, def int) ([]int, error) {
	xs, err := cfg.IntsN(key, n, def)
	if err != nil {
		return nil, err
	}
	for _, x := range xs {
		if x <= 0 {
			return nil, fmt.Errorf("config %q is %v, want positive integers", key, xs)
		}
	}
	return xs, nil
}

// tensorArg returns the shape of a call argument given positionally (index pos of the
// positional tensors) or by keyword; nil when absent.
func tensorArg(n Node, in []Shape, pos int, key string, shapeOf func(TensorRef) Shape) Shape {
	if pos < len(in) {
		return in[pos]
	}
	if r, ok := n.Kwargs[key].(TensorRef); ok {
		return shapeOf(r)
	}
	return nil
}

func callFlag(n Node, key string) bool {
	b, _ := n.Kwargs[key].(bool)
	return b
}

// ---- core ----

func ruleIdentity(_ *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	s, err := single(in)
	if err != nil {
		return nil, err
	}
	return []Shape{clone(s)}, nil
}

// ruleDense: Dense applies to the last axis of an input of any rank >= 2.
func ruleDense(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	s, err := single(in)
	if err != nil {
		return nil, err
	}
	units, err := positiveInt(l.Config, "units")
	if err != nil {
		return nil, err
	}
	if len(s) < 2 {
		return nil, fmt.Errorf("input shape %s: want rank >= 2", s)
	}
	if s[len(s)-1] < 0 {
		return nil, fmt.Errorf("input shape %s: the last dimension must be known", s)
	}
	out := clone(s)
	out[len(out)-1] = units
	return []Shape{out}, nil
}

var (
	reEinsumPlain = regexp.MustCompile(`^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$`)
	reEinsumLeft  = regexp.MustCompile(`^0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$`)
	reEinsumRight = regexp.MustCompile(`^([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$`)
)

// ruleEinsumDense follows Keras' _analyze_einsum_string: the config's output_shape (without
// the batch; None entries allowed) plus the batch and the elided axes. A None entry for an
// axis the output shares with the input takes the input's dimension, which is what the einsum
// computes.
func ruleEinsumDense(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	s, err := single(in)
	if err != nil {
		return nil, err
	}
	eq := strings.ReplaceAll(strings.ReplaceAll(l.Config.String("equation", ""), " ", ""), "...", "0")
	var m []string
	left := false
	if m = reEinsumPlain.FindStringSubmatch(eq); m == nil {
		if m = reEinsumLeft.FindStringSubmatch(eq); m != nil {
			left = true
		} else if m = reEinsumRight.FindStringSubmatch(eq); m == nil {
			return nil, fmt.Errorf("equation %q is not of the form ab,bc->ac, ...b,bc->...c or ab...,bc->ac...", l.Config.String("equation", ""))
		}
	}
	inSpec, wSpec, outSpec := m[1], m[2], m[3]
	var partial []int
	switch v := l.Config["output_shape"].(type) {
	case float64:
		n, err := l.Config.Int("output_shape", 0)
		if err != nil {
			return nil, err
		}
		partial = []int{n}
	case []any:
		if partial, _, err = l.Config.Shape("output_shape"); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("config output_shape %v is neither an integer nor a list", v)
	}
	elided := len(s) - len(inSpec)
	switch {
	case elided < 0 || (left && elided < 1):
		return nil, fmt.Errorf("input shape %s does not fit equation input %q", s, l.Config.String("equation", ""))
	case left && len(partial) != len(outSpec), !left && len(partial)+1 != len(outSpec):
		return nil, fmt.Errorf("output_shape %v does not fit equation output %q", Shape(partial), outSpec)
	}
	// The output: the batch, the elided leading input axes (left ellipsis), output_shape, the
	// elided trailing input axes (right ellipsis). Keras inserts the leading ones in reverse
	// order, which only matters for more than two; the einsum keeps their order.
	out := Shape{s[0]}
	if left {
		out = append(out, s[1:elided]...)
	}
	out = append(out, partial...)
	if !left && elided > 0 {
		out = append(out, s[len(s)-elided:]...)
	}
	inIdx := func(i int) int { return i }
	outIdx := func(i int) int { return i }
	if left {
		inIdx = func(i int) int { return i + elided }
		outIdx = func(i int) int { return i + elided }
	}
	for i, c := range inSpec {
		j := strings.IndexRune(outSpec, c)
		if j < 0 {
			continue
		}
		di, do := s[inIdx(i)], out[outIdx(j)]
		switch {
		case do < 0:
			out[outIdx(j)] = di
		case di >= 0 && di != do:
			return nil, fmt.Errorf("input shape %s and output_shape %v differ at shared axis %q", s, Shape(partial), string(c))
		}
	}
	for _, c := range outSpec {
		if !strings.ContainsRune(inSpec, c) && !strings.ContainsRune(wSpec, c) {
			return nil, fmt.Errorf("equation output axis %q is in neither the input nor the kernel", string(c))
		}
	}
	return []Shape{out}, nil
}

// ruleEmbedding: the input's shape plus output_dim.
func ruleEmbedding(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	s, err := single(in)
	if err != nil {
		return nil, err
	}
	dim, err := positiveInt(l.Config, "output_dim")
	if err != nil {
		return nil, err
	}
	return []Shape{append(clone(s), dim)}, nil
}

// ruleLambda uses the config's output_shape (without the batch, Keras' rule) when it is a
// list. Without one (or with a Python function for it) the function's shape cannot be known
// here: this rule assumes the Lambda keeps its input's shape, which the usual Lambdas
// (scaling, normalizing pixels) do.
func ruleLambda(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("called with no positional tensor")
	}
	batch := -1
	if len(in[0]) > 0 {
		batch = in[0][0]
	}
	if raw, ok := l.Config["output_shape"].([]any); ok && len(raw) > 0 {
		if _, nested := raw[0].([]any); nested { // several outputs
			var outs []Shape
			for i, e := range raw {
				s, _, err := Config{"output_shape": e}.Shape("output_shape")
				if err != nil {
					return nil, fmt.Errorf("output_shape[%d]: %w", i, err)
				}
				outs = append(outs, append(Shape{batch}, s...))
			}
			return outs, nil
		}
		s, _, err := l.Config.Shape("output_shape")
		if err != nil {
			return nil, err
		}
		return []Shape{append(Shape{batch}, s...)}, nil
	}
	// No output_shape, or a serialized Python function for it (not evaluated here): assume
	// the identity.
	if len(in) != 1 {
		return nil, fmt.Errorf("called with %d tensors and no output_shape in its config: cannot tell its output shape", len(in))
	}
	return []Shape{clone(in[0])}, nil
}

// tfOpUnary are tf-keras TFOpLambda functions that keep their input's shape.
var tfOpUnary = map[string]bool{
	"nn.relu": true, "nn.relu6": true, "nn.elu": true, "nn.selu": true, "nn.gelu": true,
	"nn.silu": true, "nn.swish": true, "nn.softmax": true, "nn.log_softmax": true,
	"nn.softplus": true, "nn.softsign": true, "nn.leaky_relu": true, "nn.sigmoid": true,
	"nn.tanh": true, "math.sigmoid": true, "math.tanh": true, "math.exp": true, "math.log": true,
	"math.sqrt": true, "math.rsqrt": true, "math.square": true, "math.abs": true,
	"math.negative": true, "math.sin": true, "math.cos": true, "math.erf": true,
	"math.softplus": true, "math.reciprocal": true, "math.sign": true, "math.floor": true,
	"math.ceil": true, "math.round": true, "math.l2_normalize": true, "nn.l2_normalize": true,
	"identity": true, "cast": true, "clip_by_value": true, "math.log1p": true, "math.expm1": true,
	"stop_gradient": true, "sigmoid": true, "tanh": true, "exp": true, "abs": true, "sqrt": true,
}

// tfOpBinary are tf-keras TFOpLambda functions that broadcast their operands elementwise.
var tfOpBinary = map[string]bool{
	"__operators__.add": true, "math.add": true, "add": true, "math.subtract": true,
	"subtract": true, "math.multiply": true, "multiply": true, "math.truediv": true,
	"math.divide": true, "truediv": true, "divide": true, "math.maximum": true, "maximum": true,
	"math.minimum": true, "minimum": true, "math.pow": true, "pow": true,
	"math.squared_difference": true, "math.floordiv": true, "math.floormod": true,
	"math.divide_no_nan": true, "math.add_n": true, "__operators__.sub": true,
	"__operators__.mul": true, "__operators__.truediv": true,
}

// ruleTFOpLambda covers tf-keras' TFOpLambda calls of elementwise TensorFlow functions: the
// operands (positional tensors and the keyword tensors x and y; a number broadcasts) are
// broadcast like NumPy.
func ruleTFOpLambda(l *Layer, n Node, in []Shape, shapeOf func(TensorRef) Shape) ([]Shape, error) {
	fn := strings.TrimPrefix(l.Config.String("function", ""), "tf.")
	if !tfOpUnary[fn] && !tfOpBinary[fn] {
		return nil, fmt.Errorf("TFOpLambda function %q has no shape rule (only elementwise TensorFlow functions do)", fn)
	}
	ops := append([]Shape(nil), in...)
	for _, k := range []string{"x", "y"} {
		switch v := n.Kwargs[k].(type) {
		case TensorRef:
			ops = append(ops, shapeOf(v))
		case []TensorRef:
			for _, r := range v {
				ops = append(ops, shapeOf(r))
			}
		}
	}
	if len(ops) == 0 {
		return nil, fmt.Errorf("called with no tensor")
	}
	out := clone(ops[0])
	for _, s := range ops[1:] {
		b, err := broadcastShapes(out, s)
		if err != nil {
			return nil, err
		}
		out = b
	}
	return []Shape{out}, nil
}

// broadcastShapes broadcasts two shapes like NumPy, aligned on the right. An unknown
// dimension against a known one greater than 1 is that one (the only size it can broadcast
// to); against 1 or unknown it stays unknown.
func broadcastShapes(a, b Shape) (Shape, error) {
	if len(a) < len(b) {
		a, b = b, a
	}
	out := clone(a)
	off := len(a) - len(b)
	for i, d := range b {
		o, err := broadcastDim(a[off+i], d)
		if err != nil {
			return nil, fmt.Errorf("input shapes %s and %s cannot be broadcast together", a, b)
		}
		out[off+i] = o
	}
	return out, nil
}

func broadcastDim(x, y int) (int, error) {
	switch {
	case x == y:
		return x, nil
	case x == 1:
		return y, nil
	case y == 1:
		return x, nil
	case x < 0:
		return y, nil
	case y < 0:
		return x, nil
	}
	return 0, fmt.Errorf("dimensions %d and %d differ", x, y)
}

// ---- reshaping ----

// ruleFlatten: (batch, product of the other dimensions); unknown when one is unknown.
func ruleFlatten(_ *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	s, err := single(in)
	if err != nil {
		return nil, err
	}
	p, err := sampleSize(s)
	if err != nil {
		return nil, err
	}
	return []Shape{{s[0], p}}, nil
}

// sampleSize is the number of elements of one sample (all axes but the batch), -1 when a
// dimension is unknown.
func sampleSize(s Shape) (int, error) {
	p := 1
	for _, d := range s[1:] {
		if d < 0 {
			return -1, nil
		}
		if d > 0 && p > maxElements/d {
			return 0, fmt.Errorf("input shape %s has more than %d elements per sample", s, maxElements)
		}
		p *= d
	}
	return p, nil
}

// maxElements bounds the sizes shape rules multiply out, so that a hostile config cannot
// overflow them.
const maxElements = 1 << 53

// ruleReshape: target_shape (without the batch) with at most one -1, resolved from the
// input's size when every input dimension is known.
func ruleReshape(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	s, err := single(in)
	if err != nil {
		return nil, err
	}
	target, ok, err := l.Config.Shape("target_shape")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("config has no target_shape")
	}
	unknown, known := -1, 1
	for i, d := range target {
		switch {
		case d > maxElements || known > maxElements/max(d, 1):
			return nil, fmt.Errorf("target_shape %v is too large", Shape(target))
		case d == -1 && unknown >= 0:
			return nil, fmt.Errorf("target_shape %v has more than one unknown dimension", Shape(target))
		case d == -1:
			unknown = i
		case d <= 0:
			return nil, fmt.Errorf("target_shape %v has a non-positive dimension", Shape(target))
		default:
			known *= d
		}
	}
	size, err := sampleSize(s)
	if err != nil {
		return nil, err
	}
	out := append(Shape{s[0]}, target...)
	switch {
	case size < 0:
	case unknown < 0 && size != known:
		return nil, fmt.Errorf("input shape %s (%d elements per sample) cannot be reshaped to %v", s, size, Shape(target))
	case unknown >= 0:
		if size%known != 0 {
			return nil, fmt.Errorf("input shape %s (%d elements per sample) cannot be reshaped to %v", s, size, Shape(target))
		}
		out[1+unknown] = size / known
	}
	return []Shape{out}, nil
}

// rulePermute: dims are 1-based indices of the non-batch axes.
func rulePermute(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	s, err := single(in)
	if err != nil {
		return nil, err
	}
	dims, err := l.Config.Ints("dims")
	if err != nil {
		return nil, err
	}
	if len(dims) != len(s)-1 {
		return nil, fmt.Errorf("input shape %s: dims %v must permute its %d non-batch axes", s, dims, len(s)-1)
	}
	seen := map[int]bool{}
	out := Shape{s[0]}
	for _, d := range dims {
		if d < 1 || d >= len(s) || seen[d] {
			return nil, fmt.Errorf("dims %v is not a permutation of 1..%d", dims, len(s)-1)
		}
		seen[d] = true
		out = append(out, s[d])
	}
	return []Shape{out}, nil
}

// ruleRepeatVector: (batch, features) -> (batch, n, features).
func ruleRepeatVector(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	s, err := single(in)
	if err != nil {
		return nil, err
	}
	if err := rankIs(s, 2, "batch, features"); err != nil {
		return nil, err
	}
	n, err := positiveInt(l.Config, "n")
	if err != nil {
		return nil, err
	}
	return []Shape{{s[0], n, s[1]}}, nil
}

// padPairs reads the (before, after) amounts of ZeroPadding/Cropping for k spatial axes: an
// int for all, one int per axis (symmetric), or one pair per axis; 1D layers take an int or
// one pair.
func padPairs(cfg Config, key string, k, def int) ([][2]int, error) {
	out := make([][2]int, k)
	v, ok := cfg[key]
	if !ok || v == nil {
		for i := range out {
			out[i] = [2]int{def, def}
		}
		return out, nil
	}
	bad := fmt.Errorf("config %q is %v: want an int, %d ints or %d pairs of ints", key, v, k, k)
	toI := func(e any) (int, bool) {
		n, err := toInt(key, e)
		return n, err == nil && n >= 0
	}
	if n, ok := toI(v); ok {
		for i := range out {
			out[i] = [2]int{n, n}
		}
		return out, nil
	}
	arr, ok := v.([]any)
	if !ok {
		return nil, bad
	}
	if k == 1 {
		if len(arr) != 2 {
			return nil, bad
		}
		a, ok1 := toI(arr[0])
		b, ok2 := toI(arr[1])
		if !ok1 || !ok2 {
			return nil, bad
		}
		return [][2]int{{a, b}}, nil
	}
	if len(arr) != k {
		return nil, bad
	}
	for i, e := range arr {
		if n, ok := toI(e); ok {
			out[i] = [2]int{n, n}
			continue
		}
		p, ok := e.([]any)
		if !ok || len(p) != 2 {
			return nil, bad
		}
		a, ok1 := toI(p[0])
		b, ok2 := toI(p[1])
		if !ok1 || !ok2 {
			return nil, bad
		}
		out[i] = [2]int{a, b}
	}
	return out, nil
}

// rulePadCrop: ZeroPadding (sign 1) adds, Cropping (sign -1) removes, the amounts on each
// spatial axis.
func rulePadCrop(k, sign int) shapeRule {
	return func(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
		s, err := single(in)
		if err != nil {
			return nil, err
		}
		if err := rankIs(s, k+2, "batch, spatial axes, channels"); err != nil {
			return nil, err
		}
		cf, err := channelsFirst(l.Config)
		if err != nil {
			return nil, err
		}
		key, def := "padding", 1
		if sign < 0 {
			key, def = "cropping", 0
			if k == 1 {
				def = 1
			}
		}
		pairs, err := padPairs(l.Config, key, k, def)
		if err != nil {
			return nil, err
		}
		out := clone(s)
		axes, _ := spatialAxes(len(s), cf)
		for i, ax := range axes {
			if out[ax] < 0 {
				continue
			}
			out[ax] += sign * (pairs[i][0] + pairs[i][1])
			if out[ax] <= 0 {
				return nil, fmt.Errorf("input shape %s: %s %v leaves nothing of axis %d", s, key, pairs, ax)
			}
		}
		return []Shape{out}, nil
	}
}

// ruleUpSampling repeats each spatial axis size times.
func ruleUpSampling(k int) shapeRule {
	return func(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
		s, err := single(in)
		if err != nil {
			return nil, err
		}
		if err := rankIs(s, k+2, "batch, spatial axes, channels"); err != nil {
			return nil, err
		}
		cf := false
		if k > 1 { // UpSampling1D has no data_format
			if cf, err = channelsFirst(l.Config); err != nil {
				return nil, err
			}
		}
		size, err := positiveInts(l.Config, "size", k, 2)
		if err != nil {
			return nil, err
		}
		out := clone(s)
		axes, _ := spatialAxes(len(s), cf)
		for i, ax := range axes {
			if out[ax] > maxElements/size[i] {
				return nil, fmt.Errorf("input shape %s, size %v: output too large", s, size)
			}
			if out[ax] >= 0 {
				out[ax] *= size[i]
			}
		}
		return []Shape{out}, nil
	}
}

// ---- convolution and pooling ----

type convKind int

const (
	convPlain convKind = iota
	convTranspose
	convDepthwise
	convSeparable
)

// convOutputLength is Keras' compute_conv_output_shape for one axis: 'valid' gives
// floor((n - dilation*(k-1) - 1)/stride) + 1, 'same' and 'causal' give ceil(n/stride).
func convOutputLength(n, k, stride, dilation int, padding string) (int, error) {
	if n < 0 {
		return -1, nil
	}
	switch padding {
	case "valid":
		out := floorDiv(n-dilation*(k-1)-1, stride) + 1
		if out <= 0 {
			return 0, fmt.Errorf("computed output size would be zero or negative")
		}
		return out, nil
	case "same", "causal":
		return floorDiv(n-1, stride) + 1, nil
	}
	return 0, fmt.Errorf("padding %q is not valid, same or causal", padding)
}

// convTransposeOutputLength is Keras' compute_conv_transpose_output_shape for one axis.
// outputPadding < 0 means none.
func convTransposeOutputLength(n, k, stride, dilation, outputPadding int, padding string) (int, error) {
	if n < 0 {
		return -1, nil
	}
	if n > maxElements/stride || k > maxElements/dilation {
		return 0, fmt.Errorf("output size too large")
	}
	k = (k-1)*dilation + 1
	switch padding {
	case "valid":
		if outputPadding < 0 {
			outputPadding = max(k, stride) - k
		}
		return (n-1)*stride + k + outputPadding, nil
	case "same":
		if outputPadding < 0 {
			return n * stride, nil
		}
		return (n-1)*stride + k%2 + outputPadding, nil
	}
	return 0, fmt.Errorf("padding %q is not valid or same", padding)
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func ruleConv(k int, kind convKind) shapeRule {
	return func(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
		s, err := single(in)
		if err != nil {
			return nil, err
		}
		if err := rankIs(s, k+2, "batch, spatial axes, channels"); err != nil {
			return nil, err
		}
		cfg := l.Config
		cf, err := channelsFirst(cfg)
		if err != nil {
			return nil, err
		}
		kernel, err := positiveInts(cfg, "kernel_size", k, -1)
		if err != nil {
			return nil, err
		}
		strides, err := positiveInts(cfg, "strides", k, 1)
		if err != nil {
			return nil, err
		}
		dilation, err := positiveInts(cfg, "dilation_rate", k, 1)
		if err != nil {
			return nil, err
		}
		padding := strings.ToLower(cfg.String("padding", "valid"))
		if padding == "causal" && (k != 1 || kind == convTranspose) {
			return nil, fmt.Errorf("padding 'causal' is only for 1D convolutions")
		}
		axes, chAxis := spatialAxes(len(s), cf)
		inCh := s[chAxis]
		if inCh < 0 {
			return nil, fmt.Errorf("input shape %s: the channel dimension must be known", s)
		}
		var filters int
		switch kind {
		case convDepthwise:
			dm, err := cfg.Int("depth_multiplier", 1)
			if err != nil {
				return nil, err
			}
			if dm <= 0 {
				return nil, fmt.Errorf("depth_multiplier %d is not positive", dm)
			}
			filters = inCh * dm
		default:
			if filters, err = positiveInt(cfg, "filters"); err != nil {
				return nil, err
			}
		}
		if kind == convPlain || kind == convTranspose {
			groups, err := cfg.Int("groups", 1)
			if err != nil {
				return nil, err
			}
			if groups <= 0 || inCh%groups != 0 || filters%groups != 0 {
				return nil, fmt.Errorf("input shape %s: groups %d must divide the input channels and filters %d", s, groups, filters)
			}
		}
		var outPad []int
		if kind == convTranspose && cfg.Has("output_padding") {
			if outPad, err = cfg.IntsN("output_padding", k, 0); err != nil {
				return nil, err
			}
		}
		out := clone(s)
		out[chAxis] = filters
		for i, ax := range axes {
			var n int
			if kind == convTranspose {
				op := -1
				if outPad != nil {
					op = outPad[i]
				}
				n, err = convTransposeOutputLength(s[ax], kernel[i], strides[i], dilation[i], op, padding)
			} else {
				n, err = convOutputLength(s[ax], kernel[i], strides[i], dilation[i], padding)
			}
			if err != nil {
				return nil, fmt.Errorf("input shape %s, kernel_size %v, strides %v, dilation_rate %v, padding %s: %w",
					s, kernel, strides, dilation, padding, err)
			}
			out[ax] = n
		}
		return []Shape{out}, nil
	}
}

// rulePool is Keras' compute_pooling_output_shape: strides default to pool_size; 'valid'
// gives floor((n - pool)/stride) + 1, 'same' ceil(n/stride).
func rulePool(k int) shapeRule {
	return func(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
		s, err := single(in)
		if err != nil {
			return nil, err
		}
		if err := rankIs(s, k+2, "batch, spatial axes, channels"); err != nil {
			return nil, err
		}
		cfg := l.Config
		cf, err := channelsFirst(cfg)
		if err != nil {
			return nil, err
		}
		pool, err := positiveInts(cfg, "pool_size", k, 2)
		if err != nil {
			return nil, err
		}
		strides := pool
		if cfg.Has("strides") {
			if strides, err = positiveInts(cfg, "strides", k, 1); err != nil {
				return nil, err
			}
		}
		padding := strings.ToLower(cfg.String("padding", "valid"))
		out := clone(s)
		axes, _ := spatialAxes(len(s), cf)
		for i, ax := range axes {
			n := s[ax]
			if n < 0 {
				continue
			}
			switch padding {
			case "valid":
				n = floorDiv(n-pool[i], strides[i]) + 1
				if n <= 0 {
					return nil, fmt.Errorf("input shape %s, pool_size %v, strides %v, padding valid: computed output size would be zero or negative", s, pool, strides)
				}
			case "same":
				n = floorDiv(n-1, strides[i]) + 1
			default:
				return nil, fmt.Errorf("padding %q is not valid or same", padding)
			}
			out[ax] = n
		}
		return []Shape{out}, nil
	}
}

// ruleGlobalPool: (batch, channels), or with keepdims the spatial axes become 1.
func ruleGlobalPool(k int) shapeRule {
	return func(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
		s, err := single(in)
		if err != nil {
			return nil, err
		}
		if err := rankIs(s, k+2, "batch, spatial axes, channels"); err != nil {
			return nil, err
		}
		cf, err := channelsFirst(l.Config)
		if err != nil {
			return nil, err
		}
		axes, ch := spatialAxes(len(s), cf)
		if !l.Config.Bool("keepdims", false) {
			return []Shape{{s[0], s[ch]}}, nil
		}
		out := clone(s)
		for _, ax := range axes {
			out[ax] = 1
		}
		return []Shape{out}, nil
	}
}

// ---- merging ----

// ruleMerge is Keras' Merge.compute_output_shape for elementwise merges (Add, Multiply, ...):
// the non-batch shapes broadcast aligned on the right (Keras' call expands the lower-rank
// inputs at axis 1, which is the same); known batch sizes must agree. exact > 0 requires that
// many inputs (Subtract: 2), else at least least. Keras leaves a dimension None when one input
// has it None; here it is the other input's dimension when that is known and not 1, the only
// size the result can have.
func ruleMerge(least, exact int) shapeRule {
	return func(_ *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
		if exact > 0 && len(in) != exact {
			return nil, fmt.Errorf("called with %d tensors, want exactly %d", len(in), exact)
		}
		if len(in) < least {
			return nil, fmt.Errorf("called with %d tensors, want at least %d", len(in), least)
		}
		batches := map[int]bool{}
		var out Shape
		for i, s := range in {
			if len(s) == 0 {
				return nil, fmt.Errorf("input %d is a scalar", i)
			}
			if s[0] >= 0 {
				batches[s[0]] = true
			}
			if i == 0 {
				out = clone(s[1:])
				continue
			}
			b, err := broadcastShapes(out, s[1:])
			if err != nil {
				return nil, fmt.Errorf("input shapes %s are incompatible: %w", shapeList(in), err)
			}
			out = b
		}
		if len(batches) > 1 {
			return nil, fmt.Errorf("input shapes %s have different batch sizes", shapeList(in))
		}
		batch := -1
		for b := range batches {
			batch = b
		}
		return []Shape{append(Shape{batch}, out...)}, nil
	}
}

func shapeList(in []Shape) string {
	parts := make([]string, len(in))
	for i, s := range in {
		parts[i] = s.String()
	}
	return strings.Join(parts, ", ")
}

// ruleConcatenate: every dimension but axis must agree; the axis dimensions add up.
func ruleConcatenate(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	if len(in) < 1 {
		return nil, fmt.Errorf("called with no tensors")
	}
	axis, err := l.Config.Int("axis", -1)
	if err != nil {
		return nil, err
	}
	rank := len(in[0])
	ax, err := normAxis(axis, rank)
	if err != nil {
		return nil, fmt.Errorf("input shape %s: %w", in[0], err)
	}
	if ax == 0 {
		return nil, fmt.Errorf("axis %d is the batch axis", axis)
	}
	out := clone(in[0])
	for _, s := range in[1:] {
		if len(s) != rank {
			return nil, fmt.Errorf("input shapes %s have different ranks", shapeList(in))
		}
		for i := range s {
			if i == ax {
				if out[i] < 0 || s[i] < 0 {
					out[i] = -1
				} else {
					out[i] += s[i]
				}
				continue
			}
			switch {
			case s[i] < 0:
			case out[i] < 0:
				out[i] = s[i]
			case out[i] != s[i] && i == 0:
				out[i] = -1 // differing known batches: Keras keeps the first; leave it unknown
			case out[i] != s[i]:
				return nil, fmt.Errorf("input shapes %s differ outside the concatenation axis %d", shapeList(in), axis)
			}
		}
	}
	return []Shape{out}, nil
}

// ruleDot is Keras' Dot.compute_output_shape: both inputs lose their contracted axis, the
// second also its batch; a result of rank 1 gets a trailing 1.
func ruleDot(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("called with %d tensors, want 2", len(in))
	}
	a, b := in[0], in[1]
	axes, err := l.Config.Ints("axes")
	if err != nil {
		return nil, err
	}
	if len(axes) == 1 {
		axes = []int{axes[0], axes[0]}
	}
	if len(axes) != 2 {
		return nil, fmt.Errorf("config axes %v: want one or two axes", axes)
	}
	ax0, err := normAxis(axes[0], len(a))
	if err != nil {
		return nil, fmt.Errorf("input shape %s: %w", a, err)
	}
	ax1, err := normAxis(axes[1], len(b))
	if err != nil {
		return nil, fmt.Errorf("input shape %s: %w", b, err)
	}
	if ax0 == 0 || ax1 == 0 {
		return nil, fmt.Errorf("axes %v include the batch axis", axes)
	}
	if a[ax0] >= 0 && b[ax1] >= 0 && a[ax0] != b[ax1] {
		return nil, fmt.Errorf("input shapes %s and %s: dimension %d of axis %d and dimension %d of axis %d differ",
			a, b, a[ax0], axes[0], b[ax1], axes[1])
	}
	out := append(append(Shape(nil), a[:ax0]...), a[ax0+1:]...)
	for i, d := range b {
		if i != ax1 && i != 0 {
			out = append(out, d)
		}
	}
	if len(out) == 1 {
		out = append(out, 1)
	}
	return []Shape{out}, nil
}

// ---- preprocessing ----

// ruleResize (Resizing, CenterCrop, RandomCrop): the image axes become height x width.
func ruleResize(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	s, err := single(in)
	if err != nil {
		return nil, err
	}
	if err := rankIs(s, 4, "batch, height, width, channels"); err != nil {
		return nil, err
	}
	cf, err := channelsFirst(l.Config)
	if err != nil {
		return nil, err
	}
	h, err := positiveInt(l.Config, "height")
	if err != nil {
		return nil, err
	}
	w, err := positiveInt(l.Config, "width")
	if err != nil {
		return nil, err
	}
	out := clone(s)
	axes, _ := spatialAxes(4, cf)
	out[axes[0]], out[axes[1]] = h, w
	return []Shape{out}, nil
}

// ruleCategoryEncoding is Keras' CategoryEncoding.compute_output_shape.
func ruleCategoryEncoding(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	s, err := single(in)
	if err != nil {
		return nil, err
	}
	n, err := positiveInt(l.Config, "num_tokens")
	if err != nil {
		return nil, err
	}
	if l.Config.String("output_mode", "multi_hot") == "one_hot" && (s[len(s)-1] != 1 || len(s) == 1) {
		return []Shape{append(clone(s), n)}, nil
	}
	return []Shape{append(clone(s[:len(s)-1]), n)}, nil
}

// ---- recurrent ----

// rnnShapes is Keras' RNN.compute_output_shape for SimpleRNN, LSTM and GRU: the output
// (batch, time, units) or (batch, units), then with return_state one (batch, units) per state
// (LSTM: h and c).
func rnnShapes(class string, cfg Config, s Shape) ([]Shape, error) {
	states := 1
	switch class {
	case "LSTM":
		states = 2
	case "GRU", "SimpleRNN":
	default:
		return nil, fmt.Errorf("wrapped layer class %s is not SimpleRNN, LSTM or GRU", class)
	}
	if err := rankIs(s, 3, "batch, time, features"); err != nil {
		return nil, err
	}
	if s[2] < 0 {
		return nil, fmt.Errorf("input shape %s: the feature dimension must be known", s)
	}
	units, err := positiveInt(cfg, "units")
	if err != nil {
		return nil, err
	}
	if cfg.Bool("time_major", false) {
		return nil, fmt.Errorf("time_major RNNs are not supported")
	}
	out := []Shape{{s[0], units}}
	if cfg.Bool("return_sequences", false) {
		out[0] = Shape{s[0], s[1], units}
	}
	if cfg.Bool("return_state", false) {
		for range states {
			out = append(out, Shape{s[0], units})
		}
	}
	return out, nil
}

func ruleRNN(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("called with %d positional tensors, want the sequence only (initial states go in initial_state)", len(in))
	}
	return rnnShapes(l.Class, l.Config, in[0])
}

// ruleBidirectional is Keras' Bidirectional.compute_output_shape: merge_mode concat doubles
// the last axis, sum/ave/mul keep it, None gives the forward and backward outputs; with
// return_state the forward states then the backward states follow.
func ruleBidirectional(l *Layer, _ Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("called with %d positional tensors, want the sequence only", len(in))
	}
	fc, fcfg, ok := l.Config.Object("layer")
	if !ok {
		return nil, fmt.Errorf("config has no wrapped layer")
	}
	fw, err := rnnShapes(fc, fcfg, in[0])
	if err != nil {
		return nil, err
	}
	bw := fw
	if bc, bcfg, ok := l.Config.Object("backward_layer"); ok {
		if bw, err = rnnShapes(bc, bcfg, in[0]); err != nil {
			return nil, fmt.Errorf("backward layer: %w", err)
		}
		if len(bw) != len(fw) || len(bw[0]) != len(fw[0]) {
			return nil, fmt.Errorf("the backward layer's return_sequences/return_state differ from the forward layer's")
		}
	}
	mode, present := l.Config["merge_mode"]
	if !present {
		mode = "concat"
	}
	var outs []Shape
	fo, bo := fw[0], bw[0]
	switch mode {
	case "concat":
		o := clone(fo)
		o[len(o)-1] += bo[len(bo)-1]
		outs = []Shape{o}
	case "sum", "ave", "mul":
		if !fo.Equal(bo) {
			return nil, fmt.Errorf("merge_mode %s of outputs %s and %s of different shapes", mode, fo, bo)
		}
		outs = []Shape{clone(fo)}
	case nil:
		outs = []Shape{clone(fo), clone(bo)}
	default:
		return nil, fmt.Errorf("merge_mode %v is not concat, sum, ave, mul or None", mode)
	}
	outs = append(outs, fw[1:]...)
	return append(outs, bw[1:]...), nil
}

// ruleTimeDistributed applies the wrapped layer's rule to the input without its time axis.
func ruleTimeDistributed(l *Layer, n Node, in []Shape, shapeOf func(TensorRef) Shape) ([]Shape, error) {
	s, err := single(in)
	if err != nil {
		return nil, err
	}
	if len(s) < 3 {
		return nil, fmt.Errorf("input shape %s: want rank >= 3 (batch, time, ...)", s)
	}
	class, cfg, ok := l.Config.Object("layer")
	if !ok {
		return nil, fmt.Errorf("config has no wrapped layer")
	}
	rule, ok := shapeRules[class]
	if !ok {
		return nil, fmt.Errorf("no shape rule for wrapped class %s", class)
	}
	inner := &Layer{Name: cfg.String("name", l.Name), Class: class, Config: cfg}
	child := append(Shape{s[0]}, s[2:]...)
	outs, err := rule(inner, Node{Inputs: []TensorRef{{}}, Kwargs: map[string]any{}}, []Shape{child}, shapeOf)
	if err != nil {
		return nil, fmt.Errorf("wrapped layer %s: %w", class, err)
	}
	if len(outs) != 1 || len(outs[0]) == 0 {
		return nil, fmt.Errorf("wrapped layer %s has %d outputs, want 1", class, len(outs))
	}
	return []Shape{append(Shape{outs[0][0], s[1]}, outs[0][1:]...)}, nil
}

// ---- attention ----

// ruleMultiHeadAttention: the output is the query's shape with the last axis output_shape
// (when set) or the query's; with return_attention_scores the scores follow, shaped (batch,
// non-attention axes, heads, query attention axes, key attention axes) — (B, heads, Tq, Tv)
// for rank-3 inputs, the shape the einsum computes (Keras' compute_output_spec says Tq twice).
func ruleMultiHeadAttention(l *Layer, n Node, in []Shape, shapeOf func(TensorRef) Shape) ([]Shape, error) {
	q := tensorArg(n, in, 0, "query", shapeOf)
	v := tensorArg(n, in, 1, "value", shapeOf)
	if q == nil || v == nil {
		return nil, fmt.Errorf("called without a query and a value tensor")
	}
	k := tensorArg(n, in, 2, "key", shapeOf)
	if k == nil {
		k = v
	}
	if len(q) < 3 || len(v) != len(q) || len(k) != len(q) {
		return nil, fmt.Errorf("query %s, value %s, key %s: want the same rank >= 3", q, v, k)
	}
	for i := 1; i < len(v)-1; i++ {
		if v[i] >= 0 && k[i] >= 0 && v[i] != k[i] {
			return nil, fmt.Errorf("value shape %s and key shape %s differ outside the last axis", v, k)
		}
	}
	out := clone(q)
	switch os := l.Config["output_shape"].(type) {
	case nil:
	case float64:
		d, err := l.Config.Int("output_shape", 0)
		if err != nil {
			return nil, err
		}
		out[len(out)-1] = d
	case []any:
		d, _, err := l.Config.Shape("output_shape")
		if err != nil {
			return nil, err
		}
		out = append(clone(q[:len(q)-1]), d...)
	default:
		return nil, fmt.Errorf("config output_shape %v is neither an integer nor a list", os)
	}
	outs := []Shape{out}
	if callFlag(n, "return_attention_scores") {
		heads, err := positiveInt(l.Config, "num_heads")
		if err != nil {
			return nil, err
		}
		r := len(q)
		attn := map[int]bool{}
		if axes, err := l.Config.Ints("attention_axes"); err != nil {
			return nil, err
		} else if axes == nil {
			for i := 1; i < r-1; i++ {
				attn[i] = true
			}
		} else {
			for _, a := range axes {
				ax, err := normAxis(a, r)
				if err != nil || ax == 0 || ax == r-1 {
					return nil, fmt.Errorf("attention_axes %v do not name inner axes of query %s", axes, q)
				}
				attn[ax] = true
			}
		}
		scores := Shape{}
		var qa, ka Shape
		for i := 0; i < r-1; i++ {
			if attn[i] {
				qa = append(qa, q[i])
				ka = append(ka, k[i])
			} else {
				scores = append(scores, q[i])
			}
		}
		scores = append(append(append(scores, heads), qa...), ka...)
		outs = append(outs, scores)
	}
	return outs, nil
}

// ruleAttention (Attention, AdditiveAttention): inputs [query, value(, key)]; the output is
// the query's shape with value's last axis, the scores (with return_attention_scores) are
// (*query[:-1], key's time axis).
func ruleAttention(_ *Layer, n Node, in []Shape, _ func(TensorRef) Shape) ([]Shape, error) {
	if len(in) != 2 && len(in) != 3 {
		return nil, fmt.Errorf("called with %d tensors, want [query, value] or [query, value, key]", len(in))
	}
	q, v := in[0], in[1]
	k := v
	if len(in) == 3 {
		k = in[2]
	}
	if len(q) < 3 || len(v) < 3 || len(k) < 3 {
		return nil, fmt.Errorf("query %s, value %s: want rank 3 (batch, time, features)", q, v)
	}
	out := append(clone(q[:len(q)-1]), v[len(v)-1])
	outs := []Shape{out}
	if callFlag(n, "return_attention_scores") {
		outs = append(outs, append(clone(q[:len(q)-1]), k[len(k)-2]))
	}
	return outs, nil
}
