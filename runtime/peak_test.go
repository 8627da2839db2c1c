package runtime

import "testing"

// TestFMAPeak checks that each level's probe runs the rounds it is asked for (its sum is
// 12·steps·x², exact for these values) and counts the FLOPs of its vector width, and that
// FMAPeakGFLOPS reports a rate where there is a probe and 0 where there is none. Not timed:
// the rate itself is a benchmark's business.
func TestFMAPeak(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		wantFlops := map[int]int{levelGeneric: 0, levelAVX2: 2 * 8 * 12, levelAVX512: 2 * 16 * 12}[cpuLevel]
		for _, c := range []struct {
			steps int
			x     float32
		}{{0, 1}, {1, 1}, {7, 0.5}, {1000, 1.5}, {-3, 1}} {
			sum, flops := fmaPeak(c.steps, c.x)
			if flops != wantFlops {
				t.Fatalf("fmaPeak FLOPs a round = %d, want %d", flops, wantFlops)
			}
			want := float32(0)
			if flops > 0 && c.steps > 0 {
				want = 12 * float32(c.steps) * c.x * c.x
			}
			if sum != want {
				t.Errorf("fmaPeak(%d, %g) = %g, want %g", c.steps, c.x, sum, want)
			}
		}
		if p := FMAPeakGFLOPS(); (p > 0) != (wantFlops > 0) {
			t.Errorf("FMAPeakGFLOPS() = %g with %d FLOPs a round", p, wantFlops)
		}
	})
}

// TestPeakProbe checks that the first Tick probes, an immediate second one does not, and that
// Median is 0 before any probe and then the probes' median.
func TestPeakProbe(t *testing.T) {
	var p PeakProbe
	if m := p.Median(); m != 0 {
		t.Fatalf("Median before any probe = %v", m)
	}
	p.Tick()
	p.Tick()
	if len(p.rates) != 1 {
		t.Fatalf("%d probes after two immediate Ticks, want 1", len(p.rates))
	}
	p.rates = []float64{3, 1, 2}
	if m := p.Median(); m != 2 {
		t.Errorf("Median of 3, 1, 2 = %v", m)
	}
}

// BenchmarkFMAPeak reports the probe's rate at each level, the reference for the kernels'
// GFLOP/s in the same run.
func BenchmarkFMAPeak(b *testing.B) {
	for _, l := range levelNames {
		b.Run(l, func(b *testing.B) {
			old := cpuLevel
			if !setCPULevel(l) {
				b.Skipf("level %s not supported here", l)
			}
			defer func() { cpuLevel = old }()
			var p float64
			for i := 0; i < b.N; i++ {
				p = FMAPeakGFLOPS()
			}
			b.ReportMetric(p, "GFLOP/s")
		})
	}
}
