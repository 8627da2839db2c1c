//go:build amd64 && !purego

// The two forms of the AVX-512 kernels that differ between Zen 4 and other cores, and the
// choice between them at start-up: the two-vector kernels (32- and 24-wide GEMM, 32-wide conv
// and pooled conv; asm/gemm's spec.emb), and the 8-wide conv and pooled conv kernels.
//
// Zen 4 runs a 512-bit operation as two 256-bit halves; there each multiply-add broadcasting
// its row's element of A from memory (the Emb kernels) ran faster than one broadcast a row
// into a register shared by the row's two multiply-adds (sgemm 1024³ and 2048³ at 91–92% of
// the core's probed peak, 96–97% in the Emb form; MobileNetV2 b1 6.30 → 6.04 ms). Zen 5's
// full-width pipes are the other way round: there the twice-loaded elements bound the
// 12×32 tile (174–205 against 230–234 GFLOP/s). The register form stays the default
// elsewhere (Intel's two load ports favour fewer loads as well).
//
// The 8-wide conv kernels: on Zen 4, where YMM broadcasts and multiply-adds issue two a cycle,
// one YMM a pixel with embedded broadcasts (convAVX512YMM8) ran tfjs-unet's 224×224
// convolutions to 8 channels 20–25% faster than the depth-pair kernels written for Zen 5
// (convAVX512DepthPairs8), which stay the others' form. These two sum in different orders
// (within the tolerances; the one-YMM kernels sum as the 16-wide ones do).

package runtime

import (
	"os"
	"strings"
)

func init() { useZMMHalves(initialZMMHalves()) }

// initialZMMHalves returns the form the kernels start in: KERASGEN_ZMM=halves (the Emb
// form) or full (the register form) when set to one of those, else what the CPU is.
func initialZMMHalves() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv("KERASGEN_ZMM"))) {
	case "halves":
		return true
	case "full":
		return false
	}
	return hostZMMHalves()
}

// hostZMMHalves reports whether this CPU runs 512-bit operations as two 256-bit halves: an
// AMD processor of family 0x19 (Zen 3, which has no AVX-512, and Zen 4); Zen 5 is family 0x1a.
func hostZMMHalves() bool {
	_, b, c, d := cpuid(0, 0)
	if vendor(b, c, d) != "AuthenticAMD" {
		return false
	}
	a, _, _, _ := cpuid(1, 0)
	family := a >> 8 & 0xf
	if family == 0xf {
		family += a >> 20 & 0xff
	}
	return family == 0x19
}

// useZMMHalves puts the kernels of one form in the tables the drivers dispatch through: the
// Emb form (halves) or the register form.
func useZMMHalves(halves bool) {
	zmmHalves = halves
	avx512Kernels, avx512Kernels24, convAVX512Kernels = avx512KernelsFull, avx512Kernels24Full, convAVX512KernelsFull
	convAVX512Kernels8 = convAVX512DepthPairs8
	if halves {
		avx512Kernels, avx512Kernels24, convAVX512Kernels = avx512KernelsEmb, avx512Kernels24Emb, convAVX512KernelsEmb
		convAVX512Kernels8 = convAVX512YMM8
	}
	for i := range convPoolSets {
		s := &convPoolSets[i]
		s.wide, s.eight = s.wideFull, s.pairs8
		if halves {
			s.wide, s.eight = s.wideEmb, s.ymm8
		}
	}
}
