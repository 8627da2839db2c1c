//go:build linux

package runtime

import (
	"syscall"
	"unsafe"
)

// hugePages advises the kernel to back the whole pages inside s with transparent huge pages
// (madvise MADV_HUGEPAGE) and returns madvise's error; nothing when s holds no whole page.
func hugePages[E float32 | uint16](s []E) error {
	if len(s) == 0 {
		return nil
	}
	page := uintptr(syscall.Getpagesize())
	size := uintptr(len(s)) * unsafe.Sizeof(s[0])
	start := uintptr(unsafe.Pointer(&s[0]))
	skip := (page - start%page) % page // to the first page boundary inside s
	if size <= skip || (size-skip)/page == 0 {
		return nil
	}
	whole := unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(&s[0]), skip)), (size-skip)/page*page)
	return syscall.Madvise(whole, syscall.MADV_HUGEPAGE)
}
