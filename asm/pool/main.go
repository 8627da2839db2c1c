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
//
// The column-sum kernels serve global average pooling and the mean and sum
// reductions (runtime.ReduceMean over a non-last axis):
//
//	sums[j] += Σ_{i < rows} float64(x[i·ld + j])  for j < n, i in order
//
// in float64, as the pure-Go twin sums, so the results are bit-identical.
// 32 columns per pass (4 vectors of doubles, a ZMM of 8 or a YMM of 4; AVX2:
// 16 per pass), the pass's accumulators held over all rows.
//
//   - colSumsAVX512: any n ≥ 0, the last n mod 32 columns masked with tail
//     (bit j for column j of the last pass).
//   - colSumsAVX2: n a multiple of 16.
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
		colSums(avx512)
	}
	Generate()
}

// colSums emits colSumsAVX512 or colSumsAVX2 (see the package comment).
func colSums(avx512 bool) {
	const vecs = 4
	name, sig, lanes := "colSumsAVX2", "func(rows int, x *float32, ld, n int, sums *float64)", 4
	if avx512 {
		name, sig, lanes = "colSumsAVX512", "func(rows int, x *float32, ld, n int, sums *float64, tail uint32)", 8
	}
	per := vecs * lanes // columns per pass
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	doc := fmt.Sprintf("%s adds to sums[j] the float64 sum of x[i·ld + j] over rows i < rows, in order,", name)
	if avx512 {
		Doc(doc, "for the n columns j (the last n mod 32 masked by tail). ld is in elements.")
	} else {
		Doc(doc, "for the n columns j (n a multiple of 16). ld is in elements.")
	}
	ld := mem.Arg
	xc, sc, cnt, stride := ld("x"), ld("sums"), ld("n"), ld("ld")
	SHLQ(Imm(2), stride)
	newVec := func() reg.VecVirtual {
		if avx512 {
			return ZMM()
		}
		return YMM()
	}
	accs := make([]reg.VecVirtual, vecs)
	for v := range accs {
		accs[v] = newVec()
	}
	// body emits one pass of per columns with the given loads and stores of vector v.
	body := func(prefix string, loadSum func(v int, m Mem, a reg.VecVirtual), cvt func(v int, m Mem, t reg.VecVirtual), storeSum func(v int, a reg.VecVirtual, m Mem)) {
		for v, a := range accs {
			loadSum(v, Mem{Base: sc, Disp: 8 * lanes * v}, a)
		}
		xp, i := GP64(), GP64()
		MOVQ(xc, xp)
		Load(Param("rows"), i)
		TESTQ(i, i)
		JLE(LabelRef(prefix + "stored"))
		Label(prefix + "rows")
		for v, a := range accs {
			t := newVec()
			cvt(v, Mem{Base: xp, Disp: 4 * lanes * v}, t)
			VADDPD(t, a, a)
		}
		ADDQ(stride, xp)
		DECQ(i)
		JNE(LabelRef(prefix + "rows"))
		Label(prefix + "stored")
		for v, a := range accs {
			storeSum(v, a, Mem{Base: sc, Disp: 8 * lanes * v})
		}
		ADDQ(U32(4*per), xc)
		ADDQ(U32(8*per), sc)
	}
	if avx512 {
		ks := make([]reg.OpmaskVirtual, vecs)
		for v := range ks {
			ks[v] = K()
			KXNORW(ks[v], ks[v], ks[v])
		}
		mem.MaskedBlocks(cnt, uint32(per), func() {
			t := GP32()
			Load(Param("tail"), t)
			for v := range ks {
				if v > 0 {
					SHRL(Imm(uint64(lanes)), t)
				}
				KMOVW(t, ks[v])
			}
		}, func() {
			body("",
				func(v int, m Mem, a reg.VecVirtual) { VMOVUPD_Z(m, ks[v], a) },
				func(v int, m Mem, t reg.VecVirtual) { VCVTPS2PD_Z(m, ks[v], t) },
				func(v int, a reg.VecVirtual, m Mem) { VMOVUPD(a, ks[v], m) })
		})
	} else {
		Label("block")
		CMPQ(cnt, U32(per))
		JL(LabelRef("done"))
		body("",
			func(v int, m Mem, a reg.VecVirtual) { VMOVUPD(m, a) },
			func(v int, m Mem, t reg.VecVirtual) { VCVTPS2PD(m, t) },
			func(v int, a reg.VecVirtual, m Mem) { VMOVUPD(a, m) })
		SUBQ(U32(per), cnt)
		JMP(LabelRef("block"))
	}
	Label("done")
	VZEROUPPER()
	RET()
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

	ld := mem.Arg
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
		mem.MaskedBlocks(cnt, uint32(vecBytes), func() { KMOVW(mem.Param("tail"), k) }, func() {
			body("", func(m Mem, v reg.VecVirtual) { VMOVUPS_Z(m, k, v) },
				func(a reg.VecVirtual, m Mem) { VMOVUPS(a, k, m) })
		})
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
