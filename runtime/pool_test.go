package runtime

import (
	"math"
	"testing"
)

// poolRef pools by the definition: every tap of the window, those in the
// padding skipped.
func poolRef(p *PoolParams, x []float32, isMax bool) []float64 {
	sh, sw := max(p.SH, 1), max(p.SW, 1)
	want := make([]float64, p.N*p.OH*p.OW*p.C)
	for n := 0; n < p.N; n++ {
		for oh := 0; oh < p.OH; oh++ {
			for ow := 0; ow < p.OW; ow++ {
				for c := 0; c < p.C; c++ {
					acc, count := math.Inf(-1), 0
					if !isMax {
						acc = 0
					}
					for kh := 0; kh < p.KH; kh++ {
						for kw := 0; kw < p.KW; kw++ {
							h, w := oh*sh+kh-p.PadT, ow*sw+kw-p.PadL
							if h < 0 || h >= p.H || w < 0 || w >= p.W {
								continue
							}
							v := float64(x[((n*p.H+h)*p.W+w)*p.C+c])
							if isMax {
								acc = math.Max(acc, v)
							} else {
								acc += v
							}
							count++
						}
					}
					switch {
					case count == 0:
						acc = 0
					case !isMax:
						acc /= float64(count)
					}
					want[((n*p.OH+oh)*p.OW+ow)*p.C+c] = acc
				}
			}
		}
	}
	return want
}

func TestPool2DRandom(t *testing.T) {
	r := newRand(14)
	for i := 0; i < 500; i++ {
		p := PoolParams{N: 1 + r.IntN(2), H: 1 + r.IntN(8), W: 1 + r.IntN(8), C: 1 + r.IntN(5),
			KH: 1 + r.IntN(3), KW: 1 + r.IntN(3), SH: 1 + r.IntN(3), SW: 1 + r.IntN(3)}
		var okH, okW bool
		p.PadT, p.OH, okH = padMode(r, p.H, p.KH, p.SH, 1)
		p.PadL, p.OW, okW = padMode(r, p.W, p.KW, p.SW, 1)
		if !okH || !okW {
			continue
		}
		x := randSlice(r, p.N*p.H*p.W*p.C)
		x0 := clone(x)
		for _, isMax := range []bool{true, false} {
			y := newGuarded(p.N * p.OH * p.OW * p.C).fill(randSlice(r, p.N*p.OH*p.OW*p.C))
			kernel := "AvgPool2D"
			if isMax {
				kernel = "MaxPool2D"
				MaxPool2D(&p, x, y.s)
			} else {
				AvgPool2D(&p, x, y.s)
			}
			what := name("%s %+v", kernel, p)
			y.check(t, what)
			requireUnchanged(t, what, x0, x)
			requireClose(t, what, y.s, poolRef(&p, x, isMax), 1e-7, 1e-6)
		}
	}
}

// TestPool2DHand: 'same' 2×2 stride-1 pooling of [[1 2] [3 4]] pads one
// row and column after: the corner averages its one inside tap, the edges
// two, as Keras (TF, JAX) computes it.
func TestPool2DHand(t *testing.T) {
	p := PoolParams{N: 1, H: 2, W: 2, C: 1, OH: 2, OW: 2, KH: 2, KW: 2, SH: 1, SW: 1}
	x := []float32{1, 2, 3, 4}
	y := make([]float32, 4)
	AvgPool2D(&p, x, y)
	requireEqual(t, "avg same", y, []float32{2.5, 3, 3.5, 4})
	MaxPool2D(&p, x, y)
	requireEqual(t, "max same", y, []float32{4, 4, 4, 4})
	// 'same' window 3, stride 2 along a row of 4: total padding 1, all
	// after. The last window holds x2, x3 and the padding: (x2+x3)/2, where
	// replicating the edge (Keras 3.15's torch backend) would give
	// (x2+2·x3)/3.
	p = PoolParams{N: 1, H: 1, W: 4, C: 1, OH: 1, OW: 2, KH: 1, KW: 3, SH: 1, SW: 2}
	y = make([]float32, 2)
	AvgPool2D(&p, []float32{1, 2, 3, 5}, y)
	requireEqual(t, "avg same stride 2", y, []float32{2, 4})
	// 3×3 'same' stride 1 (symmetric padding): the corner averages 4 taps.
	p = PoolParams{N: 1, H: 3, W: 3, C: 1, OH: 3, OW: 3, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1}
	y = make([]float32, 9)
	AvgPool2D(&p, []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}, y)
	requireEqual(t, "avg 3x3 same", y, []float32{3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7})
	// NaN wins a max.
	p = PoolParams{N: 1, H: 1, W: 3, C: 1, OH: 1, OW: 1, KH: 1, KW: 3, SH: 1, SW: 1}
	y = make([]float32, 1)
	MaxPool2D(&p, []float32{1, float32(math.NaN()), 3}, y)
	requireEqual(t, "max NaN", y, []float32{float32(math.NaN())})
}

func TestGlobalPool(t *testing.T) {
	r := newRand(15)
	for _, s := range [][3]int{{1, 1, 1}, {2, 7, 3}, {3, 63, 17}, {1, 3136, 64}, {2, 5, 33}, {0, 4, 4}, {2, 0, 3}} {
		n, sp, c := s[0], s[1], s[2]
		x := randSlice(r, n*sp*c)
		wantAvg, wantMax := make([]float64, n*c), make([]float64, n*c)
		for b := 0; b < n; b++ {
			for j := 0; j < c; j++ {
				sum, mx := 0.0, math.Inf(-1)
				for p := 0; p < sp; p++ {
					v := float64(x[(b*sp+p)*c+j])
					sum += v
					mx = math.Max(mx, v)
				}
				wantAvg[b*c+j], wantMax[b*c+j] = sum/float64(sp), mx
			}
		}
		y := newGuarded(n * c)
		GlobalAvgPool(n, sp, c, x, y.s)
		y.check(t, "GlobalAvgPool")
		requireClose(t, name("GlobalAvgPool %v", s), y.s, wantAvg, 1e-7, 1e-6)
		GlobalMaxPool(n, sp, c, x, y.s)
		y.check(t, "GlobalMaxPool")
		requireClose(t, name("GlobalMaxPool %v", s), y.s, wantMax, 0, 0)
	}
	y := make([]float32, 2)
	GlobalAvgPool(1, 3, 2, []float32{1, 10, 2, 20, 4, 40}, y)
	requireEqual(t, "avg hand", y, []float32{7.0 / 3, 70.0 / 3})
}

func TestPoolNoAllocs(t *testing.T) {
	r := newRand(16)
	p := PoolParams{N: 2, H: 8, W: 8, C: 16, OH: 4, OW: 4, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 0, PadL: 0}
	x, y := randSlice(r, 2*8*8*16), make([]float32, 2*8*8*16)
	requireNoAllocs(t, "MaxPool2D", func() { MaxPool2D(&p, x, y) })
	requireNoAllocs(t, "AvgPool2D", func() { AvgPool2D(&p, x, y) })
	requireNoAllocs(t, "GlobalAvgPool", func() { GlobalAvgPool(2, 64, 16, x, y) })
	requireNoAllocs(t, "GlobalMaxPool", func() { GlobalMaxPool(2, 64, 16, x, y) })
}
