package nn

import (
	"fmt"
	"testing"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

// withFusion sets fuseLayers for the rest of the test.
func withFusion(t testing.TB, on bool) {
	t.Helper()
	old := fuseLayers
	fuseLayers = on
	t.Cleanup(func() { fuseLayers = old })
}

// fusedCase is a network with runs of a conv, relu and max pool that
// Build fuses: fusions of them, of which windows read the conv's windows
// straight from its input.
type fusedCase struct {
	name             string
	in               Shape
	specs            []LayerSpec
	batch            int
	fusions, windows int
	algo             convAlgo // how convs too long for the direct loops run
}

func fusedCases() []fusedCase {
	conv := func(f, k, s int, pad Padding) LayerSpec {
		return LayerSpec{Kind: KindConv, Filters: f, KernelH: k, KernelW: k, StrideH: s, StrideW: s, Padding: pad}
	}
	relu, pool := LayerSpec{Kind: KindReLU}, LayerSpec{Kind: KindMaxPool, KernelH: 2, KernelW: 2}
	head := []LayerSpec{{Kind: KindFlatten}, {Kind: KindDense, Units: 10}}
	net := func(layers ...LayerSpec) []LayerSpec { return append(layers, head...) }
	noBias := conv(12, 3, 1, PadSame)
	noBias.NoBias = true
	return []fusedCase{
		// 676 rows per example: blocks of 512 rows end inside examples.
		{"mnist", Shape{28, 28, 1}, mnistSpecs(), 9, 1, 1, convAuto},
		{"40 filters (two groups, a short one)", Shape{10, 14, 1}, net(conv(40, 3, 1, PadValid), relu, pool), 7, 1, 1, convAuto},
		{"no bias, same padding", Shape{8, 6, 1}, net(noBias, relu, pool), 5, 1, 0, convAuto},
		{"pointwise", Shape{6, 8, 3}, net(conv(5, 1, 1, PadValid), relu, pool), 4, 1, 1, convAuto},
		{"stride 2", Shape{12, 8, 1}, net(conv(4, 3, 2, PadSame), relu, pool), 3, 1, 0, convAuto},
		{"2×3 window over 2 channels", Shape{9, 8, 2}, net(LayerSpec{Kind: KindConv, Filters: 7, KernelH: 2, KernelW: 3}, relu, pool), 3, 1, 1, convAuto},
		// The input gradient of a fused conv.
		{"after another conv", Shape{10, 10, 1}, net(conv(1, 3, 1, PadSame), conv(6, 3, 1, PadSame), relu, pool), 3, 1, 0, convAuto},
		{"after another conv, valid", Shape{10, 10, 1}, net(conv(1, 3, 1, PadSame), conv(6, 3, 1, PadValid), relu, pool), 3, 1, 1, convAuto},
		{"two in a row", Shape{12, 12, 1}, net(conv(1, 3, 1, PadSame), relu, pool, conv(4, 3, 1, PadSame), relu, pool), 2, 2, 0, convAuto},
		// Pool then relu, as in the seed CIFAR-10 network.
		{"pool then relu", Shape{10, 14, 1}, net(conv(40, 3, 1, PadValid), pool, relu), 7, 1, 1, convAuto},
		{"pool then relu, same padding", Shape{8, 6, 1}, net(noBias, pool, relu), 5, 1, 0, convAuto},
		// Rows of 27 (3×3 over 3 channels): the forward loops are direct,
		// the weight gradient runs by gemm.
		{"rows of 27, pool then relu", Shape{8, 10, 3}, net(conv(8, 3, 1, PadSame), pool, relu), 4, 1, 0, convAuto},
		{"rows of 27, valid", Shape{10, 8, 3}, net(conv(8, 3, 1, PadValid), relu, pool), 3, 1, 1, convAuto},
		{"rows of 27, after another conv", Shape{8, 8, 2}, net(conv(3, 1, 1, PadValid), conv(6, 3, 1, PadSame), pool, relu), 3, 1, 0, convAuto},
		// Winograd convs: the output stage pools each row of tiles.
		{"Winograd F(4×4), pool then relu", Shape{12, 12, 4}, net(conv(8, 3, 1, PadSame), pool, relu), 3, 1, 0, convWinograd4},
		{"Winograd F(4×4), a partial row and column of tiles", Shape{6, 10, 5}, net(conv(6, 3, 1, PadSame), relu, pool), 3, 1, 0, convWinograd4},
		{"Winograd F(4×4), valid, 40 filters", Shape{10, 10, 4}, net(conv(40, 3, 1, PadValid), relu, pool), 2, 1, 0, convWinograd4},
		{"Winograd F(2×2), relu then pool", Shape{8, 6, 6}, net(conv(16, 3, 1, PadSame), relu, pool), 3, 1, 0, convWinograd2},
		{"Winograd, after another conv", Shape{8, 8, 4}, net(conv(5, 3, 1, PadSame), conv(7, 3, 1, PadSame), pool, relu), 3, 1, 0, convWinograd4},
		{"Winograd, a 2×2 output pooled to one value", Shape{2, 2, 8}, net(conv(9, 3, 1, PadSame), pool, relu), 5, 1, 0, convWinograd},
	}
}

// TestFusedConvReLUPool trains each network of fusedCases for two steps
// with the fusion and without, on every level of vector loops (which give
// the portable loops' bits) and 1, 2 and 3 threads, and checks the same
// bits everywhere: the output, the input gradient and every parameter and
// its gradient.
func TestFusedConvReLUPool(t *testing.T) {
	defer gemm.SetThreads(0)
	for _, tc := range fusedCases() {
		t.Run(tc.name, func(t *testing.T) {
			type result struct{ out, dx, values, grads []float32 }
			run := func(t *testing.T, fused bool) result {
				withFusion(t, fused)
				if tc.algo != convAuto {
					withConvAlgo(t, tc.algo)
				}
				net, err := Build(tc.in, tc.specs, 3)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range net.layers {
					if c, ok := l.(*conv); ok && c.wg != nil {
						c.wg.chunk = 2 // several chunks of examples
					}
				}
				var fusions []*convReLUPool
				for i := range net.layers {
					if f := net.fusion(i, false); f != nil {
						fusions = append(fusions, f)
					}
				}
				if want := map[bool]int{true: tc.fusions}[fused]; len(fusions) != want {
					t.Fatalf("fused %v: %d fusions, want %d", fused, len(fusions), want)
				}
				x := benchInput(tc.batch, tc.in)
				labels := make([]int, tc.batch)
				for i := range labels {
					labels[i] = i % 10
				}
				opt := NewAdam(AdamConfig{})
				d := NewTensor(tc.batch, 1, 1, 10)
				var r result
				for range 2 {
					logits, err := net.Forward(x, true)
					if err != nil {
						t.Fatal(err)
					}
					r.out = append(r.out[:0], logits.Data...)
					// Only the AVX-512 and AVX2 levels run the fusions;
					// the others run the layers one by one.
					ran, windows := 0, 0
					for _, f := range fusions {
						if f.ran {
							ran++
						}
						if f.ran && f.windows {
							windows++
						}
					}
					vector := fused && (simd == simdAVX512 || simd == simdAVX2)
					if want := map[bool]int{true: tc.fusions}[vector]; ran != want {
						t.Fatalf("%d fusions ran, want %d", ran, want)
					}
					if want := map[bool]int{true: tc.windows}[vector]; windows != want {
						t.Fatalf("%d fusions read windows from the image, want %d", windows, want)
					}
					if _, _, err := SoftmaxCrossEntropy(logits, labels, 0, d); err != nil {
						t.Fatal(err)
					}
					dx, err := net.BackwardInput(d)
					if err != nil {
						t.Fatal(err)
					}
					r.dx = append(r.dx[:0], dx.Data...)
					r.grads = r.grads[:0]
					for _, p := range net.Params() {
						r.grads = append(r.grads, p.Grad...)
					}
					opt.Step(net.Params(), 1e-2)
				}
				for _, p := range net.Params() {
					r.values = append(r.values, p.Value...)
				}
				return r
			}
			gemm.SetThreads(1)
			want := run(t, false)
			forEachLevel(t, func(t *testing.T) {
				for _, threads := range []int{1, 2, 3} {
					gemm.SetThreads(threads)
					for _, fused := range []bool{true, false} {
						got := run(t, fused)
						what := fmt.Sprintf("%d threads, fused %v", threads, fused)
						sameFloats(t, what+": output", got.out, want.out)
						sameFloats(t, what+": input gradient", got.dx, want.dx)
						sameFloats(t, what+": gradients", got.grads, want.grads)
						sameFloats(t, what+": parameters", got.values, want.values)
					}
				}
			})
		})
	}
}

// BenchmarkConvReLUPool runs training steps (Forward and Backward) of the
// first three layers of the seed MNIST network at batch 64, fused and not.
func BenchmarkConvReLUPool(b *testing.B) {
	const batch = 64
	in := Shape{28, 28, 1}
	specs := mnistSpecs()[:3]
	for _, fused := range []bool{true, false} {
		b.Run(map[bool]string{true: "fused", false: "unfused"}[fused], func(b *testing.B) {
			withFusion(b, fused)
			net, err := Build(in, specs, 1)
			if err != nil {
				b.Fatal(err)
			}
			x := benchInput(batch, in)
			out := net.Output()
			dy := benchInput(batch, out)
			step := func() {
				if _, err := net.Forward(x, true); err != nil {
					b.Fatal(err)
				}
				if err := net.Backward(dy); err != nil {
					b.Fatal(err)
				}
			}
			step()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				step()
			}
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
