// Command asm generates kerasgen's amd64 GEMM micro-kernels (Plan9 assembly)
// with avo. It is a separate module so that users of kerasgen never depend
// on avo; the generated files are checked in under runtime/. Regenerate with
//
//	cd asm && go run ./gemm -out ../runtime/gemm_amd64.s -stubs ../runtime/gemm_stubs_amd64.go
//
// Every kernel updates a tile of C (row-major, row stride ldc elements) with
// the product of an r×k block of A (row stride lda) and a k×w block of B
// (row stride ldb), all unpacked:
//
//	C[i, j] = (acc ? C[i, j] : 0) + Σ_p A[i, p]·B[p, j]
//
// The tile stays in vector registers across the whole k loop; each step
// loads one row of the B tile and broadcasts one element of A per row. The
// accumulators start from zero (C's rows are prefetched meanwhile) and C's
// old value is added at the end under acc, so a tile of C that has fallen
// out of cache does not stall the start of the loop.
//
//   - gemmAVX2_{r}x16 (r = 1…6): 16 columns as two YMM per row, 12 YMM
//     accumulators at r = 6. Full width only: the Go driver handles the
//     n mod 16 columns.
//   - gemmAVX512_{r}x32 (r = 1…12): 32 columns as two ZMM per row, 24 ZMM
//     accumulators at r = 12. mask selects the columns (bit j for column j):
//     loads of B and C and stores of C are masked, so any width 1…32 works
//     and nothing outside the tile is read or written.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/kerasgen/kerasgen/asm/internal/setup"
)

const (
	avx2Rows   = 6
	avx512Rows = 12
)

func main() {
	setup.Runtime()
	for r := 1; r <= avx2Rows; r++ {
		kernel(r, false)
	}
	for r := 1; r <= avx512Rows; r++ {
		kernel(r, true)
	}
	Generate()
}

// aRows returns the address of element p of each of the r rows of A, given
// one base register per group of four rows and lda, 3·lda in bytes.
func aRows(r int, base []reg.GPVirtual, lda, lda3 reg.GPVirtual) []Mem {
	m := make([]Mem, r)
	for i := range m {
		b := base[i/4]
		switch i % 4 {
		case 0:
			m[i] = Mem{Base: b}
		case 1:
			m[i] = Mem{Base: b, Index: lda, Scale: 1}
		case 2:
			m[i] = Mem{Base: b, Index: lda, Scale: 2}
		case 3:
			m[i] = Mem{Base: b, Index: lda3, Scale: 1}
		}
	}
	return m
}

func kernel(r int, avx512 bool) {
	name := fmt.Sprintf("gemmAVX2_%dx16", r)
	sig := "func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool)"
	vecBytes := 32
	if avx512 {
		name = fmt.Sprintf("gemmAVX512_%dx32", r)
		sig = "func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool, mask uint32)"
		vecBytes = 64
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	if avx512 {
		Doc(fmt.Sprintf("%s adds (or stores, without acc) the product of %d rows of A and k rows of the", name, r),
			"masked columns of a 32-wide panel of B into C. Strides are in elements.")
	} else {
		Doc(fmt.Sprintf("%s adds (or stores, without acc) the product of %d rows of A and k rows of a", name, r),
			"16-wide panel of B into C. Strides are in elements.")
	}

	ld := func(name string) reg.GPVirtual {
		r := GP64()
		Load(Param(name), r)
		return r
	}
	k, lda, ldb, ldc := ld("k"), ld("lda"), ld("ldb"), ld("ldc")
	SHLQ(Imm(2), lda)
	SHLQ(Imm(2), ldb)
	SHLQ(Imm(2), ldc)
	lda3 := GP64()
	LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)

	var m0, m1 reg.OpmaskVirtual
	if avx512 {
		mask := GP32()
		Load(Param("mask"), mask)
		m0, m1 = K(), K()
		KMOVW(mask, m0)
		SHRL(Imm(16), mask)
		KMOVW(mask, m1)
	}
	newVec := func() reg.VecVirtual {
		if avx512 {
			return ZMM()
		}
		return YMM()
	}
	// load/store of the two vectors of a row of C or B.
	load := func(m Mem, half int, v reg.VecVirtual) {
		m = m.Offset(half * vecBytes)
		if avx512 {
			VMOVUPS_Z(m, []reg.OpmaskVirtual{m0, m1}[half], v)
		} else {
			VMOVUPS(m, v)
		}
	}
	store := func(v reg.VecVirtual, m Mem, half int) {
		m = m.Offset(half * vecBytes)
		if avx512 {
			VMOVUPS(v, []reg.OpmaskVirtual{m0, m1}[half], m)
		} else {
			VMOVUPS(v, m)
		}
	}

	accs := make([][2]reg.VecVirtual, r)
	for i := range accs {
		accs[i] = [2]reg.VecVirtual{newVec(), newVec()}
	}

	Comment("C tile: prefetch it (it is added at the end, under acc) and start from zero.")
	cp := ld("c")
	row := GP64()
	MOVQ(cp, row)
	for i := range accs {
		for _, off := range []int{0, vecBytes, 2*vecBytes - 1} {
			PREFETCHT0(Mem{Base: row, Disp: off})
		}
		if i < r-1 {
			ADDQ(ldc, row)
		}
	}
	for i := range accs {
		for h := 0; h < 2; h++ {
			if avx512 {
				VPXORD(accs[i][h], accs[i][h], accs[i][h]) // AVX512F (VXORPS on ZMM needs DQ)
			} else {
				VXORPS(accs[i][h], accs[i][h], accs[i][h])
			}
		}
	}

	Comment("A row pointers, one base per four rows.")
	nb := (r + 3) / 4
	base := make([]reg.GPVirtual, nb)
	base[0] = ld("a")
	for g := 1; g < nb; g++ {
		base[g] = GP64()
		LEAQ(Mem{Base: base[g-1], Index: lda, Scale: 4}, base[g])
	}
	bp := ld("b")
	am := aRows(r, base, lda, lda3)

	TESTQ(k, k)
	JEQ(LabelRef("store"))
	Label("loop")
	bv := [2]reg.VecVirtual{newVec(), newVec()}
	load(Mem{Base: bp}, 0, bv[0])
	load(Mem{Base: bp}, 1, bv[1])
	for i := 0; i < r; i++ {
		if avx512 {
			// Embedded broadcast: one load+FMA uop each, no broadcast uop.
			VFMADD231PS_BCST(am[i], bv[0], accs[i][0])
			VFMADD231PS_BCST(am[i], bv[1], accs[i][1])
			continue
		}
		t := newVec()
		VBROADCASTSS(am[i], t)
		VFMADD231PS(bv[0], t, accs[i][0])
		VFMADD231PS(bv[1], t, accs[i][1])
	}
	for g := range base {
		ADDQ(Imm(4), base[g])
	}
	ADDQ(ldb, bp)
	DECQ(k)
	JNE(LabelRef("loop"))

	Label("store")
	flag := GP8()
	Load(Param("acc"), flag)
	TESTB(flag, flag)
	JEQ(LabelRef("write"))
	MOVQ(cp, row)
	for i := range accs {
		for h := 0; h < 2; h++ {
			t := newVec()
			load(Mem{Base: row}, h, t)
			VADDPS(t, accs[i][h], accs[i][h])
		}
		if i < r-1 {
			ADDQ(ldc, row)
		}
	}
	Label("write")
	for i := range accs {
		for h := 0; h < 2; h++ {
			store(accs[i][h], Mem{Base: cp}, h)
		}
		if i < r-1 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
}
