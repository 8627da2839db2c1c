// Softmax and LayerNorm split across threads by rows (workers.go): each part runs the
// one-thread row loop on a band of whole rows, so results do not depend on the threads.

package runtime

import "sync"

// rowWork is the work of one element of Softmax or LayerNorm in minPartWork's units
// (multiply-adds of the GEMM kernels): on the Zen 5 an element of either takes the time of
// ~25 multiply-adds (transformer b32: 0.23 ns against 0.008 ns).
const rowWork = 24

// rowKernel names the row-wise kernel a rowsJob runs.
type rowKernel uint8

const (
	rowsSoftmax rowKernel = iota
	rowsLayerNorm
)

// rowsOp is one call of a row-wise kernel: rows × cols values of x into y.
type rowsOp struct {
	kernel      rowKernel
	rows, cols  int
	x, y        []float32
	gamma, beta []float32 // LayerNorm's
	eps         float32
	rms         bool
}

var rowsJobs = sync.Pool{New: func() any { return new(splitJob[rowsOp, *rowsOp]) }}

// runRows runs op on rows lo…hi-1 here, or, when worth it, split across the threads.
func runRows(op rowsOp) {
	parts := partsFor(op.rows*op.cols*rowWork, op.rows)
	if parts <= 1 {
		op.band(0, op.rows)
		return
	}
	runSplit[rowsOp](&rowsJobs, op, parts)
}

func (o *rowsOp) runPart(p, parts int) {
	lo, hi := split(o.rows, 1, p, parts)
	o.band(lo, hi)
}

// band runs the kernel on rows lo…hi-1.
func (o *rowsOp) band(lo, hi int) {
	c := o.cols
	x, y := o.x[lo*c:hi*c], o.y[lo*c:hi*c]
	switch o.kernel {
	case rowsSoftmax:
		if vsoftmaxRows(hi-lo, c, x, y) {
			return
		}
		for r := 0; r < hi-lo; r++ {
			vsoftmax(x[r*c:r*c+c], y[r*c:r*c+c])
		}
	case rowsLayerNorm:
		for r := 0; r < hi-lo; r++ {
			vlayerNorm(x[r*c:r*c+c], y[r*c:r*c+c], o.gamma, o.beta, o.eps, o.rms)
		}
	}
}
