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
	for r := 2; r <= maxRows; r++ {
		for v := 1; v <= maxAccs/r; v++ {
			rowsKernel(r, v)
		}
		for q := 1; q <= maxAccs/(2*r); q++ {
			rowsPanelKernel(r, q)
		}
	}
	Generate()
}

// maxRows is the most rows of A the many-row kernels take (2…4), maxAccs their accumulators:
// r rows of v vectors, r·v ≤ 24, besides r broadcasts and one vector of B.
const (
	maxRows = 4
	maxAccs = 24
)

// rowsKernel writes gemvRowsAVX512_{r}x{v}: gemvAVX512_{v} for r rows of A (lda apart) and of c
// (ldc apart) at once, each row summed exactly as the one-row kernel sums it (from c under acc,
// else from zero; then a[p]·B[p, j] in p order), so that a row's bits do not depend on how
// many rows share a call; each row of B is read once for all r rows.
func rowsKernel(r, v int) {
	name := fmt.Sprintf("gemvRowsAVX512_%dx%d", r, v)
	TEXT(name, NOSPLIT, "func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool, mask uint16)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets (or adds to, under acc) %d columns of %d rows of c (ldc apart) the", name, 16*v, r),
		fmt.Sprintf("products of %d rows of A (lda apart) and k rows of B, the last 16 columns masked, each row", r),
		"summed as gemvAVX512 sums it. Strides are in elements.")
	ld := mem.Arg
	k, a, lda, b, ldb, c, ldc := ld("k"), ld("a"), ld("lda"), ld("b"), ld("ldb"), ld("c"), ld("ldc")
	SHLQ(Imm(2), lda)
	SHLQ(Imm(2), ldb)
	SHLQ(Imm(2), ldc)
	m := GP32()
	Load(Param("mask"), m)
	tail := K()
	KMOVW(m, tail)
	masked := func(i int) *reg.OpmaskVirtual {
		if i == v-1 {
			return &tail
		}
		return nil
	}
	accs, rowsC := rowAccs(r, v, c, ldc)
	startRows(accs, rowsC, masked)
	rowsLoop(k, rowBases(r, a, lda), accs, func(h int, t reg.VecVirtual) {
		addr := Mem{Base: b}.Offset(64 * h)
		if h == v-1 {
			VMOVUPS_Z(addr, tail, t)
		} else {
			VMOVUPS(addr, t)
		}
	}, func() { ADDQ(ldb, b) })
	storeRows(accs, rowsC, masked)
}

// rowsPanelKernel writes gemvRowsPanelsAVX512_{r}x{q}: gemvPanelsAVX512_{q} for r rows of A and
// of c at once, each row summed as the one-row kernel sums it.
func rowsPanelKernel(r, q int) {
	name := fmt.Sprintf("gemvRowsPanelsAVX512_%dx%d", r, q)
	TEXT(name, NOSPLIT, "func(k int, a *float32, lda int, b *float32, pstride int, c *float32, ldc int, acc bool)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s sets (or adds to, under acc) %d columns of %d rows of c (ldc apart) the", name, 32*q, r),
		fmt.Sprintf("products of %d rows of A (lda apart) and k rows of %d full 32-column panels of B, pstride", r, q),
		"elements apart, each row summed as gemvPanelsAVX512 sums it. Strides are in elements.")
	ld := mem.Arg
	k, a, lda, c, ldc := ld("k"), ld("a"), ld("lda"), ld("c"), ld("ldc")
	SHLQ(Imm(2), lda)
	SHLQ(Imm(2), ldc)
	ps := ld("pstride")
	SHLQ(Imm(2), ps)
	// One base per panel.
	base := []reg.GPVirtual{ld("b")}
	for j := 1; j < q; j++ {
		base = append(base, GP64())
		LEAQ(Mem{Base: base[j-1], Index: ps, Scale: 1}, base[j])
	}
	accs, rowsC := rowAccs(r, 2*q, c, ldc)
	none := func(int) *reg.OpmaskVirtual { return nil }
	startRows(accs, rowsC, none)
	rowsLoop(k, rowBases(r, a, lda), accs, func(h int, t reg.VecVirtual) {
		VMOVUPS(Mem{Base: base[h/2]}.Offset(64*(h%2)), t)
	}, func() {
		for _, p := range base {
			ADDQ(Imm(128), p)
		}
	})
	storeRows(accs, rowsC, none)
}

// rowsLoop is a many-row kernel's loop over k: per step it broadcasts each row's element of A,
// loads B's h-th vector (load) into one register and multiplies it into every row's h-th
// accumulator, then moves A's rows on by one element and B by a row (next).
func rowsLoop(k reg.GPVirtual, aRows []reg.GPVirtual, accs [][]reg.VecVirtual, load func(h int, t reg.VecVirtual), next func()) {
	TESTQ(k, k)
	JEQ(LabelRef("store"))
	Label("loop")
	x := broadcastRows(aRows)
	for h := range accs[0] {
		t := ZMM()
		load(h, t)
		for i := range accs {
			VFMADD231PS(t, x[i], accs[i][h])
		}
	}
	for _, p := range aRows {
		ADDQ(Imm(4), p)
	}
	next()
	DECQ(k)
	JNE(LabelRef("loop"))
}

// rowAccs returns r rows of v accumulators and a pointer to each row of c (ldc bytes apart from
// c).
func rowAccs(r, v int, c, ldc reg.GPVirtual) ([][]reg.VecVirtual, []reg.GPVirtual) {
	accs := make([][]reg.VecVirtual, r)
	rows := []reg.GPVirtual{c}
	for i := range accs {
		for range v {
			accs[i] = append(accs[i], ZMM())
		}
		if i > 0 {
			p := GP64()
			LEAQ(Mem{Base: rows[i-1], Index: ldc, Scale: 1}, p)
			rows = append(rows, p)
		}
	}
	return accs, rows
}

// rowBases returns a pointer to each of r rows of A, lda bytes apart from a.
func rowBases(r int, a, lda reg.GPVirtual) []reg.GPVirtual {
	rows := []reg.GPVirtual{a}
	for i := 1; i < r; i++ {
		p := GP64()
		LEAQ(Mem{Base: rows[i-1], Index: lda, Scale: 1}, p)
		rows = append(rows, p)
	}
	return rows
}

// broadcastRows broadcasts the current element of each row of A into a register.
func broadcastRows(aRows []reg.GPVirtual) []reg.VecVirtual {
	x := make([]reg.VecVirtual, len(aRows))
	for i, p := range aRows {
		x[i] = ZMM()
		VBROADCASTSS(Mem{Base: p}, x[i])
	}
	return x
}

// startRows is startC for many rows: each row's accumulators from its row of c under acc, else
// zero.
func startRows(accs [][]reg.VecVirtual, rows []reg.GPVirtual, mask func(i int) *reg.OpmaskVirtual) {
	flag := GP8()
	Load(Param("acc"), flag)
	TESTB(flag, flag)
	JEQ(LabelRef("zero"))
	for i, row := range accs {
		loadVecs(row, rows[i], mask)
	}
	JMP(LabelRef("started"))
	Label("zero")
	for _, row := range accs {
		for _, v := range row {
			VPXORD(v, v, v)
		}
	}
	Label("started")
}

// storeRows is storeC for many rows.
func storeRows(accs [][]reg.VecVirtual, rows []reg.GPVirtual, mask func(i int) *reg.OpmaskVirtual) {
	Label("store")
	for i, row := range accs {
		storeVecs(row, rows[i], mask)
	}
	VZEROUPPER()
	RET()
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
	loadVecs(accs, c, mask)
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
	storeVecs(accs, c, mask)
	VZEROUPPER()
	RET()
}

// loadVecs loads vectors of c (64 bytes apart from c) into accs, vector i masked by mask(i)
// when that is not nil.
func loadVecs(accs []reg.VecVirtual, c reg.GPVirtual, mask func(i int) *reg.OpmaskVirtual) {
	for i, v := range accs {
		if m := mask(i); m != nil {
			VMOVUPS_Z(Mem{Base: c}.Offset(64*i), *m, v)
		} else {
			VMOVUPS(Mem{Base: c}.Offset(64*i), v)
		}
	}
}

// storeVecs stores accs into c's vectors, vector i masked by mask(i) when that is not nil.
func storeVecs(accs []reg.VecVirtual, c reg.GPVirtual, mask func(i int) *reg.OpmaskVirtual) {
	for i := range accs {
		if m := mask(i); m != nil {
			VMOVUPS(accs[i], *m, Mem{Base: c}.Offset(64*i))
		} else {
			VMOVUPS(accs[i], Mem{Base: c}.Offset(64*i))
		}
	}
}
