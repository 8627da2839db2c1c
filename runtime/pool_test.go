package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
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

// checkPoolTwin runs MaxPool2D and AvgPool2D at the current level on
// random x (with a NaN now and then) and compares them with pool2DGeneric:
// bit for bit but for NaN payloads and the sign of zero, nothing outside y
// written, x unchanged.
func checkPoolTwin(t *testing.T, r *rand.Rand, p *PoolParams) {
	t.Helper()
	xLen, yLen := p.N*p.H*p.W*p.C, p.N*p.OH*p.OW*p.C
	x := randSlice(r, xLen)
	if xLen > 0 && r.IntN(3) == 0 {
		x[r.IntN(xLen)] = float32(math.NaN())
	}
	x0 := clone(x)
	want := make([]float32, yLen)
	for _, isMax := range []bool{true, false} {
		what := fmt.Sprintf("%s %+v max=%v", CPULevel(), *p, isMax)
		y := newGuarded(yLen).fill(randSlice(r, yLen))
		if isMax {
			MaxPool2D(p, x, y.s)
		} else {
			AvgPool2D(p, x, y.s)
		}
		pool2DGeneric(p, x, want, isMax, 0, p.N*p.OH)
		y.check(t, what)
		requireUnchanged(t, what, x0, x)
		requireEqual(t, what, y.s, want)
	}
}

// poolShape returns a pool of an h×w×c image with a k×k window and stride
// s, 'same' (samePad) or 'valid'; ok is false when 'valid' leaves nothing.
func poolShape(n, h, w, c, k, s int, same bool) (p PoolParams, ok bool) {
	p = PoolParams{N: n, H: h, W: w, C: c, KH: k, KW: k, SH: s, SW: s}
	if same {
		p.PadT, p.OH = samePad(h, k, s, 1)
		p.PadL, p.OW = samePad(w, k, s, 1)
		return p, true
	}
	p.OH, p.OW = (h-k)/s+1, (w-k)/s+1
	return p, h >= k && w >= k
}

func TestPool2DTwin(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(17)
		for c := 1; c <= 40; c++ {
			for i := 0; i < 4; i++ {
				k := 2 + i%2
				p, ok := poolShape(1+r.IntN(2), 1+r.IntN(9), 1+r.IntN(9), c, k, 1+r.IntN(3), r.IntN(2) == 0)
				if ok {
					checkPoolTwin(t, r, &p)
				}
			}
		}
		for _, c := range []int{96, 144, 160, 320, 960} {
			for _, hw := range []int{1, 3, 7, 9, 14} {
				p, ok := poolShape(1, hw, hw, c, 2+r.IntN(2), 1+r.IntN(2), r.IntN(2) == 0)
				if ok {
					checkPoolTwin(t, r, &p)
				}
			}
		}
		for _, hw := range []int{28, 56, 112} {
			p, _ := poolShape(1, hw, hw, 64, 3, 2, true)
			checkPoolTwin(t, r, &p)
		}
		for i := 0; i < 200; i++ { // arbitrary padding, windows wholly in it
			p := PoolParams{N: 1 + r.IntN(2), H: 1 + r.IntN(8), W: 1 + r.IntN(8), C: 1 + r.IntN(20),
				KH: 1 + r.IntN(4), KW: 1 + r.IntN(4), SH: 1 + r.IntN(3), SW: r.IntN(3)}
			var okH, okW bool
			p.PadT, p.OH, okH = padMode(r, p.H, p.KH, max(p.SH, 1), 1)
			p.PadL, p.OW, okW = padMode(r, p.W, p.KW, max(p.SW, 1), 1)
			if okH && okW {
				checkPoolTwin(t, r, &p)
			}
		}
		p := PoolParams{N: 1, H: 2, W: 2, C: 5, OH: 6, OW: 6, KH: 2, KW: 2, SH: 1, SW: 1, PadT: 3, PadL: 3}
		checkPoolTwin(t, r, &p)
	})
}

func TestPool2DTwinNoAllocs(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(18)
		p, _ := poolShape(1, 14, 14, 40, 3, 2, true)
		x, y := randSlice(r, 14*14*40), make([]float32, p.OH*p.OW*40)
		requireNoAllocs(t, "MaxPool2D", func() { MaxPool2D(&p, x, y) })
		requireNoAllocs(t, "AvgPool2D", func() { AvgPool2D(&p, x, y) })
	})
}

// BenchmarkPool2D: 3×3 stride-2 'same' and 2×2 stride-2 'valid' pools at
// each level, in input GB/s.
func BenchmarkPool2D(b *testing.B) {
	for _, sh := range []struct{ hw, c, k int }{{112, 64, 3}, {56, 128, 2}, {14, 512, 3}} {
		p, _ := poolShape(1, sh.hw, sh.hw, sh.c, sh.k, 2, sh.k == 3)
		r := newRand(19)
		x, y := randSlice(r, sh.hw*sh.hw*sh.c), make([]float32, p.OH*p.OW*sh.c)
		for _, isMax := range []bool{true, false} {
			for _, l := range levelNames {
				op := "avg"
				if isMax {
					op = "max"
				}
				b.Run(fmt.Sprintf("%s%dx%d_%dx%dx%d/%s", op, sh.k, sh.k, sh.hw, sh.hw, sh.c, l), func(b *testing.B) {
					old := cpuLevel
					if !setCPULevel(l) {
						b.Skipf("level %s not supported here", l)
					}
					defer func() { cpuLevel = old }()
					start := time.Now()
					for b.Loop() {
						if isMax {
							MaxPool2D(&p, x, y)
						} else {
							AvgPool2D(&p, x, y)
						}
					}
					b.ReportMetric(float64(4*len(x))*float64(b.N)/time.Since(start).Seconds()/1e9, "inGB/s")
				})
			}
		}
	}
}

// TestPoolThreads checks MaxPool2D and AvgPool2D split across threads by output rows against
// pool2DGeneric, bit for bit, at every level: 'valid' and 'same' windows, strides, images
// whose rows a part boundary splits mid-image; the split taken (three parts), nothing written
// outside y, nothing allocated when warm.
func TestPoolThreads(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(73)
		for _, p := range []PoolParams{
			{N: 2, H: 224, W: 224, C: 8, OH: 112, OW: 112, KH: 2, KW: 2, SH: 2, SW: 2},
			{N: 3, H: 57, W: 31, C: 19, OH: 29, OW: 16, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1},
			{N: 1, H: 100, W: 100, C: 16, OH: 100, OW: 100, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1},
		} {
			x := randSlice(r, p.N*p.H*p.W*p.C)
			yLen := p.N * p.OH * p.OW * p.C
			for _, isMax := range []bool{true, false} {
				what := fmt.Sprintf("%s %+v max=%v", CPULevel(), p, isMax)
				want := make([]float32, yLen)
				pool2DGeneric(&p, x, want, isMax, 0, p.N*p.OH)
				withThreads(3, func() {
					if parts := partsFor(yLen*p.KH*p.KW*poolWork, p.N*p.OH); parts != 3 {
						t.Fatalf("%s: %d parts, want 3", what, parts)
					}
					run := func(y []float32) {
						if isMax {
							MaxPool2D(&p, x, y)
						} else {
							AvgPool2D(&p, x, y)
						}
					}
					y := newGuarded(yLen)
					run(y.s)
					y.check(t, what)
					requireSameBits(t, what, y.s, want)
					requireNoAllocs(t, what, func() { run(y.s) })
				})
			}
		}
	})
}
