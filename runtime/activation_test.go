package runtime

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// actRef is each activation written from its Keras formula in float64,
// independently of activation.go (Keras' own expressions where they are
// exact enough in float64).
func actRef(act Act, p ActParams, x float64) float64 {
	alpha := float64(p.Alpha)
	sigm := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	softplus := func(x float64) float64 {
		if x > 30 {
			return x + math.Exp(-x) // log(1+e^x) = x + log1p(e^-x)
		}
		return math.Log1p(math.Exp(x))
	}
	relu6 := func(x float64) float64 { return math.Min(math.Max(x, 0), 6) }
	switch act {
	case ActLinear:
		return x
	case ActRelu:
		return math.Max(x, 0)
	case ActSigmoid:
		return sigm(x)
	case ActTanh:
		return math.Tanh(x)
	case ActSoftplus:
		return softplus(x)
	case ActSoftsign:
		return x / (math.Abs(x) + 1)
	case ActSelu:
		if x > 0 {
			return 1.05070098735548049342 * x
		}
		return 1.05070098735548049342 * 1.67326324235437728482 * math.Expm1(x)
	case ActElu:
		if x > 0 {
			return x
		}
		return alpha * math.Expm1(x)
	case ActExponential:
		return math.Exp(x)
	case ActGelu: // 0.5x(1+erf(x/√2)), without cancellation for x < 0
		return 0.5 * x * math.Erfc(-x/math.Sqrt2)
	case ActGeluTanh: // 0.5x(1+tanh(y)) = x·sigmoid(2y), without cancellation for x < 0
		return x * sigm(2*math.Sqrt(2/math.Pi)*(x+0.044715*math.Pow(x, 3)))
	case ActSilu:
		return x * sigm(x)
	case ActHardSigmoid:
		return relu6(x+3) / 6
	case ActHardSigmoidKeras2:
		return math.Min(math.Max(float64(float32(0.2))*x+0.5, 0), 1)
	case ActHardSilu:
		return x * relu6(x+3) / 6
	case ActLeakyRelu:
		if x > 0 {
			return x
		}
		return alpha * x
	case ActRelu6:
		return relu6(x)
	case ActReluFull:
		// The Keras ReLU layer docstring: max_value above it, x between the
		// threshold and max_value, negative_slope*(x-threshold) below.
		t := float64(p.Threshold)
		switch {
		case p.HasMax && x >= float64(p.MaxValue):
			return float64(p.MaxValue)
		case x > t:
			return x
		}
		return alpha * (x - t)
	case ActMish:
		return x * math.Tanh(softplus(x))
	case ActLogSigmoid:
		return -softplus(-x)
	case ActCelu:
		return math.Max(0, x) + math.Min(0, alpha*(math.Exp(x/alpha)-1))
	case ActHardTanh:
		return math.Min(math.Max(x, -1), 1)
	case ActTanhShrink:
		if math.Abs(x) < 1e-3 { // series, exact where x - tanh x cancels
			return x*x*x/3 - 2*math.Pow(x, 5)/15
		}
		return x - math.Tanh(x)
	case ActSoftShrink:
		t := float64(p.Threshold)
		return math.Copysign(math.Max(math.Abs(x)-t, 0), x)
	case ActHardShrink:
		if math.Abs(x) > float64(p.Threshold) {
			return x
		}
		return 0
	case ActSquareplus:
		return (x + math.Sqrt(x*x+alpha)) / 2
	case ActSparsePlus:
		switch {
		case x <= -1:
			return 0
		case x < 1:
			return (x + 1) * (x + 1) / 4
		}
		return x
	case ActSparseSigmoid:
		return math.Min(math.Max((x+1)/2, 0), 1)
	}
	panic("no reference")
}

// ulp32 returns the spacing of float32 values at |v|.
func ulp32(v float64) float64 {
	f := float32(math.Abs(v))
	if math.IsInf(float64(f), 0) {
		return math.Inf(1)
	}
	return float64(math.Nextafter32(f, float32(math.Inf(1))) - f)
}

// actInputs spans [-30, 30] finely, then tiny, large and special values.
func actInputs() []float32 {
	var xs []float32
	for i := -3000; i <= 3000; i++ {
		xs = append(xs, float32(i)/100)
	}
	for _, v := range []float64{1e-7, 1e-20, 3e-39, 0.5, 1, 2.9999998, 3, 3.0000002, 6, 87, 88.7, 89, 100, 1e3, 1e30, 3e38} {
		xs = append(xs, float32(v), float32(-v))
	}
	return append(xs, float32(math.Copysign(0, -1)))
}

var actCases = []struct {
	act Act
	p   ActParams
}{
	{ActLinear, ActParams{}}, {ActRelu, ActParams{}}, {ActSigmoid, ActParams{}}, {ActTanh, ActParams{}},
	{ActSoftplus, ActParams{}}, {ActSoftsign, ActParams{}}, {ActSelu, ActParams{}},
	{ActElu, ActParams{Alpha: 1}}, {ActElu, ActParams{Alpha: 0.3}}, {ActExponential, ActParams{}},
	{ActGelu, ActParams{}}, {ActGeluTanh, ActParams{}}, {ActSilu, ActParams{}},
	{ActHardSigmoid, ActParams{}}, {ActHardSigmoidKeras2, ActParams{}}, {ActHardSilu, ActParams{}},
	{ActLeakyRelu, ActParams{Alpha: 0.2}}, {ActLeakyRelu, ActParams{Alpha: 0.3}}, {ActRelu6, ActParams{}},
	{ActReluFull, ActParams{}},
	{ActReluFull, ActParams{Alpha: 0.5}},
	{ActReluFull, ActParams{MaxValue: 6, HasMax: true}},
	{ActReluFull, ActParams{Alpha: 0.1, MaxValue: 4.5, HasMax: true, Threshold: 0.75}},
	{ActReluFull, ActParams{Threshold: 2}},
	{ActReluFull, ActParams{MaxValue: 0, HasMax: true}},
	{ActMish, ActParams{}}, {ActLogSigmoid, ActParams{}},
	{ActCelu, ActParams{Alpha: 1}}, {ActCelu, ActParams{Alpha: 2.5}},
	{ActHardTanh, ActParams{}}, {ActTanhShrink, ActParams{}},
	{ActSoftShrink, ActParams{Threshold: 0.5}}, {ActHardShrink, ActParams{Threshold: 0.5}},
	{ActSquareplus, ActParams{Alpha: 4}}, {ActSparsePlus, ActParams{}}, {ActSparseSigmoid, ActParams{}},
}

// TestActivationsMatchFormulas checks every Act against its float64 formula
// within 2 ulp (or 1e-12 absolute, for results that cancel to nearly 0;
// Keras 2 hard_sigmoid rounds 0.2x+0.5 at the scale of 0.5), the vmath
// ones (vmActs) within their relative bounds of vmath_test.go,
// for |x| ≤ 30 and beyond, including overflow and saturation.
func TestActivationsMatchFormulas(t *testing.T) {
	xs := actInputs()
	covered := map[Act]bool{}
	for _, c := range actCases {
		covered[c.act] = true
		y := newGuarded(len(xs)).fill(xs)
		Activate(c.act, c.p, y.s)
		y.check(t, "Activate")
		for i, x := range xs {
			want := actRef(c.act, c.p, float64(x))
			got := float64(y.s[i])
			if float32(want) == y.s[i] {
				continue // exact, infinities included
			}
			if f, ok := vmActs[c.act]; ok {
				d, b := math.Abs(got-want), f.bound(float64(x))
				if math.Abs(want) < 0x1p-126 || b == 0 {
					if !(d < 0x1p-126) {
						t.Fatalf("act %d: f(%v) = %v, want %v", c.act, x, got, want)
					}
				} else if !(d <= b*math.Abs(want)) {
					t.Fatalf("act %d: f(%v) = %v, want %v (relative error %.3g > %.3g)", c.act, x, got, want, d/math.Abs(want), b)
				}
			} else if d, floor := math.Abs(got-want), vmFloor(c.act); !(d <= 2*ulp32(want) || d <= floor) {
				t.Fatalf("act %d %+v: f(%v) = %v, want %v (%.3g ulp)", c.act, c.p, x, got, want, d/ulp32(want))
			}
			if s := ActivateScalar(c.act, c.p, x); math.Float32bits(s) != math.Float32bits(y.s[i]) {
				t.Fatalf("act %d: ActivateScalar(%v) = %v, Activate gave %v", c.act, x, s, y.s[i])
			}
		}
	}
	for a := Act(0); a < numActs; a++ {
		require.True(t, covered[a], "Act %d has no test case", a)
	}
}

// vmActs maps the Acts that run a vmath kernel to its bounds.
var vmActs = map[Act]vmFunc{
	ActExponential: vmFuncs[0], ActSigmoid: vmFuncs[1], ActSilu: vmFuncs[2],
	ActTanh: vmFuncs[3], ActGelu: vmFuncs[4], ActGeluTanh: vmFuncs[5],
}

// vmFloor is the absolute error allowed where a result cancels to nearly 0.
func vmFloor(act Act) float64 {
	if act == ActHardSigmoidKeras2 {
		return 0x1p-24 // 0.2x+0.5 in float32 rounds at the scale of 0.5
	}
	return 1e-12
}

// TestActivationsSpecialValues checks infinities and NaN by hand.
func TestActivationsSpecialValues(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	cases := []struct {
		act            Act
		p              ActParams
		posInf, negInf float32
	}{
		{ActRelu, ActParams{}, inf, 0},
		{ActSigmoid, ActParams{}, 1, 0},
		{ActTanh, ActParams{}, 1, -1},
		{ActSoftplus, ActParams{}, inf, 0},
		{ActSoftsign, ActParams{}, nan, nan}, // inf/inf, as in Keras
		{ActElu, ActParams{Alpha: 0.5}, inf, -0.5},
		{ActSelu, ActParams{}, inf, float32(-1.05070098735548049342 * 1.67326324235437728482)},
		{ActExponential, ActParams{}, inf, 0},
		{ActHardSigmoid, ActParams{}, 1, 0},
		{ActHardSigmoidKeras2, ActParams{}, 1, 0},
		{ActLeakyRelu, ActParams{Alpha: 0.2}, inf, -inf},
		{ActRelu6, ActParams{}, 6, 0},
		{ActReluFull, ActParams{}, inf, 0},
		{ActReluFull, ActParams{Alpha: 0.1, MaxValue: 3, HasMax: true}, 3, -inf},
		{ActLogSigmoid, ActParams{}, 0, -inf},
		{ActHardTanh, ActParams{}, 1, -1},
		{ActSparseSigmoid, ActParams{}, 1, 0},
	}
	for _, c := range cases {
		got := []float32{inf, -inf, nan}
		Activate(c.act, c.p, got)
		for i, want := range []float32{c.posInf, c.negInf} {
			if !(got[i] == want || (got[i] != got[i] && want != want)) {
				t.Errorf("act %d: f(%v) = %v, want %v", c.act, []float32{inf, -inf}[i], got[i], want)
			}
		}
		require.True(t, math.IsNaN(float64(got[2])), "act %d: NaN in, %v out", c.act, got[2])
	}
	// NaN propagates through every Act but soft_shrink, which selects 0.
	for _, c := range actCases {
		v := ActivateScalar(c.act, c.p, nan)
		if c.act == ActSoftShrink {
			require.Equal(t, float32(0), v)
			continue
		}
		require.True(t, math.IsNaN(float64(v)), "act %d: NaN in, %v out", c.act, v)
	}
}

// TestActivationsHand checks values worked out by hand from the Keras
// docstrings.
func TestActivationsHand(t *testing.T) {
	x := []float32{-10, -5, 0, 5, 10}
	cases := []struct {
		act  Act
		p    ActParams
		want []float32
	}{
		// keras.activations.relu docstring examples.
		{ActReluFull, ActParams{}, []float32{0, 0, 0, 5, 10}},
		{ActReluFull, ActParams{Alpha: 0.5}, []float32{-5, -2.5, 0, 5, 10}},
		{ActReluFull, ActParams{MaxValue: 5, HasMax: true}, []float32{0, 0, 0, 5, 5}},
		{ActReluFull, ActParams{Threshold: 5}, []float32{0, 0, 0, 0, 10}},
		// keras.layers.ReLU docstring: max_value=10, negative_slope=0.5.
		{ActReluFull, ActParams{Alpha: 0.5, MaxValue: 10, HasMax: true}, []float32{-5, -2.5, 0, 5, 10}},
		{ActHardSigmoid, ActParams{}, []float32{0, 0, 0.5, 1, 1}},
		{ActHardSilu, ActParams{}, []float32{0, 0, 0, 5, 10}},
		{ActRelu6, ActParams{}, []float32{0, 0, 0, 5, 6}},
		{ActSparsePlus, ActParams{}, []float32{0, 0, 0.25, 5, 10}},
		{ActSoftsign, ActParams{}, []float32{-10.0 / 11, -5.0 / 6, 0, 5.0 / 6, 10.0 / 11}},
	}
	for _, c := range cases {
		got := clone(x)
		Activate(c.act, c.p, got)
		requireEqual(t, name("act %d %+v", c.act, c.p), got, c.want)
	}
	// Keras 2 vs Keras 3 hard_sigmoid differ inside (-2.5, 2.5).
	require.Equal(t, float32(0.9), ActivateScalar(ActHardSigmoidKeras2, ActParams{}, 2))
	require.Equal(t, float32(5)/6, ActivateScalar(ActHardSigmoid, ActParams{}, 2))
	// hard_silu at -1: -1 * 2 / 6.
	require.Equal(t, float32(-1)*2/6, ActivateScalar(ActHardSilu, ActParams{}, -1))
}

func TestActByName(t *testing.T) {
	for name, want := range map[string]Act{
		"relu": ActRelu, "sigmoid": ActSigmoid, "tanh": ActTanh, "softplus": ActSoftplus,
		"softsign": ActSoftsign, "selu": ActSelu, "elu": ActElu, "exponential": ActExponential,
		"gelu": ActGelu, "silu": ActSilu, "swish": ActSilu, "hard_sigmoid": ActHardSigmoid,
		"hard_sigmoid_keras2": ActHardSigmoidKeras2, "hard_silu": ActHardSilu, "hard_swish": ActHardSilu,
		"leaky_relu": ActLeakyRelu, "relu6": ActRelu6, "mish": ActMish, "log_sigmoid": ActLogSigmoid,
		"celu": ActCelu, "linear": ActLinear, "hard_tanh": ActHardTanh, "tanh_shrink": ActTanhShrink,
		"soft_shrink": ActSoftShrink, "hard_shrink": ActHardShrink, "squareplus": ActSquareplus,
		"sparse_plus": ActSparsePlus, "sparse_sigmoid": ActSparseSigmoid,
	} {
		got, ok := ActByName(name)
		require.True(t, ok, name)
		require.Equal(t, want, got, name)
	}
	for _, name := range []string{"softmax", "log_softmax", "glu", "crelu", "sparsemax", "", "Relu", "gelu_tanh"} {
		_, ok := ActByName(name)
		require.False(t, ok, name)
	}
	require.Equal(t, ActParams{Alpha: 0.2}, DefaultActParams(ActLeakyRelu))
	require.Equal(t, ActParams{Alpha: 1}, DefaultActParams(ActElu))
	require.Equal(t, ActParams{Threshold: 0.5}, DefaultActParams(ActSoftShrink))
	require.Equal(t, ActParams{}, DefaultActParams(ActRelu))
	require.Panics(t, func() { Activate(numActs, ActParams{}, []float32{1}) })
}

func TestPReLU(t *testing.T) {
	x := []float32{-2, -1, 0, 1, 3, -4}
	alpha := []float32{0.5, 2, 0.25}
	y := newGuarded(6)
	PReLU(2, 3, x, alpha, y.s)
	y.check(t, "PReLU")
	requireEqual(t, "PReLU", y.s, []float32{-1, -2, 0, 1, 3, -1})
	PReLU(2, 3, x, alpha, x) // in place
	requireEqual(t, "PReLU in place", x, y.s)
}

func TestActivationNoAllocs(t *testing.T) {
	x := randSlice(newRand(3), 1000)
	for _, c := range actCases {
		requireNoAllocs(t, name("act %d", c.act), func() { Activate(c.act, c.p, x) })
	}
}
