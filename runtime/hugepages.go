package runtime

// HugePages asks the OS to back s with huge pages (on Linux, transparent huge pages through
// madvise, which the system's default "madvise" setting leaves to each program), so that a
// model's megabytes of weights and activations take a few TLB entries instead of thousands.
// A generated package calls it on its weights and its arena before their first write (the
// kernel chooses the page size when a page is first touched). It changes no value; where the
// OS or the system's settings refuse, nothing happens.
func HugePages[E float32 | uint16](s []E) { _ = hugePages(s) }
