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

// TestDwGroups checks the strip arithmetic of depthwiseAsm's general path on every interior
// of 4…120 pixels and strips of 1…3 groups: each strip ends on a group boundary
// (dwGroupFirst), holds 1…strip groups, and its runs of equal groups (dwGroupRun) cover it
// exactly, group by group as dwRowSplit cut the row.
func TestDwGroups(t *testing.T) {
	for n := dwRowMinPix; n <= 120; n++ {
		n1, p1, n2 := dwRowSplit(n)
		if dwGroupFirst(n1+n2, n1, p1) != n {
			t.Fatalf("n=%d: the groups end at %d", n, dwGroupFirst(n1+n2, n1, p1))
		}
		for strip := 1; strip <= 3; strip++ {
			g := 0 // the next group
			for s0 := 0; s0 < n; {
				s1 := dwGroupEnd(s0, n1, p1, n2, strip)
				g1 := g
				for g1 < n1+n2 && dwGroupFirst(g1, n1, p1) < s1 {
					g1++
				}
				if dwGroupFirst(g1, n1, p1) != s1 || g1-g < 1 || g1-g > strip {
					t.Fatalf("n=%d strip=%d: strip [%d, %d) is not 1…%d whole groups from group %d", n, strip, s0, s1, strip, g)
				}
				for off := s0; off < s1; {
					np, cnt := dwGroupRun(off, n1, p1, s1)
					if cnt < 1 {
						t.Fatalf("n=%d strip=%d: empty run at %d", n, strip, off)
					}
					for range cnt {
						if off != dwGroupFirst(g, n1, p1) || dwGroupFirst(g+1, n1, p1)-off != np {
							t.Fatalf("n=%d strip=%d: run at %d of groups of %d, group %d is [%d, %d)", n, strip, off, np, g, dwGroupFirst(g, n1, p1), dwGroupFirst(g+1, n1, p1))
						}
						off += np
						g++
					}
				}
				s0 = s1
			}
			if g != n1+n2 {
				t.Fatalf("n=%d strip=%d: %d of %d groups", n, strip, g, n1+n2)
			}
		}
	}
}

// TestDepthwiseTwinStrips covers rows whose input rows overflow L1 and that depthwiseAsm runs
// in strips of sliding groups down the image (all but 'same' 3×3 stride-1 rows, which
// dwSameStrips takes): kernel widths 3 and 5, column strides 1 and 2, border pixels on
// neither, one or both sides, strips of one group and of more, groups of two sizes, and
// channel tails (narrow rows get more channels, so that every case overflows L1).
func TestDepthwiseTwinStrips(t *testing.T) {
	eachLevel(t, func(t *testing.T) {
		r := newRand(29)
		for _, kw := range []int{3, 5} {
			for _, s := range []int{1, 2} {
				for _, c := range []int{40, 96, 144, 161} {
					for _, ow := range []int{9, 23, 57} {
						padL, padR := r.IntN(kw), r.IntN(kw)
						if r.IntN(3) == 0 {
							padL, padR = 0, 0
						}
						kh := 2 + r.IntN(2)
						p := ConvParams{N: 1 + r.IntN(2), H: kh + r.IntN(4), W: (ow-1)*s + kw - padL - padR, C: c, OC: c,
							KH: kh, KW: kw, SH: 1 + r.IntN(2), SW: s, DH: 1, DW: 1, PadT: r.IntN(kh), PadL: padL, Groups: 1}
						p.OH, p.OW = (p.H+p.PadT-kh)/p.SH+1, ow
						if p.KH*p.W*4*c <= dwL1Bytes { // narrow rows: more channels, same tail
							p.C += (dwL1Bytes/(p.KH*p.W*4) - c + 16) &^ 15
							p.OC = p.C
						}
						checkDepthwiseTwin(t, r, &p)
					}
				}
			}
		}
	})
}
