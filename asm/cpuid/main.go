// Command cpuid generates kerasgen's amd64 CPUID stub (Plan9 assembly) with avo. Regenerate
// with
//
//	cd asm && go run ./cpuid -out ../runtime/cpuid_amd64.s -stubs ../runtime/cpuid_stubs_amd64.go
//
// cpuid(leaf, sub) runs the CPUID instruction with EAX = leaf and ECX = sub and returns EAX,
// EBX, ECX and EDX. golang.org/x/sys/cpu reads the feature flags but keeps its CPUID to itself;
// the runtime asks it for the L1 data cache's associativity (runtime/cache_amd64.go).
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/kerasgen/kerasgen/asm/internal/setup"
)

func main() {
	setup.Runtime()
	TEXT("cpuid", NOSPLIT, "func(leaf, sub uint32) (eax, ebx, ecx, edx uint32)")
	Doc("cpuid returns what the CPUID instruction leaves in EAX, EBX, ECX and EDX for leaf (EAX)",
		"and subleaf sub (ECX).")
	Load(Param("leaf"), EAX)
	Load(Param("sub"), ECX)
	CPUID()
	Store(EAX, Return("eax"))
	Store(EBX, Return("ebx"))
	Store(ECX, Return("ecx"))
	Store(EDX, Return("edx"))
	RET()
	Generate()
}
