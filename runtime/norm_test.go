package runtime

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAffine(t *testing.T) {
	r := newRand(17)
	for _, s := range [][2]int{{1, 1}, {3, 5}, {7, 64}, {0, 3}, {4, 0}} {
		rows, c := s[0], s[1]
		x := randSlice(r, rows*c)
		for _, scale := range [][]float32{nil, randSlice(r, 1), randSlice(r, c)} {
			for _, shift := range [][]float32{nil, randSlice(r, 1), randSlice(r, c)} {
				want := make([]float64, rows*c)
				for i := range want {
					v := float64(x[i])
					if scale != nil {
						v *= float64(scale[min(i%max(c, 1), len(scale)-1)])
					}
					if shift != nil {
						v += float64(shift[min(i%max(c, 1), len(shift)-1)])
					}
					want[i] = v
				}
				y := newGuarded(rows * c)
				Affine(rows, c, x, scale, shift, y.s)
				y.check(t, "Affine")
				requireClose(t, name("Affine %v", s), y.s, want, 1e-7, 1e-6)
			}
		}
	}
	x := []float32{1, 2, 3, 4}
	Affine(2, 2, x, []float32{2, 3}, []float32{0.5}, x) // in place
	requireEqual(t, "Affine hand", x, []float32{2.5, 6.5, 6.5, 12.5})
}

// layerNormRef normalizes rows in float64 (two-pass variance).
func layerNormRef(rows, cols int, x, gamma, beta []float32, eps float64, rms bool) []float64 {
	want := make([]float64, rows*cols)
	for r := 0; r < rows; r++ {
		row := f64s(x[r*cols : (r+1)*cols])
		var mean, v float64
		for _, e := range row {
			mean += e / float64(cols)
		}
		for _, e := range row {
			v += (e - mean) * (e - mean) / float64(cols)
		}
		for j, e := range row {
			y := (e - mean) / math.Sqrt(v+eps)
			if rms {
				y = e / math.Sqrt(v+eps)
			}
			if gamma != nil {
				y *= float64(gamma[j])
			}
			if beta != nil && !rms {
				y += float64(beta[j])
			}
			want[r*cols+j] = y
		}
	}
	return want
}

func TestLayerNorm(t *testing.T) {
	r := newRand(18)
	for _, s := range [][2]int{{1, 1}, {2, 2}, {5, 16}, {3, 100}, {0, 8}, {6, 33}} {
		rows, cols := s[0], s[1]
		for _, offset := range []float32{0, 1000} { // a large mean: the two-pass variance keeps its digits (x - mean is float32)
			x := randSlice(r, rows*cols)
			for i := range x {
				x[i] += offset
			}
			for _, rms := range []bool{false, true} {
				for _, gb := range [][2][]float32{{nil, nil}, {randSlice(r, cols), randSlice(r, cols)}} {
					y := newGuarded(rows * cols)
					LayerNorm(rows, cols, x, gb[0], gb[1], y.s, 1e-3, rms)
					what := name("LayerNorm %v offset %v rms %v", s, offset, rms)
					y.check(t, what)
					want := layerNormRef(rows, cols, x, gb[0], gb[1], float64(float32(1e-3)), rms)
					// LayerNorm computes in float32, as Keras does: x - mean is off by up to
					// an ulp of the offset (6e-5 at 1000), magnified by 1/std (up to ~60 for
					// these short random rows); at offset 0 the bound stays 1e-6.
					atol := 1e-6 + 4e-6*float64(offset)
					if rms {
						atol = 1e-6 * (1 + float64(offset)) * 30 // x/std: large values
					}
					requireClose(t, what, y.s, want, atol, 1e-6)
				}
			}
		}
	}
	// By hand: [1 2 3 4] has mean 2.5 and variance 1.25.
	y := make([]float32, 4)
	LayerNorm(1, 4, []float32{1, 2, 3, 4}, nil, nil, y, 0, false)
	s := math.Sqrt(1.25)
	requireClose(t, "hand", y, []float64{-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s}, 1e-7, 0)
	LayerNorm(1, 4, []float32{1, 2, 3, 4}, []float32{1, 1, 1, 2}, []float32{9, 9, 9, 9}, y, 0, true) // beta ignored
	requireClose(t, "hand rms_scaling", y, []float64{1 / s, 2 / s, 3 / s, 8 / s}, 1e-6, 0)
	x := []float32{1, 2, 3, 4}
	LayerNorm(2, 2, x, nil, []float32{0, 10}, x, 0, false) // in place
	requireEqual(t, "in place", x, []float32{-1, 11, -1, 11})
}

func TestRMSNorm(t *testing.T) {
	r := newRand(19)
	x := randSlice(r, 5*12)
	scale := randSlice(r, 12)
	y := newGuarded(len(x))
	RMSNorm(5, 12, x, scale, y.s, 1e-6)
	y.check(t, "RMSNorm")
	want := make([]float64, len(x))
	for row := 0; row < 5; row++ {
		var q float64
		for j := 0; j < 12; j++ {
			q += float64(x[row*12+j]) * float64(x[row*12+j])
		}
		for j := 0; j < 12; j++ {
			want[row*12+j] = float64(x[row*12+j]) / math.Sqrt(q/12+float64(float32(1e-6))) * float64(scale[j])
		}
	}
	requireClose(t, "RMSNorm", y.s, want, 1e-6, 1e-6)
	out := make([]float32, 2)
	RMSNorm(1, 2, []float32{3, 4}, nil, out, 0) // mean square 12.5
	requireClose(t, "hand", out, []float64{3 / math.Sqrt(12.5), 4 / math.Sqrt(12.5)}, 1e-7, 0)
}

func TestGroupNorm(t *testing.T) {
	r := newRand(20)
	for _, s := range [][4]int{{1, 1, 1, 1}, {2, 5, 6, 3}, {1, 9, 8, 1}, {2, 4, 8, 8}, {3, 7, 12, 4}, {0, 3, 4, 2}} {
		n, sp, c, groups := s[0], s[1], s[2], s[3]
		x := randSlice(r, n*sp*c)
		gamma, beta := randSlice(r, c), randSlice(r, c)
		want := make([]float64, len(x))
		cpg := c / groups
		for b := 0; b < n; b++ {
			for g := 0; g < groups; g++ {
				var vals []float64
				for p := 0; p < sp; p++ {
					for j := 0; j < cpg; j++ {
						vals = append(vals, float64(x[(b*sp+p)*c+g*cpg+j]))
					}
				}
				var mean, v float64
				for _, e := range vals {
					mean += e / float64(len(vals))
				}
				for _, e := range vals {
					v += (e - mean) * (e - mean) / float64(len(vals))
				}
				for p := 0; p < sp; p++ {
					for j := 0; j < cpg; j++ {
						ch := g*cpg + j
						i := (b*sp+p)*c + ch
						want[i] = (float64(x[i])-mean)/math.Sqrt(v+float64(float32(1e-3)))*float64(gamma[ch]) + float64(beta[ch])
					}
				}
			}
		}
		y := newGuarded(len(x))
		GroupNorm(n, sp, c, groups, x, gamma, beta, y.s, 1e-3)
		y.check(t, "GroupNorm")
		requireClose(t, name("GroupNorm %v", s), y.s, want, 1e-6, 1e-6)
	}
	// groups = 1 over one position equals LayerNorm with the same gamma, beta (to float32
	// rounding: LayerNorm computes in float32 on the vmath kernels, GroupNorm in float64).
	x := randSlice(r, 10)
	g, b := randSlice(r, 10), randSlice(r, 10)
	y1, y2 := make([]float32, 10), make([]float32, 10)
	GroupNorm(1, 1, 10, 1, x, g, b, y1, 1e-3)
	LayerNorm(1, 10, x, g, b, y2, 1e-3, false)
	y2w := make([]float64, len(y2))
	for i, v := range y2 {
		y2w[i] = float64(v)
	}
	requireClose(t, "GroupNorm = LayerNorm", y1, y2w, 1e-6, 1e-6)
	require.Panics(t, func() { GroupNorm(1, 1, 10, 3, x, nil, nil, y1, 1e-3) })
}

func TestL2Normalize(t *testing.T) {
	y := newGuarded(8)
	x := []float32{3, 4, 0, 0, 1e-13, 0, -1, 1}
	L2Normalize(4, 2, x, y.s, 1e-12)
	y.check(t, "L2Normalize")
	// A zero row stays zero; a norm below eps divides by eps (Keras 3).
	requireClose(t, "hand", y.s, []float64{0.6, 0.8, 0, 0, 0.1, 0, -math.Sqrt(0.5), math.Sqrt(0.5)}, 1e-7, 1e-6)
}

// softmaxRef is the softmax (or log-softmax) of each row in float64.
func softmaxRef(rows, cols int, x []float32, logOut bool) []float64 {
	want := make([]float64, rows*cols)
	for r := 0; r < rows; r++ {
		row := f64s(x[r*cols : (r+1)*cols])
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, v)
		}
		var s float64
		for _, v := range row {
			s += math.Exp(v - m)
		}
		for j, v := range row {
			if logOut {
				want[r*cols+j] = v - m - math.Log(s)
			} else {
				want[r*cols+j] = math.Exp(v-m) / s
			}
		}
	}
	return want
}

func TestSoftmax(t *testing.T) {
	r := newRand(21)
	for _, s := range [][2]int{{1, 1}, {3, 2}, {4, 10}, {2, 1000}, {0, 5}} {
		rows, cols := s[0], s[1]
		for _, scale := range []float32{1, 50, 1000} { // 1000: exp would overflow without the max
			x := randSlice(r, rows*cols)
			for i := range x {
				x[i] *= scale
			}
			y := newGuarded(rows * cols)
			Softmax(rows, cols, x, y.s)
			y.check(t, "Softmax")
			requireClose(t, name("Softmax %v ×%v", s, scale), y.s, softmaxRef(rows, cols, x, false), 1e-9, 1e-6)
			LogSoftmax(rows, cols, x, y.s)
			y.check(t, "LogSoftmax")
			requireClose(t, name("LogSoftmax %v ×%v", s, scale), y.s, softmaxRef(rows, cols, x, true), 1e-6, 1e-6)
		}
	}
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	x := []float32{0, float32(math.Log(3)), -inf, 5, 5, -inf, -inf, 1, nan}
	y := make([]float32, 9)
	Softmax(3, 3, x, y)
	requireClose(t, "hand", y, []float64{0.25, 0.75, 0, 0.5, 0.5, 0, math.NaN(), math.NaN(), math.NaN()}, 1e-7, 0)
	Softmax(3, 3, x, x) // in place
	requireEqual(t, "in place", x, y)
	LogSoftmax(1, 2, []float32{0, 0}, y)
	requireClose(t, "log hand", y[:2], []float64{-math.Ln2, -math.Ln2}, 1e-7, 0)
}

func TestSoftmaxStrided(t *testing.T) {
	r := newRand(22)
	for _, s := range [][3]int{{1, 1, 1}, {2, 3, 1}, {2, 5, 3}, {3, 7, 17}, {1, 4, 40}, {2, 0, 3}, {0, 3, 3}} {
		outer, axis, inner := s[0], s[1], s[2]
		x := randSlice(r, outer*axis*inner)
		for i := range x {
			x[i] *= 20
		}
		// The reference: move the axis last, take row softmaxes, move it back.
		xt := make([]float32, len(x))
		Transpose([]int{outer, axis, inner}, []int{0, 2, 1}, x, xt)
		for _, logOut := range []bool{false, true} {
			rt := softmaxRef(outer*inner, axis, xt, logOut)
			want := make([]float64, len(x))
			for o := 0; o < outer; o++ {
				for a := 0; a < axis; a++ {
					for i := 0; i < inner; i++ {
						want[(o*axis+a)*inner+i] = rt[(o*inner+i)*axis+a]
					}
				}
			}
			y := newGuarded(len(x))
			if logOut {
				LogSoftmaxStrided(outer, axis, inner, x, y.s)
			} else {
				SoftmaxStrided(outer, axis, inner, x, y.s)
			}
			what := name("SoftmaxStrided %v log %v", s, logOut)
			y.check(t, what)
			requireClose(t, what, y.s, want, 1e-6, 1e-6)
			in := clone(x) // in place
			if logOut {
				LogSoftmaxStrided(outer, axis, inner, in, in)
			} else {
				SoftmaxStrided(outer, axis, inner, in, in)
			}
			requireEqual(t, what+" in place", in, y.s)
		}
	}
}

func TestNormNoAllocs(t *testing.T) {
	r := newRand(23)
	x, y, g, b := randSlice(r, 16*64), make([]float32, 16*64), randSlice(r, 64), randSlice(r, 64)
	requireNoAllocs(t, "Affine", func() { Affine(16, 64, x, g, b, y) })
	requireNoAllocs(t, "LayerNorm", func() { LayerNorm(16, 64, x, g, b, y, 1e-3, false) })
	requireNoAllocs(t, "RMSNorm", func() { RMSNorm(16, 64, x, g, y, 1e-6) })
	requireNoAllocs(t, "GroupNorm", func() { GroupNorm(2, 8, 64, 8, x, g, b, y, 1e-3) })
	requireNoAllocs(t, "L2Normalize", func() { L2Normalize(16, 64, x, y, 1e-12) })
	requireNoAllocs(t, "Softmax", func() { Softmax(16, 64, x, y) })
	requireNoAllocs(t, "LogSoftmax", func() { LogSoftmax(16, 64, x, y) })
	requireNoAllocs(t, "SoftmaxStrided", func() { SoftmaxStrided(4, 16, 16, x, y) })
}

// TestAffineKernels checks Affine with per-channel vectors (the affine kernels,
// epilogue_amd64.s) against its Go twin affineRowsGo bit for bit at each level: 1…5 rows,
// 2…40 and 512 channels (whole and partial vectors), into a guarded y and in place.
// TestAffineForms checks Affine's one-value and small-channel forms (run on the affine
// kernels with scale and shift repeated to a period) against the Go loop's bits, at each
// level: every channel count 1…20 and 32, scale and shift nil, one value or per channel,
// row counts that leave no rest and a rest of the period, in place too.
func TestAffineForms(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(20)
		for _, c := range append(intsFrom(1, 20), 32) {
			for _, rows := range []int{1, 2, 5, 16, 33} {
				x := randSlice(r, rows*c)
				x[0] = float32(math.Copysign(0, -1))
				for _, scale := range [][]float32{nil, randSlice(r, 1), randSlice(r, c)} {
					for _, shift := range [][]float32{nil, randSlice(r, 1), randSlice(r, c), {0}} {
						want := make([]float32, rows*c)
						for i, v := range x {
							if scale != nil {
								v *= scale[min(i%c, len(scale)-1)]
							}
							if shift != nil {
								v += shift[min(i%c, len(shift)-1)]
							}
							want[i] = v
						}
						what := fmt.Sprintf("%s affine %d rows of %d, scale %d, shift %d", CPULevel(), rows, c, len(scale), len(shift))
						y := newGuarded(rows * c)
						Affine(rows, c, x, scale, shift, y.s)
						y.check(t, what)
						requireSameBits(t, what, y.s, want)
						in := slices.Clone(x)
						Affine(rows, c, in, scale, shift, in)
						requireSameBits(t, what+" in place", in, want)
					}
				}
			}
		}
	})
}

func TestAffineKernels(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(19)
		for rows := 1; rows <= 5; rows++ {
			for _, c := range append(intsFrom(2, 40), 512) {
				x, scale, shift := randSlice(r, rows*c), randSlice(r, c), randSlice(r, c)
				want := make([]float32, rows*c)
				affineRowsGo(rows, c, 0, x, scale, shift, want)
				what := fmt.Sprintf("%s affine %d rows of %d", CPULevel(), rows, c)
				y := newGuarded(rows * c)
				Affine(rows, c, x, scale, shift, y.s)
				y.check(t, what)
				requireSameBits(t, what, y.s, want)
				Affine(rows, c, x, scale, shift, x)
				requireSameBits(t, what+" in place", x, want)
			}
		}
	})
}

// BenchmarkAffine times Affine with per-channel vectors on ecg-cnn's batch norm (552 rows of
// 512 channels): the kernels against affineRowsGo, their twin (the loop Affine ran before).
func BenchmarkAffine(b *testing.B) {
	const rows, c = 552, 512
	r := newRand(5)
	x, scale, shift, y := randSlice(r, rows*c), randSlice(r, c), randSlice(r, c), make([]float32, rows*c)
	b.Run("kernel", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			Affine(rows, c, x, scale, shift, y)
		}
	})
	b.Run("go", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			affineRowsGo(rows, c, 0, x, scale, shift, y)
		}
	})
}

// BenchmarkAffineImage times Affine on a batch of two 256×256 RGB images (potato-keras'
// Rescaling: one scale and one shift; a Normalization's per-channel vectors of 3) against
// the Go loop it ran before, in the same run.
func BenchmarkAffineImage(b *testing.B) {
	const rows, c = 2 * 256 * 256, 3
	r := newRand(6)
	x, y := randSlice(r, rows*c), make([]float32, rows*c)
	for _, form := range []struct {
		name         string
		scale, shift []float32
	}{{"one_value", []float32{1.0 / 255}, []float32{0}}, {"per_channel", randSlice(r, c), randSlice(r, c)}} {
		b.Run(form.name+"/kernel", func(b *testing.B) {
			for b.Loop() {
				Affine(rows, c, x, form.scale, form.shift, y)
			}
		})
		b.Run(form.name+"/loop", func(b *testing.B) {
			for b.Loop() {
				for i, v := range x {
					v *= form.scale[min(i%c, len(form.scale)-1)]
					y[i] = v + form.shift[min(i%c, len(form.shift)-1)]
				}
			}
		})
	}
}
