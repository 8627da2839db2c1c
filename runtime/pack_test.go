//go:build amd64 && !purego

package runtime

import (
	"fmt"
	"testing"
)

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
	eachAsmLevel(t, func(t *testing.T) {
		r := newRand(9)
		for _, s := range shapes {
			checkGemmTwin(t, r, s[0], s[1], s[2], false)
			checkGemmTwin(t, r, s[0], s[1], s[2], true)
		}
	})
}

// Row strides of A that alias in L1 (so the tiles are at most aliasedTileRows tall,
// tileRows), and odd and wide ones for B and C.
func TestGemmTwinPackedStrides(t *testing.T) {
	shapes := [][6]int{ // m, n, k, lda, ldb, ldc
		{130, 310, 900, 1024, 317, 333},
		{140, 530, 520, 2048, 1024, 4096},
		{197, 611, 700, 1536, 617, 613}, // 6 KiB: rows alternate between two sets, not aliased
	}
	if !aliasedRows(1024, 12) || !aliasedRows(2048, 6) || aliasedRows(701, 12) || aliasedRows(1536, 12) || aliasedRows(1536, 6) {
		t.Fatal("aliasedRows disagrees with the shapes' intent")
	}
	eachAsmLevel(t, func(t *testing.T) {
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

// TestGemmTwinAliasedInPlace runs the in-place drivers (B under 512 KiB) on rows of A
// that alias in L1, so in tiles of at most aliasedTileRows rows: row counts around
// multiples of six and twelve, k past an in-place k block.
func TestGemmTwinAliasedInPlace(t *testing.T) {
	eachAsmLevel(t, func(t *testing.T) {
		r := newRand(12)
		for _, s := range [][3]int{{97, 64, 1024}, {13, 40, 2048}, {6, 33, 1024}, {130, 17, 1500}} {
			m, n, k := s[0], s[1], s[2]
			if usePackedB(m, n, k) {
				t.Fatalf("shape %v takes the packed path", s)
			}
			checkGemmTwinStrides(t, r, m, n, k, 2048, n+3, n+5, false)
			checkGemmTwinStrides(t, r, m, n, k, 2048, n, n, true)
		}
	})
}

func TestKCPacked(t *testing.T) {
	for _, c := range []struct{ k, nc, want int }{
		{1024, 1024, 1024}, {960, 160, 960}, {513, 1024, 513}, // one block of B up to 4 MiB
		{1024, 2048, 512}, {513, 2048, 512}, {2048, 2048, 512}, {1025, 32, 512}, // deeper or wider
		{300, 2048, 300},
	} {
		if got := kcPacked(c.k, c.nc); got != c.want {
			t.Errorf("kcPacked(%d, %d) = %d, want %d", c.k, c.nc, got, c.want)
		}
	}
}

func TestTileRows(t *testing.T) {
	for _, c := range []struct{ lda, mr, want int }{
		{1024, 12, 6}, {2048, 12, 6}, {1025, 12, 6}, // 4 KiB apart or near: one L1 set
		{1024, 6, 6}, {2048, 16, 6},
		{701, 12, 12}, {1536, 12, 12}, {512, 12, 12}, {160, 12, 12}, {1280, 16, 16},
		{1, 12, 12}, {2, 12, 12}, {3, 16, 16}, {16, 12, 12}, // rows sharing lines, or one apart
	} {
		if got := tileRows(c.lda, c.mr); got != c.want {
			t.Errorf("tileRows(%d, %d) = %d, want %d", c.lda, c.mr, got, c.want)
		}
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
	eachAsmLevel(t, func(t *testing.T) {
		f := func() { Gemm(m, n, k, a, k, b, n, c, n, false) }
		f()
		if got := testing.AllocsPerRun(10, f); got != 0 {
			t.Errorf("%v allocations per warm Gemm, want 0", got)
		}
	})
}

// BenchmarkGemmAliasedRows times Gemm with rows of A 4 or 8 KiB apart (lda = k, which
// alias in L1: tiles of aliasedTileRows rows) against the same product with A's rows one
// cache line further apart (lda = k + 16, full-height tiles), in place (B under 512 KiB)
// and packed.
func BenchmarkGemmAliasedRows(b *testing.B) {
	for _, s := range [][3]int{{96, 1024, 64}, {120, 1024, 256}, {240, 2048, 32}, {1024, 1024, 1024}} {
		m, k, n := s[0], s[1], s[2]
		r := newRand(4)
		a, w, c := randSlice(r, m*(k+16)), randSlice(r, k*n), make([]float32, m*n)
		for _, lda := range []int{k, k + 16} {
			b.Run(fmt.Sprintf("%dx%dx%d/lda%d", m, k, n, lda), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					Gemm(m, n, k, a, lda, w, n, c, n, false)
				}
				b.ReportMetric(2*float64(m*n*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
