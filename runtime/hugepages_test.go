package runtime

import (
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHugePages: HugePages leaves every value as it was, on empty, sub-page, unaligned and
// multi-megabyte slices of both element types, and on Linux with transparent huge pages
// available the kernel accepts the advice for a large slice.
func TestHugePages(t *testing.T) {
	HugePages([]float32(nil))
	HugePages([]uint16{})
	r := newRand(4)
	for _, n := range []int{1, 1000, 4097, 1 << 20} {
		s := randSlice(r, n+1)
		want := append([]float32(nil), s...)
		HugePages(s[1:]) // not page-aligned
		HugePages(s)
		require.Equal(t, want, s, "%d values", n)
		u := make([]uint16, n)
		for i := range u {
			u[i] = uint16(i)
		}
		HugePages(u)
		for i, v := range u {
			require.Equal(t, uint16(i), v)
		}
	}
	if runtime.GOOS != "linux" {
		return
	}
	if _, err := os.Stat("/sys/kernel/mm/transparent_hugepage/enabled"); err != nil {
		t.Logf("no transparent huge pages on this kernel (%v): the advice is refused, which HugePages ignores", err)
		return
	}
	require.NoError(t, hugePages(make([]float32, 4<<20)), "madvise of a 16 MiB slice")
}
