package runtime

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/internal/sharedtest"
	"github.com/stretchr/testify/require"
)

// The kernels against real Keras 3.15.1 outputs (../shared/golden): each
// layer is run on Keras' own output of the layer before it, so every check
// is one kernel (plus its epilogue) against Keras at the suite's tolerance,
// 1e-5 absolute + 1e-4 relative.

type kerasCase struct {
	t       *testing.T
	weights map[string]*Array
	outputs map[string]*Array
	dir     string
}

func loadKerasCase(t *testing.T, name string) *kerasCase {
	t.Helper()
	dir := filepath.Join(sharedtest.Dir(t), "golden", name)
	read := func(file string) map[string]*Array {
		f, err := os.Open(filepath.Join(dir, file))
		require.NoError(t, err)
		defer f.Close()
		st, err := f.Stat()
		require.NoError(t, err)
		m, _, err := ReadNPZ(f, st.Size())
		require.NoError(t, err)
		return m
	}
	return &kerasCase{t: t, weights: read("weights.npz"), outputs: read("layer_outputs.npz"), dir: dir}
}

// w returns the weight whose key is path or ends in "/"+path.
func (c *kerasCase) w(path string) []float32 {
	c.t.Helper()
	var found *Array
	for k, a := range c.weights {
		if k == path || strings.HasSuffix(k, "/"+path) {
			require.Nil(c.t, found, "weight %q is ambiguous", path)
			found = a
		}
	}
	require.NotNil(c.t, found, "no weight %q", path)
	return found.Data
}

// out returns Keras' output of a layer.
func (c *kerasCase) out(layer string) []float32 {
	c.t.Helper()
	a, ok := c.outputs[layer]
	require.True(c.t, ok, "no output of layer %q", layer)
	return a.Data
}

func (c *kerasCase) input(file string) []float32 {
	c.t.Helper()
	a, err := ReadNPYFile(filepath.Join(c.dir, file))
	require.NoError(c.t, err)
	return a.Data
}

// check compares got with Keras' output of layer.
func (c *kerasCase) check(layer string, got []float32) {
	c.t.Helper()
	requireClose(c.t, "layer "+layer, got, f64s(c.out(layer)), 1e-5, 1e-4)
}

// dense runs a Dense layer named layer on x [m×k] with activation act
// (softmax applied after, as a separate kernel, when softmax).
func (c *kerasCase) dense(layer string, m, k, n int, x []float32, act Act, softmax bool) []float32 {
	y := make([]float32, m*n)
	Dense(m, k, n, x, c.w(layer+"/kernel"), y, &Epilogue{Bias: c.w(layer + "/bias"), Act: act})
	if softmax {
		Softmax(m, n, y, y)
	}
	c.check(layer, y)
	return y
}

// samePad returns TF 'same' padding before, and the output size.
func samePad(in, k, s, d int) (before, out int) {
	out = (in + s - 1) / s
	return max((out-1)*s+(k-1)*d+1-in, 0) / 2, out
}

func TestKerasGoldenActivations(t *testing.T) {
	c := loadKerasCase(t, "activations")
	x := c.input("input.npy")
	c.dense("dense", 6, 10, 12, x, ActRelu, false)
	for i, act := range []Act{ActGelu, ActSilu, ActTanh, ActSigmoid, ActLinear} {
		layer := name("dense_%d", i+1)
		prev := "dense"
		if i > 0 {
			prev = name("dense_%d", i)
		}
		c.dense(layer, 6, 12, 12, c.out(prev), act, false)
	}
	prev := "dense_5"
	for i, act := range []Act{ActGelu, ActSilu, ActTanh} {
		layer := "activation"
		if i > 0 {
			layer = name("activation_%d", i)
		}
		y := clone(c.out(prev))
		Activate(act, ActParams{}, y)
		c.check(layer, y)
		prev = layer
	}
	y := c.dense("dense_6", 6, 12, 6, c.out("activation_2"), ActLinear, false)
	Softmax(6, 6, y, y)
	c.check("activation_3", y)
}

func TestKerasGoldenConv1D(t *testing.T) {
	c := loadKerasCase(t, "conv1d")
	conv := func(layer string, x []float32, p ConvParams, act Act) {
		y := make([]float32, p.N*p.OW*p.OC)
		Conv2D(&p, x, c.w(layer+"/kernel"), y, &Epilogue{Bias: c.w(layer + "/bias"), Act: act})
		c.check(layer, y)
	}
	// causal, kernel 5: 4 steps of padding before.
	conv("conv1d", c.input("input.npy"), ConvParams{N: 4, H: 1, W: 20, C: 3, OH: 1, OW: 20, OC: 8, KH: 1, KW: 5, PadL: 4}, ActRelu)
	pad, ow := samePad(20, 3, 1, 2)
	conv("conv1d_1", c.out("conv1d"), ConvParams{N: 4, H: 1, W: 20, C: 8, OH: 1, OW: ow, OC: 6, KH: 1, KW: 3, DW: 2, PadL: pad}, ActSigmoid)
	y := make([]float32, 4*10*6)
	MaxPool2D(&PoolParams{N: 4, H: 1, W: 20, C: 6, OH: 1, OW: 10, KH: 1, KW: 2, SH: 1, SW: 2}, c.out("conv1d_1"), y)
	c.check("max_pooling1d", y)
	conv("conv1d_2", c.out("max_pooling1d"), ConvParams{N: 4, H: 1, W: 10, C: 6, OH: 1, OW: 4, OC: 4, KH: 1, KW: 3, SW: 2}, ActLinear)
	y = make([]float32, 4*4)
	GlobalAvgPool(4, 4, 4, c.out("conv1d_2"), y)
	c.check("global_average_pooling1d", y)
	c.dense("dense", 4, 4, 3, c.out("global_average_pooling1d"), ActLinear, false)
}

func TestKerasGoldenDepthwiseSeparable(t *testing.T) {
	c := loadKerasCase(t, "depthwise_separable")
	y := make([]float32, 2*11*11*6)
	DepthwiseConv2D(&ConvParams{N: 2, H: 11, W: 11, C: 3, OH: 11, OW: 11, OC: 6, KH: 3, KW: 3, PadT: 1, PadL: 1},
		c.input("input.npy"), c.w("depthwise_conv2d/kernel"), y,
		&Epilogue{Bias: c.w("depthwise_conv2d/bias"), Act: ActSilu})
	c.check("depthwise_conv2d", y)
	// SeparableConv2D: depthwise (no bias), then pointwise with bias and gelu.
	dw := make([]float32, 2*5*5*6)
	DepthwiseConv2D(&ConvParams{N: 2, H: 11, W: 11, C: 6, OH: 5, OW: 5, OC: 6, KH: 3, KW: 3, SH: 2, SW: 2},
		c.out("depthwise_conv2d"), c.w("separable_conv2d/depthwise_kernel"), dw, nil)
	y = make([]float32, 2*5*5*6)
	Conv2D(&ConvParams{N: 2, H: 5, W: 5, C: 6, OH: 5, OW: 5, OC: 6, KH: 1, KW: 1}, dw,
		c.w("separable_conv2d/pointwise_kernel"), y, &Epilogue{Bias: c.w("separable_conv2d/bias"), Act: ActGelu})
	c.check("separable_conv2d", y)
	y = make([]float32, 2*6)
	GlobalAvgPool(2, 25, 6, c.out("separable_conv2d"), y)
	c.check("global_average_pooling2d", y)
	c.dense("dense", 2, 6, 3, c.out("global_average_pooling2d"), ActLinear, true)
}

func TestKerasGoldenPaddingSameStrided(t *testing.T) {
	c := loadKerasCase(t, "padding_same_strided")
	padT, oh := samePad(9, 3, 2, 1)
	padL, ow := samePad(8, 3, 2, 1)
	y := make([]float32, 2*oh*ow*4)
	Conv2D(&ConvParams{N: 2, H: 9, W: 8, C: 3, OH: oh, OW: ow, OC: 4, KH: 3, KW: 3, SH: 2, SW: 2, PadT: padT, PadL: padL},
		c.input("input.npy"), c.w("conv2d/kernel"), y, &Epilogue{Bias: c.w("conv2d/bias"), Act: ActRelu})
	c.check("conv2d", y)
	padT, oh = samePad(5, 3, 2, 1)
	padL, ow = samePad(4, 3, 2, 1)
	y = make([]float32, 2*oh*ow*4)
	MaxPool2D(&PoolParams{N: 2, H: 5, W: 4, C: 4, OH: oh, OW: ow, KH: 3, KW: 3, SH: 2, SW: 2, PadT: padT, PadL: padL}, c.out("conv2d"), y)
	c.check("max_pooling2d", y)
	AvgPool2D(&PoolParams{N: 2, H: 3, W: 2, C: 4, OH: 3, OW: 2, KH: 2, KW: 2, SH: 1, SW: 1}, c.out("max_pooling2d"), y)
	c.check("average_pooling2d", y)
	y = make([]float32, 2*3*2*3)
	Conv2D(&ConvParams{N: 2, H: 3, W: 2, C: 4, OH: 3, OW: 2, OC: 3, KH: 2, KW: 2}, // even kernel: all padding after
		c.out("average_pooling2d"), c.w("conv2d_1/kernel"), y, &Epilogue{Bias: c.w("conv2d_1/bias")})
	c.check("conv2d_1", y)
	c.dense("dense", 2, 18, 2, c.out("flatten"), ActLinear, false)
}

func TestKerasGoldenCNNBatchNorm(t *testing.T) {
	c := loadKerasCase(t, "cnn_bn_dropout")
	y := make([]float32, 4*12*12*6)
	Conv2D(&ConvParams{N: 4, H: 12, W: 12, C: 2, OH: 12, OW: 12, OC: 6, KH: 3, KW: 3, PadT: 1, PadL: 1},
		c.input("input.npy"), c.w("conv2d/kernel"), y, &Epilogue{Bias: c.w("conv2d/bias"), Act: ActRelu})
	c.check("conv2d", y)
	// Inference BatchNormalization folded into a scale and shift.
	gamma, beta := c.w("batch_normalization/gamma"), c.w("batch_normalization/beta")
	mean, variance := c.w("batch_normalization/moving_mean"), c.w("batch_normalization/moving_variance")
	scale, shift := make([]float32, 6), make([]float32, 6)
	for j := range scale {
		s := float64(gamma[j]) / math.Sqrt(float64(variance[j])+1e-3)
		scale[j], shift[j] = float32(s), float32(float64(beta[j])-float64(mean[j])*s)
	}
	Affine(4*12*12, 6, c.out("conv2d"), scale, shift, y)
	c.check("batch_normalization", y)
	y = make([]float32, 4*6*6*6)
	MaxPool2D(&PoolParams{N: 4, H: 12, W: 12, C: 6, OH: 6, OW: 6, KH: 2, KW: 2, SH: 2, SW: 2}, c.out("batch_normalization"), y)
	c.check("max_pooling2d", y)
	y = make([]float32, 4*4*4*8)
	Conv2D(&ConvParams{N: 4, H: 6, W: 6, C: 6, OH: 4, OW: 4, OC: 8, KH: 3, KW: 3},
		c.out("max_pooling2d"), c.w("conv2d_1/kernel"), y, &Epilogue{Bias: c.w("conv2d_1/bias"), Act: ActRelu})
	c.check("conv2d_1", y)
	y = make([]float32, 4*3*3*8)
	MaxPool2D(&PoolParams{N: 4, H: 4, W: 4, C: 8, OH: 3, OW: 3, KH: 2, KW: 2, SH: 1, SW: 1}, c.out("conv2d_1"), y)
	c.check("max_pooling2d_1", y)
	c.dense("dense", 4, 72, 5, c.out("flatten"), ActLinear, true)
}

func TestKerasGoldenTransformerBlock(t *testing.T) {
	c := loadKerasCase(t, "transformer_block")
	const b, tt, d, heads, kd = 4, 6, 16, 2, 8
	x := c.input("input.npy")
	// MultiHeadAttention(2 heads, key_dim 8), self-attention.
	proj := func(layer string) []float32 {
		y := make([]float32, b*tt*heads*kd)
		Dense(b*tt, d, heads*kd, x, c.w("mha/"+layer+"/kernel"), y, &Epilogue{Bias: c.w("mha/" + layer + "/bias")})
		return y
	}
	q, k, v := proj("query"), proj("key"), proj("value")
	BinaryScalar(BinMul, len(q), q, float32(1/math.Sqrt(kd)), q, false) // Keras scales the query
	att := make([]float32, b*tt*heads*kd)
	scores := make([]float32, tt*tt)
	for s := 0; s < b; s++ {
		for h := 0; h < heads; h++ {
			off := s*tt*heads*kd + h*kd // head h of sample s: [tt × kd], row stride heads*kd
			GemmNT(tt, tt, kd, q[off:], heads*kd, k[off:], heads*kd, scores, tt, false)
			Softmax(tt, tt, scores, scores)
			Gemm(tt, kd, tt, scores, tt, v[off:], heads*kd, att[off:], heads*kd, false)
		}
	}
	mha := make([]float32, b*tt*d)
	Dense(b*tt, heads*kd, d, att, c.w("mha/attention_output/kernel"), mha, &Epilogue{Bias: c.w("mha/attention_output/bias")})
	c.check("mha", mha)

	n := b * tt * d
	y := make([]float32, n)
	Sum(n, [][]float32{x, c.out("mha")}, y)
	c.check("add_1", y)
	LayerNorm(b*tt, d, c.out("add_1"), c.w("ln_1/gamma"), c.w("ln_1/beta"), y, 1e-6, false)
	c.check("ln_1", y)
	c.dense("ffn_1", b*tt, d, 32, c.out("ln_1"), ActGelu, false)
	c.dense("ffn_2", b*tt, 32, d, c.out("ffn_1"), ActLinear, false)
	// The residual add fused into ffn_2's epilogue equals Keras' add_2.
	Dense(b*tt, 32, d, c.out("ffn_1"), c.w("ffn_2/kernel"), y, &Epilogue{Bias: c.w("ffn_2/bias"), Residual: c.out("ln_1"), ResidualAfterAct: true})
	c.check("add_2", y)
	LayerNorm(b*tt, d, c.out("add_2"), c.w("ln_2/gamma"), c.w("ln_2/beta"), y, 1e-6, false)
	c.check("ln_2", y)
	pool := make([]float32, b*d)
	GlobalAvgPool(b, tt, d, c.out("ln_2"), pool)
	c.check("pool", pool)
	c.dense("cls", b, d, 3, c.out("pool"), ActLinear, true)
}

func TestKerasGoldenEmbedding(t *testing.T) {
	c := loadKerasCase(t, "embedding_lstm")
	ids := c.input("input.npy")
	y := make([]float32, len(ids)*8)
	require.Equal(t, 0, Gather(ids, c.w("embedding/embeddings"), 30, 8, y))
	c.check("embedding", y)
}

func TestKerasGoldenResidualConcat(t *testing.T) {
	c := loadKerasCase(t, "residual_add_concat")
	const n, h, w = 3, 8, 8
	img := c.input("input.npy")
	same := ConvParams{N: n, H: h, W: w, C: 4, OH: h, OW: w, OC: 4, KH: 3, KW: 3, PadT: 1, PadL: 1}
	y := make([]float32, n*h*w*4)
	Conv2D(&same, img, c.w("c1/kernel"), y, &Epilogue{Bias: c.w("c1/bias"), Act: ActRelu})
	c.check("c1", y)
	Conv2D(&same, c.out("c1"), c.w("c2/kernel"), y, &Epilogue{Bias: c.w("c2/bias")})
	c.check("c2", y)
	Sum(len(y), [][]float32{img, c.out("c2")}, y)
	c.check("add", y)
	// c2, Add and relu fused into one convolution epilogue.
	Conv2D(&same, c.out("c1"), c.w("c2/kernel"), y, &Epilogue{Bias: c.w("c2/bias"), Act: ActRelu, Residual: img})
	c.check("relu", y)
	sc := make([]float32, n*h*w*3)
	Conv2D(&ConvParams{N: n, H: h, W: w, C: 4, OH: h, OW: w, OC: 3, KH: 1, KW: 1}, img, c.w("shortcut/kernel"), sc,
		&Epilogue{Bias: c.w("shortcut/bias")})
	c.check("shortcut", sc)
	cat := make([]float32, n*h*w*7)
	Concat(n*h*w, []int{4, 3}, [][]float32{c.out("relu"), c.out("shortcut")}, cat)
	c.check("concat", cat)
	gap := make([]float32, n*7)
	GlobalAvgPool(n, h*w, 7, c.out("concat"), gap)
	c.check("gap", gap)
	c.dense("out", n, 7, 2, c.out("gap"), ActLinear, false)
}

func TestKerasGoldenMultiIO(t *testing.T) {
	c := loadKerasCase(t, "multi_io")
	y := make([]float32, 4*4*4*3)
	Conv2D(&ConvParams{N: 4, H: 6, W: 6, C: 2, OH: 4, OW: 4, OC: 3, KH: 3, KW: 3},
		c.input("input_0.npy"), c.w("conv/kernel"), y, &Epilogue{Bias: c.w("conv/bias"), Act: ActRelu})
	c.check("conv", y)
	c.dense("vec_dense", 4, 5, 8, c.input("input_1.npy"), ActTanh, false)
	m := make([]float32, 4*56)
	Concat(4, []int{48, 8}, [][]float32{c.out("flat"), c.out("vec_dense")}, m)
	c.check("merge", m)
	c.dense("hidden", 4, 56, 12, c.out("merge"), ActRelu, false)
	c.dense("cls", 4, 12, 3, c.out("hidden"), ActLinear, true)
	c.dense("reg", 4, 12, 1, c.out("hidden"), ActLinear, false)
}

func TestKerasGoldenGlobalAvgPool(t *testing.T) {
	c := loadKerasCase(t, "global_avg_pool2d")
	y := make([]float32, 3*5*7*5)
	Conv2D(&ConvParams{N: 3, H: 7, W: 9, C: 3, OH: 5, OW: 7, OC: 5, KH: 3, KW: 3},
		c.input("input.npy"), c.w("conv2d/kernel"), y, &Epilogue{Bias: c.w("conv2d/bias"), Act: ActRelu})
	c.check("conv2d", y)
	g := make([]float32, 3*5)
	GlobalAvgPool(3, 35, 5, c.out("conv2d"), g)
	c.check("global_average_pooling2d", g)
	c.dense("dense", 3, 5, 2, g, ActSigmoid, false)
}
