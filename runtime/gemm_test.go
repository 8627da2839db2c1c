package runtime

import (
	"math"
	"testing"
	"time"
)

// gemmRef is the textbook triple loop in float64. transA/transB select how
// a and b are stored (A stored k×m, B stored n×k). It returns C and, per
// element, Σ|a·b| + |c| for the tolerance.
func gemmRef(m, n, k int, a []float32, lda int, transA bool, b []float32, ldb int, transB bool,
	c []float32, ldc int, acc bool) (want, mag []float64) {
	want = make([]float64, m*n)
	mag = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, g float64
			if acc {
				s = float64(c[i*ldc+j])
				g = math.Abs(s)
			}
			for p := 0; p < k; p++ {
				ai, bi := i*lda+p, p*ldb+j
				if transA {
					ai = p*lda + i
				}
				if transB {
					bi = j*ldb + p
				}
				av, bv := a[ai], b[bi]
				s += float64(av) * float64(bv)
				g += math.Abs(float64(av) * float64(bv))
			}
			want[i*n+j], mag[i*n+j] = s, g
		}
	}
	return want, mag
}

type gemmFunc func(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool)

var gemmVariants = []struct {
	name           string
	f              gemmFunc
	transA, transB bool
}{
	{"Gemm", Gemm, false, false},
	{"GemmTN", GemmTN, true, false},
	{"GemmNT", GemmNT, false, true},
}

// checkGemm runs one variant on one shape with row strides padded by pad,
// against the reference, with guard bands around C and untouched inputs.
func checkGemm(t *testing.T, variant int, m, n, k, pad int, acc bool, seed uint64) {
	t.Helper()
	v := gemmVariants[variant]
	r := newRand(seed)
	aRows, aCols := m, k
	if v.transA {
		aRows, aCols = k, m
	}
	bRows, bCols := k, n
	if v.transB {
		bRows, bCols = n, k
	}
	lda, ldb, ldc := aCols+pad, bCols+pad, n+pad
	a := randSlice(r, matLen(aRows, aCols, lda))
	b := randSlice(r, matLen(bRows, bCols, ldb))
	old := randSlice(r, matLen(m, n, ldc))
	c := newGuarded(len(old)).fill(old)
	a0, b0 := clone(a), clone(b)

	v.f(m, n, k, a, lda, b, ldb, c.s, ldc, acc)

	what := name("%s m=%d n=%d k=%d pad=%d acc=%v", v.name, m, n, k, pad, acc)
	c.check(t, what)
	requireUnchanged(t, what+" a", a0, a)
	requireUnchanged(t, what+" b", b0, b)
	want, mag := gemmRef(m, n, k, a, lda, v.transA, b, ldb, v.transB, old, ldc, acc)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			got := c.s[i*ldc+j]
			if !closeTo(got, want[i*n+j], sumTol(k, mag[i*n+j]), 0) {
				t.Fatalf("%s: C[%d,%d] = %v, want %v", what, i, j, got, want[i*n+j])
			}
		}
		// The padding between rows of C is not part of C: untouched.
		for j := n; n > 0 && j < ldc && i < m-1; j++ {
			if math.Float32bits(c.s[i*ldc+j]) != math.Float32bits(old[i*ldc+j]) {
				t.Fatalf("%s: wrote the padding of row %d", what, i)
			}
		}
	}
}

func TestGemmAllSmallSizes(t *testing.T) {
	for variant := range gemmVariants {
		seed := uint64(variant)
		for m := 0; m <= 17; m++ {
			for n := 0; n <= 17; n++ {
				for k := 0; k <= 17; k++ {
					seed++
					pad := int(seed % 3) // 0, 1 or 2 elements between rows
					checkGemm(t, variant, m, n, k, pad, seed%2 == 0, seed)
				}
			}
		}
	}
}

func TestGemmLarger(t *testing.T) {
	shapes := [][3]int{
		{64, 129, 33}, {33, 64, 129}, {129, 33, 64}, {1, 300, 260}, {300, 1, 260},
		{5, 513, 7}, {7, 5, 513}, {70, 70, 300},
	}
	for variant := range gemmVariants {
		for i, s := range shapes {
			for _, acc := range []bool{false, true} {
				checkGemm(t, variant, s[0], s[1], s[2], i%3, acc, uint64(100*variant+i))
			}
		}
	}
}

// TestGemmHand checks a product worked out by hand, with strided A and C.
func TestGemmHand(t *testing.T) {
	// A = [1 2 3; 4 5 6] stored with lda 4, B = [1 0; 0 1; 1 1].
	a := []float32{1, 2, 3, -99, 4, 5, 6}
	b := []float32{1, 0, 0, 1, 1, 1}
	c := []float32{10, 20, -7, 30, 40}
	Gemm(2, 2, 3, a, 4, b, 2, c, 3, true)
	// A·B = [4 5; 10 11], plus the old C.
	requireEqual(t, "acc", c, []float32{14, 25, -7, 40, 51})
	Gemm(2, 2, 3, a, 4, b, 2, c, 3, false)
	requireEqual(t, "overwrite", c, []float32{4, 5, -7, 10, 11})
	Gemm(2, 2, 0, nil, 0, nil, 0, c, 3, false) // k = 0 zeroes C
	requireEqual(t, "k=0", c, []float32{0, 0, -7, 0, 0})
	// Aᵀ·B with A = [1 2; 3 4] (stored 2×2): [1 3; 2 4]·I.
	ct := make([]float32, 4)
	GemmTN(2, 2, 2, []float32{1, 2, 3, 4}, 2, []float32{1, 0, 0, 1}, 2, ct, 2, false)
	requireEqual(t, "TN", ct, []float32{1, 3, 2, 4})
	// A·Bᵀ with B = [1 1; 0 2] (stored): [1 2; 3 4]·[1 0; 1 2] = [3 4; 7 8].
	GemmNT(2, 2, 2, []float32{1, 2, 3, 4}, 2, []float32{1, 1, 0, 2}, 2, ct, 2, false)
	requireEqual(t, "NT", ct, []float32{3, 4, 7, 8})
}

func TestGemmNoAllocs(t *testing.T) {
	r := newRand(1)
	a, b, c := randSlice(r, 40*50), randSlice(r, 50*60), make([]float32, 50*60)
	requireNoAllocs(t, "Gemm", func() { Gemm(40, 60, 50, a, 50, b, 60, c, 60, false) })
	requireNoAllocs(t, "GemmTN", func() { GemmTN(50, 60, 40, a, 50, b, 60, c, 60, true) })
	requireNoAllocs(t, "GemmNT", func() { GemmNT(40, 50, 50, a, 50, b, 50, c, 60, false) })
}

func benchGemm(b *testing.B, size int) {
	r := newRand(2)
	x, w, y := randSlice(r, size*size), randSlice(r, size*size), make([]float32, size*size)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		Gemm(size, size, size, x, size, w, size, y, size, false)
	}
	flops := 2 * float64(size) * float64(size) * float64(size) * float64(b.N)
	b.ReportMetric(flops/time.Since(start).Seconds()/1e9, "GFLOP/s")
}

func BenchmarkGemm64(b *testing.B)  { benchGemm(b, 64) }
func BenchmarkGemm256(b *testing.B) { benchGemm(b, 256) }
func BenchmarkGemm512(b *testing.B) { benchGemm(b, 512) }
