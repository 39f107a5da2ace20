package nn

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

// The layers split their element-wise work (activations, pooling, batch
// norm, im2col, the optimizer's update) over the same number of threads as
// the matrix products, gemm.Threads(). The two never run at the same time, so
// the cores are never oversubscribed.
//
// Work is cut into blocks that depend only on the size of the problem, never
// on the number of threads: a block is computed by the same operations
// whichever thread takes it, and a reduction stores one partial result per
// block and adds the blocks up in order afterwards. So results do not depend
// on the thread count.

// rangeTask is work over the index range [lo, hi) of one block. Layers keep
// their tasks as fields so that passing one to parallelFor allocates nothing.
type rangeTask interface {
	run(lo, hi int)
}

// parallelFor calls t.run on the blocks [0, grain), [grain, 2·grain), ... of
// [0, n) (the last one shorter), on up to gemm.Threads() threads, and returns
// when all are done. Blocks are independent: t must not write anything
// another block reads or writes.
func parallelFor(n, grain int, t rangeTask) {
	if n <= 0 {
		return
	}
	grain = max(grain, 1)
	blocks := (n + grain - 1) / grain
	threads := min(gemm.Threads(), blocks)
	if threads <= 1 {
		for lo := 0; lo < n; lo += grain {
			t.run(lo, min(lo+grain, n))
		}
		return
	}
	j := takeJob()
	j.task, j.n, j.grain, j.blocks = t, n, grain, int32(blocks)
	j.busy.Store(int32(threads - 1))
	startHelpers(threads - 1)
	for range threads - 1 {
		helpers.jobs <- j
	}
	j.work()
	// Wait for the helpers without parking: a parked goroutine holds a
	// runtime sudog, which the runtime allocates when the cache of the
	// processor it parks on is empty; they drift between processors as
	// goroutines wake up on other ones, and the garbage collector drops
	// the central cache, so parking here allocated now and then. Yield
	// while a helper has not joined (it may be waiting for this
	// processor) or there are fewer processors than threads; otherwise
	// spin, since a yielding caller sits on the global run queue where a
	// helper preempted in mid-block can trade processors with it, which
	// drifts the caches the helpers' own parking draws on.
	crowded := threads > runtime.GOMAXPROCS(0)
	for j.busy.Load() > 0 {
		if crowded || j.joined.Load() < int32(threads-1) {
			runtime.Gosched()
		}
	}
	j.task = nil
	putJob(j)
}

// blocksOf is the number of blocks parallelFor cuts [0, n) into.
func blocksOf(n, grain int) int {
	grain = max(grain, 1)
	return (n + grain - 1) / grain
}

// parJob is one parallelFor call, shared by the caller and the helpers it
// woke; each takes blocks until none are left.
type parJob struct {
	task   rangeTask
	n      int
	grain  int
	blocks int32
	next   atomic.Int32
	joined atomic.Int32 // woken helpers that have started on the job
	busy   atomic.Int32 // woken helpers that have not finished with the job
}

func (j *parJob) work() {
	for {
		b := int(j.next.Add(1)) - 1
		if b >= int(j.blocks) {
			return
		}
		lo := b * j.grain
		j.task.run(lo, min(lo+j.grain, j.n))
	}
}

// helpers are the persistent goroutines that run blocks besides the caller.
var helpers struct {
	mu      sync.Mutex
	started int // they never stop
	jobs    chan *parJob
}

func init() { helpers.jobs = make(chan *parJob, 64) }

func startHelpers(n int) {
	helpers.mu.Lock()
	for helpers.started < n {
		go func() {
			for j := range helpers.jobs {
				j.joined.Add(1)
				j.work()
				j.busy.Add(-1) // the last use of j
			}
		}()
		helpers.started++
	}
	helpers.mu.Unlock()
}

// parJobs are the parallelFor calls no longer in use.
var parJobs freeList[parJob]

func takeJob() *parJob { return parJobs.get() }

func putJob(j *parJob) {
	j.next.Store(0)
	j.joined.Store(0)
	parJobs.put(j)
}
