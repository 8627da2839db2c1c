package runtime

import (
	"fmt"
	"slices"
	"testing"
)

// TestGemmBatch checks that GemmBatch gives, bit for bit, what Gemm, GemmNT and GemmTN give
// for each product alone (on one thread and split across three, by whole products), with
// operands apart from each other (strides larger than a matrix), acc, and no write outside C,
// and that a warm split call does not allocate.
func TestGemmBatch(t *testing.T) {
	r := newRand(31)
	one := map[MatForm]func(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool){
		FormNN: Gemm, FormNT: GemmNT, FormTN: GemmTN,
	}
	for _, form := range []MatForm{FormNN, FormNT, FormTN} {
		for _, sh := range [][4]int{{1, 5, 7, 3}, {3, 128, 128, 32}, {8, 17, 33, 65}, {5, 4, 40, 128}, {2, 1, 1, 1}, {3, 6, 9, 0}} {
			count, m, n, k := sh[0], sh[1], sh[2], sh[3]
			ar, ac, br, bc := form.operands(m, n, k)
			lda, ldb, ldc := ac+1, bc+2, n+3
			sa, sb, sc := ar*lda+5, br*ldb+1, m*ldc+4
			a, b := randSlice(r, (count-1)*sa+ar*lda), randSlice(r, (count-1)*sb+br*ldb)
			c0 := randSlice(r, (count-1)*sc+m*ldc)
			for _, acc := range []bool{false, true} {
				want := slices.Clone(c0)
				for i := 0; i < count; i++ {
					one[form](m, n, k, a[i*sa:], lda, b[i*sb:], ldb, want[i*sc:], ldc, acc)
				}
				for _, threads := range []int{1, 3} {
					what := fmt.Sprintf("form %d count %d %dx%dx%d acc %v threads %d", form, count, m, n, k, acc, threads)
					withThreads(threads, func() {
						got := newGuarded(len(c0)).fill(c0)
						GemmBatch(form, count, m, n, k, a, sa, lda, b, sb, ldb, got.s, sc, ldc, acc)
						got.check(t, what)
						if i := firstDiff(got.s, want); i >= 0 {
							t.Fatalf("%s: element %d = %v, want %v", what, i, got.s[i], want[i])
						}
						if threads > 1 && count > 1 && m*n*k*count >= 3*minPartWork {
							if p := partsFor(count*m*n*k, count); p < 2 {
								t.Fatalf("%s: not split", what)
							}
						}
						requireNoAllocs(t, what, func() { GemmBatch(form, count, m, n, k, a, sa, lda, b, sb, ldb, got.s, sc, ldc, acc) })
					})
				}
			}
		}
	}
}

// firstDiff returns the first index where got and want differ bit for bit (NaNs alike), or -1.
func firstDiff(got, want []float32) int {
	for i := range want {
		if got[i] != want[i] && !(got[i] != got[i] && want[i] != want[i]) {
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
	GemmBatch(FormNN, 2, 4, 4, 4, a, 16, 4, b, 16, 4, make([]float32, 16+15), 16, 4, false)
}
