package runtime

import (
	"fmt"
	"testing"
)

// BenchmarkDenseShapes times Dense (with a bias + relu6 epilogue) on the 1×1 convolutions of
// MobileNetV2-224 (../shared/bench), rows = pixels: small K and narrow N are the hard cases.
// Inputs are random (see below).
func BenchmarkDenseShapes(b *testing.B) {
	for _, s := range [][3]int{{1, 784, 512}, {1, 1600, 128}, {32, 1600, 128}, {1, 1280, 1000}, {32, 1280, 1000}, {12544, 32, 16}, {12544, 16, 96}, {3136, 96, 24}, {3136, 24, 144}, {3136, 144, 24}, {784, 144, 32}, {784, 32, 192}, {784, 192, 32}, {196, 64, 384}, {196, 384, 64}, {196, 96, 576}, {196, 576, 96}, {49, 160, 960}, {49, 960, 160}, {49, 960, 320}, {49, 320, 1280}} {
		m, k, n := s[0], s[1], s[2]
		// Random values: never-written zero pages all map to one physical page, which would
		// make A's rows alias in the caches.
		r := newRand(4)
		a, w, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
		ep := &Epilogue{Bias: randSlice(r, n), Act: ActRelu6}
		wp := PackPanelsInto(make([]float32, PanelsLen(k, n)), k, n, w, n)
		for _, layout := range []string{"plain", "panels"} {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, k, n, layout), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if layout == "plain" {
						Dense(m, k, n, a, w, c, ep)
					} else {
						DensePanels(m, k, n, a, &wp, c, ep)
					}
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkDenseEpilogues times DensePanels on MobileNetV2's small-K and narrow 1×1
// convolutions with no epilogue, a bias, and a bias + relu6: at K = 16 the epilogue is a
// large part of a tile's work, so its cost shows here.
func BenchmarkDenseEpilogues(b *testing.B) {
	for _, s := range [][3]int{{12544, 16, 96}, {1008, 16, 96}, {3136, 96, 24}, {3136, 24, 144}} {
		m, k, n := s[0], s[1], s[2]
		r := newRand(4)
		a, w, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
		wp := PackPanelsInto(make([]float32, PanelsLen(k, n)), k, n, w, n)
		bias := randSlice(r, n)
		for _, ep := range []struct {
			name string
			ep   *Epilogue
		}{{"none", nil}, {"bias", &Epilogue{Bias: bias}}, {"bias_relu6", &Epilogue{Bias: bias, Act: ActRelu6}}} {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, k, n, ep.name), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					DensePanels(m, k, n, a, &wp, c, ep.ep)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
