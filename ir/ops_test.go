package ir

import (
	"strings"
	"testing"
)

func f32(s ...Dim) Type { return Type{F32, s} }

// TestShapeRules checks each op's shape rule on valid and invalid shapes: want is the
// output type, or err a fragment of the error.
func TestShapeRules(t *testing.T) {
	const T = Time
	i2 := func(a, b int) []int { return []int{a, b} }
	pads := func(p ...int) []int { return p }
	conv := func(st, dl, pd []int) Attrs { return Attrs{"strides": st, "dilations": dl, "pads": pd} }
	pool := func(mode string, win, st, pd []int) Attrs {
		return Attrs{"mode": mode, "window": win, "strides": st, "pads": pd}
	}
	p0 := pads(0, 0, 0, 0)
	cases := []struct {
		name, kind string
		in         []Type
		attrs      Attrs
		want, err  string
	}{
		{"matmul", "MatMul", []Type{f32(N, 20), f32(20, 32), f32(32)}, Attrs{"act": "relu"}, "f32[N,32]", ""},
		{"matmul seq", "MatMul", []Type{f32(N, T, 20), f32(20, 8)}, nil, "f32[N,T,8]", ""},
		{"matmul mismatch", "MatMul", []Type{f32(N, 20), f32(21, 3)}, nil, "", "do not multiply"},
		{"matmul bias", "MatMul", []Type{f32(N, 20), f32(20, 3), f32(4)}, nil, "", "bias"},
		{"matmul scalar", "MatMul", []Type{f32(), f32(1, 3)}, nil, "", "do not multiply"},
		{"matmul act", "MatMul", []Type{f32(N, 2), f32(2, 3)}, Attrs{"act": "nope"}, "", "activation"},

		{"bmm", "BatchMatMul", []Type{f32(N, 4, 6), f32(N, 6, 2)}, nil, "f32[N,4,2]", ""},
		{"bmm ta", "BatchMatMul", []Type{f32(N, 6, 4), f32(N, 6, 2)}, Attrs{"transpose_a": true}, "f32[N,4,2]", ""},
		{"bmm tb", "BatchMatMul", []Type{f32(N, 4, 6), f32(N, 2, 6)}, Attrs{"transpose_b": true}, "f32[N,4,2]", ""},
		{"bmm batch", "BatchMatMul", []Type{f32(N, 4, 6), f32(3, 6, 2)}, nil, "", "do not multiply"},
		{"bmm rank", "BatchMatMul", []Type{f32(6), f32(6)}, nil, "", "ranks"},

		// Conv output: floor((in + pads - ((k-1)*dilation+1)) / stride) + 1.
		{"conv valid", "Conv", []Type{f32(N, 28, 28, 1), f32(3, 3, 1, 8)}, conv(i2(1, 1), i2(1, 1), p0), "f32[N,26,26,8]", ""},
		{"conv same", "Conv", []Type{f32(N, 28, 28, 1), f32(3, 3, 1, 8), f32(8)}, conv(i2(1, 1), i2(1, 1), pads(1, 1, 1, 1)), "f32[N,28,28,8]", ""},
		{"conv stride", "Conv", []Type{f32(N, 28, 28, 1), f32(3, 3, 1, 8)}, conv(i2(2, 2), i2(1, 1), p0), "f32[N,13,13,8]", ""},
		{"conv stride same", "Conv", []Type{f32(N, 28, 28, 1), f32(3, 3, 1, 8)}, conv(i2(2, 2), i2(1, 1), pads(0, 1, 0, 1)), "f32[N,14,14,8]", ""},
		{"conv dilation", "Conv", []Type{f32(N, 28, 28, 1), f32(3, 3, 1, 8)}, conv(i2(1, 1), i2(2, 2), p0), "f32[N,24,24,8]", ""},
		{"conv all", "Conv", []Type{f32(N, 28, 28, 1), f32(3, 3, 1, 8)}, conv(i2(3, 3), i2(2, 2), pads(2, 2, 2, 2)), "f32[N,10,10,8]", ""},
		{"conv per axis", "Conv", []Type{f32(N, 10, 7, 3), f32(3, 1, 3, 4)}, conv(i2(2, 1), i2(1, 1), pads(1, 0, 0, 0)), "f32[N,5,7,4]", ""},
		{"conv exact fit", "Conv", []Type{f32(N, 3, 3, 1), f32(3, 3, 1, 2)}, conv(i2(2, 2), i2(1, 1), p0), "f32[N,1,1,2]", ""},
		{"conv too small", "Conv", []Type{f32(N, 2, 2, 1), f32(3, 3, 1, 2)}, conv(i2(2, 2), i2(1, 1), p0), "", "does not fit"},
		{"conv groups", "Conv", []Type{f32(N, 4, 4, 4), f32(1, 1, 2, 6)}, Attrs{"strides": i2(1, 1), "dilations": i2(1, 1), "pads": p0, "groups": 2}, "f32[N,4,4,6]", ""},
		{"conv bad groups", "Conv", []Type{f32(N, 4, 4, 4), f32(1, 1, 2, 6)}, Attrs{"strides": i2(1, 1), "dilations": i2(1, 1), "pads": p0, "groups": 3}, "", "groups"},
		{"conv channels", "Conv", []Type{f32(N, 4, 4, 3), f32(1, 1, 2, 6)}, conv(i2(1, 1), i2(1, 1), p0), "", "input channels"},
		{"conv bias", "Conv", []Type{f32(N, 4, 4, 3), f32(1, 1, 3, 6), f32(3)}, conv(i2(1, 1), i2(1, 1), p0), "", "bias"},
		{"conv stride 0", "Conv", []Type{f32(N, 4, 4, 3), f32(1, 1, 3, 6)}, conv(i2(0, 1), i2(1, 1), p0), "", "stride 0"},
		{"conv dilation 0", "Conv", []Type{f32(N, 4, 4, 3), f32(1, 1, 3, 6)}, conv(i2(1, 1), i2(1, 0), p0), "", "dilation 0"},
		{"conv negative pad", "Conv", []Type{f32(N, 4, 4, 3), f32(1, 1, 3, 6)}, conv(i2(1, 1), i2(1, 1), pads(0, -1, 0, 0)), "", "padding"},
		{"conv rank", "Conv", []Type{f32(N, 4, 3), f32(1, 3, 6)}, conv(i2(1, 1), i2(1, 1), p0), "", "NHWC"},
		{"conv attrs", "Conv", []Type{f32(N, 4, 4, 3), f32(1, 1, 3, 6)}, conv(i2(1, 1), i2(1, 1), pads(0, 0)), "", "pads (4)"},
		{"conv symbolic kernel", "Conv", []Type{f32(N, 4, 4, 3), f32(N, 1, 3, 6)}, conv(i2(1, 1), i2(1, 1), p0), "", "window -1"},
		{"conv T same", "Conv", []Type{f32(N, 1, T, 6), f32(1, 3, 6, 4)}, conv(i2(1, 1), i2(1, 1), pads(0, 0, 1, 1)), "f32[N,1,T,4]", ""},
		{"conv T causal", "Conv", []Type{f32(N, 1, T, 6), f32(1, 3, 6, 4)}, conv(i2(1, 1), i2(1, 2), pads(0, 0, 4, 0)), "f32[N,1,T,4]", ""},
		{"conv T valid", "Conv", []Type{f32(N, 1, T, 6), f32(1, 3, 6, 4)}, conv(i2(1, 1), i2(1, 1), p0), "", "no symbolic size"},
		{"conv T stride", "Conv", []Type{f32(N, 1, T, 6), f32(1, 3, 6, 4)}, conv(i2(1, 2), i2(1, 1), pads(0, 0, 1, 1)), "", "no symbolic size"},

		{"depthwise", "DepthwiseConv", []Type{f32(N, 8, 8, 4), f32(3, 3, 4, 2), f32(8)}, conv(i2(1, 1), i2(1, 1), p0), "f32[N,6,6,8]", ""},
		{"depthwise stride", "DepthwiseConv", []Type{f32(N, 7, 7, 4), f32(3, 3, 4, 1)}, conv(i2(2, 2), i2(1, 1), pads(1, 1, 1, 1)), "f32[N,4,4,4]", ""},
		{"depthwise channels", "DepthwiseConv", []Type{f32(N, 8, 8, 4), f32(3, 3, 3, 2)}, conv(i2(1, 1), i2(1, 1), p0), "", "depthwise kernel"},
		{"depthwise groups", "DepthwiseConv", []Type{f32(N, 8, 8, 4), f32(3, 3, 4, 2)}, Attrs{"strides": i2(1, 1), "dilations": i2(1, 1), "pads": p0, "groups": 2}, "", "unknown attribute"},

		{"deconv", "ConvTranspose", []Type{f32(N, 4, 4, 8), f32(2, 2, 3, 8), f32(3)}, Attrs{"strides": i2(2, 2), "dilations": i2(1, 1), "out_size": i2(8, 8), "crop": i2(0, 0)}, "f32[N,8,8,3]", ""},
		{"deconv kernel", "ConvTranspose", []Type{f32(N, 4, 4, 8), f32(2, 2, 3, 7)}, Attrs{"strides": i2(2, 2), "dilations": i2(1, 1), "out_size": i2(8, 8), "crop": i2(0, 0)}, "", "does not fit"},
		{"deconv bias", "ConvTranspose", []Type{f32(N, 4, 4, 8), f32(2, 2, 3, 8), f32(8)}, Attrs{"strides": i2(2, 2), "dilations": i2(1, 1), "out_size": i2(8, 8), "crop": i2(0, 0)}, "", "bias"},
		{"deconv size", "ConvTranspose", []Type{f32(N, 4, 4, 8), f32(2, 2, 3, 8)}, Attrs{"strides": i2(2, 2), "dilations": i2(1, 1), "out_size": i2(0, 8), "crop": i2(0, 0)}, "", "out_size"},
		{"deconv stride", "ConvTranspose", []Type{f32(N, 4, 4, 8), f32(2, 2, 3, 8)}, Attrs{"strides": i2(0, 2), "dilations": i2(1, 1), "out_size": i2(8, 8), "crop": i2(0, 0)}, "", "strides"},
		{"deconv attrs", "ConvTranspose", []Type{f32(N, 4, 4, 8), f32(2, 2, 3, 8)}, Attrs{"strides": []int{2}, "dilations": i2(1, 1), "out_size": i2(8, 8), "crop": i2(0, 0)}, "", "2 values"},

		{"maxpool", "Pool", []Type{f32(N, 28, 28, 8)}, pool("max", i2(2, 2), i2(2, 2), p0), "f32[N,14,14,8]", ""},
		{"maxpool floor", "Pool", []Type{f32(N, 27, 27, 8)}, pool("max", i2(2, 2), i2(2, 2), p0), "f32[N,13,13,8]", ""},
		{"maxpool same", "Pool", []Type{f32(N, 27, 27, 8)}, pool("max", i2(2, 2), i2(2, 2), pads(0, 1, 0, 1)), "f32[N,14,14,8]", ""},
		{"maxpool overlap", "Pool", []Type{f32(N, 28, 20, 8)}, pool("max", i2(3, 3), i2(2, 1), p0), "f32[N,13,18,8]", ""},
		{"avgpool same", "Pool", []Type{f32(N, 5, 5, 2)}, pool("avg", i2(3, 3), i2(1, 1), pads(1, 1, 1, 1)), "f32[N,5,5,2]", ""},
		{"pool T", "Pool", []Type{f32(N, 1, T, 2)}, pool("max", i2(1, 3), i2(1, 1), pads(0, 0, 1, 1)), "f32[N,1,T,2]", ""},
		{"pool T stride", "Pool", []Type{f32(N, 1, T, 2)}, pool("max", i2(1, 2), i2(1, 2), p0), "", "no symbolic size"},
		{"pool pad ≥ window", "Pool", []Type{f32(N, 5, 5, 2)}, pool("avg", i2(2, 2), i2(1, 1), pads(2, 0, 0, 0)), "", "not smaller than window"},
		{"pool too small", "Pool", []Type{f32(N, 1, 5, 2)}, pool("max", i2(2, 2), i2(2, 2), p0), "", "does not fit"},
		{"pool stride 0", "Pool", []Type{f32(N, 5, 5, 2)}, pool("max", i2(2, 2), i2(0, 2), p0), "", "stride 0"},
		{"pool window 0", "Pool", []Type{f32(N, 5, 5, 2)}, pool("max", i2(0, 2), i2(1, 1), p0), "", "window 0"},
		{"pool mode", "Pool", []Type{f32(N, 5, 5, 2)}, pool("min", i2(2, 2), i2(2, 2), p0), "", "mode"},

		{"reduce", "Reduce", []Type{f32(N, 4, 5)}, Attrs{"mode": "sum", "axes": []int{1}}, "f32[N,5]", ""},
		{"reduce keepdims", "Reduce", []Type{f32(N, 4, 5)}, Attrs{"mode": "max", "axes": []int{1, -1}, "keepdims": true}, "f32[N,1,1]", ""},
		{"reduce axis", "Reduce", []Type{f32(N, 4, 5)}, Attrs{"mode": "min", "axes": []int{3}}, "", "out of range"},
		{"reduce mode", "Reduce", []Type{f32(N, 4, 5)}, Attrs{"mode": "prod", "axes": []int{1}}, "", "mode"},

		{"unary", "Unary", []Type{{I32, Shape{N, 3}}}, Attrs{"fn": "abs"}, "i32[N,3]", ""},
		{"unary fn", "Unary", []Type{f32(3)}, Attrs{"fn": "cube"}, "", "unknown function"},
		{"binary broadcast", "Binary", []Type{f32(N, 4, 1), f32(5)}, Attrs{"fn": "pow"}, "f32[N,4,5]", ""},
		{"binary mismatch", "Binary", []Type{f32(3), f32(4)}, Attrs{"fn": "add"}, "", "broadcast"},
		{"binary fn", "Binary", []Type{f32(3), f32(3)}, Attrs{"fn": "atan2"}, "", "unknown function"},
		{"affine", "Affine", []Type{f32(N, 5), f32(5), f32(1)}, nil, "f32[N,5]", ""},
		{"affine param", "Affine", []Type{f32(N, 5), f32(4)}, nil, "", "parameter"},

		{"batchnorm", "BatchNorm", []Type{f32(N, 5), f32(5), f32(5)}, Attrs{"eps": 1e-3}, "f32[N,5]", ""},
		{"batchnorm count", "BatchNorm", []Type{f32(N, 5), f32(5), f32(5)}, Attrs{"eps": 1e-3, "has_gamma": true}, "", "inputs"},
		{"batchnorm param", "BatchNorm", []Type{f32(N, 5), f32(5), f32(4)}, Attrs{"eps": 1e-3}, "", "parameter"},
		{"layernorm", "LayerNorm", []Type{f32(N, 4, 5), f32(5)}, Attrs{"axes": []int{-1}, "eps": 1e-3, "has_gamma": true}, "f32[N,4,5]", ""},
		{"layernorm 2 axes", "LayerNorm", []Type{f32(N, 4, 5), f32(4, 5), f32(4, 5)}, Attrs{"axes": []int{1, 2}, "eps": 1e-3, "has_gamma": true, "has_beta": true}, "f32[N,4,5]", ""},
		{"layernorm not trailing", "LayerNorm", []Type{f32(N, 4, 5)}, Attrs{"axes": []int{1}, "eps": 1e-3}, "", "trailing"},
		{"layernorm gamma", "LayerNorm", []Type{f32(N, 4, 5), f32(4)}, Attrs{"axes": []int{-1}, "eps": 1e-3, "has_gamma": true}, "", "parameter [4]"},
		{"layernorm count", "LayerNorm", []Type{f32(N, 4, 5), f32(5)}, Attrs{"axes": []int{-1}, "eps": 1e-3}, "", "2 inputs"},
		{"groupnorm", "GroupNorm", []Type{f32(N, 3, 8), f32(8)}, Attrs{"groups": 4, "eps": 1e-3, "has_gamma": true}, "f32[N,3,8]", ""},
		{"groupnorm groups", "GroupNorm", []Type{f32(N, 8)}, Attrs{"groups": 3, "eps": 1e-3}, "", "3 groups"},
		{"groupnorm gamma", "GroupNorm", []Type{f32(N, 8), f32(4)}, Attrs{"groups": 4, "eps": 1e-3, "has_gamma": true}, "", "parameter"},
		{"unitnorm", "UnitNorm", []Type{f32(N, 8)}, Attrs{"axes": []int{-1}}, "f32[N,8]", ""},
		{"unitnorm axis", "UnitNorm", []Type{f32(N, 8)}, Attrs{"axes": []int{2}}, "", "out of range"},
		{"softmax", "Softmax", []Type{f32(N, 8)}, Attrs{"axis": -1}, "f32[N,8]", ""},
		{"softmax axis", "Softmax", []Type{f32(N, 8)}, Attrs{"axis": 2}, "", "out of range"},
		{"logsoftmax", "LogSoftmax", []Type{f32(N, T, 8)}, Attrs{"axis": 1}, "f32[N,T,8]", ""},
		{"logsoftmax axis", "LogSoftmax", []Type{f32(N, 8)}, Attrs{"axis": -3}, "", "out of range"},

		{"reshape", "Reshape", []Type{f32(N, 4, 5)}, Attrs{"shape": []int{-1, 20}}, "f32[N,20]", ""},
		{"reshape T", "Reshape", []Type{f32(N, T, 6)}, Attrs{"shape": []int{-1, 1, -2, 6}}, "f32[N,1,T,6]", ""},
		{"reshape size", "Reshape", []Type{f32(N, 4, 5)}, Attrs{"shape": []int{-1, 21}}, "", "cannot reshape"},
		{"reshape symbols", "Reshape", []Type{f32(N, 4, 5)}, Attrs{"shape": []int{20}}, "", "cannot reshape"},
		{"transpose", "Transpose", []Type{f32(N, 4, 5)}, Attrs{"perm": []int{0, 2, 1}}, "f32[N,5,4]", ""},
		{"transpose perm", "Transpose", []Type{f32(N, 4, 5)}, Attrs{"perm": []int{0, 0, 1}}, "", "not a permutation"},
		{"transpose rank", "Transpose", []Type{f32(N, 4, 5)}, Attrs{"perm": []int{1, 0}}, "", "rank"},
		{"concat", "Concat", []Type{f32(N, 2), f32(N, 3), f32(N, 1)}, Attrs{"axis": -1}, "f32[N,6]", ""},
		{"concat symbolic axis", "Concat", []Type{f32(N, 2), f32(N, 2)}, Attrs{"axis": 0}, "", "symbolic axis"},
		{"concat dims", "Concat", []Type{f32(N, 2, 3), f32(N, 3, 3)}, Attrs{"axis": 2}, "", "along axis 2"},
		{"concat rank", "Concat", []Type{f32(N, 2), f32(N, 2, 1)}, Attrs{"axis": 1}, "", "concat of"},
		{"pad", "Pad", []Type{f32(N, 3)}, Attrs{"before": []int{0, 1}, "after": []int{0, 2}}, "f32[N,6]", ""},
		{"pad symbolic", "Pad", []Type{f32(N, 3)}, Attrs{"before": []int{1, 0}, "after": []int{0, 0}}, "", "symbolic"},
		{"pad negative", "Pad", []Type{f32(N, 3)}, Attrs{"before": []int{0, -1}, "after": []int{0, 0}}, "", "negative"},
		{"pad rank", "Pad", []Type{f32(N, 3)}, Attrs{"before": []int{0}, "after": []int{0}}, "", "rank"},
		{"slice", "Slice", []Type{f32(N, 10)}, Attrs{"begin": []int{0, 2}, "size": []int{-1, 3}}, "f32[N,3]", ""},
		{"slice to end", "Slice", []Type{f32(N, 10)}, Attrs{"begin": []int{0, 4}, "size": []int{-1, -1}}, "f32[N,6]", ""},
		{"slice all", "Slice", []Type{f32(N, 10)}, Attrs{"begin": []int{0, 10}, "size": []int{-1, -1}}, "f32[N,0]", ""},
		{"slice past end", "Slice", []Type{f32(N, 10)}, Attrs{"begin": []int{0, 8}, "size": []int{-1, 3}}, "", "slice [8:+3]"},
		{"slice begin past end", "Slice", []Type{f32(N, 10)}, Attrs{"begin": []int{0, 11}, "size": []int{-1, -1}}, "", "slice [11:]"},
		{"slice negative begin", "Slice", []Type{f32(N, 10)}, Attrs{"begin": []int{0, -1}, "size": []int{-1, -1}}, "", "slice [-1:]"},
		{"slice negative size", "Slice", []Type{f32(N, 10)}, Attrs{"begin": []int{0, 0}, "size": []int{-1, -2}}, "", "slice [0:+-2]"},
		{"slice symbolic", "Slice", []Type{f32(N, 10)}, Attrs{"begin": []int{1, 0}, "size": []int{-1, -1}}, "", "symbolic"},
		{"resize", "Resize", []Type{f32(N, 4, 4, 3)}, Attrs{"mode": "nearest", "size": []int{8, 6}}, "f32[N,8,6,3]", ""},
		{"resize size", "Resize", []Type{f32(N, 4, 4, 3)}, Attrs{"mode": "nearest", "size": []int{0, 6}}, "", "positive"},
		{"resize mode", "Resize", []Type{f32(N, 4, 4, 3)}, Attrs{"mode": "bicubic", "size": []int{8, 6}}, "", "mode"},
		{"repeat", "Repeat", []Type{f32(N, 3)}, Attrs{"axis": 1, "times": 2}, "f32[N,6]", ""},
		{"repeat symbolic", "Repeat", []Type{f32(N, 3)}, Attrs{"axis": 0, "times": 2}, "", "repeat"},
		{"repeat times", "Repeat", []Type{f32(N, 3)}, Attrs{"axis": 1, "times": 0}, "", "repeat 0 times"},
		{"gather", "Gather", []Type{{I32, Shape{N, 7}}, f32(10, 4)}, nil, "f32[N,7,4]", ""},
		{"gather table", "Gather", []Type{{I32, Shape{N, 7}}, f32(10, 4, 1)}, nil, "", "not 2-D"},
		{"dropout", "Dropout", []Type{f32(N, T, 3)}, Attrs{"rate": 0.5}, "f32[N,T,3]", ""},
		{"identity", "Identity", []Type{{I64, Shape{N, -3}}}, nil, "i64[N,S3]", ""},
		{"identity arity", "Identity", []Type{f32(1), f32(1)}, nil, "", "got 2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := NewGraph("g")
			var in []*Value
			for i, ty := range c.in {
				in = append(in, g.AddInput(string(rune('a'+i)), ty))
			}
			out, err := g.Add1(c.kind, "l", in, c.attrs)
			switch {
			case c.err != "" && err == nil:
				t.Fatalf("got %v, want an error mentioning %q", out.Type, c.err)
			case c.err != "" && !strings.Contains(err.Error(), c.err):
				t.Fatalf("error %q does not mention %q", err, c.err)
			case c.err == "" && err != nil:
				t.Fatal(err)
			case c.err == "" && out.Type.String() != c.want:
				t.Fatalf("got %v, want %s", out.Type, c.want)
			}
		})
	}
}

// TestCostRules checks the FLOPs per batch row the matrix products count (two per
// multiply-add; BatchMatMul's batch dimensions and transposes included).
func TestCostRules(t *testing.T) {
	for _, c := range []struct {
		name, kind string
		in         []Type
		attrs      Attrs
		want       int64
	}{
		{"matmul", "MatMul", []Type{f32(N, 20), f32(20, 32)}, nil, 2 * 20 * 32},
		{"matmul seq", "MatMul", []Type{f32(N, 5, 20), f32(20, 8)}, nil, 2 * 5 * 20 * 8},
		{"bmm", "BatchMatMul", []Type{f32(N, 3, 4, 6), f32(N, 3, 6, 2)}, nil, 2 * 3 * 4 * 6 * 2},
		{"bmm ta", "BatchMatMul", []Type{f32(N, 6, 4), f32(N, 6, 2)}, Attrs{"transpose_a": true}, 2 * 4 * 6 * 2},
		{"bmm tb", "BatchMatMul", []Type{f32(N, 4, 6), f32(N, 2, 6)}, Attrs{"transpose_b": true}, 2 * 4 * 6 * 2},
	} {
		g := NewGraph("g")
		var in []*Value
		for i, ty := range c.in {
			in = append(in, g.AddInput(string(rune('a'+i)), ty))
		}
		out, err := g.Add1(c.kind, "l", in, c.attrs)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := Ops[c.kind].Cost(out.Def); got != c.want {
			t.Errorf("%s: cost %d, want %d", c.name, got, c.want)
		}
	}
}

// N is Batch, short for the table above.
const N = Batch

// TestOutputShapeNotAliased checks that no op's output shape shares memory with an input's,
// so that a pass editing one cannot edit the other.
func TestOutputShapeNotAliased(t *testing.T) {
	for _, op := range allOpsGraph(t).Ops {
		for _, o := range op.Out {
			for _, x := range op.In {
				if len(o.Type.Shape) > 0 && len(x.Type.Shape) > 0 && &o.Type.Shape[0] == &x.Type.Shape[0] {
					t.Errorf("%s (%s): output %s shares its shape with input %s", op.Kind, op.Layer, o.Name, x.Name)
				}
			}
		}
	}
}

// TestWindowOut checks the sliding-window arithmetic directly.
func TestWindowOut(t *testing.T) {
	for _, c := range []struct {
		in                 Dim
		k, dil, st, lo, hi int
		want               Dim
		ok                 bool
	}{
		{28, 3, 1, 1, 0, 0, 26, true},
		{28, 3, 1, 2, 1, 1, 14, true},
		{7, 3, 2, 1, 0, 0, 3, true},
		{7, 3, 3, 1, 0, 0, 1, true},
		{7, 3, 4, 1, 0, 0, 0, false},
		{1, 1, 1, 5, 0, 0, 1, true},
		{0, 1, 1, 1, 0, 0, 0, false}, // no window fits an empty axis
		{2, 3, 1, 2, 0, 0, 0, false}, // (2-3)/2 truncates to 0: must still be refused
		{Time, 5, 1, 1, 2, 2, Time, true},
		{Time, 5, 1, 1, 4, 0, Time, true},
		{Time, 5, 1, 1, 2, 1, 0, false},
		{Batch, 1, 1, 2, 0, 0, 0, false},
		{10, 1, 1, 1 << 31, 0, 0, 0, false},
		{10, 1 << 40, 1 << 40, 1, 0, 0, 0, false},
	} {
		got, err := windowOut(c.in, c.k, c.dil, c.st, c.lo, c.hi)
		if (err == nil) != c.ok || c.ok && got != c.want {
			t.Errorf("windowOut(%v, k=%d, dil=%d, st=%d, pads %d,%d) = %v, %v; want %v ok=%v", c.in, c.k, c.dil, c.st, c.lo, c.hi, got, err, c.want, c.ok)
		}
	}
}

// TestReaders checks Graph.Readers: each value's readers in op order, an op once per input
// that reads the value, none for an unread value (a graph output read by no op included).
func TestReaders(t *testing.T) {
	g := NewGraph("g")
	x := g.AddInput("x", f32(4))
	y, err := g.Add1("Binary", "l", []*Value{x, x}, Attrs{"fn": "add"})
	if err != nil {
		t.Fatal(err)
	}
	z, err := g.Add1("Binary", "l", []*Value{y, x}, Attrs{"fn": "mul"})
	if err != nil {
		t.Fatal(err)
	}
	g.Outputs = []*Value{z}
	r := g.Readers()
	add, mul := y.Def, z.Def
	for _, c := range []struct {
		v    *Value
		want []*Op
	}{{x, []*Op{add, add, mul}}, {y, []*Op{mul}}, {z, nil}} {
		got := r[c.v]
		if len(got) != len(c.want) {
			t.Fatalf("readers of %s: %d ops, want %d", c.v.Name, len(got), len(c.want))
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Fatalf("readers of %s: op %d is %s, want %s", c.v.Name, i, got[i].Kind, c.want[i].Kind)
			}
		}
	}
}
