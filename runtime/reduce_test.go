package runtime

import (
	"fmt"
	"math"
	"testing"
)

func TestReduce(t *testing.T) {
	r := newRand(34)
	kernels := []struct {
		name string
		f    func(outer, axis, inner int, x, y []float32)
		ref  func(vals []float64) float64
	}{
		{"ReduceSum", ReduceSum, func(v []float64) float64 {
			s := 0.0
			for _, e := range v {
				s += e
			}
			return s
		}},
		{"ReduceMean", ReduceMean, func(v []float64) float64 {
			s := 0.0
			for _, e := range v {
				s += e
			}
			return s / float64(len(v))
		}},
		{"ReduceMax", ReduceMax, func(v []float64) float64 {
			m := math.Inf(-1)
			for _, e := range v {
				m = math.Max(m, e)
			}
			return m
		}},
		{"ReduceMin", ReduceMin, func(v []float64) float64 {
			m := math.Inf(1)
			for _, e := range v {
				m = math.Min(m, e)
			}
			return m
		}},
	}
	shapes := [][3]int{{1, 1, 1}, {2, 3, 1}, {1, 5, 4}, {3, 7, 16}, {2, 9, 17}, {1, 1000, 1}, {2, 100, 33}, {2, 0, 3}, {2, 0, 20}, {0, 4, 4}, {3, 4, 0}}
	for _, s := range shapes {
		outer, axis, inner := s[0], s[1], s[2]
		x := randSlice(r, outer*axis*inner)
		if len(x) > 5 {
			x[3] = float32(math.NaN()) // NaN reaches every reduction it is in
		}
		for _, k := range kernels {
			want := make([]float64, outer*inner)
			for o := 0; o < outer; o++ {
				for i := 0; i < inner; i++ {
					vals := make([]float64, axis)
					for a := range vals {
						vals[a] = float64(x[(o*axis+a)*inner+i])
					}
					want[o*inner+i] = k.ref(vals)
				}
			}
			y := newGuarded(outer * inner)
			k.f(outer, axis, inner, x, y.s)
			what := name("%s %v", k.name, s)
			y.check(t, what)
			requireClose(t, what, y.s, want, 1e-7, 1e-6)
		}
	}
	y := make([]float32, 2)
	ReduceMean(1, 3, 2, []float32{1, 10, 2, 20, 4, 40}, y)
	requireEqual(t, "mean hand", y, []float32{7.0 / 3, 70.0 / 3})
	ReduceMax(2, 2, 1, []float32{1, -1, -5, -2}, y)
	requireEqual(t, "max hand", y, []float32{1, -2})
}

// TestReduceSumTwin checks ReduceSum and ReduceMean at every CPU level against the generic
// level, bit for bit (the column-sum kernels sum in the twin's order, in float64): axis
// lengths 0 to 49, every inner width 1 to 70 (the kernels' 32- and 16-column passes, AVX-512's
// masked tail, AVX2's columns left to Go) and wider ones, two outer blocks, guard bands.
func TestReduceSumTwin(t *testing.T) {
	r := newRand(37)
	inners := []int{}
	for i := 1; i <= 70; i++ {
		inners = append(inners, i)
	}
	inners = append(inners, 127, 129, 1280)
	eachAsmLevel(t, func(t *testing.T) {
		for _, axis := range []int{0, 1, 2, 7, 49} {
			for _, inner := range inners {
				x := randSlice(r, 2*axis*inner)
				for _, k := range []struct {
					name string
					f    func(outer, axis, inner int, x, y []float32)
				}{{"ReduceSum", ReduceSum}, {"ReduceMean", ReduceMean}} {
					got := newGuarded(2 * inner)
					k.f(2, axis, inner, x, got.s)
					want := make([]float32, 2*inner)
					old := cpuLevel
					cpuLevel = levelGeneric
					k.f(2, axis, inner, x, want)
					cpuLevel = old
					what := name("%s %s axis %d inner %d", CPULevel(), k.name, axis, inner)
					got.check(t, what)
					requireSameBits(t, what, got.s, want)
				}
			}
		}
	})
}

func TestReduceNoAllocs(t *testing.T) {
	r := newRand(35)
	x, y := randSlice(r, 4*50*20), make([]float32, 4*20)
	requireNoAllocs(t, "ReduceSum", func() { ReduceSum(4, 50, 20, x, y) })
	requireNoAllocs(t, "ReduceMean", func() { ReduceMean(4, 50, 20, x, y) })
	requireNoAllocs(t, "ReduceMax", func() { ReduceMax(4, 50, 20, x, y) })
	requireNoAllocs(t, "ReduceMin", func() { ReduceMin(4, 1000, 1, x, y) })
}

// BenchmarkReduceMean times a global average pool as the models lower it: MobileNetV2's
// 7×7×1280 feature map and resnet_small's 8×8×128.
func BenchmarkReduceMean(b *testing.B) {
	for _, s := range [][2]int{{49, 1280}, {64, 128}} {
		x, y := randSlice(newRand(36), s[0]*s[1]), make([]float32, s[1])
		b.Run(fmt.Sprintf("%dx%d", s[0], s[1]), func(b *testing.B) {
			for b.Loop() {
				ReduceMean(1, s[0], s[1], x, y)
			}
		})
	}
}
