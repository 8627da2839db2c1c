// bf16 matrix multiplication: fp32 activations times bf16 weights, fp32 out.
//
// Contract: B (k×n, the weights) is converted once, at build or load time,
// to a BF16Matrix (PackBF16, or PackBF16Into a buffer of PackedBF16Len
// elements, e.g. straight from an embedded weights blob). GemmBF16 then
// sets C[m×n] (row stride ldc) to A[m×k] (row stride lda)·B, plus C's old
// value when acc (C is zeroed when k = 0 and acc is false), exactly as
// AVX512_BF16 hardware computes it:
//   - every element of A and B is rounded to bf16 (F32ToBF16: round to
//     nearest even, NaN kept and quieted, fp32 subnormals to ±0);
//   - k is taken in pairs (2p, 2p+1), the odd one zero-padded; per pair
//     the sum s of C[i,j] starts at 0 and becomes
//     (s + a[2p+1]·b[2p+1]) + a[2p]·b[2p], each product exact in fp32 and
//     each sum rounded to fp32 (VDPBF16PS);
//   - under acc, C's old value is added once at the end.
//
// The pure-Go twin (gemmBF16Generic) computes the same sums in the same
// order, so it matches the VDPBF16PS kernel bit for bit, except where the
// hardware's flush-to-zero shows: VDPBF16PS treats subnormal inputs as zero
// and flushes subnormal results (below 2⁻¹²⁶ ≈ 1.2e-38 in magnitude), which
// the twin does not model. Against the fp32 product the error is that of
// rounding A and B to 8 significant bits: |C − A·B| ≲ 2⁻⁸·Σ_p|a_p·b_p|
// (each factor within a relative 2⁻⁹) plus fp32 summation error.
//
// A is converted to bf16 pairs per call into scratch (GemmBF16Scratch
// elements), so GemmBF16 allocates nothing. It reads only the m×k elements
// of A and writes only the m×n elements of C, and panics, before writing,
// if a slice is short or B's shape is not k×n.
//
// Packed layout (BF16Matrix.Data): ⌈n/32⌉ column panels, panel q at
// Data[q·kp·64:] with kp = ⌈k/2⌉; inside a panel, pair p's 64 elements are
// at [p·64:], column j of the panel (global column 32q+j) at [p·64+2j] for
// row 2p and [p·64+2j+1] for row 2p+1 of B. Rows past k and columns past n
// are zero. One pair of a panel is thus two 64-byte vectors of 16 columns
// each, what one VDPBF16PS multiplies by a broadcast pair of A.

package runtime

import (
	"math"
	"strconv"
)

// bf16NR is the panel width of the packed layout (two ZMM of 16 fp32
// lanes) and bf16MR the most rows one kernel call covers.
const (
	bf16NR = 32
	bf16MR = 12
)

// bf16Group is how many panels of B one tile call may cover (the amd64
// kernels for 1–3 rows take four at once).
const bf16Group = 4

// F32ToBF16 rounds x to bfloat16 (the top 16 bits of a float32) to nearest
// even, as VCVTNE2PS2BF16 does: NaN stays NaN (sign and top payload bits
// kept, made quiet), finite values too large round to ±Inf, and subnormal
// inputs become a zero of the same sign.
func F32ToBF16(x float32) uint16 {
	u := math.Float32bits(x)
	switch {
	case u&0x7fffffff > 0x7f800000: // NaN
		return uint16(u>>16) | 0x40
	case u&0x7f800000 == 0: // ±0 or subnormal
		return uint16(u>>16) & 0x8000
	}
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}

// BF16ToF32 widens a bfloat16 to float32 (exactly).
func BF16ToF32(h uint16) float32 { return math.Float32frombits(uint32(h) << 16) }

// BF16Round returns x rounded to bfloat16, as a float32: the value GemmBF16
// multiplies in place of x.
func BF16Round(x float32) float32 { return BF16ToF32(F32ToBF16(x)) }

// BF16Matrix is a k×n matrix packed for GemmBF16 (see the layout above).
type BF16Matrix struct {
	K, N int
	Data []uint16 // PackedBF16Len(K, N) elements
}

// PackedBF16Len returns how many uint16 the packed form of a k×n matrix
// takes: ⌈n/32⌉·⌈k/2⌉·64.
func PackedBF16Len(k, n int) int {
	if k <= 0 || n <= 0 {
		return 0
	}
	return (n + bf16NR - 1) / bf16NR * ((k + 1) / 2) * 2 * bf16NR
}

// PackBF16 returns B[k×n] (row stride ldb) rounded to bf16 and packed, in a
// new slice.
func PackBF16(k, n int, b []float32, ldb int) BF16Matrix {
	data := make([]uint16, PackedBF16Len(k, n))
	PackBF16Into(data, k, n, b, ldb)
	return BF16Matrix{K: k, N: n, Data: data}
}

// PackBF16Into writes the packed form of B[k×n] (row stride ldb) to
// dst[:PackedBF16Len(k, n)], padding included, and returns it as a
// BF16Matrix sharing dst.
func PackBF16Into(dst []uint16, k, n int, b []float32, ldb int) BF16Matrix {
	size := PackedBF16Len(k, n)
	needU16("PackBF16Into", "dst", dst, size)
	need("PackBF16Into", "b", b, matLen(k, n, ldb))
	kp := (k + 1) / 2
	for q := 0; q*bf16NR < n; q++ {
		panel := dst[q*kp*2*bf16NR : (q+1)*kp*2*bf16NR]
		w := min(bf16NR, n-q*bf16NR)
		for p := 0; p < kp; p++ {
			out := panel[p*2*bf16NR : (p+1)*2*bf16NR]
			clear(out)
			for e := 0; e < 2 && 2*p+e < k; e++ {
				row := b[(2*p+e)*ldb+q*bf16NR:][:w]
				for j, v := range row {
					out[2*j+e] = F32ToBF16(v)
				}
			}
		}
	}
	return BF16Matrix{K: k, N: n, Data: dst[:size]}
}

// NewBF16Matrix wraps already packed data (PackBF16Into's output, e.g.
// stored in a weights blob) as a k×n BF16Matrix; it panics if data is
// shorter than PackedBF16Len(k, n).
func NewBF16Matrix(k, n int, data []uint16) BF16Matrix {
	size := PackedBF16Len(k, n)
	needU16("NewBF16Matrix", "data", data, size)
	return BF16Matrix{K: k, N: n, Data: data[:size]}
}

// Unpack writes the k×n matrix m holds, widened to float32 (B rounded to
// bf16), to dst with row stride ldb. A host without the VDPBF16PS kernels
// (BF16Native false) can unpack the weights once at load time and use the
// fp32 Gemm, an order of magnitude faster than GemmBF16's pure-Go twin; its
// results then differ from GemmBF16's by A not being rounded to bf16
// (within the bound in the file comment).
func (m *BF16Matrix) Unpack(dst []float32, ldb int) {
	need("BF16Matrix.Unpack", "dst", dst, matLen(m.K, m.N, ldb))
	needU16("BF16Matrix.Unpack", "m.Data", m.Data, PackedBF16Len(m.K, m.N))
	kp := (m.K + 1) / 2
	for p := 0; p < m.K; p++ {
		row := dst[p*ldb:][:m.N]
		for j := range row {
			q, jj := j/bf16NR, j%bf16NR
			row[j] = BF16ToF32(m.Data[(q*kp+p/2)*2*bf16NR+2*jj+p%2])
		}
	}
}

// bf16BlockRows returns how many rows of A GemmBF16 converts at a time: a
// multiple of bf16MR whose bf16 copy (≤ 192 KiB) stays in L2 while every
// panel of B sweeps it, between bf16MR and 120.
func bf16BlockRows(k int) int {
	kp := max(1, (k+1)/2)
	rows := 192 << 10 / (4 * kp) / bf16MR * bf16MR
	return min(120, max(bf16MR, rows))
}

// GemmBF16Scratch returns how many uint16 of scratch GemmBF16 needs for an
// m×k A: a block of A's rows as bf16 pairs.
func GemmBF16Scratch(m, k int) int {
	if m <= 0 || k <= 0 {
		return 0
	}
	return min(m, bf16BlockRows(k)) * 2 * bf16RowStride((k+1)/2)
}

// bf16RowStride returns the row stride, in pairs, of GemmBF16's bf16 copy of A's rows (kp
// pairs each): kp, or one 64-byte line more where rows kp pairs apart would alias in L1
// (aliasedRows: k a multiple of 2048, rows 4 KiB apart), which the kernels' tiles of
// bf16MR rows would evict from one L1 set on every step of k. BenchmarkGemmBF16's 120×2048×256
// and 32×2048×512, against the unpadded copy in one run: 166–182 → 223–227 GFLOP/s.
func bf16RowStride(kp int) int {
	if aliasedRows(kp, bf16MR) {
		return kp + 16
	}
	return kp
}

// GemmBF16 sets C[m×n] (row stride ldc) to A[m×k] (lda)·B, plus C's old
// value when acc, with A and B rounded to bf16 and fp32 accumulation (see
// the file comment). B must be k×n; scratch must hold GemmBF16Scratch(m, k)
// elements and is overwritten.
func GemmBF16(m, n, k int, a []float32, lda int, b *BF16Matrix, c []float32, ldc int, acc bool, scratch []uint16) {
	if m <= 0 || n <= 0 {
		return
	}
	if b.K != k || b.N != n {
		panic("runtime.GemmBF16: b is " + strconv.Itoa(b.K) + "×" + strconv.Itoa(b.N) +
			", need " + strconv.Itoa(k) + "×" + strconv.Itoa(n))
	}
	need("GemmBF16", "c", c, matLen(m, n, ldc))
	need("GemmBF16", "a", a, matLen(m, k, lda))
	needU16("GemmBF16", "b.Data", b.Data, PackedBF16Len(k, n))
	needU16("GemmBF16", "scratch", scratch, GemmBF16Scratch(m, k))
	if k <= 0 {
		if !acc {
			for i := 0; i < m; i++ {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return
	}
	impl := &bf16Generic
	if bf16Native() {
		impl = &bf16Asm
	}
	gemmBF16(impl, m, n, k, a, lda, b.Data, c, ldc, acc, scratch)
}

// BF16Native reports whether GemmBF16 runs on the VDPBF16PS kernels (an
// AVX512_BF16 CPU, the avx512 level in use, an amd64 build without purego);
// otherwise it runs the pure-Go twin.
func BF16Native() bool { return bf16Native() }

// bf16Impl is one implementation of GemmBF16's two steps.
type bf16Impl struct {
	// cvtRow sets dst[0:2⌈len(src)/2⌉] to src rounded to bf16, zero-padded.
	cvtRow func(dst []uint16, src []float32)
	// tile sets C[r×w] (ldc) to the product of r rows of bf16 pairs of A
	// (row stride lda pairs) and kp pairs of the ⌈w/32⌉ consecutive packed
	// panels of B at the start of b, plus C's old value when acc;
	// 1 ≤ r ≤ bf16MR, 1 ≤ w ≤ bf16Group·bf16NR, kp ≥ 1.
	tile func(r, kp int, a []uint16, lda int, b []uint16, c []float32, ldc int, acc bool, w int)
}

// gemmBF16 is GemmBF16 for m, n, k > 0 with checked arguments: per block
// of A's rows, convert them to bf16 pairs, then sweep every group of
// bf16Group panels of B with row tiles of up to bf16MR rows.
func gemmBF16(impl *bf16Impl, m, n, k int, a []float32, lda int, b []uint16, c []float32, ldc int, acc bool, scratch []uint16) {
	kp := (k + 1) / 2
	ld := bf16RowStride(kp)
	mc := bf16BlockRows(k)
	panelLen := kp * 2 * bf16NR
	for i0 := 0; i0 < m; i0 += mc {
		rows := min(mc, m-i0)
		for i := 0; i < rows; i++ {
			impl.cvtRow(scratch[i*2*ld:][:2*kp], a[(i0+i)*lda:][:k])
		}
		for j := 0; j < n; j += bf16Group * bf16NR {
			w := min(bf16Group*bf16NR, n-j)
			panels := b[j/bf16NR*panelLen:][:(w+bf16NR-1)/bf16NR*panelLen]
			for i := 0; i < rows; i += bf16MR {
				r := min(bf16MR, rows-i)
				impl.tile(r, kp, scratch[i*2*ld:], ld, panels, c[(i0+i)*ldc+j:], ldc, acc, w)
			}
		}
	}
}

// needU16 panics unless s holds at least n elements.
func needU16(kernel, what string, s []uint16, n int) {
	if len(s) < n {
		panic("runtime." + kernel + ": " + what + " has " + strconv.Itoa(len(s)) +
			" elements, need " + strconv.Itoa(n))
	}
}
