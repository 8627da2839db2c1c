//go:build amd64 && !purego

package runtime

// winogradInKernel is winogradIn on checked slices: the AVX-512 kernel on every channel, the
// AVX2 one on the first c&^7 with the Go twin on the rest.
func winogradInKernel(d []float32, ldr, tiles, c int, v []float32, ldv int) {
	full := 0
	switch cpuLevel {
	case levelAVX512:
		winogradInAVX512(&d[0], ldr, tiles, c, &v[0], ldv)
		return
	case levelAVX2:
		if full = c &^ 7; full > 0 {
			winogradInAVX2(&d[0], ldr, tiles, c, &v[0], ldv)
		}
	}
	if full < c {
		winogradInGo(d, ldr, tiles, full, c, v, ldv)
	}
}

// winogradOutKernel is winogradOut on checked slices, dispatched as winogradInKernel.
func winogradOutKernel(m []float32, ldm, tiles, c int, y0, y1 []float32, e *winogradEp) {
	full := 0
	if cpuLevel != levelGeneric {
		var bias, r0, r1 *float32
		if e.bias != nil {
			bias = &e.bias[0]
		}
		if e.r0 != nil {
			r0, r1 = &e.r0[0], &e.r1[0]
		}
		switch cpuLevel {
		case levelAVX512:
			winogradOutAVX512(&m[0], ldm, tiles, c, &y0[0], &y1[0], bias, r0, r1, e.slope, e.lo, e.hi, e.after)
			return
		case levelAVX2:
			if full = c &^ 7; full > 0 {
				winogradOutAVX2(&m[0], ldm, tiles, c, &y0[0], &y1[0], bias, r0, r1, e.slope, e.lo, e.hi, e.after)
			}
		}
	}
	if full < c {
		winogradOutGo(m, ldm, tiles, full, c, y0, y1, e)
	}
}

// winograd4Full is how many of c channels the F(4×4, 3×3) transform kernels take: the full
// vectors (c&^15 on AVX-512, c&^7 on AVX2); the Go twins do the rest.
func winograd4Full(c int) int {
	switch cpuLevel {
	case levelAVX512:
		return c &^ 15
	case levelAVX2:
		return c &^ 7
	}
	return 0
}

// winograd4InKernel is the F(4×4, 3×3) input transform on checked slices.
func winograd4InKernel(d []float32, ldr, tiles, c int, v []float32, ldv int) {
	full := winograd4Full(c)
	if full > 0 {
		if cpuLevel == levelAVX512 {
			winograd4InAVX512(&d[0], ldr, tiles, c, &v[0], ldv)
		} else {
			winograd4InAVX2(&d[0], ldr, tiles, c, &v[0], ldv)
		}
	}
	if full < c {
		winograd4InGo(d, ldr, tiles, full, c, v, ldv)
	}
}

// winograd4OutKernel is the F(4×4, 3×3) output transform on checked slices.
func winograd4OutKernel(m []float32, ldm, tiles, c int, y []float32, ldy int, e *winogradEp) {
	full := winograd4Full(c)
	if full > 0 {
		var bias, res *float32
		if e.bias != nil {
			bias = &e.bias[0]
		}
		if e.r0 != nil {
			res = &e.r0[0]
		}
		if cpuLevel == levelAVX512 {
			winograd4OutAVX512(&m[0], ldm, tiles, c, &y[0], ldy, bias, res, e.slope, e.lo, e.hi, e.after)
		} else {
			winograd4OutAVX2(&m[0], ldm, tiles, c, &y[0], ldy, bias, res, e.slope, e.lo, e.hi, e.after)
		}
	}
	if full < c {
		winograd4OutGo(m, ldm, tiles, full, c, y, ldy, e)
	}
}
