package runtime

import (
	"fmt"
	"testing"
)

// TestSpansThreads checks Transpose, Binary, BinaryScalar and Concat split across threads by
// spans of their output against their one-thread results, bit for bit: transposes of rank 1–4
// (the last axis moved or kept, rows split mid-way through the leading axes), elementwise
// lengths off the cache-line unit, concatenations of 2–9 inputs (nine run on one thread) of
// rows off a block of concatOuterBlock rows, Affine in each of its forms (per-channel vectors
// of c ≥ 16 and of c < 16, one value, a missing scale or shift), nearest resizes by 2 and by
// other factors (rows that copy the row above, across part boundaries too), broadcasts split
// by rows (rows of both inputs, of one input and a scalar, of strided elements; row counts
// a part boundary splits mid-way through the outer dimensions); nothing written outside y,
// nothing allocated when warm.
func TestSpansThreads(t *testing.T) {
	r := newRand(51)
	type tc struct {
		name string
		size int
		f    func(y []float32)
	}
	var cases []tc
	for _, c := range []struct{ shape, perm []int }{
		{[]int{5000}, []int{0}},
		{[]int{300, 70}, []int{1, 0}},
		{[]int{7, 128, 4, 32}, []int{0, 2, 1, 3}},
		{[]int{3, 50, 6, 9}, []int{2, 0, 3, 1}},
		{[]int{9, 11, 130}, []int{1, 0, 2}},
	} {
		x := randSlice(r, prod(c.shape))
		cases = append(cases, tc{fmt.Sprintf("Transpose %v %v", c.shape, c.perm), len(x), func(y []float32) { Transpose(c.shape, c.perm, x, y) }})
	}
	for _, n := range []int{1, 17, 4099, 100003} {
		a, b := randSlice(r, n), randSlice(r, n)
		for _, op := range []BinOp{BinAdd, BinMul, BinSub, BinMax} {
			cases = append(cases,
				tc{fmt.Sprintf("Binary %d n=%d", op, n), n, func(y []float32) { Binary(op, n, a, b, y) }},
				tc{fmt.Sprintf("BinaryScalar %d n=%d", op, n), n, func(y []float32) { BinaryScalar(op, n, a, 0.37, y, op == BinSub) }})
		}
	}
	for _, c := range []struct {
		outer  int
		inners []int
	}{
		{100000, []int{8, 8}},
		{1000, []int{3, 0, 17}},
		{70001, []int{16, 32, 1, 5}},
		{5000, []int{4, 4, 4, 4, 4, 4, 4, 4, 4}},
	} {
		xs := make([][]float32, len(c.inners))
		width := 0
		for i, inner := range c.inners {
			xs[i] = randSlice(r, c.outer*inner)
			width += inner
		}
		cases = append(cases, tc{fmt.Sprintf("Concat %d×%v", c.outer, c.inners), c.outer * width, func(y []float32) { Concat(c.outer, c.inners, xs, y) }})
	}
	for _, c := range []struct {
		rows, c        int
		nScale, nShift int // 0: nil, 1: one value, else c
	}{
		{50000, 32, 32, 32}, {100003, 3, 3, 3}, {30001, 1, 1, 1}, {40000, 5, 0, 5}, {20000, 24, 1, 0},
	} {
		x := randSlice(r, c.rows*c.c)
		var scale, shift []float32
		if c.nScale > 0 {
			scale = randSlice(r, c.nScale)
		}
		if c.nShift > 0 {
			shift = randSlice(r, c.nShift)
		}
		cases = append(cases, tc{fmt.Sprintf("Affine %d×%d scale %d shift %d", c.rows, c.c, c.nScale, c.nShift), c.rows * c.c,
			func(y []float32) { Affine(c.rows, c.c, x, scale, shift, y) }})
	}
	for _, c := range [][6]int{{2, 56, 56, 16, 112, 112}, {3, 40, 30, 8, 100, 45}, {1, 200, 100, 4, 300, 200}} {
		n, h, w, ch, oh, ow := c[0], c[1], c[2], c[3], c[4], c[5]
		x := randSlice(r, n*h*w*ch)
		cases = append(cases, tc{fmt.Sprintf("ResizeNearest %v", c), n * oh * ow * ch,
			func(y []float32) { ResizeNearest(n, h, w, ch, oh, ow, x, y) }})
	}
	for _, c := range []struct{ shape, aShape, bShape []int }{
		{[]int{32, 128, 128}, []int{32, 128, 128}, []int{1, 128, 128}},
		{[]int{7, 33, 50}, []int{7, 33, 50}, []int{7, 1, 50}},
		{[]int{9, 40, 300}, []int{9, 40, 1}, []int{9, 40, 300}},
		{[]int{300, 50, 7}, []int{300, 1, 7}, []int{1, 50, 1}},
	} {
		a, b := randSlice(r, prod(c.aShape)), randSlice(r, prod(c.bShape))
		as, bs := broadcastStrides(c.aShape), broadcastStrides(c.bShape)
		for _, op := range []BinOp{BinAdd, BinMul, BinMax} {
			cases = append(cases, tc{fmt.Sprintf("BinaryBroadcast %d %v %v", op, c.aShape, c.bShape), prod(c.shape),
				func(y []float32) { BinaryBroadcast(op, c.shape, a, as, b, bs, y) }})
		}
	}
	for _, c := range cases {
		want := make([]float32, c.size)
		c.f(want)
		withThreads(3, func() {
			if c.size*spanWork >= 3*minPartWork && c.size >= 3*16 {
				if p := partsFor(c.size*spanWork, c.size); p < 3 {
					t.Fatalf("%s: %d parts", c.name, p)
				}
			}
			got := newGuarded(c.size)
			c.f(got.s)
			got.check(t, c.name)
			if i := firstDiff(got.s, want); i >= 0 {
				t.Fatalf("%s: element %d = %v, want %v", c.name, i, got.s[i], want[i])
			}
			requireNoAllocs(t, c.name, func() { c.f(got.s) })
		})
	}
}

// broadcastStrides returns the strides of a dense array of shape in a broadcast: 0 along its
// dimensions of size 1.
func broadcastStrides(shape []int) []int {
	st := make([]int, len(shape))
	n := 1
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] > 1 {
			st[d] = n
		}
		n *= shape[d]
	}
	return st
}
