package runtime

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEpilogueHand(t *testing.T) {
	bias := []float32{1, -1}
	res := []float32{100, 100, 10, 20, 30, 40} // 3 rows of 2
	cases := []struct {
		ep   Epilogue
		want []float32
	}{
		{Epilogue{}, []float32{-3, 2, 5, -6}},
		{Epilogue{Bias: bias}, []float32{-2, 1, 6, -7}},
		{Epilogue{Bias: bias, Act: ActRelu}, []float32{0, 1, 6, 0}},
		// Rows 1 and 2 of the output: residual rows 1 and 2.
		{Epilogue{Bias: bias, Act: ActRelu, Residual: res}, []float32{8, 21, 36, 33}},
		{Epilogue{Bias: bias, Act: ActRelu, Residual: res, ResidualAfterAct: true}, []float32{10, 21, 36, 40}},
		{Epilogue{Act: ActLeakyRelu, Params: ActParams{Alpha: 0.5}}, []float32{-1.5, 2, 5, -3}},
	}
	for i, c := range cases {
		// Two rows of 2 with row stride 3; the third column is not ours.
		buf := newGuarded(5).fill([]float32{-3, 2, 77, 5, -6})
		c.ep.Apply(1, 2, 2, buf.s, 3)
		buf.check(t, "Apply")
		require.Equal(t, float32(77), buf.s[2], "case %d wrote between rows", i)
		requireEqual(t, name("case %d", i), []float32{buf.s[0], buf.s[1], buf.s[3], buf.s[4]}, c.want)
	}
	var nilEp *Epilogue
	y := []float32{-1, 2}
	nilEp.Apply(0, 1, 2, y, 2)
	requireEqual(t, "nil epilogue", y, []float32{-1, 2})
	require.Panics(t, func() { (&Epilogue{Bias: bias[:1]}).Apply(0, 1, 2, y, 2) })
	require.Panics(t, func() { (&Epilogue{Residual: res}).Apply(2, 2, 2, make([]float32, 4), 2) })
}

func TestEpilogueNoAllocs(t *testing.T) {
	r := newRand(4)
	ep := &Epilogue{Bias: randSlice(r, 64), Act: ActGelu, Residual: randSlice(r, 64*10)}
	c := randSlice(r, 64*10)
	requireNoAllocs(t, "Epilogue.Apply", func() { ep.Apply(0, 10, 64, c, 64) })
}

// TestEpilogueContiguousRows checks an epilogue applied to many contiguous rows at once
// (one activation call over all of them; rows of 1, 2, 4 or 8 columns regrouped 16 elements
// a row, applyNarrow) against the same epilogue
// applied row by row, bit for bit: 1, 2, 4, 5 and 8 columns and a compact block of the last
// n-2 of them, the residual before or after the activation or none, at every level.
func TestEpilogueContiguousRows(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(33)
		for _, n := range []int{1, 2, 4, 5, 8} {
			for _, form := range []Epilogue{{Act: ActSigmoid}, {Act: ActTanh}, {Act: ActRelu6}, {Act: ActLeakyRelu, Params: ActParams{Alpha: 0.1}}} {
				for _, res := range []string{"none", "before", "after"} {
					const rows, row0 = 37, 3
					ep := form
					ep.Bias = randSlice(r, n)
					if res != "none" {
						ep.Residual = randSlice(r, (row0+rows)*n)
						ep.ResidualAfterAct = res == "after"
					}
					c := randSlice(r, rows*n)
					want := append([]float32(nil), c...)
					for i := 0; i < rows; i++ {
						ep.Apply(row0+i, 1, n, want[i*n:(i+1)*n], n)
					}
					ep.Apply(row0, rows, n, c, n)
					requireSameBits(t, name("n %d, act %d, residual %s", n, form.Act, res), c, want)
					if n > 1 {
						// A block of the last n-2 columns held compactly (ldc = its width):
						// its residual rows are not contiguous.
						cols := n - 2
						c, want := randSlice(r, rows*cols), make([]float32, rows*cols)
						copy(want, c)
						for i := 0; i < rows; i++ {
							ep.applyTile(row0+i, 2, 1, cols, n, want[i*cols:(i+1)*cols], cols)
						}
						ep.applyTile(row0, 2, rows, cols, n, c, cols)
						requireSameBits(t, name("block of n %d, act %d, residual %s", n, form.Act, res), c, want)
					}
				}
			}
		}
	})
}
