//go:build amd64 && !purego

package runtime

import (
	"fmt"
	"reflect"
	"testing"
)

// TestZMMEnv checks KERASGEN_ZMM: halves and full force the form, anything else leaves the
// CPU's; and useZMMHalves puts each form's kernels in the dispatch tables.
func TestZMMEnv(t *testing.T) {
	t.Logf("host form halves=%v, in use %q", hostZMMHalves(), ZMMForm())
	for _, c := range []struct {
		env  string
		want bool
	}{{"halves", true}, {"HALVES", true}, {"full", false}, {" full ", false}, {"", hostZMMHalves()}, {"bogus", hostZMMHalves()}} {
		t.Setenv("KERASGEN_ZMM", c.env)
		if got := initialZMMHalves(); got != c.want {
			t.Errorf("KERASGEN_ZMM=%q: halves %v, want %v", c.env, got, c.want)
		}
	}
	defer useZMMHalves(zmmHalves)
	fn := func(f any) uintptr { return reflect.ValueOf(f).Pointer() }
	for _, halves := range []bool{false, true} {
		useZMMHalves(halves)
		k32, k24, conv, pool := avx512KernelsFull[11], avx512Kernels24Full[11], convAVX512KernelsFull[11], convPoolSets[2].wideFull[2]
		conv8, pool8 := convAVX512DepthPairs8[15], convPoolSets[1].pairs8[7]
		if halves {
			k32, k24, conv, pool = avx512KernelsEmb[11], avx512Kernels24Emb[11], convAVX512KernelsEmb[11], convPoolSets[2].wideEmb[2]
			conv8, pool8 = convAVX512YMM8[15], convPoolSets[1].ymm8[7]
		}
		if fn(avx512Kernels[11]) != fn(k32) || fn(avx512Kernels24[11]) != fn(k24) || fn(convAVX512Kernels[11]) != fn(conv) || fn(convPoolSets[2].wide[2]) != fn(pool) ||
			fn(convAVX512Kernels8[15]) != fn(conv8) || fn(convPoolSets[1].eight[7]) != fn(pool8) {
			t.Errorf("useZMMHalves(%v) left another form's kernels in the tables", halves)
		}
	}
}

// TestZMMFormsSameBits checks that the two forms of the two-vector AVX-512 kernels give the
// same bits (the same multiply-adds in the same order; only where A's elements are broadcast
// differs): Dense and DensePanels over 17 to 64 columns (the 24- and 32-wide kernels, the
// packed path at 130×600×300), added into C and with clamp-form and other epilogues; and the
// implicit convolution, plain and 1×2 and 2×2 max pooled, to 17…64 channels, 5 to 30 pixels
// wide (no panel of 8 or fewer: the forms' 8-wide conv kernels sum in different orders, and
// TestConvDepthPairsTwin checks each). Each form is
// also checked against the pure-Go kernels by the rest of the suite, which make test runs in
// both (KERASGEN_ZMM).
func TestZMMFormsSameBits(t *testing.T) {
	if !setCPULevel("avx512") {
		t.Skip("no AVX-512 here: the kernels under test are AVX-512 only")
	}
	defer setCPULevel(levelNames[hostLevel()])
	defer useZMMHalves(zmmHalves)
	r := newRand(31)
	run := func(what string, f func() []float32) {
		t.Helper()
		useZMMHalves(false)
		full := f()
		useZMMHalves(true)
		halves := f()
		if i := firstDiff(halves, full); i >= 0 {
			t.Errorf("%s: element %d: halves %v, full %v", what, i, halves[i], full[i])
		}
	}
	eps := func(n, m int) []*Epilogue {
		return []*Epilogue{nil, {Bias: randSlice(r, n), Act: ActRelu6},
			{Bias: randSlice(r, n), Act: ActSigmoid, Residual: randSlice(r, m*n)}}
	}
	type dense struct{ m, k, n int }
	shapes := []dense{{130, 600, 300}}
	for _, m := range []int{1, 2, 5, 12, 13, 27} {
		for _, n := range []int{17, 20, 24, 25, 31, 32, 48, 56, 64} {
			shapes = append(shapes, dense{m, 1 + (m*n)%70, n})
		}
	}
	for _, s := range shapes {
		x, w, old := randSlice(r, s.m*s.k), randSlice(r, s.k*s.n), randSlice(r, s.m*s.n)
		pw := NewPanels(s.k, s.n, w)
		for ei, ep := range eps(s.n, s.m) {
			what := fmt.Sprintf("%d×%d×%d, epilogue %d", s.m, s.k, s.n, ei)
			run("Dense "+what, func() []float32 {
				y := make([]float32, s.m*s.n)
				Dense(s.m, s.k, s.n, x, w, y, ep)
				return y
			})
			run("DensePanels "+what, func() []float32 {
				y := make([]float32, s.m*s.n)
				DensePanels(s.m, s.k, s.n, x, pw, y, ep)
				return y
			})
		}
		run(fmt.Sprintf("Gemm added into C, %d×%d×%d", s.m, s.k, s.n), func() []float32 {
			y := clone(old)
			Gemm(s.m, s.n, s.k, x, s.k, w, s.n, y, s.n, true)
			return y
		})
	}
	conv := convShape{3, 3, 1, 1, 1, 1, 1, 1, 1, 1}
	for i, oc := range []int{17, 24, 32, 48, 64} {
		for _, c := range []int{3, 16} {
			p := conv.params(2, 9, []int{5, 21, 14, 9, 30}[i], c, oc)
			x, w, bias := randSlice(r, p.N*p.H*p.W*p.C), randSlice(r, p.KH*p.KW*p.C*p.OC), randSlice(r, oc)
			for ei, ep := range []*Epilogue{nil, {Bias: bias, Act: ActRelu}, {Bias: bias, Act: ActSigmoid}} {
				what := fmt.Sprintf("conv %d→%d, epilogue %d", c, oc, ei)
				run(what, func() []float32 {
					y := make([]float32, p.N*p.OH*p.OW*p.OC)
					Conv2DGemm(&p, x, w, y, make([]float32, Conv2DGemmScratch(&p)), ep)
					return y
				})
				if ei == 2 {
					continue // the pooled form takes clamp-form epilogues only
				}
				for _, ph := range []int{1, 2} {
					pp := pooledParams(&p, ph)
					run(fmt.Sprintf("%s, pooled %d×2", what, ph), func() []float32 {
						y := make([]float32, pp.N*pp.OH*pp.OW*pp.C)
						Conv2DGemmMaxPool(&p, ph, x, w, y, make([]float32, ConvMaxPoolScratch(&p)), ep)
						return y
					})
				}
			}
		}
	}
}
