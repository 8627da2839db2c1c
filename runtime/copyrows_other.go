//go:build !amd64 || purego

package runtime

// copyRows copies rows rows of n floats from src (rows lds elements apart) to dst (rows ldd
// elements apart).
func copyRows(dst []float32, ldd int, src []float32, lds, rows, n int) {
	copyRowsGeneric(dst, ldd, src, lds, rows, n)
}
