//go:build amd64 && !purego

package runtime

// The many-row products: Gemm for 2…4 rows of A on AVX-512 runs on gemvRows kernels
// (gemv_amd64.s), the one-row kernels for r rows at once. Each row of B is read once for all
// r rows (the tiled kernels' r×32 tiles walked B once per 32-column panel, their few
// accumulators a chain of multiply-adds each, bound by its latency), and each row is summed as
// the one-row kernels sum it, so that a row's bits do not depend on the batch.

type gemvRowsKernel func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool, mask uint16)

type gemvRowsPanelsKernel func(k int, a *float32, lda int, b *float32, pstride int, c *float32, ldc int, acc bool)

// gemvRowsKernels[r-2] are the kernels for r rows, by vectors of 16 columns (24/r of them).
var gemvRowsKernels = [3][]gemvRowsKernel{
	{gemvRowsAVX512_2x1, gemvRowsAVX512_2x2, gemvRowsAVX512_2x3, gemvRowsAVX512_2x4, gemvRowsAVX512_2x5, gemvRowsAVX512_2x6,
		gemvRowsAVX512_2x7, gemvRowsAVX512_2x8, gemvRowsAVX512_2x9, gemvRowsAVX512_2x10, gemvRowsAVX512_2x11, gemvRowsAVX512_2x12},
	{gemvRowsAVX512_3x1, gemvRowsAVX512_3x2, gemvRowsAVX512_3x3, gemvRowsAVX512_3x4, gemvRowsAVX512_3x5, gemvRowsAVX512_3x6,
		gemvRowsAVX512_3x7, gemvRowsAVX512_3x8},
	{gemvRowsAVX512_4x1, gemvRowsAVX512_4x2, gemvRowsAVX512_4x3, gemvRowsAVX512_4x4, gemvRowsAVX512_4x5, gemvRowsAVX512_4x6},
}

// gemvRowsPanelsKernels[r-2] are the kernels for r rows over full 32-column panels, by panels
// (12/r of them).
var gemvRowsPanelsKernels = [3][]gemvRowsPanelsKernel{
	{gemvRowsPanelsAVX512_2x1, gemvRowsPanelsAVX512_2x2, gemvRowsPanelsAVX512_2x3, gemvRowsPanelsAVX512_2x4,
		gemvRowsPanelsAVX512_2x5, gemvRowsPanelsAVX512_2x6},
	{gemvRowsPanelsAVX512_3x1, gemvRowsPanelsAVX512_3x2, gemvRowsPanelsAVX512_3x3, gemvRowsPanelsAVX512_3x4},
	{gemvRowsPanelsAVX512_4x1, gemvRowsPanelsAVX512_4x2, gemvRowsPanelsAVX512_4x3},
}

// gemvRowsMax is the most rows the many-row kernels take.
const gemvRowsMax = 4

// gemvRowsAVX512B is gemvAVX512B for 2 ≤ r ≤ gemvRowsMax rows of A (lda apart) and of C (ldc
// apart).
func gemvRowsAVX512B(r, n, k int, a []float32, lda int, b bMat, c []float32, ldc int, acc bool, ep *epTile) {
	if b.panelK == 0 {
		gemvRowsAVX512(r, n, k, a, lda, b.b, b.ld, c, ldc, acc, ep)
		return
	}
	kerns := gemvRowsPanelsKernels[r-2]
	var t epTile
	for j := 0; j < n; {
		bp, ld, w := b.panel(j, n)
		var e *epTile
		if ep != nil {
			t = *ep
			t.col0 += j
			e = &t
		}
		if w < panelW {
			gemvRowsAVX512(r, w, k, a, lda, bp, ld, c[j:], ldc, acc, e)
			j += w
			continue
		}
		// Columns j… are panel-aligned: each whole 32 of them up to n is a full panel.
		q := min(len(kerns), (n-j)/panelW)
		started := biasStartRows(e, 0, r, q*panelW, c[j:], ldc, acc)
		kerns[q-1](k, &a[0], lda, &bp[0], b.panelK*panelW, &c[j], ldc, acc || started)
		e.applyRest(0, 0, r, q*panelW, c[j:], ldc, started)
		j += q * panelW
	}
}

// gemvRowsAVX512 is gemvAVX512 for r rows: B streams row by row under blocks of 16·24/r columns
// of C's r rows held in registers.
func gemvRowsAVX512(r, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool, ep *epTile) {
	kerns := gemvRowsKernels[r-2]
	_ = a[(r-1)*lda+k-1]
	_ = b[(k-1)*ldb+n-1]
	_ = c[(r-1)*ldc+n-1]
	w := 16 * len(kerns)
	for j := 0; j < n; j += w {
		cols := min(w, n-j)
		v := (cols + 15) / 16
		mask := uint16(uint32(1)<<(cols-16*(v-1)) - 1)
		started := biasStartRows(ep, j, r, cols, c[j:], ldc, acc)
		kerns[v-1](k, &a[0], lda, &b[j], ldb, &c[j], ldc, acc || started, mask)
		ep.applyRest(0, j, r, cols, c[j:], ldc, started)
	}
}

// biasStartRows is biasStart for r rows of c, ldc apart: the bias of t's columns j… (cols of
// them) copied into each row when the sums start from it.
func biasStartRows(t *epTile, j, r, cols int, c []float32, ldc int, acc bool) bool {
	started := false
	for i := 0; i < r; i++ {
		started = t.biasStart(j, cols, c[i*ldc:], acc)
	}
	return started
}
