package mem

import (
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Columns returns the columns of a cols-wide row covered by full vectors of lanes floats
// and, for AVX-512, the mask of the cols mod 16 columns past them.
func Columns(cols reg.GPVirtual, lanes int, avx512 bool) (full reg.GPVirtual, tail reg.OpmaskVirtual) {
	full = build.GP64()
	build.MOVQ(cols, full)
	build.ANDQ(operand.I32(-lanes), full)
	if avx512 {
		t := build.GP64()
		build.MOVQ(cols, t)
		build.ANDQ(operand.Imm(15), t)
		m := build.GP64()
		build.MOVQ(operand.U64(1), m)
		build.SHLXQ(t, m, m)
		build.DECQ(m)
		tail = build.K()
		build.KMOVW(m.As32(), tail)
	}
	return full, tail
}

// ColumnLoop emits one row's loop over its columns (labels prefixed by prefix): body on the
// vector at column j of each full vector, then, for AVX-512, on the masked tail past them
// when there is one; it falls through to what follows.
func ColumnLoop(prefix string, j, full, cols reg.GPVirtual, lanes int, avx512 bool, body func(masked bool)) {
	build.XORQ(j, j)
	build.CMPQ(j, full)
	build.JGE(operand.LabelRef(prefix + "tail"))
	build.Label(prefix + "col")
	body(false)
	build.ADDQ(operand.Imm(uint64(lanes)), j)
	build.CMPQ(j, full)
	build.JLT(operand.LabelRef(prefix + "col"))
	build.Label(prefix + "tail")
	if avx512 {
		build.CMPQ(j, cols)
		build.JGE(operand.LabelRef(prefix + "end"))
		body(true)
		build.Label(prefix + "end")
	}
}
