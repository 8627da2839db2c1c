//go:build amd64 && !purego

package runtime

// winogradFull is how many of c channels the transform kernels for m×m tiles take, the Go
// twins doing the rest: every one on AVX-512 for m = 2 (the last vector masked), c&^15 for
// m = 4; c&^7 on AVX2; none at the generic level.
func winogradFull(m, c int) int {
	switch {
	case cpuLevel == levelAVX512 && m == 2:
		return c
	case cpuLevel == levelAVX512:
		return c &^ 15
	case cpuLevel == levelAVX2:
		return c &^ 7
	}
	return 0
}

// ptrs returns the epilogue's bias and residual rows as the kernels take them (nil: none).
func (e *winogradEp) ptrs() (bias, r0, r1 *float32) {
	if e.bias != nil {
		bias = &e.bias[0]
	}
	if e.r0 != nil {
		r0 = &e.r0[0]
	}
	if e.r1 != nil {
		r1 = &e.r1[0]
	}
	return bias, r0, r1
}

// winogradInKernel is the F(2×2, 3×3) input transform on checked slices.
func winogradInKernel(d []float32, ldr, tiles, c int, v []float32, ldv int) {
	full := winogradFull(2, c)
	switch {
	case full > 0 && cpuLevel == levelAVX512:
		winogradInAVX512(&d[0], ldr, tiles, c, &v[0], ldv)
	case full > 0:
		winogradInAVX2(&d[0], ldr, tiles, c, &v[0], ldv)
	}
	if full < c {
		winogradInGo(d, ldr, tiles, full, c, v, ldv)
	}
}

// winogradOutKernel is the F(2×2, 3×3) output transform on checked slices.
func winogradOutKernel(m []float32, ldm, tiles, c int, y0, y1 []float32, e *winogradEp) {
	full := winogradFull(2, c)
	bias, r0, r1 := e.ptrs()
	switch {
	case full > 0 && cpuLevel == levelAVX512:
		winogradOutAVX512(&m[0], ldm, tiles, c, &y0[0], &y1[0], bias, r0, r1, e.slope, e.lo, e.hi, e.after)
	case full > 0:
		winogradOutAVX2(&m[0], ldm, tiles, c, &y0[0], &y1[0], bias, r0, r1, e.slope, e.lo, e.hi, e.after)
	}
	if full < c {
		winogradOutGo(m, ldm, tiles, full, c, y0, y1, e)
	}
}

// winograd4InKernel is the F(4×4, 3×3) input transform on checked slices.
func winograd4InKernel(d []float32, ldr, tiles, c int, v []float32, ldv int) {
	full := winogradFull(4, c)
	switch {
	case full > 0 && cpuLevel == levelAVX512:
		winograd4InAVX512(&d[0], ldr, tiles, c, &v[0], ldv)
	case full > 0:
		winograd4InAVX2(&d[0], ldr, tiles, c, &v[0], ldv)
	}
	if full < c {
		winograd4InGo(d, ldr, tiles, full, c, v, ldv)
	}
}

// winograd4OutKernel is the F(4×4, 3×3) output transform on checked slices.
func winograd4OutKernel(m []float32, ldm, tiles, c int, y []float32, ldy int, e *winogradEp) {
	full := winogradFull(4, c)
	bias, res, _ := e.ptrs()
	switch {
	case full > 0 && cpuLevel == levelAVX512:
		winograd4OutAVX512(&m[0], ldm, tiles, c, &y[0], ldy, bias, res, e.slope, e.lo, e.hi, e.after)
	case full > 0:
		winograd4OutAVX2(&m[0], ldm, tiles, c, &y[0], ldy, bias, res, e.slope, e.lo, e.hi, e.after)
	}
	if full < c {
		winograd4OutGo(m, ldm, tiles, full, c, y, ldy, e)
	}
}
