package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/kerasgen/kerasgen/asm/internal/mem"
)

// depthPairKernel generates convDepthPairsAVX512_{r}x8, an 8-wide AVX-512 conv kernel that
// takes the depth two steps at a time. A kernel holding a row's 8 columns in a YMM (as the
// 8-wide GEMM kernels do, and the conv ones did) loads one element of A per row and step of
// depth for eight multiply-adds, and on Zen 5 those broadcasts bound it (about two a cycle,
// whatever the vector width: ~105 GFLOP/s). Here each row's ZMM holds
// its eight columns twice, for even and odd steps (lane 2j + s: column j, step parity s):
// per two steps one 64-bit broadcast of A's two elements (VBROADCASTSD) feeds one ZMM
// multiply-add against B's two rows interleaved, so a row takes one load per two steps.
// After the taps, the even and odd lanes are added (even first, which holds the bias when
// the sums start from it) and the columns put back in order, and the tile goes through the
// common epilogue and store. The signature and contract are the conv kernels'. An odd depth
// ends with one step on the even lanes alone (a masked multiply-add, so that an infinite
// element of A adds nothing to the odd lanes). With poolH (1 or 2) it generates the pooled twins,
// convPoolDepthPairsAVX512_{r/4}x8 and convPoolRowDepthPairsAVX512_{r/2}x8: the tile is max
// pooled (poolAccs) before the epilogue, so that a fused convolution and pooling returns the
// bits of the convolution followed by the pooling.
func depthPairKernel(r, poolH int) {
	s := spec{r: r, poolH: poolH}
	fam := map[int]string{0: "conv", 1: "convPoolRow", 2: "convPool"}[poolH]
	rows := r
	if poolH > 0 {
		rows = s.pooled()
	}
	name := fmt.Sprintf("%sDepthPairsAVX512_%dx8", fam, rows)
	sig := "func(taps int, offs *int, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool, mask uint32, ep *float32, pf *float32)"
	if poolH > 0 {
		sig = "func(taps int, offs *int, k int, a *float32, lda int, lrow int, b *float32, ldb int, c *float32, ldc int, mask uint32, ep *float32)"
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	if poolH == 0 {
		Doc(fmt.Sprintf("%s adds (or stores, without acc) into C the sum over taps t of the product of", name),
			fmt.Sprintf("%d rows of A shifted by offs[t] elements and the next k rows of the masked columns of an", r),
			"8-wide panel of B, two steps of k at a time. Strides and offsets are in elements.",
			fmt.Sprintf("Each tap also prefetches %d cache lines into L2, %d·taps lines from pf on.", convTapLines, convTapLines))
	} else {
		Doc(fmt.Sprintf("%s stores into %d rows of C the %d×2 max pooling (NaN kept) of %s's sums", name, rows, poolH, fmt.Sprintf("convDepthPairsAVX512_%dx8", r)),
			"over the conv rows of the pooled kernels of the same pooling (lrow: the second row's offset),",
			"then applies ep. Strides and offsets are in elements.")
	}

	ld := mem.Arg
	lda, ldb, ldc, lda3 := byteStrides()
	m := K()
	{
		t := GP32()
		Load(Param("mask"), t)
		KMOVW(t, m)
	}
	load := func(at Mem, _ int, v reg.VecVirtual) { VMOVUPS_Z(at, m, v) }
	store := func(v reg.VecVirtual, at Mem, _ int) { VMOVUPS(v, m, at) }
	// interleave sets z to the 8 columns of x and y in lanes 2j and 2j+1 (columns 0, 1, 4, 5,
	// 2, 3, 6, 7 in that order of lane pairs: VUNPCK works within 128-bit lanes; the sums'
	// permutes put them back in order).
	interleave := func(x, y, z reg.VecVirtual) {
		lo, hi := YMM(), YMM()
		VUNPCKLPS(y, x, lo)
		VUNPCKHPS(y, x, hi)
		VINSERTF64X4(Imm(1), hi, lo.AsZ(), z)
	}

	Comment("C tile: prefetch it, and start from zero or from the bias in the even lanes.")
	cp := ld("c")
	row := GP64()
	MOVQ(cp, row)
	for i := 0; i < rows; i++ {
		PREFETCHT0(Mem{Base: row})
		if i < rows-1 {
			ADDQ(ldc, row)
		}
	}
	accs := make([]reg.VecVirtual, r)
	for i := range accs {
		accs[i] = ZMM()
	}
	biasRow := GP64()
	biasStart(biasRow, poolH == 0)
	TESTQ(biasRow, biasRow)
	JEQ(LabelRef("zero"))
	{
		bias, zero := YMM(), YMM()
		load(Mem{Base: biasRow}, 0, bias)
		VXORPS(zero, zero, zero)
		interleave(bias, zero, accs[0])
		for _, v := range accs[1:] {
			VMOVAPS(accs[0], v)
		}
	}
	JMP(LabelRef("started"))
	Label("zero")
	for _, v := range accs {
		VPXORD(v, v, v)
	}
	Label("started")

	evenLanes := K()
	{
		t := GP32()
		MOVL(U32(0x5555), t)
		KMOVW(t, evenLanes)
	}
	zero := YMM()
	VXORPS(zero, zero, zero)

	Comment("One pass of the k loop per tap, A's rows shifted by the tap's offset.")
	taps, offs := ld("taps"), ld("offs")
	var pf reg.GPVirtual
	if poolH == 0 {
		pf = ld("pf")
	}
	bp := ld("b")
	k := GP64()
	TESTQ(taps, taps)
	JEQ(LabelRef("sum"))
	Label("tap")
	first := tapBase(pf, offs)
	Load(Param("k"), k)
	SHRQ(Imm(1), k)
	bases, am := rowPointers(first, r, poolH, lda, lda3)
	TESTQ(k, k)
	JEQ(LabelRef("odd"))
	Label("loop")
	b0, b1, bz := YMM(), YMM(), ZMM()
	load(Mem{Base: bp}, 0, b0)
	ADDQ(ldb, bp)
	load(Mem{Base: bp}, 0, b1)
	ADDQ(ldb, bp)
	interleave(b0, b1, bz)
	for i := range accs {
		t := ZMM()
		VBROADCASTSD(am[i], t) // A's elements p and p+1, eight times over
		VFMADD231PS(bz, t, accs[i])
	}
	for _, g := range bases {
		ADDQ(Imm(8), g)
	}
	DECQ(k)
	JNE(LabelRef("loop"))
	Label("odd")
	Load(Param("k"), k)
	TESTQ(U32(1), k)
	JEQ(LabelRef("next"))
	{
		b0, bz := YMM(), ZMM()
		load(Mem{Base: bp}, 0, b0)
		ADDQ(ldb, bp)
		interleave(b0, zero, bz)
		for i := range accs {
			t := ZMM()
			VBROADCASTSS(am[i], t)
			VFMADD231PS(bz, t, evenLanes, accs[i])
		}
	}
	Label("next")
	ADDQ(Imm(8), offs)
	DECQ(taps)
	JNE(LabelRef("tap"))

	Label("sum")
	Comment("Even lanes plus odd lanes, the columns back in order: 0, 2, 8, 10, 4, 6, 12, 14 and the odd ones.")
	even, odd := ZMM(), ZMM()
	for _, x := range []struct {
		v   reg.VecVirtual
		idx uint64
	}{{even, 0x0e0c06040a080200}, {odd, 0x0f0d07050b090301}} {
		t := GP64()
		MOVQ(U64(x.idx), t)
		VMOVQ(t, x.v.AsX())
		VPMOVZXBD(x.v.AsX(), x.v)
	}
	sums := make([][]reg.VecVirtual, r)
	for i, v := range accs {
		e, o := ZMM(), ZMM()
		VPERMPS(v, even, e)
		VPERMPS(v, odd, o)
		VADDPS(o, e, e)
		sums[i] = []reg.VecVirtual{e.AsY().(reg.VecVirtual)}
	}
	tileOut{accs: sums, tmp: func(int) reg.VecVirtual { return YMM() }, newVec: func() reg.VecVirtual { return YMM() },
		load: load, store: store, avx512: true}.finish(poolH, ld("c"), ldc, row)
}
