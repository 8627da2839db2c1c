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
