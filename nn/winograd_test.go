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
		{"winograd-f2", convWinograd2, false},
		{"Winograd-F4", convWinograd4, false},
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

// TestConvAlgoChoice checks which layers Build gives Winograd, and with
// which tiles, under each choice: only 3×3 stride-1 convs ever, all of them
// when forced, and under auto those of the seed CIFAR-10 network past its
// first (3-channel) layer, by F(4×4, 3×3), which BenchmarkConvLayer finds
// the fastest for them (and im2col for the first).
func TestConvAlgoChoice(t *testing.T) {
	convSpec := func(f, k, s int) LayerSpec {
		return LayerSpec{Kind: KindConv, Filters: f, KernelH: k, KernelW: k, StrideH: s, StrideW: s, Padding: PadSame}
	}
	// want is the tile size m of F(m×m, 3×3) under auto, winograd,
	// winograd-f2, winograd-f4 and im2col; 0 for im2col.
	for _, tc := range []struct {
		name string
		in   Shape
		spec LayerSpec
		want [5]int
	}{
		{"cifar 1", Shape{32, 32, 3}, convSpec(64, 3, 1), [5]int{0, 4, 2, 4, 0}},
		{"cifar 2", Shape{16, 16, 64}, convSpec(128, 3, 1), [5]int{4, 4, 2, 4, 0}},
		{"cifar 3", Shape{8, 8, 128}, convSpec(256, 3, 1), [5]int{4, 4, 2, 4, 0}},
		{"cifar 4", Shape{4, 4, 256}, convSpec(512, 3, 1), [5]int{4, 4, 2, 4, 0}},
		{"2x2 output", Shape{2, 2, 256}, convSpec(512, 3, 1), [5]int{2, 2, 2, 4, 0}},
		{"mnist (direct)", Shape{28, 28, 1}, convSpec(28, 3, 1), [5]int{0, 2, 2, 4, 0}},
		{"stride 2", Shape{16, 16, 64}, convSpec(128, 3, 2), [5]int{0, 0, 0, 0, 0}},
		{"5x5", Shape{16, 16, 64}, convSpec(128, 5, 1), [5]int{0, 0, 0, 0, 0}},
	} {
		for i, algo := range []convAlgo{convAuto, convWinograd, convWinograd2, convWinograd4, convIm2col} {
			if (gemm.Kernel() == "portable" || !winogradAsm()) && (algo == convAuto || algo == convWinograd) {
				continue // the model prices the portable kernel and transforms differently
			}
			withConvAlgo(t, algo)
			net, err := Build(tc.in, []LayerSpec{tc.spec}, 1)
			if err != nil {
				t.Fatal(err)
			}
			got := 0
			if wg := net.layers[0].(*conv).wg; wg != nil {
				got = wg.m
			}
			if got != tc.want[i] {
				t.Errorf("%s under %v: tiles %d (0: im2col), want %d", tc.name, algo, got, tc.want[i])
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

// winogradErrBound bounds the error of each algorithm's results relative
// to the sum of the absolute values of the terms of each. Float32 sums of K
// random terms err by about √K·u of that sum (u = 2⁻²⁴ ≈ 6e-8).
// F(2×2, 3×3)'s transforms scale values by at most 4 (input), 9/4 (weights)
// and 9 (the output sums), so its error may be some ten times that;
// F(4×4, 3×3)'s by up to 100 (input: rows of Bᵀ sum to 10 in absolute
// value), 1 (weights) and 19² (output: the last row of Aᵀ), with
// cancellation between them, so some ten times more again. Measured worst
// here, on Zen 5: 3e-7 for im2col, 1.1e-6 for F(2×2), 1.1e-5 for F(4×4)
// (the weight gradient of the 4×4×256 layer, whose 4×4 tiles take the
// padding's zeros into the sums). 1e-5 and 1e-4 leave margins, and still
// fail for one wrong, missing or extra term: with K ≤ 2304 terms of
// similar size, one is about 1/K ≥ 4e-4 of their sum.
var winogradErrBound = map[convAlgo]float64{convIm2col: 1e-5, convWinograd2: 1e-5, convWinograd4: 1e-4}

// TestWinogradMatchesReference runs conv layers by Winograd (tiles of 2×2
// and 4×4 outputs) and by im2col on random data, and checks the forward output and all three gradients of
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
			for _, algo := range []convAlgo{convWinograd2, convWinograd4, convIm2col} {
				withConvAlgo(t, algo)
				net, err := Build(tc.in, []LayerSpec{tc.spec}, 5)
				if err != nil {
					t.Fatal(err)
				}
				c := net.layers[0].(*conv)
				if (c.wg != nil) != algo.forced() || c.wg != nil && c.wg.m != map[convAlgo]int{convWinograd2: 2, convWinograd4: 4}[algo] {
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
				name := map[convAlgo]string{convWinograd2: "winograd-f2", convWinograd4: "winograd-f4", convIm2col: "im2col"}[algo]
				bound := winogradErrBound[algo]
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
					if w > bound {
						t.Errorf("%s %s: error %.3g of the sum of absolute terms, want ≤ %g", name, what, w, bound)
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
				if algo == convWinograd2 {
					first = got
					continue
				}
				// Each is within its bound of the reference, so within the
				// sum of the bounds of each other.
				for i, abs := range [3][]float64{ref.yAbs, ref.dxAbs, ref.dwAbs} {
					for j := range abs {
						if d := math.Abs(float64(first[i][j] - got[i][j])); d > (winogradErrBound[convWinograd2]+bound)*abs[j] {
							t.Fatalf("%s[%d]: F(2×2) Winograd %v, %s %v", [3]string{"y", "dx", "dw"}[i], j, first[i][j], name, got[i][j])
						}
					}
				}
			}
		})
	}
}

// TestWinogradThreads checks that the Winograd passes give the same bits on
// 1, 2, 3 and 5 threads, with either size of tiles: 5 threads do not
// divide the 16 or 36 positions, so the last position's products are split
// between the threads, which the larger layer makes large enough to split.
func TestWinogradThreads(t *testing.T) {
	for _, algo := range []convAlgo{convWinograd2, convWinograd4} {
		withConvAlgo(t, algo)
		winogradThreads(t, Shape{9, 10, 16}, 24)
		winogradThreads(t, Shape{32, 32, 64}, 64)
	}
}

func winogradThreads(t *testing.T, in Shape, filters int) {
	defer gemm.SetThreads(0)
	spec := LayerSpec{Kind: KindConv, Filters: filters, KernelH: 3, KernelW: 3, Padding: PadSame}
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
	for _, threads := range []int{2, 3, 5} {
		other := run(threads)
		for i := range one {
			if !sameBits(one[i], other[i]) {
				t.Errorf("%v, %d filters: result %d (y, dx, dw, db) differs between 1 and %d threads", in, filters, i, threads)
			}
		}
	}
}

func TestWholeRounds(t *testing.T) {
	tests := []struct{ n, threads, want int }{
		{36, 1, 36}, {36, 0, 36}, {36, 2, 36}, {36, 5, 35}, {36, 8, 32},
		{36, 16, 32}, {16, 3, 15}, {16, 16, 16}, {16, 32, 0},
	}
	for _, tt := range tests {
		if got := wholeRounds(tt.n, tt.threads); got != tt.want {
			t.Errorf("wholeRounds(%d, %d) = %d, want %d", tt.n, tt.threads, got, tt.want)
		}
	}
}

// TestWinogradStepAllocatesNothing checks that a training step through
// Winograd convs allocates nothing once the buffers are sized.
func TestWinogradStepAllocatesNothing(t *testing.T) {
	if raceDetector {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	for _, algo := range []convAlgo{convWinograd2, convWinograd4} {
		withConvAlgo(t, algo)
		for _, threads := range []int{2, 5} { // 5: products split too
			winogradStepAllocatesNothing(t, threads)
		}
	}
}

func winogradStepAllocatesNothing(t *testing.T, threads int) {
	gemm.SetThreads(threads)
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
		t.Errorf("%d threads: %v allocations per training step, want 0", threads, n)
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

// TestWinograd4TransformsMatchGo checks the F(4×4, 3×3) transforms against
// their portable twins bit for bit, as TestWinogradTransformsMatchGo does
// those of F(2×2, 3×3): at the AVX-512 level the AVX-512 loops take the
// first multiple of 16 channels and the AVX2 loops the next 8, at the AVX2
// level the AVX2 loops take a multiple of 8, and Go the rest.
func TestWinograd4TransformsMatchGo(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(8, 9))
		// 280 and 600: a tile that overhangs the output goes to the
		// assembly in chunks of partialChunk channels
		for _, c := range []int{1, 7, 8, 9, 16, 24, 31, 64, 67, 280, 600} {
			t.Run(fmt.Sprint("c=", c), func(t *testing.T) {
				stride := max(101, c)
				fill := func(n int) []float32 {
					s := make([]float32, n)
					normalInput(r, s)
					return s
				}
				var d36 [36][]float32
				for i := range d36 {
					d36[i] = fill(c)
				}
				a, b := make([]float32, 35*stride+c), make([]float32, 35*stride+c)
				inputTile4(a, stride, &d36, c)
				inputTile4Go(b, stride, &d36, 0, c)
				if !sameBits(a, b) {
					t.Errorf("inputTile4 differs from inputTile4Go")
				}
				m := fill(35*stride + c)
				bias := fill(c)
				for _, full := range []bool{true, false} {
					var oa, ob [16][]float32
					for i := range 16 {
						if full || i%4 != 3 { // a tile that overhangs the output on the right
							oa[i], ob[i] = make([]float32, c), make([]float32, c)
						}
					}
					outputTile4(&oa, full, m, stride, bias, c)
					outputTile4Go(&ob, m, stride, bias, 0, c)
					for i := range 16 {
						if !sameBits(oa[i], ob[i]) {
							t.Errorf("outputTile4 (full %v) differs from outputTile4Go at %d", full, i)
						}
					}
				}
				var d16 [16][]float32
				for i := range d16 {
					d16[i] = fill(c)
				}
				a, b = make([]float32, 35*stride+c), make([]float32, 35*stride+c)
				gradOutputTile4(a, stride, &d16, c)
				gradOutputTile4Go(b, stride, &d16, 0, c)
				if !sameBits(a, b) {
					t.Errorf("gradOutputTile4 differs from gradOutputTile4Go")
				}
				cf := c + 3
				w9, u36 := fill(9*cf), fill(36*cf)
				a, b = make([]float32, 36*cf), make([]float32, 36*cf)
				filterTransform4(a, w9, cf, 1, 1+c)
				filterTransform4Go(b, w9, cf, 1, 1+c)
				if !sameBits(a, b) {
					t.Errorf("filterTransform4 differs from filterTransform4Go")
				}
				a, b = make([]float32, 9*cf), make([]float32, 9*cf)
				filterGrad4(a, u36, cf, 1, 1+c)
				filterGrad4Go(b, u36, cf, 1, 1+c)
				if !sameBits(a, b) {
					t.Errorf("filterGrad4 differs from filterGrad4Go")
				}
				var ga, gb [36][]float32
				for i := range ga {
					ga[i] = fill(c)
					gb[i] = append([]float32(nil), ga[i]...)
				}
				gradInputTile4(&ga, m, stride, c)
				gradInputTile4Go(&gb, m, stride, 0, c)
				for i := range ga {
					if !sameBits(ga[i], gb[i]) {
						t.Errorf("gradInputTile4 differs from gradInputTile4Go at %d", i)
					}
				}
			})
		}
	})
}

// TestWinograd4Matrices checks the F(4×4, 3×3) transforms against the
// direct sum on one tile in float64: for a 6×6 input block d and a 3×3
// kernel g, Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A is the 4×4 correlation of d with g, and
// the gradient transforms are the adjoints (transposes) of the forward ones.
func TestWinograd4Matrices(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var d [36][]float32
	var g [9]float32
	for i := range d {
		d[i] = []float32{float32(r.IntN(9) - 4)} // small integers: exact in float32
	}
	for i := range g {
		g[i] = float32(r.IntN(7) - 3)
	}
	v := make([]float32, 36)
	inputTile4Go(v, 1, &d, 0, 1)
	u := make([]float32, 36)
	filterTransform4Go(u, g[:], 1, 0, 1)
	m := make([]float32, 36)
	for p := range m {
		m[p] = v[p] * u[p]
	}
	var o [16][]float32
	for i := range o {
		o[i] = make([]float32, 1)
	}
	outputTile4Go(&o, m, 1, []float32{0}, 0, 1)
	for i := range 4 {
		for j := range 4 {
			var want float64
			for a := range 3 {
				for b := range 3 {
					want += float64(d[(i+a)*6+j+b][0]) * float64(g[a*3+b])
				}
			}
			if got := float64(o[i*4+j][0]); math.Abs(got-want) > 1e-4*(1+math.Abs(want)) {
				t.Errorf("y[%d][%d] = %v, want %v", i, j, got, want)
			}
		}
	}
	// <B x, y> = <x, Bᵀ y> for each pair of forward and gradient transforms,
	// on unit vectors: the gradient transform's matrix is the transpose.
	unit := func(n, k int) []float32 {
		e := make([]float32, n)
		e[k] = 1
		return e
	}
	for k := range 36 {
		// input: column k of Bᵀ⊗Bᵀ against row k of B⊗B (gradInputTile4 adds B dV Bᵀ)
		var dk [36][]float32
		for i := range dk {
			dk[i] = make([]float32, 1)
		}
		dk[k][0] = 1
		vk := make([]float32, 36)
		inputTile4Go(vk, 1, &dk, 0, 1)
		for p := range 36 {
			var gi [36][]float32
			for i := range gi {
				gi[i] = make([]float32, 1)
			}
			gradInputTile4Go(&gi, unit(36, p), 1, 0, 1)
			if vk[p] != gi[k][0] {
				t.Fatalf("input transform [%d][%d] = %v, its gradient's transpose %v", p, k, vk[p], gi[k][0])
			}
		}
	}
	for k := range 16 {
		// output: Aᵀ⊗Aᵀ against A⊗A
		var dy [16][]float32
		for i := range dy {
			dy[i] = make([]float32, 1)
		}
		dy[k][0] = 1
		dm := make([]float32, 36)
		gradOutputTile4Go(dm, 1, &dy, 0, 1)
		for p := range 36 {
			var ok [16][]float32
			for i := range ok {
				ok[i] = make([]float32, 1)
			}
			outputTile4Go(&ok, unit(36, p), 1, []float32{0}, 0, 1)
			if ok[k][0] != dm[p] {
				t.Fatalf("output transform [%d][%d] = %v, its gradient's transpose %v", k, p, ok[k][0], dm[p])
			}
		}
	}
	for k := range 9 {
		// weights: G⊗G against Gᵀ⊗Gᵀ, up to rounding of the sixths
		uk := make([]float32, 36)
		filterTransform4Go(uk, unit(9, k), 1, 0, 1)
		for p := range 36 {
			gk := make([]float32, 9)
			filterGrad4Go(gk, unit(36, p), 1, 0, 1)
			if math.Abs(float64(uk[p]-gk[k])) > 1e-7 {
				t.Fatalf("weight transform [%d][%d] = %v, its gradient's transpose %v", p, k, uk[p], gk[k])
			}
		}
	}
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
		for _, algo := range []convAlgo{convIm2col, convWinograd2, convWinograd4} {
			name := map[convAlgo]string{convWinograd2: "winograd-f2", convWinograd4: "winograd-f4", convIm2col: "im2col"}[algo]
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
