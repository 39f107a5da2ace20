package nn

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

// withConvAlgo makes Build choose algo until the test ends.
func withConvAlgo(t testing.TB, algo convAlgo) {
	t.Helper()
	old := convChoice
	convChoice = algo
	t.Cleanup(func() { convChoice = old })
}

func TestParseConvAlgo(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want convAlgo
		warn bool
	}{
		{"", convAuto, false},
		{"auto", convAuto, false},
		{" Winograd ", convWinograd, false},
		{"im2col", convIm2col, false},
		{"fft", convAuto, true},
	} {
		var warn bytes.Buffer
		if got := parseConvAlgo(tc.in, &warn); got != tc.want {
			t.Errorf("parseConvAlgo(%q) = %v, want %v", tc.in, got, tc.want)
		}
		if (warn.Len() > 0) != tc.warn {
			t.Errorf("parseConvAlgo(%q) warned %q", tc.in, warn.String())
		}
	}
}

// TestConvAlgoChoice checks which layers Build gives Winograd under each
// choice: only 3×3 stride-1 convs ever, all of them when forced, and under
// auto those of the seed CIFAR-10 network past its first (3-channel) layer.
func TestConvAlgoChoice(t *testing.T) {
	convSpec := func(f, k, s int) LayerSpec {
		return LayerSpec{Kind: KindConv, Filters: f, KernelH: k, KernelW: k, StrideH: s, StrideW: s, Padding: PadSame}
	}
	for _, tc := range []struct {
		name string
		in   Shape
		spec LayerSpec
		want map[convAlgo]bool
	}{
		{"cifar 1", Shape{32, 32, 3}, convSpec(64, 3, 1), map[convAlgo]bool{convAuto: false, convWinograd: true, convIm2col: false}},
		{"cifar 2", Shape{16, 16, 64}, convSpec(128, 3, 1), map[convAlgo]bool{convAuto: true, convWinograd: true, convIm2col: false}},
		{"cifar 3", Shape{8, 8, 128}, convSpec(256, 3, 1), map[convAlgo]bool{convAuto: true, convWinograd: true, convIm2col: false}},
		{"cifar 4", Shape{4, 4, 256}, convSpec(512, 3, 1), map[convAlgo]bool{convAuto: true, convWinograd: true, convIm2col: false}},
		{"mnist (direct)", Shape{28, 28, 1}, convSpec(28, 3, 1), map[convAlgo]bool{convAuto: false, convWinograd: true, convIm2col: false}},
		{"stride 2", Shape{16, 16, 64}, convSpec(128, 3, 2), map[convAlgo]bool{convAuto: false, convWinograd: false, convIm2col: false}},
		{"5x5", Shape{16, 16, 64}, convSpec(128, 5, 1), map[convAlgo]bool{convAuto: false, convWinograd: false, convIm2col: false}},
	} {
		for algo, want := range tc.want {
			if gemm.Kernel() == "portable" && algo == convAuto {
				continue // the model prices the portable kernel differently
			}
			withConvAlgo(t, algo)
			net, err := Build(tc.in, []LayerSpec{tc.spec}, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got := net.layers[0].(*conv).wg != nil; got != want {
				t.Errorf("%s under %v: Winograd %v, want %v", tc.name, algo, got, want)
			}
		}
	}
}

// convRef64 is a float64 reference of a conv layer's three passes, with the
// sums of absolute terms that bound their rounding errors.
type convRef64 struct {
	y, dx, dw          []float64
	yAbs, dxAbs, dwAbs []float64
}

func refConv64(x, w, bias, dy []float32, n int, g geometry, f int) convRef64 {
	var r convRef64
	r.y = make([]float64, n*g.oh*g.ow*f)
	r.yAbs = make([]float64, len(r.y))
	r.dx = make([]float64, n*g.h*g.w*g.c)
	r.dxAbs = make([]float64, len(r.dx))
	r.dw = make([]float64, len(w))
	r.dwAbs = make([]float64, len(w))
	for b := range n {
		for oh := range g.oh {
			for ow := range g.ow {
				o := ((b*g.oh+oh)*g.ow + ow) * f
				for j := range f {
					if bias != nil {
						r.y[o+j] = float64(bias[j])
						r.yAbs[o+j] = math.Abs(float64(bias[j]))
					}
				}
				for kh := range g.kh {
					ih := oh + kh - g.pt
					if ih < 0 || ih >= g.h {
						continue
					}
					for kw := range g.kw {
						iw := ow + kw - g.pl
						if iw < 0 || iw >= g.w {
							continue
						}
						for c := range g.c {
							xi := ((b*g.h+ih)*g.w+iw)*g.c + c
							xv := float64(x[xi])
							for j := range f {
								wi := ((kh*g.kw+kw)*g.c+c)*f + j
								wv, dv := float64(w[wi]), float64(dy[o+j])
								r.y[o+j] += xv * wv
								r.yAbs[o+j] += math.Abs(xv * wv)
								r.dx[xi] += dv * wv
								r.dxAbs[xi] += math.Abs(dv * wv)
								r.dw[wi] += xv * dv
								r.dwAbs[wi] += math.Abs(xv * dv)
							}
						}
					}
				}
			}
		}
	}
	return r
}

// winogradErrBound bounds the error of either algorithm's results relative
// to the sum of the absolute values of the terms of each. Float32 sums of K
// random terms err by about √K·u of that sum (u = 2⁻²⁴ ≈ 6e-8); Winograd's
// transforms scale values by at most 4 (input), 9/4 (weights) and 9 (the
// output sums), so its error may be some ten times that. Measured worst
// here, on Zen 5: 1.1e-6 for Winograd, 3e-7 for im2col. 1e-5 leaves a
// margin, and still fails for one wrong, missing or extra term: with K ≤
// 2304 terms of similar size, one is about 1/K ≥ 4e-4 of their sum.
const winogradErrBound = 1e-5

// TestWinogradMatchesReference runs conv layers by Winograd and by im2col on
// random data, and checks the forward output and all three gradients of
// both against a float64 reference, relative to the sum of absolute terms,
// and against each other.
func TestWinogradMatchesReference(t *testing.T) {
	convSpec := func(f int, pad Padding) LayerSpec {
		return LayerSpec{Kind: KindConv, Filters: f, KernelH: 3, KernelW: 3, Padding: pad}
	}
	explicit := LayerSpec{Kind: KindConv, Filters: 5, KernelH: 3, KernelW: 3, Padding: PadExplicit, PadTop: 2, PadBottom: 0, PadLeft: 1, PadRight: 3}
	noBias := convSpec(7, PadSame)
	noBias.NoBias = true
	for _, tc := range []struct {
		name  string
		batch int
		in    Shape
		spec  LayerSpec
		chunk int // examples per chunk of products, when not the default
	}{
		{"cifar 1 32x32x3 f64", 2, Shape{32, 32, 3}, convSpec(64, PadSame), 0},
		{"cifar 2 16x16x64 f128", 2, Shape{16, 16, 64}, convSpec(128, PadSame), 0},
		{"cifar 3 8x8x128 f256", 2, Shape{8, 8, 128}, convSpec(256, PadSame), 0},
		{"cifar 4 4x4x256 f512", 2, Shape{4, 4, 256}, convSpec(512, PadSame), 0},
		{"odd 7x5x6 valid", 3, Shape{7, 5, 6}, convSpec(9, PadValid), 0},
		{"odd 9x11x5 same", 3, Shape{9, 11, 5}, convSpec(4, PadSame), 0},
		{"3x3 valid (one output)", 2, Shape{3, 3, 4}, convSpec(3, PadValid), 0},
		{"1x1 same", 2, Shape{1, 1, 3}, convSpec(2, PadSame), 0},
		{"explicit uneven pads", 2, Shape{6, 5, 3}, explicit, 0},
		{"no bias", 2, Shape{5, 6, 8}, noBias, 0},
		{"chunks of 1", 3, Shape{6, 7, 9}, convSpec(10, PadSame), 1},
		{"chunks of 2 and 1", 3, Shape{5, 4, 8}, noBias, 2},
		{"cifar 2 chunks of 2 and 1", 3, Shape{16, 16, 64}, convSpec(128, PadSame), 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(3, 4))
			x := NewTensor(tc.batch, tc.in.H, tc.in.W, tc.in.C)
			normalInput(r, x.Data)
			var ref convRef64
			var first [3][]float32 // y, dx, dw of Winograd, compared with im2col's
			for _, algo := range []convAlgo{convWinograd, convIm2col} {
				withConvAlgo(t, algo)
				net, err := Build(tc.in, []LayerSpec{tc.spec}, 5)
				if err != nil {
					t.Fatal(err)
				}
				c := net.layers[0].(*conv)
				if (c.wg != nil) != (algo == convWinograd) {
					t.Fatalf("algorithm %v not used", algo)
				}
				if c.wg != nil && tc.chunk > 0 {
					c.wg.chunk = tc.chunk
				}
				var bias []float32
				if c.b != nil {
					normalInput(rand.New(rand.NewPCG(8, 9)), c.b.Value)
					bias = c.b.Value
				}
				y, err := net.Forward(x, true)
				if err != nil {
					t.Fatal(err)
				}
				dy := NewTensor(y.N, y.H, y.W, y.C)
				normalInput(rand.New(rand.NewPCG(6, 7)), dy.Data)
				if ref.y == nil {
					ref = refConv64(x.Data, c.w.Value, bias, dy.Data, tc.batch, c.geom, tc.spec.Filters)
				}
				yc := append([]float32(nil), y.Data[:y.Len()]...)
				dx, err := net.BackwardInput(dy)
				if err != nil {
					t.Fatal(err)
				}
				name := map[convAlgo]string{convWinograd: "winograd", convIm2col: "im2col"}[algo]
				worst := func(what string, got []float32, want, abs []float64) {
					t.Helper()
					if len(got) != len(want) {
						t.Fatalf("%s %s: %d values, want %d", name, what, len(got), len(want))
					}
					w := 0.0
					for i := range want {
						e := math.Abs(float64(got[i])-want[i]) / math.Max(abs[i], 1e-30)
						w = math.Max(w, e)
					}
					if w > winogradErrBound {
						t.Errorf("%s %s: error %.3g of the sum of absolute terms, want ≤ %g", name, what, w, winogradErrBound)
					}
					t.Logf("%s %s: worst relative error %.3g", name, what, w)
				}
				worst("y", yc, ref.y, ref.yAbs)
				worst("dx", dx.Data[:dx.Len()], ref.dx, ref.dxAbs)
				worst("dw", c.w.Grad, ref.dw, ref.dwAbs)
				if c.b != nil {
					for j := range c.b.Grad {
						var s float64
						for i := j; i < dy.Len(); i += tc.spec.Filters {
							s += float64(dy.Data[i])
						}
						if math.Abs(float64(c.b.Grad[j])-s) > 1e-4*math.Sqrt(float64(dy.Len())) {
							t.Errorf("%s db[%d] = %v, want %v", name, j, c.b.Grad[j], s)
						}
					}
				}
				got := [3][]float32{yc, append([]float32(nil), dx.Data[:dx.Len()]...), append([]float32(nil), c.w.Grad...)}
				if algo == convWinograd {
					first = got
					continue
				}
				// Each is within the bound of the reference, so within twice
				// the bound of each other.
				for i, abs := range [3][]float64{ref.yAbs, ref.dxAbs, ref.dwAbs} {
					for j := range abs {
						if d := math.Abs(float64(first[i][j] - got[i][j])); d > 2*winogradErrBound*abs[j] {
							t.Fatalf("%s[%d]: Winograd %v, im2col %v", [3]string{"y", "dx", "dw"}[i], j, first[i][j], got[i][j])
						}
					}
				}
			}
		})
	}
}

// TestWinogradThreads checks that the Winograd passes give the same bits on
// 1, 2 and 3 threads.
func TestWinogradThreads(t *testing.T) {
	withConvAlgo(t, convWinograd)
	defer gemm.SetThreads(0)
	in := Shape{9, 10, 16}
	spec := LayerSpec{Kind: KindConv, Filters: 24, KernelH: 3, KernelW: 3, Padding: PadSame}
	run := func(threads int) [][]float32 {
		gemm.SetThreads(threads)
		net, err := Build(in, []LayerSpec{spec}, 2)
		if err != nil {
			t.Fatal(err)
		}
		net.layers[0].(*conv).wg.chunk = 4 // chunks of 4 and 2 examples
		x := benchInput(6, in)
		y, err := net.Forward(x, true)
		if err != nil {
			t.Fatal(err)
		}
		out := [][]float32{append([]float32(nil), y.Data[:y.Len()]...)}
		dy := NewTensor(y.N, y.H, y.W, y.C)
		normalInput(NewRand(3, 3), dy.Data)
		dx, err := net.BackwardInput(dy)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, append([]float32(nil), dx.Data[:dx.Len()]...))
		for _, p := range net.Params() {
			out = append(out, append([]float32(nil), p.Grad...))
		}
		return out
	}
	one := run(1)
	for _, threads := range []int{2, 3} {
		other := run(threads)
		for i := range one {
			if !sameBits(one[i], other[i]) {
				t.Errorf("result %d (y, dx, dw, db) differs between 1 and %d threads", i, threads)
			}
		}
	}
}

// TestWinogradStepAllocatesNothing checks that a training step through
// Winograd convs allocates nothing once the buffers are sized.
func TestWinogradStepAllocatesNothing(t *testing.T) {
	if raceDetector {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	withConvAlgo(t, convWinograd)
	gemm.SetThreads(2)
	defer gemm.SetThreads(0)
	in := Shape{12, 12, 3}
	net, err := Build(in, []LayerSpec{
		{Kind: KindConv, Filters: 8, KernelH: 3, KernelW: 3, Padding: PadSame},
		{Kind: KindReLU},
		{Kind: KindConv, Filters: 16, KernelH: 3, KernelW: 3},
		{Kind: KindFlatten},
		{Kind: KindDense, Units: 10},
	}, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2} {
		if net.layers[i].(*conv).wg == nil {
			t.Fatalf("layer %d does not run by Winograd", i+1)
		}
	}
	x := benchInput(16, in)
	labels := make([]int, 16)
	for i := range labels {
		labels[i] = i % 10
	}
	d := NewTensor(16, 1, 1, 10)
	opt := NewAdam(AdamConfig{})
	step := func() {
		logits, err := net.Forward(x, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := SoftmaxCrossEntropy(logits, labels, 0, d); err != nil {
			t.Fatal(err)
		}
		if err := net.Backward(d); err != nil {
			t.Fatal(err)
		}
		opt.Step(net.Params(), 1e-3)
	}
	step()
	if n := testing.AllocsPerRun(5, step); n != 0 {
		t.Errorf("%v allocations per training step, want 0", n)
	}
}

// TestWinogradTransformsMatchGo checks the assembly transforms against
// their portable twins bit for bit, on vector lengths with and without a
// remainder, at every level of loops this CPU can run.
func TestWinogradTransformsMatchGo(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(8, 8))
		for _, c := range []int{1, 7, 8, 9, 16, 31, 64, 67} {
			t.Run(fmt.Sprint("c=", c), func(t *testing.T) {
				const stride = 101
				fill := func(n int) []float32 {
					s := make([]float32, n)
					normalInput(r, s)
					return s
				}
				var d16 [16][]float32
				for i := range d16 {
					d16[i] = fill(c)
				}
				// input transform
				a, b := make([]float32, 15*stride+c), make([]float32, 15*stride+c)
				inputTile(a, stride, &d16, c)
				inputTileGo(b, stride, &d16, 0, c)
				if !sameBits(a, b) {
					t.Errorf("inputTile differs from inputTileGo")
				}
				// output transform
				m := fill(15*stride + c)
				bias := fill(c)
				var oa, ob [4][]float32
				for i := range 4 {
					oa[i], ob[i] = make([]float32, c), make([]float32, c)
				}
				outputTile(&oa, true, m, stride, bias, c)
				outputTileGo(&ob, m, stride, bias, 0, c)
				for i := range 4 {
					if !sameBits(oa[i], ob[i]) {
						t.Errorf("outputTile differs from outputTileGo at %d", i)
					}
				}
				// gradient of the output transform
				var d4 [4][]float32
				for i := range d4 {
					d4[i] = fill(c)
				}
				a, b = make([]float32, 15*stride+c), make([]float32, 15*stride+c)
				gradOutputTile(a, stride, &d4, c)
				gradOutputTileGo(b, stride, &d4, 0, c)
				if !sameBits(a, b) {
					t.Errorf("gradOutputTile differs from gradOutputTileGo")
				}
				// weight transforms, on pairs 1..1+c of 3+c
				cf := c + 3
				w9, u16 := fill(9*cf), fill(16*cf)
				a, b = make([]float32, 16*cf), make([]float32, 16*cf)
				filterTransform(a, w9, cf, 1, 1+c)
				filterTransformGo(b, w9, cf, 1, 1+c)
				if !sameBits(a, b) {
					t.Errorf("filterTransform differs from filterTransformGo")
				}
				a, b = make([]float32, 9*cf), make([]float32, 9*cf)
				filterGrad(a, u16, cf, 1, 1+c)
				filterGradGo(b, u16, cf, 1, 1+c)
				if !sameBits(a, b) {
					t.Errorf("filterGrad differs from filterGradGo")
				}
				// gradient of the input transform
				var ga, gb [16][]float32
				for i := range ga {
					ga[i] = fill(c)
					gb[i] = append([]float32(nil), ga[i]...)
				}
				gradInputTile(&ga, m, stride, c)
				gradInputTileGo(&gb, m, stride, 0, c)
				for i := range ga {
					if !sameBits(ga[i], gb[i]) {
						t.Errorf("gradInputTile differs from gradInputTileGo at %d", i)
					}
				}
			})
		}
	})
}

// BenchmarkConvLayer times the forward and both backward passes of the
// seed CIFAR-10 conv layers by each algorithm.
func BenchmarkConvLayer(b *testing.B) {
	for _, bc := range []struct {
		name string
		in   Shape
		f    int
	}{
		{"32x32x3 f64", Shape{32, 32, 3}, 64},
		{"16x16x64 f128", Shape{16, 16, 64}, 128},
		{"8x8x128 f256", Shape{8, 8, 128}, 256},
		{"4x4x256 f512", Shape{4, 4, 256}, 512},
	} {
		for _, algo := range []convAlgo{convIm2col, convWinograd} {
			name := map[convAlgo]string{convWinograd: "winograd", convIm2col: "im2col"}[algo]
			b.Run(bc.name+" b128 "+name, func(b *testing.B) {
				withConvAlgo(b, algo)
				spec := LayerSpec{Kind: KindConv, Filters: bc.f, KernelH: 3, KernelW: 3, Padding: PadSame}
				net, err := Build(bc.in, []LayerSpec{spec}, 1)
				if err != nil {
					b.Fatal(err)
				}
				x := benchInput(128, bc.in)
				y, err := net.Forward(x, true)
				if err != nil {
					b.Fatal(err)
				}
				dy := NewTensor(y.N, y.H, y.W, y.C)
				normalInput(NewRand(2, 2), dy.Data)
				flops := 3 * 2 * float64(128*y.H*y.W*bc.f) * float64(9*bc.in.C)
				b.ResetTimer()
				for b.Loop() {
					if _, err := net.Forward(x, true); err != nil {
						b.Fatal(err)
					}
					if _, err := net.BackwardInput(dy); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
			})
		}
	}
}
