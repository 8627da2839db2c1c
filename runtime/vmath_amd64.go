//go:build amd64 && !purego

// Dispatch of the vmath functions to the assembly kernels of
// vmath_amd64.s at the cpuLevel in force: AVX-512 covers a whole slice
// (masked tail); AVX2 covers the multiples of 8 and leaves the last n mod 8
// values to the pure-Go twins of vmath.go, which give the same bits;
// generic runs the twins (bit-identical to the kernels, but about 1.6-2x
// slower than the float64 math-package loop they replace, because fma32 is
// emulated; purego and non-amd64 builds run them too). The kernels are called directly (not through
// function values) so that escape analysis sees their noescape pragma and
// nothing allocates.

package runtime

func vexp(x []float32) {
	switch n := len(x); {
	case n == 0:
	case cpuLevel == levelAVX512:
		expAVX512(&x[0], n)
	case cpuLevel == levelAVX2 && n >= 8:
		expAVX2(&x[0], n)
		expGo(x[n&^7:])
	default:
		expGo(x)
	}
}

func vsigmoid(x []float32) {
	switch n := len(x); {
	case n == 0:
	case cpuLevel == levelAVX512:
		sigmoidAVX512(&x[0], n)
	case cpuLevel == levelAVX2 && n >= 8:
		sigmoidAVX2(&x[0], n)
		sigmoidGo(x[n&^7:])
	default:
		sigmoidGo(x)
	}
}

func vsilu(x []float32) {
	switch n := len(x); {
	case n == 0:
	case cpuLevel == levelAVX512:
		siluAVX512(&x[0], n)
	case cpuLevel == levelAVX2 && n >= 8:
		siluAVX2(&x[0], n)
		siluGo(x[n&^7:])
	default:
		siluGo(x)
	}
}

func vtanh(x []float32) {
	switch n := len(x); {
	case n == 0:
	case cpuLevel == levelAVX512:
		tanhAVX512(&x[0], n)
	case cpuLevel == levelAVX2 && n >= 8:
		tanhAVX2(&x[0], n)
		tanhGo(x[n&^7:])
	default:
		tanhGo(x)
	}
}

func vgelu(x []float32) {
	switch n := len(x); {
	case n == 0:
	case cpuLevel == levelAVX512:
		geluAVX512(&x[0], n)
	case cpuLevel == levelAVX2 && n >= 8:
		geluAVX2(&x[0], n)
		geluGo(x[n&^7:])
	default:
		geluGo(x)
	}
}

func vgeluTanh(x []float32) {
	switch n := len(x); {
	case n == 0:
	case cpuLevel == levelAVX512:
		geluTanhAVX512(&x[0], n)
	case cpuLevel == levelAVX2 && n >= 8:
		geluTanhAVX2(&x[0], n)
		geluTanhGo(x[n&^7:])
	default:
		geluTanhGo(x)
	}
}

// hasLSTMStep reports whether lstmStep has a kernel for u units: AVX-512, u a multiple of 16.
func hasLSTMStep(u int) bool { return cpuLevel == levelAVX512 && u > 0 && u%16 == 0 }

// lstmStep runs lstmStepGo on the lstmStep kernel (z is left holding the pre-activations);
// hasLSTMStep(len(c)) must hold, and w is in the step layout (stepIndex). Going back, which
// needs u a multiple of 32, the kernel takes the blocks and their rows from the last, so
// that it starts on the rows of w that the forward step before it read last (still in L1).
func lstmStep(z, w, h, hNew, c []float32, back bool) {
	u := len(c)
	_, _, _, _ = z[4*u-1], w[4*u*u-1], h[u-1], hNew[u-1]
	if !back {
		lstmStepAVX512(&z[0], &w[0], &h[0], &hNew[0], &c[0], u, 512, 4, 64)
		return
	}
	if u%32 != 0 {
		panic("runtime: lstmStep back needs a multiple of 32 units")
	}
	j := u - 32 // the last 32-unit block, its last row
	lstmStepAVX512(&z[j], &w[4*u*u-128], &h[u-1], &hNew[j], &c[j], u, -512, -4, -64)
}

// lstmCell runs lstmCellGo's gate math on the lstmCell kernels.
func lstmCell(z, c, h []float32) {
	switch u := len(c); {
	case u == 0:
	case cpuLevel == levelAVX512:
		_, _ = z[4*u-1], h[u-1]
		lstmCellAVX512(&z[0], &c[0], &h[0], u)
	case cpuLevel == levelAVX2 && u >= 8:
		_, _ = z[4*u-1], h[u-1]
		lstmCellAVX2(&z[0], &c[0], &h[0], u)
		if r := u &^ 7; r < u {
			lstmCellTail(z, c, h, r)
		}
	default:
		lstmCellGo(z, c, h)
	}
}

// vsoftmax sets y to the softmax of the row x (len(y) ≥ len(x) ≥ 1) on the softmax kernels
// (softmaxGo with the level's lane count: 16, or 8 on AVX2 when len(x) is a multiple of 8).
func vsoftmax(x, y []float32) {
	n := len(x)
	_ = y[n-1]
	switch {
	case cpuLevel == levelAVX512:
		softmaxAVX512(&x[0], &y[0], n)
	case cpuLevel == levelAVX2 && n%8 == 0:
		softmaxAVX2(&x[0], &y[0], n)
	case cpuLevel == levelAVX2:
		softmaxGo(x, y, 8)
	default:
		softmaxGo(x, y, 16)
	}
}

// vsoftmaxRows sets each of the rows rows of y (cols values each, contiguous) to the
// softmax of x's row in one call of softmaxRowsAVX512, the bits vsoftmax gives row by row,
// and reports true; it reports false, doing nothing, where that kernel does not apply (not
// AVX-512, or rows longer than 16 values).
func vsoftmaxRows(rows, cols int, x, y []float32) bool {
	if cpuLevel != levelAVX512 || cols < 1 || cols > 16 || rows < 1 {
		return false
	}
	_, _ = x[rows*cols-1], y[rows*cols-1]
	softmaxRowsAVX512(&x[0], &y[0], rows, cols)
	return true
}

// vlayerNorm is layerNormGo with the level's lane count (16, or 8 on AVX2), on the
// layerNorm kernels when gamma and beta are given, without rms, and (AVX2) len(x) is a
// multiple of 8.
func vlayerNorm(x, y, gamma, beta []float32, eps float32, rms bool) {
	n := len(x)
	_ = y[n-1]
	kernel := gamma != nil && beta != nil && !rms
	if kernel {
		_, _ = gamma[n-1], beta[n-1]
	}
	switch {
	case cpuLevel == levelAVX512 && kernel:
		layerNormAVX512(&x[0], &y[0], &gamma[0], &beta[0], n, eps)
	case cpuLevel == levelAVX2 && kernel && n%8 == 0:
		layerNormAVX2(&x[0], &y[0], &gamma[0], &beta[0], n, eps)
	case cpuLevel == levelAVX2:
		layerNormGo(x, y, gamma, beta, eps, rms, 8)
	default:
		layerNormGo(x, y, gamma, beta, eps, rms, 16)
	}
}

// gruCell runs gruCellGo's gate math on the gruCell kernels.
func gruCell(x, q, b, h []float32) {
	switch u := len(h); {
	case u == 0:
	case cpuLevel == levelAVX512:
		_, _, _ = x[3*u-1], q[3*u-1], b[3*u-1]
		gruCellAVX512(&x[0], &q[0], &b[0], &h[0], u)
	case cpuLevel == levelAVX2 && u >= 8:
		_, _, _ = x[3*u-1], q[3*u-1], b[3*u-1]
		gruCellAVX2(&x[0], &q[0], &b[0], &h[0], u)
		if r := u &^ 7; r < u {
			gruCellTail(x, q, b, h, r)
		}
	default:
		gruCellGo(x, q, b, h)
	}
}
