package gemm

import "testing"

// BenchmarkMicroKernel runs each micro-kernel alone on L1-resident panels
// (k = 256): the ceiling for the whole product.
func BenchmarkMicroKernel(b *testing.B) {
	const k = 256
	for _, kern := range platformKernels() {
		b.Run(kern.name, func(b *testing.B) {
			a := make([]float32, kern.mr*k)
			bp := make([]float32, kern.nr*k)
			c := make([]float32, kern.mr*kern.nr)
			for b.Loop() {
				kern.micro(k, &a[0], &bp[0], &c[0], kern.nr, 1, 0, kern.mr, kern.nr)
			}
			b.ReportMetric(2*float64(kern.mr*kern.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
