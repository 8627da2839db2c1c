// Data movement: transpose, pad, slice, concatenate, repeat and resize.
//
// Contract: every tensor is dense in C order; shape-generic kernels take
// ranks ≤ 8 (a rank-0 shape is one element). Each kernel writes every
// element of its output and nothing else, reads only its inputs, and panics
// if a slice is shorter than its shape or the shape arguments are
// inconsistent (a perm that is no permutation, a slice past the end). The
// output must not overlap an input. Values are copied bit for bit, except
// by the resizes, which interpolate in float64 and round once.
//
// The resizes are Keras 3's ops.image.resize with antialias=False on NHWC
// images (Resizing, and UpSampling2D with interpolation="bilinear"), using
// half-pixel centers like TF2's tf.image.resize, JAX, and torch's
// interpolate(align_corners=False) that Keras' torch backend calls:
//
//	bilinear: src = max((o+0.5)*in/out - 0.5, 0); i0 = floor(src),
//	          i1 = min(i0+1, in-1); y = lerp(x[i0], x[i1], src-i0) per axis
//	nearest:  src = min(floor((o+0.5)*in/out), in-1), computed exactly
//
// UpSampling2D's default "nearest" is Repeat along each axis, not a resize.

package runtime

// odometer walks the rows of a C-order shape (every index of its leading
// rank-1 dimensions, in order) and keeps off, an offset into another tensor
// that strides describe.
type odometer struct {
	rank               int
	shape, stride, idx [maxRank]int
	off                int
}

// seek moves to row r (counting from the first, 0): every index of the leading rank-1
// dimensions from r, and off from them.
func (o *odometer) seek(r int) {
	o.off = 0
	for d := o.rank - 2; d >= 0; d-- {
		o.idx[d] = r % o.shape[d]
		r /= o.shape[d]
		o.off += o.idx[d] * o.stride[d]
	}
}

// next advances to the next row.
func (o *odometer) next() {
	for d := o.rank - 2; d >= 0; d-- {
		o.idx[d]++
		o.off += o.stride[d]
		if o.idx[d] < o.shape[d] {
			return
		}
		o.off -= o.idx[d] * o.stride[d]
		o.idx[d] = 0
	}
}

// cStrides returns the C-order element strides of shape and its size.
func cStrides(shape []int) (strides [maxRank]int, size int) {
	size = 1
	for d := len(shape) - 1; d >= 0; d-- {
		strides[d] = size
		size *= shape[d]
	}
	return strides, size
}

// Transpose sets y to x with its axes permuted: y's axis d is x's axis
// perm[d], so y has shape shape[perm[0]], shape[perm[1]], … (numpy
// transpose).
func Transpose(shape []int, perm []int, x, y []float32) {
	rank := len(shape)
	checkRank("Transpose", rank)
	if len(perm) != rank {
		panic("runtime.Transpose: perm and shape differ in length")
	}
	xs, total := cStrides(shape)
	need("Transpose", "x", x, total)
	need("Transpose", "y", y, total)
	o := odometer{rank: rank}
	var seen [maxRank]bool
	for d, p := range perm {
		if p < 0 || p >= rank || seen[p] {
			panic("runtime.Transpose: perm is not a permutation")
		}
		seen[p] = true
		o.shape[d], o.stride[d] = shape[p], xs[p]
	}
	if total == 0 {
		return
	}
	if rank == 0 {
		y[0] = x[0]
		return
	}
	last := o.shape[rank-1]
	if last == 0 {
		return
	}
	runSpans(spanOp{kernel: spanTranspose, n: total / last, a: x, y: y, o: o, last: last}, total)
}

// transposeRows writes y, whole rows of last elements of Transpose's output, from x, o at
// the first of them.
func transposeRows(o *odometer, x, y []float32, last int) {
	ls := o.stride[o.rank-1]
	for yo := 0; yo < len(y); yo += last {
		row := y[yo : yo+last]
		if ls == 1 {
			copy(row, x[o.off:o.off+last])
		} else {
			src := x[o.off:]
			for i := range row {
				row[i] = src[i*ls]
			}
		}
		o.next()
	}
}

// Pad sets y, of shape before[d]+shape[d]+after[d], to x surrounded by
// value (Keras ZeroPadding1D/2D/3D with value 0). Pads are non-negative.
func Pad(shape []int, before, after []int, value float32, x, y []float32) {
	rank := len(shape)
	checkRank("Pad", rank)
	if len(before) != rank || len(after) != rank {
		panic("runtime.Pad: pads and shape differ in length")
	}
	var yshape [maxRank]int
	for d := range shape {
		if before[d] < 0 || after[d] < 0 {
			panic("runtime.Pad: negative padding")
		}
		yshape[d] = before[d] + shape[d] + after[d]
	}
	ys, ytotal := cStrides(yshape[:rank])
	xtotal := prod(shape)
	need("Pad", "x", x, xtotal)
	need("Pad", "y", y, ytotal)
	for i := range y[:ytotal] {
		y[i] = value
	}
	if xtotal == 0 {
		return
	}
	if rank == 0 {
		y[0] = x[0]
		return
	}
	o := odometer{rank: rank, stride: ys}
	copy(o.shape[:], shape)
	for d := range shape {
		o.off += before[d] * ys[d]
	}
	last := shape[rank-1]
	for xo := 0; xo < xtotal; xo += last {
		copy(y[o.off:o.off+last], x[xo:xo+last])
		o.next()
	}
}

// Slice sets y, of shape size, to the block of x (of shape shape) that
// starts at begin: y[i] = x[begin+i] (Keras Cropping1D/2D/3D, ops.slice).
func Slice(shape []int, begin, size []int, x, y []float32) {
	rank := len(shape)
	checkRank("Slice", rank)
	if len(begin) != rank || len(size) != rank {
		panic("runtime.Slice: begin, size and shape differ in length")
	}
	xs, xtotal := cStrides(shape)
	o := odometer{rank: rank, stride: xs}
	for d := range shape {
		if begin[d] < 0 || size[d] < 0 || begin[d]+size[d] > shape[d] {
			panic("runtime.Slice: block outside the tensor")
		}
		o.shape[d] = size[d]
		o.off += begin[d] * xs[d]
	}
	ytotal := prod(size)
	need("Slice", "x", x, xtotal)
	need("Slice", "y", y, ytotal)
	if ytotal == 0 {
		return
	}
	if rank == 0 {
		y[0] = x[0]
		return
	}
	last := size[rank-1]
	for yo := 0; yo < ytotal; yo += last {
		copy(y[yo:yo+last], x[o.off:o.off+last])
		o.next()
	}
}

// Concat concatenates along one axis: each xs[i] is [outer, inners[i]]
// (the concatenated axis times everything after it, flattened) and y is
// [outer, Σ inners] (Keras Concatenate). With threads, bands of outer rows run in parallel
// (span_threads.go), up to concatMaxSplit inputs.
func Concat(outer int, inners []int, xs [][]float32, y []float32) {
	if len(xs) != len(inners) {
		panic("runtime.Concat: inputs and inners differ in length")
	}
	width := 0
	for i, inner := range inners {
		need("Concat", "input", xs[i], outer*inner)
		width += inner
	}
	need("Concat", "y", y, outer*width)
	if len(xs) > concatMaxSplit {
		concatRows(inners, xs, y, width, 0, outer)
		return
	}
	op := spanOp{kernel: spanConcat, n: outer, y: y, last: width, count: len(xs)}
	copy(op.inners[:], inners)
	copy(op.xs[:], xs)
	runSpans(op, outer*width)
}

// concatRows runs Concat on its outer rows lo…hi-1, in blocks of concatOuterBlock rows of y
// (48 KiB at 48 channels), each input's part of a block in one copyRows call: y's lines are
// written while they are in L1.
func concatRows(inners []int, xs [][]float32, y []float32, width, lo, hi int) {
	for o0 := lo; o0 < hi; o0 += concatOuterBlock {
		rows := min(concatOuterBlock, hi-o0)
		off := 0
		for i, inner := range inners {
			if inner > 0 {
				copyRows(y[o0*width+off:], width, xs[i][o0*inner:], inner, rows, inner)
			}
			off += inner
		}
	}
}

// concatOuterBlock is the number of output rows Concat fills input by input.
const concatOuterBlock = 256

// copyRowsMax is the longest row copyRows gives to its kernel (copyRowsAVX512): longer rows go
// through copy (runtime.memmove), whose per-call cost they repay.
const copyRowsMax = 256

// copyRowsGeneric is copyRows in Go, a copy call per row: the twin copyRowsAVX512 is tested
// against.
func copyRowsGeneric(dst []float32, ldd int, src []float32, lds, rows, n int) {
	for r := 0; r < rows; r++ {
		copy(dst[r*ldd:r*ldd+n], src[r*lds:r*lds+n])
	}
}

// Repeat sets y [outer, n*times, inner] to x [outer, n, inner] with each of
// the n blocks of inner elements repeated times times in a row (numpy
// repeat along an axis: UpSampling1D/2D/3D "nearest" once per axis,
// RepeatVector with n = 1).
func Repeat(outer, n, inner, times int, x, y []float32) {
	need("Repeat", "x", x, outer*n*inner)
	need("Repeat", "y", y, outer*n*times*inner)
	for b := 0; b < outer*n; b++ {
		src := x[b*inner : (b+1)*inner]
		dst := y[b*times*inner : (b+1)*times*inner]
		for t := 0; t < times; t++ {
			copy(dst[t*inner:], src)
		}
	}
}

// linearTap returns the two source positions and the weight of the second
// for output position o of a half-pixel bilinear resize from in to out.
func linearTap(o, in, out int) (i0, i1 int, frac float64) {
	src := (float64(o)+0.5)*float64(in)/float64(out) - 0.5
	if src < 0 {
		src = 0
	}
	i0 = min(int(src), in-1)
	i1 = min(i0+1, in-1)
	return i0, i1, src - float64(i0)
}

// nearestTap returns the source position of output position o of a
// half-pixel nearest resize from in to out: floor((o+0.5)*in/out), exactly.
func nearestTap(o, in, out int) int {
	return min((2*o+1)*in/(2*out), in-1)
}

// ResizeBilinear resizes x [n,h,w,c] to y [n,oh,ow,c] bilinearly with
// half-pixel centers (see the file comment). h and w must be positive
// unless the output is empty.
func ResizeBilinear(n, h, w, c, oh, ow int, x, y []float32) {
	need("ResizeBilinear", "x", x, n*h*w*c)
	need("ResizeBilinear", "y", y, n*oh*ow*c)
	// Output columns go in chunks whose taps are computed once and serve every row.
	var cols [64]bilinearCol
	for b := 0; b < n; b++ {
		img := x[b*h*w*c : (b+1)*h*w*c]
		out := y[b*oh*ow*c : (b+1)*oh*ow*c]
		for j0 := 0; j0 < ow; j0 += len(cols) {
			chunk := cols[:min(len(cols), ow-j0)]
			for j := range chunk {
				c0, c1, fx := linearTap(j0+j, w, ow)
				chunk[j] = bilinearCol{c0 * c, c1 * c, fx}
			}
			for i := 0; i < oh; i++ {
				r0, r1, fy := linearTap(i, h, oh)
				bilinearRow(out[(i*ow+j0)*c:(i*ow+j0+len(chunk))*c], img[r0*w*c:(r0+1)*w*c], img[r1*w*c:(r1+1)*w*c], chunk, c, fy)
			}
		}
	}
}

// bilinearCol is an output column's two source columns (their first elements in a row) and
// its weight on the second.
type bilinearCol struct {
	c0, c1 int
	fx     float64
}

// bilinearRow writes the output pixels of cols (c channels each) into dst from source rows
// row0 and row1, weight fy on row1.
func bilinearRow(dst, row0, row1 []float32, cols []bilinearCol, c int, fy float64) {
	for j := range cols {
		t := &cols[j]
		p00, p01 := row0[t.c0:t.c0+c], row0[t.c1:t.c1+c]
		p10, p11 := row1[t.c0:t.c0+c], row1[t.c1:t.c1+c]
		d, fx := dst[j*c:j*c+c], t.fx
		for k := range d {
			top := float64(p00[k])*(1-fx) + float64(p01[k])*fx
			bot := float64(p10[k])*(1-fx) + float64(p11[k])*fx
			d[k] = float32(top*(1-fy) + bot*fy)
		}
	}
}

// ResizeNearest resizes x [n,h,w,c] to y [n,oh,ow,c] by nearest neighbour
// with half-pixel centers (see the file comment). h and w must be positive
// unless the output is empty.
func ResizeNearest(n, h, w, c, oh, ow int, x, y []float32) {
	need("ResizeNearest", "x", x, n*h*w*c)
	need("ResizeNearest", "y", y, n*oh*ow*c)
	runSpans(spanOp{kernel: spanResizeNearest, n: n * oh, a: x, y: y, resize: [5]int{h, w, c, oh, ow}}, n*oh*ow*c)
}

// resizeNearestRows is ResizeNearest on output rows lo…hi-1 of the n·oh (row r is row r mod oh
// of image r / oh).
func resizeNearestRows(h, w, c, oh, ow int, x, y []float32, lo, hi int) {
	rowLen := ow * c
	for r := lo; r < hi; r++ {
		b, i := r/oh, r%oh
		img := x[b*h*w*c : (b+1)*h*w*c]
		out := y[r*rowLen:][:rowLen]
		src := nearestTap(i, h, oh)
		if i > 0 && r > lo && nearestTap(i-1, h, oh) == src {
			copy(out, y[(r-1)*rowLen:][:rowLen]) // the row above (this band's) read the same row
			continue
		}
		row := img[src*w*c:]
		if w > 0 && ow%w == 0 { // column j reads column j/f (nearestTap): f strided copies
			f := ow / w
			for t := range f {
				copyRows(out[t*c:], f*c, row, c, w, c)
			}
			continue
		}
		for j := 0; j < ow; j++ {
			copy(out[j*c:][:c], row[nearestTap(j, w, ow)*c:][:c])
		}
	}
}
