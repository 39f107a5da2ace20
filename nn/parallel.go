package nn

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/cnnlab/cnnlab/nn/gemm"
	"github.com/cnnlab/cnnlab/nn/internal/workers"
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
	if j == nil {
		for lo := 0; lo < n; lo += grain {
			t.run(lo, min(lo+grain, n))
		}
		return
	}
	j.task, j.n, j.grain, j.blocks = t, n, grain, int32(blocks)
	j.refs.Store(int32(threads))
	startHelpers(threads - 1)
	for range threads - 1 {
		helpers.jobs <- j
	}
	j.work()
	// Wait only for the blocks under way, not for helpers still waking up
	// (about 5 µs on bare metal, 70 µs measured on virtual machines, more
	// than many whole calls): a late helper finds no block left and lets
	// go of the job, which whichever holder lets go last recycles. The
	// blocks under way run on running goroutines, so spin, yielding only
	// when there are fewer processors than threads; parking would take a
	// runtime sudog, which the runtime allocates now and then.
	crowded := threads > runtime.GOMAXPROCS(0)
	for j.finished.Load() < int32(blocks) {
		if crowded {
			runtime.Gosched()
		}
	}
	j.task = nil
	j.release()
}

// blocksOf is the number of blocks parallelFor cuts [0, n) into.
func blocksOf(n, grain int) int {
	grain = max(grain, 1)
	return (n + grain - 1) / grain
}

// parJob is one parallelFor call, shared by the caller and the helpers it
// woke; each takes blocks until none are left.
type parJob struct {
	task     rangeTask
	n        int
	grain    int
	blocks   int32
	next     atomic.Int32 // the next block to take
	finished atomic.Int32 // blocks done
	refs     atomic.Int32 // the caller and the helpers woken, until each lets go
	index    int          // in parJobs.all
}

func (j *parJob) work() {
	for {
		b := int(j.next.Add(1)) - 1
		if b >= int(j.blocks) {
			return
		}
		lo := b * j.grain
		j.task.run(lo, min(lo+j.grain, j.n))
		j.finished.Add(1)
	}
}

// release lets go of j, recycling it if nobody else holds it.
func (j *parJob) release() {
	if j.refs.Add(-1) == 0 {
		putJob(j)
	}
}

// helpers are the persistent goroutines that run blocks besides the caller.
var helpers struct {
	mu      sync.Mutex
	started int // they never stop
	jobs    chan *parJob
}

// The channel holds every job that can be in flight, once per helper it
// was sent to, so that sending never blocks.
func init() { helpers.jobs = make(chan *parJob, maxParJobs*gemm.MaxThreads) }

func startHelpers(n int) {
	helpers.mu.Lock()
	for helpers.started < n {
		go func() {
			for {
				j := workers.Receive(helpers.jobs)
				j.work()
				j.release()
			}
		}()
		helpers.started++
	}
	helpers.mu.Unlock()
}

// maxParJobs bounds the parallelFor calls in flight: calls from several
// goroutines at once, and calls that a late helper still holds (at most
// 32, as many as workers.Slots holds). When all are taken, parallelFor
// does the work on the calling goroutine, which gives the same result.
const maxParJobs = 32

// parJobs are the jobs every parallelFor call shares its work through.
var parJobs struct {
	all   [maxParJobs]parJob
	slots workers.Slots
}

func init() {
	for i := range parJobs.all {
		parJobs.all[i].index = i
	}
	parJobs.slots.Init(maxParJobs)
}

// takeJob takes a free job, or returns nil if all are in use.
func takeJob() *parJob {
	i, ok := parJobs.slots.Take()
	if !ok {
		return nil
	}
	return &parJobs.all[i]
}

// putJob returns j to the free jobs, without a lock (see workers.Slots).
func putJob(j *parJob) {
	j.next.Store(0)
	j.finished.Store(0)
	parJobs.slots.Put(j.index)
}
