//go:build amd64 && !purego

package runtime

// epilogueClamp applies a clamp-form epilogue (see clampForm) to a tile with
// the generated kernels of epilogue_amd64.s (the AVX2 one leaves the cols
// mod 8 columns on the right to the Go twin).
func epilogueClamp(e *Epilogue, row0, col0, rows, cols, n int, c []float32, ldc int, slope, lo, hi float32) {
	if cpuLevel == levelGeneric {
		epilogueClampGeneric(e, row0, col0, rows, cols, n, c, ldc, slope, lo, hi)
		return
	}
	var bias, res *float32
	if e.Bias != nil {
		bias = &e.Bias[col0]
	}
	if e.Residual != nil {
		res = &e.Residual[row0*n+col0]
	}
	if cpuLevel == levelAVX512 {
		epilogueAVX512(rows, cols, &c[0], ldc, bias, res, n, slope, lo, hi, e.ResidualAfterAct)
		return
	}
	full := cols &^ 7
	if full > 0 {
		epilogueAVX2(rows, full, &c[0], ldc, bias, res, n, slope, lo, hi, e.ResidualAfterAct)
	}
	if full < cols {
		epilogueClampGeneric(e, row0, col0+full, rows, cols-full, n, c[full:], ldc, slope, lo, hi)
	}
}

// addRowsKernel is addRows on checked slices: the AVX-512 kernel on every column, the AVX2
// one on the full vectors with the Go twin on the cols mod 8 columns on the right.
func addRowsKernel(rows, cols int, d []float32, ldd int, x []float32, ldx int, y []float32, ldy int, sub bool) {
	switch cpuLevel {
	case levelAVX512:
		addRowsAVX512(rows, cols, &d[0], ldd, &x[0], ldx, &y[0], ldy, sub)
		return
	case levelAVX2:
		if full := cols &^ 7; full > 0 {
			addRowsAVX2(rows, full, &d[0], ldd, &x[0], ldx, &y[0], ldy, sub)
			if full == cols {
				return
			}
			addRowsGo(rows, cols, full, d, ldd, x, ldx, y, ldy, sub)
			return
		}
	}
	addRowsGo(rows, cols, 0, d, ldd, x, ldx, y, ldy, sub)
}

// affineRowsKernel sets each of rows rows of c values to y = float32(x·scale) + shift on
// checked slices (scale and shift c long, c ≥ 1): the AVX-512 kernel on every column, the AVX2
// one on the first c&^7 and affineRowsGo on the rest, else affineRowsGo.
func affineRowsKernel(rows, c int, x, scale, shift, y []float32) {
	switch cpuLevel {
	case levelAVX512:
		affineRowsAVX512(rows, c, &y[0], &x[0], &scale[0], &shift[0])
		return
	case levelAVX2:
		if full := c &^ 7; full > 0 {
			affineRowsAVX2(rows, c, &y[0], &x[0], &scale[0], &shift[0])
			if full < c {
				affineRowsGo(rows, c, full, x, scale, shift, y)
			}
			return
		}
	}
	affineRowsGo(rows, c, 0, x, scale, shift, y)
}
