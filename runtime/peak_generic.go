//go:build !amd64 || purego

package runtime

// fmaPeak has no probe without assembly: the generic level has no vector kernels to set
// against a peak (FMAPeakGFLOPS returns 0).
func fmaPeak(steps int, x float32) (float32, int) { return 0, 0 }
