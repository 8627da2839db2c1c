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
// out of cache does not stall the start of the loop. With a non-nil ep
// (runtime.tileEp) the tile then gets its epilogue in registers — bias,
// residual, clamp-form activation — before it is stored; when that
// activation clamps and C is overwritten, the accumulators start from the
// bias row instead of adding it last (biasFirst), which shortens the tile's
// tail (measured: 12544×16×96 + relu6, 87.7 → 91.2 GFLOP/s).
//
//   - gemmAVX2_{r}x16 (r = 1…6): 16 columns as two YMM per row, 12 YMM
//     accumulators at r = 6. Full width only: the Go driver handles the
//     n mod 16 columns.
//   - gemmAVX512_{r}x32 (r = 1…12): 32 columns as two ZMM per row, 24 ZMM
//     accumulators at r = 12. mask selects the columns (bit j for column j):
//     loads of B and C and stores of C are masked, so any width 1…32 works
//     and nothing outside the tile is read or written. Each step of k also prefetches one
//     line into L2 from pf on (the caller's next block of B), so that weights streaming from
//     L3 or DRAM arrive while the block before them computes.
//   - gemmAVX512_{r}x24 (r = 1…12): 24 columns, masked the same way, for panels 17 to 24
//     wide: a ZMM per row for the first 16, and one ZMM per pair of rows for the last 8
//     (the first row's in its low half; an odd last row has a YMM). On Zen 5, whose pipes
//     are 512 bits wide, a YMM FMA takes a whole slot, so a ZMM and a YMM per row ran no
//     faster than the 32-wide tile; the pairs take three slots for two rows (MobileNetV2's
//     24-channel projections, 3136×96×24 and 3136×144×24: 152–170 → 177–218 GFLOP/s). On
//     Zen 4 (a YMM FMA half a ZMM's slot) the pairs gain nothing and their broadcasts and
//     inserts cost slots: its form (gemmAVX512Emb_{r}x24) keeps a ZMM and a YMM per row
//     (MobileNetV2 b1 on Zen 4, session 26: Emb 32-wide kernels with these pairs 6.26–6.33
//     ms, with the unpaired Emb 24-wide ones too 6.02–6.06).
//   - gemmAVX512Emb_{r}x32, gemmAVX512Emb_{r}x24, convAVX512Emb_{r}x32 and the pooled
//     convPool*AVX512Emb_*x32: the same two-vector kernels in the form for Zen 4, whose
//     512-bit operations run as two 256-bit halves (spec.emb; the runtime picks a form at
//     start-up).
//   - gemmAVX512_{r}x16 and gemmAVX512_{r}x8 (r = 1…12; the conv twins of the 16-wide ones
//     r = 1…16) and the conv*, convPool* and convPoolRow* families: see main.
//   - convDepthPairsAVX512_{r}x8 (r = 1…16) and their pooled twins: 8-wide conv kernels
//     that take the depth two steps at a time (pairs.go); convAVX512_{r}x8 and their pooled
//     twins, one YMM a pixel: Zen 4's 8-wide conv kernels.
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

const (
	avx2Rows   = 6
	avx512Rows = 12
	// avx512NarrowRows is the tallest 16- and 8-wide AVX-512 conv kernel (one ZMM or YMM
	// per row): for panels of at most 16 columns, where the 32-wide kernels would spend
	// half their multiply-adds on masked-off lanes.
	avx512NarrowRows = 16
	// convTapLines is how many cache lines an AVX-512 conv kernel prefetches per tap, from its
	// pf on: a few lines per tap, not one per step of k as the GEMM kernels do, so that the
	// many short steps of a convolution's small taps do not each pay for one.
	convTapLines = 4
)

func main() {
	setup.Runtime()
	for _, conv := range []bool{false, true} {
		for r := 1; r <= avx2Rows; r++ {
			kernel(spec{r: r, vecs: 2, conv: conv})
		}
		// The two-vector AVX-512 kernels in both forms (spec.emb: Zen 4's).
		for _, emb := range []bool{false, true} {
			for r := 1; r <= avx512Rows; r++ {
				kernel(spec{r: r, vecs: 2, avx512: true, conv: conv, emb: emb})
			}
			if !conv {
				for r := 1; r <= avx512Rows; r++ {
					kernel(spec{r: r, vecs: 2, avx512: true, half: true, emb: emb})
				}
			}
		}
		// The GEMM driver's tiles are at most avx512Rows high (16-row tiles of ≤ 16 columns
		// ran no faster in MobileNetV2, session 15); the conv drivers' go to avx512NarrowRows.
		narrow := avx512Rows
		if conv {
			narrow = avx512NarrowRows
		}
		for r := 1; r <= narrow; r++ {
			kernel(spec{r: r, vecs: 1, avx512: true, conv: conv})
		}
		// 8 columns (one YMM per row): a ZMM kernel would multiply eight lanes of padding. The
		// conv drivers take them on Zen 4 (YMM broadcasts and multiply-adds issue two a cycle
		// there), the depth-pair kernels below elsewhere.
		for r := 1; r <= narrow; r++ {
			kernel(spec{r: r, vecs: 1, avx512: true, half: true, conv: conv})
		}
	}
	// 8-wide conv kernels over two steps of depth at a time (pairs.go; r = 1…16), and their
	// pooled twins (as many conv pixels as the 16-wide pooled kernels below).
	for r := 1; r <= avx512NarrowRows; r++ {
		depthPairKernel(r, 0)
	}
	for _, ph := range []int{2, 1} {
		for p := 1; p <= avx512NarrowRows/(2*ph); p++ {
			depthPairKernel(2*ph*p, ph)
		}
	}
	// The pooled conv kernels: 2×2 pooling, 4 conv pixels in two rows per pooled one (AVX2:
	// one pooled pixel, 8 of its 16 YMM registers accumulators); 1×2 pooling, 2 conv pixels
	// in one row per pooled one.
	for _, ph := range []int{2, 1} {
		per := 2 * ph
		for p := 1; p <= avx2Rows/per; p++ {
			kernel(spec{r: per * p, vecs: 2, conv: true, poolH: ph})
		}
		for _, emb := range []bool{false, true} {
			for p := 1; p <= avx512Rows/per; p++ {
				kernel(spec{r: per * p, vecs: 2, avx512: true, conv: true, poolH: ph, emb: emb})
			}
		}
		for p := 1; p <= avx512NarrowRows/per; p++ {
			kernel(spec{r: per * p, vecs: 1, avx512: true, conv: true, poolH: ph})
		}
		for p := 1; p <= avx512NarrowRows/per; p++ {
			kernel(spec{r: per * p, vecs: 1, avx512: true, half: true, conv: true, poolH: ph})
		}
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

// tapBase starts a conv kernel's tap: it prefetches convTapLines lines into L2 from pf on and
// advances pf past them (pf nil: none), and returns a register holding a (the "a" argument)
// shifted by the tap's offset *offs (elements).
func tapBase(pf, offs reg.GPVirtual) reg.GPVirtual {
	if pf != nil {
		for l := range convTapLines {
			PREFETCHT1(Mem{Base: pf, Disp: 64 * l})
		}
		ADDQ(U32(64*convTapLines), pf)
	}
	a := mem.Arg("a")
	off := GP64()
	MOVQ(Mem{Base: offs}, off)
	LEAQ(Mem{Base: a, Index: off, Scale: 4}, a)
	return a
}

// rowPointers returns the base registers of a kernel's r rows of A, the first at first and
// lda bytes apart (one base per four rows), and each row's address (aRows); for a 2×2-pooled
// kernel (poolH 2) the second conv row's r/2 rows have their own bases, lrow elements (the
// "lrow" argument) after the first's.
func rowPointers(first reg.GPVirtual, r, poolH int, lda, lda3 reg.GPVirtual) ([]reg.GPVirtual, []Mem) {
	half := r
	if poolH == 2 {
		half = r / 2
	}
	bases := func(first reg.GPVirtual) []reg.GPVirtual {
		b := make([]reg.GPVirtual, (half+3)/4)
		b[0] = first
		for g := 1; g < len(b); g++ {
			b[g] = GP64()
			LEAQ(Mem{Base: b[g-1], Index: lda, Scale: 4}, b[g])
		}
		return b
	}
	b := bases(first)
	am := aRows(half, b, lda, lda3)
	if poolH == 2 {
		lrow := mem.Arg("lrow")
		second := GP64()
		LEAQ(Mem{Base: first, Index: lrow, Scale: 4}, second)
		b2 := bases(second)
		am = append(am, aRows(half, b2, lda, lda3)...)
		b = append(b, b2...)
	}
	return b, am
}

// spec is one micro-kernel: r rows of C, vecs vectors (1 or 2) per row,
// AVX-512 or AVX2, and whether A comes as a list of taps (conv).
type spec struct {
	r, vecs int
	avx512  bool
	conv    bool
	half    bool // AVX-512: the last vector of a row is a YMM (8 columns): 24-wide kernels
	// poolH (conv): 0, or the height of the max pooling the kernel applies before the
	// epilogue, its width 2 (C is then always overwritten: no acc). 2: the r rows are two conv
	// output rows of r/2 pixels each (the second lrow elements of A after the first), pooled
	// 2×2 into r/4 rows of C; 1: one conv output row of r pixels, pooled 1×2 into r/2 rows.
	poolH int
	// emb (AVX-512, two vectors a row): each multiply-add broadcasts its row's element of A
	// from memory (an embedded broadcast), instead of one VBROADCASTSS a row into a register
	// that the row's multiply-adds share; and a 24-wide kernel keeps each row's last 8
	// columns in a YMM, unpaired. The form for cores that run a 512-bit operation as two
	// 256-bit halves (Zen 4): there the register broadcasts took issue slots from the
	// multiply-adds (sgemm 1024³ and 2048³ at 91–92% of the probe, 96–97% in this form;
	// MobileNetV2 b1 6.30 → 6.04 ms), while on Zen 5 the twice-loaded elements bound the step
	// (the 12×32 tile at 174–205 GFLOP/s, 230–234 with the register broadcasts).
	emb bool
}

// pooled is the number of rows of C a pooled kernel stores.
func (s spec) pooled() int { return s.r / (2 * s.poolH) }

// width is the number of columns of C the kernel covers.
func (s spec) width() int {
	if s.avx512 {
		if s.half {
			return 16*s.vecs - 8
		}
		return 16 * s.vecs
	}
	return 8 * s.vecs
}

func (s spec) name() string {
	fam, lvl, r := "gemm", "AVX2", s.r
	if s.conv {
		fam = "conv"
	}
	switch s.poolH {
	case 2:
		fam, r = "convPool", s.pooled()
	case 1:
		fam, r = "convPoolRow", s.pooled()
	}
	if s.avx512 {
		lvl = "AVX512"
	}
	if s.emb {
		lvl += "Emb"
	}
	return fmt.Sprintf("%s%s_%dx%d", fam, lvl, r, s.width())
}

func kernel(s spec) {
	r, avx512, vecs := s.r, s.avx512, s.vecs
	name := s.name()
	sig := "func(k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool"
	switch {
	case s.poolH > 0:
		sig = "func(taps int, offs *int, k int, a *float32, lda int, lrow int, b *float32, ldb int, c *float32, ldc int"
	case s.conv:
		sig = "func(taps int, offs *int, k int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, acc bool"
	}
	vecBytes := 32
	if avx512 {
		sig += ", mask uint32"
		vecBytes = 64
	}
	sig += ", ep *float32" // ep: nil, or the first field of a runtime.tileEp
	prefetch := avx512 && s.poolH == 0
	if prefetch {
		sig += ", pf *float32" // one line per step of k (conv: convTapLines per tap) is prefetched into L2 from pf on
	}
	sig += ")"
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	what := fmt.Sprintf("k rows of a %d-wide panel of B", s.width())
	if avx512 {
		what = fmt.Sprintf("k rows of the masked columns of a %d-wide panel of B", s.width())
	}
	var doc []string
	switch {
	case s.poolH > 0:
		rows := fmt.Sprintf("%d rows", s.pooled())
		if s.pooled() == 1 {
			rows = "1 row"
		}
		conv := fmt.Sprintf("two conv output rows of %d pixels, the second lrow elements after the first", r/2)
		if s.poolH == 1 {
			conv = fmt.Sprintf("one conv output row of %d pixels; lrow unused", r)
		}
		doc = []string{fmt.Sprintf("%s stores into %s of C the %d×2 max pooling (NaN kept) of the sums over taps", name, rows, s.poolH),
			fmt.Sprintf("t of the products of %d rows of A shifted by offs[t] elements (%s)", r, conv),
			fmt.Sprintf("and the next %s, then applies ep. Strides and offsets are in elements.", what)}
	case s.conv:
		doc = []string{fmt.Sprintf("%s adds (or stores, without acc) into C the sum over taps t of the product of", name),
			fmt.Sprintf("%d rows of A shifted by offs[t] elements and the next %s.", r, what),
			"Strides and offsets are in elements."}
	default:
		doc = []string{fmt.Sprintf("%s adds (or stores, without acc) the product of %d rows of A and", name, r),
			what + " into C. Strides are in elements."}
	}
	switch {
	case prefetch && s.conv:
		doc = append(doc, fmt.Sprintf("Each tap also prefetches %d cache lines into L2, %d·taps lines from pf on", convTapLines, convTapLines),
			"(the caller points it at input rows it reads next, or at memory it does not mind",
			"reading twice).")
	case prefetch:
		doc = append(doc, "Each step of k also prefetches one cache line into L2, k lines from pf on (the",
			"caller points it at the next block of B, or at memory it does not mind reading twice).")
	}
	Doc(doc...)

	ld := mem.Arg
	var k reg.GPVirtual
	if s.conv {
		k = GP64() // loaded per tap
	} else {
		k = ld("k")
	}
	lda, ldb, ldc, lda3 := byteStrides()

	var masks []reg.OpmaskVirtual
	if avx512 {
		mask := GP32()
		Load(Param("mask"), mask)
		for h := 0; h < vecs; h++ {
			if h > 0 {
				SHRL(Imm(16), mask)
			}
			masks = append(masks, K())
			KMOVW(mask, masks[h])
		}
	}
	newVec := func() reg.VecVirtual {
		if avx512 {
			return ZMM()
		}
		return YMM()
	}
	// vecFor returns a new register for vector h of a row (a YMM for the last of a 24-wide
	// kernel's).
	vecFor := func(h int) reg.VecVirtual {
		if s.half && h == vecs-1 {
			return YMM()
		}
		return newVec()
	}
	// load/store of the vectors of a row of C or B.
	load := func(m Mem, h int, v reg.VecVirtual) {
		m = m.Offset(h * vecBytes)
		if avx512 {
			VMOVUPS_Z(m, masks[h], v)
		} else {
			VMOVUPS(m, v)
		}
	}
	store := func(v reg.VecVirtual, m Mem, h int) {
		m = m.Offset(h * vecBytes)
		if avx512 {
			VMOVUPS(v, masks[h], m)
		} else {
			VMOVUPS(v, m)
		}
	}

	// A 24-wide GEMM kernel keeps the last 8 columns of rows 2q and 2q+1 in one ZMM, pairs[q]
	// (row 2q in the low half): a YMM FMA takes a whole issue slot on Zen 5, so a row's ZMM
	// and YMM took two slots for 24 columns; a pair of rows now takes three for 48. Each step
	// builds the pair's A operand from the rows' broadcasts (VINSERTF64X4) and B's last 8
	// columns twice over. An odd last row keeps its YMM.
	paired := 0
	if s.half && vecs == 2 && !s.conv && s.poolH == 0 && !s.emb {
		paired = r / 2 * 2
	}
	accs := make([][]reg.VecVirtual, r)
	for i := range accs {
		for h := 0; h < vecs; h++ {
			if h == vecs-1 && i < paired {
				continue
			}
			accs[i] = append(accs[i], vecFor(h))
		}
	}
	pairs := make([]reg.VecVirtual, paired/2)
	for q := range pairs {
		pairs[q] = ZMM()
	}
	// loadPair loads the last 8 columns of two rows, m and ld bytes after it, into pair
	// register v (masked: nothing outside the tile is read).
	loadPair := func(m Mem, ld reg.GPVirtual, v reg.VecVirtual) {
		lo, hi := YMM(), YMM()
		m = m.Offset(64)
		VMOVUPS_Z(m, masks[1], lo)
		VMOVUPS_Z(Mem{Base: m.Base, Index: ld, Scale: 1, Disp: m.Disp}, masks[1], hi)
		VINSERTF64X4(Imm(1), hi, lo.AsZ(), v)
	}
	// storePair stores pair register v into the last 8 columns of its two rows.
	storePair := func(v reg.VecVirtual, m Mem, ld reg.GPVirtual) {
		m = m.Offset(64)
		VMOVUPS(v.AsY(), masks[1], m)
		hi := YMM()
		VEXTRACTF64X4(Imm(1), v, hi)
		VMOVUPS(hi, masks[1], Mem{Base: m.Base, Index: ld, Scale: 1, Disp: m.Disp})
	}

	Comment("C tile: prefetch it (it is added at the end, under acc) and start from zero, or")
	Comment("from the epilogue's bias row when C is overwritten (no acc).")
	cp := ld("c")
	row := GP64()
	MOVQ(cp, row)
	cRows := r
	if s.poolH > 0 {
		cRows = s.pooled()
	}
	for i := 0; i < cRows; i++ {
		for _, off := range []int{0, 4*s.width() - 1} {
			PREFETCHT0(Mem{Base: row, Disp: off})
		}
		if i < cRows-1 {
			ADDQ(ldc, row)
		}
	}
	biasRow := GP64()
	biasStart(biasRow, s.poolH == 0)
	TESTQ(biasRow, biasRow)
	JEQ(LabelRef("zero"))
	for h, v := range accs[0] {
		load(Mem{Base: biasRow}, h, v)
	}
	if paired > 0 {
		t := YMM()
		load(Mem{Base: biasRow}, 1, t)
		VINSERTF64X4(Imm(1), t, t.AsZ(), pairs[0])
	}
	for i := 1; i < r; i++ {
		for h, v := range accs[i] {
			if h < len(accs[0]) {
				VMOVAPS(accs[0][h], v)
			} else { // an odd last row's YMM beside pairs
				VMOVAPS(pairs[0].AsY(), v)
			}
		}
	}
	for _, v := range pairs[min(1, len(pairs)):] {
		VMOVAPS(pairs[0], v)
	}
	JMP(LabelRef("started"))
	Label("zero")
	for _, v := range flat(accs, pairs) {
		if avx512 {
			VPXORD(v, v, v) // AVX512F (VXORPS on ZMM needs DQ)
		} else {
			VXORPS(v, v, v)
		}
	}
	Label("started")

	bp := ld("b")
	var taps, offs, pf reg.GPVirtual
	if prefetch {
		pf = ld("pf")
	}
	var first reg.GPVirtual
	if s.conv {
		Comment("One pass of the k loop per tap, A's rows shifted by the tap's offset.")
		taps, offs = ld("taps"), ld("offs")
		TESTQ(taps, taps)
		JEQ(LabelRef("store"))
		Label("tap")
		first = tapBase(pf, offs)
		Load(Param("k"), k)
	} else {
		Comment("A row pointers, one base per four rows.")
		first = ld("a")
	}
	bases, am := rowPointers(first, r, s.poolH, lda, lda3)

	TESTQ(k, k)
	JEQ(LabelRef("next"))
	Label("loop")
	bv := make([]reg.VecVirtual, vecs)
	for h := range bv {
		bv[h] = vecFor(h)
		load(Mem{Base: bp}, h, bv[h])
	}
	if prefetch && !s.conv {
		PREFETCHT1(Mem{Base: pf})
		ADDQ(Imm(64), pf)
	}
	var bPair reg.VecVirtual // B's last 8 columns in both halves
	if paired > 0 {
		bPair = ZMM()
		VINSERTF64X4(Imm(1), bv[1], bv[1].AsZ(), bPair)
	}
	var even reg.VecVirtual // the broadcast of the pair's first row
	for i := 0; i < r; i++ {
		if avx512 && (vecs == 1 || s.emb) {
			// Embedded broadcasts: one load+FMA uop each (one in all for one vector a row).
			for h := range accs[i] {
				VFMADD231PS_BCST(am[i], bv[h], accs[i][h])
			}
			continue
		}
		// Two vectors per row: broadcast the element once into a register. Two embedded
		// broadcasts would load it twice, and on Zen 5 (two full-width FMA pipes) the
		// 12×32 kernel's 26 loads a step then bound it: 174–205 against 230–234 GFLOP/s
		// (runtime's BenchmarkGemmKernel, with the core's probed peak beside it).
		t := newVec()
		VBROADCASTSS(am[i], t)
		for h := range accs[i] {
			tt := t
			if bv[h].Size() != t.Size() { // a 24-wide kernel's YMM
				tt = t.AsY().(reg.VecVirtual)
			}
			VFMADD231PS(bv[h], tt, accs[i][h])
		}
		switch {
		case i >= paired:
		case i%2 == 0:
			even = t
		default:
			a := ZMM()
			VINSERTF64X4(Imm(1), t.AsY(), even, a)
			VFMADD231PS(bPair, a, pairs[i/2])
		}
	}
	for _, b := range bases {
		ADDQ(Imm(4), b)
	}
	ADDQ(ldb, bp)
	DECQ(k)
	JNE(LabelRef("loop"))
	Label("next")
	if s.conv {
		ADDQ(Imm(8), offs)
		DECQ(taps)
		JNE(LabelRef("tap"))
	}

	Label("store")
	tileOut{accs: accs, pairs: pairs, tmp: vecFor, newVec: newVec, load: load, store: store,
		loadPair: loadPair, storePair: storePair, avx512: avx512}.finish(s.poolH, ld("c"), ldc, row)
}

// byteStrides loads a kernel's lda, ldb and ldc arguments as byte strides (elements · 4), and
// 3·lda for the row pointers (rowPointers).
func byteStrides() (lda, ldb, ldc, lda3 reg.GPVirtual) {
	ld := mem.Arg
	lda, ldb, ldc = ld("lda"), ld("ldb"), ld("ldc")
	SHLQ(Imm(2), lda)
	SHLQ(Imm(2), ldb)
	SHLQ(Imm(2), ldc)
	lda3 = GP64()
	LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
	return lda, ldb, ldc, lda3
}

// tileOut is what ends a kernel needs of it: its finished sums, accs row by row (and pairs,
// the 24-wide kernels' pairs of rows, see kernel), a temporary of the width of a row's h-th
// vector (tmp) or of the widest (newVec), and the loads and stores of a row's h-th vector and
// of a pair.
type tileOut struct {
	accs      [][]reg.VecVirtual
	pairs     []reg.VecVirtual
	tmp       func(h int) reg.VecVirtual
	newVec    func() reg.VecVirtual
	load      func(Mem, int, reg.VecVirtual)
	store     func(reg.VecVirtual, Mem, int)
	loadPair  func(Mem, reg.GPVirtual, reg.VecVirtual)
	storePair func(reg.VecVirtual, Mem, reg.GPVirtual)
	avx512    bool
}

// finish ends the kernel: pooled (poolH > 0), it max-pools the rows (poolAccs), applies the
// epilogue and stores the pooled rows; else it adds C's old value under acc, applies the
// epilogue and stores the tile. C's rows are ldc bytes apart from cp on; row is a scratch
// register.
func (t tileOut) finish(poolH int, cp, ldc, row reg.GPVirtual) {
	accs, pairs, r := t.accs, t.pairs, len(t.accs)
	if poolH > 0 {
		accs = poolAccs(accs, poolH, func() reg.VecVirtual { return t.tmp(0) }, t.avx512)
		epilogue(mem.Arg("ep"), accs, nil, t.newVec, t.load, nil, t.avx512, false)
		for i := range accs {
			for h, v := range accs[i] {
				t.store(v, Mem{Base: cp}, h)
			}
			if i < len(accs)-1 {
				ADDQ(ldc, cp)
			}
		}
		VZEROUPPER()
		RET()
		return
	}
	paired := 2 * len(pairs)
	flag := GP8()
	Load(Param("acc"), flag)
	TESTB(flag, flag)
	JEQ(LabelRef("write"))
	MOVQ(cp, row)
	for i := range accs {
		for h, v := range accs[i] {
			tv := t.tmp(h)
			t.load(Mem{Base: row}, h, tv)
			VADDPS(tv, v, v)
		}
		if i < paired && i%2 == 0 {
			tv := ZMM()
			t.loadPair(Mem{Base: row}, ldc, tv)
			VADDPS(tv, pairs[i/2], pairs[i/2])
		}
		if i < r-1 {
			ADDQ(ldc, row)
		}
	}
	Label("write")
	epilogue(mem.Arg("ep"), accs, pairs, t.newVec, t.load, t.loadPair, t.avx512, true)
	for i := range accs {
		for h, v := range accs[i] {
			t.store(v, Mem{Base: cp}, h)
		}
		if i < paired && i%2 == 0 {
			t.storePair(pairs[i/2], Mem{Base: cp}, ldc)
		}
		if i < r-1 {
			ADDQ(ldc, cp)
		}
	}
	VZEROUPPER()
	RET()
}

// biasStart sets row to the bias row the accumulators start from, else to 0 (they start
// from zero): the epilogue's bias when C is overwritten (acc false) and the epilogue clamps
// (its max or min step is needed), as biasFirst decides. Starting from the bias rather than
// adding it at the end takes 24 additions off the tail of a 12×32 tile, where they wait on
// the last multiply-adds with the clamp's 48 steps (the sum's order becomes bias first).
// hasAcc says whether the kernel takes acc (the pooled kernels always overwrite).
func biasStart(row reg.GPVirtual, hasAcc bool) {
	XORQ(row, row)
	ep := GP64()
	Load(Param("ep"), ep)
	biasFirst(ep, "nobiasstart", hasAcc)
	MOVQ(Mem{Base: ep, Disp: epBias}, row)
	Label("nobiasstart")
}

// biasFirst jumps to label unless the tile's sum starts from the bias of the epilogue ep
// (not nil): C overwritten (acc false, or a kernel without acc) and a clamp step (max or
// min) in the activation — runtime's epTile.biasFirst, which the gemv path follows for the
// same bits at every batch size.
func biasFirst(ep reg.GPVirtual, label string, hasAcc bool) {
	TESTQ(ep, ep)
	JEQ(LabelRef(label))
	flag := GP8()
	if hasAcc {
		Load(Param("acc"), flag)
		TESTB(flag, flag)
		JNE(LabelRef(label))
	}
	MOVB(Mem{Base: ep, Disp: epClampLo}, flag)
	ORB(Mem{Base: ep, Disp: epClampHi}, flag)
	JEQ(LabelRef(label))
}

// poolAccs max-pools the accumulators of a pooled conv kernel — with ph = 2, two conv output
// rows of n pixels, accs[0:n] and accs[n:2n], 2×2 into n/2 rows; with ph = 1, one row of n
// pixels, accs[0:n], 1×2 into n/2 rows — in place (row q of the result is accs[2q]), and
// returns those rows. The max keeps NaN, as runtime.MaxPool2D does: it ORs max(x, y) and
// max(y, x), equal unless one is NaN (the x86 max then returns its second operand). Max
// before the epilogue is max after it: bias, a clamp and a leaky step of slope ≥ 0 (the
// runtime's condition for these kernels) are monotone, and so is rounding.
func poolAccs(accs [][]reg.VecVirtual, ph int, newVec func() reg.VecVirtual, avx512 bool) [][]reg.VecVirtual {
	n := len(accs) / ph
	t := newVec()
	maxTo := func(x, y reg.VecVirtual) {
		VMAXPS(x, y, t) // max(y, x): x if either is NaN
		VMAXPS(y, x, x) // max(x, y): y if either is NaN
		if avx512 {
			VPORD(t, x, x) // AVX512F (VORPS on ZMM needs DQ)
		} else {
			VORPS(t, x, x)
		}
	}
	var out [][]reg.VecVirtual
	for q := 0; q < n/2; q++ {
		row := accs[2*q]
		for h, v := range row {
			maxTo(v, accs[2*q+1][h])
			if ph == 2 {
				maxTo(v, accs[n+2*q][h])
				maxTo(v, accs[n+2*q+1][h])
			}
		}
		out = append(out, row)
	}
	return out
}

// The layout of runtime.tileEp: slope, lo, hi as 16 copies each, then the bias and
// residual pointers, the residual's row stride (elements), the after flag and the flags
// saying which steps of the activation are not the identity.
const (
	epSlope    = 0
	epLo       = 64
	epHi       = 128
	epBias     = 192
	epRes      = 200
	epLdr      = 208
	epResAfter = 216
	epLeaky    = 217 // slope ≠ 1: the v > 0 ? v : slope·v step is needed
	epClampLo  = 218 // lo > -Inf: the max(v, lo) step is needed
	epClampHi  = 219 // hi < +Inf: the min(v, hi) step is needed
)

// epilogue applies *ep (unless ep is nil) to the accumulators in registers, row by row, as
// runtime's epilogueClampGeneric does element by element: v += bias[j] (unless the sums
// started from it, biasFirst); v += res[i, j] (before); v = v > 0 ? v : slope·v;
// v = min(max(v, lo), hi) (NaN kept); v += res[i, j] (after). load reads the h-th vector of
// a row (masked on AVX-512).
//
// pairs (24-wide kernels, or nil) hold the last 8 columns of rows 2q and 2q+1 (accs[2q] and
// accs[2q+1] then hold their first 16), which loadPair reads from a row and the one ld bytes
// after it.
func epilogue(ep reg.GPVirtual, accs [][]reg.VecVirtual, pairs []reg.VecVirtual, newVec func() reg.VecVirtual, load func(Mem, int, reg.VecVirtual), loadPair func(Mem, reg.GPVirtual, reg.VecVirtual), avx512, hasAcc bool) {
	TESTQ(ep, ep)
	JEQ(LabelRef("noep"))
	Comment("Epilogue in registers: bias, residual, clamp-form activation.")
	bias, res, ldr := GP64(), GP64(), GP64()
	MOVQ(Mem{Base: ep, Disp: epBias}, bias)
	MOVQ(Mem{Base: ep, Disp: epRes}, res)
	MOVQ(Mem{Base: ep, Disp: epLdr}, ldr)
	SHLQ(Imm(2), ldr)
	after, leaky := GP8(), GP8()
	MOVB(Mem{Base: ep, Disp: epResAfter}, after)
	MOVB(Mem{Base: ep, Disp: epLeaky}, leaky)
	zero := newVec()
	if avx512 {
		VPXORD(zero, zero, zero)
	} else {
		VXORPS(zero, zero, zero)
	}
	// AVX-512 has the registers to keep the bias row and the clamp bounds for the whole
	// tile; AVX2 (16 YMM, 12 of them accumulators) reloads them per vector.
	var biasV []reg.VecVirtual
	var lo, hi reg.VecVirtual
	var biasPair reg.VecVirtual // the bias of the last 8 columns in both halves
	if avx512 {
		for range accs[0] {
			b := newVec()
			VPXORD(b, b, b)
			biasV = append(biasV, b)
		}
		if len(pairs) > 0 {
			biasPair = ZMM()
			VPXORD(biasPair, biasPair, biasPair)
		}
		TESTQ(bias, bias)
		JEQ(LabelRef("nobiasrow"))
		for h, b := range biasV {
			load(Mem{Base: bias}, h, b)
		}
		if biasPair != nil {
			t := YMM()
			load(Mem{Base: bias}, 1, t)
			VINSERTF64X4(Imm(1), t, t.AsZ(), biasPair)
		}
		Label("nobiasrow")
		lo, hi = newVec(), newVec()
		VMOVUPS(Mem{Base: ep, Disp: epLo}, lo)
		VMOVUPS(Mem{Base: ep, Disp: epHi}, hi)
	}
	// as returns x at the width of accumulator v (a 24-wide kernel's last vectors are YMM).
	as := func(x, v reg.VecVirtual) reg.VecVirtual {
		if v.Size() < x.Size() {
			return x.AsY().(reg.VecVirtual)
		}
		return x
	}
	// One test per step and tile, then the step on every accumulator: the flags do not change
	// within a tile, and per-vector tests would cost more than the arithmetic at small K.
	t := newVec()
	TESTQ(bias, bias)
	JEQ(LabelRef("nobias"))
	biasFirst(ep, "addbias", hasAcc)
	JMP(LabelRef("nobias")) // the accumulators started from the bias row (biasStart)
	Label("addbias")
	for i := range accs {
		for h, v := range accs[i] {
			switch {
			case !avx512:
				load(Mem{Base: bias}, h, t)
				VADDPS(t, v, v)
			case h < len(biasV):
				VADDPS(as(biasV[h], v), v, v)
			default: // an odd last row's YMM beside pairs
				VADDPS(biasPair.AsY(), v, v)
			}
		}
	}
	for _, v := range pairs {
		VADDPS(biasPair, v, v)
	}
	Label("nobias")
	// addRes adds the residual tile (row stride ldr) to the accumulators.
	addRes := func() {
		r := GP64()
		MOVQ(res, r)
		for i := range accs {
			for h, v := range accs[i] {
				t := as(t, v)
				load(Mem{Base: r}, h, t)
				VADDPS(t, v, v)
			}
			if i < 2*len(pairs) && i%2 == 0 {
				loadPair(Mem{Base: r}, ldr, t)
				VADDPS(t, pairs[i/2], pairs[i/2])
			}
			if i < len(accs)-1 {
				ADDQ(ldr, r)
			}
		}
	}
	TESTQ(res, res)
	JEQ(LabelRef("noresbefore"))
	TESTB(after, after)
	JNE(LabelRef("noresbefore"))
	addRes()
	Label("noresbefore")
	TESTB(leaky, leaky)
	JEQ(LabelRef("noleaky"))
	for _, v := range flat(accs, pairs) {
		act.Leaky(v, as(t, v), as(zero, v), Mem{Base: ep, Disp: epSlope}, avx512)
	}
	Label("noleaky")
	// The clamp's two halves, each only when its bound is finite (ReLU: the max alone).
	if !avx512 { // AVX2: a bound takes t, loaded when needed
		lo, hi = t, t
	}
	for _, half := range []struct {
		flag, bound int
		v           reg.VecVirtual
		op          func(v, b reg.VecVirtual)
	}{{epClampLo, epLo, lo, act.Floor}, {epClampHi, epHi, hi, act.Ceil}} {
		skip := fmt.Sprintf("noclamp%d", half.flag)
		CMPB(Mem{Base: ep, Disp: half.flag}, Imm(0))
		JEQ(LabelRef(skip))
		if !avx512 {
			VMOVUPS(Mem{Base: ep, Disp: half.bound}, half.v)
		}
		for _, v := range flat(accs, pairs) {
			half.op(v, as(half.v, v))
		}
		Label(skip)
	}
	TESTQ(res, res)
	JEQ(LabelRef("noresafter"))
	TESTB(after, after)
	JEQ(LabelRef("noresafter"))
	addRes()
	Label("noresafter")
	Label("noep")
}

// flat lists the accumulators: accs row by row, then pairs.
func flat(accs [][]reg.VecVirtual, pairs []reg.VecVirtual) []reg.VecVirtual {
	var all []reg.VecVirtual
	for _, row := range accs {
		all = append(all, row...)
	}
	return append(all, pairs...)
}
