// Command epilogue generates kerasgen's amd64 epilogue kernels (Plan9
// assembly) with avo: the bias, piecewise-linear activation and residual
// add that a producing kernel applies to its output tiles. Regenerate with
//
//	cd asm && go run ./epilogue -out ../runtime/epilogue_amd64.s -stubs ../runtime/epilogue_stubs_amd64.go
//
// Each kernel rewrites a rows×cols block of C (row stride ldc elements),
// element by element, as runtime/epilogue.go's clamp form does:
//
//	v = C[i, j] + bias[j]                 (bias nil: no bias)
//	v = v + res[i, j]                     (res non-nil and !resAfter)
//	v = v > 0 ? v : slope·v               (leaky slope; 1 for none)
//	v = min(max(v, lo), hi)               (NaN stays NaN)
//	v = v + res[i, j]                     (res non-nil and resAfter)
//
// res has row stride ldr. In float32, in that order, so the results are
// bit-identical to the Go twin.
//
//   - epilogueAVX512: 16 columns per ZMM, the last partial vector masked:
//     every column.
//   - epilogueAVX2: 8 columns per YMM, full vectors only: the Go driver does
//     the cols mod 8 columns on the right.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/kerasgen/kerasgen/asm/internal/act"
	"github.com/kerasgen/kerasgen/asm/internal/mem"
	"github.com/kerasgen/kerasgen/asm/internal/setup"
)

func main() {
	setup.Runtime()
	kernel(false)
	kernel(true)
	Generate()
}

const sig = "func(rows, cols int, c *float32, ldc int, bias *float32, res *float32, ldr int, slope, lo, hi float32, resAfter bool)"

func kernel(avx512 bool) {
	name, lanes := "epilogueAVX2", 8
	if avx512 {
		name, lanes = "epilogueAVX512", 16
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	if avx512 {
		Doc(name+" applies bias, residual and clamp-form activation to a rows×cols block of C,",
			"16 columns per vector, the last partial vector masked.")
	} else {
		Doc(name+" applies bias, residual and clamp-form activation to the first cols&^7",
			"columns of a rows×cols block of C, 8 columns per vector.")
	}
	ld := func(name string) reg.GPVirtual {
		r := GP64()
		Load(Param(name), r)
		return r
	}
	rows, cols, c, ldc := ld("rows"), ld("cols"), ld("c"), ld("ldc")
	bias, res, ldr := ld("bias"), ld("res"), ld("ldr")
	SHLQ(Imm(2), ldc)
	SHLQ(Imm(2), ldr)
	after := GP8()
	Load(Param("resAfter"), after)

	vec := func() reg.VecVirtual {
		if avx512 {
			return ZMM()
		}
		return YMM()
	}
	bcast := func(p string) reg.VecVirtual {
		v := vec()
		VBROADCASTSS(mem.Param(p), v)
		return v
	}
	slope, lo, hi := bcast("slope"), bcast("lo"), bcast("hi")
	zero := vec()
	if avx512 {
		VPXORD(zero, zero, zero)
	} else {
		VXORPS(zero, zero, zero)
	}

	full := GP64() // columns covered by full vectors
	MOVQ(cols, full)
	ANDQ(I32(-lanes), full)
	var tail reg.OpmaskVirtual
	if avx512 {
		// Mask of the cols mod 16 columns past the full vectors.
		t := GP64()
		MOVQ(cols, t)
		ANDQ(Imm(15), t)
		m := GP64()
		MOVQ(U64(1), m)
		SHLXQ(t, m, m)
		DECQ(m)
		tail = K()
		KMOVW(m.As32(), tail)
	}

	j := GP64()
	// body rewrites the vector of C at column j (masked when m is set).
	body := func(suffix string, masked bool) {
		mem := func(base reg.GPVirtual) Mem { return Mem{Base: base, Index: j, Scale: 4} }
		load := func(base reg.GPVirtual, v reg.VecVirtual) {
			if masked {
				VMOVUPS_Z(mem(base), tail, v)
			} else {
				VMOVUPS(mem(base), v)
			}
		}
		v, t := vec(), vec()
		load(c, v)
		TESTQ(bias, bias)
		JEQ(LabelRef("nobias" + suffix))
		load(bias, t)
		VADDPS(t, v, v)
		Label("nobias" + suffix)
		TESTQ(res, res)
		JEQ(LabelRef("nores" + suffix))
		TESTB(after, after)
		JNE(LabelRef("nores" + suffix))
		load(res, t)
		VADDPS(t, v, v)
		Label("nores" + suffix)
		act.Leaky(v, t, zero, slope, avx512)
		act.Clamp(v, lo, hi)
		TESTQ(res, res)
		JEQ(LabelRef("store" + suffix))
		TESTB(after, after)
		JEQ(LabelRef("store" + suffix))
		load(res, t)
		VADDPS(t, v, v)
		Label("store" + suffix)
		if masked {
			VMOVUPS(v, tail, mem(c))
		} else {
			VMOVUPS(v, mem(c))
		}
	}

	TESTQ(rows, rows)
	JLE(LabelRef("done"))
	Label("row")
	XORQ(j, j)
	CMPQ(j, full)
	JGE(LabelRef("tail"))
	Label("col")
	body("", false)
	ADDQ(Imm(uint64(lanes)), j)
	CMPQ(j, full)
	JLT(LabelRef("col"))
	Label("tail")
	if avx512 {
		CMPQ(j, cols)
		JGE(LabelRef("next"))
		body("_tail", true)
		Label("next")
	}
	ADDQ(ldc, c)
	TESTQ(res, res)
	JEQ(LabelRef("nextrow"))
	ADDQ(ldr, res)
	Label("nextrow")
	DECQ(rows)
	JNE(LabelRef("row"))
	Label("done")
	VZEROUPPER()
	RET()
}
