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
