//go:build amd64 && !purego

package runtime

import "testing"

// bMat.block finds the contiguous kk-row run under a panel's start (and nothing where there
// is none), prefetchAt shares it among the first tiles over the block before it, and
// tilePrefetch gives the tiles after them B's then.
func TestPrefetchBlocks(t *testing.T) {
	const k, n = 10, 70 // panels of 32, 32 and 6 columns
	data := make([]float32, PanelsLen(k, n))
	for i := range data {
		data[i] = float32(i)
	}
	b := panelB(&Panels{K: k, N: n, Data: data})
	for _, c := range []struct {
		p, j, kk    int
		first, size int // first element's value and length; size 0: nil
	}{
		{0, 0, 10, 0, 320},
		{4, 32, 3, 320 + 4*32, 96},
		{2, 64, 8, 640 + 2*6, 48},
		{0, 16, 4, 0, 0}, // not a panel's start
		{0, 96, 4, 0, 0}, // past the last column
	} {
		got := b.block(c.p, c.j, c.kk)
		if len(got) != c.size || (c.size > 0 && got[0] != float32(c.first)) {
			t.Errorf("block(%d, %d, %d): %d elements from %v, want %d from %d", c.p, c.j, c.kk, len(got), got[:min(1, len(got))], c.size, c.first)
		}
	}
	if plainB(data, n).block(0, 0, 4) != nil {
		t.Error("a plain B has no contiguous blocks")
	}
	if got := b.cols(32).block(1, 0, 2); len(got) != 64 || got[0] != 320+32 {
		t.Errorf("block of a B seen from column 32: %d elements from %v", len(got), got[:min(1, len(got))])
	}

	next := make([]float32, 6*32) // kk = 6 rows of 32: two tiles' shares of 6 lines
	cur := new(float32)
	for tile, want := range []*float32{&next[0], &next[96], cur, cur} {
		if got := prefetchAt(next, 6, tile, cur); got != want {
			t.Errorf("tile %d: pf %p, want %p", tile, got, want)
		}
	}
	if got := prefetchAt(nil, 6, 0, cur); got != cur {
		t.Error("no next block: pf is not cur")
	}
	// tilePrefetch: the tiles with a share of the next block take it; those after them take
	// B's then, kk lines each, region after region (empty ones skipped), then cur.
	then, then2 := make([]float32, 200), make([]float32, 100)
	rest := plainB(nil, 0).prefetching(then, nil, then2).then
	for tile, want := range []*float32{&next[0], &next[96], &then[0], &then[96], &then[192], &then2[0], &then2[96], cur} {
		if got := tilePrefetch(next, 6, tile, &rest, cur); got != want {
			t.Errorf("tilePrefetch, tile %d: pf %p, want %p", tile, got, want)
		}
	}
	for i, r := range rest {
		if len(r) != 0 {
			t.Errorf("tilePrefetch: %d elements of then's region %d left", len(r), i)
		}
	}
}
