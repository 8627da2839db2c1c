// Data movement and elementwise kernels split across threads (workers.go) by spans of their
// output: Binary and BinaryScalar by elements; Transpose, Concat, Affine, ResizeNearest and
// BinaryBroadcast by rows of their output. Each part
// runs the one-thread loop on its span, so the values are the same bits on any number of
// threads. Besides the time these memory-bound kernels take on one thread (~6% of the
// batch-32 transformer's), splitting them keeps each part's output in the cache of the thread
// that wrote it, where the next split kernel's part reads it.

package runtime

import "sync"

// spanWork is the work of one element of these kernels in minPartWork's units (multiply-adds
// of the GEMM kernels): on the Zen 5 an element of BinaryScalar takes ~0.07 ns, of a
// transpose ~0.03 ns, against 0.008 ns a multiply-add.
const spanWork = 6

// spanKernel names the kernel a spanJob runs.
type spanKernel uint8

const (
	spanBinary spanKernel = iota
	spanBinaryScalar
	spanTranspose
	spanConcat
	spanAffine
	spanResizeNearest
	spanBroadcast
)

// concatMaxSplit is the most inputs a Concat splits across threads with (its inputs ride in
// the job by value, so that the caller's slice of them does not escape).
const concatMaxSplit = 8

// spanOp is one call of a span-split kernel.
type spanOp struct {
	kernel      spanKernel
	n           int // elements (Binary, BinaryScalar) or output rows (Transpose)
	op          BinOp
	a, b, y     []float32
	s           float32
	scalarFirst bool
	o           odometer  // Transpose: at output row 0, its shape and x's strides
	last        int       // Transpose and Concat: output row length; Affine: its c
	scale       []float32 // Affine's
	shift       []float32
	resize      [5]int // ResizeNearest: h, w, c, oh, ow
	bcast       broadcastShape
	// Concat: its count inputs and their row lengths.
	count  int
	xs     [concatMaxSplit][]float32
	inners [concatMaxSplit]int
}

var spanJobs = sync.Pool{New: func() any { return new(splitJob[spanOp, *spanOp]) }}

// runSpans runs op whole here or, when worth it, split across the threads; elements is the
// number of output elements (the work).
func runSpans(op spanOp, elements int) {
	parts := partsFor(elements*spanWork, op.n)
	if parts <= 1 {
		op.span(0, op.n)
		return
	}
	runSplit[spanOp](&spanJobs, op, parts)
}

func (o *spanOp) runPart(p, parts int) {
	unit := 1
	if o.kernel == spanBinary || o.kernel == spanBinaryScalar {
		unit = 16 // whole cache lines of y
	}
	lo, hi := split(o.n, unit, p, parts)
	o.span(lo, hi)
}

// span runs the kernel on elements (or output rows) lo…hi-1.
func (o *spanOp) span(lo, hi int) {
	switch o.kernel {
	case spanBinary:
		binaryLoop(o.op, o.a[lo:hi], o.b[lo:hi], o.y[lo:hi])
	case spanBinaryScalar:
		binaryScalar(o.op, o.a[lo:hi], o.s, o.y[lo:hi], o.scalarFirst)
	case spanTranspose:
		od := o.o
		od.seek(lo)
		transposeRows(&od, o.a, o.y[lo*o.last:hi*o.last], o.last)
	case spanConcat:
		concatRows(o.inners[:o.count], o.xs[:o.count], o.y, o.last, lo, hi)
	case spanAffine:
		c := o.last
		affineRows(hi-lo, c, o.a[lo*c:hi*c], o.scale, o.shift, o.y[lo*c:hi*c])
	case spanBroadcast:
		g := &o.bcast
		broadcastRows(o.op, g.rank, &g.sh, &g.ast, &g.bst, o.a, o.b, o.y, lo, hi, false)
	case spanResizeNearest:
		r := o.resize
		resizeNearestRows(r[0], r[1], r[2], r[3], r[4], o.a, o.y, lo, hi)
	}
}
