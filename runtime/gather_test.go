package runtime

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGather(t *testing.T) {
	const vocab, dim = 5, 3
	table := make([]float32, vocab*dim)
	for i := range table {
		table[i] = float32(i + 1)
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		id  float32
		row int // -1: out of range, a zero row
	}{
		{0, 0}, {4, 4}, {2.9, 2}, {-0.9, 0}, // truncation toward zero, as a cast to int32
		{-1, 4}, {-5, 0}, {-5.5, 0}, // negative ids count from the end (Keras 3 ops.take)
		{5, -1}, {-6, -1}, {1e10, -1}, {-1e10, -1}, {nan, -1}, {inf, -1}, {-inf, -1},
	}
	ids := make([]float32, len(cases))
	want := make([]float32, 0, len(cases)*dim)
	wantBad := 0
	for i, c := range cases {
		ids[i] = c.id
		if c.row < 0 {
			want = append(want, 0, 0, 0)
			wantBad++
			continue
		}
		want = append(want, table[c.row*dim:(c.row+1)*dim]...)
	}
	y := newGuarded(len(want)).fill(randSlice(newRand(32), len(want)))
	bad := Gather(ids, table, vocab, dim, y.s)
	y.check(t, "Gather")
	require.Equal(t, wantBad, bad)
	requireEqual(t, "Gather", y.s, want)
	require.Equal(t, 0, Gather(nil, table, vocab, dim, nil))
}

func TestGatherNoAllocs(t *testing.T) {
	r := newRand(33)
	table, y := randSlice(r, 100*16), make([]float32, 20*16)
	ids := make([]float32, 20)
	for i := range ids {
		ids[i] = float32(r.IntN(100))
	}
	requireNoAllocs(t, "Gather", func() { Gather(ids, table, 100, 16, y) })
}
