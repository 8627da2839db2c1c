// Single-precision matrix multiplication.
//
// Contract: every matrix is row-major with an explicit row stride (lda, ldb,
// ldc ≥ the row length; rows may be sub-slices of larger tensors, as the
// convolution kernels use them). Gemm computes C = A·B, GemmNT C = A·Bᵀ and
// GemmTN C = Aᵀ·B; with acc the product is added to C's old value, without it
// C is overwritten (C is zeroed when k = 0). Only the m×n elements of C are
// written; A and B are only read, and must not overlap C. Accumulation is in
// float32, in an order the kernels choose (results agree with a float64
// reference to a few ulp times √k). Panics if a slice is shorter than its
// matrix ((rows-1)*ld + cols elements).

package runtime

import "sync"

// packPool holds float32 scratch buffers (Gemm's packing buffers, a threaded kernel part's
// scratch, a transposed convolution's rearranged kernel), so a warm call does not allocate.
var packPool = sync.Pool{New: func() any { return new([]float32) }}

// getPack returns a buffer of n floats from packPool; give it back with packPool.Put.
func getPack(n int) *[]float32 {
	p := packPool.Get().(*[]float32)
	if cap(*p) < n {
		*p = make([]float32, n)
	}
	*p = (*p)[:n]
	return p
}

// Cache blocking: a gemmKC×gemmNC panel of B (128 KiB) stays in L2 while
// every row of A streams past it; the gemmNC-wide segment of a row of C
// (1 KiB) stays in L1 across the gemmKC updates.
const (
	gemmKC = 128
	gemmNC = 256
)

// gemmGeneric is the pure-Go Gemm: the whole of Gemm under the purego tag
// and off amd64, the twin the assembly kernels are tested against, and the
// fallback for the parts of C they leave (see gemm_amd64.go).
func gemmGeneric(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if m <= 0 || n <= 0 {
		return
	}
	need("Gemm", "a", a, matLen(m, k, lda))
	gemmAxpy("Gemm", m, n, k, a, lda, 1, b, ldb, c, ldc, acc)
}

// GemmTN sets C[m×n] (ldc) to Aᵀ·B, where A is stored k×m (lda) and B is
// k×n (ldb), plus C's old value when acc. It is the weight gradient of a
// dense layer: Xᵀ·dY.
func GemmTN(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if m <= 0 || n <= 0 {
		return
	}
	need("GemmTN", "a", a, matLen(k, m, lda))
	gemmAxpy("GemmTN", m, n, k, a, 1, lda, b, ldb, c, ldc, acc)
}

// gemmAxpy is gemmGeneric and GemmTN after their checks of A (m, n > 0): C = A·B (+ C when
// acc), A's element (i, p) at a[i·ars + p·aks], each row of C a sum of rows of B scaled by A's
// elements (axpyRows), in blocks of gemmKC rows of B by gemmNC columns.
func gemmAxpy(kernel string, m, n, k int, a []float32, ars, aks int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	need(kernel, "c", c, matLen(m, n, ldc))
	need(kernel, "b", b, matLen(k, n, ldb))
	if !acc {
		for i := 0; i < m; i++ {
			clear(c[i*ldc : i*ldc+n])
		}
	}
	for j0 := 0; j0 < n; j0 += gemmNC {
		j1 := min(j0+gemmNC, n)
		for p0 := 0; p0 < k; p0 += gemmKC {
			kk := min(gemmKC, k-p0)
			bp := b[p0*ldb+j0:]
			for i := 0; i < m; i++ {
				axpyRows(c[i*ldc+j0:i*ldc+j1], a[i*ars+p0*aks:], aks, kk, bp, ldb)
			}
		}
	}
}

// gemmNTBlock is how many rows of B GemmNT keeps hot while A streams past.
const gemmNTBlock = 32

// GemmNT sets C[m×n] (ldc) to A·Bᵀ, where A is m×k (lda) and B is stored
// n×k (ldb), plus C's old value when acc. It is the input gradient of a
// dense layer (dY·Wᵀ), attention's Q·Kᵀ and the core of the general Conv2DTranspose.
func GemmNT(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if m <= 0 || n <= 0 {
		return
	}
	need("GemmNT", "c", c, matLen(m, n, ldc))
	need("GemmNT", "a", a, matLen(m, k, lda))
	need("GemmNT", "b", b, matLen(n, k, ldb))
	gemmNT(true, m, n, k, a, lda, b, ldb, c, ldc, acc)
}

// gemmNTGeneric is the pure-Go GemmNT: C[m×n] (ldc) = A·Bᵀ (+ C when acc),
// A m×k (lda), B stored n×k (ldb), by dot products.
func gemmNTGeneric(m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int, acc bool) {
	if m <= 0 || n <= 0 {
		return
	}
	if k <= 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	for j0 := 0; j0 < n; j0 += gemmNTBlock {
		j1 := min(j0+gemmNTBlock, n)
		for i := 0; i < m; i++ {
			arow := a[i*lda : i*lda+k]
			crow := c[i*ldc+j0 : i*ldc+j1]
			for j := range crow {
				s := dot(arow, b[(j0+j)*ldb:])
				if acc {
					s += crow[j]
				}
				crow[j] = s
			}
		}
	}
}

// axpyRows adds Σ_{p<kk} a[p*inca] · b[p*ldb : p*ldb+len(c)] to c, four
// rows of b per pass over c.
func axpyRows(c, a []float32, inca, kk int, b []float32, ldb int) {
	n := len(c)
	p := 0
	for ; p+4 <= kk; p += 4 {
		a0, a1, a2, a3 := a[p*inca], a[(p+1)*inca], a[(p+2)*inca], a[(p+3)*inca]
		b0 := b[p*ldb:][:n]
		b1 := b[(p+1)*ldb:][:n]
		b2 := b[(p+2)*ldb:][:n]
		b3 := b[(p+3)*ldb:][:n]
		for j := range c {
			c[j] += a0*b0[j] + a1*b1[j] + a2*b2[j] + a3*b3[j]
		}
	}
	for ; p < kk; p++ {
		ap := a[p*inca]
		bp := b[p*ldb:][:n]
		for j := range c {
			c[j] += ap * bp[j]
		}
	}
}

// dot returns Σ a[i]*b[i] over len(a), with four partial sums.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	for len(a) >= 4 && len(b) >= 4 {
		s0 += a[0] * b[0]
		s1 += a[1] * b[1]
		s2 += a[2] * b[2]
		s3 += a[3] * b[3]
		a, b = a[4:], b[4:]
	}
	for i, v := range a {
		s0 += v * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// aliasedRows reports whether r rows of A, lda floats apart, crowd into the
// same L1 sets: more than r/2 distinct lines holding their starts in one of the
// 64 sets of 64-byte lines, as with a power-of-two stride of 4 KiB or more.
// Rows less than a line apart share their lines instead (lda < 16: no conflict).
func aliasedRows(lda, r int) bool {
	var sets [64]int
	last := -1
	for i := 0; i < r; i++ {
		line := i * lda * 4 / 64
		if line == last {
			continue
		}
		last = line
		s := &sets[line%64]
		if *s++; *s > r/2 {
			return true
		}
	}
	return false
}
