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
