// Layers with bf16 weights: the kernels of a package built with
// kerasgen build --precision bf16.
//
// Contract: BF16Weights holds a Keras kernel [k×n] packed as bf16 (see
// bf16.go) — half the bytes of float32. DenseBF16 and Conv2DGemmBF16 compute
// what Dense and Conv2DGemm compute, with the weights and the layer's input
// rounded to bf16 (round to nearest even) and float32 accumulation, then
// apply the epilogue in float32. On a CPU without AVX512_BF16 (or at a
// forced lower level) the weights are widened to float32 once, at
// NewBF16Weights, and the float32 kernels run on them: the same bf16 weights,
// but the input is not rounded. Scratch for the bf16 input rows comes from
// a pool: a warm call allocates nothing.

package runtime

import "sync"

// BF16Weights is a weight matrix kept in bf16 for the bf16 layers.
type BF16Weights struct {
	M   BF16Matrix
	f32 []float32 // the widened weights, where GemmBF16 would not run natively
}

// NewBF16Weights wraps a k×n kernel packed by PackBF16Into (as the weights
// blob of a bf16 package holds it).
func NewBF16Weights(k, n int, packed []uint16) *BF16Weights {
	w := &BF16Weights{M: NewBF16Matrix(k, n, packed)}
	if !BF16Native() {
		w.f32 = make([]float32, k*n)
		w.M.Unpack(w.f32, n)
	}
	return w
}

var bf16Scratch = sync.Pool{New: func() any { return new([]uint16) }}

// gemmBF16Epilogue sets C[m×n] (ldc) to A[m×k]·W and applies ep, C's rows
// being rows row0… of ep's output.
func gemmBF16Epilogue(m, n, k int, a []float32, lda int, w *BF16Weights, c []float32, ldc, row0 int, ep *Epilogue) {
	if w.f32 != nil && !BF16Native() {
		GemmEpilogue(m, n, k, a, lda, w.f32, n, c, ldc, row0, ep)
		return
	}
	s := bf16Scratch.Get().(*[]uint16)
	if need := GemmBF16Scratch(m, k); cap(*s) < need {
		*s = make([]uint16, need)
	}
	GemmBF16(m, n, k, a, lda, &w.M, c, ldc, false, *s)
	bf16Scratch.Put(s)
	ep.Apply(row0, m, n, c, ldc)
}

// DenseBF16 sets y[m×n] = x[m×k]·w (bf16 weights), then applies ep.
func DenseBF16(m, k, n int, x []float32, w *BF16Weights, y []float32, ep *Epilogue) {
	need("DenseBF16", "x", x, m*k)
	need("DenseBF16", "y", y, m*n)
	gemmBF16Epilogue(m, n, k, x, k, w, y, n, 0, ep)
}

// BF16ConvChannelsOK reports whether Conv2DGemmBF16 runs a convolution with c input channels
// on the implicit bf16 kernels, which read channel pairs (c even and positive); others take
// the im2col path, where a float32 kernel on the implicit path is faster (a build keeps such
// kernels in float32).
func BF16ConvChannelsOK(c int) bool { return c > 0 && c%2 == 0 }

// Conv2DGemmBF16 is Conv2DGemm with bf16 weights (w holds the [KH·KW·C, OC]
// kernel): on CPUs with the bf16 kernels and an even C, without gathering
// patches (conv_bf16_amd64.go), else through im2col; the two give the same bits.
func Conv2DGemmBF16(p *ConvParams, x []float32, w *BF16Weights, y, scratch []float32, ep *Epilogue) {
	kk := p.KH * p.KW * p.C
	needConv("Conv2DGemmBF16", p, x, y, scratch)
	if convBF16OK(p, w) {
		convBF16(p, x, w, y, scratch, ep)
		return
	}
	conv2DGemm("Conv2DGemmBF16", p, x, y, scratch, func(rows int, patches, out []float32, row0 int) {
		gemmBF16Epilogue(rows, p.OC, kk, patches, kk, w, out, p.OC, row0, ep)
	})
}
