package gemm

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchShapes are the products the seed networks spend their time in, with
// the operand layouts package nn uses (im2col rows × weights, weights stored
// in×out).
var benchShapes = []struct {
	name string
	s    shape
}{
	{"square1024", shape{m: 1024, n: 1024, k: 1024, alpha: 1}},
	{"square256", shape{m: 256, n: 256, k: 256, alpha: 1}},
	{"square128", shape{m: 128, n: 128, k: 128, alpha: 1}},
	{"square32", shape{m: 32, n: 32, k: 32, alpha: 1}},
	{"square8", shape{m: 8, n: 8, k: 8, alpha: 1}},
	// MNIST conv 28 filters 3×3 at batch 64: im2col rows × weights.
	{"mnistConvFwd", shape{m: 64 * 26 * 26, n: 28, k: 9, alpha: 1}},
	{"mnistConvGradW", shape{transA: true, m: 9, n: 28, k: 64 * 26 * 26, alpha: 1}},
	{"mnistConvGradX", shape{transB: true, m: 64 * 26 * 26, n: 9, k: 28, alpha: 1}},
	// MNIST dense 5408→128 at batch 64.
	{"mnistDenseFwd", shape{m: 64, n: 128, k: 5408, alpha: 1}},
	{"mnistDenseFwdWT", shape{transB: true, m: 64, n: 128, k: 5408, alpha: 1}}, // weights stored out×in
	{"mnistDenseGradW", shape{transA: true, m: 5408, n: 128, k: 64, alpha: 1}},
	{"mnistDenseGradX", shape{transB: true, m: 64, n: 5408, k: 128, alpha: 1}},
	{"dense128to10", shape{m: 64, n: 10, k: 128, alpha: 1}},
	// CIFAR conv 64→128 3×3 on 16×16 at batch 128.
	{"cifarConvFwd", shape{m: 128 * 16 * 16, n: 128, k: 64 * 9, alpha: 1}},
	{"cifarConvGradW", shape{transA: true, m: 64 * 9, n: 128, k: 128 * 16 * 16, alpha: 1}},
	{"cifarConvGradX", shape{transB: true, m: 128 * 16 * 16, n: 64 * 9, k: 128, alpha: 1}},
	{"cifarConv4Fwd", shape{m: 128 * 4 * 4, n: 512, k: 256 * 9, alpha: 1}},
}

func BenchmarkSgemm(b *testing.B) {
	for _, kern := range platformKernels() {
		for _, bs := range benchShapes {
			b.Run(fmt.Sprintf("%s/%s", kern.name, bs.name), func(b *testing.B) {
				useKernel(b, kern)
				s := bs.s
				rng := rand.New(rand.NewPCG(1, 1))
				x, y, c := s.operands(rng)
				s.run(x, y, c)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					s.run(x, y, c)
				}
				flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
