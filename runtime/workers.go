// The worker pool that splits large kernels across threads.
//
// Contract: SetThreads(n) makes the large kernels (Gemm and what is built on
// it) split their work into at most n parts run at once: part 0 on the
// calling goroutine, the others on n-1 long-lived worker goroutines that
// sleep on channels between jobs (no busy-spinning: these machines are
// shared). One thread, the default, is a fast path with no synchronization
// at all. The setting is process-wide; KERASGEN_THREADS sets it at start-up.
// A kernel only splits when each part has enough work to repay waking a
// worker (minPartWork multiply-adds). Parts never nest: a part runs the
// one-thread kernel. Concurrent callers share the workers (each worker runs
// the parts sent to it in order), so results and safety do not depend on
// the number of callers. Nothing is allocated per call.

package runtime

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"
)

// minPartWork is the least work, in multiply-adds, worth a part of its own:
// ~70 µs at the Zen 5's ~240 GFLOP/s a core, against the 10–50 µs a sleeping
// worker takes to wake on these shared VMs. At 1<<20 (Zen 4), LSTM steps and
// batch-1 convolutions ran slower on two threads than on one; at 1<<22 on the
// Zen 5, whose kernels run twice as fast, batch-1 models did (resnet_small
// 1.06–2.06 ms against 0.81 on one thread; at 1<<23 0.84–1.06), while 1<<24
// lost the batch-32 CNN's split (BENCHMARKS.md "Session 17"). A variable only
// so that tests can split small problems (withThreads).
var minPartWork = 1 << 23

// parallelJob is a kernel split in parts; runPart runs part p of parts.
type parallelJob interface {
	runPart(p, parts int)
}

type workerMsg struct {
	job      parallelJob
	p, parts int
	wg       *sync.WaitGroup
}

var workers struct {
	mu      sync.Mutex
	threads atomic.Int32
	queues  []chan workerMsg // one per worker goroutine
	bufs    []*[]float32     // one per worker goroutine: its parts' scratch (partScratch)
}

func init() {
	if n, err := strconv.Atoi(os.Getenv("KERASGEN_THREADS")); err == nil {
		SetThreads(n)
	}
}

// SetThreads sets how many threads the large kernels may use (n < 1 means
// 1) and starts the worker goroutines that needs; it may be called at any
// time, also while kernels run.
func SetThreads(n int) {
	n = max(n, 1)
	workers.mu.Lock()
	defer workers.mu.Unlock()
	for len(workers.queues) < n-1 {
		q := make(chan workerMsg, 4)
		workers.queues = append(workers.queues, q)
		workers.bufs = append(workers.bufs, new([]float32))
		go work(q)
	}
	workers.threads.Store(int32(n))
}

// Threads returns the number of threads the large kernels may use.
func Threads() int { return max(int(workers.threads.Load()), 1) }

func work(q chan workerMsg) {
	for m := range q {
		m.job.runPart(m.p, m.parts)
		m.wg.Done()
	}
}

// partsFor returns how many parts a kernel of the given work (multiply-adds)
// should be split into: 1 unless threads are set and each part gets at least
// minPartWork, at most limit (the number of independent pieces it has).
func partsFor(work, limit int) int {
	t := Threads()
	if t == 1 {
		return 1
	}
	return max(1, min(t, limit, work/minPartWork))
}

// runParts runs job's parts 1…parts-1 on workers and part 0 here, and
// returns when all are done. wg must be unused (zero counter).
func runParts(job parallelJob, parts int, wg *sync.WaitGroup) {
	if parts > 1 {
		workers.mu.Lock()
		qs := workers.queues
		workers.mu.Unlock()
		parts = min(parts, len(qs)+1)
		wg.Add(parts - 1)
		for p := 1; p < parts; p++ {
			qs[p-1] <- workerMsg{job, p, parts, wg}
		}
	}
	job.runPart(0, parts)
	wg.Wait()
}

// split returns part p of parts of [0, n) in multiples of unit (the last
// part takes the remainder).
func split(n, unit, p, parts int) (lo, hi int) {
	units := (n + unit - 1) / unit
	lo = min(n, units*p/parts*unit)
	hi = min(n, units*(p+1)/parts*unit)
	return lo, hi
}

// partScratch returns n floats of scratch for part p of a split job: own (the caller's
// scratch, at least n floats) for part 0, which runs on the caller's goroutine; for a part
// p ≥ 1, the buffer of worker p-1, which runs it (runParts sends part p there, and a worker
// runs one part at a time), grown to the most asked of it and never shared. So a warm call
// allocates nothing whichever CPU each goroutine runs on, where a sync.Pool's per-CPU caches
// can miss and allocate.
func partScratch(p, n int, own []float32) []float32 {
	if p == 0 {
		return own[:n]
	}
	workers.mu.Lock()
	b := workers.bufs[p-1]
	workers.mu.Unlock()
	if cap(*b) < n {
		*b = make([]float32, n)
	}
	return (*b)[:n]
}
