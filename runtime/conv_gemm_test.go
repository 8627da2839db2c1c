package runtime

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// TestConv2DGemmMatchesConv2D compares the im2col path with the direct Conv2D on random
// geometries (strides, dilations, padding, 1-D and 2-D, odd sizes), with guard bands around
// the output and the epilogue applied.
func TestConv2DGemmMatchesConv2D(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 300; i++ {
		p := ConvParams{
			N: 1 + rng.Intn(2), H: 1 + rng.Intn(9), W: 1 + rng.Intn(9), C: 1 + rng.Intn(6), OC: 1 + rng.Intn(9),
			KH: 1 + rng.Intn(3), KW: 1 + rng.Intn(3), SH: 1 + rng.Intn(2), SW: 1 + rng.Intn(3),
			DH: 1 + rng.Intn(2), DW: 1 + rng.Intn(2), PadT: rng.Intn(3), PadL: rng.Intn(3), Groups: 1,
		}
		if i%5 == 0 { // 1-D
			p.H, p.KH, p.PadT, p.SH, p.DH = 1, 1, 0, 1, 1
		}
		p.OH = (p.H+2*p.PadT-(p.KH-1)*p.DH-1)/p.SH + 1
		p.OW = (p.W+2*p.PadL-(p.KW-1)*p.DW-1)/p.SW + 1
		if p.OH < 1 || p.OW < 1 {
			continue
		}
		x := make([]float32, p.N*p.H*p.W*p.C)
		w := make([]float32, p.KH*p.KW*p.C*p.OC)
		bias := make([]float32, p.OC)
		for _, s := range [][]float32{x, w, bias} {
			for j := range s {
				s[j] = rng.Float32()*2 - 1
			}
		}
		ep := &Epilogue{Bias: bias, Act: ActRelu}
		size := p.N * p.OH * p.OW * p.OC
		want := make([]float32, size)
		Conv2D(&p, x, w, want, ep)
		const guard = 8
		buf := make([]float32, size+2*guard)
		for j := range buf {
			buf[j] = 12345
		}
		got := buf[guard : guard+size]
		Conv2DGemm(&p, x, w, got, make([]float32, Conv2DGemmScratch(&p)), ep)
		for j := 0; j < guard; j++ {
			if buf[j] != 12345 || buf[guard+size+j] != 12345 {
				t.Fatalf("%+v: wrote outside the output", p)
			}
		}
		for j := range want {
			if d := math.Abs(float64(got[j] - want[j])); d > 1e-5*(1+math.Abs(float64(want[j]))) {
				t.Fatalf("%+v: y[%d] = %v, Conv2D gives %v", p, j, got[j], want[j])
			}
		}
	}
}

// convShape is a test convolution's kernel size, strides, dilations and padding on each side.
type convShape struct{ kh, kw, sh, sw, dh, dw, padT, padL, padB, padR int }

// params returns the one-group convolution s of an n×h×w×c input to oc channels (an output
// size below 1 where the kernel does not fit).
func (s convShape) params(n, h, w, c, oc int) ConvParams {
	p := ConvParams{N: n, H: h, W: w, C: c, OC: oc, KH: s.kh, KW: s.kw, SH: s.sh, SW: s.sw, DH: s.dh, DW: s.dw,
		PadT: s.padT, PadL: s.padL, Groups: 1}
	p.OH = (h+s.padT+s.padB-(s.kh-1)*s.dh-1)/s.sh + 1
	p.OW = (w+s.padL+s.padR-(s.kw-1)*s.dw-1)/s.sw + 1
	return p
}

// TestConv2DGemmTwinShapes checks Conv2DGemm at each CPU level (the implicit
// path where the level has conv kernels) against Conv2D run on the pure-Go
// kernels, on shapes that reach every kernel height and panel width: output
// rows up to 40 pixels, 1 to 70 output channels (narrow and partial
// panels), 1×1 to 5×5 and 1×7 kernels, strides, dilations, padding on any
// side, inputs at odd offsets, epilogues with and without residuals, guard
// bands around the output.
func TestConv2DGemmTwinShapes(t *testing.T) {
	shapes := []convShape{
		{3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {3, 3, 1, 1, 1, 1, 0, 0, 0, 0}, {3, 3, 2, 2, 1, 1, 0, 0, 1, 1},
		{5, 5, 1, 1, 1, 1, 2, 2, 2, 2}, {1, 7, 1, 1, 1, 1, 0, 3, 0, 3}, {3, 3, 1, 2, 2, 1, 2, 1, 0, 2},
		{2, 2, 2, 2, 1, 1, 0, 0, 0, 0}, {1, 1, 2, 2, 1, 1, 0, 0, 0, 0}, {3, 1, 1, 1, 3, 1, 3, 0, 3, 0},
	}
	ocs := []int{1, 5, 8, 16, 17, 31, 32, 33, 40, 48, 64, 70}
	rng := rand.New(rand.NewSource(11))
	eachLevel(t, func(t *testing.T) {
		for i := 0; i < 120; i++ {
			p := shapes[i%len(shapes)].params(1+rng.Intn(2), 1+rng.Intn(6), 1+rng.Intn(40), []int{1, 3, 8, 17}[rng.Intn(4)], ocs[i%len(ocs)])
			if p.OH < 1 || p.OW < 1 {
				continue
			}
			off := rng.Intn(8)
			x := make([]float32, off+p.N*p.H*p.W*p.C)[off:]
			w := make([]float32, off+p.KH*p.KW*p.C*p.OC)[off:]
			bias := make([]float32, p.OC)
			for _, v := range [][]float32{x, w, bias} {
				for j := range v {
					v[j] = rng.Float32()*2 - 1
				}
			}
			size := p.N * p.OH * p.OW * p.OC
			// Epilogues: bias + relu6; leaky ReLU with a residual before it; a residual
			// after a sigmoid (not clamp-form: applied per row, not in the kernels).
			ep := &Epilogue{Bias: bias, Act: ActRelu6}
			switch i % 3 {
			case 1:
				ep = &Epilogue{Act: ActLeakyRelu, Params: ActParams{Alpha: 0.2}, Residual: make([]float32, size)}
			case 2:
				ep = &Epilogue{Bias: bias, Act: ActSigmoid, Residual: make([]float32, size), ResidualAfterAct: true}
			}
			for j := range ep.Residual {
				ep.Residual[j] = rng.Float32()*2 - 1
			}
			y := checkConv2DGemm(t, &p, x, w, ep)
			what := fmt.Sprintf("%s %+v", CPULevel(), p)
			// The kernel in panel layout: the same kernels read it, the same bits come out.
			kk := p.KH * p.KW * p.C
			wp := PackPanelsInto(make([]float32, PanelsLen(kk, p.OC)), kk, p.OC, w, p.OC)
			yp := newGuarded(size)
			Conv2DGemmPanels(&p, x, &wp, yp.s, make([]float32, Conv2DGemmScratch(&p)), ep)
			yp.check(t, what+" (panels)")
			requireSameBits(t, what+" (panels)", yp.s, y.s)
		}
	})
}

// checkConv2DGemm runs Conv2DGemm on p at the level in force, its output inside guard bands,
// and checks it against Conv2D on the pure-Go kernels at 1e-5 + 1e-4·|want|; it returns the
// output.
func checkConv2DGemm(t *testing.T, p *ConvParams, x, w []float32, ep *Epilogue) *guarded {
	t.Helper()
	size := p.N * p.OH * p.OW * p.OC
	want := make([]float32, size)
	old := cpuLevel
	cpuLevel = levelGeneric
	Conv2D(p, x, w, want, ep)
	cpuLevel = old
	y := newGuarded(size)
	Conv2DGemm(p, x, w, y.s, make([]float32, Conv2DGemmScratch(p)), ep)
	what := fmt.Sprintf("%s %+v", CPULevel(), *p)
	y.check(t, what)
	requireClose(t, what, y.s, f64s(want), 1e-5, 1e-4)
	return y
}

// TestConv2DGemmOneChannel checks Conv2DGemm to one output channel (on AVX-512 the
// dot-product kernels, convdot_amd64.s) at each level against Conv2D on the pure-Go kernels:
// depths below, at and past the kernels' 16-value blocks (their masked tails), kernel rows
// merged into one tap (undilated columns) or not (dilated), strides, output rows of 1 to 40
// pixels (every kernel height, runs, the split image's border columns run down), clamp and
// other epilogues, guard bands around the output; and with no allocation.
func TestConv2DGemmOneChannel(t *testing.T) {
	shapes := []convShape{
		{3, 3, 1, 1, 1, 1, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 0, 0, 0, 0}, {5, 5, 2, 2, 1, 1, 2, 2, 2, 2},
		{3, 3, 1, 1, 2, 2, 2, 2, 2, 2}, {3, 1, 1, 1, 1, 1, 1, 0, 1, 0},
	}
	rng := rand.New(rand.NewSource(13))
	eachLevel(t, func(t *testing.T) {
		for i := 0; i < 60; i++ {
			c := []int{1, 5, 15, 16, 17, 32, 33, 48}[i%8]
			p := shapes[i%len(shapes)].params(1+i%2, 2+rng.Intn(4), 1+rng.Intn(40), c, 1)
			if p.OH < 1 || p.OW < 1 {
				continue
			}
			x, w, bias := randSlice(newRand(uint64(i)), p.N*p.H*p.W*p.C), randSlice(newRand(uint64(i+100)), p.KH*p.KW*p.C), []float32{0.25}
			size := p.N * p.OH * p.OW
			ep := &Epilogue{Bias: bias, Act: ActRelu6}
			if i%3 == 1 {
				ep = &Epilogue{Bias: bias, Act: ActSigmoid, Residual: randSlice(newRand(uint64(i+200)), size)}
			} else if i%3 == 2 {
				ep = nil
			}
			checkConv2DGemm(t, &p, x, w, ep)
		}
		p := ConvParams{N: 1, H: 6, W: 40, C: 32, OH: 6, OW: 40, OC: 1, KH: 3, KW: 3, PadT: 1, PadL: 1, Groups: 1}
		x, w, y := make([]float32, 6*40*32), make([]float32, 9*32), make([]float32, 6*40)
		s := make([]float32, Conv2DGemmScratch(&p))
		requireNoAllocs(t, "Conv2DGemm, one channel", func() { Conv2DGemm(&p, x, w, y, s, &Epilogue{Act: ActRelu}) })
	})
}

func TestConv2DGemmAllocatesNothing(t *testing.T) {
	p := ConvParams{N: 2, H: 16, W: 16, C: 8, OH: 16, OW: 16, OC: 16, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 1, Groups: 1}
	x, w, y := make([]float32, 2*16*16*8), make([]float32, 9*8*16), make([]float32, 2*16*16*16)
	s := make([]float32, Conv2DGemmScratch(&p))
	if n := allocsPerRun(5, func() { Conv2DGemm(&p, x, w, y, s, nil) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
	wp := PackPanelsInto(make([]float32, PanelsLen(9*8, 16)), 9*8, 16, w, 16)
	requireNoAllocs(t, "Conv2DGemmPanels", func() { Conv2DGemmPanels(&p, x, &wp, y, s, nil) })
	// Wide enough for the implicit path to split the padded image, with a clamp epilogue.
	p.H, p.W, p.OH, p.OW = 8, 40, 8, 40
	ep := &Epilogue{Bias: make([]float32, 16), Act: ActRelu6}
	s = make([]float32, Conv2DGemmScratch(&p))
	x, y = make([]float32, 2*8*40*8), make([]float32, 2*8*40*16)
	requireNoAllocs(t, "Conv2DGemmPanels, split", func() { Conv2DGemmPanels(&p, x, &wp, y, s, ep) })
}

// BenchmarkConv2DGemm times Conv2DGemm on the k×k convolutions of the bench
// models (../shared/bench), one image; the "im2col" runs force the
// gathered-patches path and the "winograd" and "winograd4" ones (3×3, stride 1) run
// Conv2DWinograd with 2×2 and 4×4 output tiles, for
// comparison (same run, same shapes; GFLOP/s count the direct convolution's work).
func BenchmarkConv2DGemm(b *testing.B) {
	shapes := []struct {
		name string
		p    ConvParams
	}{
		{"cnn_conv2_11x11x32-64", ConvParams{H: 13, W: 13, C: 32, OH: 11, OW: 11, OC: 64, KH: 3, KW: 3}},
		{"cnn_conv1_26x26x1-32", ConvParams{H: 28, W: 28, C: 1, OH: 26, OW: 26, OC: 32, KH: 3, KW: 3}},
		{"resnet_s1_64x64x16-16", ConvParams{H: 64, W: 64, C: 16, OH: 64, OW: 64, OC: 16, KH: 3, KW: 3, PadT: 1, PadL: 1}},
		{"resnet_s2_32x32x32-32", ConvParams{H: 32, W: 32, C: 32, OH: 32, OW: 32, OC: 32, KH: 3, KW: 3, PadT: 1, PadL: 1}},
		{"resnet_s3_16x16x64-64", ConvParams{H: 16, W: 16, C: 64, OH: 16, OW: 16, OC: 64, KH: 3, KW: 3, PadT: 1, PadL: 1}},
		{"resnet_s4_8x8x128-128", ConvParams{H: 8, W: 8, C: 128, OH: 8, OW: 8, OC: 128, KH: 3, KW: 3, PadT: 1, PadL: 1}},
		{"resnet_stem_64x64x3-16", ConvParams{H: 64, W: 64, C: 3, OH: 64, OW: 64, OC: 16, KH: 3, KW: 3, PadT: 1, PadL: 1}},
		{"mnv2_stem_112x112x3-32_s2", ConvParams{H: 224, W: 224, C: 3, OH: 112, OW: 112, OC: 32, KH: 3, KW: 3, SH: 2, SW: 2}},
		{"vgg_56x56x64-64", ConvParams{H: 56, W: 56, C: 64, OH: 56, OW: 56, OC: 64, KH: 3, KW: 3, PadT: 1, PadL: 1}},
		{"unet_224x224x16-8", ConvParams{H: 224, W: 224, C: 16, OH: 224, OW: 224, OC: 8, KH: 3, KW: 3, PadT: 1, PadL: 1}},
		{"unet_224x224x3-8", ConvParams{H: 224, W: 224, C: 3, OH: 224, OW: 224, OC: 8, KH: 3, KW: 3, PadT: 1, PadL: 1}},
		{"unet_224x224x8-8", ConvParams{H: 224, W: 224, C: 8, OH: 224, OW: 224, OC: 8, KH: 3, KW: 3, PadT: 1, PadL: 1}},
		{"one_channel_256x256x32-1", ConvParams{H: 256, W: 256, C: 32, OH: 256, OW: 256, OC: 1, KH: 3, KW: 3, PadT: 1, PadL: 1}},
	}
	for _, s := range shapes {
		p := s.p
		p.N, p.Groups = 1, 1
		r := newRand(5) // random inputs: never-written zero pages would alias in the caches
		x, w := randSlice(r, p.H*p.W*p.C), randSlice(r, p.KH*p.KW*p.C*p.OC)
		y := make([]float32, p.OH*p.OW*p.OC)
		sc := make([]float32, Conv2DGemmScratch(&p))
		flops := 2 * float64(p.OH*p.OW*p.OC*p.KH*p.KW*p.C)
		ep := &Epilogue{Bias: make([]float32, p.OC), Act: ActRelu}
		paths := []string{"implicit", "im2col"}
		var u, u4 WinogradKernel
		if WinogradOK(&p) {
			paths = append(paths, "winograd", "winograd4")
			u = WinogradKernelInto(make([]float32, WinogradKernelLen(2, p.C, p.OC)), w, 2, p.C, p.OC)
			u4 = WinogradKernelInto(make([]float32, WinogradKernelLen(4, p.C, p.OC)), w, 4, p.C, p.OC)
			sc = make([]float32, max(len(sc), Conv2DWinogradScratch(&p, 2), Conv2DWinogradScratch(&p, 4)))
		}
		for _, path := range paths {
			b.Run(s.name+"/"+path, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if path == "winograd" {
						Conv2DWinograd(&p, x, &u, y, sc, ep)
					} else if path == "winograd4" {
						Conv2DWinograd(&p, x, &u4, y, sc, ep)
					} else if path == "im2col" {
						conv2DGemm("Conv2DGemm", &p, x, y, sc, func(rows int, patches, out []float32, row0 int) {
							GemmEpilogue(rows, p.OC, p.KH*p.KW*p.C, patches, p.KH*p.KW*p.C, w, p.OC, out, p.OC, row0, ep)
						})
					} else {
						Conv2DGemm(&p, x, w, y, sc, ep)
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// TestConv2DGemmThreads checks that the implicit convolution split across threads — by
// images (batch 4, each part padding its own copies) and by output rows (batch 1) — gives the
// one-thread bits, and allocates nothing warm.
func TestConv2DGemmThreads(t *testing.T) {
	for _, n := range []int{1, 4} {
		p := ConvParams{N: n, H: 40, W: 40, C: 32, OH: 40, OW: 40, OC: 48, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 1, Groups: 1}
		r := newRand(8)
		x, w := randSlice(r, n*40*40*32), randSlice(r, 9*32*48)
		ep := &Epilogue{Bias: w[:48], Act: ActRelu, Residual: randSlice(r, n*40*40*48)}
		scratch := make([]float32, Conv2DGemmScratch(&p))
		one, two := make([]float32, n*40*40*48), make([]float32, n*40*40*48)
		Conv2DGemm(&p, x, w, one, scratch, ep)
		withThreads(3, func() {
			Conv2DGemm(&p, x, w, two, scratch, ep)
			requireSameBits(t, fmt.Sprintf("Conv2DGemm batch %d with 3 threads against one", n), two, one)
			requireNoAllocs(t, "Conv2DGemm (3 threads)", func() { Conv2DGemm(&p, x, w, two, scratch, ep) })
		})
	}
}
