package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestF32ToBF16Cases(t *testing.T) {
	cases := []struct {
		in   uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0xbf800000, 0xbf80}, // -1
		{0x3f807fff, 0x3f80}, // below the tie: down
		{0x3f808000, 0x3f80}, // tie, even below: down
		{0x3f808001, 0x3f81}, // above the tie: up
		{0x3f818000, 0x3f82}, // tie, odd below: up to even
		{0xbf818000, 0xbf82}, // same, negative
		{0x3fff8000, 0x4000}, // tie carrying into the exponent
		{0x7f7f7fff, 0x7f7f}, // largest that stays finite
		{0x7f7f8000, 0x7f80}, // tie at the top: up to Inf
		{0x7f7fffff, 0x7f80}, // max float32 rounds to Inf
		{0xff7fffff, 0xff80},
		{0x7f800000, 0x7f80}, // +Inf
		{0xff800000, 0xff80}, // -Inf
		{0x7fc00000, 0x7fc0}, // quiet NaN
		{0x7f800001, 0x7fc0}, // signalling NaN, payload only in the low bits: quieted, stays NaN
		{0x7f810000, 0x7fc1}, // payload in the high bits kept
		{0xffa5a5a5, 0xffe5}, // negative NaN: sign kept
		{0x00000000, 0x0000}, // +0
		{0x80000000, 0x8000}, // -0
		{0x00000001, 0x0000}, // subnormals flush to ±0
		{0x007fffff, 0x0000},
		{0x807fffff, 0x8000},
		{0x00800000, 0x0080}, // smallest normal
		{0x00808000, 0x0080}, // tie at the smallest normal
		{0x00818000, 0x0082},
	}
	for _, c := range cases {
		if got := F32ToBF16(math.Float32frombits(c.in)); got != c.want {
			t.Errorf("F32ToBF16(%#08x) = %#04x, want %#04x", c.in, got, c.want)
		}
	}
	if got := BF16Round(1.00390625); got != 1 { // 1 + 2⁻⁸: a tie, down to even
		t.Errorf("BF16Round(1+2⁻⁸) = %v", got)
	}
	if got := BF16Round(3.14159265); got != 3.140625 {
		t.Errorf("BF16Round(π) = %v", got)
	}
}

// TestBF16RoundTrip widens every bf16 and rounds it back.
func TestBF16RoundTrip(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		x := BF16ToF32(uint16(h))
		if got, want := math.Float32bits(x), uint32(h)<<16; got != want {
			t.Fatalf("BF16ToF32(%#04x) bits %#08x", h, got)
		}
		want := uint16(h)
		switch {
		case math.IsNaN(float64(x)):
			want |= 0x40
		case h&0x7f80 == 0:
			want &= 0x8000 // subnormal: flushed
		}
		if got := F32ToBF16(x); got != want {
			t.Fatalf("F32ToBF16(BF16ToF32(%#04x)) = %#04x, want %#04x", h, got, want)
		}
	}
}

// TestF32ToBF16Rounding checks random floats against the definition: the
// nearest of the two bf16 neighbours, the even one on a tie.
func TestF32ToBF16Rounding(t *testing.T) {
	r := newRand(3)
	for n := 0; n < 1<<20; n++ {
		u := r.Uint32()
		x := math.Float32frombits(u)
		if math.IsNaN(float64(x)) || u&0x7f800000 == 0 {
			continue
		}
		// The neighbours toward and away from zero; away past the largest
		// bf16 is 2¹²⁸ as a number (rounding to it gives Inf).
		lo := math.Float32frombits(u &^ 0xffff)
		ulp := math.Ldexp(1, int(u>>23&0xff)-127-7)
		ax, alo := math.Abs(float64(x)), math.Abs(float64(lo))
		dlo, dhi := ax-alo, alo+ulp-ax
		want := lo
		if dhi < dlo || (dhi == dlo && (u>>16)&1 == 1) {
			want = math.Float32frombits((u &^ 0xffff) + 0x10000)
		}
		if got := BF16Round(x); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("BF16Round(%#08x) = %#08x, want %#08x", u, math.Float32bits(got), math.Float32bits(want))
		}
	}
}

// TestCvtBF16RowTwin checks the row conversion GemmBF16 uses (the
// VCVTNE2PS2BF16 kernel where native) against F32ToBF16 on special values,
// random bit patterns and every length 0…100, with a guard band after the
// output.
func TestCvtBF16RowTwin(t *testing.T) {
	r := newRand(4)
	special := []uint32{0, 0x80000000, 1, 0x807fffff, 0x00800000, 0x7f7fffff, 0x7f7f8000,
		0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0xffa5a5a5, 0x3f808000, 0x3f818000}
	src := make([]float32, 1<<16)
	for i := range src {
		u := r.Uint32()
		if i < len(special) {
			u = special[i]
		}
		src[i] = math.Float32frombits(u)
	}
	for _, level := range []string{"generic", "avx512"} {
		withLevel(t, level, func(t *testing.T) {
			impl := &bf16Generic
			if bf16Native() {
				impl = &bf16Asm
			}
			t.Logf("native %v", bf16Native())
			lengths := []int{len(src), len(src) - 1}
			for n := 0; n <= 100; n++ {
				lengths = append(lengths, n)
			}
			for _, n := range lengths {
				w := (n + 1) &^ 1
				dst := make([]uint16, w+8)
				for i := range dst {
					dst[i] = 0xdead
				}
				impl.cvtRow(dst[:w], src[:n])
				for i := 0; i < n; i++ {
					if want := F32ToBF16(src[i]); dst[i] != want {
						t.Fatalf("n=%d: element %d (%#08x) = %#04x, want %#04x", n, i, math.Float32bits(src[i]), dst[i], want)
					}
				}
				if n < w && dst[n] != 0 {
					t.Fatalf("n=%d: padding %#04x", n, dst[n])
				}
				for i := w; i < len(dst); i++ {
					if dst[i] != 0xdead {
						t.Fatalf("n=%d: wrote past the output at %d", n, i)
					}
				}
			}
		})
	}
}

func TestPackBF16Layout(t *testing.T) {
	// B is 3×34: B[p][j] = p + j/64 (exact in bf16).
	k, n := 3, 34
	b := make([]float32, k*n)
	for p := 0; p < k; p++ {
		for j := 0; j < n; j++ {
			b[p*n+j] = float32(p) + float32(j)/64
		}
	}
	m := PackBF16(k, n, b, n)
	kp := 2
	if len(m.Data) != PackedBF16Len(k, n) || len(m.Data) != 2*kp*64 {
		t.Fatalf("len %d, PackedBF16Len %d", len(m.Data), PackedBF16Len(k, n))
	}
	for q := 0; q < 2; q++ {
		for p := 0; p < kp; p++ {
			for j := 0; j < 32; j++ {
				for e := 0; e < 2; e++ {
					want := float32(0)
					if row, col := 2*p+e, 32*q+j; row < k && col < n {
						want = b[row*n+col]
					}
					if got := BF16ToF32(m.Data[q*kp*64+p*64+2*j+e]); got != want {
						t.Fatalf("panel %d pair %d col %d elem %d = %v, want %v", q, p, j, e, got, want)
					}
				}
			}
		}
	}
	if PackedBF16Len(0, 5) != 0 || PackedBF16Len(5, 0) != 0 || PackedBF16Len(1, 1) != 64 {
		t.Fatal("PackedBF16Len edge cases")
	}
	// PackBF16Into writes its padding over old contents, and honours ldb.
	buf := make([]uint16, PackedBF16Len(k, n)+3)
	for i := range buf {
		buf[i] = 0xffff
	}
	wide := make([]float32, k*(n+5))
	for p := 0; p < k; p++ {
		copy(wide[p*(n+5):], b[p*n:(p+1)*n])
	}
	m2 := PackBF16Into(buf, k, n, wide, n+5)
	for i, v := range m.Data {
		if m2.Data[i] != v {
			t.Fatalf("PackBF16Into differs at %d", i)
		}
	}
	if buf[len(buf)-1] != 0xffff {
		t.Fatal("PackBF16Into wrote past its length")
	}
	// Unpack gives back B rounded to bf16.
	r := newRand(5)
	for _, s := range [][2]int{{3, 34}, {1, 1}, {7, 100}, {64, 32}} {
		k, n := s[0], s[1]
		src := randSlice(r, k*n)
		pm := PackBF16(k, n, src, n)
		out := newGuarded(k * (n + 2))
		pm.Unpack(out.s, n+2)
		out.check(t, "Unpack")
		for p := 0; p < k; p++ {
			for j := 0; j < n; j++ {
				if got, want := out.s[p*(n+2)+j], BF16Round(src[p*n+j]); got != want {
					t.Fatalf("Unpack %d×%d: [%d,%d] = %v, want %v", k, n, p, j, got, want)
				}
			}
		}
	}
}

// gemmBF16Ref is the definition of GemmBF16 as a plain loop over unpacked
// A and B (see bf16.go).
func gemmBF16Ref(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	at := func(i, p int) float32 {
		if p >= k {
			return 0
		}
		return BF16Round(a[i*lda+p])
	}
	bt := func(p, j int) float32 {
		if p >= k {
			return 0
		}
		return BF16Round(b[p*ldb+j])
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float32
			for p := 0; p < k; p += 2 {
				s += float32(at(i, p+1) * bt(p+1, j))
				s += float32(at(i, p) * bt(p, j))
			}
			if acc {
				s = c[i*ldc+j] + s
			}
			c[i*ldc+j] = s
		}
	}
}

// checkBF16 runs GemmBF16 (at the level in use) on one shape with random
// strides and requires it to equal gemmBF16Ref bit for bit, inside a guard
// band, with the padding between C's rows and the inputs untouched.
func checkBF16(t *testing.T, r *rand.Rand, m, n, k int, acc bool) {
	t.Helper()
	lda, ldb, ldc := k+r.IntN(4), n+r.IntN(4), n+r.IntN(4)
	if r.IntN(8) == 0 {
		lda, ldb, ldc = lda+61, ldb+37, ldc+45
	}
	oa := r.IntN(8)
	a := randSlice(r, oa+matLen(m, k, lda))[oa:]
	b := randSlice(r, matLen(k, n, ldb))
	old := randSlice(r, matLen(m, n, ldc))
	c := newGuarded(len(old)).fill(old)
	want := clone(old)
	a0 := clone(a)
	packed := PackBF16(k, n, b, ldb)
	scratch := make([]uint16, GemmBF16Scratch(m, k))

	GemmBF16(m, n, k, a, lda, &packed, c.s, ldc, acc, scratch)
	gemmBF16Ref(m, n, k, a, lda, b, ldb, want, ldc, acc)

	what := fmt.Sprintf("native=%v m=%d n=%d k=%d lda=%d ldb=%d ldc=%d acc=%v", bf16Native(), m, n, k, lda, ldb, ldc, acc)
	c.check(t, what)
	requireUnchanged(t, what+" a", a0, a)
	for i := 0; i < m && n > 0; i++ {
		for j := 0; j < ldc && (i < m-1 || j < n); j++ {
			got, exp := c.s[i*ldc+j], want[i*ldc+j]
			if j >= n {
				exp = old[i*ldc+j]
			}
			if math.Float32bits(got) != math.Float32bits(exp) {
				t.Fatalf("%s: C[%d,%d] = %v (%#08x), want %v (%#08x)", what, i, j,
					got, math.Float32bits(got), exp, math.Float32bits(exp))
			}
		}
	}
}

// bf16Levels are the dispatch levels the twin tests run at: generic and
// avx2 run the pure-Go twin, avx512 the VDPBF16PS kernels where the CPU has
// them.
var bf16Levels = []string{"generic", "avx512"}

func TestGemmBF16AllSizes(t *testing.T) {
	top := 40
	if testing.Short() {
		top = 20
	}
	for _, level := range bf16Levels {
		withLevel(t, level, func(t *testing.T) {
			t.Logf("native %v", bf16Native())
			r := newRand(11)
			for m := 0; m <= top; m++ {
				for n := 0; n <= top; n++ {
					for k := 0; k <= top; k++ {
						checkBF16(t, r, m, n, k, k%2 == 0)
					}
				}
			}
		})
	}
}

func TestGemmBF16Larger(t *testing.T) {
	shapes := [][3]int{
		{64, 129, 77}, {121, 48, 257}, {130, 50, 300}, {250, 33, 299},
		{7, 300, 260}, {300, 7, 129}, {12, 32, 1}, {1, 1, 1000}, {32, 256, 784},
		{241, 97, 3}, {300, 300, 300},
		// 1–3 rows (alone or left over) with four panels or more: the
		// 128-wide kernels, full and masked.
		{1, 128, 64}, {2, 200, 33}, {3, 255, 77}, {13, 97, 5}, {14, 256, 100},
		{15, 129, 31}, {1, 512, 784}, {123, 160, 2},
		// A's bf16 copy on a padded row stride (bf16RowStride), k even and odd.
		{25, 40, 2048}, {13, 70, 4095},
	}
	if testing.Short() {
		shapes = shapes[:3]
	}
	for _, level := range bf16Levels {
		withLevel(t, level, func(t *testing.T) {
			r := newRand(12)
			for _, s := range shapes {
				checkBF16(t, r, s[0], s[1], s[2], false)
				checkBF16(t, r, s[0], s[1], s[2], true)
			}
		})
	}
}

func TestBF16RowStride(t *testing.T) {
	for _, c := range [][2]int{{1024, 1040}, {2048, 2064}, {1025, 1041}, {512, 512}, {8, 8}, {392, 392}, {1536, 1536}} {
		if got := bf16RowStride(c[0]); got != c[1] {
			t.Errorf("bf16RowStride(%d) = %d, want %d", c[0], got, c[1])
		}
	}
}

// TestGemmBF16Accuracy bounds GemmBF16 against the fp32 Gemm on random data:
// rounding a and b to bf16 (8 significant bits, relative error ≤ 2⁻⁹ each)
// moves each product by at most (2⁻⁸+2⁻¹⁸)|a·b|, and both sides' fp32
// summation adds at most about (k+1)·2⁻²⁴·Σ|a·b| each, so
// |C_bf16 − C_fp32| ≤ (2⁻⁸ + 2⁻¹⁸ + 2(k+1)·2⁻²⁴)·Σ_p|a_ip·b_pj|.
// Random signs make the typical error far smaller; the test logs the
// largest ratio error/Σ|a·b| seen.
func TestGemmBF16Accuracy(t *testing.T) {
	for _, level := range bf16Levels {
		withLevel(t, level, func(t *testing.T) {
			r := newRand(13)
			for _, s := range [][3]int{{32, 512, 784}, {50, 70, 33}, {100, 100, 1000}, {3, 5, 1}} {
				m, n, k := s[0], s[1], s[2]
				a, b := randSlice(r, m*k), randSlice(r, k*n)
				packed := PackBF16(k, n, b, n)
				got, want := make([]float32, m*n), make([]float32, m*n)
				GemmBF16(m, n, k, a, k, &packed, got, n, false, make([]uint16, GemmBF16Scratch(m, k)))
				Gemm(m, n, k, a, k, b, n, want, n, false)
				bound := 1.0/256 + 1.0/(1<<18) + 2*float64(k+1)/(1<<24)
				worst := 0.0
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						mag := 0.0
						for p := 0; p < k; p++ {
							mag += math.Abs(float64(a[i*k+p]) * float64(b[p*n+j]))
						}
						d := math.Abs(float64(got[i*n+j]) - float64(want[i*n+j]))
						if d > bound*mag {
							t.Fatalf("m=%d n=%d k=%d: C[%d,%d] = %v, fp32 %v: error %.3g > %.3g·Σ|ab| = %.3g",
								m, n, k, i, j, got[i*n+j], want[i*n+j], d, bound, bound*mag)
						}
						worst = max(worst, d/mag)
					}
				}
				t.Logf("m=%d n=%d k=%d: max |error|/Σ|ab| = %.3g (2⁻⁸ = %.3g)", m, n, k, worst, 1.0/256)
			}
		})
	}
}

// TestGemmBF16Hand checks a product worked out by hand (values exact in
// bf16), with strides, odd k, acc, and k = 0.
func TestGemmBF16Hand(t *testing.T) {
	a := []float32{1, 2, 3, -99, 4, 5, 6} // [1 2 3; 4 5 6], lda 4
	b := []float32{1, 0, 0, 1, 1, 1}      // [1 0; 0 1; 1 1]
	p := PackBF16(3, 2, b, 2)
	c := []float32{10, 20, -7, 30, 40}
	scratch := make([]uint16, GemmBF16Scratch(2, 3))
	GemmBF16(2, 2, 3, a, 4, &p, c, 3, true, scratch)
	requireEqual(t, "acc", c, []float32{14, 25, -7, 40, 51})
	GemmBF16(2, 2, 3, a, 4, &p, c, 3, false, scratch)
	requireEqual(t, "overwrite", c, []float32{4, 5, -7, 10, 11})
	empty := PackBF16(0, 2, nil, 2)
	GemmBF16(2, 2, 0, nil, 0, &empty, c, 3, false, nil)
	requireEqual(t, "k=0", c, []float32{0, 0, -7, 0, 0})
}

func TestGemmBF16Panics(t *testing.T) {
	p := PackBF16(3, 2, make([]float32, 6), 2)
	c := []float32{7, 7, 7, 7}
	a := make([]float32, 6)
	sc := make([]uint16, GemmBF16Scratch(2, 3))
	for name, f := range map[string]func(){
		"short c":       func() { GemmBF16(2, 2, 3, a, 3, &p, c[:3], 2, false, sc) },
		"short a":       func() { GemmBF16(2, 2, 3, a[:5], 3, &p, c, 2, false, sc) },
		"short scratch": func() { GemmBF16(2, 2, 3, a, 3, &p, c, 2, false, sc[:len(sc)-1]) },
		"wrong shape":   func() { GemmBF16(2, 2, 4, make([]float32, 8), 4, &p, c, 2, false, make([]uint16, 8)) },
		"short pack":    func() { PackBF16Into(make([]uint16, 10), 3, 2, a, 2) },
		"short data":    func() { NewBF16Matrix(3, 2, make([]uint16, 10)) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
		requireEqual(t, name+": c written", c, []float32{7, 7, 7, 7})
	}
}

func TestGemmBF16NoAllocs(t *testing.T) {
	for _, level := range bf16Levels {
		withLevel(t, level, func(t *testing.T) {
			r := newRand(14)
			m, n, k := 40, 70, 51
			a, b, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
			p := PackBF16(k, n, b, n)
			sc := make([]uint16, GemmBF16Scratch(m, k))
			requireNoAllocs(t, "GemmBF16", func() { GemmBF16(m, n, k, a, k, &p, c, n, true, sc) })
		})
	}
}

// BenchmarkGemmBF16 times GemmBF16 next to the fp32 Gemm on the same
// shapes (m×k times k×n): squares and the layers of a batch-32 (and
// batch-1) MLP.
func BenchmarkGemmBF16(b *testing.B) {
	shapes := []struct {
		name    string
		m, k, n int
	}{
		{"64", 64, 64, 64}, {"256", 256, 256, 256}, {"512", 512, 512, 512}, {"1024", 1024, 1024, 1024},
		{"mlp32_784x512", 32, 784, 512}, {"mlp32_512x256", 32, 512, 256}, {"mlp32_256x128", 32, 256, 128},
		{"mlp1_784x512", 1, 784, 512},
		{"120_2048x256", 120, 2048, 256}, // A's copy on a padded stride (bf16RowStride)
	}
	for _, s := range shapes {
		r := newRand(2)
		x, w, y := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), make([]float32, s.m*s.n)
		p := PackBF16(s.k, s.n, w, s.n)
		sc := make([]uint16, GemmBF16Scratch(s.m, s.k))
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		run := func(b *testing.B, f func()) {
			start := time.Now()
			for b.Loop() {
				f()
			}
			b.ReportMetric(flops*float64(b.N)/time.Since(start).Seconds()/1e9, "GFLOP/s")
		}
		b.Run("bf16/"+s.name, func(b *testing.B) {
			run(b, func() { GemmBF16(s.m, s.n, s.k, x, s.k, &p, y, s.n, false, sc) })
		})
		b.Run("fp32/"+s.name, func(b *testing.B) {
			run(b, func() { Gemm(s.m, s.n, s.k, x, s.k, w, s.n, y, s.n, false) })
		})
	}
}

// TestBF16Dispatch checks that the VDPBF16PS kernels run only at the avx512
// level (KERASGEN_CPU=generic or avx2 selects the twin).
func TestBF16Dispatch(t *testing.T) {
	t.Logf("level %s, native %v", CPULevel(), BF16Native())
	if BF16Native() && CPULevel() != "avx512" {
		t.Fatalf("native bf16 at level %s", CPULevel())
	}
	for _, level := range []string{"generic", "avx2"} {
		withLevel(t, level, func(t *testing.T) {
			if BF16Native() {
				t.Fatalf("native bf16 at level %s", level)
			}
		})
	}
}

// TestConv2DGemmBF16Implicit checks the implicit bf16 convolution against the im2col bf16
// path bit for bit (same bf16 operands, same pair order) on shapes with even channel counts
// that reach every kernel height and panel width, with strides, dilations and padding, and
// guard bands around the output. Where the bf16 kernels do not run, both are the im2col path.
func TestConv2DGemmBF16Implicit(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	type shape struct{ kh, kw, sh, sw, dh, dw, padT, padL, padB, padR int }
	shapes := []shape{
		{3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {3, 3, 1, 1, 1, 1, 0, 0, 0, 0}, {3, 3, 2, 2, 1, 1, 0, 0, 1, 1},
		{5, 5, 1, 1, 1, 1, 2, 2, 2, 2}, {3, 3, 1, 2, 2, 1, 2, 1, 0, 2}, {1, 3, 1, 1, 1, 2, 0, 2, 0, 2},
	}
	for i := 0; i < 60; i++ {
		s := shapes[i%len(shapes)]
		p := ConvParams{N: 1 + rng.IntN(2), H: 1 + rng.IntN(6), W: 1 + rng.IntN(30), C: 2 * (1 + rng.IntN(9)),
			OC: []int{1, 16, 31, 32, 33, 64, 70}[i%7], KH: s.kh, KW: s.kw, SH: s.sh, SW: s.sw, DH: s.dh, DW: s.dw,
			PadT: s.padT, PadL: s.padL, Groups: 1}
		p.OH = (p.H+s.padT+s.padB-(p.KH-1)*p.DH-1)/p.SH + 1
		p.OW = (p.W+s.padL+s.padR-(p.KW-1)*p.DW-1)/p.SW + 1
		if p.OH < 1 || p.OW < 1 {
			continue
		}
		k := p.KH * p.KW * p.C
		x, wf := make([]float32, p.N*p.H*p.W*p.C), make([]float32, k*p.OC)
		for _, v := range [][]float32{x, wf} {
			for j := range v {
				v[j] = rng.Float32()*2 - 1
			}
		}
		w := NewBF16Weights(k, p.OC, PackBF16(k, p.OC, wf, p.OC).Data)
		ep := &Epilogue{Bias: wf[:p.OC], Act: ActRelu}
		size := p.N * p.OH * p.OW * p.OC
		scratch := make([]float32, Conv2DGemmScratch(&p))
		want := make([]float32, size)
		conv2DGemm("test", &p, x, want, scratch, func(rows int, patches, out []float32, row0 int) {
			gemmBF16Epilogue(rows, p.OC, k, patches, k, w, out, p.OC, row0, ep)
		})
		y := newGuarded(size)
		Conv2DGemmBF16(&p, x, w, y.s, scratch, ep)
		y.check(t, fmt.Sprintf("%+v", p))
		requireSameBits(t, fmt.Sprintf("%+v", p), y.s, want)
	}
}

// TestConv2DGemmBF16Threads checks that the implicit bf16 convolution split across threads —
// by images (batch 4) and by output rows (batch 1) — gives the one-thread bits, and
// allocates nothing warm.
func TestConv2DGemmBF16Threads(t *testing.T) {
	for _, n := range []int{1, 4} {
		p := ConvParams{N: n, H: 40, W: 40, C: 32, OH: 40, OW: 40, OC: 64, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 1, Groups: 1}
		r := newRand(9)
		k := 9 * p.C
		x, wf := randSlice(r, n*40*40*32), randSlice(r, k*64)
		w := NewBF16Weights(k, 64, PackBF16(k, 64, wf, 64).Data)
		ep := &Epilogue{Bias: wf[:64], Act: ActRelu}
		scratch := make([]float32, Conv2DGemmScratch(&p))
		one, two := make([]float32, n*40*40*64), make([]float32, n*40*40*64)
		Conv2DGemmBF16(&p, x, w, one, scratch, ep)
		withThreads(3, func() {
			Conv2DGemmBF16(&p, x, w, two, scratch, ep)
			requireSameBits(t, fmt.Sprintf("Conv2DGemmBF16 batch %d with 3 threads against one", n), two, one)
			requireNoAllocs(t, "Conv2DGemmBF16 (3 threads)", func() { Conv2DGemmBF16(&p, x, w, two, scratch, ep) })
		})
	}
}
