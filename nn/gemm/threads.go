package gemm

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/cnnlab/cnnlab/nn/internal/workers"
)

// maxParts bounds how many blocks of C one call is split into.
const maxParts = 64

// MaxThreads is the most threads Threads reports.
const MaxThreads = maxParts

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
// it woke. Each takes parts until none are left. A worker may arrive after
// the caller has done every part (a slow wake); it then finds nothing to do,
// and the caller does not wait for it: the caller waits only for parts
// under way, and the job is recycled by whichever of them lets go last.
type job struct {
	kern     *kernel
	prob     problem
	parts    []rect
	most     rect         // as many rows and columns as the largest part
	next     atomic.Int32 // the next part to take
	finished atomic.Int32 // parts done
	refs     atomic.Int32 // the caller and the workers woken, until each lets go
	index    int          // in jobs.all
}

// work takes and computes parts until none are left.
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
		j.finished.Add(1)
	}
}

// release lets go of j, recycling it if nobody else holds it.
func (j *job) release() {
	if j.refs.Add(-1) == 0 {
		putJob(j)
	}
}

// pool holds the persistent workers and the buffers of calls in flight.
var pool struct {
	mu         sync.Mutex
	workers    int // started so far; they never stop
	jobs       chan *job
	freeSpaces []*workspace
}

func init() {
	pool.jobs = make(chan *job, maxJobs*maxParts)
}

// worker runs parts of jobs with its own packing buffers.
func worker() {
	ws := new(workspace)
	for {
		j := workers.Receive(pool.jobs)
		j.work(ws)
		j.release()
	}
}

// maxJobs bounds the jobs in flight: calls from several goroutines at once,
// and jobs that a late worker still holds (at most 32, as many as
// workers.Slots holds).
const maxJobs = 8

// getJob takes a free job, or returns nil if all are in use.
func getJob() *job {
	i, ok := jobs.slots.Take()
	if !ok {
		return nil
	}
	return &jobs.all[i]
}

// putJob returns j to the free jobs, without a lock (see workers.Slots).
func putJob(j *job) {
	j.kern, j.prob, j.parts = nil, problem{}, j.parts[:0]
	jobs.slots.Put(j.index)
}

// jobs are the jobs every call shares its work through: maxJobs of them.
var jobs struct {
	all   [maxJobs]job
	slots workers.Slots
}

func init() {
	for i := range jobs.all {
		jobs.all[i].index = i
		jobs.all[i].parts = make([]rect, 0, maxParts)
	}
	jobs.slots.Init(maxJobs)
}

// getWorkspace takes packing buffers for the calling goroutine. The pool
// starts with one workspace per thread, since as many calls can run at
// once (SgemmSerial on each of a caller's threads).
func getWorkspace() *workspace {
	pool.mu.Lock()
	defer pool.mu.Unlock()
	if len(pool.freeSpaces) == 0 {
		for range max(1, Threads()) {
			ws := new(workspace)
			ws.growToLargest()
			pool.freeSpaces = append(pool.freeSpaces, ws)
		}
	}
	n := len(pool.freeSpaces)
	ws := pool.freeSpaces[n-1]
	pool.freeSpaces = pool.freeSpaces[:n-1]
	return ws
}

// putWorkspace returns ws to the pool and grows the workspaces there to
// the largest buffers needed so far, so that one idle while another met a
// larger product does not grow later, in the middle of a training step.
func putWorkspace(ws *workspace) {
	pool.mu.Lock()
	pool.freeSpaces = append(pool.freeSpaces, ws)
	for _, w := range pool.freeSpaces {
		w.growToLargest()
	}
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

// run computes p with kern, split over up to Threads() threads, or on the
// calling goroutine alone when serial.
func run(kern *kernel, serial bool, p problem) {
	if swapRoles(kern, p.m, p.n) {
		p = p.swapped()
	}
	ws := getWorkspace()
	defer putWorkspace(ws)
	if serial || flops(p.m, p.n, p.k) < 2*minPartFlops {
		// Too small to share: skip the job and the thread count.
		ws.compute(kern, &p, rect{0, p.m, 0, p.n})
		return
	}
	j := getJob()
	if j == nil {
		// Every job is in use (many concurrent calls, or late workers):
		// do it all here, which gives the same result.
		ws.compute(kern, &p, rect{0, p.m, 0, p.n})
		return
	}
	j.kern, j.prob = kern, p
	j.parts = partition(j.parts[:0], kern, &p, Threads())
	j.most = rect{}
	for _, r := range j.parts {
		j.most.i1 = max(j.most.i1, r.i1-r.i0)
		j.most.j1 = max(j.most.j1, r.j1-r.j0)
	}
	j.next.Store(0)
	j.finished.Store(0)
	helpers := len(j.parts) - 1
	j.refs.Store(int32(helpers + 1))
	if helpers > 0 {
		startWorkers(helpers)
		for range helpers {
			pool.jobs <- j
		}
	}
	j.work(ws)
	// Wait for the parts under way without parking, which would take a
	// runtime sudog (allocated now and then, when the cache of the
	// processor the caller parks on has run dry). Every part is taken, so
	// the workers still at it are running: spin, yielding only when there
	// are fewer processors than threads.
	crowded := helpers >= runtime.GOMAXPROCS(0)
	for int(j.finished.Load()) < len(j.parts) {
		if crowded {
			runtime.Gosched()
		}
	}
	j.release()
}

// packCost is what packing one value of an operand costs, in multiply-adds
// of the micro-kernel.
//
// Transposing packings from rows a multiple of 4 KiB apart were once
// counted 4 times as much (their rows share cache sets). Measured on Zen 5
// with AVX-512 and held to AVX2, that sent the 1024³ product to a split by
// rows that ran 2–6% slower than the split by columns.
const packCost = 16

// flops is the arithmetic of an m×n×k product, without overflow on 32-bit
// platforms.
func flops(m, n, k int) int64 { return 2 * int64(m) * int64(n) * int64(k) }

// partition splits the m×n result of p into at most t blocks, one per
// thread, appended to dst. Block edges fall on whole tiles of the kernel,
// and the grid (gm blocks down, gn across) is the one whose largest block
// costs least, counting both the tile arithmetic and the packing each block
// does: every block packs its rows of op(A) and its columns of op(B), so
// one of them is packed by several threads, and the grid chooses which. A
// block's short last tile of rows counts only the rows its kernel computes
// (see kernel.short), so a grid that leaves it to one thread is not taken
// for balanced when it is not.
func partition(dst []rect, kern *kernel, p *problem, t int) []rect {
	m, n, k := p.m, p.n, p.k
	tm := (m + kern.mr - 1) / kern.mr
	tn := (n + kern.nr - 1) / kern.nr
	if most := flops(m, n, k) / minPartFlops; int64(t) > most {
		t = int(max(1, most))
	}
	bestGM, bestGN := 1, 1
	bestCost := -1
	for gm := 1; gm <= min(t, tm); gm++ {
		gn := min(t/gm, tn)
		cost := 0
		for bi := range gm {
			i0, i1 := span(bi, gm, tm, kern.mr, m)
			rows := kern.computedRows(i1 - i0)
			for bj := range gn {
				j0, j1 := span(bj, gn, tn, kern.nr, n)
				cols := roundUp(j1-j0, kern.nr)
				cost = max(cost, rows*cols+packCost*(i1-i0+j1-j0))
			}
		}
		if bestCost < 0 || cost < bestCost {
			bestGM, bestGN, bestCost = gm, gn, cost
		}
	}
	for bi := range bestGM {
		i0, i1 := span(bi, bestGM, tm, kern.mr, m)
		for bj := range bestGN {
			j0, j1 := span(bj, bestGN, tn, kern.nr, n)
			if i0 < i1 && j0 < j1 {
				dst = append(dst, rect{i0, i1, j0, j1})
			}
		}
	}
	return dst
}

// span returns block b of g of a dimension of length size split on whole
// tiles of width (tiles of them in all).
func span(b, g, tiles, width, size int) (lo, hi int) {
	return min(size, b*tiles/g*width), min(size, (b+1)*tiles/g*width)
}
