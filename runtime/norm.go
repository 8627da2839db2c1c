// Normalizations and softmax over rows.
//
// Contract: x and y are [rows, cols] (or the shape each kernel states),
// dense row-major; each kernel writes all of y and nothing else, and may run
// in place (y the same slice as x): a row's statistics are computed before
// any of it is written (the softmaxes' max, at least). Statistics (means, variances, sums of squares and of
// exponentials) accumulate in float64 with the two-pass variance
// mean((x-mean)²), and outputs are rounded once to float32; this is at least
// as accurate as Keras' float32 computation (Keras' TF backend and its
// GroupNormalization use E[x²]-E[x]², which can lose digits when |mean| ≫
// std). The softmaxes take x - max in float32 and its exponential by the
// vectorized vexp (vmath.go: relative error ≤ 1.2e-7), then sum in float64;
// an output is within about 2e-7 + |x - max|·6e-8 relative of the exact
// softmax (the second term from rounding x - max, on outputs ≤ e^(x-max)).
// Optional parameter slices (gamma, beta, scale, shift) may be nil.
// Panics if a slice is shorter than its shape.

package runtime

import "math"

// Affine sets y[r, j] = x[r, j]*scale[j] + shift[j] over rows of c values
// (inference BatchNormalization folded to a scale and shift). scale or
// shift may be nil (1 and 0) or hold one value, broadcast to every j. The
// product is rounded before the add. It runs on the affine kernels: per-channel
// vectors of c ≥ 16 as they are; one value (a Rescaling's), or vectors of
// c < 16 (an RGB image's), repeated to a period of 16 or lcm(c, 16) values,
// with a missing scale as 1 and a missing shift as −0 (x·1 and x + (−0) are
// x: the same bits as the Go loop, which remains for a vector of c ≥ 16
// beside one value). With threads, bands of rows run in parallel (span_threads.go).
func Affine(rows, c int, x, scale, shift, y []float32) {
	need("Affine", "x", x, rows*c)
	need("Affine", "y", y, rows*c)
	if len(scale) != 1 && scale != nil {
		need("Affine", "scale", scale, c)
	}
	if len(shift) != 1 && shift != nil {
		need("Affine", "shift", shift, c)
	}
	if rows*c == 0 {
		return
	}
	runSpans(spanOp{kernel: spanAffine, n: rows, a: x, y: y, scale: scale, shift: shift, last: c}, rows*c)
}

// affineRows is Affine on rows rows (slices already checked): each row starts the channels
// (and a period of repeated values) again, so a band of rows gives the values the whole does.
func affineRows(rows, c int, x, scale, shift, y []float32) {
	n := rows * c
	perChannel := len(scale) > 1 || len(shift) > 1
	if len(scale) == c && len(shift) == c && c >= 16 {
		// A batch norm's per-channel vectors: the affine kernels (epilogue_amd64.s), or
		// affineRowsGo, with the same two roundings.
		affineRowsKernel(rows, c, x, scale, shift, y)
		return
	}
	if !perChannel || c < 16 {
		p := 16 // the period: values of scale and shift repeat every p elements
		if perChannel {
			p = 16 * c / gcd(c, 16)
		}
		var sc, sh [16 * 15]float32
		for j := range p {
			sc[j], sh[j] = 1, float32(math.Copysign(0, -1))
			if scale != nil {
				sc[j] = scale[min(j%c, len(scale)-1)]
			}
			if shift != nil {
				sh[j] = shift[min(j%c, len(shift)-1)]
			}
		}
		full := n - n%p // a multiple of p, so the rest starts the period again
		if full > 0 {
			affineRowsKernel(full/p, p, x, sc[:p], sh[:p], y)
		}
		if rest := n - full; rest > 0 {
			affineRowsKernel(1, rest, x[full:], sc[:rest], sh[:rest], y[full:])
		}
		return
	}
	for r := 0; r < rows; r++ {
		xr := x[r*c : r*c+c]
		yr := y[r*c : r*c+c]
		for j, v := range xr {
			if scale != nil {
				v *= scale[min(j, len(scale)-1)]
			}
			if shift != nil {
				v += shift[min(j, len(shift)-1)]
			}
			yr[j] = v
		}
	}
}

// gcd returns the greatest common divisor of positive a and b.
func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// affineRowsGo sets columns col0… of each of rows rows of c values to y = x·scale + shift
// (per column), the product rounded before the add (the conversion keeps it from fusing): the
// affine kernels' twin.
func affineRowsGo(rows, c, col0 int, x, scale, shift, y []float32) {
	scale, shift = scale[:c], shift[:c]
	for r := 0; r < rows; r++ {
		xr := x[r*c : r*c+c]
		yr := y[r*c : r*c+c]
		for j := col0; j < c; j++ {
			yr[j] = float32(xr[j]*scale[j]) + shift[j]
		}
	}
}

// LayerNorm normalizes each row of cols values as Keras LayerNormalization
// over the trailing axes (their product is cols; gamma and beta hold cols
// values):
//
//	rms false: y = (x - mean) / sqrt(var + eps) * gamma + beta
//	rms true:  y = x / sqrt(var + eps) * gamma   (Keras' rms_scaling=True)
//
// with the biased variance, in float32 (vmath.go's layerNormGo and its kernels, accurate
// to a few float32 ulps of the mean and variance). Keras' rms_scaling divides by the variance, not
// by the mean square, and ignores beta (the layer has none); RMSNorm is the
// mean-square form.
func LayerNorm(rows, cols int, x, gamma, beta, y []float32, eps float32, rms bool) {
	need("LayerNorm", "x", x, rows*cols)
	need("LayerNorm", "y", y, rows*cols)
	if gamma != nil {
		need("LayerNorm", "gamma", gamma, cols)
	}
	if beta != nil && !rms {
		need("LayerNorm", "beta", beta, cols)
	}
	if cols == 0 {
		return
	}
	runRows(rowsOp{kernel: rowsLayerNorm, rows: rows, cols: cols, x: x, y: y, gamma: gamma, beta: beta, eps: eps, rms: rms})
}

// RMSNorm is Keras RMSNormalization (ops.rms_normalization) over rows of
// cols values: y = x / sqrt(mean(x²) + eps) * scale; scale may be nil.
func RMSNorm(rows, cols int, x, scale, y []float32, eps float32) {
	need("RMSNorm", "x", x, rows*cols)
	need("RMSNorm", "y", y, rows*cols)
	if scale != nil {
		need("RMSNorm", "scale", scale, cols)
	}
	for r := 0; r < rows; r++ {
		xr := x[r*cols : r*cols+cols]
		yr := y[r*cols : r*cols+cols]
		var q float64
		for _, v := range xr {
			q += float64(v) * float64(v)
		}
		inv := 1 / math.Sqrt(q/float64(cols)+float64(eps))
		for j, v := range xr {
			t := float64(v) * inv
			if scale != nil {
				t *= float64(scale[j])
			}
			yr[j] = float32(t)
		}
	}
}

// GroupNorm is Keras GroupNormalization, channels last: x and y are
// [n, spatial, c] (spatial the product of the spatial dimensions), the c
// channels form groups of c/groups adjacent channels, and each (sample,
// group) is normalized by its mean and biased variance over spatial ×
// c/groups values: y = (x - mean)/sqrt(var + eps)*gamma[ch] + beta[ch].
// groups = c is InstanceNormalization, groups = 1 LayerNorm over all but
// the batch axis with per-channel gamma and beta.
func GroupNorm(n, spatial, c, groups int, x, gamma, beta, y []float32, eps float32) {
	if groups <= 0 || c%groups != 0 {
		panic("runtime.GroupNorm: channels not divisible by groups")
	}
	size := n * spatial * c
	need("GroupNorm", "x", x, size)
	need("GroupNorm", "y", y, size)
	if gamma != nil {
		need("GroupNorm", "gamma", gamma, c)
	}
	if beta != nil {
		need("GroupNorm", "beta", beta, c)
	}
	cpg := c / groups
	count := float64(spatial * cpg)
	for b := 0; b < n; b++ {
		xs := x[b*spatial*c : (b+1)*spatial*c]
		ys := y[b*spatial*c : (b+1)*spatial*c]
		for g := 0; g < groups; g++ {
			c0 := g * cpg
			var s float64
			for p := 0; p < spatial; p++ {
				for _, v := range xs[p*c+c0 : p*c+c0+cpg] {
					s += float64(v)
				}
			}
			mean := s / count
			var q float64
			for p := 0; p < spatial; p++ {
				for _, v := range xs[p*c+c0 : p*c+c0+cpg] {
					d := float64(v) - mean
					q += d * d
				}
			}
			inv := 1 / math.Sqrt(q/count+float64(eps))
			for p := 0; p < spatial; p++ {
				yr := ys[p*c+c0 : p*c+c0+cpg]
				for j, v := range xs[p*c+c0 : p*c+c0+cpg] {
					t := (float64(v) - mean) * inv
					if gamma != nil {
						t *= float64(gamma[c0+j])
					}
					if beta != nil {
						t += float64(beta[c0+j])
					}
					yr[j] = float32(t)
				}
			}
		}
	}
}

// L2Normalize is Keras 3 UnitNormalization (ops.normalize with order 2)
// over rows of cols values: y = x * min(1/sqrt(Σx²), 1/eps), that is
// x / max(‖x‖, eps); Keras passes eps = 1e-12. (Keras 2's
// tf.math.l2_normalize bounds Σx² by eps instead; the two differ only for
// norms below 1e-6.)
func L2Normalize(rows, cols int, x, y []float32, eps float32) {
	need("L2Normalize", "x", x, rows*cols)
	need("L2Normalize", "y", y, rows*cols)
	for r := 0; r < rows; r++ {
		xr := x[r*cols : r*cols+cols]
		yr := y[r*cols : r*cols+cols]
		var q float64
		for _, v := range xr {
			q += float64(v) * float64(v)
		}
		inv := math.Min(1/math.Sqrt(q), 1/float64(eps))
		for j, v := range xr {
			yr[j] = float32(float64(v) * inv)
		}
	}
}

// Softmax sets each row of y to the softmax of the row of x:
// exp(x - max) / Σ exp(x - max). A row holding NaN, or only -Inf, gives NaN. With threads,
// bands of rows run in parallel (norm_threads.go).
func Softmax(rows, cols int, x, y []float32) {
	need("Softmax", "x", x, rows*cols)
	need("Softmax", "y", y, rows*cols)
	if cols == 0 {
		return
	}
	runRows(rowsOp{kernel: rowsSoftmax, rows: rows, cols: cols, x: x, y: y})
}

// LogSoftmax sets each row of y to the log-softmax of the row of x:
// x - max - log Σ exp(x - max).
func LogSoftmax(rows, cols int, x, y []float32) {
	need("LogSoftmax", "x", x, rows*cols)
	need("LogSoftmax", "y", y, rows*cols)
	for r := 0; r < rows; r++ {
		xr := x[r*cols : r*cols+cols]
		yr := y[r*cols : r*cols+cols]
		m := reduceContiguous(xr, reduceMax)
		s := sumExpShifted(xr, m)
		off := float64(m) + math.Log(s)
		for j, v := range xr {
			yr[j] = float32(float64(v) - off)
		}
	}
}

// sumExpShifted returns Σ exp(x[j] - m), the exponentials by vexp in
// float32 through a stack buffer (x is left as it is), summed in float64.
func sumExpShifted(x []float32, m float32) float64 {
	var buf [256]float32
	var s float64
	for j0 := 0; j0 < len(x); j0 += len(buf) {
		c := buf[:min(len(buf), len(x)-j0)]
		for j := range c {
			c[j] = x[j0+j] - m
		}
		vexp(c)
		for _, e := range c {
			s += float64(e)
		}
	}
	return s
}

// SoftmaxStrided is Softmax over the middle axis of x [outer, axis, inner]
// (a softmax over a non-last axis), y the same shape.
func SoftmaxStrided(outer, axis, inner int, x, y []float32) {
	softmaxStrided("SoftmaxStrided", outer, axis, inner, x, y, false)
}

// LogSoftmaxStrided is LogSoftmax over the middle axis of x
// [outer, axis, inner], y the same shape.
func LogSoftmaxStrided(outer, axis, inner int, x, y []float32) {
	softmaxStrided("LogSoftmaxStrided", outer, axis, inner, x, y, true)
}

func softmaxStrided(kernel string, outer, axis, inner int, x, y []float32, logOut bool) {
	need(kernel, "x", x, outer*axis*inner)
	need(kernel, "y", y, outer*axis*inner)
	if inner == 1 {
		if logOut {
			LogSoftmax(outer, axis, x, y)
		} else {
			Softmax(outer, axis, x, y)
		}
		return
	}
	for o := 0; o < outer; o++ {
		xo := x[o*axis*inner : (o+1)*axis*inner]
		yo := y[o*axis*inner : (o+1)*axis*inner]
		for j0 := 0; j0 < inner; j0 += reduceBlock {
			w := min(reduceBlock, inner-j0)
			var mx [reduceBlock]float32
			var sum [reduceBlock]float64
			m, s := mx[:w], sum[:w]
			for j := range m {
				m[j] = negInf
			}
			for a := 0; a < axis; a++ {
				maxTo(m, xo[a*inner+j0:])
			}
			var buf [reduceBlock]float32
			for a := 0; a < axis; a++ {
				xa := xo[a*inner+j0:][:w]
				e := yo[a*inner+j0:][:w] // the exponentials stay in y for softmax
				if logOut {
					e = buf[:w] // and x stays as it is for log-softmax
				}
				for j, v := range xa {
					e[j] = v - m[j]
				}
				vexp(e)
				for j, v := range e {
					s[j] += float64(v)
				}
			}
			for a := 0; a < axis; a++ {
				xa := xo[a*inner+j0:][:w]
				ya := yo[a*inner+j0:][:w]
				for j := range ya {
					if logOut {
						ya[j] = float32(float64(xa[j]) - float64(m[j]) - math.Log(s[j]))
					} else {
						ya[j] = float32(float64(ya[j]) / s[j])
					}
				}
			}
		}
	}
}
