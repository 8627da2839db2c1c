package runtime

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

// withThreads runs f with SetThreads(n) and minPartWork at 1<<16 multiply-adds, so that the
// small problems of the tests split too, restoring both after.
func withThreads(n int, f func()) {
	old, oldWork := Threads(), minPartWork
	SetThreads(n)
	minPartWork = 1 << 16
	defer func() { SetThreads(old); minPartWork = oldWork }()
	f()
}

// TestGemmThreads checks that Gemm and GemmEpilogue split across threads
// (by rows and by columns, with and without epilogues; products of 2–4 rows, on the many-row
// kernels, and of one row, by columns) give the one-thread results, and that the split does not allocate.
func TestGemmThreads(t *testing.T) {
	shapes := [][3]int{{300, 64, 480}, {32, 512, 784}, {130, 600, 520}, {25, 1000, 400}, {1000, 20, 520}, {3, 1000, 400}, {4, 600, 128}, {2, 385, 300}, {1, 700, 300}}
	r := newRand(21)
	for _, sh := range shapes {
		m, n, k := sh[0], sh[1], sh[2]
		for fi, form := range []*Epilogue{nil, {Act: ActRelu}, {Act: ActSigmoid}} {
			var ep *Epilogue
			if form != nil {
				e := *form
				e.Bias = randSlice(r, n)
				e.Residual = randSlice(r, m*n)
				ep = &e
			}
			a, b := randSlice(r, m*k), randSlice(r, k*n)
			want := make([]float32, m*n)
			GemmEpilogue(m, n, k, a, k, b, n, want, n, 0, ep)
			for _, threads := range []int{2, 3, 7} {
				withThreads(threads, func() {
					if p := partsFor(m*n*k, 1000); p < 2 {
						t.Fatalf("threads %d: %dx%dx%d not split (%d parts)", threads, m, n, k, p)
					}
					got := newGuarded(m * n)
					GemmEpilogue(m, n, k, a, k, b, n, got.s, n, 0, ep)
					what := fmt.Sprintf("threads %d m=%d n=%d k=%d ep %d", threads, m, n, k, fi)
					got.check(t, what)
					for i := range want {
						if math.Abs(float64(got.s[i]-want[i])) > 1e-5*(1+math.Abs(float64(want[i]))) {
							t.Fatalf("%s: element %d = %v, want %v", what, i, got.s[i], want[i])
						}
					}
					requireNoAllocs(t, what, func() { GemmEpilogue(m, n, k, a, k, b, n, got.s, n, 0, ep) })
				})
			}
		}
	}
}

// TestGemmParts checks how products split at the default minPartWork: by rows when C has
// as many rows as columns or rowTilesPerPart row tiles for every part (the transformer's FFN at
// batch 1 on two threads), else by column panels (the batch-32 MLP; the FFN on seven threads).
func TestGemmParts(t *testing.T) {
	for _, tc := range []struct {
		m, n, k, threads, parts int
		byRows                  bool
	}{
		{128, 512, 128, 2, 2, true},    // transformer FFN, batch 1: 11 row tiles
		{128, 512, 128, 7, 7, false},   // 11 row tiles < 4·7
		{96, 512, 128, 2, 2, true},     // 8 row tiles = 4·2
		{84, 512, 128, 2, 2, false},    // 7 row tiles
		{32, 512, 784, 2, 2, false},    // MLP, batch 32
		{300, 64, 480, 3, 3, true},     // more rows than columns
		{4096, 512, 128, 16, 16, true}, // transformer FFN, batch 32
		{1, 700, 300, 2, 1, false},     // too little work to split
		{128, 512, 128, 1, 1, false},   // one thread
	} {
		old := Threads()
		SetThreads(tc.threads)
		parts, byRows := gemmParts(tc.m, tc.n, tc.k)
		SetThreads(old)
		if parts != tc.parts || (parts > 1 && byRows != tc.byRows) {
			t.Errorf("gemmParts(%d, %d, %d) on %d threads = %d parts, by rows %v; want %d, %v",
				tc.m, tc.n, tc.k, tc.threads, parts, byRows, tc.parts, tc.byRows)
		}
	}
}

func TestSplit(t *testing.T) {
	for _, tc := range []struct{ n, unit, parts int }{{100, 12, 3}, {7, 32, 2}, {1000, 32, 7}, {12, 12, 5}} {
		next := 0
		for p := 0; p < tc.parts; p++ {
			lo, hi := split(tc.n, tc.unit, p, tc.parts)
			if lo != next || hi < lo || (lo%tc.unit != 0 && lo != tc.n) {
				t.Fatalf("split(%d, %d, %d, %d) = [%d, %d), want start %d on a unit", tc.n, tc.unit, p, tc.parts, lo, hi, next)
			}
			next = hi
		}
		if next != tc.n {
			t.Fatalf("split(%d, %d, ·, %d) covers [0, %d)", tc.n, tc.unit, tc.parts, next)
		}
	}
}

// TestWorkersSpinAndSleep runs split products from several goroutines at once with the
// workers polling (spinFor as set) and sleeping at once (spinFor 0): the results are the
// one-thread ones either way, whoever's parts a worker runs first.
func TestWorkersSpinAndSleep(t *testing.T) {
	const m, n, k = 96, 64, 80
	r := newRand(23)
	a, b := randSlice(r, m*k), randSlice(r, k*n)
	want := make([]float32, m*n)
	Gemm(m, n, k, a, k, b, n, want, n, false)
	for _, spin := range []time.Duration{time.Duration(spinFor.Load()), 0} {
		old := spinFor.Load()
		spinFor.Store(int64(spin))
		withThreads(4, func() {
			var wg sync.WaitGroup
			errs := make(chan string, 4)
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := make([]float32, m*n)
					for rep := 0; rep < 50; rep++ {
						Gemm(m, n, k, a, k, b, n, c, n, false)
						if i := firstDiff(c, want); i >= 0 {
							errs <- fmt.Sprintf("spin %v: element %d = %v, want %v", spin, i, c[i], want[i])
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Error(e)
			}
		})
		spinFor.Store(old)
	}
}
