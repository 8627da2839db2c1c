package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// dwParams returns a depthwise convolution (samePad: TF 'same') of an h×w×c image (batch n,
// multiplier mult) with a kh×kw kernel, 'same' or 'valid'; ok is false when
// 'valid' leaves no output.
func dwParams(n, h, w, c, mult, kh, kw, s, d int, same bool) (p ConvParams, ok bool) {
	p = ConvParams{N: n, H: h, W: w, C: c, OC: c * mult, KH: kh, KW: kw, SH: s, SW: s, DH: d, DW: d, Groups: 1}
	if same {
		p.PadT, p.OH = samePad(h, kh, s, d)
		p.PadL, p.OW = samePad(w, kw, s, d)
		return p, true
	}
	p.OH = (h-(kh-1)*d-1)/s + 1
	p.OW = (w-(kw-1)*d-1)/s + 1
	return p, h >= (kh-1)*d+1 && w >= (kw-1)*d+1
}

// dwEpilogues returns the epilogues the twin test uses on rows×n outputs:
// every fused clamp (with and without bias) and some that fall back to
// ep.Apply.
func dwEpilogues(r *rand.Rand, rows, n int) []*Epilogue {
	b := randSlice(r, n)
	res := randSlice(r, rows*n)
	return []*Epilogue{
		nil,
		{Bias: b},
		{Bias: b, Act: ActRelu},
		{Bias: b, Act: ActRelu6},
		{Act: ActRelu6},
		{Bias: b, Act: ActHardTanh},
		{Bias: b, Act: ActReluFull, Params: ActParams{MaxValue: 0.25, HasMax: true}},
		{Bias: b, Act: ActReluFull},
		// Not a clamp: ep.Apply afterwards.
		{Bias: b, Act: ActReluFull, Params: ActParams{Alpha: 0.1, Threshold: 0.2}},
		{Bias: b, Act: ActRelu6, Residual: res},
		{Act: ActSigmoid, Residual: res, ResidualAfterAct: true},
	}
}

// checkDepthwiseTwin runs DepthwiseConv2D at the current level on random
// x and w with each epilogue and compares it with depthwiseGeneric: within
// float32 rounding of Σ|x·w| + |bias| + |residual|, nothing outside y
// written, x and w unchanged.
func checkDepthwiseTwin(t *testing.T, r *rand.Rand, p *ConvParams) {
	t.Helper()
	xLen, wLen, yLen := p.N*p.H*p.W*p.C, p.KH*p.KW*p.OC, p.N*p.OH*p.OW*p.OC
	x, w := randSlice(r, xLen), randSlice(r, wLen)
	if xLen > 0 && r.IntN(4) == 0 {
		x[r.IntN(xLen)] = float32(math.NaN())
	}
	x0, w0 := clone(x), clone(w)
	ax, aw := make([]float32, xLen), make([]float32, wLen)
	for i, v := range x {
		ax[i] = float32(math.Abs(float64(v)))
	}
	for i, v := range w {
		aw[i] = float32(math.Abs(float64(v)))
	}
	mag := make([]float32, yLen)
	depthwiseGeneric(p, ax, aw, mag, nil)
	want := make([]float32, yLen)
	for e, ep := range dwEpilogues(r, p.N*p.OH*p.OW, p.OC) {
		what := fmt.Sprintf("%s %+v epilogue %d", CPULevel(), *p, e)
		y := newGuarded(yLen).fill(randSlice(r, yLen))
		DepthwiseConv2D(p, x, w, y.s, ep)
		depthwiseGeneric(p, x, w, want, ep)
		y.check(t, what)
		requireUnchanged(t, what+" x", x0, x)
		requireUnchanged(t, what+" w", w0, w)
		for i, g := range y.s {
			m := float64(mag[i])
			if ep != nil && ep.Bias != nil {
				m += math.Abs(float64(ep.Bias[i%p.OC]))
			}
			if ep != nil && ep.Residual != nil {
				m += math.Abs(float64(ep.Residual[i]))
			}
			tol := max(2*sumTol(p.KH*p.KW+2, m), 1e-5*math.Abs(float64(want[i])))
			if !closeTo(g, float64(want[i]), tol, 0) {
				t.Fatalf("%s: y[%d] = %v, twin %v (tol %.3g)", what, i, g, want[i], tol)
			}
		}
	}
}

// TestDepthwiseTwinSmall covers every channel count 1…40 (whole vectors,
// masked tails) on small images with random kernels, strides, dilations,
// paddings and multipliers.
func TestDepthwiseTwinSmall(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(21)
		for c := 1; c <= 40; c++ {
			for i := 0; i < 6; i++ {
				k := 3
				kw := 3
				if i >= 3 {
					k, kw = 1+r.IntN(5), 1+r.IntN(5)
				}
				mult := 1
				if i == 5 {
					mult = 2
				}
				p, ok := dwParams(1+r.IntN(2), 1+r.IntN(9), 1+r.IntN(9), c, mult, k, kw, 1+r.IntN(2), 1+r.IntN(2), r.IntN(3) > 0)
				if !ok {
					continue
				}
				checkDepthwiseTwin(t, r, &p)
			}
		}
	})
}

// TestDepthwiseTwinShapes covers MobileNet-like channel counts and image
// sizes, 'same' and 'valid', strides 1 and 2, dilations 1 and 2.
func TestDepthwiseTwinShapes(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(22)
		for _, c := range []int{96, 144, 160, 320, 960} {
			for _, hw := range []int{1, 2, 3, 5, 7, 9, 14} {
				for _, s := range []int{1, 2} {
					d := 1 + r.IntN(2)
					p, ok := dwParams(1, hw, hw+r.IntN(3), c, 1, 3, 3, s, d, r.IntN(2) == 0)
					if ok {
						checkDepthwiseTwin(t, r, &p)
					}
				}
			}
		}
		for _, sh := range [][3]int{{28, 28, 32}, {56, 56, 24}, {112, 112, 16}, {28, 28, 17}, {56, 56, 144}, {112, 112, 96}} {
			for _, s := range []int{1, 2} {
				if testing.Short() && sh[2] > 32 {
					continue
				}
				p, _ := dwParams(1, sh[0], sh[1], sh[2], 1, 3, 3, s, 1, true)
				checkDepthwiseTwin(t, r, &p)
			}
		}
		// 5×5 and 1×1 kernels, dilation 2 'same', multiplier 2, batch 2.
		for _, q := range []struct{ n, hw, c, m, k, s, d int }{
			{1, 14, 40, 1, 5, 1, 1}, {2, 9, 19, 1, 5, 2, 1}, {1, 14, 64, 1, 1, 1, 1}, {1, 28, 48, 1, 3, 1, 2},
			{2, 7, 33, 2, 3, 1, 1}, {1, 14, 96, 1, 5, 2, 2}, {1, 4, 8, 1, 5, 1, 3},
		} {
			for _, same := range []bool{true, false} {
				if p, ok := dwParams(q.n, q.hw, q.hw, q.c, q.m, q.k, q.k, q.s, q.d, same); ok {
					checkDepthwiseTwin(t, r, &p)
				}
			}
		}
	})
}

// TestDepthwiseRandomPads runs the twin check on randConv's shapes, which
// include arbitrary padding before and after and strides up to 3.
func TestDepthwiseRandomPads(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(23)
		for i := 0; i < 200; i++ {
			p := randConv(r, false, true)
			if i%2 == 0 {
				p.OC = p.C
			}
			checkDepthwiseTwin(t, r, &p)
		}
	})
}

// TestFusedClamp checks that every epilogue fusedClamp accepts gives what
// ep.Apply gives, on values around the clamp bounds, ±0, ±Inf and NaN.
func TestFusedClamp(t *testing.T) {
	vals := []float32{-7, -6, -1.5, -1, -0.3, float32(math.Copysign(0, -1)), 0, 0.25, 0.3, 1, 5.9, 6, 6.5,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	for e, ep := range append(dwEpilogues(newRand(24), len(vals), 1),
		&Epilogue{Act: ActReluFull, Params: ActParams{HasMax: true, MaxValue: -1}},
		&Epilogue{Act: ActLeakyRelu, Params: ActParams{Alpha: 0.2}}) {
		bias, lo, hi, ok := fusedClamp(ep, 1)
		if !ok {
			continue
		}
		for _, v := range vals {
			want := []float32{v}
			(&Epilogue{Bias: bias}).Apply(0, 1, 1, want, 1)
			got := want[0]
			if ep != nil {
				want[0] = v
				ep.Apply(0, 1, 1, want, 1)
			}
			got = max(got, lo) // Go's max/min propagate NaN, as the kernels do
			got = min(got, hi)
			if got != want[0] && !(got != got && want[0] != want[0]) {
				t.Fatalf("epilogue %d (%+v) on %v: fused %v, Apply %v", e, ep, v, got, want[0])
			}
		}
	}
}

func TestDepthwiseNoAllocs(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(25)
		p, _ := dwParams(1, 14, 14, 40, 1, 3, 3, 1, 1, true)
		x, w, y := randSlice(r, 14*14*40), randSlice(r, 9*40), make([]float32, 14*14*40)
		for _, ep := range []*Epilogue{nil, {Bias: randSlice(r, 40), Act: ActRelu6}, {Act: ActSigmoid}} {
			requireNoAllocs(t, "DepthwiseConv2D", func() { DepthwiseConv2D(&p, x, w, y, ep) })
		}
	})
}

// BenchmarkDepthwise runs MobileNetV2's depthwise layers (3×3 'same',
// bias + relu6) at each level, whole (their input streamed from L3) and as the bands
// InvertedResidual gives them (h rows of input, in L2: block 2's 7 output rows at stride 1,
// block 1's 4 and block 3's 6 at stride 2); GFLOP/s counts a multiply-add as 2, a 'same'
// row's padded taps included.
func BenchmarkDepthwise(b *testing.B) {
	shapes := []struct{ h, w, c, s int }{
		{112, 112, 32, 1}, {112, 112, 96, 2}, {56, 56, 144, 1}, {56, 56, 144, 2}, {28, 28, 192, 1},
		{14, 14, 576, 1}, {7, 7, 960, 1}, {9, 56, 144, 1}, {9, 112, 96, 2}, {13, 56, 144, 2},
	}
	for _, sh := range shapes {
		p, _ := dwParams(1, sh.h, sh.w, sh.c, 1, 3, 3, sh.s, 1, true)
		r := newRand(26)
		x, w, y := randSlice(r, sh.h*sh.w*sh.c), randSlice(r, 9*sh.c), make([]float32, p.OH*p.OW*sh.c)
		ep := &Epilogue{Bias: randSlice(r, sh.c), Act: ActRelu6}
		for _, l := range levelNames {
			b.Run(fmt.Sprintf("%dx%dx%d_s%d/%s", sh.h, sh.w, sh.c, sh.s, l), func(b *testing.B) {
				old := cpuLevel
				if !setCPULevel(l) {
					b.Skipf("level %s not supported here", l)
				}
				defer func() { cpuLevel = old }()
				start := time.Now()
				for b.Loop() {
					DepthwiseConv2D(&p, x, w, y, ep)
				}
				flops := 2 * 9 * float64(len(y)) * float64(b.N)
				b.ReportMetric(flops/time.Since(start).Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestDepthwiseTwinEdges covers 'same' 3×3 stride-1 rows, which run whole on sliding
// kernels, the groups at both ends on the edge kernels (dwRowEdge*): every width 1…26 (below
// 4 the general kernels), every split into groups, kernel heights 1–3 with row padding and
// dilation, channel tails and a batch of two; and rows wider than L1, in strips and channel
// chunks (dwSameStrips).
func TestDepthwiseTwinEdges(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(28)
		for w := 1; w <= 26; w++ {
			for _, c := range []int{1, 9, 16, 33} {
				kh, dh := 1+r.IntN(3), 1+r.IntN(2)
				padT := r.IntN(kh)
				h := (kh-1)*dh + 1 + r.IntN(4)
				p := ConvParams{N: 1 + r.IntN(2), H: h, W: w, C: c, OC: c, KH: kh, KW: 3,
					SH: 1, SW: 1, DH: dh, DW: 1, PadT: padT, PadL: 1, Groups: 1}
				p.OH, p.OW = h+padT-(kh-1)*dh, w
				checkDepthwiseTwin(t, r, &p)
			}
		}
		// Rows wider than L1 (dwSameStrips): strips of two groups (80 channels), of one (144),
		// and of one group in channel chunks (400: 192, 192 and 16 channels).
		for _, s := range [][2]int{{80, 57}, {144, 27}, {144, 40}, {400, 9}, {400, 30}} {
			c, w := s[0], s[1]
			kh := 1 + r.IntN(3)
			padT := r.IntN(kh)
			h := kh + r.IntN(4)
			p := ConvParams{N: 1 + r.IntN(2), H: h, W: w, C: c, OC: c, KH: kh, KW: 3,
				SH: 1, SW: 1, DH: 1, DW: 1, PadT: padT, PadL: 1, Groups: 1}
			p.OH, p.OW = h+padT-(kh-1), w
			checkDepthwiseTwin(t, r, &p)
		}
	})
}

// TestDepthwiseTwinSliding covers the amd64 sliding kernels (kernel width 3
// and 5, column stride 1 and 2, column dilation 1) on every interior width
// from 1 to 26 pixels (below 4 the general kernels; then every group size
// 4…8, one to four groups, split into sizes p and p-1), channel counts
// around the vector widths, kernel rows cut by padding, and row strides
// and dilations that differ from the column ones; and, beside them, column
// dilation 2, which the general kernels take.
func TestDepthwiseTwinSliding(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(27)
		for _, kw := range []int{3, 5} {
			for _, s := range []int{1, 2} {
				for ow := 1; ow <= 26; ow++ {
					c := []int{1, 7, 8, 9, 16, 17, 24, 33, 40}[r.IntN(9)]
					kh, dh := 1+r.IntN(3), 1+r.IntN(2)
					padL, padR, padT, padB := 0, 0, r.IntN(kh), r.IntN(kh)
					if r.IntN(2) == 0 { // border pixels around the interior
						padL, padR = r.IntN(kw), r.IntN(kw)
					}
					h := 1 + r.IntN(5)
					p := ConvParams{N: 1 + r.IntN(2), H: h, W: (ow-1)*s + kw - padL - padR, C: c, OC: c, KH: kh, KW: kw,
						SH: 1 + r.IntN(2), SW: s, DH: dh, DW: 1, PadT: padT, PadL: padL, Groups: 1}
					ehk := (kh-1)*dh + 1
					if p.W < 1 || h+padT+padB < ehk {
						continue
					}
					p.OH, p.OW = (h+padT+padB-ehk)/p.SH+1, ow
					checkDepthwiseTwin(t, r, &p)
					// Column dilation 2: the general kernels.
					if wd := p.W + padL + padR - 2*(kw-1) - 1; wd >= 0 {
						p.DW, p.OW = 2, wd/s+1
						checkDepthwiseTwin(t, r, &p)
					}
				}
			}
		}
	})
}
