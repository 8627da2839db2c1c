//go:build amd64 && !purego

package runtime

import "testing"

// TestDwRowSplit checks the sliding depthwise kernels' split of a row's interior: every pixel
// once, as few groups as groups of at most dwRowMaxPix allow, every group dwRowMinPix…
// dwRowMaxPix pixels, two sizes at most, one apart.
func TestDwRowSplit(t *testing.T) {
	for n := dwRowMinPix; n <= 300; n++ {
		n1, p1, n2 := dwRowSplit(n)
		groups := (n + dwRowMaxPix - 1) / dwRowMaxPix
		if n1 < 1 || n2 < 0 || n1*p1+n2*(p1-1) != n || n1+n2 != groups ||
			p1 > dwRowMaxPix || p1 < dwRowMinPix || (n2 > 0 && p1-1 < dwRowMinPix) {
			t.Fatalf("dwRowSplit(%d) = %d groups of %d, %d of %d", n, n1, p1, n2, p1-1)
		}
	}
}
