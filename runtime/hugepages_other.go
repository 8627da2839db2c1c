//go:build !linux

package runtime

// hugePages does nothing where the OS has no transparent huge pages to ask for.
func hugePages[E float32 | uint16](s []E) error { return nil }
