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
