//go:build amd64 && !purego

package runtime

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLSTMStepBackNeedsBlocks: lstmStep runs back only on whole 32-unit blocks (Recurrent's
// driver never asks otherwise); asked to with 16 or 48 units, it panics before any kernel
// runs, and leaves c and hNew as they were.
func TestLSTMStepBackNeedsBlocks(t *testing.T) {
	for _, u := range []int{16, 48} {
		z, w, h := make([]float32, 4*u), make([]float32, 4*u*u), make([]float32, u)
		c, hNew := make([]float32, u), make([]float32, u)
		for i := range c {
			c[i], hNew[i] = 1, 2
		}
		require.PanicsWithValue(t, "runtime: lstmStep back needs a multiple of 32 units", func() {
			lstmStep(z, w, h, hNew, c, true)
		})
		for i := range c {
			require.Equal(t, float32(1), c[i])
			require.Equal(t, float32(2), hNew[i])
		}
	}
}
