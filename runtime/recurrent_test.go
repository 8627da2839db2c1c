package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// refRecurrent is the textbook recurrence in float64, one row and one step at a time, with
// Keras 3's gate orders (LSTM i,f,c,o; GRU z,r,h) and masking (a masked step keeps the state
// and outputs the previous output, or zeros with ZeroOutputForMask).
func refRecurrent(p *RecurrentParams, x, w, u, b, h0, c0, mask []float32) (y, hOut, cOut []float64) {
	n, t, f, un := p.N, p.T, p.F, p.U
	g := p.Cell.Gates()
	act := func(a Act, pp ActParams, v float64) float64 { return float64(ActivateScalar(a, pp, float32(v))) }
	if p.ReturnSequences {
		y = make([]float64, n*t*un)
	} else {
		y = make([]float64, n*un)
	}
	hOut, cOut = make([]float64, n*un), make([]float64, n*un)
	for i := 0; i < n; i++ {
		h, c := make([]float64, un), make([]float64, un)
		for j := range h {
			if h0 != nil {
				h[j] = float64(h0[i*un+j])
			}
			if c0 != nil {
				c[j] = float64(c0[i*un+j])
			}
		}
		for step := 0; step < t; step++ {
			s := step
			if p.GoBackwards {
				s = t - 1 - step
			}
			masked := mask != nil && mask[i*t+s] == 0
			if !masked {
				xw := make([]float64, g*un) // x·W + input bias
				hu := make([]float64, g*un) // h·U (+ recurrent bias for a reset-after GRU)
				for o := 0; o < g*un; o++ {
					for k := 0; k < f; k++ {
						xw[o] += float64(x[(i*t+s)*f+k]) * float64(w[k*g*un+o])
					}
					for k := 0; k < un; k++ {
						hu[o] += h[k] * float64(u[k*g*un+o])
					}
					if b != nil {
						xw[o] += float64(b[o])
						if p.Cell == CellGRU && p.ResetAfter {
							hu[o] += float64(b[g*un+o])
						}
					}
				}
				nh := make([]float64, un)
				switch p.Cell {
				case CellSimpleRNN:
					for j := range nh {
						nh[j] = act(p.Act, p.ActP, xw[j]+hu[j])
					}
				case CellLSTM:
					for j := range nh {
						ig := act(p.RecAct, p.RecActP, xw[j]+hu[j])
						fg := act(p.RecAct, p.RecActP, xw[un+j]+hu[un+j])
						cc := act(p.Act, p.ActP, xw[2*un+j]+hu[2*un+j])
						og := act(p.RecAct, p.RecActP, xw[3*un+j]+hu[3*un+j])
						c[j] = fg*c[j] + ig*cc
						nh[j] = og * act(p.Act, p.ActP, c[j])
					}
				case CellGRU:
					z, r := make([]float64, un), make([]float64, un)
					for j := 0; j < un; j++ {
						z[j] = act(p.RecAct, p.RecActP, xw[j]+hu[j])
						r[j] = act(p.RecAct, p.RecActP, xw[un+j]+hu[un+j])
					}
					for j := 0; j < un; j++ {
						var hh float64
						if p.ResetAfter {
							hh = act(p.Act, p.ActP, xw[2*un+j]+r[j]*hu[2*un+j])
						} else {
							rh := 0.0 // (r*h)·U_h
							for k := 0; k < un; k++ {
								rh += r[k] * h[k] * float64(u[k*g*un+2*un+j])
							}
							hh = act(p.Act, p.ActP, xw[2*un+j]+rh)
						}
						nh[j] = z[j]*h[j] + (1-z[j])*hh
					}
				}
				h = nh
			}
			if p.ReturnSequences {
				for j := 0; j < un; j++ {
					v := h[j]
					if masked && p.ZeroOutputForMask {
						v = 0
					}
					y[(i*t+step)*un+j] = v
				}
			}
		}
		for j := 0; j < un; j++ {
			if !p.ReturnSequences {
				y[i*un+j] = h[j]
			}
			hOut[i*un+j], cOut[i*un+j] = h[j], c[j]
		}
	}
	return y, hOut, cOut
}

// TestRecurrentMatchesReference runs every cell in every mode against refRecurrent.
func TestRecurrentMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	rnd := func(n int) []float32 { return uniformSlice(rng, n) }
	cases, stacked, fusedStep, withStacked := 0, 0, 0, 0
	for _, cell := range []Cell{CellSimpleRNN, CellLSTM, CellGRU} {
		for _, resetAfter := range []bool{false, true} {
			if resetAfter && cell != CellGRU {
				continue
			}
			for mode := 0; mode < 16; mode++ {
				p := RecurrentParams{N: 1 + rng.Intn(7), T: 1 + rng.Intn(6), F: 1 + rng.Intn(5), U: 1 + rng.Intn(6),
					Cell: cell, Act: ActTanh, RecAct: ActSigmoid, ResetAfter: resetAfter,
					GoBackwards: mode&1 != 0, ReturnSequences: mode&2 != 0, ZeroOutputForMask: mode&8 != 0}
				if cell == CellSimpleRNN {
					p.Act = ActRelu
				}
				if cell == CellLSTM && mode%4 == 1 {
					// lstmStep's sizes (AVX-512), below lstmStacked's batch; modes 5 and 13 mask.
					p.N, p.U = 1+mode/4%3, 16*(1+mode/8)
				}
				if mode%5 == 4 {
					p.RecAct = ActHardSigmoidKeras2
				}
				g := cell.Gates()
				x, w, u := rnd(p.N*p.T*p.F), rnd(p.F*g*p.U), rnd(p.U*g*p.U)
				var b []float32
				if mode%3 != 0 {
					if cell == CellGRU && resetAfter {
						b = rnd(2 * g * p.U)
					} else {
						b = rnd(g * p.U)
					}
				}
				var h0, c0, mask []float32
				if mode&4 != 0 {
					h0, c0, mask = randStates(rng, &p)
				}
				ylen := p.N * p.U
				if p.ReturnSequences {
					ylen *= p.T
				}
				y, hOut, cOut := make([]float32, ylen), make([]float32, p.N*p.U), make([]float32, p.N*p.U)
				scratch := make([]float32, RecurrentScratch(&p))
				for i := range scratch {
					scratch[i] = float32(math.NaN()) // what scratch holds must not matter
				}
				runsStacked := false
				if k := p.F + p.U; cell == CellLSTM && p.RecAct == ActSigmoid && p.N >= lstmStackedMin &&
					k*g*p.U+p.N*(k+g*p.U+p.U) <= len(scratch) {
					stacked++ // runs lstmStacked
					runsStacked = true
				} else if cell == CellLSTM && p.RecAct == ActSigmoid && hasLSTMStep(p.U) {
					fusedStep++ // runs lstmStep, with Stacked
				}
				Recurrent(&p, x, w, u, b, h0, c0, mask, y, hOut, cOut, scratch)
				wy, wh, wc := refRecurrent(&p, x, w, u, b, h0, c0, mask)
				check := func(what string, got []float32, want []float64) {
					for j := range got {
						if d := math.Abs(float64(got[j]) - want[j]); d > 1e-5*(1+math.Abs(want[j])) {
							t.Fatalf("%+v: %s[%d] = %v, reference %v", p, what, j, got[j], want[j])
						}
					}
				}
				check("y", y, wy)
				check("h", hOut, wh)
				if cell == CellLSTM {
					check("c", cOut, wc)
				}
				if p.Stacked = StackRecurrentKernels(&p, w, u); p.Stacked != nil {
					// The kernel stacked once (as a generated package's New does): lstmStacked
					// gives the same bits; below its rows, lstmStep runs (U in its step layout).
					sy, sh, sc := make([]float32, len(y)), make([]float32, len(hOut)), make([]float32, len(cOut))
					Recurrent(&p, x, w, u, b, h0, c0, mask, sy, sh, sc, scratch)
					if runsStacked {
						requireSameBits(t, fmt.Sprintf("%+v: y with Stacked", p), sy, y)
						requireSameBits(t, "h with Stacked", sh, hOut)
						requireSameBits(t, "c with Stacked", sc, cOut)
					}
					check("y with Stacked", sy, wy)
					check("h with Stacked", sh, wh)
					check("c with Stacked", sc, wc)
					withStacked++
				} else if cell == CellLSTM && p.RecAct == ActSigmoid {
					t.Fatalf("%+v: StackRecurrentKernels = nil for an LSTM with the default activations", p)
				}
				cases++
			}
		}
	}
	t.Logf("%d cases, %d through lstmStacked, %d through lstmStep, %d again with Stacked", cases, stacked, fusedStep, withStacked)
	if cases != 64 || stacked < 3 || withStacked < stacked {
		t.Errorf("%d cases checked, want 64; %d through lstmStacked, want at least 3, each again with Stacked (%d)", cases, stacked, withStacked)
	}
	if hasLSTMStep(16) && fusedStep != 3 {
		t.Errorf("%d cases through lstmStep, want 3", fusedStep)
	}
}

// TestRecurrentAllocatesNothing: a warm recurrent call allocates nothing: the LSTM at 2 rows
// and at 4 (lstmStacked, stacking the kernels into scratch), the GRU in both reset forms;
// with the kernels stacked once, the LSTM at 1 row of 32 units (lstmStep, forward and back)
// and at winogradMinRows.
func TestRecurrentAllocatesNothing(t *testing.T) {
	cases := []RecurrentParams{
		{N: 2, Cell: CellLSTM}, {N: lstmStackedMin, Cell: CellLSTM},
		{N: 2, Cell: CellGRU, ResetAfter: true}, {N: 2, Cell: CellGRU},
		{N: winogradMinRows, Cell: CellLSTM, U: 16}, // stacked once: the Winograd product's steps
		{N: 1, Cell: CellLSTM, U: 32},               // stacked once: lstmStep's steps
	}
	for _, p := range cases {
		p.T, p.F, p.Act, p.RecAct, p.ReturnSequences = 5, 4, ActTanh, ActSigmoid, true
		if p.U == 0 {
			p.U = 4
		}
		gu := p.Cell.Gates() * p.U
		x, w, u := make([]float32, p.N*p.T*p.F), make([]float32, p.F*gu), make([]float32, p.U*gu)
		var b []float32
		if p.Cell == CellGRU && p.ResetAfter {
			b = make([]float32, 2*gu)
		}
		if p.U >= 16 {
			p.Stacked = StackRecurrentKernels(&p, w, u)
		}
		y, h := make([]float32, p.N*p.T*p.U), make([]float32, p.N*p.U)
		s := make([]float32, RecurrentScratch(&p))
		if a := allocsPerRun(10, func() { Recurrent(&p, x, w, u, b, nil, nil, nil, y, h, nil, s) }); a != 0 {
			t.Errorf("%+v: %v allocations", p, a)
		}
	}
}

func TestReverse(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12} // [2, 3, 2]
	y := make([]float32, 12)
	Reverse(2, 3, 2, x, y)
	want := []float32{5, 6, 3, 4, 1, 2, 11, 12, 9, 10, 7, 8}
	for i := range want {
		if y[i] != want[i] {
			t.Fatalf("Reverse = %v, want %v", y, want)
		}
	}
}

// BenchmarkRecurrent times an LSTM and a GRU with the bench model's shape (../shared/bench
// lstm: T = 50, F = 32, U = 128) at batch 1 and 32.
func BenchmarkRecurrent(b *testing.B) {
	for _, cell := range []Cell{CellLSTM, CellGRU} {
		for _, n := range []int{1, 32} {
			p := RecurrentParams{N: n, T: 50, F: 32, U: 128, Cell: cell, Act: ActTanh, RecAct: ActSigmoid, ResetAfter: true}
			g := cell.Gates() * p.U
			r := newRand(3)
			x, w, u := randSlice(r, n*p.T*p.F), randSlice(r, p.F*g), randSlice(r, p.U*g)
			bias := randSlice(r, 2*g)
			y := make([]float32, n*p.U)
			s := make([]float32, RecurrentScratch(&p))
			name := map[Cell]string{CellLSTM: "lstm", CellGRU: "gru"}[cell]
			// As a generated package does: the LSTM's kernels stacked once. At batch 32 the
			// steps take the Winograd product; "classical" times them without it.
			p.Stacked = StackRecurrentKernels(&p, w, u)
			forms := map[string]*StackedKernel{"": p.Stacked}
			if p.Stacked != nil && n >= winogradMinRows {
				forms["/classical"] = &StackedKernel{Panels: p.Stacked.Panels}
			}
			for form, stacked := range forms {
				b.Run(fmt.Sprintf("%s/b%d%s", name, n, form), func(b *testing.B) {
					p.Stacked = stacked
					for i := 0; i < b.N; i++ {
						Recurrent(&p, x, w, u, bias, nil, nil, nil, y, nil, nil, s)
					}
					flops := 2 * float64(n*p.T*g*(p.F+p.U))
					b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// uniformSlice returns n values uniform in [-1, 1) from rng.
func uniformSlice(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = rng.Float32()*2 - 1
	}
	return s
}

// randStates returns random initial states h0 and (for an LSTM, else nil) c0 in [-1, 1) and a
// mask that keeps two steps in three, for p's rows.
func randStates(rng *rand.Rand, p *RecurrentParams) (h0, c0, mask []float32) {
	rnd := func(n int) []float32 { return uniformSlice(rng, n) }
	h0, c0 = rnd(p.N*p.U), rnd(p.N*p.U) // c0 drawn for every cell: the draws stay the same
	mask = make([]float32, p.N*p.T)
	for i := range mask {
		if rng.Intn(3) > 0 {
			mask[i] = 1
		}
	}
	if p.Cell != CellLSTM {
		c0 = nil
	}
	return h0, c0, mask
}

// TestRecurrentThreads checks Recurrent split across threads by batch rows (each part the
// whole sequence for its rows, through lstmStacked where a part has lstmStackedMin rows):
// every cell, with and without masks and initial states, sequences or last states, forward
// and backward, against the float64 reference, with nothing written outside y, hOut and cOut,
// and no allocation when warm.
func TestRecurrentThreads(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	rnd := func(n int) []float32 { return uniformSlice(rng, n) }
	for _, cell := range []Cell{CellSimpleRNN, CellLSTM, CellGRU} {
		for mode := 0; mode < 8; mode++ {
			p := RecurrentParams{N: 13, T: 8, F: 16, U: 32, Cell: cell, Act: ActTanh, RecAct: ActSigmoid,
				ResetAfter: true, GoBackwards: mode&1 != 0, ReturnSequences: mode&2 != 0}
			g := cell.Gates()
			x, w, u, b := rnd(p.N*p.T*p.F), rnd(p.F*g*p.U), rnd(p.U*g*p.U), rnd(g*p.U)
			if cell == CellGRU {
				b = rnd(2 * g * p.U)
			}
			var h0, c0, mask []float32
			if mode&4 != 0 {
				h0, c0, mask = randStates(rng, &p)
			}
			p.Stacked = StackRecurrentKernels(&p, w, u)
			ylen := p.N * p.U
			if p.ReturnSequences {
				ylen *= p.T
			}
			wy, wh, wc := refRecurrent(&p, x, w, u, b, h0, c0, mask)
			withThreads(3, func() {
				what := fmt.Sprintf("cell %d mode %d", cell, mode)
				if parts := partsFor(p.N*p.T*g*p.U*(p.F+p.U), p.N); parts < 2 {
					t.Fatalf("%s: not split (%d parts)", what, parts)
				}
				y, h, c := newGuarded(ylen), newGuarded(p.N*p.U), newGuarded(p.N*p.U)
				s := make([]float32, RecurrentScratch(&p))
				run := func() { Recurrent(&p, x, w, u, b, h0, c0, mask, y.s, h.s, c.s, s) }
				run()
				y.check(t, what+" y")
				h.check(t, what+" h")
				c.check(t, what+" c")
				check := func(name string, got []float32, want []float64) {
					for j := range got {
						if d := math.Abs(float64(got[j]) - want[j]); d > 1e-5*(1+math.Abs(want[j])) {
							t.Fatalf("%s: %s[%d] = %v, reference %v", what, name, j, got[j], want[j])
						}
					}
				}
				check("y", y.s, wy)
				check("h", h.s, wh)
				if cell == CellLSTM {
					check("c", c.s, wc)
				}
				if a := allocsPerRun(5, run); a != 0 {
					t.Errorf("%s: %v allocations", what, a)
				}
			})
		}
	}
}
