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

// Epilogue is what a producing kernel applies to each output row after
// accumulating: bias, activation and an optional residual add.
type Epilogue struct {
	Bias             []float32 // n values, or nil
	Act              Act
	Params           ActParams
	Residual         []float32 // dense, the output's shape, or nil
	ResidualAfterAct bool
}

// Apply applies the epilogue to rows output rows of n elements held in c
// with row stride ldc; c[0] is element (row0, 0) of the whole output, which
// locates the rows in Residual.
func (e *Epilogue) Apply(row0, rows, n int, c []float32, ldc int) {
	if e == nil || rows <= 0 || n <= 0 {
		return
	}
	need("Epilogue", "c", c, matLen(rows, n, ldc))
	if e.Bias != nil {
		need("Epilogue", "Bias", e.Bias, n)
	}
	if e.Residual != nil {
		need("Epilogue", "Residual", e.Residual, (row0+rows)*n)
	}
	if e.Residual == nil && e.Bias != nil && (e.Act == ActRelu || e.Act == ActLinear) {
		// The common case in one pass: bias, then relu or nothing.
		relu := e.Act == ActRelu
		for i := 0; i < rows; i++ {
			y, b := c[i*ldc:i*ldc+n], e.Bias[:n]
			for j := range y {
				v := y[j] + b[j]
				if relu && v < 0 {
					v = 0
				}
				y[j] = v
			}
		}
		return
	}
	for i := 0; i < rows; i++ {
		y := c[i*ldc : i*ldc+n]
		var res []float32
		if e.Residual != nil {
			res = e.Residual[(row0+i)*n : (row0+i+1)*n]
		}
		if e.Bias != nil {
			addTo(y, e.Bias[:n])
		}
		if res != nil && !e.ResidualAfterAct {
			addTo(y, res)
		}
		Activate(e.Act, e.Params, y)
		if res != nil && e.ResidualAfterAct {
			addTo(y, res)
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
