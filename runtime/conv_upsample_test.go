package runtime

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// upsampledConvRef is the unfused layers in float64: x upsampled 2× by nearest neighbour,
// then the 3×3 'same' stride-1 convolution with w [3, 3, c, oc], bias and ReLU when relu; and
// per element a tolerance, 1e-6 + 1e-5·Σ|x·w| over the element's terms (float32 sums of up
// to 9c terms).
func upsampledConvRef(n, h, w, c, oc int, x, k, bias []float32, relu bool) (want, tol []float64) {
	oh, ow := 2*h, 2*w
	want, tol = make([]float64, n*oh*ow*oc), make([]float64, n*oh*ow*oc)
	for img := 0; img < n; img++ {
		for y := 0; y < oh; y++ {
			for xx := 0; xx < ow; xx++ {
				for o := 0; o < oc; o++ {
					s, mag := 0.0, 0.0
					if bias != nil {
						s = float64(bias[o])
					}
					for ky := 0; ky < 3; ky++ {
						for kx := 0; kx < 3; kx++ {
							uy, ux := y+ky-1, xx+kx-1
							if uy < 0 || uy >= oh || ux < 0 || ux >= ow {
								continue
							}
							px := x[((img*h+uy/2)*w+ux/2)*c:]
							for ci := 0; ci < c; ci++ {
								t := float64(px[ci]) * float64(k[((ky*3+kx)*c+ci)*oc+o])
								s += t
								mag += math.Abs(t)
							}
						}
					}
					if relu {
						s = max(s, 0)
					}
					i := ((img*oh+y)*ow+xx)*oc + o
					want[i], tol[i] = s, 1e-6+1e-5*mag
				}
			}
		}
	}
	return want, tol
}

// TestConv2DUpsampled checks the phase form against the unfused layers (in float64) at every
// kernel level: channel counts that take each kernel width (1 output channel: the dot-product
// kernels; 8, 16, 32, 40), odd sizes, one row or column, a batch, with and without a bias and
// ReLU; three threads; no allocation.
func TestConv2DUpsampled(t *testing.T) {
	shapes := []ConvParams{
		{N: 2, H: 5, W: 7, C: 3, OC: 8},
		{N: 1, H: 9, W: 6, C: 16, OC: 32},
		{N: 1, H: 1, W: 5, C: 8, OC: 16},
		{N: 2, H: 6, W: 1, C: 5, OC: 40},
		{N: 1, H: 12, W: 13, C: 32, OC: 1},
		{N: 3, H: 4, W: 4, C: 64, OC: 24},
	}
	eachLevel(t, func(t *testing.T) {
		for i, p := range shapes {
			n := p.N
			p = UpsampledConvParams(p.H, p.W, p.C, p.OC)
			p.N = n
			r := newRand(uint64(90 + i))
			x, k, bias := randSlice(r, p.N*p.H*p.W*p.C), randSlice(r, 9*p.C*p.OC), randSlice(r, p.OC)
			phases := UpsampledPhaseKernels(make([]float32, UpsampledPhaseKernelsLen(p.C, p.OC)), k, p.C, p.OC)
			s := make([]float32, Conv2DUpsampledScratch(&p))
			for _, ep := range []*Epilogue{nil, {Bias: bias, Act: ActRelu}} {
				what := fmt.Sprintf("%s %+v, epilogue %v", CPULevel(), p, ep != nil)
				var b []float32
				if ep != nil {
					b = bias
				}
				want, tol := upsampledConvRef(p.N, p.H, p.W, p.C, p.OC, x, k, b, ep != nil)
				y := newGuarded(len(want))
				Conv2DUpsampled(&p, x, phases, y.s, s, ep)
				y.check(t, what)
				requireCloseTol(t, what, y.s, want, tol)
				requireNoAllocs(t, what, func() { Conv2DUpsampled(&p, x, phases, y.s, s, ep) })
				withThreads(3, func() {
					y3 := newGuarded(len(want))
					Conv2DUpsampled(&p, x, phases, y3.s, s, ep)
					y3.check(t, what+", three threads")
					requireCloseTol(t, what+", three threads", y3.s, want, tol)
				})
			}
		}
	})
}

// TestUpsampledPhaseKernels checks the phase kernels of a one-channel 3×3 kernel whose taps are
// distinct powers of two (so every sum is exact and names its taps): phase (a, b) tap (r, s)
// holds the taps of rows upsampledTaps[a][r] and columns upsampledTaps[b][s].
func TestUpsampledPhaseKernels(t *testing.T) {
	var k [9]float32
	for i := range k {
		k[i] = float32(int(1) << i)
	}
	got := UpsampledPhaseKernels(make([]float32, 16), k[:], 1, 1)
	// bits(rows, cols) is the sum of the taps (ky, kx) for ky in rows, kx in cols.
	bits := func(rows, cols []int) float32 {
		var s float32
		for _, ky := range rows {
			for _, kx := range cols {
				s += k[ky*3+kx]
			}
		}
		return s
	}
	lo, hi := []int{0}, []int{1, 2}
	lo1, hi1 := []int{0, 1}, []int{2}
	want := []float32{
		bits(lo, lo), bits(lo, hi), bits(hi, lo), bits(hi, hi), // phase (0, 0)
		bits(lo, lo1), bits(lo, hi1), bits(hi, lo1), bits(hi, hi1), // (0, 1)
		bits(lo1, lo), bits(lo1, hi), bits(hi1, lo), bits(hi1, hi), // (1, 0)
		bits(lo1, lo1), bits(lo1, hi1), bits(hi1, lo1), bits(hi1, hi1), // (1, 1)
	}
	requireSameBits(t, "phase kernels", got, want)
}

// TestConv2DUpsampledRefuses checks the panics for parameters that are not a phase convolution
// and for a residual epilogue.
func TestConv2DUpsampledRefuses(t *testing.T) {
	p := UpsampledConvParams(4, 4, 2, 3)
	p.N = 1
	x, w, y := make([]float32, 32), make([]float32, UpsampledPhaseKernelsLen(2, 3)), make([]float32, 4*48)
	s := make([]float32, Conv2DUpsampledScratch(&p))
	bad := p
	bad.KH = 3
	require.PanicsWithValue(t, "runtime: Conv2DUpsampled takes a 2×2 phase convolution (KH = KW = 2, OH = H, OW = W, unit steps, one group)",
		func() { Conv2DUpsampled(&bad, x, w, y, s, nil) })
	require.PanicsWithValue(t, "runtime: Conv2DUpsampled takes no residual", func() {
		Conv2DUpsampled(&p, x, w, y, s, &Epilogue{Residual: make([]float32, len(y))})
	})
	require.PanicsWithValue(t, "runtime.Conv2DUpsampled: y has 10 elements, need 192", func() { Conv2DUpsampled(&p, x, w, y[:10], s, nil) })
}

// BenchmarkConv2DUpsampled times denoise-ae's two upsampled convolutions (../shared/corpus,
// one image) three ways: the phase form ("phases"), and the unfused layers as the build ran
// them before: ResizeNearest then the convolution on the implicit kernels ("resize+direct") or,
// where Winograd takes the layer, Conv2DWinograd ("resize+winograd"). GFLOP/s count the
// unfused convolution's multiply-adds.
func BenchmarkConv2DUpsampled(b *testing.B) {
	for _, s := range []struct {
		name        string
		h, w, c, oc int
	}{{"denoise_64x64x64-32", 64, 64, 64, 32}, {"denoise_128x128x32-1", 128, 128, 32, 1}} {
		p := UpsampledConvParams(s.h, s.w, s.c, s.oc)
		p.N = 1
		full := ConvParams{N: 1, H: 2 * s.h, W: 2 * s.w, C: s.c, OH: 2 * s.h, OW: 2 * s.w, OC: s.oc, KH: 3, KW: 3, PadT: 1, PadL: 1}
		r := newRand(7)
		x, k := randSlice(r, s.h*s.w*s.c), randSlice(r, 9*s.c*s.oc)
		ep := &Epilogue{Bias: randSlice(r, s.oc), Act: ActRelu}
		phases := UpsampledPhaseKernels(make([]float32, UpsampledPhaseKernelsLen(s.c, s.oc)), k, s.c, s.oc)
		up, y := make([]float32, 4*s.h*s.w*s.c), make([]float32, 4*s.h*s.w*s.oc)
		flops := 2 * 9 * float64(s.c) * float64(len(y))
		run := func(name string, f func()) {
			b.Run(s.name+"/"+name, func(b *testing.B) {
				for b.Loop() {
					f()
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
		ps := make([]float32, Conv2DUpsampledScratch(&p))
		run("phases", func() { Conv2DUpsampled(&p, x, phases, y, ps, ep) })
		ds := make([]float32, Conv2DGemmScratch(&full))
		run("resize+direct", func() {
			ResizeNearest(1, s.h, s.w, s.c, 2*s.h, 2*s.w, x, up)
			Conv2DGemm(&full, up, k, y, ds, ep)
		})
		if m := WinogradTile(s.c, s.oc); m > 0 && WinogradOK(&full) {
			u := WinogradKernelInto(make([]float32, WinogradKernelLen(m, s.c, s.oc)), k, m, s.c, s.oc)
			ws := make([]float32, Conv2DWinogradScratch(&full, m))
			run("resize+winograd", func() {
				ResizeNearest(1, s.h, s.w, s.c, 2*s.h, 2*s.w, x, up)
				Conv2DWinograd(&full, up, &u, y, ws, ep)
			})
		}
	}
}
