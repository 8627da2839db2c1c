package runtime

import (
	"fmt"
	"math"
	"testing"
)

// roundBF16 returns a copy of x rounded to bf16.
func roundBF16(x []float32) []float32 {
	y := make([]float32, len(x))
	for i, v := range x {
		y[i] = BF16Round(v)
	}
	return y
}

// TestBF16Layers checks DenseBF16 and Conv2DGemmBF16 against the float32
// kernels run on bf16-rounded inputs and weights (products of bf16 values
// are exact in float32, so only the summation order differs), at every
// level, and that a warm call does not allocate.
func TestBF16Layers(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(31)
		check := func(what string, got, want []float32) {
			t.Helper()
			for i := range want {
				if math.Abs(float64(got[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
					t.Fatalf("%s %s: element %d = %v, want %v", CPULevel(), what, i, got[i], want[i])
				}
			}
		}
		for _, sh := range [][3]int{{1, 784, 512}, {32, 256, 10}, {5, 33, 17}} {
			m, k, n := sh[0], sh[1], sh[2]
			x, w := randSlice(r, m*k), randSlice(r, k*n)
			ep := &Epilogue{Bias: randSlice(r, n), Act: ActRelu}
			want := make([]float32, m*n)
			Dense(m, k, n, roundBF16(x), roundBF16(w), want, ep)
			bw := NewBF16Weights(k, n, PackBF16(k, n, w, n).Data)
			got := make([]float32, m*n)
			DenseBF16(m, k, n, x, bw, got, ep)
			what := fmt.Sprintf("DenseBF16 %v", sh)
			if BF16Native() {
				check(what, got, want)
			} else { // the input is not rounded: within bf16's precision
				Dense(m, k, n, x, roundBF16(w), want, ep)
				check(what, got, want)
			}
			requireNoAllocs(t, what, func() { DenseBF16(m, k, n, x, bw, got, ep) })
		}
		p := &ConvParams{N: 2, H: 9, W: 11, C: 5, OH: 9, OW: 11, OC: 7, KH: 3, KW: 3, PadT: 1, PadL: 1}
		x, w := randSlice(r, 2*9*11*5), randSlice(r, 3*3*5*7)
		ep := &Epilogue{Bias: randSlice(r, 7), Act: ActRelu6}
		want, got := make([]float32, 2*9*11*7), make([]float32, 2*9*11*7)
		scratch := make([]float32, Conv2DGemmScratch(p))
		xr := x
		if BF16Native() {
			xr = roundBF16(x)
		}
		Conv2DGemm(p, xr, roundBF16(w), want, scratch, ep)
		bw := NewBF16Weights(45, 7, PackBF16(45, 7, w, 7).Data)
		Conv2DGemmBF16(p, x, bw, got, scratch, ep)
		check("Conv2DGemmBF16", got, want)
		requireNoAllocs(t, "Conv2DGemmBF16", func() { Conv2DGemmBF16(p, x, bw, got, scratch, ep) })
	})
}
