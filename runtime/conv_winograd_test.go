package runtime

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// winogradConv runs Conv2DWinograd with m×m tiles on p with the Keras kernel w, transformed
// here.
func winogradConv(m int, p *ConvParams, x, w, y []float32, ep *Epilogue) {
	u := WinogradKernelInto(make([]float32, WinogradKernelLen(m, p.C, p.OC)), w, m, p.C, p.OC)
	Conv2DWinograd(p, x, &u, y, make([]float32, Conv2DWinogradScratch(p, m)), ep)
}

// winogradTiles are the tile sizes the tests run: F(2×2, 3×3) and F(4×4, 3×3).
var winogradTiles = []int{2, 4}

// winogradShapes are the convolutions the tests run: 'same' and 'valid', odd and even
// output sizes (a last tile row or column cut in half), asymmetric padding, one-pixel
// outputs, channel counts on and off the vector widths, and blocks that span images.
var winogradShapes = []ConvParams{
	{N: 1, H: 8, W: 8, C: 16, OH: 8, OW: 8, OC: 16, PadT: 1, PadL: 1},
	{N: 2, H: 7, W: 9, C: 3, OH: 7, OW: 9, OC: 5, PadT: 1, PadL: 1},
	{N: 1, H: 9, W: 6, C: 17, OH: 7, OW: 4, OC: 33},
	{N: 3, H: 5, W: 5, C: 8, OH: 4, OW: 4, OC: 24, PadT: 1, PadL: 1}, // padding before only
	{N: 1, H: 3, W: 3, C: 40, OH: 1, OW: 1, OC: 1},
	{N: 2, H: 2, W: 3, C: 1, OH: 2, OW: 3, OC: 7, PadT: 1, PadL: 1},
	{N: 4, H: 6, W: 6, C: 64, OH: 6, OW: 6, OC: 64, PadT: 1, PadL: 1},
	{N: 1, H: 20, W: 33, C: 9, OH: 18, OW: 31, OC: 16},
}

// TestConv2DWinograd checks Conv2DWinograd against the float64 convolution on every shape
// of winogradShapes at every level, within 1e-5 of Σ|x·w| per output (a tap read from the
// wrong place, or a transform off by one term, is off by far more), with y inside a guard
// band and x untouched.
func TestConv2DWinograd(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		for k, p := range winogradShapes {
			for _, m := range winogradTiles {
				checkWinogradShape(t, m, k, p)
			}
		}
	})
}

// winogradTol is the tolerance of a Winograd output with m×m tiles whose terms sum to mag in
// absolute value: 1e-5·mag for F(2×2, 3×3), 5e-5·mag for F(4×4, 3×3), whose transforms carry
// constants up to 8 (a tap read from the wrong place is off by ~1/(9·C) of mag, far more).
func winogradTol(m int, mag []float64) []float64 {
	rel := 1e-5
	if m == 4 {
		rel = 5e-5
	}
	tol := make([]float64, len(mag))
	for j, v := range mag {
		tol[j] = rel*v + 1e-7
	}
	return tol
}

func checkWinogradShape(t *testing.T, m, i int, p ConvParams) {
	p.KH, p.KW, p.Groups = 3, 3, 1
	require.True(t, WinogradOK(&p))
	r := newRand(uint64(40 + i))
	x, w := randSlice(r, p.N*p.H*p.W*p.C), randSlice(r, 9*p.C*p.OC)
	x0 := clone(x)
	want, mag := convRef(&p, x, w)
	what := fmt.Sprintf("%d×%d tiles, shape %d %+v", m, m, i, p)
	checkWinogradRef(t, m, &p, x, w, want, mag, what)
	requireUnchanged(t, what, x0, x)
}

// checkWinogradRef runs Conv2DWinograd with m×m tiles on p, y inside a guard band, and checks
// it against the reference want within winogradTol(m, mag).
func checkWinogradRef(t *testing.T, m int, p *ConvParams, x, w []float32, want, mag []float64, what string) {
	t.Helper()
	y := newGuarded(len(want))
	winogradConv(m, p, x, w, y.s, nil)
	y.check(t, what)
	requireCloseTol(t, what, y.s, want, winogradTol(m, mag))
}

// TestConv2DWinogradRandom checks Conv2DWinograd against the float64 convolution on the
// non-empty ones of 60 random convolutions (sizes 1–19, padding 0–2 before and after, 1–40
// channels each way, batches 1–3), with both tile sizes at the level in force, within
// winogradTol.
func TestConv2DWinogradRandom(t *testing.T) {
	r := newRand(77)
	ran := 0
	for i := 0; i < 60; i++ {
		p := ConvParams{N: 1 + r.IntN(3), H: 1 + r.IntN(19), W: 1 + r.IntN(19), C: 1 + r.IntN(40), OC: 1 + r.IntN(40),
			KH: 3, KW: 3, PadT: r.IntN(3), PadL: r.IntN(3), Groups: 1}
		p.OH, p.OW = p.H+p.PadT+r.IntN(3)-2, p.W+p.PadL+r.IntN(3)-2 // padding after: 0–2
		if p.OH < 1 || p.OW < 1 {
			continue // an empty output
		}
		ran++
		x, w := randSlice(r, p.N*p.H*p.W*p.C), randSlice(r, 9*p.C*p.OC)
		want, mag := convRef(&p, x, w)
		for _, m := range winogradTiles {
			checkWinogradRef(t, m, &p, x, w, want, mag, fmt.Sprintf("%d×%d tiles, case %d %+v", m, m, i, p))
		}
	}
	require.Greater(t, ran, 50, "convolutions with a non-empty output")
}

// TestConv2DWinogradEpilogue checks that the epilogue gives what applying it to the
// convolution's output does (bias, residual before and after, clamp-form and other
// activations), bit for bit: the output transform applies a clamp-form one in its kernel,
// Conv2DWinograd any other (and any on an odd OW) to each pair of output rows it writes.
func TestConv2DWinogradEpilogue(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		for _, m := range winogradTiles {
			for _, ow := range []int{12, 9} { // an OW not a multiple of m: those rows' epilogue applied after
				checkWinogradEpilogue(t, m, ConvParams{N: 2, H: 9, W: ow, C: 12, OH: 9, OW: ow, OC: 20, KH: 3, KW: 3, PadT: 1, PadL: 1, Groups: 1})
			}
		}
	})
}

func checkWinogradEpilogue(t *testing.T, m int, p ConvParams) {
	r := newRand(7)
	x, w := randSlice(r, p.N*p.H*p.W*p.C), randSlice(r, 9*p.C*p.OC)
	n := p.N * p.OH * p.OW * p.OC
	for _, ep := range []Epilogue{
		{Bias: randSlice(r, p.OC), Act: ActRelu},
		{Bias: randSlice(r, p.OC), Act: ActRelu6, Residual: randSlice(r, n)},
		{Act: ActSigmoid, Residual: randSlice(r, n), ResidualAfterAct: true},
		{Bias: randSlice(r, p.OC), Act: ActGelu},
	} {
		want := make([]float32, n)
		winogradConv(m, &p, x, w, want, nil)
		ep.Apply(0, p.N*p.OH*p.OW, p.OC, want, p.OC)
		got := make([]float32, n)
		winogradConv(m, &p, x, w, got, &ep)
		requireEqual(t, fmt.Sprintf("%d×%d tiles, OW %d, act %v, residual %v", m, m, p.OW, ep.Act, ep.Residual != nil), got, want)
	}
}

// TestWinogradTransformsMatchTwins checks the assembly transforms of both tile sizes bit for
// bit against their Go twins for 0…40 and 64 channels and 1…5 (m = 2) or 1…4 (m = 4) tiles,
// V and Y inside guard bands (F(4×4)'s Y rows with gaps between them, which neither writes),
// the output transform with no epilogue, bias and ReLU (m = 2), a residual before a leaky
// slope, and a residual after a clamp.
func TestWinogradTransformsMatchTwins(t *testing.T) {
	eachAsmLevel(t, func(t *testing.T) {
		r := newRand(11)
		inf := float32(math.Inf(1))
		for _, m := range winogradTiles {
			n := m + 2
			for c := 0; c <= 64; c++ {
				if c > 40 && c != 64 {
					continue
				}
				for tiles := 1; tiles <= 6-m/2; tiles++ {
					what := fmt.Sprintf("F(%d×%d) c %d tiles %d", m, m, c, tiles)
					ldr := (m*tiles+2)*c + 3
					d := randSlice(r, (n-1)*ldr+(m*tiles+2)*c)
					ldv := tiles*c + 5
					got, want := newGuarded((n*n-1)*ldv+tiles*c), newGuarded((n*n-1)*ldv+tiles*c)
					if tiles*c > 0 {
						winogradIn(m, d, ldr, tiles, c, got.s, ldv)
					}
					if m == 4 {
						winograd4InGo(d, ldr, tiles, 0, c, want.s, ldv)
					} else {
						winogradInGo(d, ldr, tiles, 0, c, want.s, ldv)
					}
					got.check(t, "input "+what)
					requireEqual(t, "input "+what, got.s, want.s)

					mm := randSlice(r, (n*n-1)*ldv+tiles*c)
					ldy := m*tiles*c + 7 // F(4×4): rows with gaps
					bias, r0, r1 := randSlice(r, c), randSlice(r, (m-1)*ldy+m*tiles*c), randSlice(r, 2*tiles*c)
					for k, e := range []winogradEp{
						{slope: 1, lo: -inf, hi: inf},
						{bias: bias, slope: 1, lo: 0, hi: inf},
						{bias: bias, r0: r0, r1: r1, slope: 0.25, lo: -inf, hi: inf},
						{r0: r0, r1: r1, slope: 1, lo: 0, hi: 0.5, after: true},
					} {
						w := fmt.Sprintf("output %s epilogue %d", what, k)
						if m == 4 {
							g, tw := newGuarded(3*ldy+4*tiles*c), newGuarded(3*ldy+4*tiles*c)
							if tiles*c > 0 {
								winograd4Out(mm, ldv, tiles, c, g.s, ldy, &e)
							}
							winograd4OutGo(mm, ldv, tiles, 0, c, tw.s, ldy, &e)
							g.check(t, w)
							requireEqual(t, w, g.s, tw.s)
							continue
						}
						g0, g1 := newGuarded(2*tiles*c), newGuarded(2*tiles*c)
						w0, w1 := newGuarded(2*tiles*c), newGuarded(2*tiles*c)
						if tiles*c > 0 {
							winogradOut(mm, ldv, tiles, c, g0.s, g1.s, &e)
						}
						winogradOutGo(mm, ldv, tiles, 0, c, w0.s, w1.s, &e)
						g0.check(t, w+" row 0")
						g1.check(t, w+" row 1")
						requireEqual(t, w+" row 0", g0.s, w0.s)
						requireEqual(t, w+" row 1", g1.s, w1.s)
					}
				}
			}
		}
	})
}

// TestConv2DWinogradThreads checks that threads (splitting the blocks, or one block's
// products) give the one-thread bits, and that a warm call allocates nothing with one thread
// or three.
func TestConv2DWinogradThreads(t *testing.T) {
	for _, p := range []ConvParams{
		{N: 1, H: 64, W: 64, C: 16, OH: 64, OW: 64, OC: 16, PadT: 1, PadL: 1},
		// Blocks lowered to even parts: 7 + 1 tile rows become 4 + 4; across images, 8 + 2
		// become 5 + 5.
		{N: 1, H: 32, W: 32, C: 16, OH: 32, OW: 32, OC: 16, PadT: 1, PadL: 1},
		{N: 5, H: 8, W: 8, C: 64, OH: 8, OW: 8, OC: 48, PadT: 1, PadL: 1},
		// One block (F(4×4), F(2×2) over two images): the products split by planes.
		{N: 1, H: 8, W: 8, C: 128, OH: 8, OW: 8, OC: 128, PadT: 1, PadL: 1},
		{N: 2, H: 4, W: 5, C: 96, OH: 4, OW: 5, OC: 80, PadT: 1, PadL: 1},
	} {
		p.KH, p.KW, p.Groups = 3, 3, 1
		r := newRand(9)
		x, w := randSlice(r, p.N*p.H*p.W*p.C), randSlice(r, 9*p.C*p.OC)
		m := 2 + 2*(p.N%2) // 4×4 tiles for the odd batches
		u := WinogradKernelInto(make([]float32, WinogradKernelLen(m, p.C, p.OC)), w, m, p.C, p.OC)
		n := p.N * p.OH * p.OW * p.OC
		ep := &Epilogue{Bias: randSlice(r, p.OC), Act: ActRelu, Residual: randSlice(r, n)}
		s := make([]float32, Conv2DWinogradScratch(&p, m))
		one, three := make([]float32, n), make([]float32, n)
		Conv2DWinograd(&p, x, &u, one, s, ep)
		requireNoAllocs(t, "Conv2DWinograd", func() { Conv2DWinograd(&p, x, &u, one, s, ep) })
		for i := range s { // nothing the one-thread calls left in the scratch may stand in for a part's
			s[i] = float32(math.NaN())
		}
		withThreads(3, func() {
			Conv2DWinograd(&p, x, &u, three, s, ep)
			requireNoAllocs(t, "Conv2DWinograd, three threads", func() { Conv2DWinograd(&p, x, &u, three, s, ep) })
		})
		requireEqual(t, fmt.Sprintf("%+v", p), three, one)
	}
}

// TestWinogradOK checks which convolutions Conv2DWinograd takes.
func TestWinogradOK(t *testing.T) {
	base := ConvParams{N: 1, H: 8, W: 8, C: 4, OH: 8, OW: 8, OC: 4, KH: 3, KW: 3, PadT: 1, PadL: 1, Groups: 1}
	require.True(t, WinogradOK(&base))
	for name, change := range map[string]func(p *ConvParams){
		"5×5":      func(p *ConvParams) { p.KH, p.KW = 5, 5 },
		"3×1":      func(p *ConvParams) { p.KW = 1 },
		"stride 2": func(p *ConvParams) { p.SH, p.SW = 2, 2 },
		"dilated":  func(p *ConvParams) { p.DH = 2 },
		"grouped":  func(p *ConvParams) { p.Groups = 2 },
		"empty":    func(p *ConvParams) { p.OW = 0 },
	} {
		p := base
		change(&p)
		require.False(t, WinogradOK(&p), name)
	}
}

// TestWinogradTile checks the tile size chosen by channel counts.
func TestWinogradTile(t *testing.T) {
	for _, c := range []struct{ c, oc, want int }{
		{3, 16, 0}, {16, 8, 0}, {11, 64, 0},
		{12, 12, 2}, {12, 16, 2}, {16, 24, 2}, {20, 16, 2},
		{16, 16, 4}, {32, 64, 4}, {128, 128, 4},
	} {
		require.Equal(t, c.want, WinogradTile(c.c, c.oc), "%d→%d channels", c.c, c.oc)
	}
}

// TestWinogradKernelInto checks the transform of a kernel with one non-zero tap against
// G g Gᵀ written out: tap (a, b) of value 1 gives U_{n·i+j} = G[i][a]·G[j][b].
func TestWinogradKernelInto(t *testing.T) {
	for _, m := range winogradTiles {
		g, n := winogradG2, m+2
		if m == 4 {
			g = winogradG4
		}
		for a := 0; a < 3; a++ {
			for b := 0; b < 3; b++ {
				w := make([]float32, 9*2*3) // C = 2, OC = 3
				w[((a*3+b)*2+1)*3+2] = 1    // c 1, oc 2
				u := WinogradKernelInto(make([]float32, WinogradKernelLen(m, 2, 3)), w, m, 2, 3)
				for xi := 0; xi < n*n; xi++ {
					plane := u.Data[xi*6 : xi*6+6] // 2×3: one panel, rows 3 apart
					want := float32(g[xi/n][a] * g[xi%n][b])
					for k, v := range plane {
						if k == 1*3+2 {
							require.Equal(t, want, v, "m %d tap (%d,%d) ξ %d", m, a, b, xi)
						} else {
							require.Zero(t, v, "m %d tap (%d,%d) ξ %d element %d", m, a, b, xi, k)
						}
					}
				}
			}
		}
	}
	require.Panics(t, func() { NewWinogradKernel(2, 2, 3, make([]float32, 5)) })
	require.Panics(t, func() { NewWinogradKernel(3, 2, 3, make([]float32, 150)) })
	require.NotPanics(t, func() { NewWinogradKernel(2, 2, 3, make([]float32, 96)) })
	require.NotPanics(t, func() { NewWinogradKernel(4, 2, 3, make([]float32, 216)) })
}

// TestConv2DWinogradMaxPool checks Conv2DWinogradMaxPool against Conv2DWinograd followed by
// MaxPool2D, value for value (NaN kept), at every level, both tile sizes, 2×2 and 1×2
// pooling: odd and even output sizes (a last tile row or column cut, the row and column the
// pooling drops), one-row outputs, blocks that span images, clamp-form epilogues (fused into
// the transform) and others (applied after), a NaN in the input; y inside a guard band, with
// three threads, and with nothing allocated warm.
func TestConv2DWinogradMaxPool(t *testing.T) {
	shapes := []ConvParams{
		{N: 2, H: 9, W: 12, C: 12, OH: 9, OW: 12, OC: 20, PadT: 1, PadL: 1},
		{N: 1, H: 10, W: 9, C: 16, OH: 8, OW: 7, OC: 16},
		{N: 3, H: 8, W: 8, C: 32, OH: 8, OW: 8, OC: 48, PadT: 1, PadL: 1},
		{N: 1, H: 3, W: 7, C: 13, OH: 1, OW: 5, OC: 14},
		{N: 2, H: 34, W: 35, C: 16, OH: 32, OW: 33, OC: 32},
	}
	eps := []*Epilogue{nil, {Bias: make([]float32, 48), Act: ActRelu}, {Act: ActLeakyRelu, Params: ActParams{Alpha: 0.1}}, {Bias: make([]float32, 48), Act: ActSigmoid}}
	eachLevel(t, func(t *testing.T) {
		for i, p := range shapes {
			p.KH, p.KW, p.Groups = 3, 3, 1
			r := newRand(uint64(60 + i))
			x, w := randSlice(r, p.N*p.H*p.W*p.C), randSlice(r, 9*p.C*p.OC)
			if i == 2 {
				x[5*p.C+3] = float32(math.NaN())
			}
			for _, ep := range eps {
				if ep != nil && ep.Bias != nil {
					copy(ep.Bias, randSlice(r, 48))
				}
				for _, m := range winogradTiles {
					u := WinogradKernelInto(make([]float32, WinogradKernelLen(m, p.C, p.OC)), w, m, p.C, p.OC)
					full := make([]float32, p.N*p.OH*p.OW*p.OC)
					Conv2DWinograd(&p, x, &u, full, make([]float32, Conv2DWinogradScratch(&p, m)), ep)
					for _, ph := range []int{2, 1} {
						pp := pooledParams(&p, ph)
						want := make([]float32, pp.N*pp.OH*pp.OW*pp.C)
						MaxPool2D(&pp, full, want)
						what := fmt.Sprintf("%s %d×%d tiles, pool %d×2, ep %+v, %+v", CPULevel(), m, m, ph, ep, p)
						s := make([]float32, Conv2DWinogradMaxPoolScratch(&p, m))
						y := newGuarded(len(want))
						Conv2DWinogradMaxPool(&p, ph, x, &u, y.s, s, ep)
						y.check(t, what)
						requireSameValues(t, what, y.s, want)
						requireNoAllocs(t, what, func() { Conv2DWinogradMaxPool(&p, ph, x, &u, y.s, s, ep) })
						withThreads(3, func() {
							y3 := newGuarded(len(want))
							Conv2DWinogradMaxPool(&p, ph, x, &u, y3.s, s, ep)
							y3.check(t, what+", three threads")
							requireSameValues(t, what+", three threads", y3.s, want)
						})
					}
				}
			}
		}
	})
}

// BenchmarkWinogradMaxPool times a 3×3 convolution followed by a 2×2 max pooling three ways, one
// image: "direct" on the implicit kernels that pool in registers (Conv2DGemmMaxPool),
// "winograd" with Winograd's algorithm pooling each tile row from scratch
// (Conv2DWinogradMaxPool), and "winograd-then-pool", Conv2DWinograd then MaxPool2D over its
// whole output. Shapes: denoise-ae's conv2d_1 and the benchmark CNN's conv_2.
func BenchmarkWinogradMaxPool(b *testing.B) {
	for _, s := range []struct {
		name string
		p    ConvParams
	}{
		{"denoise_128x128x32-64", ConvParams{H: 128, W: 128, C: 32, OH: 128, OW: 128, OC: 64, PadT: 1, PadL: 1}},
		{"cnn_13x13x32-64", ConvParams{H: 13, W: 13, C: 32, OH: 11, OW: 11, OC: 64}},
	} {
		p := s.p
		p.N, p.KH, p.KW, p.Groups = 1, 3, 3, 1
		r := newRand(3)
		x, w := randSlice(r, p.H*p.W*p.C), randSlice(r, 9*p.C*p.OC)
		m := WinogradTile(p.C, p.OC)
		u := WinogradKernelInto(make([]float32, WinogradKernelLen(m, p.C, p.OC)), w, m, p.C, p.OC)
		ep := &Epilogue{Bias: randSlice(r, p.OC), Act: ActRelu}
		full := make([]float32, p.OH*p.OW*p.OC)
		pp := pooledParams(&p, 2)
		y := make([]float32, pp.OH*pp.OW*pp.C)
		s1 := make([]float32, max(ConvMaxPoolScratch(&p), Conv2DWinogradMaxPoolScratch(&p, m), Conv2DWinogradScratch(&p, m)))
		flops := 2 * float64(p.OH*p.OW*p.OC*9*p.C)
		for _, path := range []string{"direct", "winograd", "winograd-then-pool"} {
			b.Run(s.name+"/"+path, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					switch path {
					case "direct":
						Conv2DGemmMaxPool(&p, 2, x, w, y, s1, ep)
					case "winograd":
						Conv2DWinogradMaxPool(&p, 2, x, &u, y, s1, ep)
					default:
						Conv2DWinograd(&p, x, &u, full, s1, ep)
						MaxPool2D(&pp, full, y)
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}

// BenchmarkConv2DWinogradThreads times batch-1 'same' convolutions (ResNet-style sizes, F(4×4))
// on one thread and on two, same run: 8×8×128 is one block, whose products split by planes;
// the larger images split by blocks of tile rows.
func BenchmarkConv2DWinogradThreads(b *testing.B) {
	r := newRand(3)
	for _, s := range []struct{ hw, c int }{{8, 128}, {16, 64}, {32, 32}} {
		p := ConvParams{N: 1, H: s.hw, W: s.hw, C: s.c, OH: s.hw, OW: s.hw, OC: s.c, KH: 3, KW: 3, PadT: 1, PadL: 1, Groups: 1}
		x, y := randSlice(r, s.hw*s.hw*s.c), make([]float32, s.hw*s.hw*s.c)
		u := WinogradKernelInto(make([]float32, WinogradKernelLen(4, p.C, p.OC)), randSlice(r, 9*p.C*p.OC), 4, p.C, p.OC)
		sc := make([]float32, Conv2DWinogradScratch(&p, 4))
		ep := &Epilogue{Bias: randSlice(r, p.OC), Act: ActRelu}
		for _, t := range []int{1, 2} {
			b.Run(fmt.Sprintf("%dx%dx%d/threads%d", s.hw, s.hw, s.c, t), func(b *testing.B) {
				old := Threads()
				SetThreads(t)
				defer SetThreads(old)
				for i := 0; i < b.N; i++ {
					Conv2DWinograd(&p, x, &u, y, sc, ep)
				}
				b.ReportMetric(2*float64(9*s.hw*s.hw*s.c*s.c)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
