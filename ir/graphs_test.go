package ir

import (
	"math"
	"testing"
)

// builder builds test graphs, failing the test on any error.
type builder struct {
	t testing.TB
	g *Graph
}

func newBuilder(t testing.TB, name string) *builder { return &builder{t, NewGraph(name)} }

func (b *builder) in(name string, dt DType, s ...Dim) *Value {
	return b.g.AddInput(name, Type{dt, s})
}

// c adds a constant filled with a deterministic pattern.
func (b *builder) c(name string, s ...Dim) *Value {
	n := Shape(s).StaticSize()
	data := make([]float32, n)
	for i := range data {
		data[i] = float32(i%7)*0.25 - 0.5
	}
	return b.g.AddConst(name, s, data)
}

func (b *builder) op(kind, layer string, in []*Value, a Attrs, names ...string) *Value {
	b.t.Helper()
	v, err := b.g.Add1(kind, layer, in, a, names...)
	if err != nil {
		b.t.Fatalf("%s: %v", kind, err)
	}
	return v
}

func (b *builder) out(vs ...*Value) *Graph {
	b.g.Outputs = append(b.g.Outputs, vs...)
	return b.g
}

func vals(vs ...*Value) []*Value { return vs }

// mlpGraph is a small MLP: Dense(32, relu), Dropout, Dense(10), Softmax.
func mlpGraph(t testing.TB) *Graph {
	b := newBuilder(t, "mlp")
	x := b.in("x", F32, Batch, 20)
	h := b.op("MatMul", "dense_1", vals(x, b.c("dense_1.kernel", 20, 32), b.c("dense_1.bias", 32)), Attrs{"act": "relu"})
	h = b.op("Dropout", "dropout", vals(h), Attrs{"rate": 0.5, "kind": "Dropout"})
	h = b.op("MatMul", "dense_2", vals(h, b.c("dense_2.kernel", 32, 10), b.c("dense_2.bias", 10)), nil)
	return b.out(b.op("Softmax", "probs", vals(h), Attrs{"axis": -1}))
}

// cnnGraph is a small CNN: Conv2D, BatchNorm, MaxPool, DepthwiseConv, global average
// pooling, Dense, Softmax.
func cnnGraph(t testing.TB) *Graph {
	b := newBuilder(t, "cnn")
	x := b.in("image", F32, Batch, 28, 28, 1)
	h := b.op("Conv", "conv2d", vals(x, b.c("conv2d/kernel", 3, 3, 1, 8), b.c("conv2d/bias", 8)),
		Attrs{"strides": []int{1, 1}, "dilations": []int{1, 1}, "pads": []int{1, 1, 1, 1}, "act": "relu"})
	h = b.op("BatchNorm", "batch_normalization", vals(h, b.c("bn/mean", 8), b.c("bn/variance", 8), b.c("bn/gamma", 8), b.c("bn/beta", 8)),
		Attrs{"eps": 0.001, "has_gamma": true, "has_beta": true})
	h = b.op("Pool", "max_pooling2d", vals(h), Attrs{"mode": "max", "window": []int{2, 2}, "strides": []int{2, 2}, "pads": []int{0, 0, 0, 0}})
	h = b.op("DepthwiseConv", "depthwise", vals(h, b.c("depthwise/kernel", 3, 3, 8, 2)),
		Attrs{"strides": []int{2, 2}, "dilations": []int{1, 1}, "pads": []int{0, 1, 0, 1}, "act": "relu6"})
	h = b.op("Reduce", "global_average_pooling2d", vals(h), Attrs{"mode": "mean", "axes": []int{1, 2}})
	h = b.op("MatMul", "dense", vals(h, b.c("dense/kernel", 16, 10), b.c("dense/bias", 10)), nil)
	return b.out(b.op("Softmax", "probs", vals(h), Attrs{"axis": -1}))
}

// allOpsGraph uses every op kind of the table and every attribute type but float lists
// (no op has one), with symbolic dims N, T and S3.
func allOpsGraph(t testing.TB) *Graph {
	b := newBuilder(t, "all ops")
	img := b.in("image", F32, Batch, 8, 8, 3)
	seq := b.in("seq", F32, Batch, Time, 6)
	ids := b.in("ids", I32, Batch, 7)
	other := b.in("other", F32, -3, 2)
	one1 := []int{1, 1}

	// Convolutions and pooling.
	h := b.op("Conv", "conv", vals(img, b.c("conv.kernel", 3, 3, 3, 4), b.c("conv.bias", 4)),
		Attrs{"strides": one1, "dilations": one1, "pads": []int{1, 1, 1, 1}, "act": "relu"})
	h = b.op("Conv", "grouped", vals(h, b.c("grouped.kernel", 1, 1, 2, 4)),
		Attrs{"strides": []int{2, 2}, "dilations": one1, "pads": []int{0, 0, 0, 0}, "groups": 2})
	h = b.op("DepthwiseConv", "dw", vals(h, b.c("dw.kernel", 3, 3, 4, 2), b.c("dw.bias", 8)),
		Attrs{"strides": one1, "dilations": []int{2, 2}, "pads": []int{2, 2, 2, 2}})
	h = b.op("ConvTranspose", "deconv", vals(h, b.c("deconv.kernel", 2, 2, 3, 8), b.c("deconv.bias", 3)),
		Attrs{"strides": []int{2, 2}, "dilations": one1, "out_size": []int{8, 8}, "crop": []int{0, 0}, "act": "sigmoid"})
	h = b.op("Pool", "maxpool", vals(h), Attrs{"mode": "max", "window": []int{2, 2}, "strides": []int{2, 2}, "pads": []int{0, 0, 0, 0}})
	h = b.op("Pool", "avgpool", vals(h), Attrs{"mode": "avg", "window": []int{3, 3}, "strides": one1, "pads": []int{1, 1, 1, 1}})
	h = b.op("Resize", "resize", vals(h), Attrs{"mode": "bilinear", "size": []int{8, 8}})
	h = b.op("Conv", "pooled", vals(h, b.c("pooled.kernel", 3, 3, 3, 3)),
		Attrs{"strides": one1, "dilations": one1, "pads": []int{1, 1, 1, 1}, "act": "relu6", "maxpool": []int{2, 2}})
	h = b.op("Reduce", "gap", vals(h), Attrs{"mode": "mean", "axes": []int{1, 2}, "keepdims": false})

	// Dense and elementwise: h is [N,3].
	h = b.op("MatMul", "dense", vals(h, b.c("dense.kernel", 3, 5), b.c("dense.bias", 5)), Attrs{"act": "leaky_relu", "alpha": 0.2})
	h = b.op("Unary", "exp", vals(h), Attrs{"fn": "exp"})
	h = b.op("Unary", "relu", vals(h), Attrs{"fn": "relu_full", "max_value": 6.0, "threshold": 0.5, "alpha": 0.1})
	h = b.op("Binary", "add", vals(h, b.c("add.y", 5)), Attrs{"fn": "add"})
	h = b.op("Affine", "rescale", vals(h, b.c("rescale.scale", 5), b.c("rescale.offset", 1)), nil)
	h = b.op("BatchNorm", "bn", vals(h, b.c("bn.mean", 5), b.c("bn.var", 5), b.c("bn.gamma", 5)), Attrs{"eps": 1e-3, "has_gamma": true})
	h = b.op("LayerNorm", "ln", vals(h, b.c("ln.gamma", 5), b.c("ln.beta", 5)),
		Attrs{"axes": []int{-1}, "eps": 1e-5, "rms": false, "has_gamma": true, "has_beta": true})
	h = b.op("GroupNorm", "gn", vals(h, b.c("gn.beta", 5)), Attrs{"groups": 5, "eps": 1e-3, "has_beta": true})
	h = b.op("UnitNorm", "unit", vals(h), Attrs{"axes": []int{-1}})
	h = b.op("Softmax", "softmax", vals(h), Attrs{"axis": -1})
	h = b.op("LogSoftmax", "log_softmax", vals(h), Attrs{"axis": 1})

	// Shapes: h is [N,5].
	r := b.op("Reshape", "reshape", vals(h), Attrs{"shape": []int{-1, 5, 1}})
	r = b.op("Transpose", "transpose", vals(r), Attrs{"perm": []int{0, 2, 1}})
	r = b.op("BatchMatMul", "bmm", vals(r, r), Attrs{"transpose_a": true})
	c := b.op("Concat", "concat", vals(h, h), Attrs{"axis": 1})
	c = b.op("Pad", "pad", vals(c), Attrs{"before": []int{0, 1}, "after": []int{0, 2}, "value": 0.5})
	c = b.op("Slice", "slice", vals(c), Attrs{"begin": []int{0, 1}, "size": []int{-1, 4}})
	c = b.op("Repeat", "repeat", vals(c), Attrs{"axis": 1, "times": 3})

	// Sequences and ids.
	e := b.op("Gather", "embedding", vals(ids, b.c("embedding.table", 10, 4)), nil)
	s := b.op("Reshape", "to2d", vals(seq), Attrs{"shape": []int{-1, 1, -2, 6}})
	s = b.op("Conv", "conv1d", vals(s, b.c("conv1d.kernel", 1, 3, 6, 4)),
		Attrs{"strides": one1, "dilations": one1, "pads": []int{0, 0, 2, 0}})
	s = b.op("Dropout", "noise", vals(s), Attrs{"rate": 0.1, "kind": "GaussianNoise"})
	o := b.op("Identity", "", vals(other), nil, "other_copy")
	rec, err := b.g.AddOp("Recurrent", "lstm", vals(seq, b.c("lstm.kernel", 6, 8), b.c("lstm.recurrent", 2, 8), b.c("lstm.bias", 8)),
		Attrs{"cell": "lstm", "units": 2, "act": "tanh", "recurrent_act": "hard_sigmoid_keras2", "has_bias": true, "return_sequences": true}, "lstm")
	if err != nil {
		t.Fatal(err)
	}
	rv := b.op("Reverse", "backward", vals(rec[0]), Attrs{"axis": 1})
	return b.out(r, c, e, s, o, rv, rec[1], rec[2])
}

// namesGraph uses value, layer and graph names that need quoting.
func namesGraph(t testing.TB) *Graph {
	names := []string{"dense_1/kernel:0", "with space", `q"uote`, "%percent", "#hash", "new\nline", "ünï", "const",
		"graph", "N", "-", "a.b-c/d_e", "\x00", "\xff", "{}", "a,b", "trailing ", "->"}
	b := newBuilder(t, "weird name #1")
	var outs []*Value
	for i, n := range names {
		x := b.in(n, F32, Batch, 2)
		c := b.g.AddConst(n+"c", Shape{2}, []float32{float32(i), 1})
		y := b.op("Binary", n, vals(x, c), Attrs{"fn": "mul"}, n+"y")
		outs = append(outs, b.op("Identity", "", vals(y), nil, n+"z"))
	}
	return b.out(outs...)
}

// constsGraph holds constants with special values and sizes around the inline limit; its
// consts are special, empty, scalar, sixteen, seventeen, big (0..999) and ints (an i32
// constant).
func constsGraph(t testing.TB) *Graph {
	g := NewGraph("consts")
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)),
		math.SmallestNonzeroFloat32, math.MaxFloat32, 0.1, 1e-40, 16777216, -3}
	g.AddConst("special", Shape{10}, special)
	g.AddConst("empty", Shape{0, 3}, []float32{})
	g.AddConst("scalar", Shape{}, []float32{2.5})
	g.AddConst("sixteen", Shape{4, 4}, make([]float32, 16))
	g.AddConst("seventeen", Shape{17}, make([]float32, 17))
	big := g.AddConst("big", Shape{40, 25}, make([]float32, 1000))
	for i := range big.Data {
		big.Data[i] = float32(i)
	}
	ids := g.AddConst("ids", Shape{2}, []float32{1, 2})
	ids.Type.DType = I32 // ids stored as floats
	g.Outputs = append(g.Outputs, g.Consts...)
	return g
}
