// CPU feature levels and their selection.
//
// At start-up the package picks the best kernel level the CPU (and the
// build: no assembly under the purego tag or off amd64) supports. The
// environment variable KERASGEN_CPU=generic|avx2|avx512 caps it: a level
// above what the machine supports falls back to the best supported one, and
// an unknown value is ignored.

package runtime

import (
	"os"
	"strings"

	"golang.org/x/sys/cpu"
)

const (
	levelGeneric = iota // pure Go
	levelAVX2           // AVX2 + FMA
	levelAVX512         // AVX-512F (with AVX2 + FMA)
)

var levelNames = [...]string{"generic", "avx2", "avx512"}

// cpuLevel is the level the dispatching kernels use.
var cpuLevel = initialLevel()

// CPULevel names the kernel level in use: "generic", "avx2" or "avx512".
func CPULevel() string { return levelNames[cpuLevel] }

// zmmHalves reports whether the AVX-512 GEMM and convolution kernels run in the form for
// cores whose 512-bit operations run as two 256-bit halves (Zen 4; zmm_amd64.go). The environment
// variable KERASGEN_ZMM=halves|full forces a form.
var zmmHalves bool

// ZMMForm names the form of the AVX-512 kernels in use: "halves" (Zen 4's) or "full"; ""
// below the AVX-512 level, where there is no choice.
func ZMMForm() string {
	switch {
	case cpuLevel < levelAVX512:
		return ""
	case zmmHalves:
		return "halves"
	}
	return "full"
}

// hostLevel returns the best level this CPU and build support.
func hostLevel() int {
	if !haveAsm {
		return levelGeneric
	}
	x := cpu.X86
	switch {
	case x.HasAVX2 && x.HasFMA && x.HasAVX512F:
		return levelAVX512
	case x.HasAVX2 && x.HasFMA:
		return levelAVX2
	}
	return levelGeneric
}

func parseLevel(s string) (int, bool) {
	for i, n := range levelNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return i, true
		}
	}
	return 0, false
}

func initialLevel() int {
	host := hostLevel()
	if l, ok := parseLevel(os.Getenv("KERASGEN_CPU")); ok {
		return min(l, host)
	}
	return host
}

// setCPULevel switches the dispatch to the named level (for tests and
// benchmarks) and reports whether this machine and build support it; when
// it does not, the level is unchanged.
func setCPULevel(name string) bool {
	l, ok := parseLevel(name)
	if !ok || l > hostLevel() {
		return false
	}
	cpuLevel = l
	return true
}
