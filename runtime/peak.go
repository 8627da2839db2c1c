// The multiply-add rate probe: how fast the core multiplies and adds float32 right now, the
// reference that kerasgen bench sets the kernels' rates against in the same run.

package runtime

import (
	"sort"
	"time"
)

// peakSteps is how many rounds FMAPeakGFLOPS times: ~1.7 ms at AVX-512's rate on Zen 4
// (384 FLOPs a round at ~116 GFLOP/s), ~0.85 ms on Zen 5 (~237).
const peakSteps = 1 << 19

// FMAPeakGFLOPS measures, now, the float32 multiply-add rate of the core it runs on with the
// vectors of the kernel level in force (cpuLevel), in GFLOP/s: ~1–2 ms of independent
// multiply-adds on registers only (fmaPeak), so memory plays no part. It returns 0 at the
// generic level (purego, other architectures), which has no vector kernels to compare.
//
// On a shared machine the core's rate moves with its neighbours (this one's 116.5 GFLOP/s
// fell to ~94 for minutes at a time, 2026-11-22), which a fixed peak hides: a kernel's
// GFLOP/s read against a probe taken beside it in the same run says what the kernel does.
func FMAPeakGFLOPS() float64 {
	t0 := time.Now()
	_, flops := fmaPeak(peakSteps, 1)
	if flops == 0 {
		return 0
	}
	return float64(flops) * peakSteps / time.Since(t0).Seconds() / 1e9
}

// PeakProbe samples FMAPeakGFLOPS beside a benchmark's timed calls: Tick, called between
// them, probes when peakEvery has passed since the last probe (the first Tick always does);
// Median is the probes' median, 0 before any.
type PeakProbe struct {
	last  time.Time
	rates []float64
}

// peakEvery is how often a PeakProbe probes: ~1–2 ms of every 20.
const peakEvery = 20 * time.Millisecond

// Tick probes the peak if peakEvery has passed since the last probe.
func (p *PeakProbe) Tick() {
	if time.Since(p.last) >= peakEvery {
		p.rates = append(p.rates, FMAPeakGFLOPS())
		p.last = time.Now()
	}
}

// Median returns the median of the probes so far (0 with none).
func (p *PeakProbe) Median() float64 {
	if len(p.rates) == 0 {
		return 0
	}
	r := append([]float64(nil), p.rates...)
	sort.Float64s(r)
	return r[len(r)/2]
}
