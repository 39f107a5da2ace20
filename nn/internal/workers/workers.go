// Package workers holds what the engine's persistent worker goroutines
// (gemm's and parallelFor's) share: how they wait for their next job,
// quickly when jobs follow each other closely, as within a training step,
// and a lock-free set of job slots. Neither allocates nor parks a
// goroutine that hands out or lets go of a job.
package workers

import (
	"math/bits"
	"runtime"
	"sync/atomic"
	"time"
)

// Slots is a set of at most 32 job slots, each free or taken, taken and
// given back without a lock: a worker letting go of a job never makes
// another goroutine park (a parked goroutine takes a runtime record the
// runtime may allocate). Its zero value has no free slot; Init frees them.
type Slots struct {
	free atomic.Uint32 // bit i is set while slot i is free
}

// Init makes slots 0..n−1 free, n at most 32.
func (s *Slots) Init(n int) { s.free.Store(uint32(1<<n - 1)) }

// Take takes a free slot and returns its index, or false if none is free.
func (s *Slots) Take() (int, bool) {
	for {
		free := s.free.Load()
		if free == 0 {
			return 0, false
		}
		i := bits.TrailingZeros32(free)
		if s.free.CompareAndSwap(free, free&^(1<<i)) {
			return i, true
		}
	}
}

// Put gives slot i back.
func (s *Slots) Put(i int) { s.free.Or(1 << i) }

// AllFree reports whether every one of the n slots Init freed is free.
func (s *Slots) AllFree(n int) bool { return s.free.Load() == uint32(1<<n-1) }

// Receive takes a value from ch: it looks for one for spinTime, then
// checks between naps of napTime until idleTime has passed, and only then
// blocks. A value sent to a buffered channel while nobody is blocked in a
// receive is taken without waking a parked goroutine. Blocking takes a
// runtime record (a sudog) that the runtime allocates whenever the cache of
// the processor blocking on has run dry; napping does not, so a worker
// between the jobs of a training step never makes the step allocate.
func Receive[T any](ch chan T) T {
	select {
	case v := <-ch:
		return v
	default:
	}
	start := time.Now()
	for i := 1; ; i++ {
		select {
		case v := <-ch:
			return v
		default:
		}
		if i%64 == 0 {
			if time.Since(start) > spinTime {
				break
			}
			runtime.Gosched() // let other goroutines have this thread
		}
	}
	for time.Since(start) < idleTime {
		time.Sleep(napTime)
		select {
		case v := <-ch:
			return v
		default:
		}
	}
	return <-ch
}

// spinTime is how long a worker looks for its next job before napping.
// Waking a parked goroutine takes ~5 µs on bare metal but was measured at
// ~70 µs on virtual machines, as long as a whole matrix product of a few
// MFLOP. A nap lasts longer than it asks: time.Sleep of napTime returns
// after about 1.1 ms on Linux (Zen 5 VM), as the runtime's timers wake it
// no sooner. A worker that naps while the jobs still come a few hundred µs
// apart is late for the next one by up to that much, and the caller does
// the worker's share itself; that left the worker behind for the job after
// too, so that a loop of 0.6 ms products (128×1024×512 under AVX2) ran a
// quarter to half of them on one thread. Spinning for 1 ms keeps the
// worker on hand through such gaps: 0.8% of those products ran slow,
// against 22%, and the loop did 10–30% more of them. A training step's
// jobs follow each other more closely still.
const spinTime = time.Millisecond

// A worker that found no job for spinTime naps for napTime between looks
// (in practice about 1 ms, see spinTime), until idleTime has passed since
// its last job; then it blocks.
const (
	napTime  = 50 * time.Microsecond
	idleTime = 100 * time.Millisecond
)
