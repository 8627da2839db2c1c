// Command pool generates kerasgen's amd64 max- and average-pooling kernels
// (Plan9 assembly) with avo. Regenerate with
//
//	cd asm && go run ./pool -out ../runtime/pool_amd64.s -stubs ../runtime/pool_stubs_amd64.go
//
// Each kernel pools P output pixels (P = 1…8) of an NHWC image over all c
// channels and a window of nkh×nkw taps that all lie inside the input:
//
//	max: y[p, ch] = max over the taps of x[tap(p,i,j), ch]  (NaN if any tap is NaN)
//	avg: y[p, ch] = (0 + Σ over the taps of x[tap(p,i,j), ch]) / div
//
// the sum taken in tap order (row by row), as the pure-Go twin does. Tap
// (i, j) of pixel p is at byte offset p·xPix + i·xRow' + j·cb from x
// (xRow' = xRowAdj + nkw·cb), where cb = 4c is the byte size of one
// pixel's channels; output pixel p is at y + p·cb. nkh and nkw must be at
// least 1.
//
// The max keeps NaN whichever operand holds it: it ORs max(acc, u) and
// max(u, acc), which are equal unless one is NaN, and the x86 max returns
// its second operand when either is NaN.
//
//   - pool{Max,Avg}AVX512_{P}: 16 channels per ZMM, the last block masked
//     with tail (bit k for channel k of the block).
//   - pool{Max,Avg}AVX2_{P}: 8 channels per YMM, the last c mod 8 channels
//     through VMASKMOVPS with the 8 int32 lane masks at tail.
package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/kerasgen/kerasgen/asm/internal/mem"
	"github.com/kerasgen/kerasgen/asm/internal/setup"
)

const maxPix = 8

func main() {
	setup.Runtime()
	for _, avx512 := range []bool{false, true} {
		for _, isMax := range []bool{true, false} {
			for p := 1; p <= maxPix; p++ {
				kernel(p, isMax, avx512)
			}
		}
	}
	Generate()
}

func kernel(P int, isMax, avx512 bool) {
	op, what := "Avg", "the mean"
	if isMax {
		op, what = "Max", "the maximum"
	}
	isa, tail, lanes, vecBytes := "AVX2", "tail *int32", 8, 32
	if avx512 {
		isa, tail, lanes, vecBytes = "AVX512", "tail uint16", 16, 64
	}
	name := fmt.Sprintf("pool%s%s_%d", op, isa, P)
	TEXT(name, NOSPLIT, "func(x, y *float32, cb, nkh, nkw, xPix, xRowAdj int, div float32, "+tail+")")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets %d output pixels to %s of their nkh×nkw window taps over", name, P, what),
		fmt.Sprintf("c channels, %d per vector (div: the mean's divisor, unused by the max).", lanes),
		"Strides are in bytes (see asm/pool).")

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
	xc, yc := ld("x"), ld("y")
	cnt := ld("cb") // bytes of channels left
	// init is the accumulators' start: -Inf for the max, 0 for the sum.
	init, divV := newVec(), newVec()
	if isMax {
		t := GP32()
		MOVL(U32(math.Float32bits(float32(math.Inf(-1)))), t)
		MOVD(t, init.AsX())
		VBROADCASTSS(init.AsX(), init)
	} else {
		VBROADCASTSS(mem.Param("div"), divV)
		if avx512 {
			VPXORD(init, init, init)
		} else {
			VXORPS(init, init, init)
		}
	}
	accs := make([]reg.VecVirtual, P)
	for i := range accs {
		accs[i] = newVec()
	}

	// body emits one channel block; load(m, dst) loads a vector of it.
	body := func(prefix string, load func(Mem, reg.VecVirtual), store func(reg.VecVirtual, Mem)) {
		for _, a := range accs {
			VMOVAPS(init, a)
		}
		xp := GP64()
		MOVQ(xc, xp)
		i := GP64()
		MOVQ(mem.Param("nkh"), i)
		Label(prefix + "rows")
		j := GP64()
		MOVQ(mem.Param("nkw"), j)
		Label(prefix + "taps")
		for p, m := range s.Pixels(P, xp) {
			u := newVec()
			load(m, u)
			if isMax {
				a, b := newVec(), newVec()
				VMAXPS(u, accs[p], a) // max(acc, u): u if either is NaN
				VMAXPS(accs[p], u, b) // max(u, acc): acc if either is NaN
				if avx512 {
					VPORD(a, b, accs[p])
				} else {
					VORPS(a, b, accs[p])
				}
			} else {
				VADDPS(u, accs[p], accs[p])
			}
		}
		ADDQ(mem.Param("cb"), xp)
		DECQ(j)
		JNE(LabelRef(prefix + "taps"))
		ADDQ(mem.Param("xRowAdj"), xp)
		DECQ(i)
		JNE(LabelRef(prefix + "rows"))

		yp := GP64()
		MOVQ(yc, yp)
		for p, a := range accs {
			if !isMax {
				VDIVPS(divV, a, a)
			}
			store(a, Mem{Base: yp})
			if p < P-1 {
				ADDQ(mem.Param("cb"), yp)
			}
		}
		ADDQ(U32(vecBytes), xc)
		ADDQ(U32(vecBytes), yc)
	}

	if avx512 {
		k := K()
		KXNORW(k, k, k)
		Label("block")
		CMPQ(cnt, U32(vecBytes))
		JGE(LabelRef("full"))
		TESTQ(cnt, cnt)
		JLE(LabelRef("done"))
		KMOVW(mem.Param("tail"), k)
		Label("full")
		body("", func(m Mem, v reg.VecVirtual) { VMOVUPS_Z(m, k, v) },
			func(a reg.VecVirtual, m Mem) { VMOVUPS(a, k, m) })
		SUBQ(U32(vecBytes), cnt)
		JMP(LabelRef("block"))
	} else {
		Label("block")
		CMPQ(cnt, U32(vecBytes))
		JL(LabelRef("tail"))
		body("full", func(m Mem, v reg.VecVirtual) { VMOVUPS(m, v) },
			func(a reg.VecVirtual, m Mem) { VMOVUPS(a, m) })
		SUBQ(U32(vecBytes), cnt)
		JMP(LabelRef("block"))
		Label("tail")
		TESTQ(cnt, cnt)
		JLE(LabelRef("done"))
		mv, tp := YMM(), GP64()
		Load(Param("tail"), tp)
		VMOVDQU(Mem{Base: tp}, mv)
		body("tail", func(m Mem, v reg.VecVirtual) { VMASKMOVPS(m, mv, v) },
			func(a reg.VecVirtual, m Mem) { VMASKMOVPS(a, mv, m) })
	}
	Label("done")
	VZEROUPPER()
	RET()
}
