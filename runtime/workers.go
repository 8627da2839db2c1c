// The worker pool that splits large kernels across threads.
//
// Contract: SetThreads(n) makes the large kernels (Gemm and what is built on it) split
// their work into at most n parts run at once: part 0 on the calling goroutine, the others
// on n-1 long-lived worker goroutines that poll for their next part for spinFor (100 µs)
// and then sleep on channels (no long busy-spinning: these machines are shared). While
// polling, the caller and the workers keep their threads (they yield only when GOMAXPROCS
// is below the threads): on the Zen 5 VMs, polls that yielded let a caller and a worker
// settle on one P, and a sleeping worker woken by a send waits ~70 µs for an idle P to
// take it, so the caller hands its P to such a worker once and goes on elsewhere
// (BENCHMARKS.md "Session 23"). One thread, the default, is a fast path with no
// synchronization at all. The setting is process-wide; KERASGEN_THREADS sets it at
// start-up. A kernel only splits when each part has enough work to repay waking a worker
// (minPartWork multiply-adds). Parts never nest: a part runs the one-thread kernel.
// KERASGEN_PART_WORK, read at start-up, sets that least work for machines whose workers
// wake faster or slower. Concurrent callers share the workers (each worker runs the parts
// sent to it in order), so results and safety do not depend on the number of callers.
// Nothing is allocated per call.

package runtime

import (
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// minPartWork is the least work, in multiply-adds, worth a part of its own: ~4 µs at the
// Zen 5's ~240 GFLOP/s a core. With workers that slept at once (before spinFor), waking one
// cost 10–50 µs on these shared VMs, and this was 1<<23 (BENCHMARKS.md "Session 17"); with
// workers polling, the batch-32 MLP, CNN and LSTM and the batch-1 MobileNetV2, resnet_small
// and transformer ran 1.5–1.8× faster on two threads at 1<<19 than at 1<<23, and 1<<19 was
// also the best of 1<<19, 1<<21 and 1<<23 on a 16-core Xeon (BENCHMARKS.md "Session
// 22"). A variable so that tests can split small problems (withThreads) and
// KERASGEN_PART_WORK can set it at start-up.
var minPartWork = 1 << 19

// spinFor is how long an idle worker polls for its next part, and a caller for its parts'
// end, before sleeping (see the file's comment), in nanoseconds; atomic, as workers read it
// while tests set it.
var spinFor atomic.Int64

// parallelJob is a kernel split in parts; runPart runs part p of parts.
type parallelJob interface {
	runPart(p, parts int)
}

type workerMsg struct {
	job      parallelJob
	p, parts int
	done     *partsDone
}

// partsDone tracks the end of a split job's parts run by workers: left counts those not yet
// finished (polled by the caller; a worker's last touch of the job is its decrement, so the
// caller returns only once left is 0), wg the same (slept on once polling gives up; a worker
// marks wg before left, so a caller that saw left reach 0 never sleeps on it); sleeping says
// the caller sleeps on wg, so that the worker that wakes it yields its P to it.
type partsDone struct {
	left     atomic.Int32
	sleeping atomic.Bool // the caller sleeps on wg
	wg       sync.WaitGroup
}

var workers struct {
	mu      sync.Mutex
	threads atomic.Int32
	queues  []chan workerMsg // one per worker goroutine
	asleep  []*atomic.Bool   // one per worker goroutine: it sleeps on its queue
	bufs    []*[]float32     // one per worker goroutine: its parts' scratch (partScratch)
}

func init() {
	spinFor.Store(int64(100 * time.Microsecond))
	if n, err := strconv.Atoi(os.Getenv("KERASGEN_THREADS")); err == nil {
		SetThreads(n)
	}
	if n, err := strconv.Atoi(os.Getenv("KERASGEN_PART_WORK")); err == nil && n > 0 {
		minPartWork = n
	}
	if d, err := time.ParseDuration(os.Getenv("KERASGEN_SPIN")); err == nil && d >= 0 {
		spinFor.Store(int64(d))
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
		workers.asleep = append(workers.asleep, new(atomic.Bool))
		go work(q, workers.asleep[len(workers.asleep)-1])
	}
	workers.threads.Store(int32(n))
}

// Threads returns the number of threads the large kernels may use.
func Threads() int { return max(int(workers.threads.Load()), 1) }

// work is a worker's loop; asleep tells callers when it sleeps on q.
func work(q chan workerMsg, asleep *atomic.Bool) {
	for {
		m := receive(q, asleep)
		m.job.runPart(m.p, m.parts)
		// wg before left: a caller that sees left reach 0 finds wg at 0 too and does not
		// sleep; one asleep on wg waits for left after it (see waitParts).
		sleeping := m.done.sleeping.Load()
		m.done.wg.Done()
		m.done.left.Add(-1)
		if sleeping {
			// The caller, woken onto this goroutine's P, would wait behind this one's poll.
			runtime.Gosched()
		}
	}
}

// receive returns q's next message, polling for it for spinFor before sleeping on q.
func receive(q chan workerMsg, asleep *atomic.Bool) workerMsg {
	select {
	case m := <-q:
		return m
	default:
	}
	start, spin, yield := time.Now(), time.Duration(spinFor.Load()), shortOfProcs()
	for i := 1; ; i++ {
		select {
		case m := <-q:
			return m
		default:
		}
		if i%64 == 0 {
			if time.Since(start) >= spin {
				asleep.Store(true)
				m := <-q
				asleep.Store(false)
				return m
			}
			if yield {
				runtime.Gosched() // the caller or another worker may need this thread
			}
		}
	}
}

// waitParts returns once every part counted in d has finished: it polls for spinFor, then
// sleeps.
func waitParts(d *partsDone) {
	if spin := time.Duration(spinFor.Load()); d.left.Load() > 0 && spin > 0 {
		start, yield := time.Now(), shortOfProcs()
		for i := 1; d.left.Load() > 0; i++ {
			if i%64 == 0 {
				if time.Since(start) >= spin {
					break
				}
				if yield {
					runtime.Gosched() // a worker may need this thread
				}
			}
		}
	}
	if d.left.Load() > 0 {
		d.sleeping.Store(true)
		d.wg.Wait()
		for d.left.Load() > 0 {
			// The last part's worker is between wg and left; it touches d no more after.
			runtime.Gosched()
		}
	}
}

// shortOfProcs reports whether the pool's goroutines (a caller and Threads()-1 workers) are
// more than GOMAXPROCS: only then do polling goroutines yield their thread. Otherwise
// yielding lets the caller and a worker settle on one P, taking turns, while the other P
// idles (BENCHMARKS.md "Session 23").
func shortOfProcs() bool { return runtime.GOMAXPROCS(0) < Threads() }

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

// splitOp is a kernel call's operands that can run part p of parts of it.
type splitOp interface {
	runPart(p, parts int)
}

// splitJob is a kernel call O split across threads, with its parts' completion; pooled by
// runSplit, so a warm call does not allocate.
type splitJob[O any, P interface {
	*O
	splitOp
}] struct {
	op   O
	done partsDone
}

func (j *splitJob[O, P]) runPart(p, parts int) { P(&j.op).runPart(p, parts) }

// runSplit runs op in parts (parts > 1) on a splitJob from pool (whose New makes a
// *splitJob[O, P]), and clears the job before pooling it again. Callers run op whole
// themselves when parts ≤ 1: a call through P here would move op to the heap.
func runSplit[O any, P interface {
	*O
	splitOp
}](pool *sync.Pool, op O, parts int) {
	j := pool.Get().(*splitJob[O, P])
	j.op = op
	runParts(j, parts, &j.done)
	var zero O
	j.op = zero
	pool.Put(j)
}

// runParts runs job's parts 1…parts-1 on workers and part 0 here, and
// returns when all are done. done must be unused (zero counts).
func runParts(job parallelJob, parts int, done *partsDone) {
	if parts > 1 {
		workers.mu.Lock()
		qs, asleep := workers.queues, workers.asleep
		workers.mu.Unlock()
		parts = min(parts, len(qs)+1)
		done.left.Store(int32(parts - 1))
		done.sleeping.Store(false) // a pooled job's last call may have slept
		done.wg.Add(parts - 1)
		woke := false
		for p := 1; p < parts; p++ {
			woke = woke || asleep[p-1].Load()
			qs[p-1] <- workerMsg{job, p, parts, done}
		}
		if woke {
			// A worker woken by the send is queued on this goroutine's P, where an idle P
			// takes it only after a sleep of the scheduler's own (~70 µs on these VMs): let it
			// run here now; this goroutine goes on through the global queue.
			runtime.Gosched()
		}
	}
	job.runPart(0, parts)
	if parts > 1 {
		waitParts(done)
	}
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
