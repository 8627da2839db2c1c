package runtime

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPackPanels checks the panel layout itself: each panel's rows hold B's 32 columns (the
// last one's n mod 32), one panel after another, and Unpack gives B back.
func TestPackPanels(t *testing.T) {
	r := newRand(41)
	for _, d := range []struct{ k, n int }{{1, 1}, {3, 31}, {5, 32}, {7, 33}, {2, 70}, {16, 96}, {0, 5}, {4, 0}} {
		ldb := d.n + 3
		b := randSlice(r, matLen(d.k, d.n, ldb))
		size := PanelsLen(d.k, d.n)
		require.Equal(t, d.k*d.n, size, "PanelsLen(%d, %d)", d.k, d.n)
		dst := make([]float32, size)
		for i := range dst {
			dst[i] = float32(i) + 0.5 // every element must be written
		}
		w := PackPanelsInto(dst, d.k, d.n, b, ldb)
		for q := 0; q*32 < d.n; q++ {
			pw := min(32, d.n-q*32)
			for p := 0; p < d.k; p++ {
				for c := 0; c < pw; c++ {
					got := dst[q*d.k*32+p*pw+c]
					require.Equal(t, b[p*ldb+q*32+c], got, "%d×%d: panel %d row %d column %d", d.k, d.n, q, p, c)
				}
			}
		}
		back := make([]float32, matLen(d.k, d.n, ldb))
		w.Unpack(back, ldb)
		for p := 0; p < d.k && d.n > 0; p++ {
			require.Equal(t, b[p*ldb:p*ldb+d.n], back[p*ldb:p*ldb+d.n], "%d×%d: row %d unpacked", d.k, d.n, p)
		}
	}
	require.PanicsWithValue(t, "runtime.NewPanels: data does not hold a 3×40 matrix in panel layout",
		func() { NewPanels(3, 40, make([]float32, 3*64)) })
	w := NewPanels(3, 40, make([]float32, 3*40))
	require.PanicsWithValue(t, "runtime.DensePanels: the weights are not a 4×40 matrix in panel layout",
		func() { DensePanels(1, 4, 40, make([]float32, 4), w, make([]float32, 40), nil) })
}

// TestDensePanelsTwin checks DensePanels against Dense on the same matrix, unpacked, at each
// level: the same kernels read both layouts, so the same bits come out — through the in-place
// tiles, the narrow and masked last panels, the one-row product, the AVX2 tail columns, the
// packed path of large products, and a split across threads; guard bands around y.
func TestDensePanelsTwin(t *testing.T) {
	shapes := []struct{ m, k, n int }{
		{1, 7, 1}, {1, 64, 33}, {1, 300, 700}, {1, 50, 256}, {1, 33, 288}, {2, 5, 16}, {3, 16, 17}, {5, 33, 31}, {12, 24, 48}, {13, 1, 70},
		{30, 96, 24}, {49, 160, 100}, {130, 600, 500}, {200, 300, 40}, {7, 0, 9},
	}
	eachLevel(t, func(t *testing.T) {
		r := newRand(42)
		for i, s := range shapes {
			x, w := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n)
			ep := &Epilogue{Bias: randSlice(r, s.n), Act: ActRelu6}
			if i%2 == 1 {
				ep = &Epilogue{Act: ActLeakyRelu, Params: ActParams{Alpha: 0.1}, Residual: randSlice(r, s.m*s.n)}
			}
			wp := PackPanelsInto(make([]float32, PanelsLen(s.k, s.n)), s.k, s.n, w, s.n)
			for _, threads := range []int{1, 3} {
				// Dense with as many threads: the split decides the k blocking.
				want := make([]float32, s.m*s.n)
				y := newGuarded(s.m * s.n)
				withThreads(threads, func() {
					Dense(s.m, s.k, s.n, x, w, want, ep)
					DensePanels(s.m, s.k, s.n, x, &wp, y.s, ep)
				})
				what := fmt.Sprintf("%s %d×%d·%d×%d, %d threads", CPULevel(), s.m, s.k, s.k, s.n, threads)
				y.check(t, what)
				requireSameBits(t, what, y.s, want)
			}
		}
	})
}

func TestDensePanelsAllocatesNothing(t *testing.T) {
	r := newRand(43)
	x, w := randSlice(r, 64*96), randSlice(r, 96*40)
	wp := PackPanelsInto(make([]float32, PanelsLen(96, 40)), 96, 40, w, 40)
	y := make([]float32, 64*40)
	ep := &Epilogue{Bias: w[:40], Act: ActRelu}
	requireNoAllocs(t, "DensePanels", func() { DensePanels(64, 96, 40, x, &wp, y, ep) })
}
