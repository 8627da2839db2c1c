// Command depthwise generates kerasgen's amd64 depthwise-convolution
// kernels (Plan9 assembly) with avo. Regenerate with
//
//	cd asm && go run ./depthwise -out ../runtime/depthwise_amd64.s -stubs ../runtime/depthwise_stubs_amd64.go
//
// Each kernel computes P output pixels (P = 1…8) of an NHWC depthwise
// convolution with depth multiplier 1, over all c channels, with a fused
// bias and clamp:
//
//	y[p, ch] = min(max(Σ_{i<nkh, j<nkw} x[tap(p,i,j), ch]·w[tapw(i,j), ch] + bias[ch], lo), hi)
//
// The tap addresses are byte offsets from x and w: pixel p reads
// x + p·xPix + i·xRow' + j·xCol (xRow' = xRowAdj + nkw·xCol), tap (i, j)
// of the weights is w + i·wRow' + j·cb (wRow' = wRowAdj + nkw·cb), where
// cb = 4c is the byte size of one pixel's channels; output pixel p is at
// y + p·cb. The Go driver resolves padding by passing, per call, only the
// taps that lie inside the input. bias may be nil (no bias); lo/hi of
// ∓Inf make the clamp the identity, and NaN passes through (max and min
// return the accumulator when it is NaN).
//
// Channels go in blocks of one vector per pixel (while enough channels are
// left, ⌈4/P⌉ vectors for P < 4, so that at least four FMA chains run), the
// accumulators kept in registers across all taps; each tap loads the
// block's weight vectors and does one FMA per pixel and vector straight
// from memory.
//
//   - dwAVX512_{P}: 16 channels per ZMM; the last block is masked with tail
//     (bit k for channel k of the block), so any c ≥ 1 works and nothing
//     outside the channels is read or written.
//   - dwAVX2_{P}: 8 channels per YMM; the last c mod 8 channels use
//     VMASKMOVPS with the 8 int32 lane masks at tail (all-ones lanes first).
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/kerasgen/kerasgen/asm/internal/mem"
	"github.com/kerasgen/kerasgen/asm/internal/setup"
)

const maxPix = 8

func main() {
	setup.Runtime()
	for p := 1; p <= maxPix; p++ {
		kernel(p, false)
	}
	for p := 1; p <= maxPix; p++ {
		kernel(p, true)
	}
	Generate()
}

func kernel(P int, avx512 bool) {
	name := fmt.Sprintf("dwAVX2_%d", P)
	tail := "tail *int32"
	lanes, vecBytes := 8, 32
	if avx512 {
		name = fmt.Sprintf("dwAVX512_%d", P)
		tail = "tail uint16"
		lanes, vecBytes = 16, 64
	}
	TEXT(name, NOSPLIT, "func(x, w, bias, y *float32, cb, nkh, nkw, xPix, xCol, xRowAdj, wRowAdj int, lo, hi float32, "+tail+")")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes %d output pixels of a depth-multiplier-1 depthwise convolution over", name, P),
		fmt.Sprintf("c channels, %d per vector, with bias (nil: none) and a clamp to [lo, hi] fused.", lanes),
		"Strides are in bytes (see asm/depthwise).")

	ld := func(name string) reg.GPVirtual {
		r := GP64()
		Load(Param(name), r)
		return r
	}
	newVec := func() reg.VecVirtual {
		if avx512 {
			return ZMM()
		}
		return YMM()
	}

	// Pixel strides s, 3s, 5s, 7s.
	var s mem.Strides
	if P > 1 {
		s = mem.PixelStrides(P, ld("xPix"))
	}
	xc, wc, yc, bc := ld("x"), ld("w"), ld("y"), ld("bias")
	cnt := ld("cb") // bytes of channels left
	loV, hiV := newVec(), newVec()
	VBROADCASTSS(mem.Param("lo"), loV)
	VBROADCASTSS(mem.Param("hi"), hiV)

	// body emits one channel block of V vectors per pixel: accumulate,
	// epilogue, store, advance. load(m, dst) loads a vector of the block;
	// fma(m, w, acc) adds m·w; store(acc, m) writes it.
	body := func(prefix string, V int, load func(Mem, reg.VecVirtual), fma func(Mem, reg.VecVirtual, reg.VecVirtual),
		store func(reg.VecVirtual, Mem)) {
		accs := make([][]reg.VecVirtual, P)
		for p := range accs {
			accs[p] = make([]reg.VecVirtual, V)
			for v := range accs[p] {
				a := newVec()
				accs[p][v] = a
				if avx512 {
					VPXORD(a, a, a) // AVX512F (VXORPS on ZMM needs DQ)
				} else {
					VXORPS(a, a, a)
				}
			}
		}
		xp, wp := GP64(), GP64()
		MOVQ(xc, xp)
		MOVQ(wc, wp)
		i := GP64()
		MOVQ(mem.Param("nkh"), i)
		TESTQ(i, i)
		JEQ(LabelRef(prefix + "epilogue"))
		Label(prefix + "rows")
		j := GP64()
		MOVQ(mem.Param("nkw"), j)
		TESTQ(j, j)
		JEQ(LabelRef(prefix + "nextrow"))
		Label(prefix + "taps")
		wv := make([]reg.VecVirtual, V)
		for v := range wv {
			wv[v] = newVec()
			load(Mem{Base: wp}.Offset(v*vecBytes), wv[v])
		}
		for p, m := range s.Pixels(P, xp) {
			for v := range wv {
				fma(m.Offset(v*vecBytes), wv[v], accs[p][v])
			}
		}
		ADDQ(mem.Param("xCol"), xp)
		ADDQ(mem.Param("cb"), wp)
		DECQ(j)
		JNE(LabelRef(prefix + "taps"))
		Label(prefix + "nextrow")
		ADDQ(mem.Param("xRowAdj"), xp)
		ADDQ(mem.Param("wRowAdj"), wp)
		DECQ(i)
		JNE(LabelRef(prefix + "rows"))

		Label(prefix + "epilogue")
		TESTQ(bc, bc)
		JEQ(LabelRef(prefix + "clamp"))
		for v := 0; v < V; v++ {
			bv := newVec()
			load(Mem{Base: bc}.Offset(v*vecBytes), bv)
			for p := range accs {
				VADDPS(bv, accs[p][v], accs[p][v])
			}
		}
		ADDQ(U32(V*vecBytes), bc)
		Label(prefix + "clamp")
		yp := GP64()
		MOVQ(yc, yp)
		for p := range accs {
			for v, a := range accs[p] {
				// Intel max(lo, a) and min(hi, a) return a when it is NaN.
				VMAXPS(a, loV, a)
				VMINPS(a, hiV, a)
				store(a, Mem{Base: yp}.Offset(v*vecBytes))
			}
			if p < P-1 {
				ADDQ(mem.Param("cb"), yp)
			}
		}
		ADDQ(U32(V*vecBytes), xc)
		ADDQ(U32(V*vecBytes), wc)
		ADDQ(U32(V*vecBytes), yc)
	}

	var k reg.OpmaskVirtual
	if avx512 {
		k = K()
		KXNORW(k, k, k)
	}
	// Few pixels leave the FMA latency exposed: give them several channel
	// vectors per block while that many channels are left.
	if V := (4 + P - 1) / P; P < 4 {
		Label("wide")
		CMPQ(cnt, U32(V*vecBytes))
		JL(LabelRef("block"))
		body("wide", V, func(m Mem, v reg.VecVirtual) { VMOVUPS(m, v) },
			func(m Mem, w, a reg.VecVirtual) { VFMADD231PS(m, w, a) },
			func(a reg.VecVirtual, m Mem) { VMOVUPS(a, m) })
		SUBQ(U32(V*vecBytes), cnt)
		JMP(LabelRef("wide"))
	}
	if avx512 {
		Label("block")
		CMPQ(cnt, U32(vecBytes))
		JGE(LabelRef("full"))
		TESTQ(cnt, cnt)
		JLE(LabelRef("done"))
		KMOVW(mem.Param("tail"), k)
		Label("full")
		body("", 1, func(m Mem, v reg.VecVirtual) { VMOVUPS_Z(m, k, v) },
			func(m Mem, w, a reg.VecVirtual) { VFMADD231PS(m, w, k, a) },
			func(a reg.VecVirtual, m Mem) { VMOVUPS(a, k, m) })
		SUBQ(U32(vecBytes), cnt)
		JMP(LabelRef("block"))
	} else {
		Label("block")
		CMPQ(cnt, U32(vecBytes))
		JL(LabelRef("tail"))
		body("full", 1, func(m Mem, v reg.VecVirtual) { VMOVUPS(m, v) },
			func(m Mem, w, a reg.VecVirtual) { VFMADD231PS(m, w, a) },
			func(a reg.VecVirtual, m Mem) { VMOVUPS(a, m) })
		SUBQ(U32(vecBytes), cnt)
		JMP(LabelRef("block"))
		Label("tail")
		TESTQ(cnt, cnt)
		JLE(LabelRef("done"))
		mv, tp := YMM(), GP64()
		Load(Param("tail"), tp)
		VMOVDQU(Mem{Base: tp}, mv)
		body("tail", 1, func(m Mem, v reg.VecVirtual) { VMASKMOVPS(m, mv, v) },
			func(m Mem, w, a reg.VecVirtual) {
				t := YMM()
				VMASKMOVPS(m, mv, t)
				VFMADD231PS(t, w, a)
			},
			func(a reg.VecVirtual, m Mem) { VMASKMOVPS(a, mv, m) })
	}
	Label("done")
	VZEROUPPER()
	RET()
}
