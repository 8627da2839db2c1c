package runtime

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// padInput returns x [N,H,W,C] in float64 inside a zero border of padT/padL
// before and enough after for output oh×ow, as the textbook definition of
// padding does, with the padded height and width.
func padInput(p *ConvParams, x []float32) (xp []float64, hp, wp int) {
	sh, sw, dh, dw, _ := p.steps()
	hp = max(p.PadT+p.H, (p.OH-1)*sh+(p.KH-1)*dh+1)
	wp = max(p.PadL+p.W, (p.OW-1)*sw+(p.KW-1)*dw+1)
	xp = make([]float64, p.N*hp*wp*p.C)
	for n := 0; n < p.N; n++ {
		for h := 0; h < p.H; h++ {
			for w := 0; w < p.W; w++ {
				for c := 0; c < p.C; c++ {
					xp[((n*hp+h+p.PadT)*wp+w+p.PadL)*p.C+c] = float64(x[((n*p.H+h)*p.W+w)*p.C+c])
				}
			}
		}
	}
	return xp, hp, wp
}

// convRef is Conv2D by the textbook seven nested loops over the padded
// input; mag is Σ|x·w| per output.
func convRef(p *ConvParams, x, w []float32) (want, mag []float64) {
	sh, sw, dh, dw, groups := p.steps()
	cpg, opg := p.C/groups, p.OC/groups
	xp, hp, wp := padInput(p, x)
	want = make([]float64, p.N*p.OH*p.OW*p.OC)
	mag = make([]float64, len(want))
	for n := 0; n < p.N; n++ {
		for oh := 0; oh < p.OH; oh++ {
			for ow := 0; ow < p.OW; ow++ {
				for o := 0; o < p.OC; o++ {
					g := o / opg
					var s, a float64
					for kh := 0; kh < p.KH; kh++ {
						for kw := 0; kw < p.KW; kw++ {
							for ci := 0; ci < cpg; ci++ {
								xv := xp[((n*hp+oh*sh+kh*dh)*wp+ow*sw+kw*dw)*p.C+g*cpg+ci]
								wv := float64(w[((kh*p.KW+kw)*cpg+ci)*p.OC+o])
								s += xv * wv
								a += math.Abs(xv * wv)
							}
						}
					}
					i := ((n*p.OH+oh)*p.OW+ow)*p.OC + o
					want[i], mag[i] = s, a
				}
			}
		}
	}
	return want, mag
}

// depthwiseRef is DepthwiseConv2D by nested loops over the padded input.
func depthwiseRef(p *ConvParams, x, w []float32) (want, mag []float64) {
	sh, sw, dh, dw, _ := p.steps()
	mult := p.OC / p.C
	xp, hp, wp := padInput(p, x)
	want = make([]float64, p.N*p.OH*p.OW*p.OC)
	mag = make([]float64, len(want))
	for n := 0; n < p.N; n++ {
		for oh := 0; oh < p.OH; oh++ {
			for ow := 0; ow < p.OW; ow++ {
				for c := 0; c < p.C; c++ {
					for m := 0; m < mult; m++ {
						var s, a float64
						for kh := 0; kh < p.KH; kh++ {
							for kw := 0; kw < p.KW; kw++ {
								xv := xp[((n*hp+oh*sh+kh*dh)*wp+ow*sw+kw*dw)*p.C+c]
								wv := float64(w[((kh*p.KW+kw)*p.C+c)*mult+m])
								s += xv * wv
								a += math.Abs(xv * wv)
							}
						}
						i := ((n*p.OH+oh)*p.OW+ow)*p.OC + c*mult + m
						want[i], mag[i] = s, a
					}
				}
			}
		}
	}
	return want, mag
}

// convTransposeRef scatters every input pixel through every tap into the
// full transposed output ((H-1)*SH + (KH-1)*DH + 1 high), then crops
// PadT/PadL from its start (positions past its end read zero).
func convTransposeRef(p *ConvTransposeParams, x, w []float32) (want, mag []float64) {
	sh, sw, dh, dw, _ := p.steps()
	fh, fw := (p.H-1)*sh+(p.KH-1)*dh+1, (p.W-1)*sw+(p.KW-1)*dw+1
	full := make([]float64, p.N*fh*fw*p.OC)
	fmag := make([]float64, len(full))
	for n := 0; n < p.N; n++ {
		for ih := 0; ih < p.H; ih++ {
			for iw := 0; iw < p.W; iw++ {
				for kh := 0; kh < p.KH; kh++ {
					for kw := 0; kw < p.KW; kw++ {
						for o := 0; o < p.OC; o++ {
							for c := 0; c < p.C; c++ {
								v := float64(x[((n*p.H+ih)*p.W+iw)*p.C+c]) * float64(w[((kh*p.KW+kw)*p.OC+o)*p.C+c])
								i := ((n*fh+ih*sh+kh*dh)*fw+iw*sw+kw*dw)*p.OC + o
								full[i] += v
								fmag[i] += math.Abs(v)
							}
						}
					}
				}
			}
		}
	}
	want = make([]float64, p.N*p.OH*p.OW*p.OC)
	mag = make([]float64, len(want))
	for n := 0; n < p.N; n++ {
		for oh := 0; oh < p.OH; oh++ {
			for ow := 0; ow < p.OW; ow++ {
				h, w := oh+p.PadT, ow+p.PadL
				if h >= fh || w >= fw {
					continue
				}
				for o := 0; o < p.OC; o++ {
					want[((n*p.OH+oh)*p.OW+ow)*p.OC+o] = full[((n*fh+h)*fw+w)*p.OC+o]
					mag[((n*p.OH+oh)*p.OW+ow)*p.OC+o] = fmag[((n*fh+h)*fw+w)*p.OC+o]
				}
			}
		}
	}
	return want, mag
}

// padMode picks one spatial dimension's padding and output size: "valid",
// TF "same", or arbitrary padding before and after. ok is false when the
// output would be empty.
func padMode(r *rand.Rand, in, k, s, d int) (pad, out int, ok bool) {
	eff := (k-1)*d + 1
	switch r.IntN(3) {
	case 0: // valid
		out = (in-eff)/s + 1
		return 0, out, in >= eff
	case 1: // same: the smaller half before
		out = (in + s - 1) / s
		total := max((out-1)*s+eff-in, 0)
		return total / 2, out, true
	default:
		before, after := r.IntN(3), r.IntN(3)
		span := in + before + after - eff
		return before, span/s + 1, span >= 0
	}
}

// randConv returns a random convolution: groups > 1 only when grouped,
// OC a multiple of C when depthwise.
func randConv(r *rand.Rand, grouped, depthwise bool) ConvParams {
	for {
		p := ConvParams{
			N: 1 + r.IntN(2), H: 1 + r.IntN(7), W: 1 + r.IntN(8),
			KH: 1 + r.IntN(3), KW: 1 + r.IntN(3),
			SH: 1 + r.IntN(3), SW: 1 + r.IntN(3), DH: 1 + r.IntN(2), DW: 1 + r.IntN(2),
			Groups: 1,
		}
		switch {
		case depthwise:
			p.C = 1 + r.IntN(4)
			p.OC = p.C * (1 + r.IntN(3))
		case grouped:
			p.Groups = 2 + r.IntN(2)
			p.C, p.OC = p.Groups*(1+r.IntN(3)), p.Groups*(1+r.IntN(3))
		default:
			p.C, p.OC = 1+r.IntN(5), 1+r.IntN(5)
		}
		var okH, okW bool
		p.PadT, p.OH, okH = padMode(r, p.H, p.KH, p.SH, p.DH)
		p.PadL, p.OW, okW = padMode(r, p.W, p.KW, p.SW, p.DW)
		if okH && okW {
			return p
		}
	}
}

// checkConvOut runs kernel on random x and w for p, over a garbage-filled
// guarded output, and checks it against the reference with every epilogue.
func checkConvOut(t *testing.T, what string, r *rand.Rand, p *ConvParams, xLen, wLen, yLen int,
	kernel func(x, w, y []float32, ep *Epilogue), ref func(x, w []float32) ([]float64, []float64), terms int) {
	t.Helper()
	for e, ep := range epilogues(r, p.N*p.OH*p.OW, p.OC) {
		x, w := randSlice(r, xLen), randSlice(r, wLen)
		x0, w0 := clone(x), clone(w)
		y := newGuarded(yLen).fill(randSlice(r, yLen))
		kernel(x, w, y.s, ep)
		what := name("%s %+v epilogue %d", what, *p, e)
		y.check(t, what)
		requireUnchanged(t, what+" x", x0, x)
		requireUnchanged(t, what+" w", w0, w)
		want, mag := ref(x, w)
		tol := make([]float64, len(want))
		for i := range tol {
			tol[i] = 2 * sumTol(terms, mag[i])
		}
		epilogueRef(ep, p.OC, want)
		requireCloseTol(t, what, y.s, want, tol)
	}
}

func TestConv2DRandom(t *testing.T) {
	r := newRand(7)
	for i := 0; i < 400; i++ {
		p := randConv(r, i%4 == 3, false)
		checkConvOut(t, "Conv2D", r, &p, p.N*p.H*p.W*p.C, p.KH*p.KW*(p.C/p.Groups)*p.OC, p.N*p.OH*p.OW*p.OC,
			func(x, w, y []float32, ep *Epilogue) { Conv2D(&p, x, w, y, ep) },
			func(x, w []float32) ([]float64, []float64) { return convRef(&p, x, w) },
			p.KH*p.KW*p.C/p.Groups)
	}
}

// TestConv2DSpecialCases covers the 1×1 Gemm path, Conv1D 'causal', zero
// strides read as 1, and sizes where whole windows fall in the padding.
func TestConv2DSpecialCases(t *testing.T) {
	r := newRand(8)
	cases := []ConvParams{
		{N: 2, H: 3, W: 5, C: 7, OH: 3, OW: 5, OC: 9, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1},
		{N: 1, H: 8, W: 8, C: 16, OH: 8, OW: 8, OC: 300, KH: 1, KW: 1}, // zero strides etc. mean 1
		{N: 1, H: 4, W: 4, C: 3, OH: 2, OW: 2, OC: 2, KH: 1, KW: 1, SH: 2, SW: 2},
		{N: 2, H: 1, W: 9, C: 3, OH: 1, OW: 9, OC: 4, KH: 1, KW: 3, DW: 2, PadL: 4},   // causal
		{N: 1, H: 1, W: 6, C: 2, OH: 1, OW: 6, OC: 2, KH: 1, KW: 4, PadL: 1},          // 'same', even kernel
		{N: 1, H: 2, W: 2, C: 1, OH: 6, OW: 6, OC: 1, KH: 2, KW: 2, PadT: 3, PadL: 3}, // empty windows
		{N: 1, H: 5, W: 5, C: 0, OH: 5, OW: 5, OC: 3, KH: 3, KW: 3, PadT: 1, PadL: 1}, // no input channels: bias only
		{N: 0, H: 5, W: 5, C: 2, OH: 5, OW: 5, OC: 3, KH: 3, KW: 3, PadT: 1, PadL: 1},
	}
	for _, p := range cases {
		checkConvOut(t, "Conv2D", r, &p, p.N*p.H*p.W*p.C, p.KH*p.KW*p.C*p.OC, p.N*p.OH*p.OW*p.OC,
			func(x, w, y []float32, ep *Epilogue) { Conv2D(&p, x, w, y, ep) },
			func(x, w []float32) ([]float64, []float64) { return convRef(&p, x, w) },
			p.KH*p.KW*p.C)
	}
}

func TestConv2DHand(t *testing.T) {
	// 'same' 3×3 all-ones kernel over 1..9: each output sums its neighbourhood.
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	w := []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}
	y := make([]float32, 9)
	Conv2D(&ConvParams{N: 1, H: 3, W: 3, C: 1, OH: 3, OW: 3, OC: 1, KH: 3, KW: 3, PadT: 1, PadL: 1}, x, w, y, nil)
	requireEqual(t, "same 3x3", y, []float32{12, 21, 16, 27, 45, 33, 24, 39, 28})
	// 'valid' 2×2 kernel [1 0; 0 1] at stride 2 over 3×3: one output, x[0,0] + x[1,1].
	y = make([]float32, 1)
	Conv2D(&ConvParams{N: 1, H: 3, W: 3, C: 1, OH: 1, OW: 1, OC: 1, KH: 2, KW: 2, SH: 2, SW: 2}, x, []float32{1, 0, 0, 1}, y, nil)
	requireEqual(t, "valid 2x2", y, []float32{1 + 5})
	// Conv1D causal, kernel [1 10]: y[t] = x[t-1] + 10 x[t].
	y = make([]float32, 3)
	Conv2D(&ConvParams{N: 1, H: 1, W: 3, C: 1, OH: 1, OW: 3, OC: 1, KH: 1, KW: 2, PadL: 1}, []float32{1, 2, 3}, []float32{1, 10}, y, nil)
	requireEqual(t, "causal", y, []float32{10, 21, 32})
	// Two groups of one channel: output 0 sees channel 0 only, output 1 channel 1.
	y = make([]float32, 2)
	Conv2D(&ConvParams{N: 1, H: 1, W: 1, C: 2, OH: 1, OW: 1, OC: 2, KH: 1, KW: 1, PadL: 0, Groups: 2, SW: 1},
		[]float32{3, 5}, []float32{2, 7}, y, &Epilogue{Bias: []float32{1, 1}})
	requireEqual(t, "groups", y, []float32{7, 36})
	require.Panics(t, func() {
		Conv2D(&ConvParams{N: 1, H: 1, W: 1, C: 3, OH: 1, OW: 1, OC: 2, KH: 1, KW: 1, Groups: 2}, x, w, y, nil)
	})
}

func TestDepthwiseConv2D(t *testing.T) {
	r := newRand(9)
	for i := 0; i < 300; i++ {
		p := randConv(r, false, true)
		checkConvOut(t, "DepthwiseConv2D", r, &p, p.N*p.H*p.W*p.C, p.KH*p.KW*p.OC, p.N*p.OH*p.OW*p.OC,
			func(x, w, y []float32, ep *Epilogue) { DepthwiseConv2D(&p, x, w, y, ep) },
			func(x, w []float32) ([]float64, []float64) { return depthwiseRef(&p, x, w) },
			p.KH*p.KW)
	}
	// By hand: channel multiplier 2, 1×1 kernel [[1 2] [10 20]] on [3 5].
	y := make([]float32, 4)
	DepthwiseConv2D(&ConvParams{N: 1, H: 1, W: 1, C: 2, OH: 1, OW: 1, OC: 4, KH: 1, KW: 1},
		[]float32{3, 5}, []float32{1, 2, 10, 20}, y, nil)
	requireEqual(t, "depthwise hand", y, []float32{3, 6, 50, 100})
	// 'same' 3×3 of ones on a 2×2 image of one channel: every output sums all 4.
	y = make([]float32, 4)
	DepthwiseConv2D(&ConvParams{N: 1, H: 2, W: 2, C: 1, OH: 2, OW: 2, OC: 1, KH: 3, KW: 3, PadT: 1, PadL: 1},
		[]float32{1, 2, 3, 4}, []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}, y, nil)
	requireEqual(t, "depthwise same", y, []float32{10, 10, 10, 10})
}

// randConvTranspose returns a random Conv2DTranspose with Keras-style
// output sizes: full, 'same'-cropped, or an arbitrary crop and
// output_padding.
func randConvTranspose(r *rand.Rand) ConvTransposeParams {
	p := ConvTransposeParams{ConvParams{
		N: 1 + r.IntN(2), H: 1 + r.IntN(5), W: 1 + r.IntN(6), C: 1 + r.IntN(4), OC: 1 + r.IntN(4),
		KH: 1 + r.IntN(3), KW: 1 + r.IntN(4), SH: 1 + r.IntN(3), SW: 1 + r.IntN(3),
		DH: 1 + r.IntN(2), DW: 1 + r.IntN(2), Groups: 1,
	}}
	dim := func(in, k, s, d int) (pad, out int) {
		full := (in-1)*s + (k-1)*d + 1
		switch r.IntN(3) {
		case 0:
			return 0, full
		case 1: // 'same': out = in*s
			return max((k-1)*d+1-s, 0) / 2, in * s
		default:
			pad = r.IntN(min(full, 3))
			return pad, max(full-pad-r.IntN(2)+r.IntN(2), 1)
		}
	}
	p.PadT, p.OH = dim(p.H, p.KH, p.SH, p.DH)
	p.PadL, p.OW = dim(p.W, p.KW, p.SW, p.DW)
	return p
}

func TestConv2DTransposeRandom(t *testing.T) {
	r := newRand(10)
	for i := 0; i < 300; i++ {
		p := randConvTranspose(r)
		checkConvOut(t, "Conv2DTranspose", r, &p.ConvParams, p.N*p.H*p.W*p.C, p.KH*p.KW*p.OC*p.C, p.N*p.OH*p.OW*p.OC,
			func(x, w, y []float32, ep *Epilogue) { Conv2DTranspose(&p, x, w, y, ep) },
			func(x, w []float32) ([]float64, []float64) { return convTransposeRef(&p, x, w) },
			p.KH*p.KW*p.C)
	}
}

// TestConv2DTransposeTiles checks the transposed convolutions whose input pixels each write
// their own tile of the output (kernel = stride, undilated, uncropped: convTransposeTiles)
// against the reference, at every level (the products run on Gemm): 1×1 to 3×3 tiles, square
// or not, up to 40 pixels a row and 33 channels either side, every epilogue; and that the
// same shapes cropped or dilated (the general loop) agree too.
func TestConv2DTransposeTiles(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(12)
		for i := 0; i < 40; i++ {
			k := [][2]int{{2, 2}, {1, 1}, {3, 3}, {2, 3}, {3, 1}}[i%5]
			p := ConvTransposeParams{ConvParams{N: 1 + i%2, H: 1 + r.IntN(5), W: 1 + r.IntN(40), C: 1 + r.IntN(33), OC: 1 + r.IntN(33),
				KH: k[0], KW: k[1], SH: k[0], SW: k[1], DH: 1, DW: 1, Groups: 1}}
			p.OH, p.OW = p.H*p.SH, p.W*p.SW
			if !p.tiles() {
				t.Fatalf("%+v: not tiles", p)
			}
			if i%4 == 3 && p.KW > 1 { // the general loop on a cropped neighbour
				p.PadL, p.OW = 1, p.OW-1
				if p.tiles() {
					t.Fatalf("%+v: cropped but tiles", p)
				}
			}
			checkConvOut(t, "Conv2DTranspose "+CPULevel(), r, &p.ConvParams, p.N*p.H*p.W*p.C, p.KH*p.KW*p.OC*p.C, p.N*p.OH*p.OW*p.OC,
				func(x, w, y []float32, ep *Epilogue) { Conv2DTranspose(&p, x, w, y, ep) },
				func(x, w []float32) ([]float64, []float64) { return convTransposeRef(&p, x, w) },
				p.C)
		}
	})
}

// TestConv2DTransposeTilesThreads checks the tile path split across threads by input rows
// against one thread, bit for bit, at every level: a U-Net's 2×2 upsampling and a 3×1 one,
// images a part boundary splits, with no epilogue, a bias and relu, a sigmoid, and a residual;
// the split taken (three parts), nothing written outside y, nothing allocated when warm.
func TestConv2DTransposeTilesThreads(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(19)
		for _, p := range []ConvTransposeParams{
			{ConvParams{N: 2, H: 56, W: 56, C: 16, OC: 8, KH: 2, KW: 2, SH: 2, SW: 2}},
			{ConvParams{N: 3, H: 17, W: 40, C: 9, OC: 5, KH: 3, KW: 1, SH: 3, SW: 1}},
		} {
			p.OH, p.OW = p.H*p.SH, p.W*p.SW
			x, w := randSlice(r, p.N*p.H*p.W*p.C), randSlice(r, p.KH*p.KW*p.OC*p.C)
			yLen := p.N * p.OH * p.OW * p.OC
			bias, res := randSlice(r, p.OC), randSlice(r, yLen)
			for _, ep := range []*Epilogue{nil, {Bias: bias, Act: ActRelu}, {Bias: bias, Act: ActSigmoid}, {Bias: bias, Residual: res}} {
				what := fmt.Sprintf("%s %+v ep=%v", CPULevel(), p.ConvParams, ep != nil)
				want := make([]float32, yLen)
				withThreads(1, func() { Conv2DTranspose(&p, x, w, want, ep) })
				withThreads(3, func() {
					if parts := partsFor(p.N*p.H*p.W*p.KH*p.KW*p.OC*p.C, p.N*p.H); parts != 3 {
						t.Fatalf("%s: %d parts, want 3", what, parts)
					}
					y := newGuarded(yLen)
					Conv2DTranspose(&p, x, w, y.s, ep)
					y.check(t, what)
					requireSameBits(t, what, y.s, want)
					requireNoAllocs(t, what, func() { Conv2DTranspose(&p, x, w, y.s, ep) })
				})
			}
		}
	})
}

// TestConv2DTransposeIsAdjoint checks ⟨Conv2D(x), g⟩ = ⟨x, Conv2DTranspose(g)⟩
// with the same weight array: the definition of the transposed convolution,
// independent of either kernel's loops.
func TestConv2DTransposeIsAdjoint(t *testing.T) {
	r := newRand(11)
	for i := 0; i < 200; i++ {
		p := randConv(r, false, false)
		x := randSlice(r, p.N*p.H*p.W*p.C)
		w := randSlice(r, p.KH*p.KW*p.C*p.OC)
		g := randSlice(r, p.N*p.OH*p.OW*p.OC)
		y := make([]float32, len(g))
		Conv2D(&p, x, w, y, nil)
		tp := ConvTransposeParams{ConvParams{
			N: p.N, H: p.OH, W: p.OW, C: p.OC, OH: p.H, OW: p.W, OC: p.C,
			KH: p.KH, KW: p.KW, SH: p.SH, SW: p.SW, DH: p.DH, DW: p.DW, PadT: p.PadT, PadL: p.PadL, Groups: 1,
		}}
		xt := make([]float32, len(x))
		Conv2DTranspose(&tp, g, w, xt, nil)
		var lhs, rhs, mag float64
		for j := range y {
			lhs += float64(y[j]) * float64(g[j])
			mag += math.Abs(float64(y[j]) * float64(g[j]))
		}
		for j := range x {
			rhs += float64(x[j]) * float64(xt[j])
		}
		require.InDelta(t, lhs, rhs, 1e-5*(mag+1), "%+v", p)
	}
}

func TestConv2DTransposeHand(t *testing.T) {
	// One pixel of 2 through a 2×2 kernel at stride 2: the kernel, doubled.
	y := make([]float32, 4)
	Conv2DTranspose(&ConvTransposeParams{ConvParams{N: 1, H: 1, W: 1, C: 1, OH: 2, OW: 2, OC: 1, KH: 2, KW: 2, SH: 2, SW: 2}},
		[]float32{2}, []float32{1, 2, 3, 4}, y, nil)
	requireEqual(t, "pixel", y, []float32{2, 4, 6, 8})
	// 1-D: [1 10] through [1 2 3] at stride 2: full output [1 2 13 20 30].
	p := ConvTransposeParams{ConvParams{N: 1, H: 1, W: 2, C: 1, OH: 1, OW: 5, OC: 1, KH: 1, KW: 3, SW: 2}}
	y = make([]float32, 5)
	Conv2DTranspose(&p, []float32{1, 10}, []float32{1, 2, 3}, y, nil)
	requireEqual(t, "full", y, []float32{1, 2, 13, 20, 30})
	// Keras 'same' (output 4, crop 0 before) and a crop of 1 before.
	p.OW = 4
	y = make([]float32, 4)
	Conv2DTranspose(&p, []float32{1, 10}, []float32{1, 2, 3}, y, nil)
	requireEqual(t, "same", y, []float32{1, 2, 13, 20})
	p.PadL = 1
	Conv2DTranspose(&p, []float32{1, 10}, []float32{1, 2, 3}, y, &Epilogue{Bias: []float32{-20}, Act: ActRelu})
	requireEqual(t, "crop 1, bias, relu", y, []float32{0, 0, 0, 10})
}

func TestConvNoAllocs(t *testing.T) {
	r := newRand(12)
	p := ConvParams{N: 1, H: 9, W: 9, C: 8, OH: 9, OW: 9, OC: 8, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 1, Groups: 1}
	x, w, y := randSlice(r, 9*9*8), randSlice(r, 3*3*8*8), make([]float32, 9*9*8)
	ep := &Epilogue{Bias: randSlice(r, 8), Act: ActRelu}
	requireNoAllocs(t, "Conv2D", func() { Conv2D(&p, x, w, y, ep) })
	requireNoAllocs(t, "DepthwiseConv2D", func() { DepthwiseConv2D(&p, x, w, y, ep) })
	tp := ConvTransposeParams{p}
	requireNoAllocs(t, "Conv2DTranspose", func() { Conv2DTranspose(&tp, x, w, y, ep) })
}

// BenchmarkConv2D is a ResNet-style layer: 56×56×64 → 64, 3×3, 'same'.
func BenchmarkConv2D(b *testing.B) {
	r := newRand(13)
	p := ConvParams{N: 1, H: 56, W: 56, C: 64, OH: 56, OW: 56, OC: 64, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PadT: 1, PadL: 1, Groups: 1}
	x, w, y := randSlice(r, 56*56*64), randSlice(r, 3*3*64*64), make([]float32, 56*56*64)
	ep := &Epilogue{Bias: randSlice(r, 64), Act: ActRelu}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		Conv2D(&p, x, w, y, ep)
	}
	flops := 2 * 56 * 56 * 64 * 64 * 9 * float64(b.N)
	b.ReportMetric(flops/time.Since(start).Seconds()/1e9, "GFLOP/s")
}
