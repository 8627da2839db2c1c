// Winograd convolution: Conv2DWinograd computes a 3×3, stride 1, undilated Groups = 1
// convolution (what Conv2D computes, see conv.go) with the minimal filtering algorithms
// F(m×m, 3×3), m = 2 or 4 (Lavin & Gray, "Fast Algorithms for Convolutional Neural
// Networks", 2016): (m+2)² multiplications per m×m output tile and channel pair where the
// direct convolution does 9m², so 4 (m = 2) or 2.25 (m = 4) multiply-adds per output value
// and input channel instead of 9.
//
// Each output tile (rows m·ty…, columns m·tx…) reads the n×n input patch d (n = m+2) from
// padded row m·ty, column m·tx on (the image at (PadT, PadL), zeros around it), and
//
//	Y = Aᵀ [ Σ_c U_c ⊙ V_c ] A,   V = Bᵀ d B,   U = G g Gᵀ
//
// with, for m = 2, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½;
// 0 0 1], Aᵀ = [1 1 1 0; 0 1 −1 −1], and for m = 4 the matrices of the points 0, ±1, ±2, ∞
// (winogradG4, winograd4T, winograd4A). The kernel's transform U is computed once, in
// float64, when a generated package is built (WinogradKernelInto); the sum over channels is,
// for each of the n² positions ξ of the transform, one matrix product: M_ξ [tiles×OC] = V_ξ
// [tiles×C] · U_ξ [C×OC], on the GEMM kernels. The input transform (V) and the output
// transform (Y) are additions, subtractions and multiplications by 2, 4 and 8, vectorized
// across channels (convwinograd_amd64.s, with pure-Go twins giving the same bits).
//
// The tiles are taken in blocks of whole tile rows (winogradBlockFloats: their V and M fit in
// L2), a block's input rows zero-padded into scratch first; the epilogue is applied to each
// tile row's output rows as the output transform writes them. Threads split the blocks, or,
// with one block, each product (by the GEMM's own split): the bits do not depend on the
// thread count. Sums come in another order than the direct convolution's and the transforms
// round: the tests hold F(2×2, 3×3) to 1e-5 of Σ|x·w| per output and F(4×4, 3×3), whose
// transforms carry constants up to 8, to 5e-5 (winogradTol); resnet_small's outputs stay
// within 1.2e-6 of Keras'.

package runtime

import (
	"math"
	"strconv"
	"sync"
)

// WinogradKernel is a 3×3 convolution kernel transformed for Conv2DWinograd with output tiles
// M×M (M = 2: F(2×2, 3×3); M = 4: F(4×4, 3×3)): the (M+2)² C×OC matrices U_ξ = (G g Gᵀ)_ξ
// (ξ = (M+2)·i + j for row i and column j of the transform), each in panel layout
// (panels.go), one after another.
type WinogradKernel struct {
	M, C, OC int
	Data     []float32 // WinogradKernelLen(M, C, OC) elements
}

// WinogradKernelLen is the number of elements of a kernel transformed for m×m output tiles
// (m 2 or 4): (m+2)²·C·OC; 0 for any other m.
func WinogradKernelLen(m, c, oc int) int {
	if (m != 2 && m != 4) || c <= 0 || oc <= 0 {
		return 0
	}
	return (m + 2) * (m + 2) * c * oc
}

// winogradG2 and winogradG4 are the kernel transforms G of F(2×2, 3×3) (4×3) and F(4×4, 3×3)
// (6×3, interpolation points 0, ±1, ±2, ∞).
var (
	winogradG2 = [][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}
	winogradG4 = [][3]float64{{1.0 / 4, 0, 0}, {-1.0 / 6, -1.0 / 6, -1.0 / 6}, {-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6}, {1.0 / 24, -1.0 / 12, 1.0 / 6}, {0, 0, 1}}
)

// WinogradKernelInto writes into dst (WinogradKernelLen(m, c, oc) elements) the transform of
// w, a 3×3 kernel in Keras' layout [3, 3, C, OC], for m×m output tiles, and returns the kernel
// over dst. Each element of U is summed in float64 and rounded once.
func WinogradKernelInto(dst, w []float32, m, c, oc int) WinogradKernel {
	size := WinogradKernelLen(m, c, oc)
	if size == 0 {
		panic("runtime.WinogradKernelInto: output tiles of " + strconv.Itoa(m) + "×" + strconv.Itoa(m) + ": want 2×2 or 4×4, and channels")
	}
	need("WinogradKernelInto", "dst", dst, size)
	need("WinogradKernelInto", "w", w, 9*c*oc)
	g, n := winogradG2, m+2
	if m == 4 {
		g = winogradG4
	}
	plane := make([]float32, c*oc)
	for xi := 0; xi < n*n; xi++ {
		i, j := xi/n, xi%n
		for ci := 0; ci < c; ci++ {
			for o := 0; o < oc; o++ {
				var s float64
				for a := 0; a < 3; a++ {
					for b := 0; b < 3; b++ {
						s += g[i][a] * float64(w[((a*3+b)*c+ci)*oc+o]) * g[j][b]
					}
				}
				plane[ci*oc+o] = float32(s)
			}
		}
		PackPanelsInto(dst[xi*c*oc:], c, oc, plane, oc)
	}
	return WinogradKernel{M: m, C: c, OC: oc, Data: dst[:size]}
}

// NewWinogradKernel wraps data, a kernel already transformed for m×m output tiles (as the
// weights blob of a generated package holds it); it panics if data has the wrong length.
func NewWinogradKernel(m, c, oc int, data []float32) *WinogradKernel {
	if size := WinogradKernelLen(m, c, oc); size == 0 || len(data) != size {
		panic("runtime.NewWinogradKernel: data does not hold a 3×3 kernel of " + strconv.Itoa(c) + "×" + strconv.Itoa(oc) + " transformed for " + strconv.Itoa(m) + "×" + strconv.Itoa(m) + " tiles")
	}
	return &WinogradKernel{M: m, C: c, OC: oc, Data: data}
}

// plane returns U_ξ as a GEMM B.
func (w *WinogradKernel) plane(xi int) bMat {
	n := w.C * w.OC
	return bMat{b: w.Data[xi*n : (xi+1)*n], panelK: w.C, n: w.OC}
}

// WinogradOK reports whether Conv2DWinograd computes p: a 3×3 kernel, strides and dilations
// 1, Groups = 1, and a non-empty output.
func WinogradOK(p *ConvParams) bool {
	sh, sw, dh, dw, groups := p.steps()
	return p.KH == 3 && p.KW == 3 && sh == 1 && sw == 1 && dh == 1 && dw == 1 && groups == 1 &&
		p.C > 0 && p.OC > 0 && p.OH > 0 && p.OW > 0
}

// winogradMinChannels is the fewest input or output channels WinogradTile takes: with fewer,
// the transforms cost more than the products save. Measured on 'same' convolutions, direct
// time / F(2×2, 3×3) time: 64×64 images 8→8 channels 0.70, 8→16 0.93, 16→8 0.96, 16→16 1.21;
// 32×32 12→12 1.15; 16×16 8→8 0.63, 16→16 1.12; a ResNet's 3-channel stem ~0.4.
const winogradMinChannels = 12

// WinogradTile returns the output tile side Conv2DWinograd should run a 3×3 stride-1
// convolution of c to oc channels with on these kernels: 4 (F(4×4, 3×3)) when both are
// multiples of 16, the F(4×4) transform kernels' vectors (they leave other channels to the Go
// twins); 2 (F(2×2, 3×3), whose kernels take any channel count) from winogradMinChannels
// channels on; else 0, the direct convolution being faster. Measured direct → F(2×2) → F(4×4),
// one image, µs: 64×64 16→16 182 → 162 → 125; 32×32 32→32 175 → 117 → 90; 16×16 64→64 186 →
// 94 → 67; 8×8 128→128 172 → 99 → 53; 56×56 64→64 2180 → 1251 → 769
// (BenchmarkConv2DGemm, same run).
func WinogradTile(c, oc int) int {
	switch {
	case c < winogradMinChannels || oc < winogradMinChannels:
		return 0
	case c%16 == 0 && oc%16 == 0:
		return 4
	}
	return 2
}

// winogradGeom is the tiling of p's output: m×m tiles (n = m+2 the side of their input
// patches, n² planes), th×tw per image, and the tile rows of a block, bt (a block is bt
// consecutive tile rows of the batch's images taken in order); pooled: the output is max
// pooled (Conv2DWinogradMaxPool), each tile row's m rows written to scratch first.
type winogradGeom struct {
	m, n, th, tw, bt int
	pooled           bool
}

// winogradBlockFloats bounds a block's V and M planes together (floats): 256 KiB, in L2 with
// the kernel's planes streaming past.
const winogradBlockFloats = 1 << 16

func winogradGeomOf(p *ConvParams, m int) winogradGeom {
	g := winogradGeom{m: m, n: m + 2, th: (p.OH + m - 1) / m, tw: (p.OW + m - 1) / m}
	tiles := max(1, winogradBlockFloats/(g.n*g.n*(p.C+p.OC)))
	g.bt = max(1, tiles/g.tw) // not bounded by the batch: the scratch is sized without it
	return g
}

// partFloats is the scratch one part needs: a block's padded input rows (at most m·bt+2 of
// them, m·tw+2 pixels each), its V and M planes, and room for a tile row's output where it
// does not fit y: m = 2, a spare output row (the second row of a last tile row past an odd
// OH) and a tile's four output pixels (a last tile past an odd OW); m = 4, the tile row's
// four rows of m·tw pixels; pooled, the tile row's m rows of m·tw pixels.
func (g winogradGeom) partFloats(c, oc int) int {
	band := (g.m*min(g.bt, g.th) + 2) * (g.m*g.tw + 2) * c
	out := 2*g.tw*oc + 4*oc
	if g.m == 4 {
		out = 4 * 4 * g.tw * oc
	}
	if g.pooled {
		out = max(out, g.m*g.m*g.tw*oc)
	}
	return band + g.n*g.n*(g.planeLen(c)+g.planeLen(oc)) + out
}

// planeLen is the stride of the n² planes of a block's V (c = C) or M (c = OC): its tiles'
// rows and one cache line more, so that planes a multiple of 4 KiB long do not map the same
// row of every plane to the same L1 set (the transforms touch all of them at once).
func (g winogradGeom) planeLen(c int) int { return g.bt*g.tw*c + 16 }

// Conv2DWinogradScratch is the scratch Conv2DWinograd needs with m×m output tiles (for one
// thread; the others use their workers' buffers).
func Conv2DWinogradScratch(p *ConvParams, m int) int {
	return winogradGeomOf(p, m).partFloats(p.C, p.OC)
}

// Conv2DWinogradMaxPoolScratch is the scratch Conv2DWinogradMaxPool needs with m×m output
// tiles (for one thread).
func Conv2DWinogradMaxPoolScratch(p *ConvParams, m int) int {
	g := winogradGeomOf(p, m)
	g.pooled = true
	return g.partFloats(p.C, p.OC)
}

// Conv2DWinograd sets y to the convolution of x with the transformed kernel w, then applies
// ep, when WinogradOK(p); scratch holds Conv2DWinogradScratch(p, w.M) elements. A warm call
// allocates nothing.
func Conv2DWinograd(p *ConvParams, x []float32, w *WinogradKernel, y, scratch []float32, ep *Epilogue) {
	needWinograd("Conv2DWinograd", p, w)
	need("Conv2DWinograd", "x", x, p.N*p.H*p.W*p.C)
	need("Conv2DWinograd", "y", y, p.N*p.OH*p.OW*p.OC)
	need("Conv2DWinograd", "scratch", scratch, Conv2DWinogradScratch(p, w.M))
	convWinograd(p, 0, x, w, y, scratch, ep)
}

// Conv2DWinogradMaxPool is Conv2DWinograd followed by a ph×2, stride ph×2 max pooling (ph 1
// or 2; y is [N, OH/ph, OW/2, OC], as for Conv2DGemmMaxPool, see conv_pool.go): each tile
// row's output rows, their epilogue applied, are written to scratch and pooled from there by
// MaxPool2D, so the values are Conv2DWinograd's pooled, and the convolution's output never
// goes through memory beyond L1 and L2. ep takes no residual; scratch holds
// Conv2DWinogradMaxPoolScratch(p, w.M) elements. A warm call allocates nothing.
func Conv2DWinogradMaxPool(p *ConvParams, ph int, x []float32, w *WinogradKernel, y, scratch []float32, ep *Epilogue) {
	needWinograd("Conv2DWinogradMaxPool", p, w)
	needPooled("Conv2DWinogradMaxPool", p, ph, x, y, ep)
	need("Conv2DWinogradMaxPool", "scratch", scratch, Conv2DWinogradMaxPoolScratch(p, w.M))
	convWinograd(p, ph, x, w, y, scratch, ep)
}

// needWinograd panics, naming kernel, unless WinogradOK(p) and w is a transformed kernel for
// p's channels.
func needWinograd(kernel string, p *ConvParams, w *WinogradKernel) {
	if !WinogradOK(p) {
		panic("runtime." + kernel + ": needs a 3×3 kernel, strides and dilations 1, Groups = 1 and a non-empty output")
	}
	if w == nil || w.C != p.C || w.OC != p.OC || WinogradKernelLen(w.M, w.C, w.OC) == 0 {
		panic("runtime." + kernel + ": the weights are not a transformed 3×3 kernel of " + strconv.Itoa(p.C) + "×" + strconv.Itoa(p.OC))
	}
	need(kernel, "w.Data", w.Data, WinogradKernelLen(w.M, p.C, p.OC))
}

// convWinograd runs Conv2DWinograd (poolH 0) or Conv2DWinogradMaxPool after their checks.
func convWinograd(p *ConvParams, poolH int, x []float32, w *WinogradKernel, y, scratch []float32, ep *Epilogue) {
	if p.N <= 0 {
		return
	}
	j := winogradJobs.Get().(*winogradJob)
	*j = winogradJob{p: *p, x: x, w: w, y: y, scratch: scratch, g: winogradGeomOf(p, w.M), poolH: poolH}
	j.g.pooled = poolH > 0
	if ep != nil {
		// A copy, so that ep does not escape: a caller may pass one on its stack.
		j.epv = *ep
		j.ep = &j.epv
	}
	blocks := j.blocks()
	parts := partsFor(p.N*p.OH*p.OW*p.OC*9*p.C, blocks)
	// One block (a small image at batch 1): its products split across the threads instead.
	j.gemmThreads = parts == 1
	if parts > 1 {
		// Lower blocks, as many for every part: three blocks of 3 tile rows on two threads
		// become four of 2 (resnet_small's 32×32 layers at batch 1).
		rows := p.N * j.g.th
		perPart := (blocks + parts - 1) / parts
		j.g.bt = (rows + parts*perPart - 1) / (parts * perPart)
	}
	runParts(j, parts, &j.wg)
	*j = winogradJob{}
	winogradJobs.Put(j)
}

// winogradJob is one Conv2DWinograd call, split by blocks; pooled, so a warm call does not
// allocate.
type winogradJob struct {
	p       ConvParams // a copy: the caller's may live on its stack
	x, y    []float32
	w       *WinogradKernel
	scratch []float32
	g       winogradGeom
	// gemmThreads: the job runs as one part, and its products may split across threads (by
	// planes, winogradPlanes).
	gemmThreads bool
	poolH       int       // 0, or the height of the max pooling y gets (Conv2DWinogradMaxPool)
	ep          *Epilogue // nil or &epv
	epv         Epilogue
	wg          partsDone
}

var winogradJobs = sync.Pool{New: func() any { return new(winogradJob) }}

// blocks is the number of blocks of the batch's tile rows.
func (j *winogradJob) blocks() int {
	rows := j.p.N * j.g.th
	return (rows + j.g.bt - 1) / j.g.bt
}

func (j *winogradJob) runPart(part, parts int) {
	lo, hi := split(j.blocks(), 1, part, parts)
	if lo >= hi {
		return
	}
	s := partScratch(part, j.g.partFloats(j.p.C, j.p.OC), j.scratch)
	rows := j.p.N * j.g.th
	for b := lo; b < hi; b++ {
		j.block(b*j.g.bt, min((b+1)*j.g.bt, rows), s)
	}
}

// winogradPlanes is a block's products M_ξ = V_ξ · U_ξ (nt tiles), which a call of one block
// splits across threads by planes: each plane's product is small (a few tiles), but their
// kernel planes together stream megabytes (MobileNet's and ResNet's 7×7 and 8×8 layers).
type winogradPlanes struct {
	w        *WinogradKernel
	nt       int
	v, m     []float32
	ldv, ldm int
}

var winogradPlanesJobs = sync.Pool{New: func() any { return new(splitJob[winogradPlanes, *winogradPlanes]) }}

// runPart computes planes [lo, hi) of part p of parts, each on one thread.
func (pl *winogradPlanes) runPart(p, parts int) {
	w := pl.w
	lo, hi := split((w.M+2)*(w.M+2), 1, p, parts)
	for xi := lo; xi < hi; xi++ {
		gemmOn(false, pl.nt, w.OC, w.C, pl.v[xi*pl.ldv:], w.C, w.plane(xi), pl.m[xi*pl.ldm:], w.OC, false, nil, 0)
	}
}

// block computes the output of tile rows [r0, r1) (counted through the batch's images).
func (j *winogradJob) block(r0, r1 int, s []float32) {
	p, g := &j.p, j.g
	c, oc, tw, mt, planes := p.C, p.OC, g.tw, g.m, g.n*g.n
	wp := mt*tw + 2
	ldr := wp * c                             // a padded row's elements
	ldv, ldm := g.planeLen(c), g.planeLen(oc) // plane strides of V and M
	band := s[:(mt*min(g.bt, g.th)+2)*ldr]    // the padded input rows of an image's tile rows
	s = s[len(band):]
	v, m := s[:planes*ldv], s[planes*ldv:planes*(ldv+ldm)]
	s = s[planes*(ldv+ldm):]
	img := p.H * p.W * c

	// V: the input transform of each tile row, image by image.
	for r := r0; r < r1; {
		n, ty0 := r/g.th, r%g.th
		ty1 := min(g.th, ty0+r1-r)
		padRegion(band, j.x[n*img:(n+1)*img], p, mt*ty0, mt*ty1+2, 0, wp)
		for ty := ty0; ty < ty1; ty++ {
			winogradIn(mt, band[mt*(ty-ty0)*ldr:], ldr, tw, c, v[(r-r0+ty-ty0)*tw*c:], ldv)
		}
		r += ty1 - ty0
	}
	// M_ξ = V_ξ · U_ξ.
	pl := winogradPlanes{w: j.w, nt: (r1 - r0) * tw, v: v, ldv: ldv, m: m, ldm: ldm}
	parts := 1
	if j.gemmThreads {
		parts = partsFor(planes*gemmWork(pl.nt, oc, c), planes)
	}
	if parts > 1 {
		runSplit[winogradPlanes](&winogradPlanesJobs, pl, parts)
	} else {
		pl.runPart(0, 1)
	}
	// Y: the output transform of each tile row with a clamp-form epilogue in it; any other
	// epilogue, and any on a tile row cut by OH or OW, applied to the rows after.
	none := winogradEp{slope: 1, lo: float32(math.Inf(-1)), hi: float32(math.Inf(1))}
	var fused winogradEp
	clamp := false
	if j.ep != nil {
		fused.slope, fused.lo, fused.hi, clamp = j.ep.clampForm()
		fused.bias, fused.after = j.ep.Bias, j.ep.ResidualAfterAct
	}
	full := p.OW / mt
	clamp = clamp && full == tw
	for r := r0; r < r1; r++ {
		n, ty := r/g.th, r%g.th
		oy := mt * ty
		rows := min(mt, p.OH-oy)
		pix := (n*p.OH + oy) * p.OW // the first output pixel of the tile row
		mr := m[(r-r0)*tw*oc:]
		if j.poolH > 0 {
			j.outPooled(mr, ldm, n, oy, rows, clamp, &fused, &none, s)
			continue
		}
		if mt == 4 {
			j.out4(mr, ldm, pix, rows, clamp, &fused, &none, s)
			continue
		}
		spare, last := s[:2*tw*oc], s[2*tw*oc:2*tw*oc+4*oc]
		y0 := j.y[pix*oc:]
		y1 := spare // the second output row when there is one, else thrown away
		if rows == 2 {
			y1 = j.y[(pix+p.OW)*oc:]
		}
		e := &none
		if clamp {
			e = &fused
			if res := j.ep.Residual; res != nil {
				e.r0, e.r1 = res[pix*oc:], spare // the spare row's residual: itself
				if rows == 2 {
					e.r1 = res[(pix+p.OW)*oc:]
				}
			}
		}
		winogradOut(mr, ldm, full, oc, y0, y1, e)
		if full < tw { // an odd OW: the last tile's first column only
			winogradOut(mr[full*oc:], ldm, 1, oc, last, last[2*oc:], &none)
			copy(y0[2*full*oc:(2*full+1)*oc], last[:oc])
			copy(y1[2*full*oc:(2*full+1)*oc], last[2*oc:3*oc])
		}
		if !clamp {
			j.ep.Apply(pix, rows*p.OW, oc, j.y[pix*oc:(pix+rows*p.OW)*oc], oc)
		}
	}
}

// out4 writes a tile row of F(4×4, 3×3) output, its rows rows (1–4) from output pixel pix on,
// from its M planes mr: straight into y with the clamp-form epilogue fused when the tile row
// is whole (rows 4, OW a multiple of 4) and clamp, else into buf (4 rows of 4·tw pixels), the
// rows and columns inside the output copied to y and the epilogue applied after.
func (j *winogradJob) out4(mr []float32, ldm, pix, rows int, clamp bool, fused, none *winogradEp, buf []float32) {
	p, tw, oc := &j.p, j.g.tw, j.p.OC
	y := j.y[pix*oc:]
	if rows == 4 && p.OW == 4*tw {
		e := none
		if clamp {
			e = fused
			if res := j.ep.Residual; res != nil {
				e.r0 = res[pix*oc:]
			}
		}
		winograd4Out(mr, ldm, tw, oc, y, p.OW*oc, e)
		if !clamp {
			j.ep.Apply(pix, rows*p.OW, oc, y[:rows*p.OW*oc], oc)
		}
		return
	}
	ldb := 4 * tw * oc
	winograd4Out(mr, ldm, tw, oc, buf, ldb, none)
	for a := 0; a < rows; a++ {
		copy(y[a*p.OW*oc:(a+1)*p.OW*oc], buf[a*ldb:])
	}
	j.ep.Apply(pix, rows*p.OW, oc, y[:rows*p.OW*oc], oc)
}

// outPooled writes the max pooling of a tile row's output, its rows rows (1…m) from row oy of
// image n on, from its M planes mr: the rows go to buf (m rows of m·tw pixels) with the
// epilogue fused in the transform where block would fuse it into y (clamp; F(4×4): a whole
// tile row), else applied after, so that they hold Conv2DWinograd's bits; then MaxPool2D
// pools their whole windows into y's rows oy/ph….
func (j *winogradJob) outPooled(mr []float32, ldm, n, oy, rows int, clamp bool, fused, none *winogradEp, buf []float32) {
	p, mt, tw, oc, ph := &j.p, j.g.m, j.g.tw, j.p.OC, j.poolH
	ldb := mt * tw * oc
	e := none
	if clamp && (mt == 2 || rows == 4) {
		e = fused
	}
	if mt == 4 {
		winograd4Out(mr, ldm, tw, oc, buf, ldb, e)
	} else {
		winogradOut(mr, ldm, tw, oc, buf, buf[ldb:], e)
	}
	if e == none {
		j.ep.Apply(0, rows*mt*tw, oc, buf[:rows*ldb], oc)
	}
	prows := rows / ph
	if prows == 0 {
		return
	}
	pp := PoolParams{N: 1, H: prows * ph, W: mt * tw, C: oc, OH: prows, OW: p.OW / 2, KH: ph, KW: 2, SH: ph, SW: 2}
	pow := pp.OW * oc
	first := (n*(p.OH/ph) + oy/ph) * pow
	MaxPool2D(&pp, buf[:pp.H*ldb], j.y[first:first+prows*pow])
}

// winogradEp is the clamp-form epilogue (Epilogue.clampForm) the output transform applies to
// a tile row's output rows: the bias (nil: none), the residual (nil: none) — F(2×2, 3×3): its
// two rows r0 and r1; F(4×4, 3×3): r0, laid out as the output — before the activation or
// after it.
type winogradEp struct {
	bias, r0, r1  []float32
	slope, lo, hi float32
	after         bool
}

// winogradIn writes V for tiles tiles of one tile row of m×m tiles: tile t reads the n×n
// pixels (n = m+2) from pixel m·t of the n padded rows from d on (rows ldr elements apart,
// pixels c) and writes V_ξ's row t, c values, at v[ξ·ldv + t·c:].
func winogradIn(m int, d []float32, ldr, tiles, c int, v []float32, ldv int) {
	if tiles <= 0 {
		return
	}
	n := m + 2
	need("winogradIn", "d", d, (n-1)*ldr+(m*tiles+2)*c)
	need("winogradIn", "v", v, (n*n-1)*ldv+tiles*c)
	if m == 4 {
		winograd4InKernel(d, ldr, tiles, c, v, ldv)
		return
	}
	winogradInKernel(d, ldr, tiles, c, v, ldv)
}

// winograd4Out writes the F(4×4, 3×3) output transform of tiles tiles with the epilogue e
// applied: tile t reads M_ξ's row t, c values, at m[ξ·ldm + t·c:] and writes its 4×4 output
// pixels, c values each, at y[a·ldy + (4t+b)·c:] (row a, column b), the residual read at the
// same places of e.r0 (e.r1 unused).
func winograd4Out(m []float32, ldm, tiles, c int, y []float32, ldy int, e *winogradEp) {
	if tiles <= 0 {
		return
	}
	need("winograd4Out", "m", m, 35*ldm+tiles*c)
	need("winograd4Out", "y", y, 3*ldy+4*tiles*c)
	if e.bias != nil {
		need("winograd4Out", "bias", e.bias, c)
	}
	if e.r0 != nil {
		need("winograd4Out", "r0", e.r0, 3*ldy+4*tiles*c)
	}
	winograd4OutKernel(m, ldm, tiles, c, y, ldy, e)
}

// winogradOut writes the output transform of tiles tiles with the epilogue e applied: tile t
// reads M_ξ's row t, c values, at m[ξ·ldm + t·c:] and writes its 2×2 output pixels, c values
// each, at y0[2t·c:] (the first row) and y1[2t·c:] (the second), the residual read at the
// same places of e.r0 and e.r1.
func winogradOut(m []float32, ldm, tiles, c int, y0, y1 []float32, e *winogradEp) {
	if tiles <= 0 {
		return
	}
	need("winogradOut", "m", m, 15*ldm+tiles*c)
	need("winogradOut", "y0", y0, 2*tiles*c)
	need("winogradOut", "y1", y1, 2*tiles*c)
	if e.bias != nil {
		need("winogradOut", "bias", e.bias, c)
	}
	if e.r0 != nil {
		need("winogradOut", "r0", e.r0, 2*tiles*c)
		need("winogradOut", "r1", e.r1, 2*tiles*c)
	}
	winogradOutKernel(m, ldm, tiles, c, y0, y1, e)
}

// winogradInGo is winogradIn's pure-Go twin on channels [c0, c): V = Bᵀ d B, the rows of d
// first (u = d B), then its columns, each value one addition or subtraction of two.
func winogradInGo(d []float32, ldr, tiles, c0, c int, v []float32, ldv int) {
	for t := 0; t < tiles; t++ {
		for ch := c0; ch < c; ch++ {
			var u [4][4]float32
			for r := 0; r < 4; r++ {
				row := d[r*ldr+2*t*c+ch:]
				x0, x1, x2, x3 := row[0], row[c], row[2*c], row[3*c]
				u[r] = [4]float32{x0 - x2, x1 + x2, x2 - x1, x1 - x3}
			}
			o := t*c + ch
			for q := 0; q < 4; q++ {
				v[q*ldv+o] = u[0][q] - u[2][q]
				v[(4+q)*ldv+o] = u[1][q] + u[2][q]
				v[(8+q)*ldv+o] = u[2][q] - u[1][q]
				v[(12+q)*ldv+o] = u[1][q] - u[3][q]
			}
		}
	}
}

// winogradOutGo is winogradOut's pure-Go twin on channels [c0, c): Y = Aᵀ M A, the columns
// of M first (s = Aᵀ M), then its rows: (a + b) + c and (b − c) − d; then the epilogue in
// epilogueClampGeneric's order.
func winogradOutGo(m []float32, ldm, tiles, c0, c int, y0, y1 []float32, e *winogradEp) {
	for t := 0; t < tiles; t++ {
		for ch := c0; ch < c; ch++ {
			o := t*c + ch
			var s [2][4]float32
			for q := 0; q < 4; q++ {
				m0, m1, m2, m3 := m[q*ldm+o], m[(4+q)*ldm+o], m[(8+q)*ldm+o], m[(12+q)*ldm+o]
				s[0][q] = m0 + m1 + m2
				s[1][q] = m1 - m2 - m3
			}
			for a, y := range [2][]float32{y0, y1} {
				res := [2][]float32{e.r0, e.r1}[a]
				for x, v := range [2]float32{s[a][0] + s[a][1] + s[a][2], s[a][1] - s[a][2] - s[a][3]} {
					i := (2*t+x)*c + ch
					y[i] = e.apply(v, ch, res, i)
				}
			}
		}
	}
}

// winograd4T is F(4×4, 3×3)'s input transform of six values, Bᵀx, in the operations the
// assembly kernels use (the multiplications by 2 and 4 are exact, so a fused multiply-add
// there rounds as the multiplication and addition here do).
func winograd4T(x0, x1, x2, x3, x4, x5 float32) [6]float32 {
	s1, s2 := x0-x2, x4-x2
	a, b := x4-4*x2, x3-4*x1
	d := x3 - x1
	p, q := x5-x3, x1-x3
	return [6]float32{s2 + 4*s1, a + b, a - b, s2 + 2*d, s2 - 2*d, p + 4*q}
}

// winograd4A is F(4×4, 3×3)'s output transform of six values, Aᵀm, likewise.
func winograd4A(m0, m1, m2, m3, m4, m5 float32) [4]float32 {
	p, q := m1+m2, m1-m2
	r, s := m3+m4, m3-m4
	return [4]float32{m0 + p + r, q + 2*s, p + 4*r, q + 8*s + m5}
}

// winograd4InGo is the F(4×4, 3×3) input transform's pure-Go twin on channels [c0, c):
// V = Bᵀ d B, the rows of d first, then the columns.
func winograd4InGo(d []float32, ldr, tiles, c0, c int, v []float32, ldv int) {
	for t := 0; t < tiles; t++ {
		for ch := c0; ch < c; ch++ {
			var u [6][6]float32
			for r := 0; r < 6; r++ {
				x := d[r*ldr+4*t*c+ch:]
				u[r] = winograd4T(x[0], x[c], x[2*c], x[3*c], x[4*c], x[5*c])
			}
			o := t*c + ch
			for q := 0; q < 6; q++ {
				col := winograd4T(u[0][q], u[1][q], u[2][q], u[3][q], u[4][q], u[5][q])
				for i, val := range col {
					v[(6*i+q)*ldv+o] = val
				}
			}
		}
	}
}

// winograd4OutGo is the F(4×4, 3×3) output transform's pure-Go twin on channels [c0, c):
// Y = Aᵀ M A, the columns of M first, then its rows; then the epilogue in
// epilogueClampGeneric's order.
func winograd4OutGo(m []float32, ldm, tiles, c0, c int, y []float32, ldy int, e *winogradEp) {
	for t := 0; t < tiles; t++ {
		for ch := c0; ch < c; ch++ {
			o := t*c + ch
			var s [4][6]float32
			for q := 0; q < 6; q++ {
				col := winograd4A(m[q*ldm+o], m[(6+q)*ldm+o], m[(12+q)*ldm+o], m[(18+q)*ldm+o], m[(24+q)*ldm+o], m[(30+q)*ldm+o])
				for a, val := range col {
					s[a][q] = val
				}
			}
			for a := 0; a < 4; a++ {
				row := winograd4A(s[a][0], s[a][1], s[a][2], s[a][3], s[a][4], s[a][5])
				for b, val := range row {
					i := a*ldy + (4*t+b)*c + ch
					y[i] = e.apply(val, ch, e.r0, i)
				}
			}
		}
	}
}

// apply is the clamp-form epilogue on one value v of channel ch, whose residual (when res is
// not nil) is res[i], in epilogueClampGeneric's order.
func (e *winogradEp) apply(v float32, ch int, res []float32, i int) float32 {
	if e.bias != nil {
		v += e.bias[ch]
	}
	if res != nil && !e.after {
		v += res[i]
	}
	if !(v > 0) {
		v *= e.slope
	}
	if v < e.lo {
		v = e.lo
	}
	if v > e.hi {
		v = e.hi
	}
	if res != nil && e.after {
		v += res[i]
	}
	return v
}
