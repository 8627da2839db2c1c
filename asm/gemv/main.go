// Command gemv generates kerasgen's amd64 one-row matrix product kernels
// (Plan9 assembly) with avo: c = a·B for a single row a, the batch-1 case of
// a Dense layer or a recurrent step. Regenerate with
//
//	cd asm && go run ./gemv -out ../runtime/gemv_amd64.s -stubs ../runtime/gemv_stubs_amd64.go
//
// gemvAVX512_{v} (v = 1…24) computes v·16 columns of
//
//	c[j] = (acc ? c[j] : 0) + Σ_p a[p]·B[p, j]   (the sum from c[j] on: c[j] + a[0]·B[0, j] + …)
//
// with one ZMM accumulator per 16 columns, for all k rows of B (row stride
// ldb elements): each step broadcasts a[p] and reads one contiguous row
// segment of B, so B streams through memory in order (the hardware
// prefetchers follow it), where the tiled kernels walk B down 32-column
// panels. mask selects the columns of the last vector (bit j for its column
// j); loads of B and c and stores of c are masked with it, so nothing past
// the v·16 - 16 + popcount(mask) columns is read or written.
//
// gemvPanelsAVX512_{q} (q = 1…8) computes the same for q·32 columns of a B in
// panel layout (runtime/panels.go): q full 32-column panels, pstride elements
// apart, each k rows of 32 contiguous floats. Each step reads one row of each
// panel, so the q panels stream in order side by side.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/kerasgen/kerasgen/asm/internal/mem"
	"github.com/kerasgen/kerasgen/asm/internal/setup"
)

const (
	// maxVecs: up to 384 columns in one pass, so that a recurrent step's product with a
	// plain U (a GRU's 3·128 columns) reads each row of U whole, U one stream in order.
	maxVecs   = 24
	maxPanels = 8
)

func main() {
	setup.Runtime()
	for v := 1; v <= maxVecs; v++ {
		kernel(v)
	}
	for q := 1; q <= maxPanels; q++ {
		panelKernel(q)
	}
	Generate()
}

func panelKernel(q int) {
	name := fmt.Sprintf("gemvPanelsAVX512_%d", q)
	TEXT(name, NOSPLIT, "func(k int, a *float32, b *float32, pstride int, c *float32, acc bool)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets (or adds to, under acc) %d columns of c the product of the row a", name, 32*q),
		fmt.Sprintf("and k rows of %d full 32-column panels of B, pstride elements apart.", q))
	ld := mem.Arg
	k, a, c := ld("k"), ld("a"), ld("c")
	ps := ld("pstride")
	SHLQ(Imm(2), ps)
	ps3 := GP64()
	LEAQ(Mem{Base: ps, Index: ps, Scale: 2}, ps3)
	// One base per four panels: panel j at base[j/4] + (j%4)·pstride.
	base := []reg.GPVirtual{ld("b")}
	if q > 4 {
		base = append(base, GP64())
		LEAQ(Mem{Base: base[0], Index: ps, Scale: 4}, base[1])
	}
	panel := func(j int) Mem {
		b := base[j/4]
		switch j % 4 {
		case 1:
			return Mem{Base: b, Index: ps, Scale: 1}
		case 2:
			return Mem{Base: b, Index: ps, Scale: 2}
		case 3:
			return Mem{Base: b, Index: ps3, Scale: 1}
		}
		return Mem{Base: b}
	}
	accs := make([]reg.VecVirtual, 2*q)
	for i := range accs {
		accs[i] = ZMM()
	}
	startC(accs, c, func(int) *reg.OpmaskVirtual { return nil })
	TESTQ(k, k)
	JEQ(LabelRef("store"))
	Label("loop")
	x := ZMM()
	VBROADCASTSS(Mem{Base: a}, x)
	for i := range accs {
		t := ZMM()
		VMOVUPS(panel(i/2).Offset(64*(i%2)), t)
		VFMADD231PS(t, x, accs[i])
	}
	ADDQ(Imm(4), a)
	for _, b := range base {
		ADDQ(Imm(128), b)
	}
	DECQ(k)
	JNE(LabelRef("loop"))

	storeC(accs, c, func(int) *reg.OpmaskVirtual { return nil })
}

func kernel(v int) {
	name := fmt.Sprintf("gemvAVX512_%d", v)
	TEXT(name, NOSPLIT, "func(k int, a *float32, b *float32, ldb int, c *float32, acc bool, mask uint16)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets (or adds to, under acc) %d columns of c the product of the row a", name, 16*v),
		"and k rows of B, the last 16 masked. ldb is in elements.")
	ld := mem.Arg
	k, a, b, ldb, c := ld("k"), ld("a"), ld("b"), ld("ldb"), ld("c")
	SHLQ(Imm(2), ldb)
	m := GP32()
	Load(Param("mask"), m)
	tail := K()
	KMOVW(m, tail)

	accs := make([]reg.VecVirtual, v)
	for i := range accs {
		accs[i] = ZMM()
	}
	startC(accs, c, func(i int) *reg.OpmaskVirtual {
		if i == v-1 {
			return &tail
		}
		return nil
	})
	loadB := func(i int, dst reg.VecVirtual, addr Mem) {
		addr = addr.Offset(64 * i)
		if i == v-1 {
			VMOVUPS_Z(addr, tail, dst)
		} else {
			VMOVUPS(addr, dst)
		}
	}
	TESTQ(k, k)
	JEQ(LabelRef("store"))
	Label("loop")
	x := ZMM()
	VBROADCASTSS(Mem{Base: a}, x)
	for i := range accs {
		t := ZMM()
		loadB(i, t, Mem{Base: b})
		VFMADD231PS(t, x, accs[i])
	}
	ADDQ(Imm(4), a)
	ADDQ(ldb, b)
	DECQ(k)
	JNE(LabelRef("loop"))

	storeC(accs, c, func(i int) *reg.OpmaskVirtual {
		if i == v-1 {
			return &tail
		}
		return nil
	})
}

// startC starts a kernel's accumulators from c's vectors under acc (the sum then runs from
// c's old value on, as the GEMM kernels' does from a bias row: runtime's gemv drivers start
// c from a clamp-form epilogue's bias), else from zero; vector i masked by mask(i) when that
// is not nil.
func startC(accs []reg.VecVirtual, c reg.GPVirtual, mask func(i int) *reg.OpmaskVirtual) {
	flag := GP8()
	Load(Param("acc"), flag)
	TESTB(flag, flag)
	JEQ(LabelRef("zero"))
	for i, v := range accs {
		if m := mask(i); m != nil {
			VMOVUPS_Z(Mem{Base: c}.Offset(64*i), *m, v)
		} else {
			VMOVUPS(Mem{Base: c}.Offset(64*i), v)
		}
	}
	JMP(LabelRef("started"))
	Label("zero")
	for _, v := range accs {
		VPXORD(v, v, v)
	}
	Label("started")
}

// storeC ends a kernel: c's vectors get the accumulators, vector i masked by mask(i) when
// that is not nil.
func storeC(accs []reg.VecVirtual, c reg.GPVirtual, mask func(i int) *reg.OpmaskVirtual) {
	Label("store")
	for i := range accs {
		if m := mask(i); m != nil {
			VMOVUPS(accs[i], *m, Mem{Base: c}.Offset(64*i))
		} else {
			VMOVUPS(accs[i], Mem{Base: c}.Offset(64*i))
		}
	}
	VZEROUPPER()
	RET()
}
