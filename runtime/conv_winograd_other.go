//go:build !amd64 || purego

package runtime

// winogradInKernel is winogradIn on checked slices.
func winogradInKernel(d []float32, ldr, tiles, c int, v []float32, ldv int) {
	winogradInGo(d, ldr, tiles, 0, c, v, ldv)
}

// winogradOutKernel is winogradOut on checked slices.
func winogradOutKernel(m []float32, ldm, tiles, c int, y0, y1 []float32, e *winogradEp) {
	winogradOutGo(m, ldm, tiles, 0, c, y0, y1, e)
}

// winograd4InKernel is the F(4×4, 3×3) input transform on checked slices.
func winograd4InKernel(d []float32, ldr, tiles, c int, v []float32, ldv int) {
	winograd4InGo(d, ldr, tiles, 0, c, v, ldv)
}

// winograd4OutKernel is the F(4×4, 3×3) output transform on checked slices.
func winograd4OutKernel(m []float32, ldm, tiles, c int, y []float32, ldy int, e *winogradEp) {
	winograd4OutGo(m, ldm, tiles, 0, c, y, ldy, e)
}
