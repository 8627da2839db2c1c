// Package mem holds the addressing and loop helpers the kernel generators in asm/ share.
package mem

import (
	"github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Param returns the stack address of a parameter of the function being built, for memory
// operands (broadcasts, adds from the frame).
func Param(name string) operand.Mem {
	b, err := build.Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// Arg loads the integer or pointer parameter name of the function being built into a new
// register.
func Arg(name string) reg.GPVirtual {
	r := build.GP64()
	build.Load(build.Param(name), r)
	return r
}

// Strides holds a pixel stride s and its multiples 3s, 5s, 7s (bytes) in registers: with
// the scales 1, 2, 4, 8 they address pixels 0…8 from a base (Pixels, At).
type Strides [4]reg.GPVirtual

// PixelStrides derives the strides the first p pixels need from s (nil when p is 1).
func PixelStrides(p int, s reg.GPVirtual) Strides {
	var st Strides
	if p > 1 {
		st[0] = s
	}
	if p > 3 {
		st[1] = build.GP64()
		build.LEAQ(operand.Mem{Base: st[0], Index: st[0], Scale: 2}, st[1])
	}
	if p > 5 {
		st[2] = build.GP64()
		build.LEAQ(operand.Mem{Base: st[0], Index: st[0], Scale: 4}, st[2])
	}
	if p > 7 {
		st[3] = build.GP64()
		build.LEAQ(operand.Mem{Base: st[1], Index: st[0], Scale: 4}, st[3])
	}
	return st
}

// Pixels returns the addresses of pixels 0…p-1 (p ≤ 8) one stride apart from base.
func (st Strides) Pixels(p int, base reg.GPVirtual) []operand.Mem {
	m := make([]operand.Mem, p)
	for i := range m {
		m[i] = st.At(base, i)
	}
	return m
}

// At returns the address of pixel k (0 ≤ k ≤ 8) from base; pixels 3, 5, 6, 7 need the
// strides of PixelStrides(k+1, …).
func (st Strides) At(base reg.GPVirtual, k int) operand.Mem {
	switch k {
	case 0:
		return operand.Mem{Base: base}
	case 1, 2, 4, 8:
		return operand.Mem{Base: base, Index: st[0], Scale: uint8(k)}
	case 3:
		return operand.Mem{Base: base, Index: st[1], Scale: 1}
	case 5:
		return operand.Mem{Base: base, Index: st[2], Scale: 1}
	case 6:
		return operand.Mem{Base: base, Index: st[1], Scale: 2}
	case 7:
		return operand.Mem{Base: base, Index: st[3], Scale: 1}
	}
	panic("mem.Strides.At: pixel out of range")
}

// MaskedBlocks emits a loop over the cnt units (bytes or elements) left, step a time, for
// AVX-512 kernels whose last block is masked: body runs on every full block and, after
// setTail has set the tail's masks, on the last partial one, cnt going down by step each
// time; the loop then jumps to the label "done", which the caller emits.
func MaskedBlocks(cnt reg.GPVirtual, step uint32, setTail, body func()) {
	build.Label("block")
	build.CMPQ(cnt, operand.U32(step))
	build.JGE(operand.LabelRef("full"))
	build.TESTQ(cnt, cnt)
	build.JLE(operand.LabelRef("done"))
	setTail()
	build.Label("full")
	body()
	build.SUBQ(operand.U32(step), cnt)
	build.JMP(operand.LabelRef("block"))
}
