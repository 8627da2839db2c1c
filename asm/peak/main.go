// Command peak generates kerasgen's amd64 multiply-add rate probes (Plan9 assembly) with
// avo. Regenerate with
//
//	cd asm && go run ./peak -out ../runtime/peak_amd64.s -stubs ../runtime/peak_stubs_amd64.go
//
// fmaPeak{AVX512,AVX2}(steps, x) run steps rounds of twelve independent multiply-adds
// acc_i = x·x + acc_i on ZMM (16 lanes) or YMM (8 lanes) registers from zero, with no memory
// access in the loop: twelve chains keep both FMA pipes busy through their latency, so a round
// takes as long as the core's multiply-add rate allows, and nothing else. They return lane 0
// of the sum of the twelve accumulators (12·steps·x² when that is exact in float32), so that
// a test can check that the loop ran. runtime/peak.go times them.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"

	"github.com/kerasgen/kerasgen/asm/internal/setup"
)

// chains is the number of independent accumulators: at least the FMA latency (4 cycles on
// Zen 4) times the FMAs issued per cycle, with room to spare.
const chains = 12

func main() {
	setup.Runtime()
	probe("fmaPeakAVX512", true)
	probe("fmaPeakAVX2", false)
	Generate()
}

func probe(name string, avx512 bool) {
	TEXT(name, NOSPLIT, "func(steps int, x float32) float32")
	lanes := "8 lanes (YMM, AVX2+FMA)"
	if avx512 {
		lanes = "16 lanes (ZMM)"
	}
	Doc(name+" runs steps rounds of twelve independent multiply-adds acc += x·x on "+lanes+",",
		"from zero, and returns lane 0 of the twelve accumulators' sum.")
	newVec := func() reg.VecVirtual {
		if avx512 {
			return ZMM()
		}
		return YMM()
	}
	steps := GP64()
	Load(Param("steps"), steps)
	xs := XMM()
	Load(Param("x"), xs)
	x := newVec()
	VBROADCASTSS(xs, x)
	acc := make([]reg.VecVirtual, chains)
	for i := range acc {
		acc[i] = newVec()
		if avx512 {
			VPXORD(acc[i], acc[i], acc[i]) // AVX512F (VXORPS on ZMM needs DQ)
		} else {
			VXORPS(acc[i], acc[i], acc[i])
		}
	}
	TESTQ(steps, steps)
	JLE(LabelRef("sum"))
	Label("loop")
	for _, a := range acc {
		VFMADD231PS(x, x, a)
	}
	DECQ(steps)
	JNE(LabelRef("loop"))
	Label("sum")
	for n := chains; n > 1; {
		h, m := n/2, n-n/2 // fold the last h accumulators onto the first h
		for i := 0; i < h; i++ {
			VADDPS(acc[i+m], acc[i], acc[i])
		}
		n = m
	}
	Store(acc[0].AsX(), ReturnIndex(0))
	VZEROUPPER()
	RET()
}
