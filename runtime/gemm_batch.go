// Batched matrix products (attention's Q·Kᵀ and weights·V over the batch and heads), split
// across threads by whole products.

package runtime

import "sync"

// MatForm says which operand of a product is stored transposed.
type MatForm uint8

const (
	// FormNN is Gemm's C = A·B.
	FormNN MatForm = iota
	// FormNT is GemmNT's C = A·Bᵀ (B stored n×k).
	FormNT
	// FormTN is GemmTN's C = Aᵀ·B (A stored k×m).
	FormTN
)

// BatchOperand locates the matrices of one operand of GemmBatch: matrix (i, j), i < outer
// and j < inner, starts at element i·Outer + j·Inner, its rows LD apart. Attention's heads
// read in place are the inner matrices: head h of sample n of a [N, T, H, D] tensor is the
// T×D matrix at n·T·H·D + h·D with rows H·D apart.
type BatchOperand struct{ Outer, Inner, LD int }

// at returns the offset of matrix (i, j).
func (o BatchOperand) at(i, j int) int { return i*o.Outer + j*o.Inner }

// GemmBatch computes outer·inner independent products of one form and shape, product (i, j)
// reading the matrices (i, j) of a and b and writing that of c (see BatchOperand), each
// exactly as Gemm, GemmNT or GemmTN computes it alone, plus C's old value when acc. With
// threads (workers.go), whole products are split among the parts, each part running the
// one-thread kernels, when each part gets minPartWork; one thread runs them in order.
func GemmBatch(form MatForm, outer, inner, m, n, k int, a []float32, la BatchOperand, b []float32, lb BatchOperand, c []float32, lc BatchOperand, acc bool) {
	if outer <= 0 || inner <= 0 || m <= 0 || n <= 0 {
		return
	}
	ar, ac, br, bc := form.operands(m, n, k)
	need("GemmBatch", "a", a, la.at(outer-1, inner-1)+matLen(ar, ac, la.LD))
	need("GemmBatch", "b", b, lb.at(outer-1, inner-1)+matLen(br, bc, lb.LD))
	need("GemmBatch", "c", c, lc.at(outer-1, inner-1)+matLen(m, n, lc.LD))
	count := outer * inner
	g := gemmBatch{form: form, count: count, inner: inner, m: m, n: n, k: k, a: a, la: la, b: b, lb: lb, c: c, lc: lc, acc: acc}
	parts := partsFor(count*m*n*max(k, 1), count)
	if parts <= 1 {
		g.products(0, count)
		return
	}
	runSplit[gemmBatch](&gemmBatchJobs, g, parts)
}

// operands returns the stored shapes of A (ar×ac) and B (br×bc) of an m×n×k product of
// this form.
func (form MatForm) operands(m, n, k int) (ar, ac, br, bc int) {
	ar, ac, br, bc = m, k, k, n
	switch form {
	case FormNT:
		br, bc = n, k
	case FormTN:
		ar, ac = k, m
	}
	return ar, ac, br, bc
}

// gemmBatch is one GemmBatch's operands; count is outer·inner.
type gemmBatch struct {
	form         MatForm
	count, inner int
	m, n, k      int
	a, b, c      []float32
	la, lb, lc   BatchOperand
	acc          bool
}

var gemmBatchJobs = sync.Pool{New: func() any { return new(splitJob[gemmBatch, *gemmBatch]) }}

func (j *gemmBatch) runPart(p, parts int) {
	lo, hi := split(j.count, 1, p, parts)
	j.products(lo, hi)
}

// products runs products lo…hi-1 (product p is (p / inner, p % inner)) on this thread.
func (j *gemmBatch) products(lo, hi int) {
	for p := lo; p < hi; p++ {
		i, h := p/j.inner, p%j.inner
		a, b, c := j.a[j.la.at(i, h):], j.b[j.lb.at(i, h):], j.c[j.lc.at(i, h):]
		switch j.form {
		case FormNN:
			gemmOn(false, j.m, j.n, j.k, a, j.la.LD, plainB(b, j.lb.LD), c, j.lc.LD, j.acc, nil, 0)
		case FormNT:
			gemmNT(false, j.m, j.n, j.k, a, j.la.LD, b, j.lb.LD, c, j.lc.LD, j.acc)
		case FormTN:
			gemmAxpy("GemmTN", j.m, j.n, j.k, a, 1, j.la.LD, b, j.lb.LD, c, j.lc.LD, j.acc)
		}
	}
}
