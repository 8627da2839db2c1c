// Gemm's entry points and their split across threads (see workers.go): C is
// cut into blocks of whole row tiles (12 rows) when it has at least as many
// rows as columns or enough rows for every part (gemmParts), else of whole
// column panels (32 columns), one block per part; each part runs the
// one-thread gemmBlock, epilogue included.

package runtime

import "sync"

// Gemm sets C[m×n] (row stride ldc) to A[m×k] (lda) · B[k×n] (ldb), plus
// C's old value when acc.
func Gemm(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	gemm(m, n, k, a, lda, plainB(b, ldb), c, ldc, acc, nil, 0)
}

// GemmEpilogue sets C[m×n] (row stride ldc) to A[m×k] (lda) · B[k×n] (ldb)
// and applies ep to it, C's rows being rows row0… of ep's output (row
// length n). A clamp-form epilogue (see Epilogue.clampForm) is applied to
// each tile of C as soon as it is final, while it is in L1.
func GemmEpilogue(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, row0 int, ep *Epilogue) {
	gemm(m, n, k, a, lda, plainB(b, ldb), c, ldc, false, ep, row0)
}

// epTile locates a block of C in its epilogue's output: C's element (0, 0)
// is the output's (row0, col0); output rows are n long.
type epTile struct {
	ep            *Epilogue
	row0, col0, n int
	clamp         bool // ep has the clamp form: apply it tile by tile
}

// apply applies the epilogue to the rows×cols block at (i0, j0) of C, held
// in c (c[0] is that block's first element).
func (t *epTile) apply(i0, j0, rows, cols int, c []float32, ldc int) {
	t.ep.applyTile(t.row0+i0, t.col0+j0, rows, cols, t.n, c, ldc)
}

// gemm is Gemm with an epilogue, on a B of either layout (a plain B's length is checked
// here, a Panels' by its caller).
func gemm(m, n, k int, a []float32, lda int, b bMat, c []float32, ldc int, acc bool, ep *Epilogue, row0 int) {
	gemmOn(true, m, n, k, a, lda, b, c, ldc, acc, ep, row0)
}

// gemmOn is gemm, split across the worker threads only when threads is true: a caller that
// itself runs as one part of a split passes false (a worker must not wait on the others).
func gemmOn(threads bool, m, n, k int, a []float32, lda int, b bMat, c []float32, ldc int, acc bool, ep *Epilogue, row0 int) {
	if m <= 0 || n <= 0 {
		return
	}
	need("Gemm", "c", c, matLen(m, n, ldc))
	need("Gemm", "a", a, matLen(m, k, lda))
	if b.panelK == 0 {
		need("Gemm", "b", b.b, matLen(k, n, b.ld))
	}
	var tile *epTile
	var t epTile
	if ep != nil {
		_, _, _, clamp := ep.clampForm()
		t = epTile{ep: ep, row0: row0, n: n, clamp: clamp}
		tile = &t
	}
	parts, byRows := 1, false
	if threads {
		parts, byRows = gemmParts(m, n, k)
	}
	if parts <= 1 || k <= 0 {
		gemmBlock(m, n, k, a, lda, b, c, ldc, acc, tile)
		return
	}
	op := gemmOp{m: m, n: n, k: k, a: a, lda: lda, b: b, c: c, ldc: ldc, acc: acc, byRows: byRows}
	if ep != nil {
		// The job keeps a copy, so that ep does not escape: a caller may pass one on its stack.
		op.epc = copyEpilogue(ep)
		op.ep = epTile{row0: t.row0, n: t.n, clamp: t.clamp}
	}
	runSplit[gemmOp](&gemmJobs, op, parts)
}

// rowTilesPerPart is the fewest 12-row tiles of C a part must get for gemmParts to split C by
// rows when it has more columns than rows.
const rowTilesPerPart = 4

// gemmParts returns how many parts an m×n×k product splits into and whether by rows: by
// rows when C has at least as many rows as columns, or when every part still gets
// rowTilesPerPart tiles of rows, else by column panels. Rows keep what a part writes where
// the next row-wise kernel's same part reads it (the transformer's FFN: Dense(512) by
// columns gave each core half of every row, which the next Dense, split by rows, read half
// from the other core: 2× its time where the cores are far apart, BENCHMARKS.md "Session
// 24"); columns remain for products of few rows.
func gemmParts(m, n, k int) (parts int, byRows bool) {
	rowTiles, panels := (m+11)/12, (n+31)/32
	parts = partsFor(gemmWork(m, n, k), max(rowTiles, panels))
	byRows = m >= n || rowTiles >= rowTilesPerPart*parts
	if byRows {
		return min(parts, rowTiles), true
	}
	return min(parts, panels), false
}

// fewRows is the most rows of a product that streams B rather than reusing it from cache.
const fewRows = 4

// gemmWork is the work partsFor weighs an m×n×k product by: its multiply-adds, 4× for a
// product of at most fewRows rows, which streams B from memory once (a multiply-add there
// costs ~4 of a GEMM's: the batch-1 MLP, 0.037 ns against 0.008 on the Zen 5).
func gemmWork(m, n, k int) int {
	if m <= fewRows {
		return 4 * m * n * k
	}
	return m * n * k
}

// gemmOp is one Gemm split across threads (runSplit): its epilogue, if any, is the copy epc,
// which each part's tile (ep, whose own ep each part sets) points to.
type gemmOp struct {
	m, n, k  int
	a, c     []float32
	b        bMat
	lda, ldc int
	acc      bool
	ep       epTile
	epc      epilogueCopy
	byRows   bool
}

var gemmJobs = sync.Pool{New: func() any { return new(splitJob[gemmOp, *gemmOp]) }}

func (j *gemmOp) runPart(p, parts int) {
	var tile *epTile
	t := j.ep
	if e := j.epc.get(); e != nil {
		t.ep = e
		tile = &t
	}
	if j.byRows {
		lo, hi := split(j.m, 12, p, parts)
		if lo < hi {
			t.row0 += lo
			gemmBlock(hi-lo, j.n, j.k, j.a[lo*j.lda:], j.lda, j.b, j.c[lo*j.ldc:], j.ldc, j.acc, tile)
		}
		return
	}
	lo, hi := split(j.n, 32, p, parts)
	if lo < hi {
		t.col0 += lo
		gemmBlock(j.m, hi-lo, j.k, j.a, j.lda, j.b.cols(lo), j.c[lo:], j.ldc, j.acc, tile)
	}
}
