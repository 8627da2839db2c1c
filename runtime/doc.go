// Package runtime is what kerasgen-generated packages import: kernels, the
// worker pool, the training loop and I/O. It imports nothing else of kerasgen.
//
// The npy/npz files read and write NumPy's .npy arrays and .npz archives
// (reference vectors, golden data, weights), treating every input as
// untrusted: malformed files give errors, never panics or huge allocations.
package runtime
