//go:build amd64 && !purego

package runtime

// fmaPeak runs the probe of the level in force (peak_amd64.s) for steps rounds of x·x and
// returns its sum (12·steps·x² where that is exact) and the FLOPs a round does; 0, 0 at the
// generic level.
func fmaPeak(steps int, x float32) (float32, int) {
	switch cpuLevel {
	case levelAVX512:
		return fmaPeakAVX512(steps, x), 2 * 16 * 12
	case levelAVX2:
		return fmaPeakAVX2(steps, x), 2 * 8 * 12
	}
	return 0, 0
}
