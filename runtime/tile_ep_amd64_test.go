//go:build amd64 && !purego

package runtime

import (
	"testing"
	"unsafe"
)

// TestTileEpLayout pins tileEp's field offsets to the ones asm/gemm's epilogue reads.
func TestTileEpLayout(t *testing.T) {
	var k tileEp
	for _, f := range []struct {
		name      string
		got, want uintptr
	}{
		{"slope", unsafe.Offsetof(k.slope), 0}, {"lo", unsafe.Offsetof(k.lo), 64}, {"hi", unsafe.Offsetof(k.hi), 128},
		{"bias", unsafe.Offsetof(k.bias), 192}, {"res", unsafe.Offsetof(k.res), 200}, {"ldr", unsafe.Offsetof(k.ldr), 208},
		{"resAfter", unsafe.Offsetof(k.resAfter), 216}, {"leaky", unsafe.Offsetof(k.leaky), 217},
		{"clampLo", unsafe.Offsetof(k.clampLo), 218}, {"clampHi", unsafe.Offsetof(k.clampHi), 219},
	} {
		if f.got != f.want {
			t.Errorf("tileEp.%s at %d, asm/gemm reads it at %d", f.name, f.got, f.want)
		}
	}
}
