// Elementwise activation functions, as Keras 3 defines them.
//
// Contract: Activate rewrites x in place, element by element; ActivateScalar
// is the same function on one value (bit for bit, at every CPU level). Each
// Act follows the Keras 3 formula (keras/src/activations/activations.py and
// the backends' nn.py). ActSigmoid, ActTanh, ActExponential, ActGelu,
// ActGeluTanh and ActSilu run the vectorized float32 kernels of vmath.go
// (assembly on amd64, the bit-identical Go twins elsewhere); against the
// formula evaluated exactly, where the exact result is at least 2^-126 in
// magnitude, their relative error is at most: exponential 1.2e-7, sigmoid
// 2.5e-7, tanh 2e-7, silu 2.5e-7 (for x ≥ -87.3), gelu 5e-7 (for x < 0 as
// well: no cancellation in 1+erf), gelu_tanh 4e-7 + 2e-7·|v| with
// v = √(8/π)(x+0.044715x³) (the float32 rounding of v, amplified); below
// 2^-126 their absolute error is under 2^-126. The other transcendental
// Acts are evaluated in float64 and rounded once, within 2 ulp of the
// formula for every finite input; piecewise-linear ones use float32
// arithmetic in Keras' order of operations (that of the torch backend
// where backends differ). NaN gives NaN for every Act except
// ActSoftShrink, which gives 0 (torch's softshrink). gelu, gelu_tanh and
// silu of -Inf are NaN (-Inf·0, as Keras' formulas give).
// PReLU applies a per-channel parametric ReLU to rows of channels.

package runtime

import (
	"math"
	"strconv"
)

// Act names an elementwise activation.
type Act uint8

const (
	ActLinear            Act = iota // x
	ActRelu                         // max(x, 0)
	ActSigmoid                      // 1/(1+exp(-x)), stable for every x
	ActTanh                         // tanh(x)
	ActSoftplus                     // log(exp(x)+1), stable
	ActSoftsign                     // x/(|x|+1)
	ActSelu                         // scale*elu(x, alpha), alpha=1.67326324…, scale=1.05070098…
	ActElu                          // x>0 ? x : Alpha*(exp(x)-1)
	ActExponential                  // exp(x)
	ActGelu                         // 0.5x(1+erf(x/√2)) (Keras "gelu", approximate=False)
	ActGeluTanh                     // 0.5x(1+tanh(√(2/π)(x+0.044715x³))) (approximate=True)
	ActSilu                         // x*sigmoid(x) (Keras "silu", "swish")
	ActHardSigmoid                  // relu6(x+3)/6 (Keras 3 "hard_sigmoid")
	ActHardSigmoidKeras2            // clip(0.2x+0.5, 0, 1) (Keras 2 "hard_sigmoid")
	ActHardSilu                     // x*hard_sigmoid(x) (Keras "hard_silu", "hard_swish")
	ActLeakyRelu                    // x>0 ? x : Alpha*x (Alpha = negative_slope)
	ActRelu6                        // min(max(x, 0), 6)
	ActReluFull                     // Keras ReLU layer / relu(): Alpha, MaxValue (HasMax), Threshold
	ActMish                         // x*tanh(softplus(x))
	ActLogSigmoid                   // -softplus(-x)
	ActCelu                         // max(0,x) + min(0, Alpha*(exp(x/Alpha)-1))
	ActHardTanh                     // clip(x, -1, 1)
	ActTanhShrink                   // x - tanh(x)
	ActSoftShrink                   // x>T ? x-T : x<-T ? x+T : 0 (T = Threshold)
	ActHardShrink                   // |x|>T ? x : 0 (T = Threshold)
	ActSquareplus                   // (x + sqrt(x²+b))/2 (b = Alpha)
	ActSparsePlus                   // x<=-1 ? 0 : x<1 ? (x+1)²/4 : x
	ActSparseSigmoid                // x<=-1 ? 0 : x>=1 ? 1 : (x+1)/2
	numActs
)

// ActParams holds the parameters of the activations that take any; the
// zero value suits every parameter-free Act. The string form of a Keras
// activation uses DefaultActParams.
type ActParams struct {
	// Alpha is ELU/CELU's alpha, LeakyReLU's and ReLU's negative_slope,
	// Squareplus' b.
	Alpha float32
	// MaxValue is the ReLU layer's max_value, used when HasMax.
	MaxValue float32
	// Threshold is the ReLU layer's threshold and the shrink functions'
	// threshold.
	Threshold float32
	HasMax    bool
}

var actNames = map[string]Act{
	"linear":              ActLinear,
	"relu":                ActRelu,
	"sigmoid":             ActSigmoid,
	"tanh":                ActTanh,
	"softplus":            ActSoftplus,
	"softsign":            ActSoftsign,
	"selu":                ActSelu,
	"elu":                 ActElu,
	"exponential":         ActExponential,
	"gelu":                ActGelu,
	"silu":                ActSilu,
	"swish":               ActSilu,
	"hard_sigmoid":        ActHardSigmoid,
	"hard_sigmoid_keras2": ActHardSigmoidKeras2,
	"hard_silu":           ActHardSilu,
	"hard_swish":          ActHardSilu,
	"leaky_relu":          ActLeakyRelu,
	"relu6":               ActRelu6,
	"mish":                ActMish,
	"log_sigmoid":         ActLogSigmoid,
	"celu":                ActCelu,
	"hard_tanh":           ActHardTanh,
	"tanh_shrink":         ActTanhShrink,
	"soft_shrink":         ActSoftShrink,
	"hard_shrink":         ActHardShrink,
	"squareplus":          ActSquareplus,
	"sparse_plus":         ActSparsePlus,
	"sparse_sigmoid":      ActSparseSigmoid,
}

// ActByName returns the Act of a Keras 3 activation name (the string a
// layer config stores, aliases "swish" and "hard_swish" included), plus
// "hard_sigmoid_keras2" for the Keras 2 hard_sigmoid. Softmax, log_softmax,
// glu, crelu and sparsemax are not elementwise and are not Acts.
func ActByName(name string) (Act, bool) {
	a, ok := actNames[name]
	return a, ok
}

// DefaultActParams returns the parameters Keras uses when the activation is
// given by name: leaky_relu negative_slope 0.2, elu and celu alpha 1,
// soft_shrink and hard_shrink threshold 0.5, squareplus b 4, relu none.
// (Layers such as LeakyReLU, whose default negative_slope is 0.3, pass their
// own.)
func DefaultActParams(act Act) ActParams {
	switch act {
	case ActLeakyRelu:
		return ActParams{Alpha: 0.2}
	case ActElu, ActCelu:
		return ActParams{Alpha: 1}
	case ActSoftShrink, ActHardShrink:
		return ActParams{Threshold: 0.5}
	case ActSquareplus:
		return ActParams{Alpha: 4}
	}
	return ActParams{}
}

// Activate applies act to every element of x, in place.
func Activate(act Act, p ActParams, x []float32) {
	if haveAsm && cpuLevel != levelGeneric && len(x) >= 16 && act != ActLinear {
		// The piecewise-linear activations run on the epilogue kernels.
		if slope, lo, hi, ok := clampForm(act, &p); ok {
			n := len(x)
			epilogueClamp(&Epilogue{}, 0, 0, 1, n, n, x, n, slope, lo, hi)
			return
		}
	}
	switch act {
	case ActLinear:
	case ActRelu:
		for i, v := range x {
			x[i] = relu(v)
		}
	case ActSigmoid:
		vsigmoid(x)
	case ActTanh:
		vtanh(x)
	case ActSoftplus:
		for i, v := range x {
			x[i] = softplus(v)
		}
	case ActSoftsign:
		for i, v := range x {
			x[i] = softsign(v)
		}
	case ActSelu:
		for i, v := range x {
			x[i] = selu(v)
		}
	case ActElu:
		for i, v := range x {
			x[i] = elu(v, p.Alpha)
		}
	case ActExponential:
		vexp(x)
	case ActGelu:
		vgelu(x)
	case ActGeluTanh:
		vgeluTanh(x)
	case ActSilu:
		vsilu(x)
	case ActHardSigmoid:
		for i, v := range x {
			x[i] = hardSigmoid(v)
		}
	case ActHardSigmoidKeras2:
		for i, v := range x {
			x[i] = hardSigmoidKeras2(v)
		}
	case ActHardSilu:
		for i, v := range x {
			x[i] = hardSilu(v)
		}
	case ActLeakyRelu:
		for i, v := range x {
			x[i] = leakyRelu(v, p.Alpha)
		}
	case ActRelu6:
		for i, v := range x {
			x[i] = clamp(v, 0, 6)
		}
	case ActReluFull:
		for i, v := range x {
			x[i] = reluFull(v, &p)
		}
	case ActMish:
		for i, v := range x {
			x[i] = mish(v)
		}
	case ActLogSigmoid:
		for i, v := range x {
			x[i] = logSigmoid(v)
		}
	case ActCelu:
		for i, v := range x {
			x[i] = celu(v, p.Alpha)
		}
	case ActHardTanh:
		for i, v := range x {
			x[i] = clamp(v, -1, 1)
		}
	case ActTanhShrink:
		for i, v := range x {
			x[i] = tanhShrink(v)
		}
	case ActSoftShrink:
		for i, v := range x {
			x[i] = softShrink(v, p.Threshold)
		}
	case ActHardShrink:
		for i, v := range x {
			x[i] = hardShrink(v, p.Threshold)
		}
	case ActSquareplus:
		for i, v := range x {
			x[i] = squareplus(v, p.Alpha)
		}
	case ActSparsePlus:
		for i, v := range x {
			x[i] = sparsePlus(v)
		}
	case ActSparseSigmoid:
		for i, v := range x {
			x[i] = sparseSigmoid(v)
		}
	default:
		panic("runtime.Activate: unknown Act " + strconv.Itoa(int(act)))
	}
}

// ActivateScalar returns act applied to v; Activate(act, p, x) sets each
// x[i] to ActivateScalar(act, p, x[i]).
func ActivateScalar(act Act, p ActParams, v float32) float32 {
	x := [1]float32{v}
	Activate(act, p, x[:])
	return x[0]
}

// PReLU is the Keras PReLU layer over rows of c channels: y = x for x > 0,
// alpha[j]*x otherwise, alpha holding c values (the caller expands
// shared_axes). x and y may be the same slice.
func PReLU(rows, c int, x, alpha, y []float32) {
	need("PReLU", "x", x, rows*c)
	need("PReLU", "y", y, rows*c)
	need("PReLU", "alpha", alpha, c)
	alpha = alpha[:c]
	for r := 0; r < rows; r++ {
		xr := x[r*c : r*c+c]
		yr := y[r*c : r*c+c]
		for j, a := range alpha {
			v := xr[j]
			if v <= 0 { // relu(x) - alpha*relu(-x)
				v *= a
			}
			yr[j] = v
		}
	}
}

// SELU constants, as Keras and the backends define them.
const (
	seluAlpha = 1.6732632423543772848170429916717
	seluScale = 1.0507009873554804934193349852946
)

// clamp returns v limited to [lo, hi]; NaN stays NaN.
func clamp(v, lo, hi float32) float32 {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

func relu(v float32) float32 {
	if v < 0 {
		return 0
	}
	return v
}

// softplus64 is log(1+exp(x)) without overflow.
func softplus64(x float64) float64 {
	return math.Max(x, 0) + math.Log1p(math.Exp(-math.Abs(x)))
}

func softplus(v float32) float32 { return float32(softplus64(float64(v))) }

func softsign(v float32) float32 {
	a := v
	if a < 0 {
		a = -a
	}
	return v / (a + 1)
}

func selu(v float32) float32 {
	x := float64(v)
	if x > 0 {
		return float32(seluScale * x)
	}
	return float32(seluScale * seluAlpha * math.Expm1(x))
}

func elu(v, alpha float32) float32 {
	if v > 0 {
		return v
	}
	return float32(float64(alpha) * math.Expm1(float64(v)))
}

func hardSigmoid(v float32) float32 {
	return clamp(v+3, 0, 6) / 6
}

func hardSigmoidKeras2(v float32) float32 {
	return clamp(0.2*v+0.5, 0, 1)
}

// hardSilu is x*hard_sigmoid(x), the form of Keras' docstring and of its
// numpy, JAX and TF backends (torch's x*relu6(x+3)/6 overflows for
// |x| > 5.6e37 and otherwise differs by at most an ulp).
func hardSilu(v float32) float32 {
	return v * (clamp(v+3, 0, 6) / 6)
}

func leakyRelu(v, alpha float32) float32 {
	if v > 0 {
		return v
	}
	return v * alpha
}

// reluFull is Keras' relu(x, negative_slope, max_value, threshold):
// min(x, max_value) for x > threshold, negative_slope*(x-threshold) otherwise.
func reluFull(v float32, p *ActParams) float32 {
	if v > p.Threshold {
		if p.HasMax && v > p.MaxValue {
			return p.MaxValue
		}
		return v
	}
	if p.Alpha == 0 && v == v { // keep 0*(-Inf) from making a NaN
		return 0
	}
	return p.Alpha * (v - p.Threshold)
}

func mish(v float32) float32 {
	x := float64(v)
	return float32(x * math.Tanh(softplus64(x)))
}

func logSigmoid(v float32) float32 {
	return float32(-softplus64(-float64(v)))
}

func celu(v, alpha float32) float32 {
	x, a := float64(v), float64(alpha)
	return float32(math.Max(x, 0) + math.Min(0, a*math.Expm1(x/a)))
}

func tanhShrink(v float32) float32 {
	x := float64(v)
	return float32(x - math.Tanh(x))
}

func softShrink(v, t float32) float32 {
	switch {
	case v > t:
		return v - t
	case v < -t:
		return v + t
	}
	return 0
}

func hardShrink(v, t float32) float32 {
	if v >= -t && v <= t {
		return 0
	}
	return v
}

func squareplus(v, b float32) float32 {
	x := float64(v)
	return float32((x + math.Sqrt(x*x+float64(b))) / 2)
}

func sparsePlus(v float32) float32 {
	switch {
	case v <= -1:
		return 0
	case v < 1:
		return 0.25 * (v + 1) * (v + 1)
	}
	return v
}

func sparseSigmoid(v float32) float32 {
	switch {
	case v <= -1:
		return 0
	case v >= 1:
		return 1
	}
	return 0.5 * (v + 1)
}
