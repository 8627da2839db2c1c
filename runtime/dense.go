// The Keras Dense layer.
//
// Contract: x is [m×k] row-major, w is the Keras kernel [k×n] (input units
// by output units, as stored in the weight file), y is [m×n]. Dense writes
// y = x·w and then applies ep (bias, activation, residual; nil for none),
// exactly Keras' act(x·W + b). It reads x and w, writes only y[:m*n], and
// panics if a slice is too short. y must not overlap x or w.

package runtime

// Dense sets y[m×n] = x[m×k]·w[k×n], then applies ep.
func Dense(m, k, n int, x, w, y []float32, ep *Epilogue) {
	GemmEpilogue(m, n, k, x, k, w, n, y, n, 0, ep)
}

// DensePanels is Dense with the kernel in panel layout (see panels.go), as a generated
// package stores the kernels of its 1×1 convolutions: y[m×n] = x[m×k]·w, then ep.
func DensePanels(m, k, n int, x []float32, w *Panels, y []float32, ep *Epilogue) {
	needPanels("DensePanels", w, k, n)
	gemm(m, n, k, x, k, panelB(w), y, n, false, ep, 0)
}
