package runtime

import (
	"fmt"
	"testing"
)

// TestRowsThreads checks that Softmax and LayerNorm split across threads by rows give the
// one-thread results bit for bit (rows at, below and above the split's units, widths on
// and off the vector kernels), write nothing outside y, and do not allocate when warm.
func TestRowsThreads(t *testing.T) {
	r := newRand(41)
	for _, sh := range [][2]int{{1, 7}, {3, 16}, {40, 10}, {257, 128}, {64, 33}, {5, 1}} {
		rows, cols := sh[0], sh[1]
		x, gamma, beta := randSlice(r, rows*cols), randSlice(r, cols), randSlice(r, cols)
		kernels := map[string]func(y []float32){
			"Softmax":       func(y []float32) { Softmax(rows, cols, x, y) },
			"LayerNorm":     func(y []float32) { LayerNorm(rows, cols, x, gamma, beta, y, 1e-3, false) },
			"LayerNorm rms": func(y []float32) { LayerNorm(rows, cols, x, gamma, nil, y, 1e-3, true) },
		}
		for name, f := range kernels {
			want := make([]float32, rows*cols)
			f(want)
			withThreads(3, func() {
				what := fmt.Sprintf("%s %dx%d", name, rows, cols)
				if rows >= 3 && rows*cols*rowWork >= 3*minPartWork {
					if p := partsFor(rows*cols*rowWork, rows); p < 3 {
						t.Fatalf("%s: %d parts", what, p)
					}
				}
				got := newGuarded(rows * cols)
				f(got.s)
				got.check(t, what)
				if i := firstDiff(got.s, want); i >= 0 {
					t.Fatalf("%s: element %d = %v, want %v", what, i, got.s[i], want[i])
				}
				requireNoAllocs(t, what, func() { f(got.s) })
			})
		}
	}
}
