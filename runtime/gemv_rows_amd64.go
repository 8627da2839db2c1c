//go:build amd64 && !purego

package runtime

// The one-row and many-row products: Gemm for 1…4 rows of A on AVX-512 runs on the gemv
// kernels (gemv_amd64.s). B streams row by row under blocks of C's rows held in registers:
// 384 columns of one row, 16·24/r columns of r = 2…4 rows, whose kernels read each row of B
// once for all r rows (the tiled kernels' r×32 tiles walked B once per 32-column panel, their
// few accumulators each a chain of multiply-adds bound by its latency). Every row is summed
// as the one-row kernels sum it (from C under acc, else from zero or, for a clamp-form
// epilogue, from its bias; then in k order), so that a row's bits do not depend on the batch.

type gemvRowsKernel func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool, mask uint16)

type gemvRowsPanelsKernel func(k int, a *float32, lda int, b *float32, pstride int, c *float32, ldc int, acc bool)

// gemvRowsKernels[r-1] are the kernels for r rows, by vectors of 16 columns: the one-row
// kernels (24 of them) for r = 1, the many-row ones (24/r) for 2…4.
var gemvRowsKernels = [4][]gemvRowsKernel{
	oneRow(gemvKernels[:]),
	{gemvRowsAVX512_2x1, gemvRowsAVX512_2x2, gemvRowsAVX512_2x3, gemvRowsAVX512_2x4, gemvRowsAVX512_2x5, gemvRowsAVX512_2x6,
		gemvRowsAVX512_2x7, gemvRowsAVX512_2x8, gemvRowsAVX512_2x9, gemvRowsAVX512_2x10, gemvRowsAVX512_2x11, gemvRowsAVX512_2x12},
	{gemvRowsAVX512_3x1, gemvRowsAVX512_3x2, gemvRowsAVX512_3x3, gemvRowsAVX512_3x4, gemvRowsAVX512_3x5, gemvRowsAVX512_3x6,
		gemvRowsAVX512_3x7, gemvRowsAVX512_3x8},
	{gemvRowsAVX512_4x1, gemvRowsAVX512_4x2, gemvRowsAVX512_4x3, gemvRowsAVX512_4x4, gemvRowsAVX512_4x5, gemvRowsAVX512_4x6},
}

// gemvRowsPanelsKernels[r-1] are the kernels for r rows over full 32-column panels, by panels:
// the one-row ones (8) for r = 1, the many-row ones (12/r) for 2…4.
var gemvRowsPanelsKernels = [4][]gemvRowsPanelsKernel{
	oneRowPanels(gemvPanelsKernels[:]),
	{gemvRowsPanelsAVX512_2x1, gemvRowsPanelsAVX512_2x2, gemvRowsPanelsAVX512_2x3, gemvRowsPanelsAVX512_2x4,
		gemvRowsPanelsAVX512_2x5, gemvRowsPanelsAVX512_2x6},
	{gemvRowsPanelsAVX512_3x1, gemvRowsPanelsAVX512_3x2, gemvRowsPanelsAVX512_3x3, gemvRowsPanelsAVX512_3x4},
	{gemvRowsPanelsAVX512_4x1, gemvRowsPanelsAVX512_4x2, gemvRowsPanelsAVX512_4x3},
}

// oneRow gives the one-row kernels the many-row kernels' form (the row strides unused).
func oneRow(kerns []gemvKernel) []gemvRowsKernel {
	out := make([]gemvRowsKernel, len(kerns))
	for i, kern := range kerns {
		out[i] = func(k int, a *float32, _ int, b *float32, ldb int, c *float32, _ int, acc bool, mask uint16) {
			kern(k, a, b, ldb, c, acc, mask)
		}
	}
	return out
}

// oneRowPanels is oneRow for the one-row panel kernels.
func oneRowPanels(kerns []gemvPanelsKernel) []gemvRowsPanelsKernel {
	out := make([]gemvRowsPanelsKernel, len(kerns))
	for i, kern := range kerns {
		out[i] = func(k int, a *float32, _ int, b *float32, pstride int, c *float32, _ int, acc bool) {
			kern(k, a, b, pstride, c, acc)
		}
	}
	return out
}

// gemvRowsMax is the most rows the many-row kernels take.
const gemvRowsMax = 4

// gemvRowsAVX512B is Gemm for 1 ≤ r ≤ gemvRowsMax rows of A (lda apart) and of C (ldc apart)
// on a B of either layout: a plain B whole (gemvRowsAVX512); in panel layout, as many full
// panels at a time side by side as the kernels take, a narrower last panel as the plain
// matrix it is.
func gemvRowsAVX512B(r, n, k int, a []float32, lda int, b bMat, c []float32, ldc int, acc bool, ep *epTile) {
	if b.panelK == 0 {
		gemvRowsAVX512(r, n, k, a, lda, b.b, b.ld, c, ldc, acc, ep)
		return
	}
	kerns := gemvRowsPanelsKernels[r-1]
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

// gemvRowsAVX512 is gemvRowsAVX512B on a plain B (ldb apart), blocks of up to 16·24/r
// columns at a time.
func gemvRowsAVX512(r, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool, ep *epTile) {
	kerns := gemvRowsKernels[r-1]
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
