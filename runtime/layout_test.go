package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// unravel returns the C-order multi-index of flat index i in shape.
func unravel(i int, shape []int) []int {
	idx := make([]int, len(shape))
	for d := len(shape) - 1; d >= 0; d-- {
		idx[d] = i % shape[d]
		i /= shape[d]
	}
	return idx
}

// ravel returns the flat C-order index of idx in shape.
func ravel(idx, shape []int) int {
	i := 0
	for d, v := range idx {
		i = i*shape[d] + v
	}
	return i
}

func randShape(r *rand.Rand, rank, maxDim int) []int {
	shape := make([]int, rank)
	for d := range shape {
		shape[d] = 1 + r.IntN(maxDim)
	}
	return shape
}

func TestTranspose(t *testing.T) {
	r := newRand(27)
	for iter := 0; iter < 300; iter++ {
		rank := iter % 9
		shape := randShape(r, rank, 4)
		if rank > 0 && iter%7 == 0 {
			shape[r.IntN(rank)] = 0
		}
		perm := r.Perm(rank)
		yshape := make([]int, rank)
		for d, p := range perm {
			yshape[d] = shape[p]
		}
		x := randSlice(r, prod(shape))
		want := make([]float32, len(x))
		for i := range want {
			yi := unravel(i, yshape)
			xi := make([]int, rank)
			for d, p := range perm {
				xi[p] = yi[d]
			}
			want[i] = x[ravel(xi, shape)]
		}
		y := newGuarded(len(x))
		Transpose(shape, perm, x, y.s)
		what := name("Transpose %v %v", shape, perm)
		y.check(t, what)
		requireEqual(t, what, y.s, want)
	}
	y := make([]float32, 6)
	Transpose([]int{2, 3}, []int{1, 0}, []float32{1, 2, 3, 4, 5, 6}, y)
	requireEqual(t, "hand", y, []float32{1, 4, 2, 5, 3, 6})
	require.Panics(t, func() { Transpose([]int{2, 3}, []int{0, 0}, y, y) })
	require.Panics(t, func() { Transpose([]int{2, 3}, []int{0}, y, y) })
}

func TestPadSlice(t *testing.T) {
	r := newRand(28)
	for iter := 0; iter < 300; iter++ {
		rank := iter % 9
		shape := randShape(r, rank, 3)
		before, after := make([]int, rank), make([]int, rank)
		yshape := make([]int, rank)
		maxPad := 3
		if rank > 4 {
			maxPad = 2 // keeps rank-8 outputs small
		}
		for d := range shape {
			before[d], after[d] = r.IntN(maxPad), r.IntN(maxPad)
			yshape[d] = before[d] + shape[d] + after[d]
		}
		x := randSlice(r, prod(shape))
		want := make([]float32, prod(yshape))
		for i := range want {
			yi := unravel(i, yshape)
			inside := true
			xi := make([]int, rank)
			for d := range yi {
				xi[d] = yi[d] - before[d]
				inside = inside && xi[d] >= 0 && xi[d] < shape[d]
			}
			want[i] = -7
			if inside {
				want[i] = x[ravel(xi, shape)]
			}
		}
		y := newGuarded(len(want))
		Pad(shape, before, after, -7, x, y.s)
		what := name("Pad %v %v %v", shape, before, after)
		y.check(t, what)
		requireEqual(t, what, y.s, want)
		// Slicing the padded tensor back gives x.
		back := newGuarded(len(x))
		Slice(yshape, before, shape, y.s, back.s)
		back.check(t, "Slice")
		requireEqual(t, name("Slice %v", yshape), back.s, x)
	}
	y := make([]float32, 12)
	Pad([]int{2, 2}, []int{1, 0}, []int{0, 1}, 0, []float32{1, 2, 3, 4}, y[:9])
	requireEqual(t, "pad hand", y[:9], []float32{0, 0, 0, 1, 2, 0, 3, 4, 0})
	Slice([]int{3, 4}, []int{1, 1}, []int{2, 2}, []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, y[:4])
	requireEqual(t, "slice hand", y[:4], []float32{5, 6, 9, 10})
	Slice([]int{3, 4}, []int{1, 1}, []int{0, 2}, y, y[:0]) // empty
	require.Panics(t, func() { Slice([]int{3, 4}, []int{2, 0}, []int{2, 4}, y, y) })
	require.Panics(t, func() { Pad([]int{2}, []int{-1}, []int{0}, 0, y, y) })
}

func TestConcat(t *testing.T) {
	r := newRand(29)
	for _, c := range []struct {
		outer  int
		inners []int
	}{{1, []int{3}}, {2, []int{1, 2, 3}}, {3, []int{4, 0, 5}}, {0, []int{2, 2}}, {5, []int{7, 9}},
		{600, []int{32, 16}}, {257, []int{300, 5, 17}}} { // blocks of concatOuterBlock rows; a row past copyRowsMax
		xs := make([][]float32, len(c.inners))
		var want []float32
		for i, in := range c.inners {
			xs[i] = randSlice(r, c.outer*in)
		}
		for o := 0; o < c.outer; o++ {
			for i, in := range c.inners {
				want = append(want, xs[i][o*in:(o+1)*in]...)
			}
		}
		y := newGuarded(len(want))
		Concat(c.outer, c.inners, xs, y.s)
		y.check(t, "Concat")
		requireEqual(t, name("Concat %v", c), y.s, want)
	}
	y := make([]float32, 6)
	Concat(2, []int{1, 2}, [][]float32{{1, 2}, {3, 4, 5, 6}}, y)
	requireEqual(t, "hand", y, []float32{1, 3, 4, 2, 5, 6})
}

// TestCopyRowsTwin requires copyRows (on AVX-512 copyRowsAVX512) to copy what its Go twin
// copies at each level: rows of 1…40 floats and around copyRowsMax, 0…5 rows, strides past the
// rows, src and dst at every offset 0…3; nothing outside the rows written (a guard band, the
// gaps between rows kept).
func TestCopyRowsTwin(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(31)
		for _, n := range append([]int{copyRowsMax - 1, copyRowsMax, copyRowsMax + 1}, intsFrom(1, 40)...) {
			for rows := 0; rows <= 5; rows++ {
				ldd, lds := n+r.IntN(5), n+r.IntN(5)
				os, od := r.IntN(4), r.IntN(4)
				src := randSlice(r, os+max(0, matLen(rows, n, lds)))[os:]
				old := randSlice(r, od+max(0, matLen(rows, n, ldd)))
				got := newGuarded(len(old)).fill(old)
				want := clone(old)
				copyRows(got.s[od:], ldd, src, lds, rows, n)
				copyRowsGeneric(want[od:], ldd, src, lds, rows, n)
				what := name("%s copyRows %d rows of %d, ldd %d lds %d", CPULevel(), rows, n, ldd, lds)
				got.check(t, what)
				requireEqual(t, what, got.s, want)
			}
		}
	})
}

// intsFrom returns lo, lo+1, …, hi.
func intsFrom(lo, hi int) []int {
	var s []int
	for i := lo; i <= hi; i++ {
		s = append(s, i)
	}
	return s
}

func TestRepeat(t *testing.T) {
	y := newGuarded(12)
	// x [1, 2, 2]: blocks [1 2] and [3 4], each 3 times.
	Repeat(1, 2, 2, 3, []float32{1, 2, 3, 4}, y.s)
	y.check(t, "Repeat")
	requireEqual(t, "repeat", y.s, []float32{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4})
	// RepeatVector(2) of a batch of 2 vectors.
	y = newGuarded(8)
	Repeat(2, 1, 2, 2, []float32{1, 2, 3, 4}, y.s)
	y.check(t, "RepeatVector")
	requireEqual(t, "RepeatVector", y.s, []float32{1, 2, 1, 2, 3, 4, 3, 4})
	// UpSampling2D((2,2)) nearest on a 2×2 image: repeat rows, then columns.
	x := []float32{1, 2, 3, 4}
	rows := make([]float32, 8)
	Repeat(1, 2, 2, 2, x, rows) // [1,2,2,1]: H axis
	up := newGuarded(16)
	Repeat(4, 2, 1, 2, rows, up.s) // W axis
	up.check(t, "UpSampling")
	requireEqual(t, "UpSampling2D", up.s, []float32{1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4})
}

// resizeRef resizes with TF's formulation of half-pixel bilinear and
// nearest (lower = max(floor(in), 0), upper = min(ceil(in), size-1)),
// written apart from the kernel's.
func resizeRef(n, h, w, c, oh, ow int, x []float32, bilinear bool) []float64 {
	want := make([]float64, n*oh*ow*c)
	at := func(b, i, j, k int) float64 { return float64(x[((b*h+i)*w+j)*c+k]) }
	for b := 0; b < n; b++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				for k := 0; k < c; k++ {
					fy := (float64(i)+0.5)*float64(h)/float64(oh) - 0.5
					fx := (float64(j)+0.5)*float64(w)/float64(ow) - 0.5
					var v float64
					if bilinear {
						y0, y1 := max(int(math.Floor(fy)), 0), min(int(math.Ceil(fy)), h-1)
						x0, x1 := max(int(math.Floor(fx)), 0), min(int(math.Ceil(fx)), w-1)
						ly, lx := fy-math.Floor(fy), fx-math.Floor(fx)
						top := at(b, y0, x0, k) + (at(b, y0, x1, k)-at(b, y0, x0, k))*lx
						bot := at(b, y1, x0, k) + (at(b, y1, x1, k)-at(b, y1, x0, k))*lx
						v = top + (bot-top)*ly
					} else {
						// floor((o+0.5)*in/out) = floor(fy + 0.5); exact for these sizes
						y0 := min(int(math.Floor(fy+0.5+1e-9)), h-1)
						x0 := min(int(math.Floor(fx+0.5+1e-9)), w-1)
						v = at(b, y0, x0, k)
					}
					want[((b*oh+i)*ow+j)*c+k] = v
				}
			}
		}
	}
	return want
}

// TestResizeBilinearChunks checks ResizeBilinear, whose output columns go in chunks of 64,
// bit for bit against the same formula evaluated pixel by pixel, on widths around and past
// a chunk, up- and downsampling.
func TestResizeBilinearChunks(t *testing.T) {
	r := newRand(31)
	for _, s := range []struct{ h, w, oh, ow, c int }{
		{5, 40, 7, 63, 3}, {3, 64, 4, 64, 1}, {6, 70, 5, 65, 3}, {4, 200, 3, 130, 2}, {9, 33, 9, 200, 5}, {2, 256, 2, 256, 3},
	} {
		n := 2
		x := randSlice(r, n*s.h*s.w*s.c)
		y := newGuarded(n * s.oh * s.ow * s.c)
		ResizeBilinear(n, s.h, s.w, s.c, s.oh, s.ow, x, y.s)
		what := name("resize %dx%d -> %dx%d, c %d", s.h, s.w, s.oh, s.ow, s.c)
		y.check(t, what)
		want := make([]float32, len(y.s))
		for b := 0; b < n; b++ {
			for i := 0; i < s.oh; i++ {
				r0, r1, fy := linearTap(i, s.h, s.oh)
				for j := 0; j < s.ow; j++ {
					c0, c1, fx := linearTap(j, s.w, s.ow)
					for k := 0; k < s.c; k++ {
						at := func(row, col int) float64 { return float64(x[((b*s.h+row)*s.w+col)*s.c+k]) }
						top := at(r0, c0)*(1-fx) + at(r0, c1)*fx
						bot := at(r1, c0)*(1-fx) + at(r1, c1)*fx
						want[((b*s.oh+i)*s.ow+j)*s.c+k] = float32(top*(1-fy) + bot*fy)
					}
				}
			}
		}
		requireSameBits(t, what, y.s, want)
	}
}

// BenchmarkResizeBilinear times a 256×256×3 image resized to its own size (the corpus'
// potato classifier's Resizing layer) and 112×112×32 to 224×224.
func BenchmarkResizeBilinear(b *testing.B) {
	for _, s := range []struct{ h, w, c, oh, ow int }{{256, 256, 3, 256, 256}, {112, 112, 32, 224, 224}} {
		x, y := randSlice(newRand(32), s.h*s.w*s.c), make([]float32, s.oh*s.ow*s.c)
		b.Run(fmt.Sprintf("%dx%dx%d_to_%dx%d", s.h, s.w, s.c, s.oh, s.ow), func(b *testing.B) {
			for b.Loop() {
				ResizeBilinear(1, s.h, s.w, s.c, s.oh, s.ow, x, y)
			}
		})
	}
}

func TestResize(t *testing.T) {
	r := newRand(30)
	for iter := 0; iter < 200; iter++ {
		n, h, w, c := 1+r.IntN(2), 1+r.IntN(6), 1+r.IntN(6), 1+r.IntN(3)
		oh, ow := 1+r.IntN(13), 1+r.IntN(13)
		x := randSlice(r, n*h*w*c)
		for _, bilinear := range []bool{true, false} {
			y := newGuarded(n * oh * ow * c)
			if bilinear {
				ResizeBilinear(n, h, w, c, oh, ow, x, y.s)
			} else {
				ResizeNearest(n, h, w, c, oh, ow, x, y.s)
			}
			what := name("resize bilinear=%v %dx%d -> %dx%d", bilinear, h, w, oh, ow)
			y.check(t, what)
			requireClose(t, what, y.s, resizeRef(n, h, w, c, oh, ow, x, bilinear), 1e-6, 1e-6)
		}
	}
	// By hand, 1-D: [0 1] to 4 is [0 .25 .75 1] (tf.image.resize, torch).
	y := make([]float32, 4)
	ResizeBilinear(1, 1, 2, 1, 1, 4, []float32{0, 1}, y)
	requireEqual(t, "bilinear 2->4", y, []float32{0, 0.25, 0.75, 1})
	// [0 3 6] to 2: sources at 0.25 and 1.75 → 0.75 and 5.25.
	ResizeBilinear(1, 3, 1, 1, 2, 1, []float32{0, 3, 6}, y[:2])
	requireEqual(t, "bilinear 3->2", y[:2], []float32{0.75, 5.25})
	// Nearest: 2 to 3 picks [a b b]; 3 to 2 picks [x0 x2]; 2 to 4 repeats.
	ResizeNearest(1, 1, 2, 1, 1, 3, []float32{5, 7}, y[:3])
	requireEqual(t, "nearest 2->3", y[:3], []float32{5, 7, 7})
	ResizeNearest(1, 1, 3, 1, 1, 2, []float32{5, 6, 7}, y[:2])
	requireEqual(t, "nearest 3->2", y[:2], []float32{5, 7})
	ResizeNearest(1, 1, 2, 1, 1, 4, []float32{5, 7}, y)
	requireEqual(t, "nearest 2->4", y, []float32{5, 5, 7, 7})
	// 6 to 5: source (2+0.5)*6/5 = 3 exactly for output 2; floor must not
	// round it down to 2.
	y5 := make([]float32, 5)
	ResizeNearest(1, 1, 6, 1, 1, 5, []float32{0, 1, 2, 3, 4, 5}, y5)
	requireEqual(t, "nearest 6->5", y5, []float32{0, 1, 3, 4, 5})
}

func TestLayoutNoAllocs(t *testing.T) {
	r := newRand(31)
	x, y := randSlice(r, 4*5*6*7), make([]float32, 8*9*10*7)
	shape, perm := []int{4, 5, 6, 7}, []int{0, 3, 1, 2}
	before, after := []int{0, 1, 2, 0}, []int{0, 2, 1, 0}
	begin, size := []int{1, 1, 1, 1}, []int{2, 3, 4, 5}
	xs, inners := [][]float32{x, x}, []int{10, 20}
	requireNoAllocs(t, "Transpose", func() { Transpose(shape, perm, x, y) })
	requireNoAllocs(t, "Pad", func() { Pad(shape, before, after, 0, x, y) })
	requireNoAllocs(t, "Slice", func() { Slice(shape, begin, size, x, y) })
	requireNoAllocs(t, "Concat", func() { Concat(20, inners, xs, y) })
	requireNoAllocs(t, "Repeat", func() { Repeat(4, 5, 6, 2, x, y) })
	requireNoAllocs(t, "ResizeBilinear", func() { ResizeBilinear(1, 4, 5, 7, 8, 9, x, y) })
	requireNoAllocs(t, "ResizeNearest", func() { ResizeNearest(1, 4, 5, 7, 8, 9, x, y) })
}

// BenchmarkCopyRows times copyRows against its Go twin (a copy call per row) on unet-seg's
// concatenation and upsampling shapes: 32768 pixels' 32 and 16 channels into rows of 48, and
// a 64-pixel row of 32 channels spread to every other pixel of a 128-pixel row.
func BenchmarkCopyRows(b *testing.B) {
	for _, s := range []struct{ rows, n, ldd, lds int }{{32768, 32, 48, 32}, {32768, 16, 48, 16}, {64, 32, 64, 32}} {
		src, dst := make([]float32, s.rows*s.lds), make([]float32, s.rows*s.ldd)
		for _, f := range []struct {
			name string
			copy func(dst []float32, ldd int, src []float32, lds, rows, n int)
		}{{"copyRows", copyRows}, {"generic", copyRowsGeneric}} {
			b.Run(fmt.Sprintf("%dx%d_ldd%d/%s", s.rows, s.n, s.ldd, f.name), func(b *testing.B) {
				b.SetBytes(int64(4 * s.rows * s.n))
				for i := 0; i < b.N; i++ {
					f.copy(dst, s.ldd, src, s.lds, s.rows, s.n)
				}
			})
		}
	}
}
