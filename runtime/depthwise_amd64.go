//go:build amd64 && !purego

// The amd64 DepthwiseConv2D for depth multiplier 1: the kernels generated
// by asm/depthwise (avo) into depthwise_amd64.s, driven from Go.
//
// Every kernel sweeps all channels (16 per ZMM or 8 per YMM, the last block
// masked) for a few output pixels of one output row, keeping one
// accumulator per pixel in registers over the taps, and then adds the bias
// and clamps (fusedClamp). The driver resolves padding: per output row it
// keeps only the kernel rows that land inside the input (the kernels loop
// over those at run time); per pixel, the kernel columns.
//
// The interior of a row, the pixels whose kernel columns all lie inside the
// input, goes to the sliding kernels dw{AVX2,AVX512}Row_K{KW}S{S}_{P} when
// the kernel width KW (3 or 5) and column stride S (1 or 2) have one and
// the column dilation is 1: groups of P = 4…8 adjacent pixels, in which
// each input vector is loaded once per kernel row and multiplied into every
// accumulator whose pixel reads it (a group of 8 at stride 1 with KW = 3
// loads 10 input vectors per kernel row, not 24), and the kernel row's KW
// weight vectors once. One call runs ng groups of P: the interior takes at
// most two calls, of groups of p and p-1 pixels (see dwRowSplit); where a
// row's KH input rows overflow L1 (stride 2 at 112 pixels of 96 channels),
// the rows go in strips of one group down the image instead (dwGroupRun,
// dwGroupEnd), so that the input row an output row shares with the one above
// is still in L1. The
// border pixels, interiors of fewer than 4 pixels and every other kernel
// width, stride or dilation go to the general kernels dw{AVX2,AVX512}_{P}:
// P = 1…8 pixels, any tap offsets (strides and dilations are byte offsets),
// one FMA from memory per pixel and tap; the border pixels one at a time
// with their own column range, a short interior up to 8 at a time. Rows of
// a 'same' 3×3 stride-1 layer (MobileNets' depthwise layers) instead run
// whole on sliding kernels, the groups at the two ends on edge variants
// (dw{AVX2,AVX512}Row_K3S1_{P}{L,R,LR}) that skip the padding column: at
// 7×7 and 14×14 the border pixels were a third of the time; where an output row's
// three input rows overflow L1, in strips (and channel chunks) down the image
// (dwSameStrips). An epilogue that is not a bias plus clamp is applied by ep.Apply
// per row, or per image after its strips.

package runtime

// dwKernelAVX2 and dwKernelAVX512 are the generated kernels' signatures
// (strides in bytes; see asm/depthwise).
type dwKernelAVX2 func(x, w, bias, y *float32, cb, nkh, nkw, xPix, xCol, xRowAdj, wRowAdj int, lo, hi float32, tail *int32)

type dwKernelAVX512 func(x, w, bias, y *float32, cb, nkh, nkw, xPix, xCol, xRowAdj, wRowAdj int, lo, hi float32, tail uint16)

var dwAVX2 = [...]dwKernelAVX2{dwAVX2_1, dwAVX2_2, dwAVX2_3, dwAVX2_4, dwAVX2_5, dwAVX2_6, dwAVX2_7, dwAVX2_8}

var dwAVX512 = [...]dwKernelAVX512{
	dwAVX512_1, dwAVX512_2, dwAVX512_3, dwAVX512_4, dwAVX512_5, dwAVX512_6, dwAVX512_7, dwAVX512_8,
}

// dwRowKernelAVX2 and dwRowKernelAVX512 are the sliding kernels'
// signatures (strides in bytes; see asm/depthwise).
type dwRowKernelAVX2 func(x, w, bias, y *float32, cb, cc, nkh, xRow, ng int, lo, hi float32, tail *int32)

type dwRowKernelAVX512 func(x, w, bias, y *float32, cb, cc, nkh, xRow, ng int, lo, hi float32, tail uint16)

// dwRowAVX2 and dwRowAVX512 hold the sliding kernels by kernel width (3,
// 5), column stride (1, 2) and pixels per group (dwRowMinPix…dwRowMaxPix).
var dwRowAVX2 = [2][2][5]dwRowKernelAVX2{
	{
		{dwAVX2Row_K3S1_4, dwAVX2Row_K3S1_5, dwAVX2Row_K3S1_6, dwAVX2Row_K3S1_7, dwAVX2Row_K3S1_8},
		{dwAVX2Row_K3S2_4, dwAVX2Row_K3S2_5, dwAVX2Row_K3S2_6, dwAVX2Row_K3S2_7, dwAVX2Row_K3S2_8},
	},
	{
		{dwAVX2Row_K5S1_4, dwAVX2Row_K5S1_5, dwAVX2Row_K5S1_6, dwAVX2Row_K5S1_7, dwAVX2Row_K5S1_8},
		{dwAVX2Row_K5S2_4, dwAVX2Row_K5S2_5, dwAVX2Row_K5S2_6, dwAVX2Row_K5S2_7, dwAVX2Row_K5S2_8},
	},
}

var dwRowAVX512 = [2][2][5]dwRowKernelAVX512{
	{
		{dwAVX512Row_K3S1_4, dwAVX512Row_K3S1_5, dwAVX512Row_K3S1_6, dwAVX512Row_K3S1_7, dwAVX512Row_K3S1_8},
		{dwAVX512Row_K3S2_4, dwAVX512Row_K3S2_5, dwAVX512Row_K3S2_6, dwAVX512Row_K3S2_7, dwAVX512Row_K3S2_8},
	},
	{
		{dwAVX512Row_K5S1_4, dwAVX512Row_K5S1_5, dwAVX512Row_K5S1_6, dwAVX512Row_K5S1_7, dwAVX512Row_K5S1_8},
		{dwAVX512Row_K5S2_4, dwAVX512Row_K5S2_5, dwAVX512Row_K5S2_6, dwAVX512Row_K5S2_7, dwAVX512Row_K5S2_8},
	},
}

// dwRowEdgeAVX2 and dwRowEdgeAVX512 hold the border-group sliding kernels of 'same' 3×3
// stride-1 rows by edge (L, R, both: index edge-1) and pixels per group: a group that takes
// a row's first (last) pixel too, its first (last) input column being padding.
var dwRowEdgeAVX2 = [3][5]dwRowKernelAVX2{
	{dwAVX2Row_K3S1_4L, dwAVX2Row_K3S1_5L, dwAVX2Row_K3S1_6L, dwAVX2Row_K3S1_7L, dwAVX2Row_K3S1_8L},
	{dwAVX2Row_K3S1_4R, dwAVX2Row_K3S1_5R, dwAVX2Row_K3S1_6R, dwAVX2Row_K3S1_7R, dwAVX2Row_K3S1_8R},
	{dwAVX2Row_K3S1_4LR, dwAVX2Row_K3S1_5LR, dwAVX2Row_K3S1_6LR, dwAVX2Row_K3S1_7LR, dwAVX2Row_K3S1_8LR},
}

var dwRowEdgeAVX512 = [3][5]dwRowKernelAVX512{
	{dwAVX512Row_K3S1_4L, dwAVX512Row_K3S1_5L, dwAVX512Row_K3S1_6L, dwAVX512Row_K3S1_7L, dwAVX512Row_K3S1_8L},
	{dwAVX512Row_K3S1_4R, dwAVX512Row_K3S1_5R, dwAVX512Row_K3S1_6R, dwAVX512Row_K3S1_7R, dwAVX512Row_K3S1_8R},
	{dwAVX512Row_K3S1_4LR, dwAVX512Row_K3S1_5LR, dwAVX512Row_K3S1_6LR, dwAVX512Row_K3S1_7LR, dwAVX512Row_K3S1_8LR},
}

// Edges of a border group (dwRowEdge*): its first input column is padding (dwEdgeL), its
// last (dwEdgeR).
const (
	dwEdgeL = 1 << iota
	dwEdgeR
)

// dwRowMinPix and dwRowMaxPix bound the sliding kernels' group sizes.
const (
	dwRowMinPix = 4
	dwRowMaxPix = dwRowMinPix + len(dwRowAVX2[0][0]) - 1
)

// dwRowIndex returns the sliding kernels' table indices for kernel width
// kw, column stride sw and column dilation dw; ok is false when no sliding
// kernel has them.
func dwRowIndex(kw, sw, dw int) (k, s int, ok bool) {
	if dw != 1 || (kw != 3 && kw != 5) || (sw != 1 && sw != 2) {
		return 0, 0, false
	}
	return kw / 5, sw - 1, true
}

// dwRowSplit splits n ≥ dwRowMinPix interior pixels into as few groups of
// at most dwRowMaxPix pixels as can be, of sizes that differ by at most one
// (so each has at least dwRowMinPix, as dwRowMaxPix ≥ 2·dwRowMinPix - 1):
// n1 ≥ 1 groups of p1 pixels, then n2 ≥ 0 of p1-1; n1·p1 + n2·(p1-1) = n.
func dwRowSplit(n int) (n1, p1, n2 int) {
	k := (n + dwRowMaxPix - 1) / dwRowMaxPix
	p1 = (n + k - 1) / k
	n2 = k*p1 - n
	return k - n2, p1, n2
}

// dwTailMasks holds VMASKMOVPS lane masks: &dwTailMasks[8-r] selects the
// first r of 8 lanes.
var dwTailMasks = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}

// dwMaxPix is how many pixels the widest kernel computes.
const dwMaxPix = len(dwAVX2)

// depthwiseAsm is DepthwiseConv2D for OC = C > 0, KH, KW > 0 and non-empty
// x and y (slices already checked), at level avx2 or avx512.
func depthwiseAsm(p *ConvParams, x, w, y []float32, ep *Epilogue) {
	sh, sw, dh, dw, _ := p.steps()
	c := p.C
	bias, lo, hi, fused := fusedClamp(ep, c)
	var bp *float32
	if bias != nil {
		bp = &bias[0]
	}
	avx512 := cpuLevel == levelAVX512
	tail2 := &dwTailMasks[8-c%8]
	tail512 := uint16(1)<<(c%16) - 1

	cb := 4 * c // bytes per pixel
	xPix, xCol, xRow, wRow := sw*cb, dw*cb, dh*p.W*cb, p.KW*cb
	// Interior pixels: every kernel column inside the input.
	inLo, _ := validRange(p.OW, p.W, sw, -p.PadL)
	_, inHi := validRange(p.OW, p.W, sw, (p.KW-1)*dw-p.PadL)
	rowLen := p.OW * c
	rk, rs, slide := dwRowIndex(p.KW, sw, dw)
	slide = slide && inHi-inLo >= dwRowMinPix
	n1, p1, n2 := 0, 0, 0
	if slide {
		n1, p1, n2 = dwRowSplit(inHi - inLo)
	}
	// 'Same' 3×3 stride-1 rows run whole on sliding kernels: the groups at the two ends take
	// the border pixels too, with the edge kernels, which skip the padding column.
	edges := p.KW == 3 && sw == 1 && dw == 1 && p.PadL == 1 && p.W == p.OW && p.OW >= dwRowMinPix
	if edges {
		n1, p1, n2 = dwRowSplit(p.OW)
	}
	// Strips (groups per strip; 0: whole rows) for rows whose KH input rows overflow L1.
	strip := 0
	if slide && !edges && p.KH*p.W*cb > dwL1Bytes {
		strip = max(1, dwStripBytes/(p.KH*((p1-1)*sw+p.KW)*cb))
	}
	for n := 0; n < p.N; n++ {
		if edges {
			dwSameStrips(p, n, n1, p1, n2, x, w, bias, y, lo, hi, avx512, tail2, tail512)
			if !fused {
				ep.Apply(n*p.OH*p.OW, p.OH*p.OW, c, y[n*p.OH*rowLen:(n+1)*p.OH*rowLen], c)
			}
			continue
		}
		// Rows whose input rows overflow L1 go in strips of whole groups down the image (the
		// first strip takes the border pixels on the left, the last those on the right), so
		// that the input rows an output row shares with the one above are still in L1.
		for s0 := 0; s0 < p.OW; {
			s1 := p.OW
			if strip > 0 && s0 < inHi {
				s1 = dwGroupEnd(max(s0, inLo)-inLo, n1, p1, n2, strip) + inLo
				if s1 == inHi {
					s1 = p.OW
				}
			}
			for oh := 0; oh < p.OH; oh++ {
				row := n*p.OH + oh
				kh0, kh1 := validRange(p.KH, p.H, dh, oh*sh-p.PadT)
				nkh := max(kh1-kh0, 0)
				xr := (n*p.H + oh*sh + kh0*dh - p.PadT) * p.W * c // valid when nkh > 0
				wr := kh0 * p.KW * c
				for ow := s0; ow < s1; {
					if slide && ow >= inLo && ow < inHi {
						// Interior groups: every kernel column inside.
						np, cnt := dwGroupRun(ow-inLo, n1, p1, min(s1, inHi)-inLo)
						xi, wi := 0, 0
						if nkh > 0 {
							xi, wi = xr+(ow*sw-p.PadL)*c, wr
						}
						xp, wp, yp := &x[xi], &w[wi], &y[(row*p.OW+ow)*c]
						if avx512 {
							dwRowAVX512[rk][rs][np-dwRowMinPix](xp, wp, bp, yp, cb, cb, nkh, xRow, cnt, lo, hi, tail512)
						} else {
							dwRowAVX2[rk][rs][np-dwRowMinPix](xp, wp, bp, yp, cb, cb, nkh, xRow, cnt, lo, hi, tail2)
						}
						ow += np * cnt
						continue
					}
					np, kw0, kw1 := 1, 0, p.KW
					if ow >= inLo && ow < inHi {
						np = min(dwMaxPix, inHi-ow)
					} else {
						kw0, kw1 = validRange(p.KW, p.W, dw, ow*sw-p.PadL)
					}
					nkw := kw1 - kw0
					xi, wi, rows := 0, 0, nkh
					if nkh <= 0 || nkw <= 0 {
						rows, nkw = 0, 0 // no tap inside: bias and clamp of 0
					} else {
						xi = xr + (ow*sw+kw0*dw-p.PadL)*c
						wi = wr + kw0*c
					}
					xp, wp, yp := &x[xi], &w[wi], &y[(row*p.OW+ow)*c]
					if avx512 {
						dwAVX512[np-1](xp, wp, bp, yp, cb, rows, nkw, xPix, xCol, xRow-nkw*xCol, wRow-nkw*cb, lo, hi, tail512)
					} else {
						dwAVX2[np-1](xp, wp, bp, yp, cb, rows, nkw, xPix, xCol, xRow-nkw*xCol, wRow-nkw*cb, lo, hi, tail2)
					}
					ow += np
				}
				if !fused && strip == 0 { // whole rows: each while it is in cache
					ep.Apply(row*p.OW, p.OW, c, y[row*rowLen:(row+1)*rowLen], c)
				}
			}
			s0 = s1
		}
		if !fused && strip > 0 {
			ep.Apply(n*p.OH*p.OW, p.OH*p.OW, c, y[n*p.OH*rowLen:(n+1)*p.OH*rowLen], c)
		}
	}
}

// dwGroupRun returns the size np and count cnt of the run of equal-size interior groups that
// starts at interior pixel off (a group's first) and ends before interior pixel end (a group
// boundary): groups are n1 of p1 pixels then p1-1 (dwRowSplit).
func dwGroupRun(off, n1, p1, end int) (np, cnt int) {
	if off < n1*p1 {
		return p1, (min(end, n1*p1) - off) / p1
	}
	return p1 - 1, (end - off) / (p1 - 1)
}

// dwGroupEnd returns the interior pixel at which a strip of at most strip groups that starts
// at interior pixel off (a group's first) ends; groups as in dwGroupRun.
func dwGroupEnd(off, n1, p1, n2, strip int) int {
	g := off / p1
	if off >= n1*p1 {
		g = n1 + (off-n1*p1)/(p1-1)
	}
	return dwGroupFirst(min(g+strip, n1+n2), n1, p1)
}

// dwGroupFirst returns the first pixel of group g of a row's groups, n1 of p1 pixels then
// p1-1 (dwRowSplit), counted from the first group's.
func dwGroupFirst(g, n1, p1 int) int {
	return min(g, n1)*p1 + max(g-n1, 0)*(p1-1)
}

// dwStripBytes bounds the input a strip of dwSameStrips reads per output row (its three input
// rows): half of a 48 KiB L1, so that the rows stay there from one output row to the next.
// Rows whose three input rows fit in dwL1Bytes run whole.
const (
	dwStripBytes = 24 << 10
	dwL1Bytes    = 48 << 10
)

// dwSameStrips runs image n of a depthwise layer whose rows are 'same' 3×3 at column stride 1
// (depthwiseAsm's edges case; any row stride and dilation) on the sliding kernels: the row's groups are n1 of p1 pixels then n2 of p1-1
// (dwRowSplit), the first and the last on the edge kernels, which take the border pixels.
// Where an output row's three input rows overflow dwL1Bytes, it goes strip by strip, a strip
// as many whole groups as keep its three input rows within dwStripBytes, each strip down all
// the output rows: two of the input rows an output row reads were read by the row above and
// are still in L1. Row by row across the whole width, at 144 channels and 56 pixels every
// output row read its three input rows from L2 (the layer in L2: 128–132 → 177–187 GFLOP/s;
// MobileNetV2's block 2 306–308 → 293–294 µs). Narrower rows run whole: MobileNetV2's
// expanded_conv (112 pixels of 32 channels, its input from L3) lost 10 µs in strips. Where
// one group's input rows overflow dwStripBytes (a 7-pixel row of 960 channels), the strips
// go through the channels in chunks of whole vectors (cc bytes of each pixel's cb).
func dwSameStrips(p *ConvParams, n, n1, p1, n2 int, x, w, bias, y []float32, lo, hi float32, avx512 bool, tail2 *int32, tail512 uint16) {
	c := p.C
	cb := 4 * c
	sh, _, dh, _, _ := p.steps()
	xRow := dh * p.W * cb
	groups := n1 + n2
	size := func(g int) int {
		if g < n1 {
			return p1
		}
		return p1 - 1
	}
	strip, chunk := groups, c
	if 3*(p.W+2)*cb > dwL1Bytes {
		strip = max(1, dwStripBytes/(3*(p1+2)*cb))
		// A group whose input rows alone overflow the budget goes through its channels in
		// chunks of whole vectors.
		chunk = max(16, dwStripBytes/(3*(p1+2)*4)&^15)
	}
	for c0 := 0; c0 < c; c0 += chunk {
		cc := 4 * min(chunk, c-c0)
		var bc *float32
		if bias != nil {
			bc = &bias[c0]
		}
		for g0 := 0; g0 < groups; g0 += strip {
			g1 := min(g0+strip, groups)
			for oh := 0; oh < p.OH; oh++ {
				row := n*p.OH + oh
				kh0, kh1 := validRange(p.KH, p.H, dh, oh*sh-p.PadT)
				nkh := max(kh1-kh0, 0)
				xr := (n*p.H+oh*sh+kh0*dh-p.PadT)*p.W*c + c0 // valid when nkh > 0
				wr := kh0*p.KW*c + c0
				for g := g0; g < g1; {
					np, edge, cnt := size(g), 0, 1
					if g == 0 {
						edge |= dwEdgeL
					}
					if g == groups-1 {
						edge |= dwEdgeR
					}
					for edge == 0 && g+cnt < min(g1, groups-1) && size(g+cnt) == np {
						cnt++
					}
					ow := dwGroupFirst(g, n1, p1)
					xi, wi := c0, c0
					if nkh > 0 {
						xi, wi = xr+max(ow-1, 0)*c, wr // the L group's x is its second column
					}
					xp, wp, yp := &x[xi], &w[wi], &y[(row*p.OW+ow)*c+c0]
					switch {
					case edge != 0 && avx512:
						dwRowEdgeAVX512[edge-1][np-dwRowMinPix](xp, wp, bc, yp, cb, cc, nkh, xRow, cnt, lo, hi, tail512)
					case edge != 0:
						dwRowEdgeAVX2[edge-1][np-dwRowMinPix](xp, wp, bc, yp, cb, cc, nkh, xRow, cnt, lo, hi, tail2)
					case avx512:
						dwRowAVX512[0][0][np-dwRowMinPix](xp, wp, bc, yp, cb, cc, nkh, xRow, cnt, lo, hi, tail512)
					default:
						dwRowAVX2[0][0][np-dwRowMinPix](xp, wp, bc, yp, cb, cc, nkh, xRow, cnt, lo, hi, tail2)
					}
					g += cnt
				}
			}
		}
	}
}
