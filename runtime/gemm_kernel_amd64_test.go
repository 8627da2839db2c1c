//go:build amd64 && !purego

package runtime

import (
	"fmt"
	"math"
	"testing"
	"time"
)

// BenchmarkGemmKernel times the AVX-512 12×32 micro-kernel alone, A and B in cache (A's rows
// lda = k+16 apart, so they do not alias in L1; B one 32-wide panel), and reports it with the
// core's multiply-add peak probed in the same benchmark (%peak, against the median of five probes): the reference for the kernel's
// own ceiling. Session 14 (Zen 5): the kernel broadcast each A element twice from memory
// before f1b9348 and ran at 174–206 GFLOP/s; once into a register, 230–235.
func BenchmarkGemmKernel(b *testing.B) {
	if !setCPULevel("avx512") {
		b.Skip("no AVX-512 here")
	}
	defer setCPULevel(levelNames[hostLevel()])
	for _, k := range []int{64, 256, 1024} {
		r := newRand(1)
		lda := k + 16
		a, w, c := randSlice(r, 12*lda), randSlice(r, k*32), make([]float32, 12*32)
		b.Run(fmt.Sprintf("12x32/k%d", k), func(b *testing.B) {
			var probe PeakProbe
			for range 5 {
				probe.last = time.Time{} // probe every time: a median of five
				probe.Tick()
			}
			peak := probe.Median()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				avx512Kernels[11](k, &a[0], lda, &w[0], 32, &c[0], 32, false, 0xffffffff, nil, &w[0])
			}
			gf := 2 * float64(12*32*k) * float64(b.N) / b.Elapsed().Seconds() / 1e9
			b.ReportMetric(gf, "GFLOP/s")
			b.ReportMetric(100*gf/peak, "%peak")
		})
	}
}

// BenchmarkGemmOneColumn times products with one column of B, contiguous, on AVX-512: the
// dot-product path Gemm takes ("dot", gemmColumnAVX512) against the tiled kernels such
// products took before ("tiles", gemmAVX512Tiles: the one-row kernel for m = 1).
func BenchmarkGemmOneColumn(b *testing.B) {
	defer setCPULevel(CPULevel())
	if !setCPULevel("avx512") {
		b.Skip("no AVX-512 on this machine: the one-column path is AVX-512's")
	}
	for _, s := range [][2]int{{1, 256}, {1, 4096}, {32, 256}, {32, 4096}, {256, 1024}} {
		m, k := s[0], s[1]
		r := newRand(3)
		a, w, c := randSlice(r, m*k), randSlice(r, k), make([]float32, m)
		for _, path := range []string{"dot", "tiles"} {
			b.Run(fmt.Sprintf("%dx%d/%s", m, k, path), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if path == "dot" {
						Gemm(m, 1, k, a, k, w, 1, c, 1, false)
					} else {
						gemmAVX512Tiles(m, 1, k, a, k, plainB(w, 1), c, 1, false, nil)
					}
				}
				b.ReportMetric(2*float64(m*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkGemmFewRows times products of 2…4 rows (and 1 and 8 beside them) on AVX-512, the
// many-row kernels ("rows", what Gemm runs) against the tiled kernels they replaced for such
// products ("tiles", gemmAVX512Tiled), same run: a SimpleRNN step's h·U (128 units, C
// accumulated, as simplernn-imdb's batch of 3 runs 1000 of them), and MobileNetV2's classifier
// (1280 → 1000) at small batches.
func BenchmarkGemmFewRows(b *testing.B) {
	if !setCPULevel("avx512") {
		b.Skip("no AVX-512 here")
	}
	defer setCPULevel(levelNames[hostLevel()])
	for _, s := range []struct {
		name string
		k, n int
		acc  bool
	}{{"rnn_128x128", 128, 128, true}, {"classifier_1280x1000", 1280, 1000, false}} {
		for _, m := range []int{1, 2, 3, 4, 8} {
			r := newRand(3)
			a, w, c := randSlice(r, m*s.k), randSlice(r, s.k*s.n), make([]float32, m*s.n)
			for _, path := range []string{"rows", "tiles"} {
				if path == "tiles" && (m == 1 || m > gemvRowsMax) {
					continue
				}
				b.Run(fmt.Sprintf("%s/m%d/%s", s.name, m, path), func(b *testing.B) {
					for b.Loop() {
						if path == "rows" {
							Gemm(m, s.n, s.k, a, s.k, w, s.n, c, s.n, s.acc)
						} else {
							gemmAVX512Tiled(m, s.n, s.k, a, s.k, plainB(w, s.n), c, s.n, s.acc, nil)
						}
					}
					b.ReportMetric(2*float64(m*s.n*s.k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				})
			}
		}
	}
}

// TestDotRowsTwin checks the dotRows kernels (one-column products over 4, 8 or 16 contiguous
// values, on AVX-512) against dotRowsGo bit for bit: row counts around the kernels' 16-row
// steps (the last m mod 16 rows through a padded copy), A at offsets 0…3 floats, rows holding
// ±Inf, NaN, ±0 and subnormals, C in a guard band; and Gemm and DensePanels of one column over such rows, which
// take them, give each row those bits whatever the row count (so a row's result does not
// depend on its batch), the epilogue applied after.
func TestDotRowsTwin(t *testing.T) {
	withLevel(t, "avx512", func(t *testing.T) {
		r := newRand(29)
		inf := float32(math.Inf(1))
		specials := []float32{inf, -inf, float32(math.NaN()), 0, float32(math.Copysign(0, -1)), 1e-40, -3e-39}
		for _, k := range []int{4, 8, 16} {
			w := randSlice(r, k)
			for i, m := range []int{0, 1, 2, 15, 16, 17, 31, 32, 33, 47, 100} {
				off := i % 4 // rows starting off a 64-byte boundary too
				a := randSlice(r, off+m*k)[off:]
				for i := 0; i < m; i += 7 { // one special value in every seventh row
					a[i*k+r.IntN(k)] = specials[(i/7)%len(specials)]
				}
				want := make([]float32, m)
				dotRowsGo(m, k, a, w, want)
				what := fmt.Sprintf("dotRows k=%d m=%d", k, m)
				c := newGuarded(m)
				dotRows(m, k, a, &w[0], c.s)
				c.check(t, what)
				requireSameBits(t, what, c.s, want)
				got := make([]float32, m)
				Gemm(m, 1, k, a, k, w, 1, got, 1, false)
				requireSameBits(t, what+" through Gemm", got, want)
				if m > 0 {
					one := make([]float32, 1)
					Gemm(1, 1, k, a[(m-1)*k:], k, w, 1, one, 1, false)
					requireSameBits(t, what+" last row alone", one, want[m-1:])
				}
				ep := &Epilogue{Bias: randSlice(r, 1), Act: ActSigmoid}
				wp := PackPanelsInto(make([]float32, PanelsLen(k, 1)), k, 1, w, 1)
				DensePanels(m, k, 1, a, &wp, got, ep)
				ep.applyTile(0, 0, m, 1, 1, want, 1)
				requireSameBits(t, what+" DensePanels with sigmoid", got, want)
			}
		}
	})
}

// BenchmarkDotRows times a one-column product over 100352 rows of 8 values (tfjs-unet's
// sigmoid head, a 1×1 convolution of 2×224×224 pixels to one channel) on AVX-512: dotRows
// against the per-row dot-product kernels that ran it before (gemmColumnAVX512's convDot).
func BenchmarkDotRows(b *testing.B) {
	defer setCPULevel(CPULevel())
	if !setCPULevel("avx512") {
		b.Skip("no AVX-512 on this machine")
	}
	const m, k = 100352, 8
	r := newRand(5)
	a, w, c := randSlice(r, m*k), randSlice(r, k), make([]float32, m)
	b.Run("dotRows", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			dotRows(m, k, a, &w[0], c)
		}
	})
	b.Run("convDot", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			for i0 := 0; i0 < m; i0 += 16 {
				convDotAVX512Kernels[15](1, &oneTap[0], k, &a[i0*k], k, &w[0], &c[i0], 1)
			}
		}
	})
}
