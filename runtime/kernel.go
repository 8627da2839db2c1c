// Shared conventions of the kernel layer.
//
// Contract, common to every kernel file (activation.go, gemm.go, epilogue.go,
// dense.go, conv.go, pool.go, norm.go, elementwise.go, layout.go, gather.go,
// reduce.go):
//   - Tensors are float32 slices in C (row-major) order; images are NHWC.
//     Shapes, strides and offsets are plain ints that generated code passes as
//     constants; the kernels trust them.
//   - Callers pass every output and scratch slice: kernels allocate nothing
//     and return no errors. A kernel reads only the elements its shape
//     arguments name and writes only its output's elements, never past the
//     end of any slice's length (slices may be sub-slices of one arena).
//   - The one error a kernel detects is a slice shorter than its shape
//     arguments require (a programmer error in the caller): it then panics,
//     before writing anything, with a message naming the kernel and slice.
//     Other bad arguments (negative sizes, a perm that is no permutation)
//     are also programmer errors and may panic.
//   - Unless a kernel says otherwise, an output must not overlap its inputs;
//     the kernels that work in place say so.
//   - Each exported kernel is the pure-Go reference implementation; an
//     assembly twin, where one exists, sits behind the same function and must
//     match it (same formula, results within the stated tolerance).

package runtime

import "strconv"

// need panics unless s holds at least n elements.
func need(kernel, what string, s []float32, n int) {
	if len(s) < n {
		panic("runtime." + kernel + ": " + what + " has " + strconv.Itoa(len(s)) +
			" elements, need " + strconv.Itoa(n))
	}
}

// matLen returns how many elements a rows×cols matrix with row stride ld
// spans: (rows-1)*ld + cols, or 0 when it is empty.
func matLen(rows, cols, ld int) int {
	if rows <= 0 || cols <= 0 {
		return 0
	}
	return (rows-1)*ld + cols
}

// prod returns the product of dims (1 for none).
func prod(dims []int) int {
	n := 1
	for _, d := range dims {
		n *= d
	}
	return n
}

// maxRank is the largest rank the shape-generic kernels (Transpose, Pad,
// Slice, BinaryBroadcast) accept.
const maxRank = 8

func checkRank(kernel string, rank int) {
	if rank > maxRank {
		panic("runtime." + kernel + ": rank " + strconv.Itoa(rank) + " exceeds " + strconv.Itoa(maxRank))
	}
}
