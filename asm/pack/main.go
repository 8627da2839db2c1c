// Command pack generates kerasgen's amd64 B-packing copies (Plan9 assembly) with avo.
// Regenerate with
//
//	cd asm && go run ./pack -out ../runtime/pack_amd64.s -stubs ../runtime/pack_stubs_amd64.go
//
// packPanels{32AVX512,16AVX2}(dst, src, rows, ldb, panels, pstride) copy rows rows of B (row
// stride ldb elements) into panels full panels of nr = 32 or 16 columns: row p's columns
// q·nr … q·nr+nr-1 go to dst[q·pstride + p·nr …], the layout the GEMM kernels read
// (runtime/pack_amd64.go's packB). They take the rows in groups of four: for each group, the
// panels in order, each getting the group's four panel rows (four runs of nr floats read,
// one run of 4·nr written); the rows past the last whole group one at a time the same way.
// Row by row (each source row scattered over all panels before the next) or panel by panel
// (each panel's rows gathered from the whole height of B) ran at 0.6× that rate at 512² and
// 1024² (BENCHMARKS.md, session 19).
//
// copyRowsAVX512(dst, ldd, src, lds, rows, n) copies rows rows of n floats, src's rows lds
// and dst's ldd elements apart: the per-pixel copies of a channel concatenation or a nearest
// upsampling, where a runtime.memmove call per row of a few dozen floats ran at a third of
// the memory's rate. Each row moves in ZMM loads and stores, the last n mod 16 floats under
// a mask, so nothing outside the rows is read or written.
//
// transpose8AVX(dst, ldd, src, lds, rows, cols) writes the transpose of src's rows×cols
// block (multiples of 8) into dst: GemmNT's B (attention's keys, 128×32 a head) turned into
// the k×n matrix the GEMM packs, where Go's element-by-element loop took a third of the
// product's time. Each 8×8 block is eight row loads, the classic 24 shuffles (unpack pairs
// of rows, shuffle fours, join 128-bit lanes) and eight stores; AVX, so both CPU levels use
// it. (Gathering each output row, 16 rows of a column a VGATHERDPS, ran at Go's rate.)
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/kerasgen/kerasgen/asm/internal/mem"
	"github.com/kerasgen/kerasgen/asm/internal/setup"
)

// group is the number of rows of B each sweep over the panels copies.
const group = 4

func main() {
	setup.Runtime()
	kernel("packPanels32AVX512", 32, true)
	kernel("packPanels16AVX2", 16, false)
	copyRows()
	transpose()
	Generate()
}

func kernel(name string, nr int, avx512 bool) {
	TEXT(name, NOSPLIT, "func(dst *float32, src *float32, rows int, ldb int, panels int, pstride int)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s copies rows rows of B (row stride ldb elements) into panels full %d-column", name, nr),
		fmt.Sprintf("panels pstride elements apart: B[p, q·%d+j] to dst[q·pstride+p·%d+j].", nr, nr))
	dst, src, rows := mem.Arg("dst"), mem.Arg("src"), mem.Arg("rows")
	ldb, panels, pstride := mem.Arg("ldb"), mem.Arg("panels"), mem.Arg("pstride")
	SHLQ(U8(2), ldb)
	SHLQ(U8(2), pstride)
	TESTQ(panels, panels)
	JLE(LabelRef(name + "_done"))
	ldb3 := GP64()
	LEAQ(Mem{Base: ldb, Index: ldb, Scale: 2}, ldb3)

	vecBytes := 64
	if !avx512 {
		vecBytes = 32
	}
	rowBytes := nr * 4
	nv := rowBytes / vecBytes
	newVec := func() reg.VecVirtual {
		if avx512 {
			return ZMM()
		}
		return YMM()
	}
	// sweep copies n rows (n = group, or 1) from src to dst over all panels.
	sweep := func(label string, n int) {
		s, d, q := GP64(), GP64(), GP64()
		MOVQ(src, s)
		MOVQ(dst, d)
		MOVQ(panels, q)
		Label(label)
		vs := make([]reg.VecVirtual, n*nv)
		for r := 0; r < n; r++ {
			for i := 0; i < nv; i++ {
				v := newVec()
				vs[r*nv+i] = v
				m := Mem{Base: s, Disp: i * vecBytes}
				switch r {
				case 1:
					m = m.Idx(ldb, 1)
				case 2:
					m = m.Idx(ldb, 2)
				case 3:
					m = m.Idx(ldb3, 1)
				}
				VMOVUPS(m, v)
			}
		}
		for j, v := range vs {
			VMOVUPS(v, Mem{Base: d, Disp: j * vecBytes})
		}
		ADDQ(U32(rowBytes), s)
		ADDQ(pstride, d)
		DECQ(q)
		JNE(LabelRef(label))
	}
	CMPQ(rows, U8(group))
	JL(LabelRef(name + "_rest"))
	Label(name + "_group")
	sweep(name+"_gpanel", group)
	LEAQ(Mem{Base: src, Index: ldb, Scale: 4}, src)
	ADDQ(U32(group*rowBytes), dst)
	SUBQ(U8(group), rows)
	CMPQ(rows, U8(group))
	JGE(LabelRef(name + "_group"))
	Label(name + "_rest")
	TESTQ(rows, rows)
	JLE(LabelRef(name + "_done"))
	sweep(name+"_rpanel", 1)
	ADDQ(ldb, src)
	ADDQ(U32(rowBytes), dst)
	DECQ(rows)
	JMP(LabelRef(name + "_rest"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

func copyRows() {
	name := "copyRowsAVX512"
	TEXT(name, NOSPLIT, "func(dst *float32, ldd int, src *float32, lds int, rows int, n int)")
	Pragma("noescape")
	Doc(name+" copies rows rows of n floats from src (rows lds elements apart) to dst (rows ldd",
		"elements apart).")
	dst, ldd, src, lds := mem.Arg("dst"), mem.Arg("ldd"), mem.Arg("src"), mem.Arg("lds")
	rows, n := mem.Arg("rows"), mem.Arg("n")
	SHLQ(U8(2), ldd)
	SHLQ(U8(2), lds)
	full, tail := mem.Columns(n, 16, true)
	j := GP64()
	TESTQ(rows, rows)
	JLE(LabelRef("done"))
	Label("row")
	mem.ColumnLoop("copy", j, full, n, 16, true, func(masked bool) {
		v := ZMM()
		from, to := Mem{Base: src, Index: j, Scale: 4}, Mem{Base: dst, Index: j, Scale: 4}
		if masked {
			VMOVUPS_Z(from, tail, v)
			VMOVUPS(v, tail, to)
		} else {
			VMOVUPS(from, v)
			VMOVUPS(v, to)
		}
	})
	ADDQ(lds, src)
	ADDQ(ldd, dst)
	DECQ(rows)
	JNE(LabelRef("row"))
	Label("done")
	VZEROUPPER()
	RET()
}

func transpose() {
	name := "transpose8AVX"
	TEXT(name, NOSPLIT, "func(dst *float32, ldd int, src *float32, lds int, rows int, cols int)")
	Pragma("noescape")
	Doc(name+" sets dst[j·ldd+i] to src[i·lds+j] for i < rows, j < cols, both multiples of 8: the",
		"transpose of src's rows×cols block, by 8×8 blocks of YMM shuffles.")
	dst, ldd, src, lds := mem.Arg("dst"), mem.Arg("ldd"), mem.Arg("src"), mem.Arg("lds")
	rows, cols := mem.Arg("rows"), mem.Arg("cols")
	SHLQ(U8(2), ldd)
	SHLQ(U8(2), lds)
	rs, ds := mem.PixelStrides(4, lds), mem.PixelStrides(4, ldd) // rows of src and of dst
	TESTQ(rows, rows)
	JLE(LabelRef("tdone"))
	TESTQ(cols, cols)
	JLE(LabelRef("tdone"))
	Label("trows") // 8 rows of src: src, and dst's columns from dst
	p, q, j := GP64(), GP64(), GP64()
	MOVQ(src, p)
	MOVQ(dst, q)
	MOVQ(cols, j)
	Label("tblock") // src's 8×8 block at p to dst's at q
	p4, q4 := GP64(), GP64()
	LEAQ(rs.At(p, 4), p4)
	LEAQ(ds.At(q, 4), q4)
	var r [8]reg.VecVirtual
	for k := range r {
		r[k] = YMM()
		base := p
		if k >= 4 {
			base = p4
		}
		VMOVUPS(rs.At(base, k%4), r[k])
	}
	// t: pairs of rows interleaved; u: four rows' columns j and j+4 in each 128-bit lane;
	// the output rows: the lanes of u0…u3 (rows 0–3) and u4…u7 (rows 4–7) joined.
	var t, u [8]reg.VecVirtual
	for k := 0; k < 8; k += 2 {
		t[k], t[k+1] = YMM(), YMM()
		VUNPCKLPS(r[k+1], r[k], t[k])
		VUNPCKHPS(r[k+1], r[k], t[k+1])
	}
	for h := 0; h < 8; h += 4 {
		for k := 0; k < 2; k++ {
			lo, hi := YMM(), YMM()
			VSHUFPS(U8(0x44), t[h+2+k], t[h+k], lo)
			VSHUFPS(U8(0xEE), t[h+2+k], t[h+k], hi)
			u[h+2*k], u[h+2*k+1] = lo, hi
		}
	}
	for k := 0; k < 4; k++ {
		lo, hi := YMM(), YMM()
		VPERM2F128(U8(0x20), u[4+k], u[k], lo)
		VPERM2F128(U8(0x31), u[4+k], u[k], hi)
		VMOVUPS(lo, ds.At(q, k))
		VMOVUPS(hi, ds.At(q4, k))
	}
	ADDQ(U8(32), p)
	LEAQ(ds.At(q4, 4), q)
	SUBQ(U8(8), j)
	JG(LabelRef("tblock"))
	LEAQ(Mem{Base: src, Index: lds, Scale: 8}, src)
	ADDQ(U8(32), dst)
	SUBQ(U8(8), rows)
	JG(LabelRef("trows"))
	Label("tdone")
	VZEROUPPER()
	RET()
}
