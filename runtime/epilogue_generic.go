//go:build !amd64 || purego

package runtime

// epilogueClamp applies a clamp-form epilogue (see clampForm) to a tile.
func epilogueClamp(e *Epilogue, row0, col0, rows, cols, n int, c []float32, ldc int, slope, lo, hi float32) {
	epilogueClampGeneric(e, row0, col0, rows, cols, n, c, ldc, slope, lo, hi)
}
