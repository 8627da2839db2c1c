// Panels: a float32 weight matrix stored the way the GEMM and convolution kernels read it,
// so that a generated package's blob holds its convolution kernels pre-packed at build time.
//
// Contract: a K×N matrix B is stored as ⌈N/32⌉ panels of K rows, panel q holding B's columns
// 32q … 32q+w-1 (w = 32, or N mod 32 for a narrower last panel) at Data[32q·K:], its rows w
// floats apart: K·N floats in all, no padding (a matrix of at most 32 columns is its own
// layout). Every kernel family reads it in place: the AVX-512 kernels one panel (the last one
// masked), the AVX2 ones 16 columns of a panel (the last n mod 16 through a padded copy, as
// for a plain matrix), the pure-Go twin each panel as a K×w matrix. A kc-deep
// block of a panel is one contiguous run, so it streams into L1 without the set conflicts
// and TLB misses of Keras' [K, N] layout at a long row stride (and the packed GEMM path need
// not copy it first). DensePanels and Conv2DGemmPanels compute exactly what Dense and
// Conv2DGemm compute with the same matrix unpacked (the same kernels, sums in the same order:
// the same bits).

package runtime

import "strconv"

// panelW is the width of a panel: the AVX-512 kernels' 32 columns.
const panelW = 32

// Panels is a K×N weight matrix in panel layout (see the file comment).
type Panels struct {
	K, N int
	Data []float32 // PanelsLen(K, N) elements
}

// PanelsLen returns the number of elements of a k×n matrix in panel layout: k·n.
func PanelsLen(k, n int) int {
	if k <= 0 || n <= 0 {
		return 0
	}
	return k * n
}

// PackPanelsInto writes B[k×n] (row stride ldb) into dst (PanelsLen(k, n) elements) in panel
// layout and returns the matrix over dst.
func PackPanelsInto(dst []float32, k, n int, b []float32, ldb int) Panels {
	size := PanelsLen(k, n)
	need("PackPanelsInto", "dst", dst, size)
	need("PackPanelsInto", "b", b, matLen(k, n, ldb))
	packPanelRows(dst, k, n, func(r int) []float32 { return b[r*ldb:] })
	return Panels{K: k, N: n, Data: dst[:size]}
}

// packPanelRows writes the k×n matrix whose row r starts at row(r) into dst in panel layout.
func packPanelRows(dst []float32, k, n int, row func(r int) []float32) {
	for j := 0; j < n; j += panelW {
		w := min(panelW, n-j)
		panel := dst[j*k:]
		for r := 0; r < k; r++ {
			copy(panel[r*w:r*w+w], row(r)[j:j+w])
		}
	}
}

// NewPanels wraps data, a k×n matrix already in panel layout (as the weights blob of a
// generated package holds its convolution kernels); it panics if data has the wrong length.
func NewPanels(k, n int, data []float32) *Panels {
	if k < 0 || n < 0 || len(data) != PanelsLen(k, n) {
		panic("runtime.NewPanels: data does not hold a " + strconv.Itoa(k) + "×" + strconv.Itoa(n) + " matrix in panel layout")
	}
	return &Panels{K: k, N: n, Data: data}
}

// needPanels panics, naming kernel, unless w is a k×n matrix in panel layout.
func needPanels(kernel string, w *Panels, k, n int) {
	if w == nil || w.K != k || w.N != n {
		panic("runtime." + kernel + ": the weights are not a " + strconv.Itoa(k) + "×" + strconv.Itoa(n) + " matrix in panel layout")
	}
	need(kernel, "w.Data", w.Data, PanelsLen(k, n))
}

// Unpack writes the matrix into dst as a plain k×n matrix with row stride ldd.
func (p *Panels) Unpack(dst []float32, ldd int) {
	need("Panels.Unpack", "dst", dst, matLen(p.K, p.N, ldd))
	for j := 0; j < p.N; j += panelW {
		w := min(panelW, p.N-j)
		panel := p.Data[j*p.K:]
		for r := 0; r < p.K; r++ {
			copy(dst[r*ldd+j:r*ldd+j+w], panel[r*w:r*w+w])
		}
	}
}

// bMat is Gemm's B as the drivers read it: a plain matrix (panelK = 0: b's rows ld apart) or
// a matrix in panel layout (panelK its depth K, n its width N), seen from its column col0 on.
type bMat struct {
	b         []float32
	ld        int // plain: the row stride
	panelK, n int // panels: the whole matrix's depth and width
	col0      int // panels: the first column seen (a plain B is sliced instead)
	// then is memory the AVX-512 kernels prefetch into L2 once B's next blocks are covered:
	// what the caller reads next (prefetching), region after region.
	then prefetchList
}

// prefetchList is up to three regions of memory to prefetch, in order (bMat.then); the
// non-empty ones come first.
type prefetchList [3][]float32

// plainB is a plain B with row stride ldb.
func plainB(b []float32, ldb int) bMat { return bMat{b: b, ld: ldb} }

// panelB is a Panels' matrix as a B.
func panelB(w *Panels) bMat { return bMat{b: w.Data, panelK: w.K, n: w.N} }

// prefetching returns B with then set to the regions r, in order (see bMat.then): empty
// ones are skipped, and any past the third non-empty one dropped.
func (m bMat) prefetching(r ...[]float32) bMat {
	m.then = prefetchList{}
	n := 0
	for _, x := range r {
		if len(x) > 0 && n < len(m.then) {
			m.then[n] = x
			n++
		}
	}
	return m
}

// block returns the kk rows of B from row p on under the panel that starts at column j, when
// they are one contiguous run (B in panel layout, j at a panel's start), else nil: the block
// the kernels prefetch while they work on the one before it.
func (m bMat) block(p, j, kk int) []float32 {
	j += m.col0
	if m.panelK == 0 || j%panelW != 0 || j >= m.n {
		return nil
	}
	w := min(panelW, m.n-j)
	return m.b[j*m.panelK+p*w:][:kk*w]
}

// cols returns B from its column j on.
func (m bMat) cols(j int) bMat {
	if m.panelK == 0 {
		m.b = m.b[j:]
	} else {
		m.col0 += j
	}
	return m
}

// panel returns B's columns from j up to n or to the end of j's panel, whichever comes
// first, as a plain matrix: its elements from (0, j) on, its row stride and its width.
func (m bMat) panel(j, n int) (b []float32, ld, w int) {
	if m.panelK == 0 {
		return m.b[j:], m.ld, n - j
	}
	jj := m.col0 + j
	q := jj / panelW * panelW
	pw := min(panelW, m.n-q)
	return m.b[q*m.panelK+jj-q:], pw, min(q+pw-jj, n-j)
}

// gemmGenericB is gemmGeneric on a B of either layout: a plain B whole, panels one at a time.
func gemmGenericB(m, n, k int, a []float32, lda int, b bMat, c []float32, ldc int, acc bool) {
	if b.panelK == 0 {
		gemmGeneric(m, n, k, a, lda, b.b, b.ld, c, ldc, acc)
		return
	}
	for j := 0; j < n; {
		bp, ld, w := b.panel(j, n)
		gemmGeneric(m, w, k, a, lda, bp, ld, c[j:], ldc, acc)
		j += w
	}
}
