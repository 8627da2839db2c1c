//go:build amd64 && !purego

package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"os"
	"strings"
	"testing"
	"time"
)

// TestConvSplitMatchesWhole checks the implicit convolution on split images (the interior in
// place, padded strips around it: convSource) against the same convolution on whole padded
// copies, bit for bit (each output pixel sums the same taps in the same order either way),
// inside guard bands: 'same' and TF-asymmetric padding, strides, dilations, 1×7 and 5×5
// kernels, narrow and partial panels, one output channel (the dot-product kernels), clamp-form epilogues with a residual (which the runs
// down the border columns step a row at a time) and one that is not, threads splitting the
// rows and the images, at each level with conv kernels.
func TestConvSplitMatchesWhole(t *testing.T) {
	shapes := []convShape{
		{3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {3, 3, 2, 2, 1, 1, 0, 0, 1, 1}, {3, 3, 2, 2, 1, 1, 1, 1, 1, 1},
		{5, 5, 1, 1, 1, 1, 2, 2, 2, 2}, {1, 7, 1, 1, 1, 1, 0, 3, 0, 3}, {3, 3, 1, 2, 2, 1, 2, 1, 0, 2},
		{3, 3, 1, 1, 2, 2, 2, 2, 2, 2}, {7, 7, 2, 2, 1, 1, 3, 3, 3, 3},
	}
	ocs := []int{16, 17, 33, 64, 70, 1} // 1: the dot-product kernels on AVX-512 (convdot_amd64.s)
	rng := rand.New(rand.NewSource(13))
	split := 0
	eachAsmLevel(t, func(t *testing.T) {
		for i := 0; i < 64; i++ {
			s := shapes[i%len(shapes)]
			p := s.params(1+rng.Intn(2), 3+rng.Intn(12), 2*convSplitMinW+rng.Intn(40), []int{1, 3, 16}[rng.Intn(3)], ocs[i%len(ocs)])
			if cpuLevel == levelAVX2 {
				p.OC = 16 * (1 + p.OC/32)
			}
			if p.OH < 1 || p.OW < convSplitMinW || !convImplicitOK(&p) {
				continue
			}
			padded, hp, wp := convPadded(&p)
			if _, ok := splitOf(&p, hp, wp); padded && ok {
				split++
			}
			x, w := randSlice(newRand(uint64(i)), p.N*p.H*p.W*p.C), randSlice(newRand(uint64(i+1)), p.KH*p.KW*p.C*p.OC)
			size := p.N * p.OH * p.OW * p.OC
			ep := &Epilogue{Bias: randSlice(newRand(3), p.OC), Act: ActRelu6, Residual: randSlice(newRand(4), size)}
			if i%3 == 2 {
				ep = &Epilogue{Act: ActSigmoid, Residual: ep.Residual, ResidualAfterAct: true}
			}
			for _, threads := range []int{1, 2} {
				run := func(minW int) []float32 {
					defer func(old int) { convSplitMinW = old }(convSplitMinW)
					convSplitMinW = minW
					y := newGuarded(size)
					withThreads(threads, func() { Conv2DGemm(&p, x, w, y.s, make([]float32, Conv2DGemmScratch(&p)), ep) })
					y.check(t, fmt.Sprintf("%s %+v threads %d split from %d", CPULevel(), p, threads, minW))
					return y.s
				}
				whole := run(1 << 30)
				requireSameBits(t, fmt.Sprintf("%s %+v threads %d", CPULevel(), p, threads), run(convSplitMinW), whole)
			}
		}
	})
	if split < 40 {
		t.Errorf("%d convolutions took the split path, want at least 40", split)
	}
}

// BenchmarkConvSplit times the implicit convolution on split images against whole padded
// copies (convSplitMinW forced past the width) in the same run: resnet_small's 3×3 'same'
// convolutions of its first two stages and MobileNetV2's stem (3×3, stride 2, TF padding).
func BenchmarkConvSplit(b *testing.B) {
	for _, tc := range []struct {
		name     string
		s        convShape
		h, c, oc int
	}{
		{"resnet64x16", convShape{3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, 64, 16, 16},
		{"resnet32x32", convShape{3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, 32, 32, 32},
		{"mobilenet_stem", convShape{3, 3, 2, 2, 1, 1, 0, 0, 1, 1}, 224, 3, 32},
	} {
		p := tc.s.params(1, tc.h, tc.h, tc.c, tc.oc)
		r := newRand(5)
		x, w, y := randSlice(r, p.H*p.W*p.C), randSlice(r, p.KH*p.KW*p.C*p.OC), make([]float32, p.OH*p.OW*p.OC)
		ep := &Epilogue{Bias: randSlice(r, p.OC), Act: ActRelu6}
		scratch := make([]float32, Conv2DGemmScratch(&p))
		for _, form := range []string{"split", "whole"} {
			b.Run(tc.name+"/"+form, func(b *testing.B) {
				defer func(old int) { convSplitMinW = old }(convSplitMinW)
				if form == "whole" {
					convSplitMinW = 1 << 30
				}
				for i := 0; i < b.N; i++ {
					Conv2DGemm(&p, x, w, y, scratch, ep)
				}
				b.ReportMetric(2*float64(p.OH*p.OW*p.OC*p.KH*p.KW*p.C)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestConvRegionAhead checks which input rows the conv kernels prefetch for an output row
// (convRegion.ahead): the last sh padded rows it reads, as far as the region holds them, for
// an image read in place, a padded copy, and a strip that starts below the image's top.
func TestConvRegionAhead(t *testing.T) {
	const w, c = 5, 2
	stem := &ConvParams{N: 1, Groups: 1, H: 8, W: w, C: c, OH: 4, OW: 3, OC: 1, KH: 3, KW: 3, SH: 2, SW: 2}
	dil := &ConvParams{N: 1, Groups: 1, H: 8, W: w, C: c, OH: 4, OW: 3, OC: 1, KH: 3, KW: 3, DH: 2, DW: 1}
	for _, tc := range []struct {
		name   string
		p      *ConvParams
		rows   int // rows in the region
		y0, oy int
		r0, r1 int // the region rows wanted; r0 == r1: nil
	}{
		{"stem row 0", stem, 8, 0, 0, 1, 3},  // reads rows 0–2: the last two are 1, 2
		{"stem row 2", stem, 8, 0, 2, 5, 7},  // reads rows 4–6
		{"stem row 3", stem, 8, 0, 3, 7, 8},  // reads rows 6–8: row 8 is past the region
		{"stem row 4", stem, 8, 0, 4, 8, 8},  // past the end: nothing
		{"strip", stem, 3, 5, 2, 0, 2},       // region rows 0–2 are padded rows 5–7
		{"strip above", stem, 3, 5, 0, 0, 0}, // rows 1, 2 lie above the strip
		{"dilated", dil, 8, 0, 1, 5, 6},      // reads rows 1, 3, 5
	} {
		src := make([]float32, tc.rows*w*c)
		for i := range src {
			src[i] = float32(i)
		}
		var r convRegion
		r.set(tc.p, src, w, tc.y0, 0)
		got := r.ahead(tc.p, tc.oy)
		if tc.r0 == tc.r1 {
			if got != nil {
				t.Errorf("%s: %d elements, want none", tc.name, len(got))
			}
			continue
		}
		if len(got) != (tc.r1-tc.r0)*w*c || got[0] != float32(tc.r0*w*c) {
			t.Errorf("%s: %d elements from %v, want rows %d–%d (%d from %d)", tc.name, len(got), got[:min(1, len(got))], tc.r0, tc.r1-1, (tc.r1-tc.r0)*w*c, tc.r0*w*c)
		}
	}
}

// TestConvTapLines checks that the AVX-512 conv kernels in gemm_amd64.s prefetch
// convTapLines lines at the start of each tap, as the driver's shares of the rows ahead
// assume (asm/gemm's convTapLines).
func TestConvTapLines(t *testing.T) {
	src, err := os.ReadFile("gemm_amd64.s")
	if err != nil {
		t.Fatal(err)
	}
	kernels := 0
	for _, fn := range strings.Split(string(src), "\nTEXT ")[1:] {
		if !strings.HasPrefix(fn, "·convAVX512_") {
			continue
		}
		kernels++
		_, body, ok := strings.Cut(fn, "\ntap:\n")
		lines := 0
		for _, l := range strings.Split(body, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "PREFETCHT1") {
				break
			}
			lines++
		}
		if !ok || lines != convTapLines {
			name, _, _ := strings.Cut(fn, "(")
			t.Errorf("%s: %d PREFETCHT1 at its tap label (found: %v), want %d", name, lines, ok, convTapLines)
		}
	}
	if kernels == 0 {
		t.Fatal("no convAVX512_ kernels in gemm_amd64.s")
	}
}

// BenchmarkConvColdInput times MobileNetV2's stem (224×224×3 → 112×112×32, 3×3 stride 2, relu6)
// with its input in cache ("warm", the same run's reference) and evicted before each call by
// writing 64 MiB ("cold", as at batch 1 in a whole model, where the rest of the network evicts
// it); µs/call counts the convolution only. The conv kernels' prefetch of the rows two output
// rows ahead (convAheadRows) is what the cold case measures. Session 14 (Zen 5), without it
// (convAheadRows set past the image) against with it, alternated three times: in a quiet
// stretch (as a scratch benchmark of the same shape) cold 198.5 → 144.2 µs, warm 116.3 →
// 126.4; in a busier one (this benchmark) cold 186–241 → 177–184, warm 147–151 → 143–164.
func BenchmarkConvColdInput(b *testing.B) {
	p := ConvParams{N: 1, Groups: 1, H: 224, W: 224, C: 3, OH: 112, OW: 112, OC: 32, KH: 3, KW: 3, SH: 2, SW: 2}
	r := newRand(5)
	x, w := randSlice(r, p.H*p.W*p.C), randSlice(r, p.KH*p.KW*p.C*p.OC)
	y := make([]float32, p.OH*p.OW*p.OC)
	sc := make([]float32, Conv2DGemmScratch(&p))
	ep := &Epilogue{Bias: make([]float32, p.OC), Act: ActRelu6}
	junk := make([]float32, 16<<20)
	for _, cold := range []bool{false, true} {
		name := map[bool]string{false: "warm", true: "cold"}[cold]
		b.Run(name, func(b *testing.B) {
			var spent time.Duration
			for i := 0; i < b.N; i++ {
				if cold {
					for j := range junk {
						junk[j]++
					}
					for j := range y { // the output in cache, as the previous call's write-back leaves it
						y[j] += 0
					}
				}
				t0 := time.Now()
				Conv2DGemm(&p, x, w, y, sc, ep)
				spent += time.Since(t0)
			}
			b.ReportMetric(float64(spent.Microseconds())/float64(b.N), "µs/call")
		})
	}
}

// TestConvDepthPairsTwin checks the 8-wide kernels that take the depth two steps at a time
// (convAVX512DepthPairs8), and bit for bit the ones with one YMM a pixel (convAVX512YMM8),
// against the 16-wide ones on the same masked columns
// (convAVX512NarrowKernels, checked against the pure-Go convolution by the Conv2DGemm tests),
// at 1e-5 + 1e-4·|want|: every tile height 1…16, one to three taps of even and odd depths 1
// to 48, 1 to 8 columns, C overwritten and accumulated into, no epilogue, bias + ReLU6 (the
// sums then start from the bias), and a leaky ReLU with a residual before it; C inside guard
// bands. An infinite element of A in an odd last step must not turn the odd lanes to NaN.
// The pooled twins sum the same way: TestConvMaxPoolMatchesUnfused checks them bit for bit
// against these kernels followed by the pooling.
func TestConvDepthPairsTwin(t *testing.T) {
	if !setCPULevel("avx512") {
		t.Skip("no AVX-512 here: the kernels under test are AVX-512 only")
	}
	defer setCPULevel(levelNames[hostLevel()])
	r := newRand(21)
	const lda, ldb, ldc = 50, 8, 11
	a := randSlice(r, 4096)
	offs := []int{0, 700, 1400}
	forms := []*Epilogue{
		nil,
		{Bias: randSlice(r, 8), Act: ActRelu6},
		{Bias: randSlice(r, 8), Act: ActLeakyRelu, Params: ActParams{Alpha: 0.1}, Residual: randSlice(r, 16*ldc)},
	}
	for rows := 1; rows <= 16; rows++ {
		for _, taps := range []int{1, 2, 3} {
			for _, depth := range []int{1, 2, 5, 6, 9, 48} {
				b := randSlice(r, taps*depth*ldb)
				for _, cols := range []int{1, 5, 8} {
					mask := uint32(1)<<cols - 1
					for fi, ep := range forms {
						for _, acc := range []bool{false, true} {
							var e *float32
							var kep *tileEp
							if ep != nil {
								et := epTile{ep: ep, n: ldc, clamp: true}
								kep = et.kernelEp(rows, cols)
								e = kep.at(&et, 0, 0)
							}
							a := a
							if acc && depth%2 == 1 { // row 0's last step (an odd one) meets +Inf
								a = clone(a)
								a[offs[taps-1]+depth-1] = float32(math.Inf(1))
							}
							old := randSlice(r, matLen(rows, cols, ldc))
							want := clone(old)
							convAVX512NarrowKernels[rows-1](taps, &offs[0], depth, &a[0], lda, &b[0], ldb, &want[0], ldc, acc, mask, e, &a[0])
							got := newGuarded(len(old)).fill(old)
							convAVX512DepthPairs8[rows-1](taps, &offs[0], depth, &a[0], lda, &b[0], ldb, &got.s[0], ldc, acc, mask, e, &a[0])
							// The one-YMM kernels (Zen 4's form) sum as the 16-wide ones do.
							ymm := newGuarded(len(old)).fill(old)
							convAVX512YMM8[rows-1](taps, &offs[0], depth, &a[0], lda, &b[0], ldb, &ymm.s[0], ldc, acc, mask, e, &a[0])
							if kep != nil {
								tileEps.Put(kep)
							}
							what := fmt.Sprintf("%d rows, %d taps of %d, %d columns, form %d, acc %v", rows, taps, depth, cols, fi, acc)
							got.check(t, what)
							requireClose(t, what, got.s, f64s(want), 1e-5, 1e-4)
							ymm.check(t, what+", one YMM a pixel")
							if i := firstDiff(ymm.s, want); i >= 0 {
								t.Errorf("%s, one YMM a pixel: element %d: %v, want %v (the 16-wide kernel's)", what, i, ymm.s[i], want[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestConv2DGemmThreadsColumns checks 1-D convolutions (one output row an image) split across
// threads by output columns, and batches of three split by images (where two parts took 2:1
// images) now image by image: 'valid' and 'same', one output channel (the dot-product
// kernels), 8, 32 and 48, a clamp epilogue and a sigmoid with a residual, the 1×2 max pooling
// form; the one-thread bits, the split taken at batch 1, nothing allocated warm.
func TestConv2DGemmThreadsColumns(t *testing.T) {
	r := newRand(31)
	for _, c := range []struct {
		n, w, c, oc, k, pad, ph int
	}{
		{1, 186, 8, 32, 3, 0, 0}, {1, 190, 16, 48, 5, 2, 0}, {3, 92, 64, 32, 3, 0, 0},
		{1, 3000, 16, 1, 3, 1, 0}, {1, 186, 16, 32, 3, 0, 1}, {3, 90, 32, 16, 3, 1, 1},
	} {
		ow := c.w + 2*c.pad - c.k + 1
		p := ConvParams{N: c.n, H: 1, W: c.w, C: c.c, OH: 1, OW: ow, OC: c.oc, KH: 1, KW: c.k, SH: 1, SW: 1, DH: 1, DW: 1, PadL: c.pad, Groups: 1}
		x, w := randSlice(r, c.n*c.w*c.c), randSlice(r, c.k*c.c*c.oc)
		eps := []*Epilogue{{Bias: randSlice(r, c.oc), Act: ActRelu}}
		if c.ph == 0 {
			eps = append(eps, &Epilogue{Bias: randSlice(r, c.oc), Act: ActSigmoid, Residual: randSlice(r, c.n*ow*c.oc)})
		}
		for _, ep := range eps {
			what := fmt.Sprintf("1-D conv %+v act %d", c, ep.Act)
			yLen := c.n * ow * c.oc
			scratch := make([]float32, Conv2DGemmScratch(&p))
			run := func(y []float32) { Conv2DGemm(&p, x, w, y, scratch, ep) }
			if c.ph > 0 {
				yLen = c.n * (ow / 2) * c.oc
				scratch = make([]float32, ConvMaxPoolScratch(&p))
				run = func(y []float32) { Conv2DGemmMaxPool(&p, c.ph, x, w, y, scratch, ep) }
			}
			want := make([]float32, yLen)
			withThreads(1, func() { run(want) })
			withThreads(3, func() {
				if c.n == 1 {
					width := ow
					if c.ph > 0 {
						width = ow / 2
					}
					if parts := partsFor(ow*c.oc*c.k*c.c, (width+convColUnit-1)/convColUnit); parts < 2 {
						t.Fatalf("%s: %d parts", what, parts)
					}
				}
				y := newGuarded(yLen)
				run(y.s)
				y.check(t, what)
				requireSameBits(t, what+" with 3 threads against one", y.s, want)
				requireNoAllocs(t, what, func() { run(y.s) })
			})
		}
	}
}
