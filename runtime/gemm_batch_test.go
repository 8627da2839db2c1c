package runtime

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

// TestGemmBatch checks that GemmBatch gives, bit for bit, what Gemm, GemmNT and GemmTN give
// for each product alone (on one thread and split across three, by whole products), with
// operands apart from each other (strides larger than a matrix) and with heads read and
// written in place (matrix (i, j) of a [outer, rows, inner, cols] tensor), acc, and no write
// outside C, and that a warm split call does not allocate.
func TestGemmBatch(t *testing.T) {
	r := newRand(31)
	one := map[MatForm]func(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool){
		FormNN: Gemm, FormNT: GemmNT, FormTN: GemmTN,
	}
	// apart lays out outer·inner rows×cols matrices with padding between rows and matrices;
	// heads as the inner slices of a [outer, rows, inner, cols] tensor.
	apart := func(outer, inner, rows, cols, pad int) (BatchOperand, int) {
		ld := cols + pad
		o := BatchOperand{Inner: rows*ld + pad + 1, LD: ld}
		o.Outer = inner*o.Inner + pad
		return o, o.at(outer-1, inner-1) + rows*ld
	}
	heads := func(outer, inner, rows, cols, _ int) (BatchOperand, int) {
		o := BatchOperand{Outer: rows * inner * cols, Inner: cols, LD: inner * cols}
		return o, o.at(outer-1, inner-1) + rows*o.LD
	}
	for _, form := range []MatForm{FormNN, FormNT, FormTN} {
		for _, sh := range [][5]int{{1, 1, 5, 7, 3}, {1, 3, 128, 128, 32}, {2, 4, 17, 33, 65}, {5, 1, 4, 40, 128}, {1, 2, 1, 1, 1}, {3, 1, 6, 9, 0}, {2, 3, 6, 9, 0}} {
			outer, inner, m, n, k := sh[0], sh[1], sh[2], sh[3], sh[4]
			ar, ac, br, bc := form.operands(m, n, k)
			for li, layout := range []func(outer, inner, rows, cols, pad int) (BatchOperand, int){apart, heads} {
				la, na := layout(outer, inner, ar, ac, 1)
				lb, nb := layout(outer, inner, br, bc, 2)
				lc, nc := layout(outer, inner, m, n, 3)
				a, b, c0 := randSlice(r, na), randSlice(r, nb), randSlice(r, nc)
				for _, acc := range []bool{false, true} {
					want := slices.Clone(c0)
					for i := 0; i < outer; i++ {
						for j := 0; j < inner; j++ {
							one[form](m, n, k, a[la.at(i, j):], la.LD, b[lb.at(i, j):], lb.LD, want[lc.at(i, j):], lc.LD, acc)
						}
					}
					for _, threads := range []int{1, 3} {
						what := fmt.Sprintf("form %d %dx%d products %dx%dx%d layout %d acc %v threads %d", form, outer, inner, m, n, k, li, acc, threads)
						withThreads(threads, func() {
							got := newGuarded(len(c0)).fill(c0)
							GemmBatch(form, outer, inner, m, n, k, a, la, b, lb, got.s, lc, acc)
							got.check(t, what)
							if i := firstDiff(got.s, want); i >= 0 {
								t.Fatalf("%s: element %d = %v, want %v", what, i, got.s[i], want[i])
							}
							count := outer * inner
							if threads > 1 && count > 1 && m*n*k*count >= 3*minPartWork {
								if p := partsFor(count*m*n*k, count); p < 2 {
									t.Fatalf("%s: not split", what)
								}
							}
							requireNoAllocs(t, what, func() { GemmBatch(form, outer, inner, m, n, k, a, la, b, lb, got.s, lc, acc) })
						})
					}
				}
			}
		}
	}
}

// firstDiff returns the first index where got and want differ bit for bit (NaNs alike), or -1.
func firstDiff(got, want []float32) int {
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
			return i
		}
	}
	return -1
}

func TestGemmBatchRefuses(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("a short c: no panic")
		}
	}()
	a, b := make([]float32, 2*4*4), make([]float32, 2*4*4)
	l := BatchOperand{Outer: 16, LD: 4}
	GemmBatch(FormNN, 2, 1, 4, 4, 4, a, l, b, l, make([]float32, 16+15), l, false)
}
