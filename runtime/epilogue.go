// The epilogue a producing kernel (Dense, Conv2D, DepthwiseConv2D,
// Conv2DTranspose) applies to its output rows once they are accumulated.
//
// Contract: for each output row r (r counted from the start of the whole
// output, rows of n elements) and column j,
//
//	y = act(y + Bias[j] + Residual[r*n+j])   (ResidualAfterAct false)
//	y = act(y + Bias[j]) + Residual[r*n+j]   (ResidualAfterAct true)
//
// in float32, in that order (bias first, as Keras adds the bias inside the
// layer and the residual in a following Add layer). A nil Bias or Residual is
// skipped; a nil *Epilogue does nothing. Residual is read as a dense
// row-major tensor of the output's shape; it must not overlap the output.

package runtime

import "math"

// Epilogue is what a producing kernel applies to each output row after
// accumulating: bias, activation and an optional residual add.
type Epilogue struct {
	Bias             []float32 // n values, or nil
	Act              Act
	Params           ActParams
	Residual         []float32 // dense, the output's shape, or nil
	ResidualAfterAct bool
}

// epilogueCopy is an epilogue, or none, carried by value in a split job's operands
// (runSplit), so that the caller's, which may live on its stack, does not escape into the
// pooled job; get points into the copy the job holds.
type epilogueCopy struct {
	v  Epilogue
	ok bool
}

// copyEpilogue returns a copy of *ep, or none for nil.
func copyEpilogue(ep *Epilogue) epilogueCopy {
	if ep == nil {
		return epilogueCopy{}
	}
	return epilogueCopy{*ep, true}
}

// get returns the copied epilogue, or nil for none.
func (c *epilogueCopy) get() *Epilogue {
	if !c.ok {
		return nil
	}
	return &c.v
}

// Apply applies the epilogue to rows output rows of n elements held in c
// with row stride ldc; c[0] is element (row0, 0) of the whole output, which
// locates the rows in Residual.
func (e *Epilogue) Apply(row0, rows, n int, c []float32, ldc int) {
	e.applyTile(row0, 0, rows, n, n, c, ldc)
}

// applyTile applies the epilogue to the rows×cols block of an output with
// rows of n elements whose first element is (row0, col0), held in c with row
// stride ldc (c[0] is that first element). The GEMM drivers call it on each
// tile of C they finish, while the tile is in L1.
func (e *Epilogue) applyTile(row0, col0, rows, cols, n int, c []float32, ldc int) {
	if e == nil || rows <= 0 || cols <= 0 {
		return
	}
	need("Epilogue", "c", c, matLen(rows, cols, ldc))
	if e.Bias != nil {
		need("Epilogue", "Bias", e.Bias, col0+cols)
	}
	if e.Residual != nil {
		need("Epilogue", "Residual", e.Residual, (row0+rows-1)*n+col0+cols)
	}
	if cols < epilogueWide && epilogueWide%cols == 0 && ldc == cols && rows*cols >= epilogueWide &&
		(e.Residual == nil || (n == cols && col0 == 0)) {
		e.applyNarrow(row0, col0, rows, cols, n, c)
		return
	}
	if slope, lo, hi, ok := e.clampForm(); ok {
		epilogueClamp(e, row0, col0, rows, cols, n, c, ldc, slope, lo, hi)
		return
	}
	// Other activations: bias (and a residual before the activation) on the clamp kernels
	// with a linear activation, then the activation row by row, then a residual after it.
	inf := float32(math.Inf(1))
	pre := Epilogue{Bias: e.Bias}
	if !e.ResidualAfterAct {
		pre.Residual = e.Residual
	}
	if pre.Bias != nil || pre.Residual != nil {
		epilogueClamp(&pre, row0, col0, rows, cols, n, c, ldc, 1, -inf, inf)
	}
	if ldc == cols && (e.Residual == nil || !e.ResidualAfterAct || cols == n) {
		// The block's rows are contiguous (and so are the residual's): one call over all of
		// them, not one per row (a 1-column output paid a call per element). The activation
		// kernels are elementwise and bit-identical to their twins, so the bits are the same.
		rows, cols, ldc = 1, rows*cols, rows*cols
	}
	for i := 0; i < rows; i++ {
		y := c[i*ldc : i*ldc+cols]
		Activate(e.Act, e.Params, y)
		if e.Residual != nil && e.ResidualAfterAct {
			o := (row0+i)*n + col0
			addTo(y, e.Residual[o:o+cols])
		}
	}
}

// clampForm reports whether the activation is v > 0 ? v : slope·v followed
// by a clamp to [lo, hi] (NaN kept) — linear, the ReLUs with threshold 0,
// leaky ReLU, hard tanh — and gives those constants. The assembly epilogue
// kernels compute that form.
func (e *Epilogue) clampForm() (slope, lo, hi float32, ok bool) {
	return clampForm(e.Act, &e.Params)
}

// clampForm is Epilogue.clampForm for an activation and its parameters.
func clampForm(act Act, p *ActParams) (slope, lo, hi float32, ok bool) {
	inf := float32(math.Inf(1))
	switch act {
	case ActLinear:
		return 1, -inf, inf, true
	case ActRelu:
		return 1, 0, inf, true
	case ActRelu6:
		return 1, 0, 6, true
	case ActHardTanh:
		return 1, -1, 1, true
	case ActLeakyRelu:
		return p.Alpha, -inf, inf, true
	case ActReluFull:
		hi = inf
		if p.HasMax {
			hi = p.MaxValue
		}
		if p.Threshold != 0 || p.Alpha < 0 || hi < 0 {
			return 0, 0, 0, false
		}
		if p.Alpha == 0 { // a clamp at 0 keeps relu(-Inf) = 0, where 0·(-Inf) is NaN
			return 1, 0, hi, true
		}
		return p.Alpha, -inf, hi, true
	}
	return 0, 0, 0, false
}

// epilogueWide is the row width applyNarrow regroups narrow contiguous rows into: an
// AVX-512 vector, so that the kernels run unmasked.
const epilogueWide = 16

// applyNarrow is applyTile for contiguous rows of cols < epilogueWide columns, cols dividing
// it (and a residual, if any, laid out as the block): the block is taken as rows of
// epilogueWide elements, each row cols·k columns of the output, the bias repeated to match;
// the rows the regrouping leaves go as they are. The same operations on the same values: the
// same bits. (Row by row, an 8-column output paid the kernels' masked loads and stores and a
// call per row: 10 ns a row.)
func (e *Epilogue) applyNarrow(row0, col0, rows, cols, n int, c []float32) {
	const w = epilogueWide
	wide := rows * cols / w
	g := *e
	var bias [w]float32
	if e.Bias != nil {
		for j := range bias {
			bias[j] = e.Bias[col0+j%cols]
		}
		g.Bias = bias[:]
	}
	if e.Residual != nil {
		g.Residual = e.Residual[row0*n:]
	}
	g.applyTile(0, 0, wide, w, w, c, w)
	if done := wide * w / cols; done < rows {
		e.applyTile(row0+done, col0, rows-done, cols, n, c[done*cols:], cols)
	}
}

// epilogueClampGeneric is the pure-Go clamp-form epilogue (see clampForm),
// the twin of the assembly kernels: in float32, in the kernels' order.
func epilogueClampGeneric(e *Epilogue, row0, col0, rows, cols, n int, c []float32, ldc int, slope, lo, hi float32) {
	for i := 0; i < rows; i++ {
		y := c[i*ldc : i*ldc+cols]
		var res []float32
		if e.Residual != nil {
			o := (row0+i)*n + col0
			res = e.Residual[o : o+cols]
		}
		var bias []float32
		if e.Bias != nil {
			bias = e.Bias[col0 : col0+cols]
		}
		for j, v := range y {
			if bias != nil {
				v += bias[j]
			}
			if res != nil && !e.ResidualAfterAct {
				v += res[j]
			}
			if !(v > 0) {
				v *= slope
			}
			if v < lo {
				v = lo
			}
			if v > hi {
				v = hi
			}
			if res != nil && e.ResidualAfterAct {
				v += res[j]
			}
			y[j] = v
		}
	}
}

// addTo adds b to y elementwise (len(b) ≥ len(y)).
func addTo(y, b []float32) {
	b = b[:len(y)]
	for j := range y {
		y[j] += b[j]
	}
}

// addRows sets the rows×cols block d (row stride ldd) to x + y, or x − y when sub (x and y
// with row strides ldx and ldy), in float32: the element-wise sums the Winograd product
// (winograd.go) forms from the quadrants of its left factor.
func addRows(rows, cols int, d []float32, ldd int, x []float32, ldx int, y []float32, ldy int, sub bool) {
	if rows <= 0 || cols <= 0 {
		return
	}
	need("addRows", "d", d, matLen(rows, cols, ldd))
	need("addRows", "x", x, matLen(rows, cols, ldx))
	need("addRows", "y", y, matLen(rows, cols, ldy))
	addRowsKernel(rows, cols, d, ldd, x, ldx, y, ldy, sub)
}

// addRowsGo is addRows' pure-Go twin, on the columns from col0 on.
func addRowsGo(rows, cols, col0 int, d []float32, ldd int, x []float32, ldx int, y []float32, ldy int, sub bool) {
	for i := 0; i < rows; i++ {
		dr, xr, yr := d[i*ldd+col0:i*ldd+cols], x[i*ldx+col0:i*ldx+cols], y[i*ldy+col0:i*ldy+cols]
		yr = yr[:len(dr)]
		xr = xr[:len(dr)]
		if sub {
			for j := range dr {
				dr[j] = xr[j] - yr[j]
			}
		} else {
			for j := range dr {
				dr[j] = xr[j] + yr[j]
			}
		}
	}
}
