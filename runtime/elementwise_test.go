package runtime

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// binRef is each BinOp in float64.
func binRef(op BinOp, a, b float64) float64 {
	switch op {
	case BinAdd:
		return a + b
	case BinSub:
		return a - b
	case BinMul:
		return a * b
	case BinDiv:
		return a / b
	case BinMax:
		return math.Max(a, b)
	case BinMin:
		return math.Min(a, b)
	case BinPow:
		return math.Pow(a, b)
	case BinSquaredDiff:
		return (a - b) * (a - b)
	}
	panic("no reference")
}

var allBinOps = []BinOp{BinAdd, BinSub, BinMul, BinDiv, BinMax, BinMin, BinPow, BinSquaredDiff}

// binInputs returns operands with the special values mixed in.
func binInputs(n int, seed uint64) (a, b []float32) {
	r := newRand(seed)
	a, b = randSlice(r, n), randSlice(r, n)
	special := []float32{0, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 2, -3, 0.5}
	for i := 0; i < n; i += 5 {
		a[i] = special[(i/5)%len(special)]
		if i+1 < n {
			b[i+1] = special[(i/5+3)%len(special)]
		}
	}
	return a, b
}

func TestBinary(t *testing.T) {
	for _, n := range []int{0, 1, 7, 100} {
		a, b := binInputs(n, uint64(n))
		for _, op := range allBinOps {
			want := make([]float64, n)
			for i := range want {
				want[i] = binRef(op, float64(a[i]), float64(b[i]))
			}
			y := newGuarded(n)
			Binary(op, n, a, b, y.s)
			y.check(t, "Binary")
			requireClose(t, name("Binary %d n=%d", op, n), y.s, want, 1e-30, 1e-6)

			for _, scalarFirst := range []bool{false, true} {
				s := float32(-1.5)
				for i := range want {
					if scalarFirst {
						want[i] = binRef(op, float64(s), float64(a[i]))
					} else {
						want[i] = binRef(op, float64(a[i]), float64(s))
					}
				}
				BinaryScalar(op, n, a, s, y.s, scalarFirst)
				y.check(t, "BinaryScalar")
				requireClose(t, name("BinaryScalar %d first=%v", op, scalarFirst), y.s, want, 1e-30, 1e-6)
			}
		}
	}
	// In place, and by hand.
	a := []float32{1, 2, 3, 4}
	Binary(BinSquaredDiff, 4, a, []float32{3, 2, 1, 0}, a)
	requireEqual(t, "in place", a, []float32{4, 0, 4, 16})
	BinaryScalar(BinDiv, 4, a, 2, a, true)
	requireEqual(t, "scalar first", a, []float32{0.5, float32(math.Inf(1)), 0.5, 0.125})
	require.Panics(t, func() { Binary(BinOp(99), 1, a, a, a) })
}

// TestBinaryVectorBits checks that the sums, differences and products Binary and BinaryScalar
// run on the addRows and affine kernels are the bits of the plain float32 operation, for every
// length up to 40 and specials (±0, ±Inf, NaN, extremes) in every lane, scalars ±0 included.
func TestBinaryVectorBits(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), math.MaxFloat32, -math.SmallestNonzeroFloat32, 1.5}
	r := newRand(41)
	for n := 0; n <= 40; n++ {
		a, b := randSlice(r, n), randSlice(r, n)
		for i := range a {
			a[i] = special[(i*3)%len(special)]
			if i%2 == 1 {
				b[i] = special[(i*5+1)%len(special)]
			}
		}
		y, want := newGuarded(n), make([]float32, n)
		check := func(what string) {
			t.Helper()
			y.check(t, what)
			if i := firstDiff(y.s, want); i >= 0 {
				t.Fatalf("%s n=%d: element %d = %v (%#x), want %v (%#x)", what, n, i, y.s[i], math.Float32bits(y.s[i]), want[i], math.Float32bits(want[i]))
			}
		}
		for i := range a {
			want[i] = a[i] + b[i]
		}
		Binary(BinAdd, n, a, b, y.s)
		check("Binary add")
		for i := range a {
			want[i] = a[i] - b[i]
		}
		Binary(BinSub, n, a, b, y.s)
		check("Binary sub")
		for _, s := range []float32{-1.5, 0, float32(math.Copysign(0, -1)), float32(math.Inf(1))} {
			for i := range a {
				want[i] = a[i] + s
			}
			BinaryScalar(BinAdd, n, a, s, y.s, false)
			check(name("BinaryScalar add %v", s))
			for i := range a {
				want[i] = a[i] * s
			}
			BinaryScalar(BinMul, n, a, s, y.s, false)
			check(name("BinaryScalar mul %v", s))
		}
	}
}

// TestCollapseDims checks which dimensions BinaryBroadcast merges: contiguous runs in both
// inputs (broadcast ones included), size-1 dimensions dropped, and nothing across a gap or a
// stride change in either input.
func TestCollapseDims(t *testing.T) {
	for _, c := range []struct {
		shape, as, bs        []int
		wantSh, wantA, wantB []int
	}{
		{[]int{4, 128, 128}, []int{16384, 128, 1}, []int{0, 128, 1}, []int{4, 16384}, []int{16384, 1}, []int{0, 1}},
		{[]int{2, 3, 5}, []int{15, 5, 1}, []int{15, 5, 1}, []int{30}, []int{1}, []int{1}},
		{[]int{2, 3}, []int{3, 1}, []int{0, 1}, []int{2, 3}, []int{3, 1}, []int{0, 1}},
		{[]int{2, 3}, []int{4, 1}, []int{3, 1}, []int{2, 3}, []int{4, 1}, []int{3, 1}},
		{[]int{2, 1, 3}, []int{3, 7, 1}, []int{0, 9, 0}, []int{6}, []int{1}, []int{0}},
		{[]int{3, 4}, []int{0, 0}, []int{4, 1}, []int{12}, []int{0}, []int{1}},
		{[]int{1, 1}, []int{5, 1}, []int{1, 1}, []int{}, []int{}, []int{}},
	} {
		var sh, as, bs [maxRank]int
		r := collapseDims(c.shape, c.as, c.bs, &sh, &as, &bs)
		require.Equal(t, c.wantSh, sh[:r], "shape of %v a%v b%v", c.shape, c.as, c.bs)
		require.Equal(t, c.wantA, as[:r], "a strides of %v a%v b%v", c.shape, c.as, c.bs)
		require.Equal(t, c.wantB, bs[:r], "b strides of %v a%v b%v", c.shape, c.as, c.bs)
	}
}

// TestBinaryBroadcast compares against an index-by-index reference over
// random shapes of rank 0 to 8, each dimension broadcast at random.
func TestBinaryBroadcast(t *testing.T) {
	r := newRand(24)
	for iter := 0; iter < 400; iter++ {
		rank := iter % 9
		shape := make([]int, rank)
		for d := range shape {
			shape[d] = 1 + r.IntN(3)
			if rank <= 3 {
				shape[d] = r.IntN(6) // zero-sized dimensions too
			}
		}
		// Each input: dense over its own kept dims, 0 stride where broadcast;
		// sometimes a strided view (a transposed or padded layout).
		strides := func() ([]int, int) {
			st := make([]int, rank)
			size := 1
			for d := rank - 1; d >= 0; d-- {
				if r.IntN(3) == 0 {
					continue
				}
				st[d] = size
				size *= shape[d] + r.IntN(2) // +1: gaps between rows
			}
			return st, size
		}
		as, an := strides()
		bs, bn := strides()
		a, b := randSlice(r, an), randSlice(r, bn)
		op := allBinOps[iter%len(allBinOps)]
		total := prod(shape)
		want := make([]float64, total)
		idx := make([]int, rank)
		for i := 0; i < total; i++ {
			rem := i
			for d := rank - 1; d >= 0; d-- {
				idx[d] = rem % shape[d]
				rem /= shape[d]
			}
			ao, bo := 0, 0
			for d := range idx {
				ao += idx[d] * as[d]
				bo += idx[d] * bs[d]
			}
			want[i] = binRef(op, float64(a[ao]), float64(b[bo]))
		}
		y := newGuarded(total)
		BinaryBroadcast(op, shape, a, as, b, bs, y.s)
		what := name("BinaryBroadcast %d %v a%v b%v", op, shape, as, bs)
		y.check(t, what)
		requireClose(t, what, y.s, want, 1e-30, 1e-6)
	}
	// By hand: [2,3] + [3] (row broadcast) and [2,1] * [1,3] (outer product).
	y := make([]float32, 6)
	BinaryBroadcast(BinAdd, []int{2, 3}, []float32{1, 2, 3, 4, 5, 6}, []int{3, 1}, []float32{10, 20, 30}, []int{0, 1}, y)
	requireEqual(t, "row", y, []float32{11, 22, 33, 14, 25, 36})
	BinaryBroadcast(BinMul, []int{2, 3}, []float32{1, 2}, []int{1, 0}, []float32{1, 10, 100}, []int{0, 1}, y)
	requireEqual(t, "outer", y, []float32{1, 10, 100, 2, 20, 200})
	BinaryBroadcast(BinSub, []int{2, 3}, []float32{1, 10, 100}, []int{0, 1}, []float32{1, 2}, []int{1, 0}, y)
	requireEqual(t, "scalar first", y, []float32{0, 9, 99, -1, 8, 98})
	require.Panics(t, func() { BinaryBroadcast(BinAdd, make([]int, 9), y, make([]int, 9), y, make([]int, 9), y) })
}

func TestUnary(t *testing.T) {
	x := []float32{0, float32(math.Copysign(0, -1)), 0.5, 1.5, 2.5, -0.5, -2.5, 3.7, -3.7, 1e-30, 100, -100, 1e30,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())}
	ref := map[UnOp]func(float64) float64{
		UnNeg: func(v float64) float64 { return -v }, UnExp: math.Exp, UnLog: math.Log, UnSqrt: math.Sqrt,
		UnRsqrt: func(v float64) float64 { return 1 / math.Sqrt(v) }, UnAbs: math.Abs,
		UnSquare: func(v float64) float64 { return v * v }, UnReciprocal: func(v float64) float64 { return 1 / v },
		UnSign: func(v float64) float64 {
			if v == 0 || math.IsNaN(v) {
				return v
			}
			return math.Copysign(1, v)
		},
		UnFloor: math.Floor, UnCeil: math.Ceil, UnRound: math.RoundToEven, UnErf: math.Erf,
		UnSin: math.Sin, UnCos: math.Cos,
	}
	require.Len(t, ref, int(UnCos)+1)
	for op, f := range ref {
		want := make([]float64, len(x))
		for i, v := range x {
			want[i] = float64(float32(f(float64(v)))) // as float32 arithmetic rounds
		}
		y := newGuarded(len(x))
		Unary(op, len(x), x, y.s)
		y.check(t, "Unary")
		requireClose(t, name("Unary %d", op), y.s, want, 1e-30, 1e-6)
	}
	y := make([]float32, 5)
	Unary(UnRound, 5, []float32{0.5, 1.5, 2.5, -0.5, -1.5}, y)
	requireEqual(t, "round half to even", y, []float32{0, 2, 2, 0, -2})
	require.Panics(t, func() { Unary(UnOp(99), 1, y, y) })
}

func TestMerge(t *testing.T) {
	r := newRand(25)
	xs := [][]float32{randSlice(r, 50), randSlice(r, 50), randSlice(r, 50), randSlice(r, 50)}
	for k := 1; k <= 4; k++ {
		in := xs[:k]
		cases := []struct {
			kernel func(int, [][]float32, []float32)
			fold   func(a, b float64) float64
			final  func(v float64) float64
		}{
			{Sum, func(a, b float64) float64 { return a + b }, nil},
			{Average, func(a, b float64) float64 { return a + b }, func(v float64) float64 { return v / float64(k) }},
			{Maximum, math.Max, nil},
			{Minimum, math.Min, nil},
			{Product, func(a, b float64) float64 { return a * b }, nil},
		}
		for ci, c := range cases {
			want := f64s(in[0])
			for _, x := range in[1:] {
				for i := range want {
					want[i] = c.fold(want[i], float64(x[i]))
				}
			}
			if c.final != nil {
				for i := range want {
					want[i] = c.final(want[i])
				}
			}
			y := newGuarded(50)
			c.kernel(50, in, y.s)
			y.check(t, "merge")
			requireClose(t, name("merge %d k=%d", ci, k), y.s, want, 1e-7, 1e-6)
		}
	}
	y := []float32{1, 2}
	Average(2, [][]float32{y, {3, 5}, {5, 8}}, y) // y as xs[0]
	requireEqual(t, "average hand", y, []float32{3, 5})
	nan := float32(math.NaN())
	Maximum(2, [][]float32{{1, nan}, {nan, 2}}, y)
	requireEqual(t, "max NaN", y, []float32{nan, nan})
	require.Panics(t, func() { Sum(1, nil, y) })
}

func TestElementwiseNoAllocs(t *testing.T) {
	r := newRand(26)
	a, b, y := randSlice(r, 256), randSlice(r, 256), make([]float32, 256)
	xs := [][]float32{a, b, a}
	requireNoAllocs(t, "Binary", func() { Binary(BinPow, 256, a, b, y) })
	requireNoAllocs(t, "BinaryScalar", func() { BinaryScalar(BinSub, 256, a, 2, y, true) })
	shape, as, bs := []int{4, 8, 8}, []int{64, 8, 1}, []int{0, 1, 0}
	requireNoAllocs(t, "BinaryBroadcast", func() { BinaryBroadcast(BinMul, shape, a, as, b, bs, y) })
	requireNoAllocs(t, "Unary", func() { Unary(UnErf, 256, a, y) })
	requireNoAllocs(t, "Sum", func() { Sum(256, xs, y) })
	requireNoAllocs(t, "Average", func() { Average(256, xs, y) })
}

// BenchmarkBinaryKernels times BinaryScalar's product and Binary's sum on the kernels against
// the plain Go loops they replace, in the same run (the transformer's 128×128 query scale and
// its token plus position embeddings: 16384 values).
func BenchmarkBinaryKernels(b *testing.B) {
	const n = 16384
	r := newRand(42)
	a, c, y := randSlice(r, n), randSlice(r, n), make([]float32, n)
	b.Run("scalar_mul/kernel", func(b *testing.B) {
		for b.Loop() {
			BinaryScalar(BinMul, n, a, 0.17677669, y, false)
		}
	})
	b.Run("scalar_mul/loop", func(b *testing.B) {
		for b.Loop() {
			for i := range y {
				y[i] = a[i] * 0.17677669
			}
		}
	})
	b.Run("add/kernel", func(b *testing.B) {
		for b.Loop() {
			Binary(BinAdd, n, a, c, y)
		}
	})
	b.Run("add/loop", func(b *testing.B) {
		for b.Loop() {
			for i := range y {
				y[i] = a[i] + c[i]
			}
		}
	})
}
