package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// withLevel runs f with the dispatch switched to the named level, skipping
// (as a subtest) when this machine or build lacks it.
func withLevel(t *testing.T, level string, f func(t *testing.T)) {
	t.Run(level, func(t *testing.T) {
		old := cpuLevel
		if !setCPULevel(level) {
			t.Skipf("level %s not supported here (host %s)", level, levelNames[hostLevel()])
		}
		defer func() { cpuLevel = old }()
		f(t)
	})
}

// eachLevel runs f at every kernel level this machine and build have.
func eachLevel(t *testing.T, f func(t *testing.T)) {
	for _, l := range levelNames {
		withLevel(t, l, f)
	}
}

// eachAsmLevel runs f at every level with assembly kernels (all but generic) this machine
// and build have.
func eachAsmLevel(t *testing.T, f func(t *testing.T)) {
	for _, l := range levelNames[levelGeneric+1:] {
		withLevel(t, l, f)
	}
}

// checkGemmTwin runs the dispatched Gemm on one shape with random row
// strides and compares it with gemmGeneric: C inside a guard band, the
// padding between rows of C and the inputs untouched.
func checkGemmTwin(t *testing.T, r *rand.Rand, m, n, k int, acc bool) {
	t.Helper()
	lda, ldb, ldc := k+r.IntN(4), n+r.IntN(4), n+r.IntN(4)
	if r.IntN(8) == 0 { // sometimes a wide stride
		lda, ldb, ldc = lda+61, ldb+37, ldc+45
	}
	checkGemmTwinStrides(t, r, m, n, k, lda, ldb, ldc, acc)
}

// checkGemmTwinStrides is checkGemmTwin with the given row strides.
func checkGemmTwinStrides(t *testing.T, r *rand.Rand, m, n, k, lda, ldb, ldc int, acc bool) {
	t.Helper()
	// Offset A and B inside larger slices, so rows start misaligned.
	oa, ob := r.IntN(8), r.IntN(8)
	a := randSlice(r, oa+matLen(m, k, lda))[oa:]
	b := randSlice(r, ob+matLen(k, n, ldb))[ob:]
	old := randSlice(r, matLen(m, n, ldc))
	c := newGuarded(len(old)).fill(old)
	want := clone(old)
	a0, b0 := clone(a), clone(b)

	Gemm(m, n, k, a, lda, b, ldb, c.s, ldc, acc)
	gemmGeneric(m, n, k, a, lda, b, ldb, want, ldc, acc)

	what := fmt.Sprintf("%s m=%d n=%d k=%d lda=%d ldb=%d ldc=%d acc=%v", CPULevel(), m, n, k, lda, ldb, ldc, acc)
	c.check(t, what)
	requireUnchanged(t, what+" a", a0, a)
	requireUnchanged(t, what+" b", b0, b)
	// Both sides round each of k products and sums in float32, in different
	// orders (and with FMA): within 2(k+1)·2⁻²⁴ of Σ|a·b| + |c|, at least
	// a relative 1e-5.
	rel := max(1e-5, 2*float64(k+1)/(1<<24))
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			mag := 0.0
			if acc {
				mag = math.Abs(float64(old[i*ldc+j]))
			}
			for p := 0; p < k; p++ {
				mag += math.Abs(float64(a[i*lda+p]) * float64(b[p*ldb+j]))
			}
			got, exp := c.s[i*ldc+j], want[i*ldc+j]
			if !closeTo(got, float64(exp), rel*mag, 0) {
				t.Fatalf("%s: C[%d,%d] = %v, generic %v (tol %.3g)", what, i, j, got, exp, rel*mag)
			}
		}
		for j := n; n > 0 && i < m-1 && j < ldc; j++ {
			if math.Float32bits(c.s[i*ldc+j]) != math.Float32bits(old[i*ldc+j]) {
				t.Fatalf("%s: wrote the padding of row %d", what, i)
			}
		}
	}
}

func TestGemmTwinAllSizes(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(7)
		for m := 0; m <= 33; m++ {
			for n := 0; n <= 33; n++ {
				for k := 0; k <= 33; k++ {
					checkGemmTwin(t, r, m, n, k, false)
					checkGemmTwin(t, r, m, n, k, true)
				}
			}
		}
	})
}

// TestGemmTwinOneRow covers the one-row kernels (gemv_amd64.s): every kernel (1…24 vectors,
// a masked tail of 13 columns), and widths across their 384-column blocks and masked tails.
func TestGemmTwinOneRow(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(17)
		ns := []int{1, 15, 16, 17, 255, 256, 257, 383, 384, 385, 511, 512, 513, 767, 768, 769, 784, 1030}
		for v := 1; v <= 24; v++ {
			ns = append(ns, 16*v-3)
		}
		for _, n := range ns {
			for _, k := range []int{1, 2, 7, 128, 300} {
				checkGemmTwin(t, r, 1, n, k, false)
				checkGemmTwin(t, r, 1, n, k, true)
			}
		}
	})
}

// TestGemmTwinFewRows covers the many-row kernels (2…4 rows, gemv_amd64.s' gemvRows*): every
// kernel width, and widths across their blocks (192, 128 and 96 columns) and masked tails,
// with row strides that leave padding between the rows.
func TestGemmTwinFewRows(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(19)
		ns := []int{1, 15, 16, 17, 95, 96, 97, 127, 128, 129, 191, 192, 193, 384, 385, 1030}
		for v := 1; v <= 12; v++ {
			ns = append(ns, 16*v-3)
		}
		for m := 2; m <= 4; m++ {
			for _, n := range ns {
				for _, k := range []int{1, 2, 7, 128} {
					checkGemmTwin(t, r, m, n, k, false)
					checkGemmTwin(t, r, m, n, k, true)
				}
			}
		}
	})
}

func TestGemmTwinLarger(t *testing.T) {
	shapes := [][3]int{
		{64, 129, 77}, {256, 256, 256}, {121, 48, 257}, {130, 50, 300},
		{250, 33, 513}, {7, 600, 260}, {600, 7, 129}, {12, 32, 1}, {1, 1, 1000},
		{20, 40, 1700}, {13, 70, 3100}, // k blocks of the in-place drivers (kc = 1024)
	}
	if testing.Short() {
		shapes = shapes[:3]
	}
	eachLevel(t, func(t *testing.T) {
		r := newRand(8)
		for _, s := range shapes {
			checkGemmTwin(t, r, s[0], s[1], s[2], false)
			checkGemmTwin(t, r, s[0], s[1], s[2], true)
		}
	})
}

func TestCPULevelEnv(t *testing.T) {
	host := hostLevel()
	t.Logf("host level %s, in use %s", levelNames[host], CPULevel())
	for want, name := range levelNames {
		t.Setenv("KERASGEN_CPU", name)
		if got := initialLevel(); got != min(want, host) {
			t.Errorf("KERASGEN_CPU=%s: level %s, want %s", name, levelNames[got], levelNames[min(want, host)])
		}
	}
	t.Setenv("KERASGEN_CPU", "bogus")
	if got := initialLevel(); got != host {
		t.Errorf("KERASGEN_CPU=bogus: level %s, want host %s", levelNames[got], levelNames[host])
	}
	if !haveAsm && host != levelGeneric {
		t.Errorf("no assembly in this build but host level %s", levelNames[host])
	}
	if setCPULevel("bogus") {
		t.Error("setCPULevel accepted an unknown level")
	}
}

// BenchmarkGemm times square Gemms at every level this machine supports.
func BenchmarkGemm(b *testing.B) {
	for _, level := range levelNames {
		for _, size := range []int{64, 256, 512, 1024} {
			if size > 512 && level == "generic" {
				continue
			}
			b.Run(fmt.Sprintf("%s/%d", level, size), func(b *testing.B) {
				old := cpuLevel
				if !setCPULevel(level) {
					b.Skipf("level %s not supported here", level)
				}
				defer func() { cpuLevel = old }()
				r := newRand(2)
				x, w, y := randSlice(r, size*size), randSlice(r, size*size), make([]float32, size*size)
				b.ResetTimer()
				start := time.Now()
				for i := 0; i < b.N; i++ {
					Gemm(size, size, size, x, size, w, size, y, size, false)
				}
				flops := 2 * float64(size) * float64(size) * float64(size) * float64(b.N)
				b.ReportMetric(flops/time.Since(start).Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestGemmTwinOneColumn covers the one-column path (on AVX-512 a dot product per row of A,
// gemmColumnAVX512): B's column contiguous (ldb 1), row counts around its 16-row calls, depths
// around its 16-value steps, C added to or overwritten, at every level against gemmGeneric;
// and B as a one-column Panels through DensePanels, clamp-form epilogue and all, against Dense
// (the same bits) and against gemmGeneric with the epilogue applied after it.
func TestGemmTwinOneColumn(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(17)
		for _, m := range []int{1, 2, 15, 16, 17, 31, 33, 100} {
			for _, k := range []int{1, 5, 16, 17, 63, 300, 2000} {
				lda, ldc := k+r.IntN(3), 1+r.IntN(3)
				checkGemmTwinStrides(t, r, m, 1, k, lda, 1, ldc, false)
				checkGemmTwinStrides(t, r, m, 1, k, lda, 1, ldc, true)
			}
		}
		for _, k := range []int{7, 64, 513} {
			const m = 37
			x, w := randSlice(r, m*k), randSlice(r, k)
			wp := PackPanelsInto(make([]float32, PanelsLen(k, 1)), k, 1, w, 1)
			ep := &Epilogue{Bias: randSlice(r, 1), Act: ActRelu}
			got, want := make([]float32, m), make([]float32, m)
			DensePanels(m, k, 1, x, &wp, got, ep)
			Dense(m, k, 1, x, w, want, ep)
			requireSameBits(t, fmt.Sprintf("%s DensePanels k=%d", CPULevel(), k), got, want)
			// Against the pure-Go product with the epilogue applied after it.
			ref := make([]float32, m)
			gemmGeneric(m, 1, k, x, k, w, 1, ref, 1, false)
			ep.applyTile(0, 0, m, 1, 1, ref, 1)
			requireClose(t, fmt.Sprintf("%s Dense k=%d against gemmGeneric", CPULevel(), k), got, f64s(ref), 1e-5, 1e-5)
		}
	})
}
