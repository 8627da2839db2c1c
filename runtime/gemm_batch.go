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

// GemmBatch computes count independent products of one form and shape, product i reading
// a[i·sa:], b[i·sb:] and writing c[i·sc:] (row strides lda, ldb, ldc within each), each
// exactly as Gemm, GemmNT or GemmTN computes it alone, plus C's old value when acc. With
// threads (workers.go), whole products are split among the parts, each part running the
// one-thread kernels, when each part gets minPartWork; one thread runs them in order.
func GemmBatch(form MatForm, count, m, n, k int, a []float32, sa, lda int, b []float32, sb, ldb int, c []float32, sc, ldc int, acc bool) {
	if count <= 0 || m <= 0 || n <= 0 {
		return
	}
	ar, ac, br, bc := form.operands(m, n, k)
	need("GemmBatch", "a", a, (count-1)*sa+matLen(ar, ac, lda))
	need("GemmBatch", "b", b, (count-1)*sb+matLen(br, bc, ldb))
	need("GemmBatch", "c", c, (count-1)*sc+matLen(m, n, ldc))
	g := gemmBatch{form: form, count: count, m: m, n: n, k: k, a: a, sa: sa, lda: lda, b: b, sb: sb, ldb: ldb, c: c, sc: sc, ldc: ldc, acc: acc}
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

// gemmBatch is one GemmBatch's operands.
type gemmBatch struct {
	form           MatForm
	count, m, n, k int
	a, b, c        []float32
	sa, sb, sc     int
	lda, ldb, ldc  int
	acc            bool
}

var gemmBatchJobs = sync.Pool{New: func() any { return new(splitJob[gemmBatch, *gemmBatch]) }}

func (j *gemmBatch) runPart(p, parts int) {
	lo, hi := split(j.count, 1, p, parts)
	j.products(lo, hi)
}

// products runs products lo…hi-1 on this thread.
func (j *gemmBatch) products(lo, hi int) {
	for i := lo; i < hi; i++ {
		a, b, c := j.a[i*j.sa:], j.b[i*j.sb:], j.c[i*j.sc:]
		switch j.form {
		case FormNN:
			gemmOn(false, j.m, j.n, j.k, a, j.lda, plainB(b, j.ldb), c, j.ldc, j.acc, nil, 0)
		case FormNT:
			gemmNT(false, j.m, j.n, j.k, a, j.lda, b, j.ldb, c, j.ldc, j.acc)
		case FormTN:
			gemmAxpy("GemmTN", j.m, j.n, j.k, a, 1, j.lda, b, j.ldb, c, j.ldc, j.acc)
		}
	}
}
