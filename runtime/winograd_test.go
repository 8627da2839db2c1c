package runtime

import (
	"fmt"
	"math"
	"testing"
)

// TestWinogradMatchesReference checks the Winograd product against a float64 product on
// shapes from the smallest that splits to the LSTM bench model's step (32×160 by 160×512),
// with and without bias, at every CPU level, within guard bands. The bound is normwise, as
// for any Strassen-like product: |c − ref| ≤ 4·k·u·max|A|·max|B| (u = 2⁻²⁴), where the
// classical product's error is within k·u·Σ|a||b|.
func TestWinogradMatchesReference(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(21)
		for _, s := range [][3]int{{2, 2, 64}, {4, 6, 128}, {6, 34, 64}, {32, 160, 512}, {34, 130, 192}} {
			m, k, n := s[0], s[1], s[2]
			for _, withBias := range []bool{false, true} {
				lda, ldc := k+r.IntN(3), n+r.IntN(3)
				a, bm := randSlice(r, matLen(m, k, lda)), randSlice(r, k*n)
				b := PackPanelsInto(make([]float32, PanelsLen(k, n)), k, n, bm, n)
				var bias []float32
				if withBias {
					bias = randSlice(r, n)
				}
				w := newWinograd(&b)
				if w == nil {
					t.Fatalf("%v: no Winograd product", s)
				}
				c := newGuarded(matLen(m, n, ldc)).fill(randSlice(r, matLen(m, n, ldc)))
				old := clone(c.s)
				scratch := newGuarded(winogradScratch(m, k, n))
				w.gemm(m, a, lda, &b, c.s, ldc, bias, scratch.s)
				what := fmt.Sprintf("%s %dx%dx%d bias=%v", CPULevel(), m, k, n, withBias)
				c.check(t, what)
				scratch.check(t, what+" scratch")
				var maxA, maxB float64
				for i := 0; i < m; i++ {
					for p := 0; p < k; p++ {
						maxA = math.Max(maxA, math.Abs(float64(a[i*lda+p])))
					}
				}
				for _, v := range bm {
					maxB = math.Max(maxB, math.Abs(float64(v)))
				}
				cc := make([]float32, matLen(m, n, ldc))
				gemm(m, n, k, a, lda, panelB(&b), cc, ldc, false, &Epilogue{Bias: bias}, 0)
				var worst, classical float64
				for i := 0; i < m; i++ {
					for j := 0; j < ldc && i*ldc+j < len(old); j++ {
						got := c.s[i*ldc+j]
						if j >= n {
							if got != old[i*ldc+j] {
								t.Fatalf("%s: (%d, %d) past the last column written", what, i, j)
							}
							continue
						}
						var ref float64
						if bias != nil {
							ref = float64(bias[j])
						}
						for p := 0; p < k; p++ {
							ref += float64(a[i*lda+p]) * float64(bm[p*n+j])
						}
						e := math.Abs(float64(got) - ref)
						bound := 4*float64(k)*0x1p-24*maxA*maxB + 0x1p-23*math.Abs(ref)
						worst = math.Max(worst, e/bound)
						classical = math.Max(classical, math.Abs(float64(cc[i*ldc+j])-ref)/bound)
						if !(e <= bound) {
							t.Fatalf("%s: (%d, %d) = %v, want %v ± %.3g", what, i, j, got, ref, bound)
						}
					}
				}
				t.Logf("%s: worst error %.2f of the bound (the classical product's %.2f)", what, worst, classical)
			}
		}
	})
}

// TestWinogradFits lists the shapes that split.
func TestWinogradFits(t *testing.T) {
	for _, tc := range []struct {
		k, n int
		want bool
	}{{2, 64, true}, {160, 512, true}, {0, 64, false}, {3, 64, false}, {2, 32, false}, {2, 96, false}, {2, 0, false}} {
		if got := winogradFits(tc.k, tc.n); got != tc.want {
			t.Errorf("winogradFits(%d, %d) = %v, want %v", tc.k, tc.n, got, tc.want)
		}
	}
}

// TestLSTMWinograd runs LSTMs whose steps take the Winograd product (an even batch from
// winogradMinRows, the stacked kernel's shape split) against refRecurrent at
// TestRecurrentMatchesReference's tolerance, and checks that they took it: the outputs differ
// from the classical product's in their last bits somewhere. An odd batch takes the classical
// product: the same bits.
func TestLSTMWinograd(t *testing.T) {
	r := newRand(22)
	for _, tc := range []struct{ n, f, u int }{{winogradMinRows, 4, 16}, {winogradMinRows + 2, 6, 32}, {winogradMinRows + 1, 4, 16}} {
		for _, seq := range []bool{false, true} {
			p := RecurrentParams{N: tc.n, T: 4, F: tc.f, U: tc.u, Cell: CellLSTM, Act: ActTanh, RecAct: ActSigmoid, ReturnSequences: seq}
			gu := 4 * p.U
			x, w, u, b := randSlice(r, p.N*p.T*p.F), randSlice(r, p.F*gu), randSlice(r, p.U*gu), randSlice(r, gu)
			h0, c0 := randSlice(r, p.N*p.U), randSlice(r, p.N*p.U)
			ylen := p.N * p.U
			if seq {
				ylen *= p.T
			}
			run := func(stacked *StackedKernel) (y, h, c []float32) {
				p.Stacked = stacked
				y, h, c = make([]float32, ylen), make([]float32, p.N*p.U), make([]float32, p.N*p.U)
				Recurrent(&p, x, w, u, b, h0, c0, nil, y, h, c, make([]float32, RecurrentScratch(&p)))
				return y, h, c
			}
			stacked := StackRecurrentKernels(&p, w, u)
			if stacked == nil || stacked.wino == nil {
				t.Fatalf("%+v: no Winograd sums", tc)
			}
			y, h, c := run(stacked)
			cy, ch, cc := run(&StackedKernel{Panels: stacked.Panels})
			what := fmt.Sprintf("n=%d f=%d u=%d seq=%v", tc.n, tc.f, tc.u, seq)
			same := true
			for i := range cy {
				same = same && math.Float32bits(y[i]) == math.Float32bits(cy[i])
			}
			if tc.n%2 != 0 {
				requireSameBits(t, what+": y", y, cy)
				requireSameBits(t, what+": h", h, ch)
				requireSameBits(t, what+": c", c, cc)
			} else if same {
				t.Errorf("%s: the same bits as the classical product: the Winograd product did not run", what)
			}
			wy, wh, wc := refRecurrent(&p, x, w, u, b, h0, c0, nil)
			for _, o := range []struct {
				name string
				got  []float32
				want []float64
			}{{"y", y, wy}, {"h", h, wh}, {"c", c, wc}} {
				for j := range o.got {
					if d := math.Abs(float64(o.got[j]) - o.want[j]); d > 1e-5*(1+math.Abs(o.want[j])) {
						t.Fatalf("%s: %s[%d] = %v, reference %v", what, o.name, j, o.got[j], o.want[j])
					}
				}
			}
		}
	}
}

// BenchmarkWinograd times the LSTM bench model's step product (32×160 by 160×512, with bias)
// as the Winograd product and, in the same run, as the classical one.
func BenchmarkWinograd(b *testing.B) {
	m, k, n := 32, 160, 512
	r := newRand(4)
	a, bm, bias, c := randSlice(r, m*k), randSlice(r, k*n), randSlice(r, n), make([]float32, m*n)
	panels := PackPanelsInto(make([]float32, PanelsLen(k, n)), k, n, bm, n)
	w := newWinograd(&panels)
	s := make([]float32, winogradScratch(m, k, n))
	for _, form := range []string{"winograd", "classical"} {
		b.Run(fmt.Sprintf("%dx%dx%d/%s", m, k, n, form), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if form == "winograd" {
					w.gemm(m, a, k, &panels, c, n, bias, s)
				} else {
					gemm(m, n, k, a, k, panelB(&panels), c, n, false, &Epilogue{Bias: bias}, 0)
				}
			}
			// Counted as the classical product's multiply-adds, for comparison.
			b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
