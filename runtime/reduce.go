// Reductions over one axis.
//
// Contract: x is [outer, axis, inner] (the reduced axis and everything
// before and after it, flattened), y is [outer, inner]. Sums and means
// accumulate in float64 and round once, so they are at least as accurate as
// Keras' float32 reductions (on amd64 the column sums of a sum or mean over a
// non-last axis run on the colSums kernels of asm/pool, in the same order, so
// to the same bits); the max and min propagate NaN. Over an empty
// axis the sum is 0, the mean NaN, the max -Inf and the min +Inf. A
// reduction over several adjacent axes is one call with their product as
// axis. Each kernel writes all of y[:outer*inner] and nothing else, reads
// only x, and panics if a slice is shorter than its shape.

package runtime

import "math"

type reduceKind uint8

const (
	reduceSum reduceKind = iota
	reduceMean
	reduceMax
	reduceMin
)

// reduceBlock is how many adjacent inner positions one pass accumulates
// (four 64-byte cache lines of x per step along the axis).
const reduceBlock = 64

// ReduceSum sets y[o, i] = Σ_a x[o, a, i].
func ReduceSum(outer, axis, inner int, x, y []float32) {
	reduce("ReduceSum", outer, axis, inner, x, y, reduceSum)
}

// ReduceMean sets y[o, i] = Σ_a x[o, a, i] / axis.
func ReduceMean(outer, axis, inner int, x, y []float32) {
	reduce("ReduceMean", outer, axis, inner, x, y, reduceMean)
}

// ReduceMax sets y[o, i] = max_a x[o, a, i].
func ReduceMax(outer, axis, inner int, x, y []float32) {
	reduce("ReduceMax", outer, axis, inner, x, y, reduceMax)
}

// ReduceMin sets y[o, i] = min_a x[o, a, i].
func ReduceMin(outer, axis, inner int, x, y []float32) {
	reduce("ReduceMin", outer, axis, inner, x, y, reduceMin)
}

func reduce(kernel string, outer, axis, inner int, x, y []float32, kind reduceKind) {
	need(kernel, "x", x, outer*axis*inner)
	need(kernel, "y", y, outer*inner)
	for o := 0; o < outer; o++ {
		reduceAxis(axis, inner, x[o*axis*inner:], y[o*inner:][:inner], kind)
	}
}

// reduceAxis reduces x [axis, inner] over axis into y [inner].
func reduceAxis(axis, inner int, x, y []float32, kind reduceKind) {
	if axis == 0 {
		v := reduceContiguous(nil, kind) // the empty reduction's value
		for j := range y {
			y[j] = v
		}
		return
	}
	if inner == 1 {
		y[0] = reduceContiguous(x[:axis], kind)
		return
	}
	for j0 := 0; j0 < inner; j0 += reduceBlock {
		yb := y[j0:min(j0+reduceBlock, inner)]
		switch kind {
		case reduceSum, reduceMean:
			var acc [reduceBlock]float64
			a := acc[:len(yb)]
			// The column-sum kernels (amd64) take the leading columns, in the same order.
			j := sumColumnsAsm(axis, inner, x[j0:], a)
			for ; j+8 <= len(a); j += 8 {
				sumColumns8(axis, inner, x[j0+j:], (*[8]float64)(a[j:]))
			}
			if j < len(a) {
				for i := 0; i < axis; i++ {
					for jj, v := range x[i*inner+j0+j:][:len(a)-j] {
						a[j+jj] += float64(v)
					}
				}
			}
			if kind == reduceMean {
				for j := range a {
					a[j] /= float64(axis)
				}
			}
			for j := range yb {
				yb[j] = float32(a[j])
			}
		case reduceMax:
			for j := range yb {
				yb[j] = negInf
			}
			for i := 0; i < axis; i++ {
				maxTo(yb, x[i*inner+j0:])
			}
		case reduceMin:
			for j := range yb {
				yb[j] = -negInf
			}
			for i := 0; i < axis; i++ {
				minTo(yb, x[i*inner+j0:])
			}
		}
	}
}

// sumColumns8 adds Σ_i x[i*inner + j] to a[j] for the 8 columns j < 8, in float64, i in order
// (the sums of reduceAxis, eight of them held in registers rather than in memory).
func sumColumns8(axis, inner int, x []float32, a *[8]float64) {
	s0, s1, s2, s3, s4, s5, s6, s7 := a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]
	for i := 0; i < axis; i++ {
		r := (*[8]float32)(x[i*inner:])
		s0 += float64(r[0])
		s1 += float64(r[1])
		s2 += float64(r[2])
		s3 += float64(r[3])
		s4 += float64(r[4])
		s5 += float64(r[5])
		s6 += float64(r[6])
		s7 += float64(r[7])
	}
	a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7] = s0, s1, s2, s3, s4, s5, s6, s7
}

// reduceContiguous reduces the contiguous values x.
func reduceContiguous(x []float32, kind reduceKind) float32 {
	switch kind {
	case reduceSum, reduceMean:
		var s float64
		for _, v := range x {
			s += float64(v)
		}
		if kind == reduceMean {
			s /= float64(len(x))
		}
		return float32(s)
	case reduceMax:
		m := negInf
		for _, v := range x {
			if v > m || v != v {
				m = v
			}
		}
		return m
	default:
		m := float32(math.Inf(1))
		for _, v := range x {
			if v < m || v != v {
				m = v
			}
		}
		return m
	}
}

// minTo sets y[j] = min(y[j], x[j]), NaN winning.
func minTo(y, x []float32) {
	x = x[:len(y)]
	for j, v := range y {
		if u := x[j]; u < v || u != u {
			y[j] = u
		}
	}
}
