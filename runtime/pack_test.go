//go:build amd64 && !purego

package runtime

import (
	"fmt"
	"os"
	"strconv"
	"strings"
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

// TestTileRows checks which strides tileRows takes for aliased (tiles of at most
// aliasedTileRows rows) and which it leaves at the kernels' mr.
func TestTileRows(t *testing.T) {
	for _, c := range []struct {
		lda, mr int
		aliased bool
	}{
		{1024, 12, true}, {2048, 12, true}, {1025, 12, true}, // 4 KiB apart or near: one L1 set
		{1024, 6, true}, {2048, 16, true},
		{701, 12, false}, {1536, 12, false}, {512, 12, false}, {160, 12, false}, {1280, 16, false},
		{1, 12, false}, {2, 12, false}, {3, 16, false}, {16, 12, false}, // rows sharing lines, or one apart
	} {
		want := c.mr
		if c.aliased {
			want = min(c.mr, aliasedTileRows)
		}
		if got := tileRows(c.lda, c.mr); got != want {
			t.Errorf("tileRows(%d, %d) = %d, want %d (aliasedTileRows %d)", c.lda, c.mr, got, want, aliasedTileRows)
		}
	}
}

func TestTileRowsForWays(t *testing.T) {
	for _, c := range []struct{ ways, want int }{
		{0, 6}, {4, 6}, {8, 6}, // not known, or small: as for Zen 4's 8 ways
		{12, 10}, {14, 12}, {16, 12}, {255, 12}, // Zen 5's 12 ways; at most the kernels' 12 rows
	} {
		if got := tileRowsForWays(c.ways); got != c.want {
			t.Errorf("tileRowsForWays(%d) = %d, want %d", c.ways, got, c.want)
		}
	}
}

// TestL1DataWays compares what CPUID says of the L1 data cache with what Linux says in
// sysfs (which it read from CPUID too, perhaps from other leaves).
func TestL1DataWays(t *testing.T) {
	got := l1DataWays()
	t.Logf("L1 data cache: %d ways (0: not known); aliasedTileRows %d", got, aliasedTileRows)
	if got < 0 || got > 255 {
		t.Fatalf("l1DataWays() = %d", got)
	}
	want, ok := sysfsL1DataWays()
	if !ok {
		t.Skip("no /sys/devices/system/cpu/cpu0/cache to compare with (not Linux, or hidden)")
	}
	if got != want {
		t.Errorf("l1DataWays() = %d, sysfs says %d", got, want)
	}
}

// sysfsL1DataWays reads the L1 data cache's ways from Linux's sysfs.
func sysfsL1DataWays() (int, bool) {
	for i := 0; i < 8; i++ {
		dir := fmt.Sprintf("/sys/devices/system/cpu/cpu0/cache/index%d/", i)
		read := func(name string) string {
			b, err := os.ReadFile(dir + name)
			if err != nil {
				return ""
			}
			return strings.TrimSpace(string(b))
		}
		if read("level") == "1" && read("type") == "Data" {
			w, err := strconv.Atoi(read("ways_of_associativity"))
			return w, err == nil
		}
	}
	return 0, false
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
		if got := allocsPerRun(10, f); got != 0 {
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

// TestPackBTwin requires packB (the copy kernels for the full panels) to write what its Go
// twin packBGeneric writes, for both panel widths at every CPU level: 0…13 rows (around the
// kernels' groups of four) and widths 1…100 (whole and partial panels), B starting at
// every offset 0…7 inside its slice, with a guard band after the panels untouched.
func TestPackBTwin(t *testing.T) {
	const guard = 16
	r := newRand(5)
	eachAsmLevel(t, func(t *testing.T) {
		for _, nr := range []int{16, 32} {
			for kk := 0; kk <= 13; kk++ {
				for w := 1; w <= 100; w++ {
					off, ldb := r.IntN(8), w+r.IntN(5)
					b := randSlice(r, off+max(0, (kk-1)*ldb+w))[off:]
					size := (w + nr - 1) / nr * kk * nr
					got, want := make([]float32, size+guard), make([]float32, size+guard)
					for i := range got {
						got[i], want[i] = 12345, 12345
					}
					packB(got, nr, kk, w, b, ldb)
					packBGeneric(want, nr, kk, w, b, ldb)
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("nr %d, %d×%d, ldb %d: element %d of %d = %v, want %v", nr, kk, w, ldb, i, size, got[i], want[i])
						}
					}
				}
			}
		}
	})
}

// TestTransposeTwin compares transposeInto (transpose8AVX on its 8×8 blocks, Go past them) with
// transposeGo at each asm level for every height and width 1…40, row strides and offsets,
// with a guard band after dst.
func TestTransposeTwin(t *testing.T) {
	const guard = 16
	r := newRand(6)
	eachAsmLevel(t, func(t *testing.T) {
		for rows := 1; rows <= 40; rows++ {
			for cols := 1; cols <= 40; cols++ {
				off, lds := r.IntN(8), cols+r.IntN(5)
				src := randSlice(r, off+(rows-1)*lds+cols)[off:]
				got, want := make([]float32, rows*cols+guard), make([]float32, rows*cols+guard)
				for i := range got {
					got[i], want[i] = 12345, 12345
				}
				transposeInto(got, rows, cols, src, lds)
				transposeGo(want, rows, cols, src, lds)
				if i := firstDiff(got, want); i >= 0 {
					t.Fatalf("%d×%d, lds %d: element %d of %d = %v, want %v", rows, cols, lds, i, rows*cols, got[i], want[i])
				}
			}
		}
	})
}

// BenchmarkTranspose times transposeInto against its Go twin on attention's keys (a 128×32
// head of a 128×128 matrix: GemmNT's B).
func BenchmarkTranspose(b *testing.B) {
	src, dst := make([]float32, 128*128), make([]float32, 32*128)
	b.Run("kernel", func(b *testing.B) {
		for b.Loop() {
			transposeInto(dst, 128, 32, src, 128)
		}
	})
	b.Run("generic", func(b *testing.B) {
		for b.Loop() {
			transposeGo(dst, 128, 32, src, 128)
		}
	})
}

// BenchmarkPackB times packB against its Go twin on a square B (SetBytes: B's bytes).
func BenchmarkPackB(b *testing.B) {
	for _, n := range []int{512, 1024} {
		src, dst := make([]float32, n*n), make([]float32, n*n)
		for _, f := range []struct {
			name string
			pack func(dst []float32, nr, kk, w int, b []float32, ldb int)
		}{{"kernel", packB}, {"generic", packBGeneric}} {
			b.Run(fmt.Sprintf("%d/%s", n, f.name), func(b *testing.B) {
				b.SetBytes(int64(4 * n * n))
				for i := 0; i < b.N; i++ {
					f.pack(dst, 32, n, n, src, n)
				}
			})
		}
	}
}
