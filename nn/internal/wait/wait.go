// Package wait receives jobs the way the engine's persistent worker
// goroutines need: quickly when jobs follow each other closely, as within a
// training step, and without allocating.
package wait

import (
	"runtime"
	"time"
)

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
// MFLOP; the jobs of one training step follow each other more closely than
// this.
const spinTime = 100 * time.Microsecond

// A worker that found no job for spinTime naps for napTime between looks,
// about as long as waking a parked goroutine takes on a virtual machine,
// until idleTime has passed since its last job; then it blocks.
const (
	napTime  = 50 * time.Microsecond
	idleTime = 100 * time.Millisecond
)
