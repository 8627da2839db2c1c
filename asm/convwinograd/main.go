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
		input4(avx512)
		output4(avx512)
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
		q0, q1 := mem.Arg("r0"), mem.Arg("r1")
		for _, r := range []reg.GPVirtual{mb, p0, p1, q0, q1} {
			LEAQ(Mem{Base: r, Index: j, Scale: 4}, r) // the residual rows only read when r0 is not nil
		}
		pq := GP64()
		bias := l.biasVec(j, pq, masked, sfx)
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
				l.epilogue(v, bias, at(res), "r0", lo, hi, masked, lbl)
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

// biasVec returns the bias vector at channel j, loaded (through the tail mask when masked)
// when the bias parameter is not nil, r a scratch register; labels end in sfx.
func (l *level) biasVec(j, r reg.GPVirtual, masked bool, sfx string) reg.VecVirtual {
	Load(Param("bias"), r)
	LEAQ(Mem{Base: r, Index: j, Scale: 4}, r) // read only when the bias parameter is not nil
	bias := l.vec()
	CMPQ(mem.Param("bias"), Imm(0))
	JEQ(LabelRef("nobiasvec" + sfx))
	l.load(Mem{Base: r}, bias, masked)
	Label("nobiasvec" + sfx)
	return bias
}

// epilogue applies runtime's clamp-form epilogue to v in epilogueClampGeneric's order: the
// bias (biasVec; when the bias parameter is not nil), the residual at res before the
// activation (when the pointer parameter resParam is not nil and resAfter is false), the
// leaky slope (when it is not 1), the clamp to [lo, hi], the residual after it (when
// resAfter); res loaded through the tail mask when masked. Labels end in lbl.
func (l *level) epilogue(v, bias reg.VecVirtual, res Mem, resParam string, lo, hi reg.VecVirtual, masked bool, lbl string) {
	t := l.vec()
	CMPQ(mem.Param("bias"), Imm(0))
	JEQ(LabelRef("nobias" + lbl))
	VADDPS(bias, v, v)
	Label("nobias" + lbl)
	addRes := func(after bool, skip string) {
		CMPQ(mem.Param(resParam), Imm(0))
		JEQ(LabelRef(skip + lbl))
		CMPB(mem.Param("resAfter"), Imm(0))
		if after {
			JEQ(LabelRef(skip + lbl))
		} else {
			JNE(LabelRef(skip + lbl))
		}
		l.load(res, t, masked)
		VADDPS(t, v, v)
		Label(skip + lbl)
	}
	addRes(false, "nores")
	CMPL(mem.Param("slope"), U32(0x3f800000)) // 1.0
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
	addRes(true, "noafter")
}

// constVec returns a vector of l's width with every lane f (a float32's bits).
func (l *level) constVec(bits uint32) reg.VecVirtual {
	r := GP32()
	MOVL(U32(bits), r)
	v := l.vec()
	if l.avx512 {
		VPBROADCASTD(r, v)
	} else {
		x := XMM()
		VMOVD(r, x)
		VBROADCASTSS(x, v)
	}
	return v
}

// f32bits are the float32 constants the F(4×4, 3×3) transforms multiply by.
const (
	two   = 0x40000000
	four  = 0x40800000
	eight = 0x41000000
)

// t6 emits F(4×4, 3×3)'s input transform of six vectors (winograd4T in runtime: the
// multiplications by 2 and 4 exact, so each fused multiply-add rounds as the twin's
// multiplication and addition do).
func (l *level) t6(x [6]reg.VecVirtual, c2, c4 reg.VecVirtual) [6]reg.VecVirtual {
	var t [6]reg.VecVirtual
	for i := range t {
		t[i] = l.vec()
	}
	s1, s2, a, b, d, p, q := l.vec(), l.vec(), l.vec(), l.vec(), l.vec(), l.vec(), l.vec()
	VSUBPS(x[2], x[0], s1) // s1 = x0 − x2
	VSUBPS(x[2], x[4], s2) // s2 = x4 − x2
	VMOVAPS(s2, t[0])      // t0 = s2 + 4·s1
	VFMADD231PS(c4, s1, t[0])
	VMOVAPS(x[4], a) // a = x4 − 4·x2
	VFNMADD231PS(c4, x[2], a)
	VMOVAPS(x[3], b) // b = x3 − 4·x1
	VFNMADD231PS(c4, x[1], b)
	VADDPS(b, a, t[1])    // t1 = a + b
	VSUBPS(b, a, t[2])    // t2 = a − b
	VSUBPS(x[1], x[3], d) // d = x3 − x1
	VMOVAPS(s2, t[3])     // t3 = s2 + 2·d
	VFMADD231PS(c2, d, t[3])
	VMOVAPS(s2, t[4]) // t4 = s2 − 2·d
	VFNMADD231PS(c2, d, t[4])
	VSUBPS(x[3], x[5], p) // p = x5 − x3
	VSUBPS(x[3], x[1], q) // q = x1 − x3
	VMOVAPS(p, t[5])      // t5 = p + 4·q
	VFMADD231PS(c4, q, t[5])
	return t
}

// a6 emits F(4×4, 3×3)'s output transform of six vectors (winograd4A in runtime).
func (l *level) a6(m [6]reg.VecVirtual, c2, c4, c8 reg.VecVirtual) [4]reg.VecVirtual {
	var y [4]reg.VecVirtual
	for i := range y {
		y[i] = l.vec()
	}
	p, q, r, s := l.vec(), l.vec(), l.vec(), l.vec()
	VADDPS(m[2], m[1], p) // p = m1 + m2
	VSUBPS(m[2], m[1], q) // q = m1 − m2
	VADDPS(m[4], m[3], r) // r = m3 + m4
	VSUBPS(m[4], m[3], s) // s = m3 − m4
	VADDPS(p, m[0], y[0]) // y0 = (m0 + p) + r
	VADDPS(r, y[0], y[0])
	VMOVAPS(q, y[1]) // y1 = q + 2·s
	VFMADD231PS(c2, s, y[1])
	VMOVAPS(p, y[2]) // y2 = p + 4·r
	VFMADD231PS(c4, r, y[2])
	VMOVAPS(q, y[3]) // y3 = (q + 8·s) + m5
	VFMADD231PS(c8, s, y[3])
	VADDPS(m[5], y[3], y[3])
	return y
}

// load6 loads six vectors stride bytes apart from base (through the tail mask when masked),
// col its scratch register.
func (l *level) load6(base, col, stride reg.GPVirtual, masked bool) [6]reg.VecVirtual {
	MOVQ(base, col)
	var x [6]reg.VecVirtual
	for k := range x {
		x[k] = l.vec()
		l.load(Mem{Base: col}, x[k], masked)
		if k < 5 {
			ADDQ(stride, col)
		}
	}
	return x
}

// local6 loads the six vectors first, first+step, … of the local buffer local.
func (l *level) local6(local Mem, first, step, vecBytes int) [6]reg.VecVirtual {
	var x [6]reg.VecVirtual
	for k := range x {
		x[k] = l.vec()
		VMOVUPS(local.Offset((first+k*step)*vecBytes), x[k])
	}
	return x
}

// header4 declares the F(4×4, 3×3) transform kernel name with signature sig — not NOSPLIT:
// its frame holds a buffer of vectors — documented by doc and what (its level's channels),
// and returns its level, the parameter c and c in bytes.
func header4(name, sig, doc, what string, avx512 bool) (l *level, c, cB reg.GPVirtual) {
	TEXT(name, 0, sig)
	Pragma("noescape")
	if avx512 {
		what += "for the first c&^15 channels, 16 per vector."
	} else {
		what += "for the first c&^7 channels, 8 per vector."
	}
	Doc(name+doc, what)
	c = mem.Arg("c")
	cB = GP64()
	MOVQ(c, cB)
	SHLQ(Imm(2), cB)
	return newLevel(avx512), c, cB
}

// times6 returns 6·r in a new register.
func times6(r reg.GPVirtual) reg.GPVirtual {
	r6 := GP64()
	LEAQ(Mem{Base: r, Index: r, Scale: 2}, r6) // 3·r
	ADDQ(r6, r6)
	return r6
}

func input4(avx512 bool) {
	l, c, cB := header4("winograd4In"+suffix(avx512), "func(d *float32, ldr, tiles, c int, v *float32, ldv int)",
		" writes F(4×4, 3×3)'s V = Bᵀ d B for tiles tiles of a tile row", "(runtime.winogradIn with m = 4), ", avx512)
	vecBytes := 4 * l.lanes
	local := AllocLocal(36 * vecBytes)
	ldr, ldv := scaled("ldr"), scaled("ldv")
	ldv6 := times6(ldv)
	c2, c4 := l.constVec(two), l.constVec(four)
	l.channels(c, func(j reg.GPVirtual, masked bool) {
		if masked {
			return // the last c mod 16 channels: the Go twin
		}
		rp, vb, t := mem.Arg("d"), mem.Arg("v"), mem.Arg("tiles")
		LEAQ(Mem{Base: rp, Index: j, Scale: 4}, rp)
		LEAQ(Mem{Base: vb, Index: j, Scale: 4}, vb)
		row, col := GP64(), GP64()
		Label("tile")
		// Rows of d: u[r] = T(d[r]), into local.
		MOVQ(rp, row)
		for r := 0; r < 6; r++ {
			x := l.load6(row, col, cB, false)
			for q, v := range l.t6(x, c2, c4) {
				VMOVUPS(v, local.Offset((r*6+q)*vecBytes))
			}
			if r < 5 {
				ADDQ(ldr, row)
			}
		}
		// Columns of u: V[6i+q] = T(u[·][q])[i].
		MOVQ(vb, row)
		for q := 0; q < 6; q++ {
			u := l.local6(local, q, 6, vecBytes)
			MOVQ(row, col)
			for i, v := range l.t6(u, c2, c4) {
				l.store(v, Mem{Base: col}, false)
				if i < 5 {
					ADDQ(ldv6, col)
				}
			}
			if q < 5 {
				ADDQ(ldv, row)
			}
		}
		LEAQ(Mem{Base: rp, Index: cB, Scale: 4}, rp) // the next tile: four pixels on
		ADDQ(cB, vb)
		DECQ(t)
		JNE(LabelRef("tile"))
	})
}

func output4(avx512 bool) {
	l, c, cB := header4("winograd4Out"+suffix(avx512), "func(m *float32, ldm, tiles, c int, y *float32, ldy int, bias, res *float32, slope, lo, hi float32, resAfter bool)",
		" writes F(4×4, 3×3)'s Y = Aᵀ M A for tiles tiles of a tile row", "(runtime.winograd4Out) and applies the clamp-form epilogue to it, ", avx512)
	vecBytes := 4 * l.lanes
	local := AllocLocal(24 * vecBytes)
	ldm, ldy := scaled("ldm"), scaled("ldy")
	ldm6 := times6(ldm)
	delta := mem.Arg("res") // the residual's offset from y (bytes): it has y's layout
	SUBQ(mem.Param("y"), delta)
	lo, hi := l.vec(), l.vec()
	VBROADCASTSS(mem.Param("lo"), lo)
	VBROADCASTSS(mem.Param("hi"), hi)
	c2, c4, c8 := l.constVec(two), l.constVec(four), l.constVec(eight)
	l.channels(c, func(j reg.GPVirtual, masked bool) {
		if masked {
			return // the last c mod 16 channels: the Go twin
		}
		mb, p, t := mem.Arg("m"), mem.Arg("y"), mem.Arg("tiles")
		LEAQ(Mem{Base: mb, Index: j, Scale: 4}, mb)
		LEAQ(Mem{Base: p, Index: j, Scale: 4}, p)
		row, col := GP64(), GP64()
		bias := l.biasVec(j, col, false, "")
		Label("tile")
		// Columns of M: s[·][q] = A(M[6i+q]), into local.
		MOVQ(mb, row)
		for q := 0; q < 6; q++ {
			mv := l.load6(row, col, ldm6, false)
			for a, v := range l.a6(mv, c2, c4, c8) {
				VMOVUPS(v, local.Offset((a*6+q)*vecBytes))
			}
			if q < 5 {
				ADDQ(ldm, row)
			}
		}
		// Rows of s: Y[a][·] = A(s[a]), the epilogue, out.
		MOVQ(p, row)
		for a := 0; a < 4; a++ {
			sv := l.local6(local, 6*a, 1, vecBytes)
			MOVQ(row, col)
			for x, v := range l.a6(sv, c2, c4, c8) {
				l.epilogue(v, bias, Mem{Base: col, Index: delta, Scale: 1}, "res", lo, hi, false, fmt.Sprintf("_%d%d", a, x))
				l.store(v, Mem{Base: col}, false)
				if x < 3 {
					ADDQ(cB, col)
				}
			}
			if a < 3 {
				ADDQ(ldy, row)
			}
		}
		ADDQ(cB, mb)
		LEAQ(Mem{Base: p, Index: cB, Scale: 4}, p)
		DECQ(t)
		JNE(LabelRef("tile"))
	})
}
