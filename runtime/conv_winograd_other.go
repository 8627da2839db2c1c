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
