// Command convwinograd generates the transforms of kerasgen's Winograd convolution
// (runtime/conv_winograd.go, F(2×2, 3×3)) for amd64 with avo. Regenerate with
//
//	cd asm && go run ./convwinograd -out ../runtime/convwinograd_amd64.s -stubs ../runtime/convwinograd_stubs_amd64.go
//
// Both are additions and subtractions vectorized across channels, the channel vectors in the
// outer loop and a tile row's tiles in the inner one, each value computed by the operations
// of the Go twins (winogradInGo, winogradOutGo) in their order, so the bits are the same:
//
//   - winogradIn: V = Bᵀ d B for each 4×4 input patch d: u = d B row by row
//     (u0 = x0 − x2, u1 = x1 + x2, u2 = x2 − x1, u3 = x1 − x3), then the same on u's columns.
//   - winogradOut: Y = Aᵀ M A for each 4×4 M: s = Aᵀ M column by column
//     (s0 = (m0 + m1) + m2, s1 = (m1 − m2) − m3), then the same on s's rows; then the
//     clamp-form epilogue (bias, residual, leaky slope, clamp) in epilogueClampGeneric's order.
//
// The AVX-512 kernels do every channel, the last partial vector masked; the AVX2 ones the
// first c&^7, the Go driver the rest.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/kerasgen/kerasgen/asm/internal/act"
	"github.com/kerasgen/kerasgen/asm/internal/mem"
	"github.com/kerasgen/kerasgen/asm/internal/setup"
)

func main() {
	setup.Runtime()
	for _, avx512 := range []bool{false, true} {
		input(avx512)
		output(avx512)
	}
	Generate()
}

// level is one vector width's loads, stores and channel loop.
type level struct {
	avx512 bool
	lanes  int
	tail   reg.OpmaskVirtual
}

func (l *level) vec() reg.VecVirtual {
	if l.avx512 {
		return ZMM()
	}
	return YMM()
}

func (l *level) load(m Mem, v reg.VecVirtual, masked bool) {
	if masked {
		VMOVUPS_Z(m, l.tail, v)
	} else {
		VMOVUPS(m, v)
	}
}

func (l *level) store(v reg.VecVirtual, m Mem, masked bool) {
	if masked {
		VMOVUPS(v, l.tail, m)
	} else {
		VMOVUPS(v, m)
	}
}

// channels emits the loop over the channel vectors of c channels: body with j the vector's
// first channel, on every full vector, then (AVX-512) on the masked tail (mem.ColumnLoop).
func (l *level) channels(c reg.GPVirtual, body func(j reg.GPVirtual, masked bool)) {
	full, tail := mem.Columns(c, l.lanes, l.avx512)
	l.tail = tail
	j := GP64()
	mem.ColumnLoop("", j, full, c, l.lanes, l.avx512, func(masked bool) { body(j, masked) })
	VZEROUPPER()
	RET()
}

func newLevel(avx512 bool) *level {
	if avx512 {
		return &level{avx512: true, lanes: 16}
	}
	return &level{lanes: 8}
}

func suffix(avx512 bool) string {
	if avx512 {
		return "AVX512"
	}
	return "AVX2"
}

// scaled loads parameter name (elements) as bytes.
func scaled(name string) reg.GPVirtual {
	r := mem.Arg(name)
	SHLQ(Imm(2), r)
	return r
}

// colAt sets r to base plus q times the stride s (q 0…3).
func colAt(r, base, s reg.GPVirtual, q int) {
	switch q {
	case 0:
		MOVQ(base, r)
	case 1:
		LEAQ(Mem{Base: base, Index: s, Scale: 1}, r)
	case 2:
		LEAQ(Mem{Base: base, Index: s, Scale: 2}, r)
	case 3:
		LEAQ(Mem{Base: base, Index: s, Scale: 2}, r)
		ADDQ(s, r)
	}
}

// inCols are u's columns as (a, b, sub): u_q = x_a − x_b, or x_a + x_b.
var inCols = [4]struct {
	a, b int
	sub  bool
}{{0, 2, true}, {1, 2, false}, {2, 1, true}, {1, 3, true}}

func input(avx512 bool) {
	name := "winogradIn" + suffix(avx512)
	TEXT(name, NOSPLIT, "func(d *float32, ldr, tiles, c int, v *float32, ldv int)")
	Pragma("noescape")
	if avx512 {
		Doc(name+" writes V = Bᵀ d B for tiles tiles of a tile row (runtime.winogradIn),",
			"16 channels per vector, the last partial vector masked.")
	} else {
		Doc(name+" writes V = Bᵀ d B for tiles tiles of a tile row (runtime.winogradIn),",
			"for the first c&^7 channels, 8 per vector.")
	}
	l := newLevel(avx512)
	c, ldr, ldv := mem.Arg("c"), scaled("ldr"), scaled("ldv")
	cB := GP64()
	MOVQ(c, cB)
	SHLQ(Imm(2), cB)
	ldr3 := GP64()
	LEAQ(Mem{Base: ldr, Index: ldr, Scale: 2}, ldr3)
	ldv4 := GP64()
	LEAQ(Mem{Base: ldv, Index: ldv, Scale: 2}, ldv4) // 3·ldv
	ADDQ(ldv, ldv4)
	l.channels(c, func(j reg.GPVirtual, masked bool) {
		sfx := ""
		if masked {
			sfx = "_tail"
		}
		rp, vb, t := mem.Arg("d"), mem.Arg("v"), mem.Arg("tiles")
		LEAQ(Mem{Base: rp, Index: j, Scale: 4}, rp)
		LEAQ(Mem{Base: vb, Index: j, Scale: 4}, vb)
		ca, cb := GP64(), GP64()
		Label("tile" + sfx)
		for q, col := range inCols {
			colAt(ca, rp, cB, col.a)
			colAt(cb, rp, cB, col.b)
			rows := func(base reg.GPVirtual) []Mem {
				return []Mem{{Base: base}, {Base: base, Index: ldr, Scale: 1}, {Base: base, Index: ldr, Scale: 2}, {Base: base, Index: ldr3, Scale: 1}}
			}
			var u [4]reg.VecVirtual
			for r, m := range rows(ca) {
				u[r] = l.vec()
				l.load(m, u[r], masked)
				x := l.vec()
				l.load(rows(cb)[r], x, masked)
				if col.sub {
					VSUBPS(x, u[r], u[r])
				} else {
					VADDPS(x, u[r], u[r])
				}
			}
			var out [4]reg.VecVirtual
			for i := range out {
				out[i] = l.vec()
			}
			VSUBPS(u[2], u[0], out[0]) // u0 − u2
			VADDPS(u[2], u[1], out[1]) // u1 + u2
			VSUBPS(u[1], u[2], out[2]) // u2 − u1
			VSUBPS(u[3], u[1], out[3]) // u1 − u3
			// V_{4i+q}: planes q, 4+q, 8+q, 12+q, 4·ldv bytes apart.
			colAt(ca, vb, ldv, q)
			l.store(out[0], Mem{Base: ca}, masked)
			l.store(out[1], Mem{Base: ca, Index: ldv4, Scale: 1}, masked)
			l.store(out[2], Mem{Base: ca, Index: ldv4, Scale: 2}, masked)
			LEAQ(Mem{Base: ca, Index: ldv4, Scale: 2}, ca)
			l.store(out[3], Mem{Base: ca, Index: ldv4, Scale: 1}, masked)
		}
		LEAQ(Mem{Base: rp, Index: cB, Scale: 2}, rp) // the next tile: two pixels on
		ADDQ(cB, vb)
		DECQ(t)
		JNE(LabelRef("tile" + sfx))
	})
}

func output(avx512 bool) {
	name := "winogradOut" + suffix(avx512)
	TEXT(name, NOSPLIT, "func(m *float32, ldm, tiles, c int, y0, y1 *float32, bias, r0, r1 *float32, slope, lo, hi float32, resAfter bool)")
	Pragma("noescape")
	if avx512 {
		Doc(name+" writes Y = Aᵀ M A for tiles tiles of a tile row (runtime.winogradOut) and",
			"applies the clamp-form epilogue to it, 16 channels per vector, the last partial vector",
			"masked.")
	} else {
		Doc(name+" writes Y = Aᵀ M A for tiles tiles of a tile row (runtime.winogradOut) and",
			"applies the clamp-form epilogue to it, for the first c&^7 channels, 8 per vector.")
	}
	l := newLevel(avx512)
	c, ldm := mem.Arg("c"), scaled("ldm")
	cB := GP64()
	MOVQ(c, cB)
	SHLQ(Imm(2), cB)
	ldm4 := GP64()
	LEAQ(Mem{Base: ldm, Index: ldm, Scale: 2}, ldm4) // 3·ldm
	ADDQ(ldm, ldm4)
	lo, hi := l.vec(), l.vec()
	VBROADCASTSS(mem.Param("lo"), lo)
	VBROADCASTSS(mem.Param("hi"), hi)
	l.channels(c, func(j reg.GPVirtual, masked bool) {
		sfx := ""
		if masked {
			sfx = "_tail"
		}
		mb, p0, p1, t := mem.Arg("m"), mem.Arg("y0"), mem.Arg("y1"), mem.Arg("tiles")
		b, q0, q1 := mem.Arg("bias"), mem.Arg("r0"), mem.Arg("r1")
		for _, r := range []reg.GPVirtual{mb, p0, p1, b, q0, q1} {
			LEAQ(Mem{Base: r, Index: j, Scale: 4}, r) // bias and the residual rows only read when their parameter is not nil
		}
		pq := GP64()
		Label("tile" + sfx)
		var s [2][4]reg.VecVirtual
		for q := 0; q < 4; q++ {
			colAt(pq, mb, ldm, q)
			var mv [4]reg.VecVirtual
			for i := range mv {
				mv[i] = l.vec()
			}
			l.load(Mem{Base: pq}, mv[0], masked)
			l.load(Mem{Base: pq, Index: ldm4, Scale: 1}, mv[1], masked)
			l.load(Mem{Base: pq, Index: ldm4, Scale: 2}, mv[2], masked)
			LEAQ(Mem{Base: pq, Index: ldm4, Scale: 2}, pq)
			l.load(Mem{Base: pq, Index: ldm4, Scale: 1}, mv[3], masked)
			s[0][q], s[1][q] = l.vec(), l.vec()
			VADDPS(mv[1], mv[0], s[0][q]) // (m0 + m1) + m2
			VADDPS(mv[2], s[0][q], s[0][q])
			VSUBPS(mv[2], mv[1], s[1][q]) // (m1 − m2) − m3
			VSUBPS(mv[3], s[1][q], s[1][q])
		}
		for a, p := range []reg.GPVirtual{p0, p1} {
			res := []reg.GPVirtual{q0, q1}[a]
			y := [2]reg.VecVirtual{l.vec(), l.vec()}
			VADDPS(s[a][1], s[a][0], y[0]) // (s0 + s1) + s2
			VADDPS(s[a][2], y[0], y[0])
			VSUBPS(s[a][2], s[a][1], y[1]) // (s1 − s2) − s3
			VSUBPS(s[a][3], y[1], y[1])
			for x, v := range y {
				at := func(base reg.GPVirtual) Mem {
					if x == 0 {
						return Mem{Base: base}
					}
					return Mem{Base: base, Index: cB, Scale: 1}
				}
				lbl := fmt.Sprintf("%s_%d%d", sfx, a, x)
				l.epilogue(v, Mem{Base: b}, at(res), lo, hi, masked, lbl)
				l.store(v, at(p), masked)
			}
		}
		ADDQ(cB, mb)
		for _, r := range []reg.GPVirtual{p0, p1, q0, q1} {
			LEAQ(Mem{Base: r, Index: cB, Scale: 2}, r)
		}
		DECQ(t)
		JNE(LabelRef("tile" + sfx))
	})
}

// epilogue applies runtime's clamp-form epilogue to v in epilogueClampGeneric's order: the
// bias at bias (when the bias parameter is not nil), the residual at res before the
// activation (when r0 is not nil and resAfter is false), the leaky slope (when it is not 1),
// the clamp to [lo, hi], the residual after it (when resAfter). Labels end in lbl.
func (l *level) epilogue(v reg.VecVirtual, bias, res Mem, lo, hi reg.VecVirtual, masked bool, lbl string) {
	t := l.vec()
	// add adds the vector at m to v unless the pointer parameter ptr is nil or, when flag is
	// set, unless the bool parameter flag is want.
	add := func(m Mem, ptr, flag string, want bool, skip string) {
		CMPQ(mem.Param(ptr), Imm(0))
		JEQ(LabelRef(skip + lbl))
		if flag != "" {
			CMPB(mem.Param(flag), Imm(0))
			if want {
				JEQ(LabelRef(skip + lbl))
			} else {
				JNE(LabelRef(skip + lbl))
			}
		}
		l.load(m, t, masked)
		VADDPS(t, v, v)
		Label(skip + lbl)
	}
	add(bias, "bias", "", false, "nobias")
	add(res, "r0", "resAfter", false, "nores")
	one := GP32()
	MOVL(U32(0x3f800000), one) // 1.0
	CMPL(mem.Param("slope"), one)
	JEQ(LabelRef("noleaky" + lbl))
	slope, zero := l.vec(), l.vec()
	VBROADCASTSS(mem.Param("slope"), slope)
	if l.avx512 {
		VPXORD(zero, zero, zero)
	} else {
		VXORPS(zero, zero, zero)
	}
	act.Leaky(v, t, zero, slope, l.avx512)
	Label("noleaky" + lbl)
	act.Clamp(v, lo, hi)
	add(res, "r0", "resAfter", true, "noafter")
}
