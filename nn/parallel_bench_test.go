package nn

import (
	"fmt"
	"testing"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

// BenchmarkParallelFor measures the cost of one call: an empty task cut
// into two blocks, and ReLU over a MNIST conv output.
func BenchmarkParallelFor(b *testing.B) {
	defer gemm.SetThreads(0)
	x := benchInput(64, Shape{26, 26, 28})
	y := make([]float32, len(x.Data))
	for _, threads := range []int{1, 2} {
		gemm.SetThreads(threads)
		b.Run(fmt.Sprintf("empty/threads=%d", threads), func(b *testing.B) {
			task := funcTask(func(lo, hi int) {})
			for b.Loop() {
				parallelFor(2, 1, task)
			}
		})
		b.Run(fmt.Sprintf("relu 1.2M/threads=%d", threads), func(b *testing.B) {
			var e elementwise
			for b.Loop() {
				e.apply(reluForward, y, x.Data, nil, 0)
			}
			b.ReportMetric(float64(8*len(y))*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
		})
	}
}
