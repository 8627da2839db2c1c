package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Helpers shared by the kernel tests: random data, guard bands and
// comparisons against float64 references.

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6b65726173)) }

// randSlice returns n values uniform in [-1, 1).
func randSlice(r *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}

// guardLen is how many sentinel elements surround a guarded slice.
const guardLen = 37

// sentinel is a NaN with a payload no kernel produces.
var sentinel = math.Float32frombits(0x7fa5a5a5)

// guarded is an output buffer of n elements inside a larger slice whose
// extra elements hold a sentinel: s has length n but its capacity reaches
// into the guard after it, so a kernel slicing past len(s) writes there.
type guarded struct {
	buf []float32
	s   []float32
}

func newGuarded(n int) *guarded {
	buf := make([]float32, n+2*guardLen)
	for i := range buf {
		buf[i] = sentinel
	}
	return &guarded{buf: buf, s: buf[guardLen : guardLen+n]}
}

// fill sets the inside of the buffer to v (as an accumulating kernel's old
// value, or garbage a kernel must overwrite).
func (g *guarded) fill(v []float32) *guarded {
	copy(g.s, v)
	return g
}

// check fails t if anything outside s changed.
func (g *guarded) check(t testing.TB, what string) {
	t.Helper()
	n := len(g.s)
	for i, v := range g.buf {
		if i >= guardLen && i < guardLen+n {
			continue
		}
		if math.Float32bits(v) != math.Float32bits(sentinel) {
			t.Fatalf("%s: wrote outside the output: element %d of the guard band (%v)", what, i-guardLen, v)
		}
	}
}

// clone returns a copy of s, to check that inputs stay untouched.
func clone(s []float32) []float32 { return append([]float32(nil), s...) }

func requireUnchanged(t testing.TB, what string, before, after []float32) {
	t.Helper()
	for i := range before {
		if math.Float32bits(before[i]) != math.Float32bits(after[i]) {
			t.Fatalf("%s: input modified at %d", what, i)
		}
	}
}

// closeTo reports whether got is within atol + rtol*|want| of want (NaN
// matching NaN, infinities matching exactly).
func closeTo(got float32, want float64, atol, rtol float64) bool {
	g := float64(got)
	if math.IsNaN(want) || math.IsNaN(g) {
		return math.IsNaN(want) && math.IsNaN(g)
	}
	if math.IsInf(want, 0) || math.IsInf(g, 0) {
		return g == want
	}
	return math.Abs(g-want) <= atol+rtol*math.Abs(want)
}

// requireClose fails t at the first element of got not within atol + rtol*|want|.
func requireClose(t testing.TB, what string, got []float32, want []float64, atol, rtol float64) {
	t.Helper()
	require.Equal(t, len(want), len(got), "%s: length", what)
	for i := range want {
		if !closeTo(got[i], want[i], atol, rtol) {
			t.Fatalf("%s: element %d = %v, want %v (diff %.3g)", what, i, got[i], want[i], float64(got[i])-want[i])
		}
	}
}

// requireCloseTol is requireClose with a per-element absolute tolerance.
func requireCloseTol(t testing.TB, what string, got []float32, want, tol []float64) {
	t.Helper()
	require.Equal(t, len(want), len(got), "%s: length", what)
	for i := range want {
		if !closeTo(got[i], want[i], tol[i], 0) {
			t.Fatalf("%s: element %d = %v, want %v (diff %.3g, tol %.3g)", what, i, got[i], want[i], float64(got[i])-want[i], tol[i])
		}
	}
}

// requireEqual fails t unless got and want are equal as float32 values
// (NaN equal to NaN, -0 to 0).
func requireEqual(t testing.TB, what string, got, want []float32) {
	t.Helper()
	require.Equal(t, len(want), len(got), "%s: length", what)
	for i := range want {
		if got[i] != want[i] && !(got[i] != got[i] && want[i] != want[i]) {
			t.Fatalf("%s: element %d = %v, want %v", what, i, got[i], want[i])
		}
	}
}

// requireSameBits fails t at the first element of got whose bits differ from want's (the
// bit-exact twin checks; NaN payloads included).
func requireSameBits(t testing.TB, what string, got, want []float32) {
	t.Helper()
	require.Equal(t, len(want), len(got), "%s: length", what)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s: element %d = %v, twin %v", what, i, got[i], want[i])
		}
	}
}

func f64s(s []float32) []float64 {
	out := make([]float64, len(s))
	for i, v := range s {
		out[i] = float64(v)
	}
	return out
}

// sumTol returns the tolerance for a float32 sum of terms whose absolute
// values add up to mag: a few ulps per term, plus a floor.
func sumTol(terms int, mag float64) float64 {
	return 4*float64(terms+1)*0x1p-24*mag + 1e-7
}

// requireNoAllocs fails t if f allocates on a warm call.
func requireNoAllocs(t *testing.T, name string, f func()) {
	t.Helper()
	f() // warm
	if n := allocsPerRun(20, f); n != 0 {
		t.Errorf("%s: %v allocations per call, want 0", name, n)
	}
}

func TestNeedPanicsWithMessage(t *testing.T) {
	require.PanicsWithValue(t, "runtime.Gemm: c has 3 elements, need 4", func() {
		Gemm(2, 2, 1, make([]float32, 2), 1, make([]float32, 2), 2, make([]float32, 3), 2, false)
	})
	require.NotPanics(t, func() { need("k", "s", nil, 0) })
	require.Equal(t, 0, matLen(0, 5, 7))
	require.Equal(t, 0, matLen(5, 0, 7))
	require.Equal(t, 2*7+5, matLen(3, 5, 7))
}

// TestShortSlicesPanicBeforeWriting checks that each kernel refuses a short
// output before touching it.
func TestShortSlicesPanicBeforeWriting(t *testing.T) {
	conv := &ConvParams{N: 1, H: 3, W: 3, C: 2, OH: 3, OW: 3, OC: 2, KH: 3, KW: 3, PadT: 1, PadL: 1}
	pool := &PoolParams{N: 1, H: 4, W: 4, C: 2, OH: 2, OW: 2, KH: 2, KW: 2, SH: 2, SW: 2}
	x := make([]float32, 64)
	cases := map[string]struct {
		outLen int
		run    func(y []float32)
	}{
		"Gemm":            {8, func(y []float32) { Gemm(3, 3, 2, x, 2, x, 3, y, 3, false) }},
		"Dense":           {8, func(y []float32) { Dense(3, 2, 3, x, x, y, nil) }},
		"Conv2D":          {17, func(y []float32) { Conv2D(conv, x, x, y, nil) }},
		"DepthwiseConv2D": {17, func(y []float32) { DepthwiseConv2D(conv, x, x, y, nil) }},
		"MaxPool2D":       {7, func(y []float32) { MaxPool2D(pool, x, y) }},
		"Softmax":         {5, func(y []float32) { Softmax(2, 3, x, y) }},
		"LayerNorm":       {5, func(y []float32) { LayerNorm(2, 3, x, nil, nil, y, 1e-3, false) }},
		"Binary":          {5, func(y []float32) { Binary(BinAdd, 6, x, x, y) }},
		"Transpose":       {5, func(y []float32) { Transpose([]int{2, 3}, []int{1, 0}, x, y) }},
		"ReduceSum":       {1, func(y []float32) { ReduceSum(2, 3, 1, x, y) }},
		"Gather":          {3, func(y []float32) { Gather([]float32{0, 1}, x, 4, 2, y) }},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			y := make([]float32, c.outLen)
			for i := range y {
				y[i] = sentinel
			}
			require.Panics(t, func() { c.run(y) })
			for i, v := range y {
				require.Equal(t, math.Float32bits(sentinel), math.Float32bits(v), "element %d written before the panic", i)
			}
		})
	}
}

// name formats a test case's parameters.
func name(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// allocsPerRun is testing.AllocsPerRun, except under the race detector, where it runs f once
// and returns 0: there sync.Pool drops pooled items at random (by design), so every pooled job
// and buffer would count as allocated again. The allocation checks hold in every other build;
// `go test -race` checks the threads' synchronization instead.
func allocsPerRun(runs int, f func()) float64 {
	if raceEnabled {
		f()
		return 0
	}
	return testing.AllocsPerRun(runs, f)
}
