// Package peak measures the arithmetic ceiling of this CPU for a gemm
// micro-kernel: the float32 rate of a loop of independent fused
// multiply-adds on the kernel's vector registers, with no loads, stores or
// anything else. No product can run faster, so a product's rate divided by
// it says how much of the machine the product uses, a figure steadier than
// the rate itself when the clock speed moves between runs.
package peak

import (
	"runtime"
	"sync"
	"time"
)

// fmasPerRound is how many multiply-adds one round of a loop does, each on
// a whole vector register.
const fmasPerRound = 12

// GFLOPS returns the float32 rate, in GFLOP/s, of the multiply-add loop for
// kernel ("avx512" or "avx2", as gemm.Kernel names them) on threads
// goroutines at once, each locked to its own OS thread, the best of three
// tries of about d each. ok is false when this CPU or platform has no such
// loop for kernel.
func GFLOPS(kernel string, threads int, d time.Duration) (gflops float64, ok bool) {
	loop, lanes := loopFor(kernel)
	if loop == nil || threads < 1 {
		return 0, false
	}
	rounds := calibrate(loop, d)
	for range 3 {
		start := make(chan struct{})
		var wg sync.WaitGroup
		for range threads {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				<-start
				loop(rounds)
			}()
		}
		t := time.Now()
		close(start)
		wg.Wait()
		flops := float64(threads) * float64(rounds) * fmasPerRound * float64(lanes) * 2
		gflops = max(gflops, flops/time.Since(t).Seconds()/1e9)
	}
	return gflops, true
}

// calibrate returns how many rounds of loop take about d on one thread.
func calibrate(loop func(int), d time.Duration) int {
	n := 1 << 12
	for {
		t := time.Now()
		loop(n)
		el := time.Since(t)
		if el >= d/16 || n >= 1<<30 {
			return max(1, int(float64(n)*float64(d)/float64(max(el, 1))))
		}
		n *= 2
	}
}
