package runtime

import (
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"testing"
)

// blockCase is an inverted-residual block with its weights, run fused or as three layers.
type blockCase struct {
	p             InvertedResidualParams
	x, wd, res    []float32
	we, wp        *Panels
	epE, epD, epP Epilogue
}

func newBlockCase(r *rand.Rand, n, h, w, c, e, pc, k, s, band int, residual bool) *blockCase {
	padT := (k - 1) / 2 // 'same' at stride 1; Keras pads stride-2 blocks [0, 1] (ZeroPadding2D)
	if s == 2 {
		padT = 0
	}
	oh, ow := (h+s-1)/s, (w+s-1)/s
	b := &blockCase{p: InvertedResidualParams{
		Depthwise: ConvParams{N: n, H: h, W: w, C: e, OH: oh, OW: ow, OC: e, KH: k, KW: k, SH: s, SW: s, PadT: padT, PadL: padT},
		C:         c, P: pc, Band: band,
	}}
	rs := func(m int) []float32 { return randSlice(r, m) }
	b.x, b.wd = rs(n*h*w*c), rs(k*k*e)
	b.we, b.wp = NewPanels(c, e, rs(c*e)), NewPanels(e, pc, rs(e*pc))
	b.epE = Epilogue{Bias: rs(e), Act: ActRelu6}
	b.epD = Epilogue{Bias: rs(e), Act: ActRelu6}
	b.epP = Epilogue{Bias: rs(pc)}
	if residual {
		b.res = rs(n * oh * ow * pc)
		b.epP.Residual = b.res
	}
	return b
}

// unfused runs the three layers on whole tensors (ex and dw: the expanded image and the
// depthwise output, allocated when nil).
func (b *blockCase) unfused(y, ex, dw []float32) {
	d := b.p.Depthwise
	if ex == nil {
		ex, dw = make([]float32, d.N*d.H*d.W*d.C), make([]float32, d.N*d.OH*d.OW*d.C)
	}
	if b.p.NoExpand {
		ex = b.x
	} else {
		DensePanels(d.N*d.H*d.W, b.p.C, d.C, b.x, b.we, ex, &b.epE)
	}
	DepthwiseConv2D(&d, ex, b.wd, dw, &b.epD)
	DensePanels(d.N*d.OH*d.OW, d.C, b.p.P, dw, b.wp, y, &b.epP)
}

func (b *blockCase) fused(y, scratch []float32) {
	InvertedResidual(&b.p, b.x, b.we, &b.epE, b.wd, &b.epD, b.wp, &b.epP, y, scratch)
}

// TestInvertedResidualMatchesLayers checks the banded block against its three layers (two
// without an expand layer) run whole, bit for bit, at every CPU level: strides 1 and 2, 3×3
// and 5×5 kernels, bands of 1 to 7 rows (and more rows than the image), residuals, odd sizes,
// guard bands around y and scratch.
func TestInvertedResidualMatchesLayers(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(9)
		for i := 0; i < 60; i++ {
			s, k := 1+i%2, 3+2*(i/7%2)
			n, h, w := 1+i%3/2, 1+r.IntN(12), 1+r.IntN(12)
			c, e, pc := 1+r.IntN(20), 1+r.IntN(40), 1+r.IntN(20)
			band := 1 + i%8
			b := newBlockCase(r, n, h, w, c, e, pc, k, s, band, s == 1 && c == pc)
			if i%5 == 0 {
				b = newBlockCase(r, n, h, w, c, e, c, k, 1, band, true)
			}
			if i%3 == 2 { // no expand layer: the depthwise layer reads x (C = E)
				b = newBlockCase(r, n, h, w, e, e, pc, k, s, band, s == 1 && e == pc)
				b.p.NoExpand, b.we = true, nil
			}
			d := b.p.Depthwise
			want := make([]float32, d.N*d.OH*d.OW*b.p.P)
			b.unfused(want, nil, nil)
			got := newGuarded(len(want))
			sc := newGuarded(InvertedResidualScratch(&b.p))
			b.fused(got.s, sc.s)
			what := fmt.Sprintf("case %d %+v", i, b.p)
			got.check(t, what+" y")
			sc.check(t, what+" scratch")
			requireSameBits(t, what, got.s, want)
		}
	})
}

// TestInvertedResidualAllocatesNothing checks a warm call.
func TestInvertedResidualAllocatesNothing(t *testing.T) {
	b := newBlockCase(newRand(1), 1, 20, 20, 16, 96, 16, 3, 1, 4, true)
	d := b.p.Depthwise
	y := make([]float32, d.N*d.OH*d.OW*b.p.P)
	s := make([]float32, InvertedResidualScratch(&b.p))
	defer debug.SetGCPercent(debug.SetGCPercent(-1)) // a GC empties the job pool
	if a := allocsPerRun(10, func() { b.fused(y, s) }); a != 0 {
		t.Errorf("%v allocations", a)
	}
}

// mnv2Block is one of MobileNetV2-224's blocks at batch 1: h×h input, c → e → pc channels,
// stride s, band rows a band.
type mnv2Block struct {
	name                 string
	h, c, e, pc, s, band int
}

// blockCase returns the block with random weights (a residual when it keeps its shape) and
// its multiply-adds ×2.
func (m mnv2Block) blockCase() (*blockCase, float64) {
	bc := newBlockCase(newRand(2), 1, m.h, m.h, m.c, m.e, m.pc, 3, m.s, m.band, m.s == 1 && m.c == m.pc)
	d := bc.p.Depthwise
	return bc, 2 * float64(d.H*d.W*m.c*m.e+d.OH*d.OW*9*m.e+d.OH*d.OW*m.e*m.pc)
}

// BenchmarkInvertedResidual times MobileNetV2-224's blocks at batch 1, fused band by band
// against the three layers run whole (same run, same weights), in GFLOP/s of the block.
func BenchmarkInvertedResidual(b *testing.B) {
	for _, s := range []mnv2Block{
		{"block1_112x16-96-24_s2", 112, 16, 96, 24, 2, 2},
		{"block2_56x24-144-24", 56, 24, 144, 24, 1, 4},
		{"block3_56x24-144-32_s2", 56, 24, 144, 32, 2, 2},
		{"block4_28x32-192-32", 28, 32, 192, 32, 1, 4},
		{"block7_14x64-384-64", 14, 64, 384, 64, 1, 4},
	} {
		bc, flops := s.blockCase()
		d := bc.p.Depthwise
		y := make([]float32, d.N*d.OH*d.OW*s.pc)
		ex, dw := randSlice(newRand(3), d.N*d.H*d.W*d.C), randSlice(newRand(4), d.N*d.OH*d.OW*d.C)
		for _, band := range []int{0, s.band, 2 * s.band} {
			name := fmt.Sprintf("%s/band%d", s.name, band)
			if band == 0 {
				name = s.name + "/layers"
			}
			bc.p.Band = band
			sc := make([]float32, InvertedResidualScratch(&bc.p))
			b.Run(name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if band == 0 {
						bc.unfused(y, ex, dw)
					} else {
						bc.fused(y, sc)
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestInvertedResidualThreads checks the block split across 3 threads by images, or by
// output rows (runs starting anywhere in a band), each part with its own pooled band scratch,
// against the three layers, bit for bit, and that a warm threaded call allocates nothing.
func TestInvertedResidualThreads(t *testing.T) {
	noExpand := newBlockCase(newRand(6), 5, 56, 56, 32, 32, 16, 3, 1, 8, false)
	noExpand.p.NoExpand, noExpand.we = true, nil
	// One and two images on three threads split each image's bands (odd band counts, a
	// stride-2 block, the last band short); five images split the images.
	oneImage := newBlockCase(newRand(7), 1, 28, 28, 32, 192, 32, 3, 1, 3, true)
	twoImages := newBlockCase(newRand(8), 2, 29, 29, 24, 144, 32, 3, 2, 2, false)
	oneNoExpand := newBlockCase(newRand(9), 1, 56, 56, 32, 32, 16, 3, 1, 5, false)
	oneNoExpand.p.NoExpand, oneNoExpand.we = true, nil
	// One band (MobileNetV2's 7×7 blocks): the parts still split its rows.
	oneBand := newBlockCase(newRand(10), 1, 9, 9, 40, 240, 40, 3, 1, 9, true)
	for _, b := range []*blockCase{newBlockCase(newRand(5), 5, 28, 28, 32, 192, 32, 3, 1, 4, true), noExpand, oneImage, twoImages, oneNoExpand, oneBand} {
		d := b.p.Depthwise
		want := make([]float32, d.N*d.OH*d.OW*b.p.P)
		b.unfused(want, nil, nil)
		withThreads(3, func() {
			if runs := d.OH / b.p.splitRows(); d.N < 3 && (runs <= d.N || partsFor(d.N*d.OH*d.OW*d.C*b.p.P, runs) < 3) {
				t.Fatalf("%d images, %d row runs: not split by rows in three parts", d.N, runs)
			}
			what := fmt.Sprintf("threads, %d images, NoExpand %v", d.N, b.p.NoExpand)
			got := newGuarded(len(want))
			sc := make([]float32, InvertedResidualScratch(&b.p))
			b.fused(got.s, sc)
			got.check(t, what)
			requireSameBits(t, what, got.s, want)
			// No collection meanwhile: a GC empties the sync.Pools the parts' scratch comes from.
			defer debug.SetGCPercent(debug.SetGCPercent(-1))
			if a := allocsPerRun(5, func() { b.fused(got.s, sc) }); a != 0 {
				t.Errorf("%s: %v allocations", what, a)
			}
		})
	}
}

// TestInvertedResidualInputRows checks which input rows a band of output rows reads: 'same'
// 3×3 at stride 1 (its first and last bands reach into the padding) and 2 (TF pads only below
// and right), and an empty band.
func TestInvertedResidualInputRows(t *testing.T) {
	s1 := &InvertedResidualParams{Depthwise: ConvParams{H: 8, OH: 8, KH: 3, PadT: 1}}
	s2 := &InvertedResidualParams{Depthwise: ConvParams{H: 8, OH: 4, KH: 3, SH: 2}}
	for _, c := range []struct {
		name         string
		p            *InvertedResidualParams
		oy0, oy1     int
		want0, want1 int
	}{
		{"s1 first band", s1, 0, 2, 0, 3},
		{"s1 middle band", s1, 3, 5, 2, 6},
		{"s1 last band", s1, 6, 8, 5, 8},
		{"s1 empty", s1, 8, 8, 0, 0},
		{"s2 first band", s2, 0, 2, 0, 5},
		{"s2 last band", s2, 2, 4, 4, 8},
	} {
		if r0, r1 := c.p.inputRows(c.oy0, c.oy1); r0 != c.want0 || r1 != c.want1 {
			t.Errorf("%s: rows [%d, %d), want [%d, %d)", c.name, r0, r1, c.want0, c.want1)
		}
	}
}

// BenchmarkInvertedResidualThreads times MobileNetV2-224's batch-1 blocks on one thread and
// on two (same run, each size's rows side by side), in GFLOP/s of the block: with one image,
// the parts split its output rows (b4: 28 rows in bands of 11; b7: 14 in bands of 11; b13: 7
// output rows at stride 2; b14: 7 rows, one band).
func BenchmarkInvertedResidualThreads(b *testing.B) {
	for _, s := range []mnv2Block{
		{"b4_28x32-192-32", 28, 32, 192, 32, 1, 11},
		{"b7_14x64-384-64", 14, 64, 384, 64, 1, 11},
		{"b13_14x96-576-160_s2", 14, 96, 576, 160, 2, 6},
		{"b14_7x160-960-160", 7, 160, 960, 160, 1, 7},
	} {
		bc, flops := s.blockCase()
		d := bc.p.Depthwise
		y := make([]float32, d.N*d.OH*d.OW*s.pc)
		sc := make([]float32, InvertedResidualScratch(&bc.p))
		for _, t := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/threads%d", s.name, t), func(b *testing.B) {
				old := Threads()
				SetThreads(t)
				defer SetThreads(old)
				for i := 0; i < b.N; i++ {
					bc.fused(y, sc)
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
