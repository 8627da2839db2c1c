// Recurrent layers: SimpleRNN, LSTM and GRU over a whole sequence, with Keras 3 semantics.
//
// Contract: x is [N, T, F] (batch, time, features) in C order; w is the input kernel
// [F, G*U], u the recurrent kernel [U, G*U] and b the bias: nil, [G*U], or for a GRU with
// reset_after [2, G*U] (input bias then recurrent bias), where G is the number of gates
// (SimpleRNN 1, LSTM 4 in the order i, f, c, o, GRU 3 in the order z, r, h). h0 and c0 are
// the initial states [N, U] (nil: zeros). mask, when not nil, is [N, T] with 0 at the steps
// to skip (Keras masking): a skipped step leaves the row's state as it was, and its output
// is the previous output (zeros with ZeroOutputForMask). The kernel writes y — every step's output [N, T, U]
// in processing order when ReturnSequences, else the last output [N, U] — and the final
// states hOut [N, U] and, for an LSTM, cOut [N, U] (either may be nil). With GoBackwards the
// sequence is read from the last step to the first, and the outputs are in that order, as
// Keras does. scratch must hold RecurrentScratch(p) elements. Nothing is allocated.
//
// Per step, with z = x_t·W + b (for all steps in one GEMM) and r = h·U (for an LSTM with
// Keras' default activations, one fused kernel per row on AVX-512 when U is a multiple of 16
// units and p.Stacked holds U in its step layout, lstmStep; from lstmStackedMin rows, one
// GEMM of [x_t | h] by [W; U], lstmStacked, from winogradMinRows rows its Winograd product):
//
//	SimpleRNN: h = act(z + r)
//	LSTM:      i, f, o = recact(z+r parts); c = f*c + i*act(z+r part c); h = o*act(c)
//	           (one fused kernel per row for sigmoid/tanh, Keras' defaults; GRU with
//	           reset_after and a recurrent bias likewise)
//	GRU (reset_after):  zz, rr = recact(x parts + r parts + b_rec); hh = act(x_h + rr*(r_h + b_rec_h))
//	GRU (reset_before): zz, rr = recact(x parts + (h·U) parts); hh = act(x_h + (rr*h)·U_h)
//	GRU:       h = zz*h + (1-zz)*hh
package runtime

import "sync"

// Cell names the recurrent cell of a Recurrent call.
type Cell uint8

// The cells.
const (
	CellSimpleRNN Cell = iota
	CellLSTM
	CellGRU
)

// Gates is the number of gate blocks of a cell's kernels.
func (c Cell) Gates() int {
	switch c {
	case CellLSTM:
		return 4
	case CellGRU:
		return 3
	}
	return 1
}

// RecurrentParams describes one recurrent layer call.
type RecurrentParams struct {
	N, T, F, U        int
	Cell              Cell
	Act, RecAct       Act
	ActP, RecActP     ActParams
	ResetAfter        bool // GRU: apply the reset gate after the recurrent matmul (Keras 3 default)
	GoBackwards       bool
	ReturnSequences   bool
	ZeroOutputForMask bool // masked steps output zeros instead of the previous output
	// Stacked is, for an LSTM with Keras' default activations, [W; U] as
	// StackRecurrentKernels returns it (built once, with the model), or nil: lstmStacked then
	// stacks the kernels into scratch on every call (and never takes the Winograd product),
	// and below lstmStackedMin rows the steps take a GEMM and the gate kernel, not lstmStep.
	Stacked *StackedKernel
	// part: this call runs one part of a split by batch rows (recurrentJob), on the one-thread
	// kernels.
	part bool
}

// StackedKernel is an LSTM's stacked kernel [W; U] in panel layout, with the B-side sums of
// its Winograd product (winograd.go) where its shape splits, and U in the lstmStep kernels'
// step layout (stepIndex) where the units are a multiple of 16.
type StackedKernel struct {
	Panels
	wino *winograd
	step []float32
}

// StackRecurrentKernels returns, for p.Stacked, the stacked kernel [W; U] ((F+U)×4U, panel
// layout) that lstmStacked multiplies [x_t | h] by and, when U is a multiple of 16, U in the
// step layout that lstmStep reads (4U² more floats); nil when p is not an LSTM with Keras'
// default activations (tanh, recurrent sigmoid), which never stacks. It allocates.
func StackRecurrentKernels(p *RecurrentParams, w, u []float32) *StackedKernel {
	if p.Cell != CellLSTM || !p.fusedCell() {
		return nil
	}
	k, gu := p.F+p.U, 4*p.U
	s := &StackedKernel{Panels: packStacked(make([]float32, PanelsLen(k, gu)), p.F, p.U, w, u)}
	s.wino = newWinograd(&s.Panels)
	if p.U%16 == 0 {
		s.step = make([]float32, 4*p.U*p.U)
		packStep(s.step, u, p.U)
	}
	return s
}

// packStacked writes [W; U] (W [f, 4u] above U [u, 4u]) into dst in panel layout.
func packStacked(dst []float32, f, u int, w, uk []float32) Panels {
	k, gu := f+u, 4*u
	need("StackRecurrentKernels", "w", w, f*gu)
	need("StackRecurrentKernels", "u", uk, u*gu)
	packPanelRows(dst, k, gu, func(r int) []float32 {
		if r < f {
			return w[r*gu:]
		}
		return uk[(r-f)*gu:]
	})
	return Panels{K: k, N: gu, Data: dst[:k*gu]}
}

// fusedCell reports whether the cell's activations are Keras' defaults (tanh, recurrent
// sigmoid), which have the fused gate kernels (vmath.go's lstmCellGo, gruCellGo).
func (p *RecurrentParams) fusedCell() bool { return p.Act == ActTanh && p.RecAct == ActSigmoid }

// RecurrentScratch is the scratch size (in elements) Recurrent needs.
func RecurrentScratch(p *RecurrentParams) int {
	gu := p.Cell.Gates() * p.U
	return p.N*p.T*gu + p.N*gu + 3*p.N*p.U
}

// Recurrent runs a recurrent layer over the whole sequence (see the file comment).
func Recurrent(p *RecurrentParams, x, w, u, b, h0, c0, mask, y, hOut, cOut, scratch []float32) {
	n, t, f, un := p.N, p.T, p.F, p.U
	g := p.Cell.Gates()
	gu := g * un
	need("Recurrent", "x", x, n*t*f)
	need("Recurrent", "w", w, f*gu)
	need("Recurrent", "u", u, un*gu)
	need("Recurrent", "scratch", scratch, RecurrentScratch(p))
	if mask != nil {
		need("Recurrent", "mask", mask, n*t)
	}
	if n == 0 {
		return
	}
	if !p.part {
		// The rows are independent: with threads, each part runs the whole sequence for a band
		// of them, one dispatch for the layer instead of a few per step.
		if parts := partsFor(n*t*gu*(f+un), n); parts > 1 {
			runSplit[recurrentCall](&recurrentJobs, recurrentCall{*p, x, w, u, b, h0, c0, mask, y, hOut, cOut, scratch}, parts)
			return
		}
	}
	xw := scratch[:n*t*gu]
	hw := scratch[n*t*gu : n*t*gu+n*gu]
	h := scratch[n*t*gu+n*gu : n*t*gu+n*gu+n*un]
	c := scratch[n*t*gu+n*gu+n*un : n*t*gu+n*gu+2*n*un]
	tmp := scratch[n*t*gu+n*gu+2*n*un : n*t*gu+n*gu+3*n*un]

	var bIn, bRec []float32
	switch {
	case b == nil:
	case p.Cell == CellGRU && p.ResetAfter:
		need("Recurrent", "b", b, 2*gu)
		bIn, bRec = b[:gu], b[gu:2*gu]
	default:
		need("Recurrent", "b", b, gu)
		bIn = b[:gu]
	}
	var ep *Epilogue
	if bIn != nil {
		ep = &Epilogue{Bias: bIn}
	}
	fusedCell := p.fusedCell()
	if p.Cell == CellLSTM && fusedCell && lstmStacked(p, x, w, u, h0, c0, mask, y, hOut, cOut, scratch, ep) {
		return
	}
	// The input projection of every step at once, plus the input bias.
	gemmOn(!p.part, n*t, gu, f, x, f, plainB(w, gu), xw, gu, false, ep, 0)
	if h0 != nil {
		copy(h, h0[:n*un])
	} else {
		clear(h)
	}
	if c0 != nil && p.Cell == CellLSTM {
		copy(c, c0[:n*un])
	} else {
		clear(c)
	}
	for step := 0; step < t; step++ {
		s := p.stepAt(step)
		// skip reports whether row i ignores this step (masked).
		skip := func(i int) bool { return mask != nil && mask[i*t+s] == 0 }
		switch p.Cell {
		// SimpleRNN and LSTM: h·U accumulates onto the step's rows of xw (row stride t·gu),
		// used once each, which then hold the pre-activations.
		case CellSimpleRNN:
			gemmOn(!p.part, n, un, un, h, un, plainB(u, un), xw[s*un:], t*un, true, nil, 0)
			for i := 0; i < n; i++ {
				if skip(i) {
					continue
				}
				row := xw[(i*t+s)*un : (i*t+s+1)*un]
				Activate(p.Act, p.ActP, row)
				copy(h[i*un:(i+1)*un], row)
			}
		case CellLSTM:
			if fusedCell && hasLSTMStep(un) && p.Stacked != nil && p.Stacked.step != nil {
				// h·U fused into the gate kernel (U in p.Stacked's step layout), the new states
				// into tmp, then swapped; with a multiple of 32 units, every other step reads U
				// backwards, starting on the rows the step before read last.
				// From zero states the first step's h·U is zero: the gates are its rows of xw.
				if zeroState(step, h0) {
					for i := 0; i < n; i++ {
						if !skip(i) {
							lstmCell(xw[(i*t+s)*gu:(i*t+s+1)*gu], c[i*un:(i+1)*un], h[i*un:(i+1)*un])
						}
					}
					break
				}
				for i := 0; i < n; i++ {
					hi, hn := h[i*un:(i+1)*un], tmp[i*un:(i+1)*un]
					if skip(i) {
						copy(hn, hi)
						continue
					}
					lstmStep(xw[(i*t+s)*gu:(i*t+s+1)*gu], p.Stacked.step, hi, hn, c[i*un:(i+1)*un], step%2 == 1 && un%32 == 0)
				}
				h, tmp = tmp, h
				break
			}
			gemmOn(!p.part, n, gu, un, h, un, plainB(u, gu), xw[s*gu:], t*gu, true, nil, 0)
			for i := 0; i < n; i++ {
				if skip(i) {
					continue
				}
				z := xw[(i*t+s)*gu : (i*t+s+1)*gu]
				if fusedCell {
					lstmCell(z, c[i*un:(i+1)*un], h[i*un:(i+1)*un])
					continue
				}
				Activate(p.RecAct, p.RecActP, z[:2*un])
				Activate(p.Act, p.ActP, z[2*un:3*un])
				Activate(p.RecAct, p.RecActP, z[3*un:])
				ci, hi := c[i*un:(i+1)*un], h[i*un:(i+1)*un]
				for j := 0; j < un; j++ {
					ci[j] = z[un+j]*ci[j] + z[j]*z[2*un+j]
				}
				copy(hi, ci)
				Activate(p.Act, p.ActP, hi)
				for j := 0; j < un; j++ {
					hi[j] *= z[3*un+j]
				}
			}
		case CellGRU:
			gruStep(p, s, xw, u, bRec, hw, h, tmp, skip, zeroState(step, h0))
		}
		for i := 0; i < n; i++ {
			p.output(y, i, step, h[i*un:(i+1)*un], skip(i))
		}
	}
	if !p.ReturnSequences && y != nil {
		copy(y[:n*un], h)
	}
	if hOut != nil {
		copy(hOut[:n*un], h)
	}
	if cOut != nil && p.Cell == CellLSTM {
		copy(cOut[:n*un], c)
	}
}

// recurrentCall is one Recurrent call's arguments.
type recurrentCall struct {
	p                                                RecurrentParams // a copy: the caller's may be on its stack
	x, w, u, b, h0, c0, mask, y, hOut, cOut, scratch []float32
}

var recurrentJobs = sync.Pool{New: func() any { return new(splitJob[recurrentCall, *recurrentCall]) }}

// runPart runs part p of parts of the batch's rows: Recurrent on those rows alone, its arrays
// sliced to them (all are batch-major), with the part's scratch.
func (j *recurrentCall) runPart(p, parts int) {
	q := j.p
	lo, hi := split(q.N, 1, p, parts)
	if lo >= hi {
		return
	}
	q.N, q.part = hi-lo, true
	t, f, un := q.T, q.F, q.U
	rows := func(a []float32, per int) []float32 {
		if a == nil {
			return nil
		}
		return a[lo*per : hi*per]
	}
	yPer := un
	if q.ReturnSequences {
		yPer = t * un
	}
	c0, cOut := j.c0, j.cOut
	if q.Cell != CellLSTM {
		c0, cOut = nil, nil
	}
	Recurrent(&q, rows(j.x, t*f), j.w, j.u, j.b, rows(j.h0, un), rows(c0, un), rows(j.mask, t), rows(j.y, yPer),
		rows(j.hOut, un), rows(cOut, un), partScratch(p, RecurrentScratch(&q), j.scratch))
}

// zeroState reports whether the state h is all zeros before the step-th step: the first
// step from zero initial states (no h0), whose products h·U the kernels then skip.
func zeroState(step int, h0 []float32) bool { return step == 0 && h0 == nil }

// stepAt returns which time step of the input the step-th step reads (GoBackwards: from
// the last).
func (p *RecurrentParams) stepAt(step int) int {
	if p.GoBackwards {
		return p.T - 1 - step
	}
	return step
}

// output writes row i's output of the step-th step, the state h (zeros for a masked step
// with ZeroOutputForMask), into y, when the layer returns sequences.
func (p *RecurrentParams) output(y []float32, i, step int, h []float32, masked bool) {
	if !p.ReturnSequences {
		return
	}
	dst := y[(i*p.T+step)*p.U : (i*p.T+step+1)*p.U]
	if p.ZeroOutputForMask && masked {
		clear(dst)
		return
	}
	copy(dst, h)
}

// lstmStackedMin is the least batch for which lstmStacked runs: below it the per-step
// products are one-row GEMVs, better served by the separate input projection.
const lstmStackedMin = 4

// winogradMinRows is the least batch for which lstmStacked's steps take the Winograd product
// over p.Stacked: below it the half-size products are too small to run at the GEMM kernels'
// speed.
const winogradMinRows = 32

// lstmStacked runs an LSTM with Keras' default activations on n ≥ lstmStackedMin rows with
// one GEMM per step over the stacked kernel [W; U] (p.Stacked, or packed into scratch):
// z = [x_t | h]·[W; U] + b, then the fused gate kernel, so the input projection of the whole
// sequence never goes through memory. From winogradMinRows rows (an even number, on one
// thread) with p.Stacked's Winograd sums, a step's product is the Winograd product, an eighth
// fewer multiply-adds (winograd.go). It reports false, doing nothing, for fewer rows or when
// the stacked kernel (when p.Stacked is nil), the [x_t | h] rows, the gates and the cell state
// do not fit in scratch (RecurrentScratch(p) elements); the Winograd product's scratch comes
// after them, and without room for it the steps take the classical product.
func lstmStacked(p *RecurrentParams, x, w, u, h0, c0, mask, y, hOut, cOut, scratch []float32, ep *Epilogue) bool {
	n, t, f, un := p.N, p.T, p.F, p.U
	gu, k := 4*un, f+un
	var wu *Panels
	var wino *winograd
	packed := k * gu // scratch for the stacked kernel
	if p.Stacked != nil {
		wu, wino, packed = &p.Stacked.Panels, p.Stacked.wino, 0
	}
	used := packed + n*k + n*gu + n*un
	if n < lstmStackedMin || used > len(scratch) {
		return false
	}
	a := scratch[packed : packed+n*k]                    // rows [x_t | h]
	z := scratch[packed+n*k : packed+n*k+n*gu]           // gate pre-activations
	c := scratch[packed+n*k+n*gu : packed+n*k+n*gu+n*un] // cell state
	if wu == nil {
		s := packStacked(scratch[:k*gu], f, un, w, u)
		wu = &s
	}
	needPanels("Recurrent (RecurrentParams.Stacked)", wu, k, gu)
	ws := scratch[used:]
	if n < winogradMinRows || n%2 != 0 || Threads() > 1 || len(ws) < winogradScratch(n, k, gu) {
		wino = nil
	}
	var bias []float32
	if ep != nil {
		bias = ep.Bias
	}
	hRow := func(i int) []float32 { return a[i*k+f : (i+1)*k] }
	for i := 0; i < n; i++ {
		if h0 != nil {
			copy(hRow(i), h0[i*un:(i+1)*un])
		} else {
			clear(hRow(i))
		}
	}
	if c0 != nil {
		copy(c, c0[:n*un])
	} else {
		clear(c)
	}
	for step := 0; step < t; step++ {
		s := p.stepAt(step)
		for i := 0; i < n; i++ {
			copy(a[i*k:i*k+f], x[(i*t+s)*f:(i*t+s+1)*f])
		}
		// From zero states the first step's h·U is zero: only the x_t columns of the rows
		// (and the W rows of the panels) take part.
		depth := k
		if zeroState(step, h0) {
			depth = f
		}
		if wino != nil && depth == k {
			wino.gemm(n, a, k, wu, z, gu, bias, ws)
		} else {
			gemmOn(!p.part, n, gu, depth, a, k, panelB(wu), z, gu, false, ep, 0)
		}
		for i := 0; i < n; i++ {
			skip := mask != nil && mask[i*t+s] == 0
			if !skip {
				lstmCell(z[i*gu:(i+1)*gu], c[i*un:(i+1)*un], hRow(i))
			}
			p.output(y, i, step, hRow(i), skip)
		}
	}
	for i := 0; i < n; i++ {
		if !p.ReturnSequences && y != nil {
			copy(y[i*un:(i+1)*un], hRow(i))
		}
		if hOut != nil {
			copy(hOut[i*un:(i+1)*un], hRow(i))
		}
	}
	if cOut != nil {
		copy(cOut[:n*un], c)
	}
	return true
}

// gruStep advances a GRU by one step s (see the file comment for the equations). zeroH says
// that h is zero (the first step from zero states): its products with U are then zero too.
func gruStep(p *RecurrentParams, s int, xw, u, bRec, hw, h, tmp []float32, skip func(int) bool, zeroH bool) {
	n, t, un := p.N, p.T, p.U
	gu := 3 * un
	// recur sets hw's columns [j0, j0+cols) to rows·U's (rows: h, or r*h; acc: adds to them).
	recur := func(cols, j0 int, rows []float32, acc bool) {
		if zeroH {
			if !acc {
				for i := 0; i < n; i++ {
					clear(hw[i*gu+j0 : i*gu+j0+cols])
				}
			}
			return
		}
		gemmOn(!p.part, n, cols, un, rows, un, plainB(u[j0:], gu), hw[j0:], gu, acc, nil, 0)
	}
	if p.ResetAfter {
		// Keras' default activations, with a recurrent bias, have a fused gate kernel.
		fused := bRec != nil && p.Act == ActTanh && p.RecAct == ActSigmoid
		recur(gu, 0, h, false)
		for i := 0; i < n; i++ {
			if skip(i) {
				continue
			}
			if fused {
				gruCell(xw[(i*t+s)*gu:(i*t+s+1)*gu], hw[i*gu:(i+1)*gu], bRec, h[i*un:(i+1)*un])
				continue
			}
			r := hw[i*gu : (i+1)*gu]
			if bRec != nil {
				addTo(r, bRec)
			}
			xz := xw[(i*t+s)*gu : (i*t+s+1)*gu]
			// hw's z and r blocks become the gate pre-activations.
			for j := 0; j < 2*un; j++ {
				r[j] += xz[j]
			}
			Activate(p.RecAct, p.RecActP, r[:2*un])
			hh := r[2*un:]
			for j := 0; j < un; j++ {
				hh[j] = xz[2*un+j] + r[un+j]*hh[j]
			}
			Activate(p.Act, p.ActP, hh)
			hi := h[i*un : (i+1)*un]
			for j := 0; j < un; j++ {
				zz := r[j]
				hi[j] = zz*hi[j] + (1-zz)*hh[j]
			}
		}
		return
	}
	// reset_before: the z and r blocks of h·U, then (r*h)·U_h.
	recur(2*un, 0, h, false)
	for i := 0; i < n; i++ {
		r := hw[i*gu : i*gu+2*un]
		xz := xw[(i*t+s)*gu : (i*t+s+1)*gu]
		for j := 0; j < 2*un; j++ {
			r[j] += xz[j]
		}
		Activate(p.RecAct, p.RecActP, r)
		hi, ti := h[i*un:(i+1)*un], tmp[i*un:(i+1)*un]
		for j := 0; j < un; j++ {
			ti[j] = r[un+j] * hi[j]
		}
	}
	// hh pre-activation = x_h + (r*h)·U_h, written into hw's h blocks.
	for i := 0; i < n; i++ {
		copy(hw[i*gu+2*un:(i+1)*gu], xw[(i*t+s)*gu+2*un:(i*t+s+1)*gu])
	}
	recur(un, 2*un, tmp, true)
	for i := 0; i < n; i++ {
		if skip(i) {
			continue
		}
		row := hw[i*gu : (i+1)*gu]
		hh := row[2*un:]
		Activate(p.Act, p.ActP, hh)
		hi := h[i*un : (i+1)*un]
		for j := 0; j < un; j++ {
			zz := row[j]
			hi[j] = zz*hi[j] + (1-zz)*hh[j]
		}
	}
}

// Reverse reverses x [outer, n, inner] along its middle axis into y (they must not overlap).
func Reverse(outer, n, inner int, x, y []float32) {
	need("Reverse", "x", x, outer*n*inner)
	need("Reverse", "y", y, outer*n*inner)
	for o := 0; o < outer; o++ {
		for i := 0; i < n; i++ {
			src := x[(o*n+i)*inner : (o*n+i+1)*inner]
			copy(y[(o*n+n-1-i)*inner:(o*n+n-i)*inner], src)
		}
	}
}
