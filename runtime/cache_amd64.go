//go:build amd64 && !purego

// The L1 data cache's associativity, read with CPUID at start-up: the GEMM drivers size their
// row tiles over rows of A that alias in L1 by it (aliasedTileRows).

package runtime

// l1DataWays returns the number of ways of the L1 data cache as CPUID reports it, or 0 when
// it does not:
//   - AMD and Hygon: leaf 0x8000_0005, ECX bits 23–16 (0xff: fully associative, 0: none).
//   - Others (Intel): the first of leaf 4's subleaves that describes a level-1 data or
//     unified cache, EBX bits 31–22 plus one.
func l1DataWays() int {
	maxLeaf, b, c, d := cpuid(0, 0)
	switch vendor(b, c, d) {
	case "AuthenticAMD", "HygonGenuine":
		if maxExt, _, _, _ := cpuid(0x8000_0000, 0); maxExt < 0x8000_0005 {
			return 0
		}
		_, _, c, _ := cpuid(0x8000_0005, 0)
		return int(c >> 16 & 0xff)
	}
	if maxLeaf < 4 {
		return 0
	}
	for sub := uint32(0); sub < 16; sub++ {
		a, b, _, _ := cpuid(4, sub)
		typ, level := a&0x1f, a>>5&7
		switch {
		case typ == 0: // no more caches
			return 0
		case level == 1 && (typ == 1 || typ == 3): // data or unified
			return int(b>>22) + 1
		}
	}
	return 0
}

// vendor returns the vendor string CPUID leaf 0 spells in EBX, EDX and ECX.
func vendor(b, c, d uint32) string {
	var s [12]byte
	for i, r := range [3]uint32{b, d, c} {
		for j := range 4 {
			s[4*i+j] = byte(r >> (8 * j))
		}
	}
	return string(s[:])
}
