//go:build !amd64 || purego

// The vmath functions without assembly: the pure-Go twins of vmath.go at
// every level.

package runtime

func vexp(x []float32)      { expGo(x) }
func vsigmoid(x []float32)  { sigmoidGo(x) }
func vsilu(x []float32)     { siluGo(x) }
func vtanh(x []float32)     { tanhGo(x) }
func vgelu(x []float32)     { geluGo(x) }
func vgeluTanh(x []float32) { geluTanhGo(x) }

func lstmCell(z, c, h []float32) { lstmCellGo(z, c, h) }

// hasLSTMStep is false: without assembly, a step is a GEMM and lstmCell.
func hasLSTMStep(int) bool { return false }

func lstmStep(z, w, h, hNew, c []float32, back bool) { lstmStepGo(z, w, h, hNew, c, back) }

func vsoftmax(x, y []float32) { softmaxGo(x, y, 16) }

func vsoftmaxRows(rows, cols int, x, y []float32) bool { return false }

func vlayerNorm(x, y, gamma, beta []float32, eps float32, rms bool) {
	layerNormGo(x, y, gamma, beta, eps, rms, 16)
}

func gruCell(x, q, b, h []float32) { gruCellGo(x, q, b, h) }
