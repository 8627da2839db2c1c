//go:build amd64 && !purego

package runtime

import "testing"

// Shapes big enough for the packed paths (usePackedB): partial mc, kc and
// nc blocks, n mod 16 and mod 32 edges, k one past a kc block.
var packedShapes = [][3]int{
	{300, 700, 600}, {129, 1025, 257}, {128, 2100, 130}, {161, 531, 513}, {250, 49, 6000},
}

func TestGemmTwinPacked(t *testing.T) {
	for _, s := range packedShapes {
		if !usePackedB(s[0], s[1]&^15, s[2]) {
			t.Fatalf("shape %v does not take the packed path", s)
		}
	}
	shapes := packedShapes
	if testing.Short() {
		shapes = shapes[1:2]
	}
	for _, level := range gemmLevels[1:] {
		withLevel(t, level, func(t *testing.T) {
			r := newRand(9)
			for _, s := range shapes {
				checkGemmTwin(t, r, s[0], s[1], s[2], false)
				checkGemmTwin(t, r, s[0], s[1], s[2], true)
			}
		})
	}
}

// Row strides of A that alias in L1 (so A is packed too, aliasedRows), and
// odd and wide ones for B and C.
func TestGemmTwinPackedStrides(t *testing.T) {
	shapes := [][6]int{ // m, n, k, lda, ldb, ldc
		{130, 310, 900, 1024, 317, 333},
		{140, 530, 520, 2048, 1024, 4096},
		{197, 611, 700, 1536, 617, 613}, // 6 KiB: rows alternate between two sets, not aliased
	}
	if !aliasedRows(1024, 12) || !aliasedRows(2048, 6) || aliasedRows(701, 12) || aliasedRows(1536, 12) || aliasedRows(1536, 6) {
		t.Fatal("aliasedRows disagrees with the shapes' intent")
	}
	for _, level := range gemmLevels[1:] {
		withLevel(t, level, func(t *testing.T) {
			r := newRand(11)
			for _, s := range shapes {
				if !usePackedB(s[0], s[1]&^15, s[2]) {
					t.Fatalf("shape %v does not take the packed path", s)
				}
				checkGemmTwinStrides(t, r, s[0], s[1], s[2], s[3], s[4], s[5], false)
				checkGemmTwinStrides(t, r, s[0], s[1], s[2], s[3], s[4], s[5], true)
			}
		})
	}
}

// A warm packed Gemm takes its buffers from packPool: no allocation.
func TestGemmPackedNoAlloc(t *testing.T) {
	const m, n, k = 130, 600, 520
	if !usePackedB(m, n, k) {
		t.Fatal("shape does not take the packed path")
	}
	r := newRand(10)
	a, b, c := randSlice(r, m*k), randSlice(r, k*n), make([]float32, m*n)
	for _, level := range gemmLevels[1:] {
		withLevel(t, level, func(t *testing.T) {
			f := func() { Gemm(m, n, k, a, k, b, n, c, n, false) }
			f()
			if got := testing.AllocsPerRun(10, f); got != 0 {
				t.Errorf("%v allocations per warm Gemm, want 0", got)
			}
		})
	}
}
