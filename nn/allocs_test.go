package nn

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

// TestTrainStepAllocatesNothingAfterGC trains the seed MNIST and CIFAR-10
// networks, their convs by im2col and by Winograd, with L2 and gradient
// clipping on, and checks that no step allocates even right after two
// garbage collections. Two collections empty every sync.Pool and the
// runtime's central cache of the records a parked goroutine holds, so a step
// that leans on either allocates here, where a loop of steps shows it only
// now and then. testing.AllocsPerRun would miss it: it makes one untimed call
// first, which refills what the collections emptied, and runs with
// GOMAXPROCS 1, so helper goroutines never run beside the caller.
//
// Allocations are counted from the memory profile and only those made by
// code of package nn or nn/gemm: the runtime allocates now and then on its
// own account (an OS thread to restart the world after a collection, the
// record of a parked goroutine when its caches have run dry), which a step
// cannot prevent and would make the test fail at random.
func TestTrainStepAllocatesNothingAfterGC(t *testing.T) {
	if raceDetector {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	if testing.Short() {
		t.Skip("trains the seed networks; minutes under emulation (the arm64 tests run -short)")
	}
	gemm.SetThreads(2)
	defer gemm.SetThreads(0)
	for _, tc := range []struct {
		name     string
		in       Shape
		specs    []LayerSpec
		batch    int
		algo     convAlgo
		winograd int // conv layers that run by Winograd
	}{
		{"mnist im2col", Shape{28, 28, 1}, mnistSpecs(), 64, convIm2col, 0},
		{"mnist winograd", Shape{28, 28, 1}, mnistSpecs(), 64, convWinograd, 1},
		{"mnist winograd f4", Shape{28, 28, 1}, mnistSpecs(), 64, convWinograd4, 1},
		{"cifar10 im2col", Shape{32, 32, 3}, cifarSpecs(), 128, convIm2col, 0},
		{"cifar10 auto", Shape{32, 32, 3}, cifarSpecs(), 128, convAuto, 3}, // the first conv stays im2col
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := convChoice
			convChoice = tc.algo
			net, err := Build(tc.in, tc.specs, 1)
			convChoice = old
			if err != nil {
				t.Fatal(err)
			}
			wg := 0
			for _, l := range net.layers {
				if c, ok := l.(*conv); ok && c.wg != nil {
					wg++
				}
			}
			if wg != tc.winograd {
				t.Fatalf("%d conv layers run by Winograd, want %d", wg, tc.winograd)
			}
			x := benchInput(tc.batch, tc.in)
			labels := make([]int, tc.batch)
			for i := range labels {
				labels[i] = i % 10
			}
			d := NewTensor(tc.batch, 1, 1, 10)
			opt := NewAdam(AdamConfig{})
			var stepErr error
			step := func() {
				logits, err := net.Forward(x, true)
				if err == nil {
					_, _, err = SoftmaxCrossEntropy(logits, labels, 0, d)
				}
				if err == nil {
					err = net.Backward(d)
				}
				if err != nil {
					stepErr = err
					return
				}
				L2Penalty(net.Params(), 1e-4)
				AddL2Grad(net.Params(), 1e-4)
				ClipGradNorm(net.Params(), 1)
				opt.Step(net.Params(), 1e-3)
			}
			step() // sizes the buffers
			steps := 4
			if tc.batch > 64 {
				steps = 2
			}
			for i := range steps {
				sites, all := nnAllocs(step)
				if stepErr != nil {
					t.Fatal(stepErr)
				}
				if len(sites) > 0 {
					t.Errorf("step %d after two collections: %d allocations in all, by nn:\n%s", i+1, all, strings.Join(sites, "\n"))
				}
			}
		})
	}
}

// nnAllocs collects garbage three times, then runs f with every allocation
// recorded in the memory profile and returns where code of package nn or
// nn/gemm (outside tests) allocated during it: the innermost such function,
// its line and how many times. all is the number of allocations the process
// made in all meanwhile.
func nnAllocs(f func()) (sites []string, all uint64) {
	// The profile shows the allocations of a cycle once the next two have
	// ended: these publish all made before f, and the first two empty the
	// pools and caches.
	for range 3 {
		runtime.GC()
	}
	var before, after runtime.MemStats
	start := allocsByStack()
	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	runtime.MemProfileRate = rate
	for range 3 {
		runtime.GC()
	}
	for stack, n := range allocsByStack() {
		if n -= start[stack]; n <= 0 {
			continue
		}
		if parksGoroutine(stack) {
			continue
		}
		frames := runtime.CallersFrames(stack[:])
		for {
			fr, more := frames.Next()
			name := strings.TrimPrefix(fr.Function, "github.com/cnnlab/cnnlab/")
			if (strings.HasPrefix(name, "nn.") || strings.HasPrefix(name, "nn/gemm.")) && !strings.HasSuffix(fr.File, "_test.go") {
				sites = append(sites, fmt.Sprintf("  %s (%s:%d) × %d", name, fr.File, fr.Line, n))
				break
			}
			if !more {
				break
			}
		}
	}
	return sites, after.Mallocs - before.Mallocs
}

// parksGoroutine reports whether the allocation at stack is the runtime's
// record of a goroutine parking (runtime.acquireSudog), which a gemm worker
// does when no product has come for a while. The runtime keeps those
// records in per-processor caches and allocates one only when the caches
// have run dry, as the collections before each counted step make them; it
// is kept and reused, never garbage.
func parksGoroutine(stack [32]uintptr) bool {
	frames := runtime.CallersFrames(stack[:])
	for {
		fr, more := frames.Next()
		if fr.Function == "runtime.acquireSudog" {
			return true
		}
		if !more {
			return false
		}
	}
}

// allocsByStack returns the number of allocations the memory profile holds
// for each stack.
func allocsByStack() map[[32]uintptr]int64 {
	var recs []runtime.MemProfileRecord
	for {
		n, ok := runtime.MemProfile(recs, true)
		if ok {
			recs = recs[:n]
			break
		}
		recs = make([]runtime.MemProfileRecord, n+64)
	}
	m := make(map[[32]uintptr]int64, len(recs))
	for _, r := range recs {
		m[r.Stack0] += r.AllocObjects
	}
	return m
}
