//go:build !amd64 || purego

package runtime

// epilogueClamp applies a clamp-form epilogue (see clampForm) to a tile.
func epilogueClamp(e *Epilogue, row0, col0, rows, cols, n int, c []float32, ldc int, slope, lo, hi float32) {
	epilogueClampGeneric(e, row0, col0, rows, cols, n, c, ldc, slope, lo, hi)
}

// addRowsKernel is addRows on checked slices.
func addRowsKernel(rows, cols int, d []float32, ldd int, x []float32, ldx int, y []float32, ldy int, sub bool) {
	addRowsGo(rows, cols, 0, d, ldd, x, ldx, y, ldy, sub)
}

// affineRowsKernel sets each of rows rows of c values to y = float32(x·scale) + shift.
func affineRowsKernel(rows, c int, x, scale, shift, y []float32) {
	affineRowsGo(rows, c, 0, x, scale, shift, y)
}
