package gemm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// benchShape is one product to time.
type benchShape struct {
	name string
	s    shape
}

// benchShapes are square products and every product of the seed networks'
// layers (see seedProducts).
var benchShapes = append([]benchShape{
	{"square1024", shape{m: 1024, n: 1024, k: 1024, alpha: 1}},
	{"square256", shape{m: 256, n: 256, k: 256, alpha: 1}},
	{"square128", shape{m: 128, n: 128, k: 128, alpha: 1}},
	{"square32", shape{m: 32, n: 32, k: 32, alpha: 1}},
	{"square8", shape{m: 8, n: 8, k: 8, alpha: 1}},
}, seedProducts()...)

// seedLayer is a layer of a seed network as package nn multiplies it: rows
// of the input (batch × output positions, im2col rows for a convolution),
// the depth of a row (in for dense, kh·kw·c for conv) and the outputs.
type seedLayer struct {
	name          string
	rows, in, out int
	first         bool // no gradient with respect to the input
}

// seedProducts lists the products of the seed MNIST (batch 64) and CIFAR-10
// (batch 128) networks with the operand layouts of nn/conv.go and
// nn/dense.go: forward Y = X·W, dW = Xᵀ·dY and dX = dY·Wᵀ, weights stored
// in×out. The MNIST convolution (9 weights a filter) uses nn's direct loops
// and is left out.
func seedProducts() []benchShape {
	layers := []seedLayer{
		{"mnist.dense1", 64, 13 * 13 * 28, 128, false},
		{"mnist.dense2", 64, 128, 10, false},
		{"cifar.conv1", 128 * 32 * 32, 3 * 9, 64, true},
		{"cifar.conv2", 128 * 16 * 16, 64 * 9, 128, false},
		{"cifar.conv3", 128 * 8 * 8, 128 * 9, 256, false},
		{"cifar.conv4", 128 * 4 * 4, 256 * 9, 512, false},
		{"cifar.dense1", 128, 512 * 2 * 2, 128, false},
		{"cifar.dense2", 128, 128, 256, false},
		{"cifar.dense3", 128, 256, 512, false},
		{"cifar.dense4", 128, 512, 1024, false},
		{"cifar.dense5", 128, 1024, 10, false},
	}
	var out []benchShape
	for _, l := range layers {
		out = append(out,
			benchShape{l.name + ".fwd", shape{m: l.rows, n: l.out, k: l.in, alpha: 1}},
			benchShape{l.name + ".dW", shape{transA: true, m: l.in, n: l.out, k: l.rows, alpha: 1}})
		if !l.first {
			out = append(out, benchShape{l.name + ".dX", shape{transB: true, m: l.rows, n: l.in, k: l.out, alpha: 1}})
		}
	}
	return out
}

// dims spells s as MxNxK:TT (T is N or T for each of A and B), the form
// bench/numpy/sgemm.py takes.
func (s shape) dims() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%dx%dx%d:%s%s", s.m, s.n, s.k, t(s.transA), t(s.transB))
}

// BenchmarkSgemm times every kernel on benchShapes with the default thread
// count. Sub-benchmarks are named kernel/shape/MxNxK:TT. Besides the mean it
// reports the rate of the call at the 10th percentile of call times
// (p10-GFLOP/s): on a shared machine the steadier measure of the code itself,
// which the fastest call is not (a rare short reading of the clock makes it).
func BenchmarkSgemm(b *testing.B) {
	for _, kern := range platformKernels() {
		for _, bs := range benchShapes {
			b.Run(fmt.Sprintf("%s/%s/%s", kern.name, bs.name, bs.s.dims()), func(b *testing.B) {
				useKernel(b, kern)
				s := bs.s
				rng := rand.New(rand.NewPCG(1, 1))
				x, y, c := s.operands(rng)
				s.run(x, y, c)
				b.ReportAllocs()
				b.ResetTimer()
				var times callTimes
				for b.Loop() {
					start := time.Now()
					s.run(x, y, c)
					times.add(time.Since(start))
				}
				flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
				b.ReportMetric(flops/times.percentile(0.1).Seconds()/1e9, "p10-GFLOP/s")
			})
		}
	}
}

// callTimes is a histogram of call durations in buckets 1% apart, from 100 ns
// to about 1.6 s; it needs no allocation.
type callTimes struct {
	counts [1700]int32
	n      int
}

func (h *callTimes) bucket(d time.Duration) int {
	i := int(math.Log(max(float64(d), 100)/100) / math.Log1p(0.01))
	return min(i, len(h.counts)-1)
}

func (h *callTimes) add(d time.Duration) {
	h.counts[h.bucket(d)]++
	h.n++
}

// percentile returns the duration below which a fraction q of the calls
// took, to within 1%.
func (h *callTimes) percentile(q float64) time.Duration {
	want := int(math.Ceil(q * float64(h.n)))
	seen := 0
	for i, c := range h.counts {
		seen += int(c)
		if seen >= max(want, 1) {
			return time.Duration(100 * math.Pow(1.01, float64(i)+0.5))
		}
	}
	return time.Duration(math.MaxInt64)
}
