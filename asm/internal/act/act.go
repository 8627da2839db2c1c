// Package act emits the steps of runtime's clamp-form activation (Epilogue.clampForm) that
// the epilogue generators in asm/ share, in the twin's order (epilogueClampGeneric):
//
//	v = v > 0 ? v : slope·v   (Leaky)
//	v = min(max(v, lo), hi)   (Clamp; NaN stays NaN)
package act

import (
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Leaky sets v to v > 0 ? v : slope·v (NaN: slope·NaN, a NaN), with t a scratch vector and
// zero a vector of zeros; slope is a register or a memory vector.
func Leaky(v, t, zero reg.VecVirtual, slope operand.Op, avx512 bool) {
	build.VMULPS(slope, v, t)
	if avx512 {
		k := build.K()
		build.VCMPPS(operand.Imm(0x1e), zero, v, k) // k = v > 0 (GT_OQ: false for NaN)
		build.VBLENDMPS(v, t, k, v)                 // v = k ? v : slope·v
		return
	}
	m := build.YMM()
	build.VCMPPS(operand.Imm(0x1e), zero, v, m)
	build.VBLENDVPS(m, v, t, v)
}

// Clamp sets v to min(max(v, lo), hi); max and min return their second source (v here)
// when either is NaN, so NaN stays NaN.
func Clamp(v, lo, hi reg.VecVirtual) {
	Floor(v, lo)
	Ceil(v, hi)
}

// Floor sets v to max(v, lo), NaN kept (Clamp's first half).
func Floor(v, lo reg.VecVirtual) { build.VMAXPS(v, lo, v) }

// Ceil sets v to min(v, hi), NaN kept (Clamp's second half).
func Ceil(v, hi reg.VecVirtual) { build.VMINPS(v, hi, v) }
