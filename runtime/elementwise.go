// Elementwise arithmetic and the Keras merge layers.
//
// Contract: Binary, BinaryScalar and Unary map n elements of their inputs to
// y[:n]; BinaryBroadcast maps a C-order output of a shape of rank ≤ 8 from
// two inputs read through element strides (0 for a broadcast dimension).
// The merge kernels (Sum, Average, Maximum, Minimum, Product) combine k
// equally shaped tensors in Keras' order (output = x0; output = op(output,
// xi) for i = 1…k-1). Arithmetic is float32 as in Keras; pow, exp, log,
// erf, sin and cos are evaluated in float64 and rounded once. Max and min
// propagate NaN (as numpy and torch maximum/minimum do); round is
// round-half-to-even (numpy, torch). y may be the same slice as any input
// of Binary, BinaryScalar and Unary, and as xs[0] or xs[1] of a merge (an
// element's inputs are read before it is written), but must not otherwise
// overlap an input. Each kernel writes y[:n] (or the whole broadcast
// output) and nothing else, and panics if a slice is shorter than n.

package runtime

import (
	"math"
	"strconv"
)

// BinOp names an elementwise binary operation.
type BinOp uint8

const (
	BinAdd         BinOp = iota // a + b
	BinSub                      // a - b
	BinMul                      // a * b
	BinDiv                      // a / b
	BinMax                      // max(a, b), NaN if either is NaN
	BinMin                      // min(a, b), NaN if either is NaN
	BinPow                      // a ** b
	BinSquaredDiff              // (a - b)²
	BinNotEqual                 // 1 where a != b, else 0 (masks)
)

// UnOp names an elementwise unary operation.
type UnOp uint8

const (
	UnNeg        UnOp = iota // -x
	UnExp                    // exp(x)
	UnLog                    // log(x)
	UnSqrt                   // sqrt(x)
	UnRsqrt                  // 1/sqrt(x)
	UnAbs                    // |x|
	UnSquare                 // x*x
	UnReciprocal             // 1/x
	UnSign                   // -1, 0 or 1 (NaN for NaN)
	UnFloor                  // floor(x)
	UnCeil                   // ceil(x)
	UnRound                  // round half to even
	UnErf                    // erf(x)
	UnSin                    // sin(x)
	UnCos                    // cos(x)
)

// applyBin returns a op b.
func applyBin(op BinOp, a, b float32) float32 {
	switch op {
	case BinAdd:
		return a + b
	case BinSub:
		return a - b
	case BinMul:
		return a * b
	case BinDiv:
		return a / b
	case BinMax:
		if a > b || a != a {
			return a
		}
		return b
	case BinMin:
		if a < b || a != a {
			return a
		}
		return b
	case BinPow:
		return float32(math.Pow(float64(a), float64(b)))
	case BinSquaredDiff:
		d := a - b
		return d * d
	case BinNotEqual:
		if a != b {
			return 1
		}
		return 0
	}
	panic("runtime: unknown BinOp " + strconv.Itoa(int(op)))
}

// Binary sets y[i] = a[i] op b[i] for i < n (with threads, spans of y in parallel).
func Binary(op BinOp, n int, a, b, y []float32) {
	need("Binary", "a", a, n)
	need("Binary", "b", b, n)
	need("Binary", "y", y, n)
	runSpans(spanOp{kernel: spanBinary, n: n, op: op, a: a, b: b, y: y}, n)
}

// binaryLoop is Binary's one-thread loop on equal-length a, b and y; sums and differences run
// on the addRows kernels.
func binaryLoop(op BinOp, a, b, y []float32) {
	switch op {
	case BinAdd, BinSub:
		addRows(1, len(y), y, len(y), a, len(y), b, len(y), op == BinSub)
	case BinMul:
		for i := range y {
			y[i] = a[i] * b[i]
		}
	case BinDiv:
		for i := range y {
			y[i] = a[i] / b[i]
		}
	default:
		for i := range y {
			y[i] = applyBin(op, a[i], b[i])
		}
	}
}

// BinaryScalar sets y[i] = a[i] op s, or s op a[i] when scalarFirst, for
// i < n (with threads, spans of y in parallel).
func BinaryScalar(op BinOp, n int, a []float32, s float32, y []float32, scalarFirst bool) {
	need("BinaryScalar", "a", a, n)
	need("BinaryScalar", "y", y, n)
	runSpans(spanOp{kernel: spanBinaryScalar, n: n, op: op, a: a, s: s, y: y, scalarFirst: scalarFirst}, n)
}

// binaryScalar is BinaryScalar's one-thread loop on equal-length a and y. Sums and products
// are Affine's one-value form (affineRows): x·1 + s and x·s + (−0), on the affine kernels
// (adding −0 changes no value, not even a zero's sign).
func binaryScalar(op BinOp, a []float32, s float32, y []float32, scalarFirst bool) {
	v := [1]float32{s}
	a = a[:len(y)]
	switch {
	case op == BinAdd:
		affineRows(len(y), 1, a, nil, v[:], y)
	case op == BinMul:
		affineRows(len(y), 1, a, v[:], nil, y)
	case scalarFirst:
		for i := range y {
			y[i] = applyBin(op, s, a[i])
		}
	default:
		for i := range y {
			y[i] = applyBin(op, a[i], s)
		}
	}
}

// BinaryBroadcast sets y, dense in C order with the given shape (rank ≤ 8),
// to a op b, reading a[Σ idx[d]*aStrides[d]] and b[Σ idx[d]*bStrides[d]]
// for each index idx; a broadcast dimension has stride 0. Strides are in
// elements and must be non-negative. y must not overlap a or b unless the
// overlapping input is read with y's own dense strides.
func BinaryBroadcast(op BinOp, shape []int, a []float32, aStrides []int, b []float32, bStrides []int, y []float32) {
	rank := len(shape)
	checkRank("BinaryBroadcast", rank)
	if len(aStrides) != rank || len(bStrides) != rank {
		panic("runtime.BinaryBroadcast: strides do not match the shape's rank")
	}
	total := prod(shape)
	need("BinaryBroadcast", "y", y, total)
	if total == 0 {
		return
	}
	aSpan, bSpan := 1, 1
	for d, n := range shape {
		aSpan += (n - 1) * aStrides[d]
		bSpan += (n - 1) * bStrides[d]
	}
	need("BinaryBroadcast", "a", a, aSpan)
	need("BinaryBroadcast", "b", b, bSpan)
	var sh, ast, bst [maxRank]int
	rank = collapseDims(shape, aStrides, bStrides, &sh, &ast, &bst)
	if rank == 0 {
		y[0] = applyBin(op, a[0], b[0])
		return
	}
	if rank == 1 { // one row: Binary or BinaryScalar split it by elements
		broadcastRows(op, rank, &sh, &ast, &bst, a, b, y, 0, 1, true)
		return
	}
	rows := total / sh[rank-1]
	runSpans(spanOp{kernel: spanBroadcast, n: rows, op: op, a: a, b: b, y: y, bcast: broadcastShape{rank, sh, ast, bst}}, total)
}

// broadcastShape is a BinaryBroadcast's collapsed shape and strides (collapseDims).
type broadcastShape struct {
	rank         int
	sh, ast, bst [maxRank]int
}

// broadcastRows runs BinaryBroadcast on rows lo…hi-1 of its collapsed shape (a row is its last
// dimension, sh[rank-1] elements), each row on the one-thread loops, or on Binary and
// BinaryScalar (split by elements) when split is set.
func broadcastRows(op BinOp, rank int, sh, ast, bst *[maxRank]int, a, b, y []float32, lo, hi int, split bool) {
	last := sh[rank-1]
	as, bs := ast[rank-1], bst[rank-1]
	// The odometer at row lo.
	var idx [maxRank]int
	ao, bo := 0, 0
	for d, r := rank-2, lo; d >= 0; d-- {
		idx[d] = r % sh[d]
		r /= sh[d]
		ao += idx[d] * ast[d]
		bo += idx[d] * bst[d]
	}
	for yo := lo * last; yo < hi*last; yo += last {
		row := y[yo : yo+last]
		switch {
		case as == 1 && bs == 1 && split:
			Binary(op, last, a[ao:], b[bo:], row)
		case as == 1 && bs == 1:
			binaryLoop(op, a[ao:ao+last], b[bo:bo+last], row)
		case as == 1 && bs == 0 && split:
			BinaryScalar(op, last, a[ao:], b[bo], row, false)
		case as == 1 && bs == 0:
			binaryScalar(op, a[ao:ao+last], b[bo], row, false)
		case as == 0 && bs == 1 && split:
			BinaryScalar(op, last, b[bo:], a[ao], row, true)
		case as == 0 && bs == 1:
			binaryScalar(op, b[bo:bo+last], a[ao], row, true)
		default:
			for i := range row {
				row[i] = applyBin(op, a[ao+i*as], b[bo+i*bs])
			}
		}
		// Advance the index over the outer dimensions (an odometer).
		for d := rank - 2; d >= 0; d-- {
			idx[d]++
			ao += ast[d]
			bo += bst[d]
			if idx[d] < sh[d] {
				break
			}
			ao -= idx[d] * ast[d]
			bo -= idx[d] * bst[d]
			idx[d] = 0
		}
	}
}

// collapseDims writes to sh, as and bs the shape and strides of a BinaryBroadcast with its
// dimensions of size 1 dropped and each pair of adjacent dimensions that both inputs step
// through as one (the outer stride is the inner one times the inner size; y is dense) merged,
// and returns their number: the innermost loop then runs as long as it can ([n, 128, 128]
// plus a [128, 128] broadcast over n is n rows of 16,384, not 128·n rows of 128).
func collapseDims(shape, aStrides, bStrides []int, sh, as, bs *[maxRank]int) int {
	r := 0
	for d, n := range shape {
		switch {
		case n == 1:
		case r > 0 && as[r-1] == aStrides[d]*n && bs[r-1] == bStrides[d]*n:
			sh[r-1] *= n
			as[r-1], bs[r-1] = aStrides[d], bStrides[d]
		default:
			sh[r], as[r], bs[r] = n, aStrides[d], bStrides[d]
			r++
		}
	}
	return r
}

// Unary sets y[i] = op(x[i]) for i < n.
func Unary(op UnOp, n int, x, y []float32) {
	need("Unary", "x", x, n)
	need("Unary", "y", y, n)
	x, y = x[:n], y[:n]
	switch op {
	case UnNeg:
		for i, v := range x {
			y[i] = -v
		}
	case UnExp:
		for i, v := range x {
			y[i] = float32(math.Exp(float64(v)))
		}
	case UnLog:
		for i, v := range x {
			y[i] = float32(math.Log(float64(v)))
		}
	case UnSqrt:
		for i, v := range x {
			y[i] = float32(math.Sqrt(float64(v)))
		}
	case UnRsqrt:
		for i, v := range x {
			y[i] = float32(1 / math.Sqrt(float64(v)))
		}
	case UnAbs:
		for i, v := range x {
			y[i] = math.Float32frombits(math.Float32bits(v) &^ (1 << 31))
		}
	case UnSquare:
		for i, v := range x {
			y[i] = v * v
		}
	case UnReciprocal:
		for i, v := range x {
			y[i] = 1 / v
		}
	case UnSign:
		for i, v := range x {
			switch {
			case v > 0:
				y[i] = 1
			case v < 0:
				y[i] = -1
			case v == 0:
				y[i] = 0
			default:
				y[i] = v // NaN
			}
		}
	case UnFloor:
		for i, v := range x {
			y[i] = float32(math.Floor(float64(v)))
		}
	case UnCeil:
		for i, v := range x {
			y[i] = float32(math.Ceil(float64(v)))
		}
	case UnRound:
		for i, v := range x {
			y[i] = float32(math.RoundToEven(float64(v)))
		}
	case UnErf:
		for i, v := range x {
			y[i] = float32(math.Erf(float64(v)))
		}
	case UnSin:
		for i, v := range x {
			y[i] = float32(math.Sin(float64(v)))
		}
	case UnCos:
		for i, v := range x {
			y[i] = float32(math.Cos(float64(v)))
		}
	default:
		panic("runtime.Unary: unknown UnOp " + strconv.Itoa(int(op)))
	}
}

// merge sets y = xs[0] op xs[1] op … over n elements, left to right.
func merge(kernel string, op BinOp, n int, xs [][]float32, y []float32) {
	if len(xs) == 0 {
		panic("runtime." + kernel + ": no inputs")
	}
	for _, x := range xs {
		need(kernel, "input", x, n)
	}
	need(kernel, "y", y, n)
	if len(xs) == 1 {
		copy(y[:n], xs[0][:n])
		return
	}
	Binary(op, n, xs[0], xs[1], y)
	for _, x := range xs[2:] {
		Binary(op, n, y, x, y)
	}
}

// Sum sets y to the elementwise sum of the k tensors xs, each n elements
// (Keras Add).
func Sum(n int, xs [][]float32, y []float32) { merge("Sum", BinAdd, n, xs, y) }

// Average sets y to the elementwise mean of xs (Keras Average: the sum,
// then divided by k).
func Average(n int, xs [][]float32, y []float32) {
	merge("Average", BinAdd, n, xs, y)
	k := float32(len(xs))
	for i := range y[:n] {
		y[i] /= k
	}
}

// Maximum sets y to the elementwise maximum of xs (Keras Maximum).
func Maximum(n int, xs [][]float32, y []float32) { merge("Maximum", BinMax, n, xs, y) }

// Minimum sets y to the elementwise minimum of xs (Keras Minimum).
func Minimum(n int, xs [][]float32, y []float32) { merge("Minimum", BinMin, n, xs, y) }

// Product sets y to the elementwise product of xs (Keras Multiply).
func Product(n int, xs [][]float32, y []float32) { merge("Product", BinMul, n, xs, y) }
