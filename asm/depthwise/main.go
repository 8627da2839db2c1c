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
//
// The sliding kernels dwAVX512Row_K{KW}S{S}_{P} and dwAVX2Row_K{KW}S{S}_{P}
// (KW = 3, 5; S = 1, 2; P = 4…8; same channel blocks and tails, but only the last, partial
// block masked: full blocks take unmasked loads, FMAs and stores) compute the
// interior of an output row, where all KW kernel columns lie inside the
// input, for a column stride of S pixels and column dilation 1: ng groups
// of P adjacent pixels, group g starting at x + g·P·S·cb and y + g·P·cb,
//
//	y[p, ch] = min(max(Σ_{i<nkh, j<KW} x[p·S + j + i·xRow, ch]·w[i·KW + j, ch] + bias[ch], lo), hi)
//
// (x and w at the first kernel row inside, xRow in bytes, indices in
// pixels). Adjacent pixels share input columns (at S = 1 a group of 8 with
// KW = 3 reads 10 columns per kernel row, not 24): each column is loaded
// once per kernel row and channel block and multiplied into every
// accumulator whose pixel reads it, the row's KW weight vectors loaded
// once. Each pixel still sums its taps in kernel order, as dw*_{P} do. They sweep the
// channels ch of the first cc bytes of each pixel's cb (x, w, bias and y pointing at the first
// of them), so that a caller can go through a wide layer's channels in chunks that keep the
// rows it reads in L1 (runtime's dwSameStrips; the last chunk holds the partial block).
//
// dwAVX512Row_K3S1_{P}{L,R,LR} and the AVX2 ones are the same kernels for the group at either
// end (or both ends) of a 'same' 3×3 stride-1 row: its first input column (L; x then points
// at its second) or its last (R) is padding, which they neither read nor multiply, so a whole
// row runs on sliding kernels.
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
	for _, avx512 := range []bool{false, true} {
		for _, kw := range rowKW {
			for _, s := range rowStrides {
				for p := minRowPix; p <= maxRowPix; p++ {
					rowKernel(p, kw, s, avx512, 0)
				}
			}
		}
		// Border groups of 'same' 3×3 stride-1 rows (one padding column each side).
		for _, edge := range []int{edgeL, edgeR, edgeL | edgeR} {
			for p := minRowPix; p <= maxRowPix; p++ {
				rowKernel(p, 3, 1, avx512, edge)
			}
		}
	}
	Generate()
}

// Edges of a border group (rowKernel): its first input column (edgeL) or its last (edgeR) is
// padding, so the kernel neither reads it nor multiplies it.
const (
	edgeL = 1 << iota
	edgeR
)

// edgeName is the suffix of a border group's kernel name.
func edgeName(edge int) string {
	return map[int]string{0: "", edgeL: "L", edgeR: "R", edgeL | edgeR: "LR"}[edge]
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
	xc, wc, yc, bc := ld("x"), ld("w"), ld("y"), ld("bias")
	cnt := ld("cb") // bytes of channels left
	loV, hiV := newVec(), newVec()
	VBROADCASTSS(mem.Param("lo"), loV)
	VBROADCASTSS(mem.Param("hi"), hiV)

	// body emits one channel block of V vectors per pixel: accumulate,
	// epilogue, store, advance, its vectors moved by ops.
	body := func(prefix string, V int, ops vecOps) {
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
			ops.load(Mem{Base: wp}.Offset(v*vecBytes), wv[v])
		}
		for p, m := range s.Pixels(P, xp) {
			for v := range wv {
				ops.fma(m.Offset(v*vecBytes), wv[v], accs[p][v])
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
			ops.load(Mem{Base: bc}.Offset(v*vecBytes), bv)
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
				ops.store(a, Mem{Base: yp}.Offset(v*vecBytes))
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
		body("wide", V, plainOps)
		SUBQ(U32(V*vecBytes), cnt)
		JMP(LabelRef("wide"))
	}
	if avx512 {
		mem.MaskedBlocks(cnt, uint32(vecBytes), func() { KMOVW(mem.Param("tail"), k) }, func() {
			body("", 1, maskedOps(k))
		})
	} else {
		Label("block")
		CMPQ(cnt, U32(vecBytes))
		JL(LabelRef("tail"))
		body("full", 1, plainOps)
		SUBQ(U32(vecBytes), cnt)
		JMP(LabelRef("block"))
		Label("tail")
		TESTQ(cnt, cnt)
		JLE(LabelRef("done"))
		body("tail", 1, avx2TailOps())
	}
	Label("done")
	VZEROUPPER()
	RET()
}

// vecOps are how a kernel body moves the vectors of a channel block: load(m, dst) loads one,
// fma(m, w, acc) adds m·w to acc, store(acc, m) writes one.
type vecOps struct {
	load  func(m Mem, dst reg.VecVirtual)
	fma   func(m Mem, w, acc reg.VecVirtual)
	store func(acc reg.VecVirtual, m Mem)
}

// plainOps move whole vectors (full channel blocks, either ISA).
var plainOps = vecOps{
	load:  func(m Mem, v reg.VecVirtual) { VMOVUPS(m, v) },
	fma:   func(m Mem, w, a reg.VecVirtual) { VFMADD231PS(m, w, a) },
	store: func(a reg.VecVirtual, m Mem) { VMOVUPS(a, m) },
}

// maskedOps move the lanes of AVX-512 mask k (a block's channels), zeroing the others.
func maskedOps(k reg.OpmaskVirtual) vecOps {
	return vecOps{
		load:  func(m Mem, v reg.VecVirtual) { VMOVUPS_Z(m, k, v) },
		fma:   func(m Mem, w, a reg.VecVirtual) { VFMADD231PS(m, w, k, a) },
		store: func(a reg.VecVirtual, m Mem) { VMOVUPS(a, k, m) },
	}
}

// avx2TailOps loads the AVX2 lane mask the kernel's tail parameter points at and returns the
// ops that move those lanes (VMASKMOVPS; the FMA through a masked load).
func avx2TailOps() vecOps {
	mv, tp := YMM(), GP64()
	Load(Param("tail"), tp)
	VMOVDQU(Mem{Base: tp}, mv)
	return vecOps{
		load: func(m Mem, v reg.VecVirtual) { VMASKMOVPS(m, mv, v) },
		fma: func(m Mem, w, a reg.VecVirtual) {
			t := YMM()
			VMASKMOVPS(m, mv, t)
			VFMADD231PS(t, w, a)
		},
		store: func(a reg.VecVirtual, m Mem) { VMASKMOVPS(a, mv, m) },
	}
}

// Sliding kernels: the interior of an output row, where every kernel column
// lies inside the input, for KW and the column stride S fixed at generation
// time (column dilation 1).
var (
	rowKW      = []int{3, 5}
	rowStrides = []int{1, 2}
)

const (
	minRowPix = 4 // fewer pixels leave too few FMA chains: the general kernels take them
	maxRowPix = 8 // 16 pixels per group measured no faster on Zen 4
)

// advance adds k pixels (k·cb bytes, m = PixelStrides(9, cb)) to r.
func advance(m mem.Strides, r reg.GPVirtual, k int) {
	for ; k > 0; k -= 8 {
		LEAQ(m.At(r, min(k, 8)), r)
	}
}

// span addresses pixels k = 0, 1, … cb bytes apart from a base, deriving a
// further base every 8 pixels at its first use.
type span struct {
	m     mem.Strides
	bases []reg.GPVirtual
}

func (s *span) at(k int) Mem {
	b, r := k/8, k%8
	if r == 0 && b > 0 {
		b, r = b-1, 8
	}
	for len(s.bases) <= b {
		nb := GP64()
		LEAQ(s.m.At(s.bases[len(s.bases)-1], 8), nb)
		s.bases = append(s.bases, nb)
	}
	return s.m.At(s.bases[b], r)
}

// rowKernel emits dw{AVX2,AVX512}Row_K{KW}S{S}_{P}: ng groups of P adjacent
// output pixels, each group a full sweep over the channel blocks. Per
// channel block and kernel row it loads the KW weight vectors once and the
// (P-1)·S + KW input columns the group reads, each once while registers
// last (all of them with AVX-512 at P ≤ 8), multiplying every column into
// each accumulator whose pixel reads it.
func rowKernel(P, KW, S int, avx512 bool, edge int) {
	isa, tail, vecBytes, lanes := "AVX2", "tail *int32", 32, 8
	if avx512 {
		isa, tail, vecBytes, lanes = "AVX512", "tail uint16", 64, 16
	}
	name := fmt.Sprintf("dw%sRow_K%dS%d_%d%s", isa, KW, S, P, edgeName(edge))
	TEXT(name, NOSPLIT, "func(x, w, bias, y *float32, cb, cc, nkh, xRow, ng int, lo, hi float32, "+tail+")")
	Pragma("noescape")
	doc := []string{fmt.Sprintf("%s computes ng groups of %d adjacent output pixels, every one with all", name, P),
		fmt.Sprintf("%d kernel columns inside the input at column stride %d, of a depth-multiplier-1", KW, S),
		fmt.Sprintf("depthwise convolution over c channels, %d per vector, with bias (nil: none) and a", lanes),
		"clamp to [lo, hi] fused, on the first cc bytes of each pixel's cb (x, w, bias and y",
		"at the first of those channels). Strides are in bytes (see asm/depthwise)."}
	if edge != 0 {
		doc = []string{fmt.Sprintf("%s is dw%sRow_K%dS%d_%d for a group at the border of a row:", name, isa, KW, S, P),
			"the group's first input column (L: x points at the second) or its last (R) is padding,",
			"which it neither reads nor multiplies."}
	}
	Doc(doc...)
	// present reports whether the group's input column col exists; shift is the index of the
	// column x points at.
	last := (P-1)*S + KW - 1
	present := func(col int) bool { return !(edge&edgeL != 0 && col == 0) && !(edge&edgeR != 0 && col == last) }
	shift := 0
	if edge&edgeL != 0 {
		shift = 1
	}

	newVec := func() reg.VecVirtual {
		if avx512 {
			return ZMM()
		}
		return YMM()
	}
	// left[col] counts the FMAs of a kernel row that read input column col.
	left0 := make([]int, (P-1)*S+KW)
	for p := 0; p < P; p++ {
		for j := 0; j < KW; j++ {
			if present(p*S + j) {
				left0[p*S+j]++
			}
		}
	}

	// Registers for input columns: what the accumulators and weights leave
	// (AVX2: and the tail's mask and a masked load).
	maxLive := 32 - P - KW
	if !avx512 {
		maxLive = 16 - P - KW - 2
	}

	cb := GP64()
	Load(Param("cb"), cb)
	m := mem.PixelStrides(9, cb)
	xg, yg, off := GP64(), GP64(), GP64()
	Load(Param("x"), xg)
	Load(Param("y"), yg)

	// body emits one channel block at byte offset off: accumulate,
	// epilogue, store, its vectors moved by ops.
	body := func(prefix string, ops vecOps) {
		// The accumulators start as copies of one zeroed register: avo counts a zero idiom's
		// sources as read, so zeroing each in place would keep every accumulator of both
		// bodies (full and tail blocks) live throughout, more than the registers there are.
		zero := newVec()
		if avx512 {
			VPXORD(zero, zero, zero)
		} else {
			VXORPS(zero, zero, zero)
		}
		accs := make([]reg.VecVirtual, P)
		for p := range accs {
			accs[p] = newVec()
			VMOVAPS(zero, accs[p])
		}
		xp, wp, i := GP64(), GP64(), GP64()
		LEAQ(Mem{Base: xg, Index: off, Scale: 1}, xp)
		Load(Param("w"), wp)
		ADDQ(off, wp)
		Load(Param("nkh"), i)
		TESTQ(i, i)
		JEQ(LabelRef(prefix + "epilogue"))
		Label(prefix + "rows")
		wv := make([]reg.VecVirtual, KW)
		for j := range wv {
			wv[j] = newVec()
			ops.load(m.At(wp, j), wv[j])
		}
		// The FMAs go kernel column by kernel column, each over all P
		// pixels, so that consecutive ones feed different accumulators. An
		// input column read more than once stays in a register from its
		// first use to its last while fewer than maxLive are held;
		// otherwise each FMA reads it from memory.
		cols := span{m: m, bases: []reg.GPVirtual{xp}}
		left := append([]int(nil), left0...)
		live := map[int]reg.VecVirtual{}
		for j := 0; j < KW; j++ {
			for p := 0; p < P; p++ {
				col := p*S + j
				if !present(col) {
					continue
				}
				t, ok := live[col]
				if !ok && left[col] > 1 && len(live) < maxLive {
					t, ok = newVec(), true
					ops.load(cols.at(col-shift), t)
					live[col] = t
				}
				if ok {
					VFMADD231PS(t, wv[j], accs[p])
				} else {
					ops.fma(cols.at(col-shift), wv[j], accs[p])
				}
				if left[col]--; left[col] == 0 {
					delete(live, col)
				}
			}
		}
		ADDQ(mem.Param("xRow"), xp)
		advance(m, wp, KW)
		DECQ(i)
		JNE(LabelRef(prefix + "rows"))

		Label(prefix + "epilogue")
		bp := GP64()
		Load(Param("bias"), bp)
		TESTQ(bp, bp)
		JEQ(LabelRef(prefix + "clamp"))
		bv := newVec()
		ops.load(Mem{Base: bp, Index: off, Scale: 1}, bv)
		for _, a := range accs {
			VADDPS(bv, a, a)
		}
		Label(prefix + "clamp")
		loV, hiV := newVec(), newVec()
		VBROADCASTSS(mem.Param("lo"), loV)
		VBROADCASTSS(mem.Param("hi"), hiV)
		yp := GP64()
		LEAQ(Mem{Base: yg, Index: off, Scale: 1}, yp)
		out := span{m: m, bases: []reg.GPVirtual{yp}}
		for p, a := range accs {
			// Intel max(lo, a) and min(hi, a) return a when it is NaN.
			VMAXPS(a, loV, a)
			VMINPS(a, hiV, a)
			ops.store(a, out.at(p))
		}
	}

	Label("group")
	XORQ(off, off)
	// Full channel blocks take unmasked loads, FMAs and stores; only the last, partial block
	// runs under the tail mask. (AVX-512's masked forms cost on Zen 4: block 2's band,
	// 9×56×144 at stride 1 in L2, ran at 83–97 GFLOP/s all masked, 86–109 so; BENCHMARKS.md.)
	Label("block")
	end := GP64()
	LEAQ(Mem{Base: off, Disp: vecBytes}, end)
	CMPQ(end, mem.Param("cc"))
	JG(LabelRef("tail"))
	body("full", plainOps)
	ADDQ(U32(vecBytes), off)
	JMP(LabelRef("block"))
	Label("tail")
	CMPQ(off, mem.Param("cc"))
	JGE(LabelRef("next"))
	if avx512 {
		k := K()
		KMOVW(mem.Param("tail"), k)
		body("tail", maskedOps(k))
	} else {
		body("tail", avx2TailOps())
	}
	Label("next")
	advance(m, xg, P*S)
	advance(m, yg, P)
	DECQ(mem.Param("ng"))
	JNE(LabelRef("group"))
	VZEROUPPER()
	RET()
}
