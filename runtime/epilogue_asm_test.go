package runtime

import (
	"fmt"
	"math"
	"testing"
)

// epilogueForms are the epilogues of the clamp form (see clampForm), and one
// that is not, each checked with and without bias and residual.
var epilogueForms = []Epilogue{
	{Act: ActLinear},
	{Act: ActRelu},
	{Act: ActRelu6},
	{Act: ActHardTanh},
	{Act: ActLeakyRelu, Params: ActParams{Alpha: 0.3}},
	{Act: ActReluFull, Params: ActParams{MaxValue: 6, HasMax: true}},
	{Act: ActReluFull, Params: ActParams{Alpha: 0.1, MaxValue: 2.5, HasMax: true}},
	{Act: ActReluFull, Params: ActParams{Alpha: 0.2, Threshold: 0.5}}, // not clamp form
	{Act: ActSigmoid}, // not clamp form
}

// TestEpilogueTwin compares the dispatched epilogue on tiles of every width
// 0..70 with the pure-Go twin, bit for bit (NaN as NaN), with special values
// in C, bias and residual, inside guard bands.
func TestEpilogueTwin(t *testing.T) {
	specials := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), 0, 7, -7}
	eachLevel(t, func(t *testing.T) {
		r := newRand(11)
		for fi, form := range epilogueForms {
			for variant := 0; variant < 6; variant++ {
				for cols := 0; cols <= 70; cols++ {
					rows, col0, row0 := 1+r.IntN(4), r.IntN(5), r.IntN(3)
					n := col0 + cols + r.IntN(3)
					ldc := cols + r.IntN(5)
					e := form
					if variant&1 != 0 {
						e.Bias = randSlice(r, n)
					}
					if variant >= 2 {
						e.Residual = randSlice(r, (row0+rows)*n)
						e.ResidualAfterAct = variant >= 4
					}
					old := randSlice(r, matLen(rows, cols, ldc))
					for i := range old {
						old[i] *= 10
						if r.IntN(10) == 0 {
							old[i] = specials[r.IntN(len(specials))]
						}
					}
					c := newGuarded(len(old)).fill(old)
					want := clone(old)
					e.applyTile(row0, col0, rows, cols, n, c.s, ldc)
					ref := e
					if s, lo, hi, ok := ref.clampForm(); ok && cols > 0 {
						epilogueClampGeneric(&ref, row0, col0, rows, cols, n, want, ldc, s, lo, hi)
					} else {
						old := cpuLevel
						cpuLevel = levelGeneric
						ref.applyTile(row0, col0, rows, cols, n, want, ldc)
						cpuLevel = old
					}
					what := fmt.Sprintf("%s form %d variant %d rows=%d cols=%d", CPULevel(), fi, variant, rows, cols)
					c.check(t, what)
					for i := range want {
						g, w := c.s[i], want[i]
						if g != w && !(g != g && w != w) {
							t.Fatalf("%s: element %d = %v, want %v", what, i, g, w)
						}
					}
				}
			}
		}
	})
}

// TestEpilogueClampFormMatchesActivate checks that the clamp form of each
// activation is that activation: the generic clamp epilogue without bias or
// residual equals Activate on special and random values.
func TestEpilogueClampFormMatchesActivate(t *testing.T) {
	r := newRand(12)
	x := randSlice(r, 200)
	for i := range x {
		x[i] = (x[i] - 0.5) * 20
	}
	x = append(x, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), 0, 6, -1, 1, 2.5)
	for _, form := range epilogueForms {
		s, lo, hi, ok := form.clampForm()
		if !ok {
			continue
		}
		got, want := clone(x), clone(x)
		epilogueClampGeneric(&form, 0, 0, 1, len(got), len(got), got, len(got), s, lo, hi)
		Activate(form.Act, form.Params, want) // on the epilogue kernels where there are any
		old := cpuLevel
		cpuLevel = levelGeneric
		plain := clone(x)
		Activate(form.Act, form.Params, plain)
		cpuLevel = old
		for i := range plain {
			if plain[i] != want[i] && !(plain[i] != plain[i] && want[i] != want[i]) {
				t.Errorf("act %d: Activate(%v) = %v on the kernels, %v in Go", form.Act, x[i], want[i], plain[i])
			}
		}
		scratch := clone(x)
		requireNoAllocs(t, "Activate", func() { Activate(form.Act, form.Params, scratch) })
		for i := range want {
			if got[i] != want[i] && !(got[i] != got[i] && want[i] != want[i]) {
				t.Errorf("act %d %+v: x=%v gives %v, Activate gives %v", form.Act, form.Params, x[i], got[i], want[i])
			}
		}
	}
}

// TestGemmEpilogueTwin compares GemmEpilogue, which applies clamp-form
// epilogues tile by tile, with Gemm followed by the epilogue at the pure-Go
// level, on in-place and packed shapes.
func TestGemmEpilogueTwin(t *testing.T) {
	shapes := [][3]int{{1, 1, 1}, {5, 17, 9}, {13, 33, 40}, {37, 24, 96}, {30, 70, 130}, {121, 50, 300}, {130, 600, 520}, {200, 1030, 300}}
	eachLevel(t, func(t *testing.T) {
		r := newRand(13)
		for _, sh := range shapes {
			m, n, k := sh[0], sh[1], sh[2]
			for fi, form := range epilogueForms {
				row0 := r.IntN(3)
				ep := form
				ep.Bias = randSlice(r, n)
				if fi%2 == 0 {
					ep.Residual = randSlice(r, (row0+m)*n)
					ep.ResidualAfterAct = fi%4 == 0
				}
				a, b := randSlice(r, m*k), randSlice(r, k*n)
				ldc := n + r.IntN(3)
				c := newGuarded(matLen(m, n, ldc)).fill(randSlice(r, matLen(m, n, ldc)))
				want := clone(c.s)
				GemmEpilogue(m, n, k, a, k, b, n, c.s, ldc, row0, &ep)
				old := cpuLevel
				cpuLevel = levelGeneric
				GemmEpilogue(m, n, k, a, k, b, n, want, ldc, row0, &ep)
				cpuLevel = old
				what := fmt.Sprintf("%s m=%d n=%d k=%d form %d", CPULevel(), m, n, k, fi)
				c.check(t, what)
				// A thresholded ReLU jumps at its threshold: where the pre-activation lies
				// within rounding of it, the two sum orders may fall on either side.
				var pre []float32
				if th := ep.Params.Threshold; th != 0 {
					lin := ep
					lin.Act, lin.Params = ActLinear, ActParams{}
					if lin.ResidualAfterAct {
						lin.Residual = nil
					}
					pre = clone(want)
					cpuLevel = levelGeneric
					GemmEpilogue(m, n, k, a, k, b, n, pre, ldc, row0, &lin)
					cpuLevel = old
				}
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						g, w := c.s[i*ldc+j], want[i*ldc+j]
						if pre != nil && math.Abs(float64(pre[i*ldc+j]-ep.Params.Threshold)) <= 1e-4*(1+math.Abs(float64(pre[i*ldc+j]))) {
							continue
						}
						if math.Abs(float64(g-w)) > 1e-4*(1+math.Abs(float64(w))) {
							t.Fatalf("%s: C[%d,%d] = %v, want %v", what, i, j, g, w)
						}
					}
				}
			}
		}
	})
}

// TestAddRowsTwin checks the dispatched addRows on blocks of every width 0..70, sums and
// differences, against float32 arithmetic, bit for bit, inside guard bands, and in place
// (d as x, as the Winograd product adds into a quadrant of C).
func TestAddRowsTwin(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(12)
		for _, sub := range []bool{false, true} {
			for _, inPlace := range []bool{false, true} {
				for cols := 0; cols <= 70; cols++ {
					rows := 1 + r.IntN(4)
					ldd, ldx, ldy := cols+r.IntN(5), cols+r.IntN(5), cols+r.IntN(5)
					if inPlace {
						ldx = ldd
					}
					x, y := randSlice(r, matLen(rows, cols, ldx)), randSlice(r, matLen(rows, cols, ldy))
					old := randSlice(r, matLen(rows, cols, ldd))
					d := newGuarded(len(old)).fill(old)
					if inPlace {
						x = clone(old)
						addRows(rows, cols, d.s, ldd, d.s, ldd, y, ldy, sub)
					} else {
						addRows(rows, cols, d.s, ldd, x, ldx, y, ldy, sub)
					}
					what := fmt.Sprintf("%s sub=%v inPlace=%v rows=%d cols=%d", CPULevel(), sub, inPlace, rows, cols)
					d.check(t, what)
					for i := 0; i < rows; i++ {
						for j := 0; j < ldd && i*ldd+j < len(old); j++ {
							want := old[i*ldd+j]
							if j < cols {
								want = x[i*ldx+j] + y[i*ldy+j]
								if sub {
									want = x[i*ldx+j] - y[i*ldy+j]
								}
							}
							if got := d.s[i*ldd+j]; got != want {
								t.Fatalf("%s: (%d, %d) = %v, want %v", what, i, j, got, want)
							}
						}
					}
				}
			}
		}
	})
}
