//go:build !amd64 || purego

// Without the amd64 assembly, GemmBF16 always runs the pure-Go twin.

package runtime

func bf16Native() bool { return false }

// bf16Asm is never used here (bf16Native is false).
var bf16Asm = bf16Generic
