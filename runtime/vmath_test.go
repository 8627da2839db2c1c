package runtime

import (
	"fmt"
	"math"
	"math/big"
	"testing"
)

// vmFunc is one vmath function: its twin, its dispatching slice form, its
// float64 reference, and the relative error bound at x, asserted where the
// reference is at least 2^-126 in magnitude and the bound is not 0
// (elsewhere the absolute error must be under 2^-126).
type vmFunc struct {
	name  string
	twin  func(float32) float32
	slice func([]float32)
	ref   func(float64) float64
	bound func(x float64) float64
}

func constBound(b float64) func(float64) float64 { return func(float64) float64 { return b } }

func sigmoid64(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func geluTanhArg(x float64) float64 { return 2 * math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x) }

func geluTanh64(x float64) float64 { return x * sigmoid64(geluTanhArg(x)) }

var vmFuncs = []vmFunc{
	{"exp", expf, vexp, math.Exp, constBound(1.2e-7)},
	{"sigmoid", sigmoidf, vsigmoid, sigmoid64, constBound(2.5e-7)},
	{"silu", siluf, vsilu, func(x float64) float64 { return x * sigmoid64(x) }, func(x float64) float64 {
		if x < -87.3 { // e^x is subnormal
			return 0
		}
		return 2.5e-7
	}},
	{"tanh", tanhf, vtanh, math.Tanh, constBound(2e-7)},
	{"gelu", geluf, vgelu, func(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) }, constBound(5e-7)},
	{"gelu_tanh", geluTanhf, vgeluTanh, geluTanh64, func(x float64) float64 {
		// The float32 argument v = 2√(2/π)(x+0.044715x³) carries ~1.5 ulp of
		// rounding, which e^-|v| multiplies by |v|.
		return 4e-7 + 2e-7*math.Abs(geluTanhArg(x))
	}},
}

// vmInputs is every 1/1024 in [-20, 20], a log sweep of both signs from
// 1e-30 to 1e30, and special values.
func vmInputs() []float32 {
	var xs []float32
	for i := -20 * 1024; i <= 20*1024; i++ {
		xs = append(xs, float32(i)/1024)
	}
	for e := -30.0; e <= 30; e += 1.0 / 64 {
		v := float32(math.Pow(10, e))
		xs = append(xs, v, -v)
	}
	inf := float32(math.Inf(1))
	for _, v := range []float32{0, 1e-45, 1e-40, 1e-30, 0.625, 0x1p-12, 87, 88.72, 88.73, 89, 100, 103.9, 104, 105, 1e10, 3e38, math.MaxFloat32, inf} {
		xs = append(xs, v, -v)
	}
	return append(xs, float32(math.Copysign(0, -1)), float32(math.NaN()))
}

// TestVmathAccuracy checks each twin against its float64 reference.
func TestVmathAccuracy(t *testing.T) {
	for _, f := range vmFuncs {
		worst, worstX := 0.0, float32(0)
		for _, x := range vmInputs() {
			got, want := f.twin(x), f.ref(float64(x))
			if math.IsNaN(want) || math.IsNaN(float64(got)) {
				if math.IsNaN(want) != math.IsNaN(float64(got)) {
					t.Errorf("%s(%v) = %v, want %v", f.name, x, got, want)
				}
				continue
			}
			if float64(got) == want || float32(want) == got {
				continue
			}
			d := math.Abs(float64(got) - want)
			b := f.bound(float64(x))
			if math.Abs(want) < 0x1p-126 || b == 0 {
				if d > 0x1p-126 {
					t.Errorf("%s(%v) = %v, want %v (abs error %.3g)", f.name, x, got, want, d)
				}
				continue
			}
			r := d / math.Abs(want)
			if r > b {
				t.Errorf("%s(%v) = %v, want %v: relative error %.3g, bound %.3g", f.name, x, got, want, r, b)
			}
			if r/b > worst {
				worst, worstX = r/b, x
			}
		}
		t.Logf("%s: max relative error %.3g of the bound, at %v", f.name, worst, worstX)
	}
}

// TestGateAccuracy checks the recurrent gates' forms against float64 math in absolute
// error, on every 2^-14 in [-40, 40] and vmInputs: tanhGatef within 4.5e-7 and [-1, 1],
// sigmoidGatef within 2.5e-7 and [0, 1], NaN for NaN and tanh's sign kept (±0 included).
func TestGateAccuracy(t *testing.T) {
	xs := vmInputs()
	for i := -40 << 14; i <= 40<<14; i++ {
		xs = append(xs, float32(i)/(1<<14))
	}
	forms := []struct {
		name     string
		f        func(float32) float32
		ref      func(float64) float64
		bound    float64
		min, max float32
	}{
		{"tanhGatef", tanhGatef, math.Tanh, 4.5e-7, -1, 1},
		{"sigmoidGatef", sigmoidGatef, sigmoid64, 2.5e-7, 0, 1},
	}
	for _, g := range forms {
		worst, lo, hi := 0.0, float32(0), float32(0)
		for _, x := range xs {
			got, want := g.f(x), g.ref(float64(x))
			if math.IsNaN(want) {
				if !math.IsNaN(float64(got)) {
					t.Errorf("%s(NaN) = %v", g.name, got)
				}
				continue
			}
			d := math.Abs(float64(got) - want)
			if d > g.bound || got < g.min || got > g.max {
				t.Errorf("%s(%v) = %v, want %v (abs error %.3g, bound %.3g, range [%v, %v])", g.name, x, got, want, d, g.bound, g.min, g.max)
			}
			worst, lo, hi = max(worst, d), min(lo, got), max(hi, got)
		}
		t.Logf("%s: max abs error %.3g, values in [%v, %v]", g.name, worst, lo, hi)
	}
	for _, x := range []float32{0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, float32(math.Inf(-1))} {
		if got := tanhGatef(x); math.Signbit(float64(got)) != math.Signbit(float64(x)) {
			t.Errorf("tanhGatef(%v) = %v: sign lost", x, got)
		}
	}
}

// vmLevels returns the levels this machine and build support.
func vmLevels() []string {
	var ls []string
	for l, name := range levelNames {
		if l <= hostLevel() {
			ls = append(ls, name)
		}
	}
	return ls
}

// TestVmathKernels checks the dispatching slice forms at every level
// against the twins, bit for bit (NaN for NaN), for every length 0…67 and
// a few large ones at unaligned starts, with guard bands that must stay
// untouched.
func TestVmathKernels(t *testing.T) {
	defer setCPULevel(CPULevel())
	in := vmInputs()
	const guard = 19
	for _, level := range vmLevels() {
		if !setCPULevel(level) {
			t.Fatalf("level %s", level)
		}
		for _, f := range vmFuncs {
			for _, n := range vmLengths(len(in)) {
				for _, off := range []int{0, 1, 3} {
					buf := make([]float32, guard+off+n+guard)
					for i := range buf {
						buf[i] = float32(i) * 1e-3 // a value the functions change
					}
					want := append([]float32(nil), buf...)
					x := buf[guard+off : guard+off+n]
					for i := range x {
						x[i] = in[(i*7919+n)%len(in)]
						want[guard+off+i] = f.twin(x[i])
					}
					f.slice(x)
					for i, w := range want {
						if g := buf[i]; g != w && !(g != g && w != w) && math.Float32bits(g) != math.Float32bits(w) {
							t.Fatalf("%s %s n=%d off=%d: element %d = %v (%#x), want %v (%#x) (input %v)", level, f.name, n, off,
								i-guard-off, g, math.Float32bits(g), w, math.Float32bits(w), in[((i-guard-off)*7919+n)%len(in)])
						}
					}
				}
			}
		}
	}
}

// vmLengths is 0…67, 1000, 4099 and n.
func vmLengths(n int) []int {
	var ls []int
	for i := 0; i < 68; i++ {
		ls = append(ls, i)
	}
	return append(ls, 1000, 4099, n)
}

// TestVmathNoAllocs checks that the slice forms, and ActivateScalar on the
// Acts that use them, allocate nothing at any level.
func TestVmathNoAllocs(t *testing.T) {
	defer setCPULevel(CPULevel())
	x := make([]float32, 37)
	for _, level := range vmLevels() {
		setCPULevel(level)
		for _, f := range vmFuncs {
			requireNoAllocs(t, level+" "+f.name, func() { f.slice(x) })
		}
		for act := range vmActs {
			requireNoAllocs(t, level+" scalar", func() { ActivateScalar(act, ActParams{}, 0.5) })
		}
	}
}

// vmOld is each function as Activate computed it before vmath: float64
// through the math package, rounded once.
var vmOld = map[string]func(float32) float32{
	"exp":       func(v float32) float32 { return float32(math.Exp(float64(v))) },
	"sigmoid":   func(v float32) float32 { return float32(1 / (1 + math.Exp(-float64(v)))) },
	"silu":      func(v float32) float32 { x := float64(v); return float32(x / (1 + math.Exp(-x))) },
	"tanh":      func(v float32) float32 { return float32(math.Tanh(float64(v))) },
	"gelu":      func(v float32) float32 { x := float64(v); return float32(0.5 * x * math.Erfc(-x/math.Sqrt2)) },
	"gelu_tanh": func(v float32) float32 { return float32(geluTanh64(float64(v))) },
}

// BenchmarkVmath times each function over 4096 values in [-8, 8] at each
// level, and the float64 loop it replaced ("float64").
func BenchmarkVmath(b *testing.B) {
	defer setCPULevel(CPULevel())
	src := make([]float32, 4096)
	for i := range src {
		src[i] = float32(i)/256 - 8
	}
	x := make([]float32, len(src))
	for _, f := range vmFuncs {
		b.Run(f.name+"/float64", func(b *testing.B) {
			old := vmOld[f.name]
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				for i, v := range src {
					x[i] = old(v)
				}
			}
		})
		for _, level := range vmLevels() {
			b.Run(f.name+"/"+level, func(b *testing.B) {
				setCPULevel(level)
				b.SetBytes(int64(4 * len(x)))
				for b.Loop() {
					copy(x, src)
					f.slice(x)
				}
			})
		}
	}
}

// BenchmarkLSTMCell times the LSTM gate math of the bench model's batch-32 step (32 rows of
// 128 units, pre-activations in [-8, 8]) at each level: the part of an lstmStacked step
// that is not its GEMM.
func BenchmarkLSTMCell(b *testing.B) {
	defer setCPULevel(CPULevel())
	const rows, u = 32, 128
	z, c, h := make([]float32, rows*4*u), make([]float32, rows*u), make([]float32, rows*u)
	for i := range z {
		z[i] = float32(i*7919%4096)/256 - 8
	}
	for _, level := range vmLevels() {
		b.Run(level, func(b *testing.B) {
			setCPULevel(level)
			for b.Loop() {
				for i := 0; i < rows; i++ {
					lstmCell(z[i*4*u:(i+1)*4*u], c[i*u:(i+1)*u], h[i*u:(i+1)*u])
				}
			}
		})
	}
}

// TestFMA32 checks fma32 against a*b+c rounded once by math/big, on
// random operands over a wide range of exponents and on a sum that
// rounds to a float32 midpoint in float64 (where rounding twice is wrong).
func TestFMA32(t *testing.T) {
	exact := func(a, b, c float32) float32 {
		p := new(big.Float).SetPrec(200).SetFloat64(float64(a))
		p.Mul(p, new(big.Float).SetFloat64(float64(b)))
		p.Add(p, new(big.Float).SetFloat64(float64(c)))
		f, _ := p.Float32()
		return f
	}
	// 64 + 2^-17 + 2^-18 - 2^-64 rounds to 64 + 2^-17, not (via 64 + 1.5·2^-17) to 64 + 2^-16.
	a, b, c := float32(0x1p-9*(1+0x1p-23)), float32(0x1p-9*(1-0x1p-23)), float32(64+0x1p-17)
	if got, want := fma32(a, b, c), exact(a, b, c); got != want || want != 64+0x1p-17 {
		t.Fatalf("fma32 midpoint: %v, want %v", got, want)
	}
	r := newRand(5)
	rnd := func() float32 {
		return float32((r.Float64()*2 - 1) * math.Pow(2, float64(r.IntN(120)-80)))
	}
	for i := 0; i < 200000; i++ {
		a, b, c := rnd(), rnd(), rnd()
		if i%3 == 0 {
			c = -float32(float64(a) * float64(b)) // cancellation
		}
		if got, want := fma32(a, b, c), exact(a, b, c); got != want {
			t.Fatalf("fma32(%v, %v, %v) = %v, want %v", a, b, c, got, want)
		}
	}
}

// TestLSTMCellKernels checks the fused LSTM gate kernels against lstmCellGo bit for bit at
// each CPU level, for every row width 0..70 (full vectors, masked and Go tails), with inputs
// spanning the saturated and small ranges, and guard bands around c and h untouched; the
// twin itself against float64 math at the vmath bounds.
func TestLSTMCellKernels(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		rnd := lcg(1, 24)
		for u := 0; u <= 70; u++ {
			z := make([]float32, 4*u)
			for i := range z {
				z[i] = rnd()
			}
			c0 := make([]float32, u)
			for i := range c0 {
				c0[i] = rnd() / 4
			}
			wantC, wantH := append([]float32{}, c0...), make([]float32, u)
			lstmCellGo(z, wantC, wantH)
			cg, hg := newGuarded(u).fill(c0), newGuarded(u)
			lstmCell(z, cg.s, hg.s)
			what := fmt.Sprintf("%s u=%d", CPULevel(), u)
			cg.check(t, what+" c")
			hg.check(t, what+" h")
			requireSameBits(t, what+" c", cg.s, wantC)
			requireSameBits(t, what+" h", hg.s, wantH)
			for j := 0; j < u; j++ {
				s := func(x float32) float64 { return sigmoid64(float64(x)) }
				c := s(z[u+j])*float64(c0[j]) + s(z[j])*math.Tanh(float64(z[2*u+j]))
				h := s(z[3*u+j]) * math.Tanh(c)
				if math.Abs(float64(wantC[j])-c) > 2e-6*(1+math.Abs(c)) || math.Abs(float64(wantH[j])-h) > 2e-6 {
					t.Fatalf("u=%d lane %d: twin c, h = %v, %v; float64 %v, %v", u, j, wantC[j], wantH[j], c, h)
				}
			}
		}
	})
}

// TestLSTMStepKernel checks the twin lstmStepGo against the unfused path (a float64 h·w
// added to z, then lstmCellGo) within 1e-5 at every level, and where the fused LSTM step
// kernel exists (AVX-512) the kernel against the twin bit for bit, for every u it takes up to
// 144 (32-unit blocks, then a 16-unit one), forward, and back where it runs back (u a
// multiple of 32), with guard bands around c, hNew and z (left holding the pre-activations),
// h and w left as they were. w goes to both in the step layout (packStep).
func TestLSTMStepKernel(t *testing.T) {
	unit := lcg(5, 1)
	rnd := func(scale float32) float32 { return unit() * scale }
	for i := 0; i < 18; i++ {
		u, back := 16*(1+i/2), i%2 == 1
		if back && u%32 != 0 {
			continue // lstmStep runs back on multiples of 32 units only (Recurrent's driver)
		}
		z, w, h, c0 := make([]float32, 4*u), make([]float32, 4*u*u), make([]float32, u), make([]float32, u)
		for i := range z {
			z[i] = rnd(8)
		}
		for i := range w {
			w[i] = rnd(0.5)
		}
		for i := range h {
			h[i], c0[i] = rnd(2), rnd(4)
		}
		ws := make([]float32, 4*u*u)
		packStep(ws, w, u)
		hCopy, wsCopy := append([]float32{}, h...), append([]float32{}, ws...)
		wantC, wantH, wantZ := append([]float32{}, c0...), make([]float32, u), append([]float32{}, z...)
		lstmStepGo(wantZ, ws, h, wantH, wantC, back)
		what := fmt.Sprintf("u=%d back=%v", u, back)
		if hasLSTMStep(u) {
			cg, hg, zg := newGuarded(u).fill(c0), newGuarded(u), newGuarded(4*u).fill(z)
			lstmStep(zg.s, ws, h, hg.s, cg.s, back)
			cg.check(t, what+" c")
			hg.check(t, what+" hNew")
			requireSameBits(t, what+" c", cg.s, wantC)
			requireSameBits(t, what+" hNew", hg.s, wantH)
			zg.check(t, what+" z")
			requireSameBits(t, what+" z (the pre-activations)", zg.s, wantZ)
		}
		requireSameBits(t, what+" h", h, hCopy)
		requireSameBits(t, what+" w", ws, wsCopy)

		zz := append([]float32{}, z...)
		for j := range zz {
			acc := float64(zz[j])
			for k := 0; k < u; k++ {
				acc += float64(h[k]) * float64(w[k*4*u+j])
			}
			zz[j] = float32(acc)
		}
		refC, refH := append([]float32{}, c0...), make([]float32, u)
		lstmCellGo(zz, refC, refH)
		for j := 0; j < u; j++ {
			if math.Abs(float64(wantC[j]-refC[j])) > 1e-5*(1+math.Abs(float64(refC[j]))) || math.Abs(float64(wantH[j]-refH[j])) > 1e-5 {
				t.Fatalf("%s unit %d: twin c, h = %v, %v; unfused %v, %v", what, j, wantC[j], wantH[j], refC[j], refH[j])
			}
		}
	}
}

// TestStepIndex: the step layout is a permutation of U's 4u² values in which every block's
// rows follow one another and each row holds the block's units of the four gates in order,
// so that a step reads U as one stream: visiting units block by block, k, then gate and
// unit, the index runs 0, 1, 2, … (a mutation of any of stepIndex's terms breaks it).
func TestStepIndex(t *testing.T) {
	for _, u := range []int{16, 32, 48, 64, 112, 128} {
		next := 0
		for first := 0; first < u; first += 32 {
			width := min(32, u-first)
			for k := 0; k < u; k++ {
				for g := 0; g < 4; g++ {
					for j := first; j < first+width; j++ {
						if got := stepIndex(u, k, g, j); got != next {
							t.Fatalf("u=%d: stepIndex(k=%d, g=%d, j=%d) = %d, want %d", u, k, g, j, got, next)
						}
						next++
					}
				}
			}
		}
		if next != 4*u*u {
			t.Fatalf("u=%d: %d values visited, want %d", u, next, 4*u*u)
		}
	}
}

// TestSoftmaxKernels checks the softmax kernels against softmaxGo bit for bit at each CPU
// level (16 lanes, or 8 on AVX2), every row length 1..100, guard bands around y untouched,
// and the twin against float64 math within its stated bound.
func TestSoftmaxKernels(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		lanes := levelLanes()
		rnd := lcg(7, 30)
		for n := 1; n <= 100; n++ {
			x := make([]float32, n)
			for i := range x {
				x[i] = rnd()
			}
			want := make([]float32, n)
			softmaxGo(x, want, lanes)
			y := newGuarded(n)
			Softmax(1, n, x, y.s)
			y.check(t, fmt.Sprintf("%s softmax n=%d", CPULevel(), n))
			requireSameBits(t, fmt.Sprintf("%s softmax n=%d", CPULevel(), n), y.s, want)
			mx := math.Inf(-1)
			for _, v := range x {
				mx = math.Max(mx, float64(v))
			}
			var s float64
			for _, v := range x {
				s += math.Exp(float64(v) - mx)
			}
			for j, v := range x {
				bound := (float64(n/lanes+6)+mx-float64(v))*0x1p-24 + 3e-7
				e := math.Exp(float64(v)-mx) / s
				if math.Abs(float64(want[j])-e) > bound*e {
					t.Fatalf("n=%d: twin y[%d] = %v, float64 %v (bound %.2g relative)", n, j, want[j], e, bound)
				}
			}
		}
	})
}

// TestLayerNormKernels checks the layer-norm kernels against layerNormGo bit for bit at each
// CPU level (16 lanes, or 8 on AVX2), every row length 1..100 with gamma and beta, guard
// bands around y untouched.
func TestLayerNormKernels(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		lanes := levelLanes()
		rnd := lcg(3, 8)
		for n := 1; n <= 100; n++ {
			x, g, b := make([]float32, n), make([]float32, n), make([]float32, n)
			for i := range x {
				x[i], g[i], b[i] = rnd()+3, rnd(), rnd()
			}
			want := make([]float32, n)
			layerNormGo(x, want, g, b, 1e-5, false, lanes)
			y := newGuarded(n)
			LayerNorm(1, n, x, g, b, y.s, 1e-5, false)
			y.check(t, fmt.Sprintf("%s layer norm n=%d", CPULevel(), n))
			requireSameBits(t, fmt.Sprintf("%s layer norm n=%d", CPULevel(), n), y.s, want)
		}
	})
}

// TestGRUCellKernels checks the fused GRU gate kernels against gruCellGo bit for bit at each
// CPU level, every row width 0..70, guard bands around h untouched, and the twin against
// float64 math.
func TestGRUCellKernels(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		rnd := lcg(5, 12)
		for u := 0; u <= 70; u++ {
			x, q, b := make([]float32, 3*u), make([]float32, 3*u), make([]float32, 3*u)
			for i := range x {
				x[i], q[i], b[i] = rnd(), rnd(), rnd()/4
			}
			h0 := make([]float32, u)
			for i := range h0 {
				h0[i] = rnd() / 12
			}
			want := append([]float32{}, h0...)
			gruCellGo(x, q, b, want)
			hg := newGuarded(u).fill(h0)
			gruCell(x, q, b, hg.s)
			hg.check(t, fmt.Sprintf("%s u=%d h", CPULevel(), u))
			requireSameBits(t, fmt.Sprintf("%s u=%d h", CPULevel(), u), hg.s, want)
			for j := 0; j < u; j++ {
				f := func(i int) float64 { return float64(x[i]) + float64(q[i]) + float64(b[i]) }
				zz, rr := sigmoid64(f(j)), sigmoid64(f(u+j))
				hh := math.Tanh(float64(x[2*u+j]) + rr*(float64(q[2*u+j])+float64(b[2*u+j])))
				h := zz*float64(h0[j]) + (1-zz)*hh
				if math.Abs(float64(want[j])-h) > 4e-6 {
					t.Fatalf("u=%d lane %d: twin h = %v, float64 %v", u, j, want[j], h)
				}
			}
		}
	})
}

// TestSoftmaxManyRows checks Softmax over many short rows (on AVX-512 one call of
// softmaxRowsAVX512, eight rows side by side) against softmaxGo row by row, bit for bit, at
// each CPU level: row lengths 1…17, row counts 0…19 (around one and two eight-row bundles),
// rows holding -Inf, +Inf and NaN in the first bundle and in the second, in place and into a
// guarded y.
func TestSoftmaxManyRows(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		lanes := levelLanes()
		rnd := lcg(11, 30)
		for n := 1; n <= 17; n++ {
			for rows := 0; rows <= 19; rows++ {
				x := make([]float32, rows*n)
				for i := range x {
					x[i] = rnd()
				}
				if rows > 2 {
					x[n] = float32(math.Inf(-1))
					x[2*n] = float32(math.NaN())
				}
				if rows > 5 {
					x[5*n+n/2] = float32(math.Inf(1))
				}
				if rows > 13 {
					x[10*n+n-1] = float32(math.Inf(-1))
					x[13*n] = float32(math.NaN())
				}
				want := make([]float32, len(x))
				for r := 0; r < rows; r++ {
					softmaxGo(x[r*n:(r+1)*n], want[r*n:(r+1)*n], lanes)
				}
				what := fmt.Sprintf("%s softmax %d rows of %d", CPULevel(), rows, n)
				y := newGuarded(len(x))
				Softmax(rows, n, x, y.s)
				y.check(t, what)
				requireSameBits(t, what, y.s, want)
				Softmax(rows, n, x, x) // in place
				requireSameBits(t, what+" in place", x, want)
			}
		}
	})
}

// BenchmarkSoftmaxRows times Softmax over 32768 rows of 12 values (a per-pixel softmax, as
// corpus seg-h5-small's head), at each level: on AVX-512 the many-rows kernel, against the
// row kernel called per row ("rowwise", the path before it).
func BenchmarkSoftmaxRows(b *testing.B) {
	const rows, n = 32768, 12
	x, y := make([]float32, rows*n), make([]float32, rows*n)
	for i := range x {
		x[i] = float32(i%29) * 0.25
	}
	b.Run("softmax", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			Softmax(rows, n, x, y)
		}
	})
	b.Run("rowwise", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for r := 0; r < rows; r++ {
				vsoftmax(x[r*n:(r+1)*n], y[r*n:(r+1)*n])
			}
		}
	})
}

// lcg returns a generator of the values (u - 0.5)·scale for u in [0, 1) from a linear
// congruential sequence started at seed: the same values on every run and at every level.
func lcg(seed uint32, scale float32) func() float32 {
	return func() float32 {
		seed = seed*1664525 + 1013904223
		return (float32(seed>>8)/(1<<24) - 0.5) * scale
	}
}

// levelLanes is the float32 lanes of a vector the tests assume at the level in force: 8 on
// AVX2, else 16.
func levelLanes() int {
	if CPULevel() == "avx2" {
		return 8
	}
	return 16
}
