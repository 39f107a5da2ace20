// Command sgemm times cnnlab's float32 matrix product (package nn/gemm) on
// the shapes it is given, the way bench/pytorch/sgemm.py times numpy and
// torch.mm, so that bench/compare can put them side by side:
//
//	go run ./bench/sgemm -threads 2 -min-time 0.3s square1024:N:N:1024:1024:1024 ...
//
// Each shape is name:TA:TB:M:N:K (TA, TB: N or T), the operands of
// C = op(A)·op(B) with op(A) M×K and op(B) K×N, all row-major, a transposed
// operand stored transposed. Each product runs once to warm up, then repeats
// for at least -min-time (and 3 times). It prints one line per shape:
//
//	result impl=cnnlab kernel=avx512 shape=square1024 m=1024 n=1024 k=1024 gflops=512.3 p10_gflops=530.1
//
// and then, where the kernel has one (AVX-512, AVX2), the ceiling of its
// instructions on as many threads (package bench/internal/peak):
//
//	peak kernel=avx512 threads=2 gflops=650.2
//
// CNNLAB_GEMM_KERNEL picks the micro-kernel as it does for cnnlab.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/cnnlab/cnnlab/bench/internal/peak"
	"github.com/cnnlab/cnnlab/bench/internal/shapes"
	"github.com/cnnlab/cnnlab/nn/gemm"
)

func main() {
	threads := flag.Int("threads", runtime.NumCPU(), "threads")
	minTime := flag.Duration("min-time", 300*time.Millisecond, "time per shape")
	measurePeak := flag.Bool("peak", true, "also time the kernel's multiply-add loop alone")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: sgemm [-threads T] [-min-time D] [-peak=false] name:TA:TB:M:N:K...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 || *threads < 1 {
		flag.Usage()
		os.Exit(2)
	}
	var list []shapes.Shape
	for _, a := range flag.Args() {
		s, err := shapes.Parse(a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "sgemm:", err)
			os.Exit(2)
		}
		list = append(list, s)
	}
	runtime.GOMAXPROCS(*threads)
	gemm.SetThreads(*threads)
	for _, s := range list {
		mean, p10 := timeShape(s, *minTime)
		fmt.Printf("result impl=cnnlab kernel=%s shape=%s m=%d n=%d k=%d gflops=%.1f p10_gflops=%.1f\n",
			gemm.Kernel(), s.Name, s.M, s.N, s.K, s.FLOPs()/mean/1e9, s.FLOPs()/p10/1e9)
	}
	if *measurePeak {
		if g, ok := peak.GFLOPS(gemm.Kernel(), *threads, 200*time.Millisecond); ok {
			fmt.Printf("peak kernel=%s threads=%d gflops=%.1f\n", gemm.Kernel(), *threads, g)
		}
	}
}

// timeShape returns the seconds one product of shape s takes on average
// and the 10th percentile of the calls' times, as bench/pytorch/sgemm.py
// does: the rate of the fastest tenth of calls, which interference from
// other work on the machine touches least.
func timeShape(s shapes.Shape, minTime time.Duration) (mean, p10 float64) {
	rng := rand.New(rand.NewPCG(1, 1))
	random := func(n int) []float32 {
		x := make([]float32, n)
		for i := range x {
			x[i] = rng.Float32()
		}
		return x
	}
	a, b, c := random(s.M*s.K), random(s.K*s.N), make([]float32, s.M*s.N)
	lda, ldb := s.K, s.N
	if s.TransA {
		lda = s.M
	}
	if s.TransB {
		ldb = s.K
	}
	run := func() { gemm.Sgemm(s.TransA, s.TransB, s.M, s.N, s.K, 1, a, lda, b, ldb, 0, c, s.N) }
	run()
	var times []float64
	start := time.Now()
	for {
		t0 := time.Now()
		run()
		times = append(times, time.Since(t0).Seconds())
		if el := time.Since(start); el >= minTime && len(times) >= 3 {
			slices.Sort(times)
			return el.Seconds() / float64(len(times)), times[len(times)/10]
		}
	}
}
