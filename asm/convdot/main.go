// Command convdot generates kerasgen's amd64 one-output-channel convolution kernels (Plan9
// assembly) with avo. Regenerate with
//
//	cd asm && go run ./convdot -out ../runtime/convdot_amd64.s -stubs ../runtime/convdot_stubs_amd64.go
//
// A convolution to one output channel is a dot product per output pixel: its taps' input
// values against the kernel's. The tiled conv kernels (asm/gemm) vectorize across output
// channels, so for one channel they multiply on one lane of eight; these vectorize along
// each pixel's taps instead, sixteen input values at a time.
//
// convDotAVX512_{r} (r = 1…16) sets, for the r output pixels i < r,
//
//	c[i·ldc] = Σ_t Σ_{j<k} a[i·lda + offs[t] + j] · b[t·k + j]
//
// (strides and offsets in elements; b is the kernel's taps·k values in tap order). Each
// pixel keeps one ZMM of sums: lane l adds the products j ≡ l mod 16, tap after tap, the
// last k mod 16 of each tap under a mask (nothing past a tap's k values is read); then the
// lanes are summed by halves (lanes 0–7 plus 8–15, then 0–3 plus 4–7, 0–1 plus 2–3, 0 plus
// 1). The kernel is shared by every pixel of a tap's row in the block: one load of b per
// sixteen values serves the r pixels.
//
// dotRows{4,8,16}AVX512(a, w, c, groups) set c[i] = Σ_{j<k} a[i·k + j]·w[j] for 16·groups
// contiguous rows of k = 4, 8 or 16 values (a one-output-channel 1×1 convolution over few
// channels, a segmentation head), w being the k weights repeated to 16 values. A row of so
// few values wastes most of convDot's lanes and pays its lanes' reduction alone; these load
// sixteen rows as k full ZMMs, multiply them by w and reduce them together, transposing as
// they add (sums of 128-bit lanes by VSHUFF32X4, of pairs within lanes by VSHUFPS), so that
// one vector of the sixteen rows' sums comes out, put in row order by one VPERMPS. Each row's
// sum is q_j = p_j + p_{j+8} (k = 16 only), s_j = q_j + q_{j+4} (k ≥ 8), then
// (s_0 + s_1) + (s_2 + s_3), the order runtime's dotRowsGo follows.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/kerasgen/kerasgen/asm/internal/mem"
	"github.com/kerasgen/kerasgen/asm/internal/setup"
)

// maxPixels is the tallest kernel: r accumulators, the kernel's vector and the reduction's
// temporaries stay well inside the 32 ZMM registers.
const maxPixels = 16

func main() {
	setup.Runtime()
	for r := 1; r <= maxPixels; r++ {
		kernel(r)
	}
	order := dotRowsOrder()
	for _, k := range []int{4, 8, 16} {
		dotRows(k, order)
	}
	Generate()
}

func kernel(r int) {
	name := fmt.Sprintf("convDotAVX512_%d", r)
	TEXT(name, NOSPLIT, "func(taps int, offs *int, k int, a *float32, lda int, b *float32, c *float32, ldc int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets c[i·ldc], i < %d, to the dot product of output pixel i's taps (k values", name, r),
		"from a[i·lda + offs[t]] for each tap t) with the kernel b (taps·k values). Strides and",
		"offsets in elements.")
	ld := mem.Arg
	taps, offs, bp := ld("taps"), ld("offs"), ld("b")
	lda := ld("lda")
	SHLQ(Imm(2), lda)
	acc := make([]reg.VecVirtual, r)
	for i := range acc {
		acc[i] = ZMM()
		VPXORD(acc[i], acc[i], acc[i])
	}
	// Pixels 0…7 from base[0], 8…15 from base[1] = base[0] + 8·lda.
	st := mem.PixelStrides(min(r, 9), lda)
	tail := K()
	TESTQ(taps, taps)
	JEQ(LabelRef("reduce"))

	Label("tap")
	base := []reg.GPVirtual{ld("a")}
	off := GP64()
	MOVQ(Mem{Base: offs}, off)
	LEAQ(Mem{Base: base[0], Index: off, Scale: 4}, base[0])
	if r > 8 {
		base = append(base, GP64())
		LEAQ(st.At(base[0], 8), base[1])
	}
	pixel := func(i int) Mem { return st.At(base[i/8], i%8) }
	k := ld("k")
	Comment("Full blocks of sixteen values: the kernel's once, each pixel's from memory.")
	Label("full")
	CMPQ(k, Imm(16))
	JLT(LabelRef("part"))
	w := ZMM()
	VMOVUPS(Mem{Base: bp}, w)
	for i := range acc {
		VFMADD231PS(pixel(i), w, acc[i])
	}
	ADDQ(Imm(64), bp)
	for _, b := range base {
		ADDQ(Imm(64), b)
	}
	SUBQ(Imm(16), k)
	JMP(LabelRef("full"))

	Label("part")
	Comment("The tap's last k mod 16 values, masked: the other lanes keep their sums.")
	TESTQ(k, k)
	JEQ(LabelRef("next"))
	bits := GP32()
	MOVL(U32(1), bits)
	SHLXL(k.As32(), bits, bits)
	DECL(bits)
	KMOVW(bits, tail)
	wt := ZMM()
	VMOVUPS_Z(Mem{Base: bp}, tail, wt)
	for i := range acc {
		x := ZMM()
		VMOVUPS_Z(pixel(i), tail, x)
		VFMADD231PS(x, wt, acc[i])
	}
	LEAQ(Mem{Base: bp, Index: k, Scale: 4}, bp)

	Label("next")
	ADDQ(Imm(8), offs)
	DECQ(taps)
	JNE(LabelRef("tap"))

	Label("reduce")
	Comment("Each pixel's lanes summed by halves, stored one ldc apart.")
	cp, ldc := ld("c"), ld("ldc")
	SHLQ(Imm(2), ldc)
	for i, a := range acc {
		y := YMM()
		VEXTRACTF64X4(Imm(1), a, y)
		VADDPS(y, a.AsY(), y)
		x := XMM()
		VEXTRACTF32X4(Imm(1), y, x)
		VADDPS(x, y.AsX(), x)
		h := XMM()
		VPERMILPS(Imm(0x4e), x, h) // lanes 2, 3 onto 0, 1
		VADDPS(h, x, x)
		VPERMILPS(Imm(0xb1), x, h) // lane 1 onto 0
		VADDSS(h, x, x)
		VMOVSS(x, Mem{Base: cp})
		if i < r-1 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
}

// dotRows emits dotRows{k}AVX512 (see the file comment).
func dotRows(k int, order Mem) {
	name := fmt.Sprintf("dotRows%dAVX512", k)
	TEXT(name, NOSPLIT, "func(a *float32, w *float32, c *float32, groups int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets c[i], i < 16·groups, to the dot product of row i of a (%d values, rows", name, k),
		fmt.Sprintf("contiguous) with w (its %d values repeated to 16).", k))
	ap, wp, cp, groups := mem.Arg("a"), mem.Arg("w"), mem.Arg("c"), mem.Arg("groups")
	w := ZMM()
	VMOVUPS(Mem{Base: wp}, w)
	// idx puts the last level's lanes in row order: its lane 4l+e holds row l+4e.
	idx := ZMM()
	VMOVUPS(order, idx)
	TESTQ(groups, groups)
	JLE(LabelRef(name + "_done"))
	Label(name + "_loop")
	vecs := k // ZMMs per 16 rows
	p := make([]reg.VecVirtual, vecs)
	for i := range p {
		p[i] = ZMM()
		VMULPS(Mem{Base: ap, Disp: 64 * i}, w, p[i])
	}
	// lanes combines pairs (a, b) of vectors by 128-bit lanes: lo·hi picks, as VSHUFF32X4's
	// immediate, the lanes of a for the result's first two and of b for its last two; the
	// result is the sum of the two picks.
	lanes := func(v []reg.VecVirtual, lo, hi uint8) []reg.VecVirtual {
		out := make([]reg.VecVirtual, len(v)/2)
		for i := range out {
			x, y := ZMM(), ZMM()
			VSHUFF32X4(Imm(uint64(lo)), v[2*i+1], v[2*i], x)
			VSHUFF32X4(Imm(uint64(hi)), v[2*i+1], v[2*i], y)
			out[i] = ZMM()
			VADDPS(y, x, out[i])
		}
		return out
	}
	// pairs combines pairs of vectors within 128-bit lanes: elements 0 and 2 of each lane of
	// a, then of b, plus elements 1 and 3.
	pairs := func(v []reg.VecVirtual) []reg.VecVirtual {
		out := make([]reg.VecVirtual, len(v)/2)
		for i := range out {
			x, y := ZMM(), ZMM()
			VSHUFPS(Imm(0x88), v[2*i+1], v[2*i], x)
			VSHUFPS(Imm(0xdd), v[2*i+1], v[2*i], y)
			out[i] = ZMM()
			VADDPS(y, x, out[i])
		}
		return out
	}
	if k == 16 {
		p = lanes(p, 0x44, 0xee) // 16 rows of 16 → 8 vectors of two rows' 8 sums q_j
	}
	if k >= 8 {
		p = lanes(p, 0x88, 0xdd) // → 4 vectors of four rows' 4 sums s_j, a row a lane
	}
	p = pairs(p) // → 2 vectors: (s0+s1, s2+s3) of rows l, l+4 | l+8, l+12 in lane l
	p = pairs(p) // → 1 vector: the sums of rows l, l+4, l+8, l+12 in lane l
	out := ZMM()
	VPERMPS(p[0], idx, out)
	VMOVUPS(out, Mem{Base: cp})
	ADDQ(U32(uint32(64*vecs)), ap)
	ADDQ(Imm(64), cp)
	DECQ(groups)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// dotRowsOrder is the VPERMPS index that puts dotRows' last level in row order: row r is in
// lane 4·(r mod 4) + r/4.
func dotRowsOrder() Mem {
	m := GLOBL("dotRowsOrder", RODATA|NOPTR)
	for r := 0; r < 16; r++ {
		DATA(4*r, U32(uint32(4*(r%4)+r/4)))
	}
	return m
}
