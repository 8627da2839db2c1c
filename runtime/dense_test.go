package runtime

import (
	"fmt"
	"testing"
)

// epilogueRef applies act(v + bias[j] (+ res)) (+ res) in float64 to the
// reference rows of n values (the activation through the float32 kernel:
// its own accuracy is tested in activation_test.go).
func epilogueRef(ep *Epilogue, n int, want []float64) {
	if ep == nil {
		return
	}
	for i := range want {
		v := want[i]
		if ep.Bias != nil {
			v += float64(ep.Bias[i%n])
		}
		if ep.Residual != nil && !ep.ResidualAfterAct {
			v += float64(ep.Residual[i])
		}
		v = float64(ActivateScalar(ep.Act, ep.Params, float32(v)))
		if ep.Residual != nil && ep.ResidualAfterAct {
			v += float64(ep.Residual[i])
		}
		want[i] = v
	}
}

// epilogues returns the epilogue variants the producing kernels are tested
// with, for outputs of rows×n.
func epilogues(r interface{ Float64() float64 }, rows, n int) []*Epilogue {
	rnd := func(k int) []float32 {
		s := make([]float32, k)
		for i := range s {
			s[i] = float32(r.Float64()*2 - 1)
		}
		return s
	}
	return []*Epilogue{
		nil,
		{Bias: rnd(n)},
		{Bias: rnd(n), Act: ActRelu},
		{Act: ActSigmoid, Residual: rnd(rows * n)},
		{Bias: rnd(n), Act: ActTanh, Residual: rnd(rows * n), ResidualAfterAct: true},
	}
}

func TestDense(t *testing.T) {
	r := newRand(5)
	for _, s := range [][3]int{{1, 1, 1}, {3, 5, 7}, {8, 20, 10}, {0, 4, 4}, {4, 0, 3}, {17, 33, 65}, {2, 300, 1}} {
		m, k, n := s[0], s[1], s[2]
		for e, ep := range epilogues(r, m, n) {
			x, w := randSlice(r, m*k), randSlice(r, k*n)
			y := newGuarded(m * n).fill(randSlice(r, m*n)) // garbage to overwrite
			Dense(m, k, n, x, w, y.s, ep)
			what := name("Dense %dx%dx%d epilogue %d", m, k, n, e)
			y.check(t, what)
			want, mag := gemmRef(m, n, k, x, k, false, w, n, false, nil, n, false)
			tol := make([]float64, len(want))
			for i := range tol {
				tol[i] = sumTol(k, mag[i]) * 2
			}
			epilogueRef(ep, n, want)
			requireCloseTol(t, what, y.s, want, tol)
		}
	}
}

// TestDenseHand: [1 2]·[[1 0 -1] [2 1 1]] + [0.5 0 -2] = [5.5 2 -1], relu.
func TestDenseHand(t *testing.T) {
	y := make([]float32, 3)
	Dense(1, 2, 3, []float32{1, 2}, []float32{1, 0, -1, 2, 1, 1}, y,
		&Epilogue{Bias: []float32{0.5, 0, -2}, Act: ActRelu})
	requireEqual(t, "Dense", y, []float32{5.5, 2, 0})
}

func TestDenseNoAllocs(t *testing.T) {
	r := newRand(6)
	x, w, y := randSlice(r, 32*100), randSlice(r, 100*50), make([]float32, 32*50)
	ep := &Epilogue{Bias: randSlice(r, 50), Act: ActRelu}
	requireNoAllocs(t, "Dense", func() { Dense(32, 100, 50, x, w, y, ep) })
}

// TestDenseRowsBatchInvariant checks that a row of a Dense layer gets the same bits whatever
// the batch it is in (1, 2…4, 13 rows), at every level, for every epilogue form (epilogueForms: the clamp forms
// and two others) with a bias, a plain and a panel-layout kernel, depths 7 to 300 (one k
// block), one output unit too (the dot-product path on AVX-512): the GEMM kernels start a
// clamping epilogue's sums from the bias, and the one-row path (gemv) must do the same
// (epTile.biasFirst and asm/gemm's biasFirst agree).
func TestDenseRowsBatchInvariant(t *testing.T) {
	forms := epilogueForms
	eachLevel(t, func(t *testing.T) {
		r := newRand(21)
		for _, s := range [][2]int{{16, 96}, {24, 144}, {160, 33}, {192, 1000}, {7, 300}, {300, 1}, {17, 1}, {9, 129}, {40, 193}} {
			k, n := s[0], s[1]
			w := randSlice(r, k*n)
			wp := PackPanelsInto(make([]float32, PanelsLen(k, n)), k, n, w, n)
			for fi, form := range forms {
				ep := form
				ep.Residual, ep.ResidualAfterAct = nil, false
				ep.Bias = randSlice(r, n)
				const m = 13
				x := randSlice(r, m*k)
				all, one := make([]float32, m*n), make([]float32, n)
				for _, panels := range []bool{false, true} {
					if panels {
						DensePanels(m, k, n, x, &wp, all, &ep)
					} else {
						Dense(m, k, n, x, w, all, &ep)
					}
					for _, i := range []int{0, 5, m - 1} {
						if panels {
							DensePanels(1, k, n, x[i*k:(i+1)*k], &wp, one, &ep)
						} else {
							Dense(1, k, n, x[i*k:(i+1)*k], w, one, &ep)
						}
						requireSameBits(t, fmt.Sprintf("k=%d n=%d form %d panels=%v row %d alone", k, n, fi, panels, i), one, all[i*n:(i+1)*n])
					}
					// Batches of 2…4 rows (the many-row kernels on AVX-512).
					for rows := 2; rows <= 4; rows++ {
						part := make([]float32, rows*n)
						if panels {
							DensePanels(rows, k, n, x[:rows*k], &wp, part, &ep)
						} else {
							Dense(rows, k, n, x[:rows*k], w, part, &ep)
						}
						requireSameBits(t, fmt.Sprintf("k=%d n=%d form %d panels=%v first %d rows", k, n, fi, panels, rows), part, all[:rows*n])
					}
				}
			}
		}
	})
}
