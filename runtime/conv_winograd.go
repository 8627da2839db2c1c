// Winograd convolution: Conv2DWinograd computes a 3×3, stride 1, undilated Groups = 1
// convolution (what Conv2D computes, see conv.go) with the minimal filtering algorithm
// F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", 2016): 16
// multiplications per 2×2 output tile and channel pair where the direct convolution does 36,
// so 4 multiply-adds per output value and channel instead of 9.
//
// Each output tile (rows 2ty, 2ty+1, columns 2tx, 2tx+1) reads the 4×4 input patch d from
// padded row 2ty, column 2tx on (the image at (PadT, PadL), zeros around it), and
//
//	Y = Aᵀ [ Σ_c U_c ⊙ V_c ] A,   V = Bᵀ d B,   U = G g Gᵀ
//
// with Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1] and
// Aᵀ = [1 1 1 0; 0 1 −1 −1]. The kernel's transform U is computed once, in float64, when a
// generated package is built (WinogradKernelInto); the sum over channels is, for each of the
// 16 positions ξ of the 4×4 transform, one matrix product: M_ξ [tiles×OC] = V_ξ [tiles×C] ·
// U_ξ [C×OC], on the GEMM kernels. The input transform (V) and the output transform (Y) are
// additions and subtractions only, vectorized across channels (convwinograd_amd64.s, with
// pure-Go twins of the same operations in the same order).
//
// The tiles are taken in blocks of whole tile rows (winogradBlock: their V and M fit in L2),
// a block's input rows zero-padded into scratch first; the epilogue is applied to each pair
// of output rows as the output transform writes them. Threads split the blocks, or, with one
// block, each product (by the GEMM's own split): the bits do not depend on the thread count. Sums come in another order than the direct
// convolution's (the transforms round too), within a few ulps of its magnitude: the golden
// cases' tolerances hold.

package runtime

import (
	"math"
	"strconv"
	"sync"
)

// WinogradKernel is a 3×3 convolution kernel transformed for Conv2DWinograd: the 16 C×OC
// matrices U_ξ = (G g Gᵀ)_ξ (ξ = 4i + j for row i and column j of the 4×4 transform), each in
// panel layout (panels.go), one after another.
type WinogradKernel struct {
	C, OC int
	Data  []float32 // WinogradKernelLen(C, OC) elements
}

// WinogradKernelLen is the number of elements of a transformed kernel: 16·C·OC.
func WinogradKernelLen(c, oc int) int {
	if c <= 0 || oc <= 0 {
		return 0
	}
	return 16 * c * oc
}

// winogradG is F(2×2, 3×3)'s kernel transform G (4×3).
var winogradG = [4][3]float64{{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}}

// WinogradKernelInto writes into dst (WinogradKernelLen(c, oc) elements) the transform of w, a
// 3×3 kernel in Keras' layout [3, 3, C, OC], and returns the kernel over dst. Each element of
// U is summed in float64 and rounded once.
func WinogradKernelInto(dst, w []float32, c, oc int) WinogradKernel {
	size := WinogradKernelLen(c, oc)
	need("WinogradKernelInto", "dst", dst, size)
	need("WinogradKernelInto", "w", w, 9*c*oc)
	g := &winogradG
	plane := make([]float32, c*oc)
	for xi := 0; xi < 16; xi++ {
		i, j := xi/4, xi%4
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
	return WinogradKernel{C: c, OC: oc, Data: dst[:size]}
}

// NewWinogradKernel wraps data, a kernel already transformed (as the weights blob of a
// generated package holds it); it panics if data has the wrong length.
func NewWinogradKernel(c, oc int, data []float32) *WinogradKernel {
	if c <= 0 || oc <= 0 || len(data) != WinogradKernelLen(c, oc) {
		panic("runtime.NewWinogradKernel: data does not hold a transformed 3×3 kernel of " + strconv.Itoa(c) + "×" + strconv.Itoa(oc))
	}
	return &WinogradKernel{C: c, OC: oc, Data: data}
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

// winogradGeom is the tiling of p's output: th×tw tiles per image, and the tile rows of a
// block, bt (a block is bt consecutive tile rows of the batch's images taken in order).
type winogradGeom struct{ th, tw, bt int }

// winogradBlockFloats bounds a block's V and M planes together (floats): 256 KiB, in L2 with
// the kernel's planes streaming past.
const winogradBlockFloats = 1 << 16

func winogradGeomOf(p *ConvParams) winogradGeom {
	g := winogradGeom{th: (p.OH + 1) / 2, tw: (p.OW + 1) / 2}
	tiles := max(1, winogradBlockFloats/(16*(p.C+p.OC)))
	g.bt = max(1, tiles/g.tw) // not bounded by the batch: the scratch is sized without it
	return g
}

// partFloats is the scratch one part needs: a block's padded input rows (at most 2·bt+2 of
// them, 2·tw+2 pixels each), its V and M planes, a spare output row (the second row of a last
// tile row past an odd OH) and a tile's four output pixels (a last tile past an odd OW).
func (g winogradGeom) partFloats(c, oc int) int {
	band := (2*min(g.bt, g.th) + 2) * (2*g.tw + 2) * c
	return band + 16*(g.planeLen(c)+g.planeLen(oc)) + 2*g.tw*oc + 4*oc
}

// planeLen is the stride of the 16 planes of a block's V (c = C) or M (c = OC): its tiles'
// rows and one cache line more, so that planes a multiple of 4 KiB long do not map the same
// row of every plane to the same L1 set (the transforms touch all 16 at once).
func (g winogradGeom) planeLen(c int) int { return g.bt*g.tw*c + 16 }

// Conv2DWinogradScratch is the scratch Conv2DWinograd needs (for one thread; the others use
// their workers' buffers).
func Conv2DWinogradScratch(p *ConvParams) int {
	return winogradGeomOf(p).partFloats(p.C, p.OC)
}

// Conv2DWinograd sets y to the convolution of x with the transformed kernel w, then applies
// ep, when WinogradOK(p); scratch holds Conv2DWinogradScratch(p) elements. A warm call
// allocates nothing.
func Conv2DWinograd(p *ConvParams, x []float32, w *WinogradKernel, y, scratch []float32, ep *Epilogue) {
	if !WinogradOK(p) {
		panic("runtime.Conv2DWinograd: needs a 3×3 kernel, strides and dilations 1, Groups = 1 and a non-empty output")
	}
	if w == nil || w.C != p.C || w.OC != p.OC {
		panic("runtime.Conv2DWinograd: the weights are not a transformed 3×3 kernel of " + strconv.Itoa(p.C) + "×" + strconv.Itoa(p.OC))
	}
	need("Conv2DWinograd", "w.Data", w.Data, WinogradKernelLen(p.C, p.OC))
	need("Conv2DWinograd", "x", x, p.N*p.H*p.W*p.C)
	need("Conv2DWinograd", "y", y, p.N*p.OH*p.OW*p.OC)
	need("Conv2DWinograd", "scratch", scratch, Conv2DWinogradScratch(p))
	if p.N <= 0 {
		return
	}
	j := winogradJobs.Get().(*winogradJob)
	*j = winogradJob{p: *p, x: x, w: w, y: y, scratch: scratch, g: winogradGeomOf(p)}
	if ep != nil {
		// A copy, so that ep does not escape: a caller may pass one on its stack.
		j.epv = *ep
		j.ep = &j.epv
	}
	blocks := j.blocks()
	parts := partsFor(p.N*p.OH*p.OW*p.OC*9*p.C, blocks)
	// One block (a small image at batch 1): its products split across the threads instead.
	j.gemmThreads = parts == 1
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
	// gemmThreads: the job runs as one part, and its products may split across threads.
	gemmThreads bool
	ep          *Epilogue // nil or &epv
	epv         Epilogue
	wg          sync.WaitGroup
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

// block computes the output of tile rows [r0, r1) (counted through the batch's images).
func (j *winogradJob) block(r0, r1 int, s []float32) {
	p, g := &j.p, j.g
	c, oc, tw := p.C, p.OC, g.tw
	wp := 2*tw + 2
	ldr := wp * c                             // a padded row's elements
	ldv, ldm := g.planeLen(c), g.planeLen(oc) // plane strides of V and M
	band := s[:(2*min(g.bt, g.th)+2)*ldr]     // the padded input rows of an image's tile rows
	s = s[len(band):]
	v, m := s[:16*ldv], s[16*ldv:16*(ldv+ldm)]
	s = s[16*(ldv+ldm):]
	spare, last := s[:2*tw*oc], s[2*tw*oc:2*tw*oc+4*oc]
	img := p.H * p.W * c

	// V: the input transform of each tile row, image by image.
	for r := r0; r < r1; {
		n, ty0 := r/g.th, r%g.th
		ty1 := min(g.th, ty0+r1-r)
		padRegion(band, j.x[n*img:(n+1)*img], p, 2*ty0, 2*ty1+2, 0, wp)
		for ty := ty0; ty < ty1; ty++ {
			winogradIn(band[2*(ty-ty0)*ldr:], ldr, tw, c, v[(r-r0+ty-ty0)*tw*c:], ldv)
		}
		r += ty1 - ty0
	}
	// M_ξ = V_ξ · U_ξ.
	nt := (r1 - r0) * tw
	for xi := 0; xi < 16; xi++ {
		gemmOn(j.gemmThreads, nt, oc, c, v[xi*ldv:], c, j.w.plane(xi), m[xi*ldm:], oc, false, nil, 0)
	}
	// Y: the output transform of each tile row with a clamp-form epilogue in it; any other
	// epilogue, and any on a row pair with an odd OW, applied to the rows after.
	full := p.OW / 2
	none := winogradEp{slope: 1, lo: float32(math.Inf(-1)), hi: float32(math.Inf(1))}
	var fused winogradEp
	clamp := false
	if j.ep != nil {
		fused.slope, fused.lo, fused.hi, clamp = j.ep.clampForm()
		fused.bias, fused.after = j.ep.Bias, j.ep.ResidualAfterAct
	}
	clamp = clamp && full == tw
	for r := r0; r < r1; r++ {
		n, ty := r/g.th, r%g.th
		oy := 2 * ty
		rows := min(2, p.OH-oy)
		pix := (n*p.OH + oy) * p.OW // the first output pixel of the pair of rows
		y0 := j.y[pix*oc:]
		y1 := spare // the second output row when there is one, else thrown away
		if rows == 2 {
			y1 = j.y[(pix+p.OW)*oc:]
		}
		mt := m[(r-r0)*tw*oc:]
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
		winogradOut(mt, ldm, full, oc, y0, y1, e)
		if full < tw { // an odd OW: the last tile's first column only
			winogradOut(mt[full*oc:], ldm, 1, oc, last, last[2*oc:], &none)
			copy(y0[2*full*oc:(2*full+1)*oc], last[:oc])
			copy(y1[2*full*oc:(2*full+1)*oc], last[2*oc:3*oc])
		}
		if !clamp {
			j.ep.Apply(pix, rows*p.OW, oc, j.y[pix*oc:(pix+rows*p.OW)*oc], oc)
		}
	}
}

// winogradEp is the clamp-form epilogue (Epilogue.clampForm) the output transform applies to
// a tile row's two output rows: the bias (nil: none), the residual's two rows r0 and r1 (nil:
// none), before the activation or after it.
type winogradEp struct {
	bias, r0, r1  []float32
	slope, lo, hi float32
	after         bool
}

// winogradIn writes V for tiles tiles of one tile row: tile t reads the 4×4 pixels from
// pixel 2t of the four padded rows from d on (rows ldr elements apart, pixels c) and writes
// V_ξ's row t, c values, at v[ξ·ldv + t·c:].
func winogradIn(d []float32, ldr, tiles, c int, v []float32, ldv int) {
	if tiles <= 0 {
		return
	}
	need("winogradIn", "d", d, 3*ldr+(2*tiles+2)*c)
	need("winogradIn", "v", v, 15*ldv+tiles*c)
	winogradInKernel(d, ldr, tiles, c, v, ldv)
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
					y[i] = v
				}
			}
		}
	}
}
