package runtime

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestConvMaxPoolMatchesUnfused checks Conv2DGemmMaxPool, Conv2DGemmPanelsMaxPool and
// Conv2DGemmBF16MaxPool at each CPU level against Conv2DGemm* followed by MaxPool2D at the
// same level: the same values (equal as numbers, NaN where the unfused path gives NaN), for
// 2×2 and 1×2 pooling (the latter also of 1-D convolutions), on
// odd and even output sizes, 1 to 70 output channels (the narrow, full and partial panels),
// strides, dilations and padding, inputs with a NaN, epilogues the pooled kernels take
// (none, bias + relu, relu6, leaky ReLU, bias alone) and ones that take the unfused path
// (sigmoid, a leaky ReLU of negative slope, which is not monotone), guard bands around the
// output. At AVX-512 and AVX2 it also counts the cases each family of pooled kernels ran.
func TestConvMaxPoolMatchesUnfused(t *testing.T) {
	shapes := []convShape{
		{3, 3, 1, 1, 1, 1, 0, 0, 0, 0}, {3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {5, 5, 1, 1, 1, 1, 2, 2, 2, 2},
		{3, 3, 2, 2, 1, 1, 0, 0, 1, 1}, {3, 3, 1, 2, 2, 1, 2, 1, 0, 2}, {1, 3, 1, 1, 1, 1, 0, 1, 0, 1},
		{2, 2, 1, 1, 1, 1, 0, 0, 0, 0},
	}
	ocs := []int{1, 5, 8, 16, 17, 31, 32, 33, 40, 48, 64, 70}
	rng := newRand(5)
	eachLevel(t, func(t *testing.T) {
		var pooled [3]int // by pooling height
		for i := 0; i < 280; i++ {
			s, ph, h := shapes[i%len(shapes)], 2-i/7%2, 2+rng.IntN(12)
			if ph == 1 && i%4 == 1 { // a 1-D convolution
				s.kh, s.sh, s.dh, s.padT, s.padB, h = 1, 1, 1, 0, 0, 1
			}
			p := s.params(1+rng.IntN(3), h, 2+rng.IntN(30), []int{1, 3, 8, 17}[rng.IntN(4)], ocs[i%len(ocs)])
			if p.OH < ph || p.OW < 2 {
				continue
			}
			x, w, bias := randSlice(rng, p.N*p.H*p.W*p.C), randSlice(rng, p.KH*p.KW*p.C*p.OC), randSlice(rng, p.OC)
			if i%9 == 4 {
				x[rng.IntN(len(x))] = float32(math.NaN())
			}
			var ep *Epilogue
			switch i % 7 {
			case 1:
				ep = &Epilogue{Bias: bias, Act: ActRelu}
			case 2:
				ep = &Epilogue{Bias: bias, Act: ActRelu6}
			case 3:
				ep = &Epilogue{Act: ActLeakyRelu, Params: ActParams{Alpha: 0.2}}
			case 4:
				ep = &Epilogue{Bias: bias}
			case 5:
				ep = &Epilogue{Bias: bias, Act: ActSigmoid}
			case 6:
				ep = &Epilogue{Bias: bias, Act: ActLeakyRelu, Params: ActParams{Alpha: -0.5}}
			}
			pp := pooledParams(&p, ph)
			size := pp.N * pp.OH * pp.OW * pp.C
			conv := make([]float32, p.N*p.OH*p.OW*p.OC)
			want := make([]float32, size)
			Conv2DGemm(&p, x, w, conv, make([]float32, Conv2DGemmScratch(&p)), ep)
			MaxPool2D(&pp, conv, want)
			what := fmt.Sprintf("%s %+v pool %d×2 ep %d", CPULevel(), p, ph, i%7)
			if convPoolOK(&p, ph, ep) {
				pooled[ph]++
			}
			scratch := make([]float32, ConvMaxPoolScratch(&p))
			y := newGuarded(size)
			Conv2DGemmMaxPool(&p, ph, x, w, y.s, scratch, ep)
			y.check(t, what)
			requireSameValues(t, what, y.s, want)
			k := p.KH * p.KW * p.C
			wp := PackPanelsInto(make([]float32, PanelsLen(k, p.OC)), k, p.OC, w, p.OC)
			y = newGuarded(size)
			Conv2DGemmPanelsMaxPool(&p, ph, x, &wp, y.s, scratch, ep)
			y.check(t, what+" panels")
			requireSameValues(t, what+" panels", y.s, want)
			if i%4 == 0 {
				bw := NewBF16Weights(k, p.OC, PackBF16(k, p.OC, w, p.OC).Data)
				Conv2DGemmBF16(&p, x, bw, conv, make([]float32, Conv2DGemmScratch(&p)), ep)
				MaxPool2D(&pp, conv, want)
				y = newGuarded(size)
				Conv2DGemmBF16MaxPool(&p, ph, x, bw, y.s, scratch, ep)
				y.check(t, what+" bf16")
				requireSameValues(t, what+" bf16", y.s, want)
			}
		}
		switch CPULevel() { // AVX2 pools output widths that are multiples of 16 only
		case "avx512":
			require.Greater(t, pooled[2], 50, "cases the 2×2 pooled kernels ran")
			require.Greater(t, pooled[1], 50, "cases the 1×2 pooled kernels ran")
		case "avx2":
			require.Greater(t, pooled[2], 15, "cases the 2×2 pooled kernels ran")
			require.Greater(t, pooled[1], 15, "cases the 1×2 pooled kernels ran")
		}
	})
}

// requireSameValues fails unless got and want are equal element by element as numbers
// (+0 = -0), NaN where want is NaN.
func requireSameValues(t testing.TB, what string, got, want []float32) {
	t.Helper()
	require.Equal(t, len(want), len(got), "%s: length", what)
	for i, w := range want {
		if g := got[i]; g != w && !(g != g && w != w) {
			t.Fatalf("%s: y[%d] = %v, want %v", what, i, g, w)
		}
	}
}

// TestConvMaxPoolRefuses: the pooling would have to see a residual, so none is taken; the
// pooling is 1×2 or 2×2 (Conv2DGemmMaxPool and Conv2DWinogradMaxPool alike).
func TestConvMaxPoolRefuses(t *testing.T) {
	p := ConvParams{N: 1, H: 4, W: 4, C: 1, OH: 2, OW: 2, OC: 1, KH: 3, KW: 3, SH: 1, SW: 1, Groups: 1}
	ep := &Epilogue{Residual: make([]float32, 4)}
	require.PanicsWithValue(t, "runtime: Conv2DGemmMaxPool takes no residual", func() {
		Conv2DGemmMaxPool(&p, 2, make([]float32, 16), make([]float32, 9), make([]float32, 1), make([]float32, ConvMaxPoolScratch(&p)), ep)
	})
	require.PanicsWithValue(t, "runtime: Conv2DGemmMaxPool pools 1×2 or 2×2, not 3×2", func() {
		Conv2DGemmMaxPool(&p, 3, make([]float32, 16), make([]float32, 9), make([]float32, 1), make([]float32, ConvMaxPoolScratch(&p)), nil)
	})
	u := WinogradKernelInto(make([]float32, WinogradKernelLen(2, 1, 1)), make([]float32, 9), 2, 1, 1)
	s := make([]float32, Conv2DWinogradMaxPoolScratch(&p, 2))
	require.PanicsWithValue(t, "runtime: Conv2DWinogradMaxPool takes no residual", func() {
		Conv2DWinogradMaxPool(&p, 2, make([]float32, 16), &u, make([]float32, 1), s, ep)
	})
	require.PanicsWithValue(t, "runtime: Conv2DWinogradMaxPool pools 1×2 or 2×2, not 3×2", func() {
		Conv2DWinogradMaxPool(&p, 3, make([]float32, 16), &u, make([]float32, 1), s, nil)
	})
}

// TestConvMaxPoolThreads checks that the pooled convolution split across threads — by images
// (batch 4) and by pooled rows (batch 1) — gives the one-thread bits and allocates nothing
// warm, on an odd-sized padded output.
func TestConvMaxPoolThreads(t *testing.T) {
	for _, n := range []int{1, 4} {
		p := ConvParams{N: n, H: 41, W: 39, C: 16, OH: 41, OW: 39, OC: 48, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 1, Groups: 1}
		r := newRand(9)
		x, w := randSlice(r, n*41*39*16), randSlice(r, 9*16*48)
		ep := &Epilogue{Bias: w[:48], Act: ActRelu}
		scratch := make([]float32, ConvMaxPoolScratch(&p))
		size := n * 20 * 19 * 48
		one, two := make([]float32, size), make([]float32, size)
		Conv2DGemmMaxPool(&p, 2, x, w, one, scratch, ep)
		withThreads(3, func() {
			Conv2DGemmMaxPool(&p, 2, x, w, two, scratch, ep)
			requireSameBits(t, fmt.Sprintf("Conv2DGemmMaxPool batch %d with 3 threads against one", n), two, one)
			requireNoAllocs(t, "Conv2DGemmMaxPool (3 threads)", func() { Conv2DGemmMaxPool(&p, 2, x, w, two, scratch, ep) })
		})
		requireNoAllocs(t, "Conv2DGemmMaxPool", func() { Conv2DGemmMaxPool(&p, 2, x, w, two, scratch, ep) })
	}
}

// BenchmarkConvMaxPool times the bench CNN's two conv + pool pairs at batch 32 (2×2
// pooling) and the corpus ECG CNN's second Conv1D + MaxPooling1D(2) (1×2), fused
// (Conv2DGemmPanelsMaxPool) and as Conv2DGemmPanels then MaxPool2D. GFLOP/s counts the
// multiply-adds each computes: where the pooled kernels run (convPoolOK), only the conv
// pixels the pooling reads (the second pair's 11×11 output loses its last row and column).
func BenchmarkConvMaxPool(b *testing.B) {
	for _, c := range []struct {
		p  ConvParams
		ph int
	}{
		{ConvParams{N: 32, H: 28, W: 28, C: 1, OH: 26, OW: 26, OC: 32, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1}, 2},
		{ConvParams{N: 32, H: 13, W: 13, C: 32, OH: 11, OW: 11, OC: 64, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1}, 2},
		{ConvParams{N: 32, H: 1, W: 92, C: 512, OH: 1, OW: 90, OC: 128, KH: 1, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1}, 1},
	} {
		p, ph := c.p, c.ph
		r := newRand(3)
		k := p.KH * p.KW * p.C
		x, w := randSlice(r, p.N*p.H*p.W*p.C), randSlice(r, k*p.OC)
		wp := PackPanelsInto(make([]float32, PanelsLen(k, p.OC)), k, p.OC, w, p.OC)
		ep := &Epilogue{Bias: w[:p.OC], Act: ActRelu}
		pp := pooledParams(&p, ph)
		conv := make([]float32, p.N*p.OH*p.OW*p.OC)
		y := make([]float32, pp.N*pp.OH*pp.OW*pp.C)
		scratch := make([]float32, ConvMaxPoolScratch(&p))
		for _, fused := range []bool{true, false} {
			flops := 2 * float64(p.N*p.OH*p.OW*p.OC*k)
			if fused && convPoolOK(&p, ph, ep) {
				flops = 2 * float64(p.N*ph*pp.OH*2*pp.OW*p.OC*k)
			}
			b.Run(fmt.Sprintf("%dx%dx%d_to_%d_pool%dx2/fused=%v", p.H, p.W, p.C, p.OC, ph, fused), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if fused {
						Conv2DGemmPanelsMaxPool(&p, ph, x, &wp, y, scratch, ep)
					} else {
						Conv2DGemmPanels(&p, x, &wp, conv, scratch, ep)
						MaxPool2D(&pp, conv, y)
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
