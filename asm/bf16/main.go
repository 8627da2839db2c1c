// Command bf16 generates kerasgen's amd64 bf16 matrix-multiply kernels
// (Plan9 assembly) with avo. Regenerate with
//
//	cd asm && go run ./bf16 -out ../runtime/bf16_amd64.s -stubs ../runtime/bf16_stubs_amd64.go
//
// Go's assembler has no AVX512_BF16 instructions, so VDPBF16PS and
// VCVTNE2PS2BF16 are encoded here (evex below) and emitted as BYTE
// directives, each preceded by a comment with the instruction in Intel
// syntax. Because raw bytes name fixed registers, the kernels use physical
// registers throughout (no register allocation happens). The encoder checks
// itself against encodings from llvm-mc at start-up.
//
// Kernels:
//
//   - gemmBF16_{r}x32 (r = 1…12): C[r×32] (row stride ldc floats, columns
//     selected by mask, bit j for column j) = (acc ? C : 0) + A·B over kp
//     k-pairs. A is r rows of bf16 pairs (row stride lda pairs, i.e. 4-byte
//     units): pair p of row i is the uint32 holding A[i,2p] (low half) and
//     A[i,2p+1] (high half). B is one packed panel: per pair p, 64 bf16 =
//     128 bytes, column j's pair at element 2j (k = 2p) and 2j+1 (k = 2p+1).
//     Per pair: two 64-byte loads of B (columns 0–15, 16–31) and, per row,
//     a VPBROADCASTD of the row's pair and two register VDPBF16PS.
//     24 ZMM accumulators at r = 12 (Z0–Z23), B in Z24/Z25, the pairs in Z26–Z31. The
//     accumulators start from zero; C's old value is added at the end
//     under acc (VADDPS, C + sum).
//   - convBF16_{r}x32 (r = 1…12): gemmBF16_{r}x32 over a list of taps (the
//     implicit-GEMM convolution of runtime/conv_implicit_amd64.go): for tap
//     t, A's rows start offs[t] pairs further on, and B's next kp pairs are
//     read; the taps' products are summed in the accumulators.
//   - gemmBF16_{r}x128 (r = 1…3): the same over four consecutive panels
//     (128 columns; the panels kp·128 bytes apart), for few rows: with
//     32 columns, r ≤ 3 rows would keep at most 6 dependency chains of
//     VDPBF16PS (latency 6) in flight; 128 columns keep 8r. mask selects the
//     columns of the last panel; the first three are written in full. Per
//     pair: a VPBROADCASTD of each row's pair, 8 loads of B, 8r VDPBF16PS
//     (register forms; the result is the same as with the operands
//     swapped). Every element of C is summed in the same order as by
//     gemmBF16_{r}x32, so the results are identical.
//   - cvtBF16Row: dst[0:2⌈n/2⌉] = bf16(src[0:n]) with VCVTNE2PS2BF16 (round
//     to nearest even, NaN quieted, subnormal inputs to ±0), the odd element
//     past n (if any) zero. 32 floats per step; the tail is masked, so
//     nothing past src[n-1] is read and nothing past dst[2⌈n/2⌉-1] is
//     written.
package main

import (
	"bytes"
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/kerasgen/kerasgen/asm/internal/setup"
)

const (
	maxRows     = 12 // gemmBF16_{r}x32
	maxWideRows = 3  // gemmBF16_{r}x128
	widePanels  = 4  // panels of a wide kernel
)

func main() {
	setup.Runtime()
	selfTest()
	for _, conv := range []bool{false, true} {
		for r := 1; r <= maxRows; r++ {
			kernel(r, conv)
		}
	}
	for r := 1; r <= maxWideRows; r++ {
		wideKernel(r)
	}
	convertRow()
	Generate()
}

// ---- EVEX encoding ------------------------------------------------------

// instr is one AVX-512 instruction of the form op zmmDst, zmmSrc1, zmmRm
// (EVEX.512, map 0F38, W0, no masking). The kernels load and broadcast their operands
// with avo's own instructions, so no memory form is needed.
type instr struct {
	name   string // mnemonic, for the comment
	pp     byte   // implied prefix: 1 = 66, 2 = F3, 3 = F2
	opcode byte
	dst    int // ZMM number
	src1   int // ZMM number (EVEX.vvvv)
	rm     int // ZMM number
}

// vdpbf16ps returns VDPBF16PS zmm(dst), zmm(src1), rm: EVEX.512.F3.0F38.W0 52 /r.
// dst.fp32[i] += src1.bf16[2i+1]·rm.bf16[2i+1], then += src1.bf16[2i]·rm.bf16[2i].
func vdpbf16ps(dst, src1, rm int) instr {
	return instr{name: "VDPBF16PS", pp: 2, opcode: 0x52, dst: dst, src1: src1, rm: rm}
}

// vcvtne2ps2bf16 returns VCVTNE2PS2BF16 zmm(dst), zmm(src1), zmm(rm):
// EVEX.512.F2.0F38.W0 72 /r. dst.bf16[0:16] = rm.fp32[0:16], dst.bf16[16:32] = src1.fp32[0:16].
func vcvtne2ps2bf16(dst, src1, rm int) instr {
	return instr{name: "VCVTNE2PS2BF16", pp: 3, opcode: 0x72, dst: dst, src1: src1, rm: rm}
}

func bit(x, n int) byte { return byte(x>>n) & 1 }

// encode returns the instruction's bytes.
func (in instr) encode() []byte {
	const mm = 2 // 0F38
	rBar, rBar2 := 1-bit(in.dst, 3), 1-bit(in.dst, 4)
	bBar, xBar := 1-bit(in.rm, 3), 1-bit(in.rm, 4)
	modrm := 0xc0 | byte(in.dst&7)<<3 | byte(in.rm&7)
	p0 := rBar<<7 | xBar<<6 | bBar<<5 | rBar2<<4 | mm
	p1 := byte(0)<<7 | byte(^in.src1&15)<<3 | 1<<2 | in.pp // W0
	p2 := byte(0)<<7 | 2<<5 | (1-bit(in.src1, 4))<<3       // z = 0, L'L = 512, no broadcast, no mask
	return []byte{0x62, p0, p1, p2, in.opcode, modrm}
}

// String returns the instruction in Intel syntax.
func (in instr) String() string {
	return fmt.Sprintf("%s Z%d, Z%d, Z%d", in.name, in.dst, in.src1, in.rm)
}

// emit writes the instruction as BYTE directives after a comment naming it.
func emit(in instr) {
	code := in.encode()
	hex := make([]string, len(code))
	for i, c := range code {
		hex[i] = fmt.Sprintf("%02x", c)
	}
	Comment(fmt.Sprintf("%s = %s", in, strings.Join(hex, " ")))
	// Little-endian LONG/WORD/BYTE chunks; ISA names the extension for avo's
	// "Requires" line.
	isa := []string{"AVX512_BF16"}
	for len(code) > 0 {
		switch {
		case len(code) >= 4:
			v := uint32(code[0]) | uint32(code[1])<<8 | uint32(code[2])<<16 | uint32(code[3])<<24
			Instruction(&ir.Instruction{Opcode: "LONG", Operands: []Op{U32(v)}, ISA: isa})
			code = code[4:]
		case len(code) >= 2:
			v := uint16(code[0]) | uint16(code[1])<<8
			Instruction(&ir.Instruction{Opcode: "WORD", Operands: []Op{U16(v)}, ISA: isa})
			code = code[2:]
		default:
			Instruction(&ir.Instruction{Opcode: "BYTE", Operands: []Op{U8(code[0])}, ISA: isa})
			code = code[1:]
		}
	}
}

// selfTest checks the encoder against llvm-mc (-mattr=+avx512bf16 -show-encoding).
func selfTest() {
	cases := []struct {
		in   instr
		want []byte
	}{
		// vdpbf16ps %zmm3, %zmm2, %zmm1
		{vdpbf16ps(1, 2, 3), []byte{0x62, 0xf2, 0x6e, 0x48, 0x52, 0xcb}},
		// vdpbf16ps %zmm9, %zmm30, %zmm17
		{vdpbf16ps(17, 30, 9), []byte{0x62, 0xc2, 0x0e, 0x40, 0x52, 0xc9}},
		// vcvtne2ps2bf16 %zmm0, %zmm1, %zmm2
		{vcvtne2ps2bf16(2, 1, 0), []byte{0x62, 0xf2, 0x77, 0x48, 0x72, 0xd0}},
		// vcvtne2ps2bf16 %zmm28, %zmm17, %zmm26
		{vcvtne2ps2bf16(26, 17, 28), []byte{0x62, 0x02, 0x77, 0x40, 0x72, 0xd4}},
	}
	for _, c := range cases {
		if got := c.in.encode(); !bytes.Equal(got, c.want) {
			panic(fmt.Sprintf("encoder: %s = % x, want % x", c.in, got, c.want))
		}
	}
}

// ---- kernels --------------------------------------------------------------

// z returns ZMM register i.
var z = [32]reg.VecPhysical{
	reg.Z0, reg.Z1, reg.Z2, reg.Z3, reg.Z4, reg.Z5, reg.Z6, reg.Z7,
	reg.Z8, reg.Z9, reg.Z10, reg.Z11, reg.Z12, reg.Z13, reg.Z14, reg.Z15,
	reg.Z16, reg.Z17, reg.Z18, reg.Z19, reg.Z20, reg.Z21, reg.Z22, reg.Z23,
	reg.Z24, reg.Z25, reg.Z26, reg.Z27, reg.Z28, reg.Z29, reg.Z30, reg.Z31,
}

// Kernel registers.
var (
	kReg    = reg.RCX                                   // pairs left
	aBase   = []reg.GPPhysical{reg.RAX, reg.R8, reg.R9} // rows 0–3, 4–7, 8–11 of A
	ldaReg  = reg.RDX                                   // lda in bytes
	lda3Reg = reg.RBX                                   // 3·lda in bytes
	bReg    = reg.RSI                                   // B panel
	cReg    = reg.RDI                                   // C tile
	ldcReg  = reg.R10                                   // ldc in bytes
	tmp     = reg.R11
	bVec    = [2]int{24, 25} // B columns 0–15, 16–31
)

// Registers of the conv kernels' tap loop.
var (
	tapsReg = reg.R12 // taps left
	offsReg = reg.R13 // the next tap's offset (pairs)
)

// kernel emits gemmBF16_{r}x32 or, with conv, convBF16_{r}x32: the same over a list of
// taps, A's rows shifted by offs[t] pairs for tap t, kp pairs of B per tap (B's pairs
// run on through the taps), as the fp32 conv kernels of asm/gemm do.
func kernel(r int, conv bool) {
	name := fmt.Sprintf("gemmBF16_%dx32", r)
	sig := "func(kp int, a *uint16, lda int, b *uint16, c *float32, ldc int, acc bool, mask uint32)"
	if conv {
		name = fmt.Sprintf("convBF16_%dx32", r)
		sig = "func(taps int, offs *int, kp int, a *uint16, lda int, b *uint16, c *float32, ldc int, acc bool, mask uint32)"
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	if conv {
		Doc(fmt.Sprintf("%s sets the masked columns of %d rows of C to the sum over taps t of the", name, r),
			fmt.Sprintf("product of %d rows of bf16 pairs of A shifted by offs[t] pairs (row stride lda", r),
			"pairs) and the next kp pairs of a packed 32-wide bf16 panel of B, plus C's old value",
			"when acc. ldc is in elements.")
	} else {
		Doc(fmt.Sprintf("%s sets the masked columns of %d rows of C to the product of %d rows of", name, r, r),
			"bf16 pairs of A (row stride lda pairs) and kp pairs of a packed 32-wide bf16 panel",
			"of B, plus C's old value when acc. ldc is in elements.")
	}

	Load(Param("kp"), kReg)
	Load(Param("lda"), ldaReg)
	Load(Param("ldc"), ldcReg)
	SHLQ(Imm(2), ldaReg)
	SHLQ(Imm(2), ldcReg)
	LEAQ(Mem{Base: ldaReg, Index: ldaReg, Scale: 2}, lda3Reg)
	Load(Param("mask"), tmp.As32())
	KMOVW(tmp.As32(), reg.K1)
	SHRL(Imm(16), tmp.As32())
	KMOVW(tmp.As32(), reg.K2)
	masks := [2]reg.OpmaskPhysical{reg.K1, reg.K2}

	Comment("C tile: prefetch it (it is added at the end, under acc) and start from zero.")
	Load(Param("c"), cReg)
	MOVQ(cReg, tmp)
	for i := 0; i < r; i++ {
		for _, off := range []int{0, 64, 127} {
			PREFETCHT0(Mem{Base: tmp, Disp: off})
		}
		if i < r-1 {
			ADDQ(ldcReg, tmp)
		}
	}
	for i := 0; i < 2*r; i++ {
		VPXORD(z[i], z[i], z[i])
	}

	Load(Param("b"), bReg)
	if conv {
		Comment("One pass of the pair loop per tap, A's rows shifted by the tap's offset.")
		Load(Param("taps"), tapsReg)
		Load(Param("offs"), offsReg)
		TESTQ(tapsReg, tapsReg)
		JEQ(LabelRef("store"))
		Label("tap")
		Load(Param("kp"), kReg)
		Load(Param("a"), aBase[0])
		MOVQ(Mem{Base: offsReg}, tmp)
		LEAQ(Mem{Base: aBase[0], Index: tmp, Scale: 4}, aBase[0])
	} else {
		Comment("A row pointers, one base per four rows.")
		Load(Param("a"), aBase[0])
	}
	nb := (r + 3) / 4
	for g := 1; g < nb; g++ {
		LEAQ(Mem{Base: aBase[g-1], Index: ldaReg, Scale: 4}, aBase[g])
	}
	aMem := func(i int) Mem {
		m := Mem{Base: aBase[i/4]}
		switch i % 4 {
		case 1:
			m.Index, m.Scale = ldaReg, 1
		case 2:
			m.Index, m.Scale = ldaReg, 2
		case 3:
			m.Index, m.Scale = lda3Reg, 1
		}
		return m
	}

	TESTQ(kReg, kReg)
	JEQ(LabelRef("next"))
	Label("loop")
	VMOVDQU32(Mem{Base: bReg}, z[bVec[0]])
	VMOVDQU32(Mem{Base: bReg, Disp: 64}, z[bVec[1]])
	// Each row's pair is broadcast once into a register (Z26–Z31 in turn): two embedded
	// broadcasts would load it twice, and on Zen 5 the loads then bound the step.
	for i := 0; i < r; i++ {
		t := 26 + i%6
		VPBROADCASTD(aMem(i), z[t])
		for h := 0; h < 2; h++ {
			emit(vdpbf16ps(2*i+h, bVec[h], t))
		}
	}
	for g := 0; g < nb; g++ {
		ADDQ(Imm(4), aBase[g])
	}
	ADDQ(Imm(128), bReg)
	DECQ(kReg)
	JNE(LabelRef("loop"))
	Label("next")
	if conv {
		ADDQ(Imm(8), offsReg)
		DECQ(tapsReg)
		JNE(LabelRef("tap"))
	}

	Label("store")
	Load(Param("acc"), tmp.As8())
	TESTB(tmp.As8(), tmp.As8())
	JEQ(LabelRef("write"))
	MOVQ(cReg, tmp)
	for i := 0; i < r; i++ {
		for h := 0; h < 2; h++ {
			t := z[26+h]
			VMOVUPS_Z(Mem{Base: tmp, Disp: 64 * h}, masks[h], t)
			VADDPS(z[2*i+h], t, z[2*i+h])
		}
		if i < r-1 {
			ADDQ(ldcReg, tmp)
		}
	}
	Label("write")
	for i := 0; i < r; i++ {
		for h := 0; h < 2; h++ {
			VMOVUPS(z[2*i+h], masks[h], Mem{Base: cReg, Disp: 64 * h})
		}
		if i < r-1 {
			ADDQ(ldcReg, cReg)
		}
	}
	VZEROUPPER()
	RET()
}

func convertRow() {
	TEXT("cvtBF16Row", NOSPLIT, "func(n int, src *float32, dst *uint16)")
	Pragma("noescape")
	Doc("cvtBF16Row sets dst[0:2⌈n/2⌉] to src[0:n] rounded to bf16 (VCVTNE2PS2BF16),",
		"with a zero after the last element when n is odd.")
	n, src, dst := reg.RCX, reg.RSI, reg.RDI
	Load(Param("n"), n)
	Load(Param("src"), src)
	Load(Param("dst"), dst)
	lo, hi, out := 0, 1, 2
	CMPQ(n, Imm(32))
	JLT(LabelRef("tail"))
	Label("loop")
	VMOVUPS(Mem{Base: src}, z[lo])
	VMOVUPS(Mem{Base: src, Disp: 64}, z[hi])
	emit(vcvtne2ps2bf16(out, hi, lo))
	VMOVDQU32(z[out], Mem{Base: dst})
	ADDQ(Imm(128), src)
	ADDQ(Imm(64), dst)
	SUBQ(Imm(32), n)
	CMPQ(n, Imm(32))
	JGE(LabelRef("loop"))

	Label("tail")
	TESTQ(n, n)
	JEQ(LabelRef("done"))
	Comment("n < 32 floats left: load them (zeros past n) under masks, store ⌈n/2⌉ pairs.")
	m, one := reg.RAX, reg.RDX
	MOVL(U32(1), one.As32())
	SHLXQ(n, one, m) // 1 << n
	DECQ(m)
	KMOVW(m.As32(), reg.K1)
	SHRQ(Imm(16), m)
	KMOVW(m.As32(), reg.K2)
	VMOVUPS_Z(Mem{Base: src}, reg.K1, z[lo])
	VMOVUPS_Z(Mem{Base: src, Disp: 64}, reg.K2, z[hi])
	emit(vcvtne2ps2bf16(out, hi, lo))
	Comment("Words to store: n rounded up to even.")
	INCQ(n)
	ANDQ(I8(-2), n)
	SHLXQ(n, one, m)
	DECQ(m)
	KMOVD(m.As32(), reg.K3)
	VMOVDQU16(z[out], reg.K3, Mem{Base: dst})
	Label("done")
	VZEROUPPER()
	RET()
}

func wideKernel(r int) {
	name := fmt.Sprintf("gemmBF16_%dx128", r)
	TEXT(name, NOSPLIT, "func(kp int, a *uint16, lda int, b *uint16, c *float32, ldc int, acc bool, mask uint32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets %d rows of C (the 96 columns of three packed panels and the", name, r),
		"masked columns of a fourth) to the product of the bf16 pairs of A (row stride lda",
		"pairs) and kp pairs of four consecutive packed panels of B, plus C's old value",
		"when acc. ldc is in elements.")
	var (
		k, a, lda, b, ps, ps3, c, ldc, t = reg.RCX, reg.RAX, reg.RDX, reg.RSI, reg.RBX, reg.R8, reg.RDI, reg.R10, reg.R11
	)
	Load(Param("kp"), k)
	Load(Param("lda"), lda)
	Load(Param("ldc"), ldc)
	SHLQ(Imm(2), lda)
	SHLQ(Imm(2), ldc)
	Comment("Panel stride kp·128 bytes, and three of them.")
	MOVQ(k, ps)
	SHLQ(Imm(7), ps)
	LEAQ(Mem{Base: ps, Index: ps, Scale: 2}, ps3)
	Load(Param("mask"), t.As32())
	KMOVW(t.As32(), reg.K1)
	SHRL(Imm(16), t.As32())
	KMOVW(t.As32(), reg.K2)
	masks := [2]reg.OpmaskPhysical{reg.K1, reg.K2}
	nv := 2 * widePanels // vectors per row
	// acc(i, v) is the accumulator of row i, vector v (panel v/2, half v%2).
	acc := func(i, v int) int { return nv*i + v }
	aVec := func(i int) int { return 24 + i }
	bMem := func(v int) Mem {
		m := Mem{Base: b, Disp: 64 * (v % 2)}
		switch v / 2 {
		case 1:
			m.Index, m.Scale = ps, 1
		case 2:
			m.Index, m.Scale = ps, 2
		case 3:
			m.Index, m.Scale = ps3, 1
		}
		return m
	}
	cMem := func(base reg.Register, v int) Mem {
		return Mem{Base: base, Disp: 64 * v}
	}

	Comment("C tile: prefetch it and start from zero.")
	Load(Param("c"), c)
	MOVQ(c, t)
	for i := 0; i < r; i++ {
		for off := 0; off < 512; off += 64 {
			PREFETCHT0(Mem{Base: t, Disp: off})
		}
		if i < r-1 {
			ADDQ(ldc, t)
		}
	}
	for i := 0; i < nv*r; i++ {
		VPXORD(z[i], z[i], z[i])
	}
	Load(Param("a"), a)
	Load(Param("b"), b)
	aMem := func(i int) Mem {
		if i == 0 {
			return Mem{Base: a}
		}
		return Mem{Base: a, Index: lda, Scale: uint8(i)}
	}

	TESTQ(k, k)
	JEQ(LabelRef("store"))
	Label("loop")
	for i := 0; i < r; i++ {
		VPBROADCASTD(aMem(i), z[aVec(i)])
	}
	for v := 0; v < nv; v++ {
		bv := 28 + v%4
		VMOVDQU32(bMem(v), z[bv])
		for i := 0; i < r; i++ {
			emit(vdpbf16ps(acc(i, v), aVec(i), bv))
		}
	}
	ADDQ(Imm(4), a)
	ADDQ(Imm(128), b)
	DECQ(k)
	JNE(LabelRef("loop"))

	Label("store")
	Load(Param("acc"), t.As8())
	TESTB(t.As8(), t.As8())
	JEQ(LabelRef("write"))
	MOVQ(c, t)
	for i := 0; i < r; i++ {
		for v := 0; v < nv; v++ {
			tv := z[28+v%4]
			if v/2 == widePanels-1 {
				VMOVUPS_Z(cMem(t, v), masks[v%2], tv)
			} else {
				VMOVUPS(cMem(t, v), tv)
			}
			VADDPS(z[acc(i, v)], tv, z[acc(i, v)])
		}
		if i < r-1 {
			ADDQ(ldc, t)
		}
	}
	Label("write")
	for i := 0; i < r; i++ {
		for v := 0; v < nv; v++ {
			if v/2 == widePanels-1 {
				VMOVUPS(z[acc(i, v)], masks[v%2], cMem(c, v))
			} else {
				VMOVUPS(z[acc(i, v)], cMem(c, v))
			}
		}
		if i < r-1 {
			ADDQ(ldc, c)
		}
	}
	VZEROUPPER()
	RET()
}
