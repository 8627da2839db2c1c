//go:build amd64 && !purego

// Packing for the large-problem Gemm paths: a kc-deep, nc-wide block of B is
// copied once into a contiguous buffer as nr-wide panels (kc×nr, row stride
// nr = the kernel width, 16 or 32), the last one zero-padded, and every row
// tile of every mc block of A then streams its panel from there. No TLB misses
// on long strides of B. A is read in place, in tiles of at most
// aliasedTileRows rows when its rows alias in L1 (tileRows).
// The kernels are the in-place ones, given the packed strides.

package runtime

// Blocking of the packed paths: a gemmKCPacked×gemmNCPacked block of B
// (≤ 4 MiB, from L3) is packed once and swept by every gemmMCPacked-row block
// of A (gemmMCPacked×gemmKCPacked, 120 KiB, in L2); each kc×nr panel of B
// (32 or 64 KiB, from L2) then serves the row tiles of the block. The k blocks are deep so that each
// element of C makes few round trips from L3 (k/kc of them; one when kcPacked takes the
// whole depth): at 1024³, kc = 512 ran 3–4% faster than kc = 256, and 128 slower still;
// at 512³, packed with kc = 512 against the in-place drivers' blocking of then (kc = 128,
// session 6): 110.5 against 107.8 GFLOP/s (TestGemmTwinPacked's shapes check the edges).
const (
	gemmKCPacked = 512
	gemmNCPacked = 2048
	gemmMCPacked = 60 // a multiple of 6 and 12
)

// kcPacked returns the depth of the packed path's k blocks for a product of depth k whose
// blocks of B are nc wide: k itself when it is at most 2·gemmKCPacked and the whole depth's
// block (k×nc) fits in gemmPackedBlockBytes, so that each tile of C is loaded and stored once
// (1024³: kc = 1024 against 512, alternated six times, 105.8–111.0 → 109.2–112.8 GFLOP/s;
// MobileNetV2's batch-32 1×1 convolutions with weights in panel layout, 1568×960×160
// 99.7–102.7 → 108.4–110.2); else gemmKCPacked (2048³ with kc = 1024 and nc = 1024: no faster).
func kcPacked(k, nc int) int {
	if k <= 2*gemmKCPacked && 4*k*nc <= gemmPackedBlockBytes {
		return k
	}
	return min(gemmKCPacked, k)
}

// gemmPackedBlockBytes bounds a packed block of B: gemmKCPacked×gemmNCPacked floats, 4 MiB.
const gemmPackedBlockBytes = 4 * gemmKCPacked * gemmNCPacked

// usePackedB reports whether Gemm packs B (and maybe A): when B is over 512 KiB (read
// in place, its long row strides cost TLB misses and cache-set conflicts
// from there on; below that the in-place kernels are as fast or faster) and
// A has enough rows to repay the copy.
func usePackedB(m, n, k int) bool {
	return m >= 128 && n*k > 1<<17
}

// packB copies B[0:kk, 0:w] (row stride ldb) into dst as ⌈w/nr⌉ panels of
// kk×nr floats, panel q at dst[q·kk·nr:], zero-padding past column w. The full panels go
// through packPanels32AVX512 or packPanels16AVX2 where the CPU level has them (four rows of B
// per sweep over the panels: 1.6× packBGeneric's rate at 512², 1.35× at 1024²,
// BenchmarkPackB), the last partial panel through packBGeneric.
func packB(dst []float32, nr, kk, w int, b []float32, ldb int) {
	full := w &^ (nr - 1)
	if kk <= 0 || full == 0 {
		packBGeneric(dst, nr, kk, w, b, ldb)
		return
	}
	_ = b[(kk-1)*ldb+w-1]
	_ = dst[((w+nr-1)/nr)*kk*nr-1]
	switch {
	case nr == 32 && cpuLevel == levelAVX512:
		packPanels32AVX512(&dst[0], &b[0], kk, ldb, full/nr, kk*nr)
	case nr == 16 && cpuLevel >= levelAVX2:
		packPanels16AVX2(&dst[0], &b[0], kk, ldb, full/nr, kk*nr)
	default:
		packBGeneric(dst, nr, kk, w, b, ldb)
		return
	}
	if full < w {
		packBGeneric(dst[full*kk:], nr, kk, w-full, b[full:], ldb)
	}
}

// packBGeneric is packB in Go: the twin the copy kernels are tested against.
func packBGeneric(dst []float32, nr, kk, w int, b []float32, ldb int) {
	full := w &^ (nr - 1)
	for p := 0; p < kk; p++ {
		src := b[p*ldb : p*ldb+w]
		o := p * nr
		for q := 0; q < full; q += nr {
			copy(dst[o:o+nr], src[q:q+nr])
			o += kk * nr
		}
		if full < w {
			d := dst[o : o+nr]
			clear(d[copy(d, src[full:]):])
		}
	}
}

// packedLevel is what a packed product needs to know of a kernel family: its panel width nr,
// its tile height mr, and how to run one tile (r ≤ mr rows, cols ≤ nr columns of C).
type packedLevel struct {
	nr, mr int
	tile   func(r, kk int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool, cols int, ep, pf *float32)
}

var (
	avx2Packed = &packedLevel{nr: 16, mr: 6,
		tile: func(r, kk int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool, cols int, ep, _ *float32) {
			avx2Kernels[r-1](kk, a, lda, b, ldb, c, ldc, acc, ep)
		}}
	avx512Packed = &packedLevel{nr: 32, mr: 12,
		tile: func(r, kk int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool, cols int, ep, pf *float32) {
			avx512Tile(r, kk, a, lda, b, ldb, c, ldc, acc, cols, ep, pf)
		}}
)

// gemmPacked is Gemm with B packed, for one kernel family. The AVX2 family
// takes n a multiple of 16; the AVX-512 one masks the last partial panel. A B in panel layout
// is read in place (its kc-deep blocks are contiguous already). ep (clamp form, or nil) is
// applied to each tile of C once it is final.
func gemmPacked(lv *packedLevel, m, n, k int, a []float32, lda int, b bMat, c []float32, ldc int, acc bool, ep *epTile) {
	nr := lv.nr
	nc := min(gemmNCPacked, (n+nr-1)&^(nr-1))
	kc := kcPacked(k, nc)
	if b.panelK > 0 {
		nc = 0
	}
	buf := getPack(kc * nc)
	defer packPool.Put(buf)
	pk := *buf
	mr := tileRows(lda, lv.mr)
	then := b.then
	var kep *tileEp
	if ep != nil {
		kep = ep.kernelEp(m, n)
		defer tileEps.Put(kep)
	}
	for j0 := 0; j0 < n; j0 += gemmNCPacked {
		w := min(gemmNCPacked, n-j0)
		for p0 := 0; p0 < k; p0 += kc {
			kk := min(kc, k-p0)
			ac := acc || p0 > 0
			if b.panelK == 0 {
				packB(pk, nr, kk, w, b.b[p0*b.ld+j0:], b.ld)
			}
			for i0 := 0; i0 < m; i0 += gemmMCPacked {
				i1 := min(i0+gemmMCPacked, m)
				ab := a[i0*lda+p0:]
				for q := 0; q < w; q += nr {
					bp, ldb := b.at(p0, j0+q)
					var next []float32
					if b.panelK == 0 {
						bp, ldb = &pk[q*kk], nr
						if q+nr < w {
							next = pk[(q+nr)*kk : (q+2*nr)*kk]
						}
					} else if q+nr < w {
						next = b.block(p0, j0+q+nr, kk)
					}
					for t, tiles := 0, (i1-i0+mr-1)/mr; t < tiles; t++ {
						off, r := balancedTile(i1-i0, tiles, t)
						i := i0 + off
						var e *float32
						if ep != nil && p0+kk == k {
							e = kep.at(ep, i, j0+q)
						}
						lv.tile(r, kk, &ab[off*lda], lda, bp, ldb, &c[i*ldc+j0+q], ldc, ac, w-q, e, tilePrefetch(next, kk, t, &then, bp))
					}
				}
			}
		}
	}
}
