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
//
// addRowsAVX512 and addRowsAVX2 set a rows×cols block D to X + Y, or X − Y
// when sub (each with its own row stride), the same way: every column, and
// the first cols&^7.
//
// affineRowsAVX512 and affineRowsAVX2 set each of rows contiguous rows of cols values to
// y = x·scale + shift with a per-column scale and shift (a batch normalization after an
// activation), the product rounded before the add as runtime.Affine's Go loop does: every
// column, and the first cols&^7.
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
	addRows(false)
	addRows(true)
	affineRows(false)
	affineRows(true)
	Generate()
}

const sig = "func(rows, cols int, c *float32, ldc int, bias *float32, res *float32, ldr int, slope, lo, hi float32, resAfter bool)"

func kernel(avx512 bool) {
	name, lanes := level("epilogue", avx512)
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	if avx512 {
		Doc(name+" applies bias, residual and clamp-form activation to a rows×cols block of C,",
			"16 columns per vector, the last partial vector masked.")
	} else {
		Doc(name+" applies bias, residual and clamp-form activation to the first cols&^7",
			"columns of a rows×cols block of C, 8 columns per vector.")
	}
	rows, cols, c, ldc := mem.Arg("rows"), mem.Arg("cols"), mem.Arg("c"), mem.Arg("ldc")
	bias, res, ldr := mem.Arg("bias"), mem.Arg("res"), mem.Arg("ldr")
	SHLQ(Imm(2), ldc)
	SHLQ(Imm(2), ldr)
	after := GP8()
	Load(Param("resAfter"), after)

	vec := func() reg.VecVirtual { return vector(avx512) }
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

	full, tail := mem.Columns(cols, lanes, avx512)

	j := GP64()
	// body rewrites the vector of C at column j (masked when m is set).
	body := func(suffix string, masked bool) {
		col := column{j, tail, masked}
		v, t := vec(), vec()
		col.load(c, v)
		TESTQ(bias, bias)
		JEQ(LabelRef("nobias" + suffix))
		col.load(bias, t)
		VADDPS(t, v, v)
		Label("nobias" + suffix)
		TESTQ(res, res)
		JEQ(LabelRef("nores" + suffix))
		TESTB(after, after)
		JNE(LabelRef("nores" + suffix))
		col.load(res, t)
		VADDPS(t, v, v)
		Label("nores" + suffix)
		act.Leaky(v, t, zero, slope, avx512)
		act.Clamp(v, lo, hi)
		TESTQ(res, res)
		JEQ(LabelRef("store" + suffix))
		TESTB(after, after)
		JEQ(LabelRef("store" + suffix))
		col.load(res, t)
		VADDPS(t, v, v)
		Label("store" + suffix)
		col.store(v, c)
	}

	TESTQ(rows, rows)
	JLE(LabelRef("done"))
	Label("row")
	mem.ColumnLoop("", j, full, cols, lanes, avx512, func(masked bool) {
		if masked {
			body("_tail", true)
		} else {
			body("", false)
		}
	})
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

// addRows emits addRowsAVX2 or addRowsAVX512: D = X ± Y on a rows×cols block.
func addRows(avx512 bool) {
	name, lanes := level("addRows", avx512)
	TEXT(name, NOSPLIT, "func(rows, cols int, d *float32, ldd int, x *float32, ldx int, y *float32, ldy int, sub bool)")
	Pragma("noescape")
	if avx512 {
		Doc(name+" sets a rows×cols block D to X + Y, or X − Y when sub, 16 columns per",
			"vector, the last partial vector masked.")
	} else {
		Doc(name+" sets the first cols&^7 columns of a rows×cols block D to X + Y, or X − Y",
			"when sub, 8 columns per vector.")
	}
	rows, cols := mem.Arg("rows"), mem.Arg("cols")
	d, ldd, x, ldx, y, ldy := mem.Arg("d"), mem.Arg("ldd"), mem.Arg("x"), mem.Arg("ldx"), mem.Arg("y"), mem.Arg("ldy")
	for _, r := range []reg.GPVirtual{ldd, ldx, ldy} {
		SHLQ(Imm(2), r)
	}
	sub := GP8()
	Load(Param("sub"), sub)
	full, tail := mem.Columns(cols, lanes, avx512)
	j := GP64()
	// body writes the vector of D at column j, through the tail mask when masked; the
	// row's add or subtract loop is chosen once per row (op).
	body := func(op string, masked bool) {
		col := column{j, tail, masked}
		v, w := vector(avx512), vector(avx512)
		col.load(x, v)
		col.load(y, w)
		if op == "sub" {
			VSUBPS(w, v, v)
		} else {
			VADDPS(w, v, v)
		}
		col.store(v, d)
	}
	TESTQ(rows, rows)
	JLE(LabelRef("done"))
	Label("row")
	TESTB(sub, sub)
	JNE(LabelRef("subrow"))
	for _, op := range []string{"add", "sub"} {
		Label(op + "row")
		mem.ColumnLoop(op, j, full, cols, lanes, avx512, func(masked bool) { body(op, masked) })
		JMP(LabelRef("next"))
	}
	Label("next")
	ADDQ(ldd, d)
	ADDQ(ldx, x)
	ADDQ(ldy, y)
	DECQ(rows)
	JNE(LabelRef("row"))
	Label("done")
	VZEROUPPER()
	RET()
}

func affineRows(avx512 bool) {
	name, lanes := level("affineRows", avx512)
	TEXT(name, NOSPLIT, "func(rows, cols int, y *float32, x *float32, scale *float32, shift *float32)")
	Pragma("noescape")
	if avx512 {
		Doc(name+" sets each of rows contiguous rows of cols values to y = x·scale + shift (per",
			"column, the product rounded first), 16 columns per vector, the last partial vector masked.")
	} else {
		Doc(name+" sets the first cols&^7 columns of each of rows rows of cols values to",
			"y = x·scale + shift (per column, the product rounded first), 8 columns per vector.")
	}
	rows, cols := mem.Arg("rows"), mem.Arg("cols")
	y, x, scale, shift := mem.Arg("y"), mem.Arg("x"), mem.Arg("scale"), mem.Arg("shift")
	ld := GP64() // a row's bytes
	MOVQ(cols, ld)
	SHLQ(Imm(2), ld)
	full, tail := mem.Columns(cols, lanes, avx512)
	j := GP64()
	body := func(masked bool) {
		col := column{j, tail, masked}
		v, w := vector(avx512), vector(avx512)
		col.load(x, v)
		col.load(scale, w)
		VMULPS(w, v, v)
		col.load(shift, w)
		VADDPS(w, v, v)
		col.store(v, y)
	}
	TESTQ(rows, rows)
	JLE(LabelRef("done"))
	Label("row")
	mem.ColumnLoop("affine", j, full, cols, lanes, avx512, body)
	ADDQ(ld, y)
	ADDQ(ld, x)
	DECQ(rows)
	JNE(LabelRef("row"))
	Label("done")
	VZEROUPPER()
	RET()
}

// level returns the name of kernel base at a CPU level (base + "AVX512" or base + "AVX2")
// and its float32 lanes a vector (16 or 8).
func level(base string, avx512 bool) (string, int) {
	if avx512 {
		return base + "AVX512", 16
	}
	return base + "AVX2", 8
}

// vector allocates a ZMM register for AVX-512, else a YMM one.
func vector(avx512 bool) reg.VecVirtual {
	if avx512 {
		return ZMM()
	}
	return YMM()
}

// column is a kernel's access to the vector at column j of a row: loads and stores through
// the tail mask when masked.
type column struct {
	j      reg.GPVirtual
	tail   reg.OpmaskVirtual
	masked bool
}

// load loads the vector at column j from base into v (the lanes past the mask zeroed).
func (col column) load(base reg.GPVirtual, v reg.VecVirtual) {
	m := Mem{Base: base, Index: col.j, Scale: 4}
	if col.masked {
		VMOVUPS_Z(m, col.tail, v)
	} else {
		VMOVUPS(m, v)
	}
}

// store stores v at column j from base (the lanes under the mask only).
func (col column) store(v reg.VecVirtual, base reg.GPVirtual) {
	m := Mem{Base: base, Index: col.j, Scale: 4}
	if col.masked {
		VMOVUPS(v, col.tail, m)
	} else {
		VMOVUPS(v, m)
	}
}
