// The pure-Go twin of the bf16 kernels (see bf16.go for the contract): the
// implementation under purego, off amd64 and on CPUs without AVX512_BF16,
// and the reference the assembly is tested against. It computes the same
// sums in the same order as VDPBF16PS (products of bf16 values are exact
// in fp32; every sum rounds), without its flush of subnormals to zero.

package runtime

// bf16Generic is the pure-Go implementation of GemmBF16's steps.
var bf16Generic = bf16Impl{cvtRow: cvtBF16RowGeneric, tile: bf16TileGeneric}

// cvtBF16RowGeneric sets dst[0:2⌈len(src)/2⌉] to src rounded to bf16, with
// a zero after the last element when len(src) is odd.
func cvtBF16RowGeneric(dst []uint16, src []float32) {
	dst = dst[:(len(src)+1)&^1]
	for i, v := range src {
		dst[i] = F32ToBF16(v)
	}
	if len(src)&1 != 0 {
		dst[len(src)] = 0
	}
}

// bf16TileGeneric is bf16Impl.tile in Go, one panel at a time.
func bf16TileGeneric(r, kp int, a []uint16, lda int, b []uint16, c []float32, ldc int, acc bool, w int) {
	panelLen := kp * 2 * bf16NR
	for q := 0; q*bf16NR < w; q++ {
		bf16PanelGeneric(r, kp, a, lda, b[q*panelLen:][:panelLen], c[q*bf16NR:], ldc, acc, min(bf16NR, w-q*bf16NR))
	}
}

// bf16PanelGeneric is bf16TileGeneric for one panel (w ≤ 32): an r×32 tile
// of sums on the stack; per pair of k, the panel's 64 bf16 values are
// widened once and used by every row.
func bf16PanelGeneric(r, kp int, a []uint16, lda int, b []uint16, c []float32, ldc int, acc bool, w int) {
	var s [bf16MR][bf16NR]float32
	var even, odd [bf16NR]float32
	for p := 0; p < kp; p++ {
		bp := b[p*2*bf16NR:][:2*bf16NR]
		for j := range even {
			even[j] = BF16ToF32(bp[2*j])
			odd[j] = BF16ToF32(bp[2*j+1])
		}
		for i := 0; i < r; i++ {
			ap := a[(i*lda+p)*2:][:2]
			a0, a1 := BF16ToF32(ap[0]), BF16ToF32(ap[1])
			si := &s[i]
			for j := range si {
				// VDPBF16PS: the odd element of the pair first. The
				// conversions keep the compiler from fusing (the
				// products are exact anyway).
				t := si[j] + float32(a1*odd[j])
				si[j] = t + float32(a0*even[j])
			}
		}
	}
	for i := 0; i < r; i++ {
		row := c[i*ldc:][:w]
		if acc {
			for j := range row {
				row[j] += s[i][j]
			}
		} else {
			copy(row, s[i][:w])
		}
	}
}
