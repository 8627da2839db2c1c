// Command gemv generates kerasgen's amd64 one-row matrix product kernels
// (Plan9 assembly) with avo: c = a·B for a single row a, the batch-1 case of
// a Dense layer or a recurrent step. Regenerate with
//
//	cd asm && go run ./gemv -out ../runtime/gemv_amd64.s -stubs ../runtime/gemv_stubs_amd64.go
//
// gemvAVX512_{v} (v = 1…16) computes v·16 columns of
//
//	c[j] = (acc ? c[j] : 0) + Σ_p a[p]·B[p, j]
//
// with one ZMM accumulator per 16 columns, for all k rows of B (row stride
// ldb elements): each step broadcasts a[p] and reads one contiguous row
// segment of B, so B streams through memory in order (the hardware
// prefetchers follow it), where the tiled kernels walk B down 32-column
// panels. mask selects the columns of the last vector (bit j for its column
// j); loads of B and c and stores of c are masked with it, so nothing past
// the v·16 - 16 + popcount(mask) columns is read or written.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/kerasgen/kerasgen/asm/internal/setup"
)

const maxVecs = 16

func main() {
	setup.Runtime()
	for v := 1; v <= maxVecs; v++ {
		kernel(v)
	}
	Generate()
}

func kernel(v int) {
	name := fmt.Sprintf("gemvAVX512_%d", v)
	TEXT(name, NOSPLIT, "func(k int, a *float32, b *float32, ldb int, c *float32, acc bool, mask uint16)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets (or adds to, under acc) %d columns of c the product of the row a", name, 16*v),
		"and k rows of B, the last 16 masked. ldb is in elements.")
	ld := func(name string) reg.GPVirtual {
		r := GP64()
		Load(Param(name), r)
		return r
	}
	k, a, b, ldb, c := ld("k"), ld("a"), ld("b"), ld("ldb"), ld("c")
	SHLQ(Imm(2), ldb)
	m := GP32()
	Load(Param("mask"), m)
	tail := K()
	KMOVW(m, tail)

	accs := make([]reg.VecVirtual, v)
	for i := range accs {
		accs[i] = ZMM()
		VPXORD(accs[i], accs[i], accs[i])
	}
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

	Label("store")
	flag := GP8()
	Load(Param("acc"), flag)
	TESTB(flag, flag)
	JEQ(LabelRef("write"))
	for i := range accs {
		t := ZMM()
		loadB(i, t, Mem{Base: c})
		VADDPS(t, accs[i], accs[i])
	}
	Label("write")
	for i := range accs {
		if i == v-1 {
			VMOVUPS(accs[i], tail, Mem{Base: c}.Offset(64*i))
		} else {
			VMOVUPS(accs[i], Mem{Base: c}.Offset(64*i))
		}
	}
	VZEROUPPER()
	RET()
}
