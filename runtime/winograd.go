// Winograd product: C = A·B + bias by one level of the Strassen–Winograd algorithm, for a
// constant B in panel layout (an LSTM's stacked kernel [W; U], multiplied once per step).
//
// Contract: A is m×k (row stride lda), B is k×n in panel layout, C is m×n (row stride ldc),
// bias has n values or is nil; m and k are even and n is a multiple of 2·panelW, so that
// B's quadrants are whole panels. With A, B and C split into 2×2 quadrants (A11 the top
// left m/2×k/2 one, and so on), Winograd's form of Strassen's algorithm takes 7 products of
// the quadrants' size instead of 8, and 15 additions:
//
//	S1 = A21 + A22   S2 = S1 − A11   S3 = A11 − A21   S4 = A12 − S2
//	T1 = B12 − B11   T2 = B22 − T1   T3 = B22 − B12   T4 = T2 − B21
//	M1 = A11·B11  M2 = A12·B21  M3 = S4·B22  M4 = A22·T4  M5 = S1·T1  M6 = S2·T2  M7 = S3·T3
//	U2 = M1 + M6   U3 = U2 + M7
//	C11 = M1 + M2   C12 = U2 + M5 + M3   C21 = U3 − M4   C22 = U3 + M5
//
// The T sums are B's, made once by newWinograd (−T4 is stored, so that every product adds).
// The products run on the GEMM kernels, the bias and most of the C sums in their tile
// epilogues (a residual is one more addition there): an eighth fewer multiply-adds for about
// 2% more memory traffic. The S sums and two of the C sums take addRows passes.
//
// Accuracy: the sums are float32, in a different order from the classical product's, and
// the quadrant sums grow the rounding errors by a small constant factor: the error bound is
// normwise (in max|A|·max|B|, not |A|·|B|), as for every Strassen-like product.
// TestWinogradMatchesReference states the bound checked. Non-finite values spread further
// than in the classical product: an Inf in A or B can give NaN (Inf − Inf in a sum) in more
// outputs, where the classical product gives ±Inf or NaN in fewer. Nothing is allocated per
// product.

package runtime

// winograd holds B's quadrant sums for its Winograd product: T1, T2, T3 and −T4, each
// k/2 × n/2 in panel layout.
type winograd struct {
	t1, t2, t3, t4n Panels
}

// winogradScratch is the scratch (in elements) a Winograd product of m rows by a k×n matrix
// needs: S1…S4 (m/2 × k/2 each) and one m/2 × n/2 running sum.
func winogradScratch(m, k, n int) int { return m*k + m*n/4 }

// winogradFits reports whether a k×n matrix B has a Winograd product (see the contract).
func winogradFits(k, n int) bool { return k >= 2 && k%2 == 0 && n > 0 && n%(2*panelW) == 0 }

// newWinograd forms the B-side sums of b's Winograd product, or returns nil when b's shape
// does not split (winogradFits). It allocates.
func newWinograd(b *Panels) *winograd {
	if !winogradFits(b.K, b.N) {
		return nil
	}
	k, n := b.K, b.N
	hk, hn := k/2, n/2
	plain := make([]float32, k*n)
	b.Unpack(plain, n)
	q := func(i, j int) []float32 { return plain[i*hk*n+j*hn:] } // B's quadrant (i, j), row stride n
	t := make([]float32, 4*hk*hn)
	t1, t2, t3, t4n := t[:hk*hn], t[hk*hn:2*hk*hn], t[2*hk*hn:3*hk*hn], t[3*hk*hn:]
	addRows(hk, hn, t1, hn, q(0, 1), n, q(0, 0), n, true) // T1 = B12 − B11
	addRows(hk, hn, t2, hn, q(1, 1), n, t1, hn, true)     // T2 = B22 − T1
	addRows(hk, hn, t3, hn, q(1, 1), n, q(0, 1), n, true) // T3 = B22 − B12
	addRows(hk, hn, t4n, hn, q(1, 0), n, t2, hn, true)    // −T4 = B21 − T2
	w := &winograd{}
	for i, p := range []*Panels{&w.t1, &w.t2, &w.t3, &w.t4n} {
		*p = PackPanelsInto(plain[i*hk*hn:(i+1)*hk*hn], hk, hn, t[i*hk*hn:], hn)
	}
	return w
}

// gemm sets c to a·b + bias (bias nil: none) by the Winograd product (see the file comment);
// b is the matrix w was made from, s holds winogradScratch(m, b.K, b.N) elements.
func (w *winograd) gemm(m int, a []float32, lda int, b *Panels, c []float32, ldc int, bias, s []float32) {
	k, n := b.K, b.N
	hm, hk, hn := m/2, k/2, n/2
	need("Winograd", "a", a, matLen(m, k, lda))
	need("Winograd", "c", c, matLen(m, n, ldc))
	need("Winograd", "scratch", s, winogradScratch(m, k, n))
	aq := func(i, j int) []float32 { return a[i*hm*lda+j*hk:] }
	cq := func(i, j int) []float32 { return c[i*hm*ldc+j*hn:] }
	ss := func(i int) []float32 { return s[i*hm*hk : (i+1)*hm*hk] }
	s1, s2, s3, s4 := ss(0), ss(1), ss(2), ss(3)
	p := s[4*hm*hk : 4*hm*hk+hm*hn]                              // M1, then U2, then U3
	addRows(hm, hk, s1, hk, aq(1, 0), lda, aq(1, 1), lda, false) // S1 = A21 + A22
	addRows(hm, hk, s2, hk, s1, hk, aq(0, 0), lda, true)         // S2 = S1 − A11
	addRows(hm, hk, s3, hk, aq(0, 0), lda, aq(1, 0), lda, true)  // S3 = A11 − A21
	addRows(hm, hk, s4, hk, aq(0, 1), lda, s2, hk, true)         // S4 = A12 − S2

	// B's quadrants B11, B21, B22 are views of its panels: the top or bottom k/2 rows of
	// the left or right n/2 columns' panels.
	b11 := panelB(b)
	b21 := b11
	b21.b = b21.b[hk*panelW:]
	b22 := b21.cols(hn)
	var bl, br []float32
	if bias != nil {
		bl, br = bias[:hn], bias[hn:n]
	}
	prod := func(x []float32, ldx int, y bMat, dst []float32, ldd int, acc bool, ep Epilogue) {
		var e *Epilogue
		if ep.Bias != nil || ep.Residual != nil {
			e = &ep
		}
		gemm(hm, hn, hk, x, ldx, y, dst, ldd, acc, e, 0)
	}
	prod(aq(0, 0), lda, b11, p, hn, false, Epilogue{})                                         // P = M1
	prod(aq(0, 1), lda, b21, cq(0, 0), ldc, false, Epilogue{Bias: bl, Residual: p})            // C11 = M2 + M1
	prod(s2, hk, panelB(&w.t2), p, hn, true, Epilogue{})                                       // P = U2
	prod(s1, hk, panelB(&w.t1), cq(1, 1), ldc, false, Epilogue{Bias: br})                      // C22 = M5
	prod(s4, hk, b22, cq(0, 1), ldc, false, Epilogue{Residual: p})                             // C12 = M3 + U2
	addRows(hm, hn, cq(0, 1), ldc, cq(0, 1), ldc, cq(1, 1), ldc, false)                        // C12 += M5
	prod(s3, hk, panelB(&w.t3), p, hn, true, Epilogue{})                                       // P = U3
	addRows(hm, hn, cq(1, 1), ldc, cq(1, 1), ldc, p, hn, false)                                // C22 = M5 + U3
	prod(aq(1, 1), lda, panelB(&w.t4n), cq(1, 0), ldc, false, Epilogue{Bias: bl, Residual: p}) // C21 = U3 − M4
}
