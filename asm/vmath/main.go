// Command vmath generates kerasgen's amd64 float32 transcendental kernels
// (Plan9 assembly) with avo. Regenerate with
//
//	cd asm && go run ./vmath -out ../runtime/vmath_amd64.s -stubs ../runtime/vmath_stubs_amd64.go
//
// Each kernel rewrites n float32 values in place: exp, sigmoid, silu, tanh,
// gelu (erf form) and gelu_tanh; the LSTM and GRU gate kernels use the
// cheaper rational gate forms of sigmoid and tanh (sigmoidGate, tanhGate).
// The algorithms, constants and operation order are those of the pure-Go
// twins in runtime/vmath.go (which documents them and their accuracy),
// instruction for instruction, so a kernel returns the twin's bits for every
// input but NaN; keep the two in step.
//
//   - {fn}AVX512: 16 lanes per ZMM; the last n mod 16 values under a mask,
//     so nothing outside x[0:n] is read or written.
//   - {fn}AVX2: 8 lanes per YMM (AVX2 + FMA), over the first n &^ 7
//     values only; the Go driver runs the rest through a padded buffer.
package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/kerasgen/kerasgen/asm/internal/setup"
)

// The twins' constants (runtime/vmath.go).
const (
	log2e     = float32(1.44269504088896340736)
	shifter   = float32(12582912)
	ln2Hi     = float32(0.693145751953125)
	ln2Lo     = float32(0.69314718055994530942 - 0.693145751953125)
	expLo     = float32(-104)
	expHi     = float32(89)
	tanhSmall = float32(0.625)
	geluZMax  = float32(14.849242)
	invSqrt2  = float32(0.70710678118654752440)
	erfcP     = float32(0.3)
	geluTanhK = float32(0.044715)
	geluTanhC = float32(1.5957691216057307117)
	gateHi    = float32(8)
)

var (
	expP  = []float32{0.49999994, 0.16666521, 0.041668255, 0.008368662, 0.0013821446}
	tanhQ = []float32{-0.3333328, 0.13331406, -0.053736515, 0.020628167, -0.005692296}
	erfcR = []float32{0.16918744, 0.17072342, 0.14828853, 0.21509992, -0.0950141, 0.54819417, -0.5126558, 0.48573136, -0.12955497}
	gateN = []float32{4125626.25, 532769.375, 12124.556640625, 46.66222381591797}
	gateD = []float32{4125629.0, 1907969.25, 98040.921875, 977.8975830078125} // and 1·s⁴

	sigmoidN, sigmoidD = sigmoidGate()
)

// sigmoidGate returns the sigmoid gate form's coefficients, gateN and gateD scaled by powers
// of 4 as runtime/vmath.go's vmSigmoidGate does.
func sigmoidGate() (n, d []float32) {
	for k := range gateN {
		n = append(n, gateN[k]*float32(math.Ldexp(1, 2*(3-k))))
		d = append(d, gateD[k]*float32(math.Ldexp(1, 2*(4-k))))
	}
	return n, d
}

// konst is a constant operand: a table of 16 copies of a 32-bit pattern. AVX2 reads 32 bytes
// of it; AVX-512 reads its first word only, broadcast to every lane ({1to16} operands and
// VBROADCASTSS), since 64-byte loads (one per cycle on Zen 4) would bound the kernels.
type konst struct{ m Mem }

// consts maps a 32-bit pattern to its table.
var consts = map[uint32]konst{}

// word returns the constant v.
func word(v uint32) konst {
	if c, ok := consts[v]; ok {
		return c
	}
	m := GLOBL(fmt.Sprintf("vmathC%08x", v), RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(v))
	}
	consts[v] = konst{m}
	return consts[v]
}

func f(v float32) konst { return word(math.Float32bits(v)) }

const signBit = 0x80000000

// allConsts declares every table before the first TEXT.
func allConsts() Mem {
	for _, v := range []float32{log2e, shifter, -ln2Hi, -ln2Lo, expLo, expHi, tanhSmall, geluZMax,
		invSqrt2, erfcP, geluTanhK, geluTanhC, 1, 2, -0.5, 0.5, gateHi, -gateHi, 2 * gateHi, -2 * gateHi} {
		f(v)
	}
	for _, cs := range [][]float32{expP, tanhQ, erfcR, gateN, gateD, sigmoidN, sigmoidD} {
		for _, v := range cs {
			f(v)
		}
	}
	word(127)
	word(0xff800000)
	word(signBit)
	word(signBit - 1)
	masks := GLOBL("vmathTailMask", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(2*i, U16(uint16(1<<i-1)))
	}
	return masks
}

// v emits one kernel body for AVX2 (YMM) or AVX-512 (ZMM), on w vectors at once (w = 0
// means 1): each value is a vec of w registers and every operation is emitted w times in a
// row, one per register, so that w independent dependency chains run side by side.
type v struct {
	z bool
	w int
}

// vec is one value: one register per vector of the bundle.
type vec []reg.VecVirtual

// suffix names the level in kernel names.
func (g v) suffix() string {
	if g.z {
		return "AVX512"
	}
	return "AVX2"
}

// width is the number of vectors per value.
func (g v) width() int { return max(g.w, 1) }

// one returns a single register.
func (g v) one() reg.VecVirtual {
	if g.z {
		return ZMM()
	}
	return YMM()
}

// reg returns a new value (width() registers).
func (g v) reg() vec {
	d := make(vec, g.width())
	for i := range d {
		d[i] = g.one()
	}
	return d
}

// at is operand o for vector i of a bundle: o's i-th register when o is a vec, a
// constant's table, else o (memory or a register shared by every vector).
func at(o any, i int) Op {
	switch o := o.(type) {
	case vec:
		return o[i]
	case konst:
		return o.m
	case Op:
		return o
	}
	panic(fmt.Sprintf("vmath: operand %T", o))
}

// bin emits the two-operand instruction d = a op b for vector i of a bundle: its
// broadcast form when b is a constant on AVX-512.
func (g v) bin(op, bcst func(...Op), b any, i int, a, d Op) {
	if c, ok := b.(konst); ok && g.z {
		bcst(c.m, a, d)
		return
	}
	op(at(b, i), a, d)
}

// each emits op once per vector of a new value d and returns d.
func (g v) each(op func(i int, d reg.VecVirtual)) vec {
	d := g.reg()
	for i, r := range d {
		op(i, r)
	}
	return d
}

// load copies a value, a constant or memory into a new value.
func (g v) load(a any) vec {
	return g.each(func(i int, d reg.VecVirtual) {
		switch a := a.(type) {
		case konst:
			if g.z {
				VBROADCASTSS(a.m, d)
			} else {
				VMOVUPS(a.m, d)
			}
		case Mem:
			VMOVUPS(a, d)
		default:
			VMOVAPS(at(a, i), d)
		}
	})
}

func (g v) mul(a vec, b any) vec {
	return g.each(func(i int, d reg.VecVirtual) { g.bin(VMULPS, VMULPS_BCST, b, i, a[i], d) })
}
func (g v) add(a vec, b any) vec {
	return g.each(func(i int, d reg.VecVirtual) { g.bin(VADDPS, VADDPS_BCST, b, i, a[i], d) })
}
func (g v) sub(a vec, b any) vec {
	return g.each(func(i int, d reg.VecVirtual) { g.bin(VSUBPS, VSUBPS_BCST, b, i, a[i], d) })
}
func (g v) div(a vec, b any) vec {
	return g.each(func(i int, d reg.VecVirtual) { g.bin(VDIVPS, VDIVPS_BCST, b, i, a[i], d) })
}

// fma returns a*b + c, rounded once; a may be a constant.
func (g v) fma(a any, b vec, c any) vec {
	d := g.load(a)
	g.fmaTo(d, b, c)
	return d
}

// fmaTo sets p = p*b + c, rounded once.
func (g v) fmaTo(p, b vec, c any) {
	for i := range p {
		if k, ok := c.(konst); ok && g.z {
			VFMADD213PS_BCST(k.m, b[i], p[i])
		} else {
			VFMADD213PS(at(c, i), b[i], p[i])
		}
	}
}

// min returns hi < a ? hi : a (a when a is NaN).
func (g v) min(a vec, hi konst) vec {
	h := g.load(hi)
	return g.each(func(i int, d reg.VecVirtual) { VMINPS(a[i], h[i], d) })
}

// max returns lo > a ? lo : a (a when a is NaN).
func (g v) max(a vec, lo konst) vec {
	l := g.load(lo)
	return g.each(func(i int, d reg.VecVirtual) { VMAXPS(a[i], l[i], d) })
}

func (g v) and(a vec, b any) vec {
	return g.each(func(i int, d reg.VecVirtual) {
		if g.z {
			g.bin(VPANDD, VPANDD_BCST, b, i, a[i], d)
		} else {
			VPAND(at(b, i), a[i], d)
		}
	})
}

func (g v) or(a vec, b any) vec {
	return g.each(func(i int, d reg.VecVirtual) {
		if g.z {
			g.bin(VPORD, VPORD_BCST, b, i, a[i], d)
		} else {
			VPOR(at(b, i), a[i], d)
		}
	})
}

// selSign returns, lane by lane, ifSet where s has its sign bit set and
// ifClear elsewhere. (AVX-512 starts from a copy of ifClear and moves ifSet in under a mask
// rather than VBLENDMPS, whose merge-masked destination avo's allocator takes as read, live
// from the function's start.)
func (g v) selSign(s, ifSet vec, ifClear any) vec {
	if !g.z {
		c := g.load(ifClear)
		return g.each(func(i int, d reg.VecVirtual) { VBLENDVPS(s[i], ifSet[i], c[i], d) })
	}
	k := make([]reg.OpmaskVirtual, len(s))
	for i := range k {
		k[i] = K()
		VPTESTMD_BCST(word(signBit).m, s[i], k[i])
	}
	d := g.load(ifClear)
	for i := range d {
		VMOVAPS(ifSet[i], k[i], d[i])
	}
	return d
}

// selLess returns, lane by lane, ifLess where a < lim and other elsewhere (NaN included).
// AVX-512 moves ifLess into other under a mask (see selSign) and returns it: other is
// overwritten.
func (g v) selLess(a vec, lim konst, ifLess, other vec) vec {
	if g.z {
		for i := range a {
			k := K()
			VCMPPS_BCST(Imm(1), lim.m, a[i], k)
			VMOVAPS(ifLess[i], k, other[i])
		}
		return other
	}
	m := g.each(func(i int, m reg.VecVirtual) { VCMPPS(Imm(1), lim.m, a[i], m) })
	return g.each(func(i int, d reg.VecVirtual) { VBLENDVPS(m[i], ifLess[i], other[i], d) })
}

// poly evaluates c[0] + c[1]·u + … by Horner, starting fma(c[n-1], u, c[n-2]).
func (g v) poly(c []float32, u vec) vec {
	p := g.fma(f(c[len(c)-1]), u, f(c[len(c)-2]))
	for k := len(c) - 3; k >= 0; k-- {
		g.fmaTo(p, u, f(c[k]))
	}
	return p
}

// exp is expf. AVX-512 scales by 2^n in one VSCALEFPS, a single rounding of p·2^n as the
// twin's two exact-then-rounded products give; AVX2 multiplies by 2^(n>>1) and 2^(n-n>>1)
// built in the exponent field, as the twin does.
func (g v) exp(x vec) vec {
	x = g.max(g.min(x, f(expHi)), f(expLo))
	t := g.fma(f(log2e), x, f(shifter))
	n := g.sub(t, f(shifter))
	r := g.fma(f(-ln2Hi), n, x)
	r = g.fma(f(-ln2Lo), n, r)
	p := g.fma(f(expP[4]), r, f(expP[3]))
	for k := 2; k >= 0; k-- {
		g.fmaTo(p, r, f(expP[k]))
	}
	r2 := g.mul(r, r)
	g.fmaTo(p, r2, r)
	p = g.add(p, f(1))
	if g.z {
		return g.each(func(i int, d reg.VecVirtual) { VSCALEFPS(n[i], p[i], d) })
	}
	ni, n1, n2 := g.reg(), g.reg(), g.reg()
	for i := range ni {
		VPSUBD(f(shifter).m, t[i], ni[i])
		VPSRAD(Imm(1), ni[i], n1[i])
		VPSUBD(n1[i], ni[i], n2[i])
	}
	for _, s := range []vec{n1, n2} {
		for i := range s {
			VPADDD(word(127).m, s[i], s[i])
			VPSLLD(Imm(23), s[i], s[i])
		}
	}
	return g.mul(g.mul(p, n1), n2)
}

// logistic is n/(1+e), e = exp(-|v|), n = x·e where x < 0 and x elsewhere
// (or e and 1, for sigmoid: x nil).
func (g v) logistic(x, vv vec) vec {
	e := g.exp(g.or(vv, word(signBit)))
	var n vec
	if x == nil {
		n = g.selSign(vv, e, f(1))
	} else {
		n = g.selSign(x, g.mul(x, e), x)
	}
	return g.div(n, g.add(e, f(1)))
}

func (g v) sigmoid(x vec) vec { return g.logistic(nil, x) }

func (g v) silu(x vec) vec { return g.logistic(x, x) }

func (g v) geluTanh(x vec) vec {
	u := g.mul(x, x)
	k := g.mul(u, f(geluTanhK))
	y := g.fma(k, x, x)
	return g.logistic(x, g.mul(y, f(geluTanhC)))
}

func (g v) tanh(x vec) vec {
	a := g.and(x, word(signBit-1))
	e := g.exp(g.add(a, a))
	q := g.div(g.load(f(2)), g.add(e, f(1)))
	big := g.sub(g.load(f(1)), q)
	u := g.mul(a, a)
	p := g.poly(tanhQ, u)
	small := g.fma(g.mul(a, u), p, a)
	sign := g.and(x, word(signBit))
	return g.or(g.selLess(a, f(tanhSmall), small, big), sign)
}

// gateRatio returns N(s)/D(s), s = x², for x clamped to [-hi, hi] first, and the clamped
// x, as runtime/vmath.go's gateRatio: D monic (its top step an add). AVX-512 clamps in one
// VRANGEPS (the lesser magnitude of x and hi, x's sign), AVX2 by a min and a max; both keep
// NaN.
func (g v) gateRatio(x vec, hi float32, n, d []float32) (r, xc vec) {
	if g.z {
		x = g.each(func(i int, o reg.VecVirtual) { VRANGEPS_BCST(Imm(2), f(hi).m, x[i], o) })
	} else {
		x = g.max(g.min(x, f(hi)), f(-hi))
	}
	s := g.mul(x, x)
	q := g.add(s, f(d[3]))
	for k := 2; k >= 0; k-- {
		g.fmaTo(q, s, f(d[k]))
	}
	return g.div(g.poly(n, s), q), x
}

// tanhGate and sigmoidGate are the recurrent cells' gate forms (tanhGatef, sigmoidGatef).
func (g v) tanhGate(x vec) vec {
	r, xc := g.gateRatio(x, gateHi, gateN, gateD)
	return g.mul(r, xc)
}

func (g v) sigmoidGate(x vec) vec {
	r, xc := g.gateRatio(x, 2*gateHi, sigmoidN, sigmoidD)
	g.fmaTo(r, xc, f(0.5))
	return r
}

func (g v) gelu(x vec) vec {
	a := g.min(g.and(x, word(signBit-1)), f(geluZMax))
	z := g.mul(a, f(invSqrt2))
	t := g.div(g.load(f(1)), g.fma(f(erfcP), z, f(1)))
	r := g.poly(erfcR, t)
	h := g.mul(a, a)
	l := g.load(a)
	for i := range l {
		VFMSUB213PS(h[i], a[i], l[i])
	}
	e := g.exp(g.mul(h, f(-0.5)))
	e = g.fma(e, g.mul(l, f(-0.5)), e)
	tr := g.mul(t, r)
	q := g.mul(tr, e)
	f1 := g.selSign(x, tr, g.sub(g.load(f(2)), q))
	f2 := g.selSign(x, e, f(1))
	return g.mul(g.mul(g.mul(x, f(0.5)), f1), f2)
}

var kernels = []struct {
	name, what string
	body       func(v, vec) vec
}{
	{"exp", "e^x", v.exp},
	{"sigmoid", "1/(1+e^-x)", v.sigmoid},
	{"silu", "x/(1+e^-x)", v.silu},
	{"tanh", "tanh(x)", v.tanh},
	{"gelu", "0.5x(1+erf(x/√2))", v.gelu},
	{"geluTanh", "0.5x(1+tanh(√(2/π)(x+0.044715x³)))", v.geluTanh},
}

// Bundle widths of the element-wise kernels (exp, sigmoid, silu, tanh, gelu, gelu_tanh): each
// loop iteration runs that many independent vectors side by side, so one vector's latency
// hides behind the others'. AVX-512 takes four (BenchmarkVmath, medians of four alternated
// rounds against one: exp −15%, sigmoid −9%, silu −8%, tanh −12%, gelu −7%, gelu_tanh −13%);
// AVX2 two (tanh −20%, gelu_tanh −16%, the others 0–6%): its gelu at three needs more than
// the 16 registers VEX instructions can name.
const (
	widthAVX512 = 4
	widthAVX2   = 2
)

func main() {
	setup.Runtime()
	masks := allConsts()
	for _, k := range kernels {
		kernel(k.name, k.what, k.body, v{z: false, w: widthAVX2}, masks)
		kernel(k.name, k.what, k.body, v{z: true, w: widthAVX512}, masks)
	}
	lstmCell(v{z: false}, masks)
	lstmCell(v{z: true, w: 2}, masks)
	lstmStep(v{z: true, w: 2})
	gruCell(v{z: false}, masks)
	gruCell(v{z: true, w: 2}, masks)
	softmax(v{z: false}, masks)
	softmax(v{z: true}, masks)
	softmaxRows(softmaxRowsWidth)
	layerNorm(v{z: false}, masks)
	layerNorm(v{z: true}, masks)
	Generate()
}

// layerNorm emits the layer normalization of one row with gamma and beta, in float32:
// mean = Σx / n and var = Σ(x - mean)² / n, each sum in one accumulator per lane then
// across lanes (allLanes); inv = 1/sqrt(var + eps); y = ((x - mean)·inv)·gamma + beta.
// AVX-512 masks the last n mod 16 values; AVX2 takes n a multiple of 8. n ≥ 1.
func layerNorm(g v, masks Mem) {
	lanes, suffix := 8, "AVX2"
	if g.z {
		lanes, suffix = 16, "AVX512"
	}
	fn := "layerNorm" + suffix
	TEXT(fn, NOSPLIT, "func(x *float32, y *float32, gamma *float32, beta *float32, n int, eps float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets y[0:n] to the layer normalization of x[0:n], as layerNormGo(…, %d) does.", fn, lanes))
	k, pass := g.rowPasses(fn, masks)
	xp := Load(Param("x"), GP64())
	addOp := func(a, b, d reg.VecVirtual) { VADDPS(a, b, d) }
	zero := func() reg.VecVirtual {
		z := g.one()
		if g.z {
			VPXORD(z, z, z)
		} else {
			VXORPS(z, z, z)
		}
		return z
	}
	loadX := func(i reg.Register, tail bool) vec {
		x := g.one()
		if tail {
			VMOVUPS_Z(Mem{Base: xp, Index: i, Scale: 1}, k, x)
		} else {
			VMOVUPS(Mem{Base: xp, Index: i, Scale: 1}, x)
		}
		return vec{x}
	}
	// nf is n as a float32 in every lane.
	nf := g.one()
	{
		n := Load(Param("n"), GP64())
		t := XMM()
		VCVTSI2SSQ(n, t, t)
		VBROADCASTSS(t, nf)
	}

	Comment("mean = Σx / n")
	sum := zero()
	pass("sum", func(i reg.Register, tail bool) {
		if tail {
			VADDPS(loadX(i, tail)[0], sum, k, sum)
		} else {
			VADDPS(loadX(i, tail)[0], sum, sum)
		}
	})
	g.allLanes(sum, addOp)
	mean := g.div(vec{sum}, nf)

	Comment("var = Σ(x - mean)² / n")
	sq := zero()
	pass("var", func(i reg.Register, tail bool) {
		d := g.sub(loadX(i, tail), mean)
		d2 := g.mul(d, d)[0]
		if tail {
			VADDPS(d2, sq, k, sq)
		} else {
			VADDPS(d2, sq, sq)
		}
	})
	g.allLanes(sq, addOp)
	vr := g.div(vec{sq}, nf)
	eps := g.one()
	VBROADCASTSS(Load(Param("eps"), XMM()), eps)
	vr = g.add(vr, eps)
	sd := g.one()
	VSQRTPS(vr[0], sd)
	inv := g.div(g.load(f(1)), sd)

	Comment("y = ((x - mean)·inv)·gamma + beta")
	yp := Load(Param("y"), GP64())
	gp := Load(Param("gamma"), GP64())
	bp := Load(Param("beta"), GP64())
	pass("norm", func(i reg.Register, tail bool) {
		t := g.mul(g.sub(loadX(i, tail), mean), inv)
		gm, bt := Mem{Base: gp, Index: i, Scale: 1}, Mem{Base: bp, Index: i, Scale: 1}
		if tail {
			u, w := g.one(), g.one()
			VMULPS_Z(gm, t[0], k, u)
			VADDPS_Z(bt, u, k, w)
			VMOVUPS(w, k, Mem{Base: yp, Index: i, Scale: 1})
			return
		}
		VMOVUPS(g.add(g.mul(t, gm), bt)[0], Mem{Base: yp, Index: i, Scale: 1})
	})
	VZEROUPPER()
	RET()
}

// gruCell emits the fused gate math of one GRU row with reset_after (Keras 3's default) and
// its default activations: for j < u, with x the input projection [z | r | h] (3u values,
// input bias included), q = h·U (3u) and b the recurrent bias (3u),
//
//	zz = sigmoid(x_z + (q_z + b_z)); rr = sigmoid(x_r + (q_r + b_r))
//	hh = tanh(x_h + rr·(q_h + b_h))   (the product rounded, then the sum: no FMA)
//	h[j] = zz·h[j] + (1 - zz)·hh      (both products rounded, then the sum)
//
// with the gate forms (sigmoidGate, tanhGate), as gruCellGo in runtime/vmath.go, bit for bit
// (NaN aside). AVX-512 masks the last u mod 16 lanes; AVX2 covers u &^ 7 and leaves the rest
// to the Go twin.
func gruCell(g v, masks Mem) {
	fn := "gruCell" + g.suffix()
	TEXT(fn, NOSPLIT, "func(x *float32, q *float32, b *float32, h *float32, u int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s runs the GRU gate math of one row (see gruCellGo).", fn))
	xp := Load(Param("x"), GP64())
	qp := Load(Param("q"), GP64())
	bp := Load(Param("b"), GP64())
	hp := Load(Param("h"), GP64())
	ub := Load(Param("u"), GP64())
	SHLQ(Imm(2), ub) // u in bytes
	body := func(g v, k reg.OpmaskVirtual) {
		at := func(p reg.Register, block int) Mem { return gateAt(p, ub, nil, block) }
		rec := func(block int) vec {
			q := g.loadAt(at(qp, block), k)
			return g.add(q, g.loadAt(at(bp, block), k))
		}
		zz := g.sigmoidGate(g.add(g.loadAt(at(xp, 0), k), rec(0)))
		rr := g.sigmoidGate(g.add(g.loadAt(at(xp, 1), k), rec(1)))
		hh := g.tanhGate(g.add(g.loadAt(at(xp, 2), k), g.mul(rr, rec(2))))
		one := g.load(f(1))
		hn := g.add(g.mul(zz, g.loadAt(Mem{Base: hp}, k)), g.mul(g.sub(one, zz), hh))
		g.storeAt(hn, Mem{Base: hp}, k)
	}
	g.rowLoop(fn, "u", masks, []reg.Register{xp, qp, bp, hp}, body)
}

// rowPasses sets up the passes of a row kernel over n = Param("n") values: pass(name, body)
// emits a loop running body on every full vector (byte offset i) and, on AVX-512, once more
// on the masked last n mod 16 values (tail true, mask k, which rowPasses returns).
func (g v) rowPasses(fn string, masks Mem) (k reg.OpmaskVirtual, pass func(name string, body func(i reg.Register, tail bool))) {
	lanes := 8
	var rem reg.Register
	if g.z {
		lanes = 16
		rem = Load(Param("n"), GP64())
		ANDQ(Imm(15), rem)
		tbl := GP64()
		LEAQ(masks, tbl)
		k = K()
		KMOVW(Mem{Base: tbl, Index: rem, Scale: 2}, k)
	}
	pass = func(name string, body func(i reg.Register, tail bool)) {
		n := Load(Param("n"), GP64())
		SHRQ(Imm(uint64(map[int]int{8: 3, 16: 4}[lanes])), n)
		i := GP64()
		XORQ(i, i)
		TESTQ(n, n)
		JZ(LabelRef(fn + "_" + name + "_tail"))
		Label(fn + "_" + name)
		body(i, false)
		ADDQ(Imm(uint64(4*lanes)), i)
		DECQ(n)
		JNZ(LabelRef(fn + "_" + name))
		Label(fn + "_" + name + "_tail")
		if g.z {
			TESTQ(rem, rem)
			JZ(LabelRef(fn + "_" + name + "_done"))
			body(i, true)
		}
		Label(fn + "_" + name + "_done")
	}
	return k, pass
}

// rowLoop ends a kernel with its loop over the count parameter's lanes (a cell's u, an
// element-wise kernel's n): body(g, nil) on every full bundle of g.width() vectors (then each
// pointer in ptrs advances past it); for a wider g, body(g1, nil) on the full vectors left,
// one at a time (g1 is g at width 1); and on AVX-512 body(g1, k) once more on the masked last
// count mod 16 lanes.
func (g v) rowLoop(fn, count string, masks Mem, ptrs []reg.Register, body func(g v, k reg.OpmaskVirtual)) {
	lanes := 8
	if g.z {
		lanes = 16
	}
	g1 := v{z: g.z}
	n := Load(Param(count), GP64())
	loop := func(label, next string, g v) {
		step := uint64(lanes * g.width())
		Label(label)
		CMPQ(n, U32(step))
		JL(LabelRef(next))
		body(g, nil)
		for _, r := range ptrs {
			ADDQ(U32(4*step), r)
		}
		SUBQ(U32(step), n)
		JMP(LabelRef(label))
	}
	if g.width() > 1 {
		loop(fn+"_wide", fn+"_loop", g)
	}
	loop(fn+"_loop", fn+"_tail", g1)
	Label(fn + "_tail")
	if g.z {
		Comment(fmt.Sprintf("The last %s mod 16 lanes, under a mask.", count))
		TESTQ(n, n)
		JZ(LabelRef(fn + "_done"))
		tbl := GP64()
		LEAQ(masks, tbl)
		k := K()
		KMOVW(Mem{Base: tbl, Index: n, Scale: 2}, k)
		body(g1, k)
	}
	Label(fn + "_done")
	VZEROUPPER()
	RET()
}

// loadAt loads a value from m (vector i at m plus i vectors), under mask k when not nil
// (width 1).
func (g v) loadAt(m Mem, k reg.OpmaskVirtual) vec {
	return g.each(func(i int, d reg.VecVirtual) {
		m := m.Offset(i * g.bytes())
		if k != nil {
			VMOVUPS_Z(m, k, d)
		} else {
			VMOVUPS(m, d)
		}
	})
}

// storeAt stores x at m (vector i at m plus i vectors), under mask k when not nil (width 1).
func (g v) storeAt(x vec, m Mem, k reg.OpmaskVirtual) {
	for i, r := range x {
		m := m.Offset(i * g.bytes())
		if k != nil {
			VMOVUPS(r, k, m)
		} else {
			VMOVUPS(r, m)
		}
	}
}

// bytes is the size of one vector.
func (g v) bytes() int {
	if g.z {
		return 64
	}
	return 32
}

// allLanes combines the lanes of x with op so that every lane holds the combination of all:
// lane i with lane i^8 (AVX-512 only), then i^4, i^2, i^1 — the order softmaxGo follows.
func (g v) allLanes(x reg.VecVirtual, op func(a, b, d reg.VecVirtual)) {
	t := g.one()
	if g.z {
		VSHUFF64X2(Imm(0x4e), x, x, t) // swap the 256-bit halves
		op(t, x, x)
		VSHUFF64X2(Imm(0xb1), x, x, t) // swap 128-bit lanes within the halves
	} else {
		VPERM2F128(Imm(0x01), x, x, t)
	}
	op(t, x, x)
	VPERMILPS(Imm(0x4e), x, t)
	op(t, x, x)
	VPERMILPS(Imm(0xb1), x, t)
	op(t, x, x)
}

// softmax emits the softmax of one row: m = max x, e = exp(x - m) (expf) into y, summed in
// one accumulator per lane (16 or 8) then across lanes (allLanes), y = e·(1/sum). AVX-512
// masks the last n mod 16 values; AVX2 takes n a multiple of 8 (the Go driver runs other
// rows on softmaxGo). n ≥ 1.
func softmax(g v, masks Mem) {
	lanes, suffix := 8, "AVX2"
	if g.z {
		lanes, suffix = 16, "AVX512"
	}
	fn := "softmax" + suffix
	TEXT(fn, NOSPLIT, "func(x *float32, y *float32, n int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets y[0:n] to the softmax of x[0:n], as softmaxGo(x, y, %d) does.", fn, lanes))
	k, pass := g.rowPasses(fn, masks)
	xp := Load(Param("x"), GP64())
	yp := Load(Param("y"), GP64())
	maxOp := func(a, b, d reg.VecVirtual) { VMAXPS(a, b, d) }
	addOp := func(a, b, d reg.VecVirtual) { VADDPS(a, b, d) }

	Comment("m = max x")
	m := g.load(word(0xff800000))[0] // -Inf
	pass("max", func(i reg.Register, tail bool) {
		if tail {
			VMAXPS(Mem{Base: xp, Index: i, Scale: 1}, m, k, m)
		} else {
			VMAXPS(Mem{Base: xp, Index: i, Scale: 1}, m, m)
		}
	})
	g.allLanes(m, maxOp)

	Comment("y = exp(x - m), summed per lane")
	sum := g.one()
	if g.z {
		VPXORD(sum, sum, sum)
	} else {
		VXORPS(sum, sum, sum)
	}
	pass("exp", func(i reg.Register, tail bool) {
		x := g.one()
		if tail {
			VMOVUPS_Z(Mem{Base: xp, Index: i, Scale: 1}, k, x)
		} else {
			VMOVUPS(Mem{Base: xp, Index: i, Scale: 1}, x)
		}
		e := g.exp(g.sub(vec{x}, m))[0]
		if tail {
			VMOVUPS(e, k, Mem{Base: yp, Index: i, Scale: 1})
			VADDPS(e, sum, k, sum)
		} else {
			VMOVUPS(e, Mem{Base: yp, Index: i, Scale: 1})
			VADDPS(e, sum, sum)
		}
	})
	g.allLanes(sum, addOp)
	inv := g.div(g.load(f(1)), sum)[0]

	Comment("y *= 1/sum")
	pass("scale", func(i reg.Register, tail bool) {
		y := g.one()
		if tail {
			VMULPS_Z(Mem{Base: yp, Index: i, Scale: 1}, inv, k, y)
			VMOVUPS(y, k, Mem{Base: yp, Index: i, Scale: 1})
		} else {
			VMULPS(Mem{Base: yp, Index: i, Scale: 1}, inv, y)
			VMOVUPS(y, Mem{Base: yp, Index: i, Scale: 1})
		}
	})
	VZEROUPPER()
	RET()
}

// softmaxRowsWidth is the number of rows softmaxRowsAVX512 computes side by side: a multiple
// of four (the bundle steps four rows per LEAQ). Eight rows' chains overlap where four left
// the core waiting on each row's max, exp and sum (BenchmarkSoftmaxRows, 32768 rows of 12 on
// Zen 5: 186–189 µs at four, 136–141 at eight); twelve rows do not fit the 32 registers.
const softmaxRowsWidth = 8

// softmaxRows emits softmaxRowsAVX512(x, y, rows, n): the softmax of each of rows contiguous
// rows of n ≤ 16 values (a per-pixel softmax over channels), each row one masked ZMM,
// softmaxRowsWidth rows at a time as independent chains, then the rest one by one. Per row
// it does what softmaxAVX512 does for n ≤ 16, in the same order (the max and the sum across
// lanes by allLanes, y = e·(1/sum)), so it returns the same bits; but one call covers all
// the rows, e stays in its register instead of going through y, and the rows' dependency
// chains overlap.
func softmaxRows(w int) {
	fn := "softmaxRowsAVX512"
	TEXT(fn, NOSPLIT, "func(x *float32, y *float32, rows int, n int)")
	Pragma("noescape")
	Doc(fn+" sets each of the rows rows of n values at y (1 ≤ n ≤ 16, rows n apart) to the softmax",
		"of the row at x, as softmaxAVX512 does row by row.")
	xp := Load(Param("x"), GP64())
	yp := Load(Param("y"), GP64())
	rows := Load(Param("rows"), GP64())
	n := GP64()
	Load(Param("n"), n)
	// k: the low n lanes (0xffff >> (16 - n)).
	t, sh := GP32(), GP32()
	MOVL(U32(0xffff), t)
	MOVL(U32(16), sh)
	SUBL(n.As32(), sh)
	SHRXL(sh, t, t)
	k := K()
	KMOVW(t, k)
	rb := GP64() // a row's bytes
	MOVQ(n, rb)
	SHLQ(Imm(2), rb)
	rb3 := GP64()
	LEAQ(Mem{Base: rb, Index: rb, Scale: 2}, rb3)
	// rowAt addresses row i of a bundle from base: rows past the fourth through one LEAQ per
	// four rows.
	rowAt := func(base reg.Register, i int) Mem {
		for ; i >= 4; i -= 4 {
			b4 := GP64()
			LEAQ(Mem{Base: base, Index: rb, Scale: 4}, b4)
			base = b4
		}
		switch i {
		case 0:
			return Mem{Base: base}
		case 1:
			return Mem{Base: base, Index: rb, Scale: 1}
		case 2:
			return Mem{Base: base, Index: rb, Scale: 2}
		}
		return Mem{Base: base, Index: rb3, Scale: 1}
	}
	maxOp := func(a, b, d reg.VecVirtual) { VMAXPS(a, b, d) }
	addOp := func(a, b, d reg.VecVirtual) { VADDPS(a, b, d) }
	body := func(g v) {
		x := g.load(word(0xff800000)) // -Inf in the lanes past n
		for i, r := range x {
			VMOVUPS(rowAt(xp, i), k, r)
		}
		m := g.load(x)
		for _, r := range m {
			g.allLanes(r, maxOp)
		}
		e := g.exp(g.sub(x, m))
		sum := g.reg()
		for i, r := range sum {
			VMOVAPS_Z(e[i], k, r)
			g.allLanes(r, addOp)
		}
		y := g.mul(e, g.div(g.load(f(1)), sum))
		for i, r := range y {
			VMOVUPS(r, k, rowAt(yp, i))
		}
	}
	if w%4 != 0 {
		panic("softmaxRows: the bundle's step advances four rows at a time")
	}
	CMPQ(rows, Imm(uint64(w)))
	JL(LabelRef(fn + "_one"))
	Label(fn + "_bundle")
	body(v{z: true, w: w})
	for range w / 4 {
		LEAQ(Mem{Base: xp, Index: rb, Scale: 4}, xp)
		LEAQ(Mem{Base: yp, Index: rb, Scale: 4}, yp)
	}
	SUBQ(Imm(uint64(w)), rows)
	CMPQ(rows, Imm(uint64(w)))
	JGE(LabelRef(fn + "_bundle"))
	Label(fn + "_one")
	TESTQ(rows, rows)
	JLE(LabelRef(fn + "_done"))
	body(v{z: true})
	ADDQ(rb, xp)
	ADDQ(rb, yp)
	DECQ(rows)
	JMP(LabelRef(fn + "_one"))
	Label(fn + "_done")
	VZEROUPPER()
	RET()
}

// lstmCell emits the fused gate math of one LSTM row (Keras' default activations): for
// j < u, with the pre-activations z = [i | f | g | o] (4u values),
//
//	c[j] = sigmoid(f)·c[j] + sigmoid(i)·tanh(g)   (two products, then the sum: no FMA)
//	h[j] = sigmoid(o)·tanh(c[j])
//
// with the gate forms (sigmoidGate, tanhGate), as lstmCellGo in runtime/vmath.go, bit for bit
// (NaN aside). AVX-512 masks the last u mod 16 lanes; AVX2 covers u &^ 7 and leaves the rest
// to the Go twin.
func lstmCell(g v, masks Mem) {
	fn := "lstmCell" + g.suffix()
	TEXT(fn, NOSPLIT, "func(z *float32, c *float32, h *float32, u int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s runs the LSTM gate math of one row (see lstmCellGo).", fn))
	zp := Load(Param("z"), GP64())
	cp := Load(Param("c"), GP64())
	hp := Load(Param("h"), GP64())
	ub := Load(Param("u"), GP64())
	SHLQ(Imm(2), ub) // u in bytes
	ub3 := GP64()
	LEAQ(Mem{Base: ub, Index: ub, Scale: 2}, ub3)
	body := func(g v, k reg.OpmaskVirtual) {
		gate := func(i int) vec { return g.loadAt(gateAt(zp, ub, ub3, i), k) }
		g.lstmGates(gate, Mem{Base: cp}, Mem{Base: hp}, k)
	}
	g.rowLoop(fn, "u", masks, []reg.Register{zp, cp, hp}, body)
}

// gateAt addresses gate block i (0…3) of a row of gates u floats apart, from p: ub is u in
// bytes and ub3 3u (needed for block 3 only).
func gateAt(p, ub, ub3 reg.Register, i int) Mem {
	switch i {
	case 0:
		return Mem{Base: p}
	case 3:
		return Mem{Base: p, Index: ub3, Scale: 1}
	}
	return Mem{Base: p, Index: ub, Scale: uint8(i)}
}

// lstmGates emits the gate math of lstmCell on the pre-activations gate(0…3) (i, f, g, o),
// with the cell state at c (read, then written) and the output written at h, under mask k
// when not nil. One gate at a time, so that few values are live at once.
func (g v) lstmGates(gate func(int) vec, c, h Mem, k reg.OpmaskVirtual) {
	g.lstmGatesWith(gate, c, h, k, func() {})
}

// lstmGatesWith is lstmGates calling between() after each of its first four steps (the
// lstmStep pipeline emits rows of the next block's product there).
func (g v) lstmGatesWith(gate func(int) vec, c, h Mem, k reg.OpmaskVirtual, between func()) {
	ig := g.sigmoidGate(gate(0))
	between()
	gg := g.tanhGate(gate(2))
	in := g.mul(ig, gg)
	between()
	fg := g.sigmoidGate(gate(1))
	cn := g.add(g.mul(fg, g.loadAt(c, k)), in)
	between()
	og := g.sigmoidGate(gate(3))
	between()
	hn := g.mul(og, g.tanhGate(cn))
	g.storeAt(cn, c, k)
	g.storeAt(hn, h, k)
}

// lstmStep emits one LSTM step of one row with Keras' default activations, the recurrent
// product fused in: for each block of 32 units (then of 16), the gates' pre-activations
// start from z (the input projection with its bias, [i | f | g | o], 4u values) and
// accumulate h[k]·w[k][…] one FMA each; then lstmGates writes c and hNew (h is read whole by
// every block, so the new state goes elsewhere). w is the recurrent kernel [u, 4u] in the
// step layout (runtime/vmath.go's stepIndex): block by block, each block's rows k one after
// the other, a row holding the block's units of the four gates, so that a step reads w as
// one stream (a 32-unit block's row is 512 bytes; the 16-unit block's, 256, is last).
// The Go driver passes the pointers of the first block to run and, for w and h, of the
// first k to read, with the byte steps between the 32-unit blocks' rows of w (±512), values
// of h (±4) and 16-unit blocks of z, c and hNew (±64): k runs up or down, and so do the
// blocks (down only when u is a multiple of 32; the 16-unit block runs up). Either way the
// next block's first row follows the last row read. u must be a multiple of 16. As
// lstmStepGo in runtime/vmath.go, bit for bit (NaN aside); z is left holding the
// pre-activations.
//
// At batch 1 a step is bound by streaming w from L2, and the gate math would wait for it:
// the 32-unit blocks run as a pipeline, the gate math of one block (its pre-activations
// parked in z) interleaved with the first lstmStepPipeRows rows of the next block's product;
// and every other step runs backwards, to start on the rows still in L1.
func lstmStep(g v) {
	fn := "lstmStep" + g.suffix()
	TEXT(fn, NOSPLIT, "func(z *float32, w *float32, h *float32, hNew *float32, c *float32, u int, wRow int, hStep int, block int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s runs one LSTM step of one row, h·w included (see lstmStepGo).", fn))
	zp := Load(Param("z"), GP64())
	wp := Load(Param("w"), GP64())
	np := Load(Param("hNew"), GP64())
	cp := Load(Param("c"), GP64())
	ub := Load(Param("u"), GP64())
	SHLQ(Imm(2), ub) // u in bytes: one gate block
	ub3 := GP64()
	LEAQ(Mem{Base: ub, Index: ub, Scale: 2}, ub3)
	row := Load(Param("wRow"), GP64())
	hs := Load(Param("hStep"), GP64())
	step := Load(Param("block"), GP64())
	n := Load(Param("u"), GP64())
	at := func(p reg.Register, i int) Mem { return gateAt(p, ub, ub3, i) }
	// start returns a block's accumulators, loaded from z, and the w and h pointers of its
	// first row.
	start := func(g v) (acc [4]vec, wk, hk reg.GPVirtual) {
		for i := range acc {
			acc[i] = g.loadAt(at(zp, i), nil)
		}
		wk, hk = GP64(), GP64()
		MOVQ(wp, wk)
		Load(Param("h"), hk)
		return acc, wk, hk
	}
	// rows emits count rows of a block's product, unrolled: a row of w holds the block's
	// units of gate i at byte 64·width·i.
	rows := func(acc [4]vec, wk, hk reg.GPVirtual, count int) {
		width := len(acc[0])
		for range count {
			hb := g.one()
			VBROADCASTSS(Mem{Base: hk}, hb)
			for i := range acc {
				for l, a := range acc[i] {
					VFMADD231PS(Mem{Base: wk}.Offset(64*(width*i+l)), hb, a)
				}
			}
			if width == 1 {
				ADDQ(U32(4*16*4), wk) // the 16-unit block runs up
			} else {
				ADDQ(row, wk)
			}
			ADDQ(hs, hk)
		}
	}
	// loop emits the rows of a block's product from row first on, in a loop.
	loop := func(label string, acc [4]vec, wk, hk reg.GPVirtual, first int) {
		kc := Load(Param("u"), GP64())
		if first > 0 {
			SUBQ(Imm(uint64(first)), kc)
		}
		Label(label)
		rows(acc, wk, hk, 1)
		DECQ(kc)
		JNZ(LabelRef(label))
	}
	// advance moves on to the next block: z, c and hNew by its units, w to the row after
	// the last one the block read (wk).
	advance := func(g v, wk reg.GPVirtual) {
		for range g.width() {
			for _, r := range []reg.Register{zp, cp, np} {
				ADDQ(step, r)
			}
		}
		MOVQ(wk, wp)
		SUBQ(Imm(uint64(16*g.width())), n)
	}
	park := func(acc [4]vec) {
		for i := range acc {
			g.storeAt(acc[i], at(zp, i), nil)
		}
	}
	parked := func(pz reg.GPVirtual) func(int) vec {
		return func(i int) vec { return g.loadAt(at(pz, i), nil) }
	}

	wide := uint64(16 * g.width())
	pz, pc, pn := GP64(), GP64(), GP64() // the parked block's z, c and hNew
	CMPQ(n, Imm(wide))
	JL(LabelRef(fn + "_loop"))
	Comment("The first wide block: its product, parked in z.")
	acc, wk, hk := start(g)
	// parkBlock parks a wide block's pre-activations and moves on to the next block.
	parkBlock := func(acc [4]vec, wk reg.GPVirtual) {
		park(acc)
		MOVQ(zp, pz)
		MOVQ(cp, pc)
		MOVQ(np, pn)
		advance(g, wk)
	}
	loop(fn+"_first_k", acc, wk, hk, 0)
	parkBlock(acc, wk)
	Label(fn + "_pipe")
	CMPQ(n, Imm(wide))
	JL(LabelRef(fn + "_drain"))
	Comment("The parked block's gates, interleaved with the first rows of this block's product.")
	acc, wk, hk = start(g)
	g.lstmGatesWith(parked(pz), Mem{Base: pc}, Mem{Base: pn}, nil, func() { rows(acc, wk, hk, lstmStepPipeRows/4) })
	loop(fn+"_pipe_k", acc, wk, hk, lstmStepPipeRows)
	parkBlock(acc, wk)
	JMP(LabelRef(fn + "_pipe"))
	Label(fn + "_drain")
	g.lstmGates(parked(pz), Mem{Base: pc}, Mem{Base: pn}, nil)

	Comment("16-unit blocks, one at a time.")
	g1 := v{z: g.z}
	Label(fn + "_loop")
	CMPQ(n, Imm(16))
	JL(LabelRef(fn + "_done"))
	acc1, wk1, hk1 := start(g1)
	loop(fn+"_loop_k", acc1, wk1, hk1, 0)
	g1.lstmGates(func(i int) vec { return acc1[i] }, Mem{Base: cp}, Mem{Base: np}, nil)
	park(acc1)
	advance(g1, wk1)
	JMP(LabelRef(fn + "_loop"))
	Label(fn + "_done")
	VZEROUPPER()
	RET()
}

// lstmStepPipeRows is how many rows of a block's product lstmStep interleaves with the gate
// math of the block before (a multiple of 4, below 32: the wide blocks need u ≥ 32).
const lstmStepPipeRows = 16

// kernel emits an element-wise kernel {name}{AVX2,AVX512}(x, n): body on bundles of g's width
// in vectors while they last, then one vector at a time, then (AVX-512) the last n mod 16
// values under a mask. Every value goes through the same instructions in any of the three.
func kernel(name, what string, body func(v, vec) vec, g v, masks Mem) {
	suffix := "AVX2"
	if g.z {
		suffix = "AVX512"
	}
	fn := name + suffix
	TEXT(fn, NOSPLIT, "func(x *float32, n int)")
	Pragma("noescape")
	if g.z {
		Doc(fmt.Sprintf("%s sets x[i] = %s for i < n, as %sf in vmath.go does.", fn, what, name))
	} else {
		Doc(fmt.Sprintf("%s sets x[i] = %s for i < n &^ 7, as %sf in vmath.go does.", fn, what, name))
	}
	p := Load(Param("x"), GP64())
	g.rowLoop(fn, "n", masks, []reg.Register{p}, func(g v, k reg.OpmaskVirtual) {
		g.storeAt(body(g, g.loadAt(Mem{Base: p}, k)), Mem{Base: p}, k)
	})
}
