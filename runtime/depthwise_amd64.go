//go:build amd64 && !purego

// The amd64 DepthwiseConv2D for depth multiplier 1: the kernels generated
// by asm/depthwise (avo) into depthwise_amd64.s, driven from Go.
//
// Each kernel call computes up to 8 output pixels of one output row across
// all channels (16 per ZMM or 8 per YMM, the last block masked), keeping
// one accumulator per pixel in registers over the taps, and then adds the
// bias and clamps (fusedClamp). The driver resolves padding: per output row
// it keeps only the kernel rows that land inside the input, and per pixel
// the kernel columns; the interior pixels, where every column is inside,
// go 8 at a time, the border pixels one at a time with their own column
// range. Strides and dilations are just byte offsets to the kernels. An
// epilogue that is not a bias plus clamp is applied by ep.Apply per row.

package runtime

// dwKernelAVX2 and dwKernelAVX512 are the generated kernels' signatures
// (strides in bytes; see asm/depthwise).
type dwKernelAVX2 func(x, w, bias, y *float32, cb, nkh, nkw, xPix, xCol, xRowAdj, wRowAdj int, lo, hi float32, tail *int32)

type dwKernelAVX512 func(x, w, bias, y *float32, cb, nkh, nkw, xPix, xCol, xRowAdj, wRowAdj int, lo, hi float32, tail uint16)

var dwAVX2 = [...]dwKernelAVX2{dwAVX2_1, dwAVX2_2, dwAVX2_3, dwAVX2_4, dwAVX2_5, dwAVX2_6, dwAVX2_7, dwAVX2_8}

var dwAVX512 = [...]dwKernelAVX512{
	dwAVX512_1, dwAVX512_2, dwAVX512_3, dwAVX512_4, dwAVX512_5, dwAVX512_6, dwAVX512_7, dwAVX512_8,
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
	for n := 0; n < p.N; n++ {
		for oh := 0; oh < p.OH; oh++ {
			row := n*p.OH + oh
			kh0, kh1 := validRange(p.KH, p.H, dh, oh*sh-p.PadT)
			xr := (n*p.H + oh*sh + kh0*dh - p.PadT) * p.W * c // valid when kh0 < kh1
			for ow := 0; ow < p.OW; {
				np, kw0, kw1 := 1, 0, p.KW
				if ow >= inLo && ow < inHi {
					np = min(dwMaxPix, inHi-ow)
				} else {
					kw0, kw1 = validRange(p.KW, p.W, dw, ow*sw-p.PadL)
				}
				nkh, nkw := kh1-kh0, kw1-kw0
				xi, wi := 0, 0
				if nkh <= 0 || nkw <= 0 {
					nkh, nkw = 0, 0 // no tap inside: bias and clamp of 0
				} else {
					xi = xr + (ow*sw+kw0*dw-p.PadL)*c
					wi = (kh0*p.KW + kw0) * c
				}
				xp, wp, yp := &x[xi], &w[wi], &y[(row*p.OW+ow)*c]
				if avx512 {
					dwAVX512[np-1](xp, wp, bp, yp, cb, nkh, nkw, xPix, xCol, xRow-nkw*xCol, wRow-nkw*cb, lo, hi, tail512)
				} else {
					dwAVX2[np-1](xp, wp, bp, yp, cb, nkh, nkw, xPix, xCol, xRow-nkw*xCol, wRow-nkw*cb, lo, hi, tail2)
				}
				ow += np
			}
			if !fused {
				ep.Apply(row*p.OW, p.OW, c, y[row*rowLen:(row+1)*rowLen], c)
			}
		}
	}
}
