package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// maxParts bounds how many blocks of C one call is split into.
const maxParts = 64

// minPartFlops is the least work (2·m·n·k over the parts) worth handing to
// another thread; below it waking a worker costs more than it saves. Waking
// a parked worker takes ~5 µs on bare metal but was measured at ~70 µs on
// virtual machines; the caller starts on the parts itself and takes the
// worker's too if it is late, so a slow wake costs little beyond the
// serial time.
const minPartFlops = 1 << 20

// threads is the number of threads Sgemm uses; 0 means runtime.GOMAXPROCS(0).
var threads atomic.Int32

// SetThreads sets how many threads Sgemm uses (n < 1 restores the default,
// runtime.GOMAXPROCS(0)). Results do not depend on it. The calling
// goroutine does one share of the work; up to n-1 persistent worker
// goroutines do the rest. Callers that already run several products in
// parallel (one per core) should set 1 to avoid oversubscription.
func SetThreads(n int) {
	n = min(n, maxParts)
	if n < 1 {
		n = 0
	}
	threads.Store(int32(n))
}

// Threads reports how many threads Sgemm uses.
func Threads() int {
	if n := threads.Load(); n > 0 {
		return int(n)
	}
	return min(runtime.GOMAXPROCS(0), maxParts)
}

// job is one call split into parts, shared by the caller and the workers
// it woke. Each takes parts until none are left.
type job struct {
	kern   *kernel
	prob   problem
	parts  []rect
	most   rect // as many rows and columns as the largest part
	next   atomic.Int32
	joined atomic.Int32 // woken workers that have started on the job
	busy   atomic.Int32 // woken workers that have not finished with the job
}

func (j *job) work(ws *workspace) {
	// Sized for the largest part whichever parts this thread takes, so
	// that taking a larger one than last time never allocates.
	ws.reserve(j.kern, &j.prob, j.most)
	for {
		i := int(j.next.Add(1)) - 1
		if i >= len(j.parts) {
			return
		}
		ws.compute(j.kern, &j.prob, j.parts[i])
	}
}

// pool holds the persistent workers and the buffers of calls in flight.
var pool struct {
	mu         sync.Mutex
	workers    int // started so far; they never stop
	jobs       chan *job
	freeJobs   []*job
	freeSpaces []*workspace
}

func init() {
	pool.jobs = make(chan *job, maxParts)
}

// worker runs parts of jobs with its own packing buffers.
func worker() {
	ws := new(workspace)
	for j := range pool.jobs {
		j.joined.Add(1)
		j.work(ws)
		j.busy.Add(-1) // the last use of j
	}
}

// getJob takes a job from the free list, or makes one.
func getJob() *job {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if n := len(pool.freeJobs); n > 0 {
		j := pool.freeJobs[n-1]
		pool.freeJobs = pool.freeJobs[:n-1]
		return j
	}
	return &job{parts: make([]rect, 0, maxParts)}
}

func putJob(j *job) {
	j.kern, j.prob, j.parts = nil, problem{}, j.parts[:0]
	pool.mu.Lock()
	pool.freeJobs = append(pool.freeJobs, j)
	pool.mu.Unlock()
}

// getWorkspace takes packing buffers for the calling goroutine.
func getWorkspace() *workspace {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if n := len(pool.freeSpaces); n > 0 {
		ws := pool.freeSpaces[n-1]
		pool.freeSpaces = pool.freeSpaces[:n-1]
		return ws
	}
	return new(workspace)
}

func putWorkspace(ws *workspace) {
	pool.mu.Lock()
	pool.freeSpaces = append(pool.freeSpaces, ws)
	pool.mu.Unlock()
}

// startWorkers makes sure at least n workers exist.
func startWorkers(n int) {
	pool.mu.Lock()
	for pool.workers < n {
		go worker()
		pool.workers++
	}
	pool.mu.Unlock()
}

// run computes p with kern, split over up to Threads() threads.
func run(kern *kernel, p problem) {
	ws := getWorkspace()
	defer putWorkspace(ws)
	if flops(p.m, p.n, p.k) < 2*minPartFlops {
		// Too small to share: skip the job and the thread count.
		ws.compute(kern, &p, rect{0, p.m, 0, p.n})
		return
	}
	j := getJob()
	j.kern, j.prob = kern, p
	j.parts = partition(j.parts[:0], kern, p.m, p.n, p.k, Threads())
	j.most = rect{}
	for _, r := range j.parts {
		j.most.i1 = max(j.most.i1, r.i1-r.i0)
		j.most.j1 = max(j.most.j1, r.j1-r.j0)
	}
	j.next.Store(0)
	j.joined.Store(0)
	helpers := len(j.parts) - 1
	j.busy.Store(int32(helpers))
	if helpers > 0 {
		startWorkers(helpers)
		for range helpers {
			pool.jobs <- j
		}
	}
	j.work(ws)
	// Wait without parking, which would take a runtime sudog: the runtime
	// allocates one now and then, when the cache of the processor the
	// caller parks on has run dry. Yield while a worker has not joined (it
	// may be waiting for this processor) or there are fewer processors
	// than threads; otherwise spin, as a yielding caller lets a worker
	// preempted in mid-part trade processors with it, which drifts the
	// caches the workers' own parking draws on.
	crowded := helpers >= runtime.GOMAXPROCS(0)
	for j.busy.Load() > 0 {
		if crowded || j.joined.Load() < int32(helpers) {
			runtime.Gosched()
		}
	}
	putJob(j)
}

// flops is the arithmetic of an m×n×k product, without overflow on 32-bit
// platforms.
func flops(m, n, k int) int64 { return 2 * int64(m) * int64(n) * int64(k) }

// partition splits the m×n result into at most t blocks, one per thread,
// appended to dst. Block edges fall on whole tiles of the kernel, and the
// grid (gm blocks down, gn across) is the one whose largest block costs
// least, counting both the tile arithmetic and the packing each block does.
func partition(dst []rect, kern *kernel, m, n, k, t int) []rect {
	tm := (m + kern.mr - 1) / kern.mr
	tn := (n + kern.nr - 1) / kern.nr
	if most := flops(m, n, k) / minPartFlops; int64(t) > most {
		t = int(max(1, most))
	}
	bestGM, bestGN := 1, 1
	bestCost := -1
	for gm := 1; gm <= min(t, tm); gm++ {
		gn := min(t/gm, tn)
		rows := (tm + gm - 1) / gm * kern.mr
		cols := (tn + gn - 1) / gn * kern.nr
		// A tile step (mr·nr FMAs) costs about as much as packing mr·nr/16 values.
		cost := rows*cols + 16*(rows+cols)
		if bestCost < 0 || cost < bestCost {
			bestGM, bestGN, bestCost = gm, gn, cost
		}
	}
	for bi := 0; bi < bestGM; bi++ {
		i0 := min(m, bi*tm/bestGM*kern.mr)
		i1 := min(m, (bi+1)*tm/bestGM*kern.mr)
		for bj := 0; bj < bestGN; bj++ {
			j0 := min(n, bj*tn/bestGN*kern.nr)
			j1 := min(n, (bj+1)*tn/bestGN*kern.nr)
			if i0 < i1 && j0 < j1 {
				dst = append(dst, rect{i0, i1, j0, j1})
			}
		}
	}
	return dst
}
