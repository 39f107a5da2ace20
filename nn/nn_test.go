package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

func TestOutputShape(t *testing.T) {
	conv := func(k, s int, pad Padding) LayerSpec {
		return LayerSpec{Kind: KindConv, Filters: 8, KernelH: k, KernelW: k, StrideH: s, StrideW: s, Padding: pad}
	}
	tests := []struct {
		name string
		in   Shape
		spec LayerSpec
		want Shape
	}{
		{"conv valid", Shape{28, 28, 1}, conv(3, 1, PadValid), Shape{26, 26, 8}},
		{"conv default padding and stride", Shape{28, 28, 1}, LayerSpec{Kind: KindConv, Filters: 8, KernelH: 3, KernelW: 3}, Shape{26, 26, 8}},
		{"conv valid floor", Shape{28, 28, 1}, conv(5, 2, PadValid), Shape{12, 12, 8}},
		{"conv same", Shape{28, 28, 3}, conv(3, 1, PadSame), Shape{28, 28, 8}},
		{"conv same stride 2 ceil", Shape{7, 8, 3}, conv(3, 2, PadSame), Shape{4, 4, 8}},
		{"conv same stride 3", Shape{32, 31, 3}, conv(7, 3, PadSame), Shape{11, 11, 8}},
		{"conv explicit 2", Shape{28, 28, 1}, LayerSpec{Kind: KindConv, Filters: 4, KernelH: 5, KernelW: 5, Padding: PadExplicit, PadTop: 2, PadBottom: 2, PadLeft: 2, PadRight: 2}, Shape{28, 28, 4}},
		{"conv explicit uneven", Shape{10, 10, 1}, LayerSpec{Kind: KindConv, Filters: 4, KernelH: 3, KernelW: 1, StrideH: 2, StrideW: 3, Padding: PadExplicit, PadTop: 1, PadRight: 2}, Shape{5, 4, 4}},
		{"maxpool 2 floor", Shape{13, 13, 28}, LayerSpec{Kind: KindMaxPool, KernelH: 2, KernelW: 2}, Shape{6, 6, 28}},
		{"maxpool 3 stride 2", Shape{7, 5, 2}, LayerSpec{Kind: KindMaxPool, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2}, Shape{3, 2, 2}},
		{"avgpool same", Shape{7, 5, 2}, LayerSpec{Kind: KindAvgPool, KernelH: 2, KernelW: 2, Padding: PadSame}, Shape{4, 3, 2}},
		{"flatten", Shape{13, 13, 28}, LayerSpec{Kind: KindFlatten}, Shape{1, 1, 4732}},
		{"dense", Shape{1, 1, 4732}, LayerSpec{Kind: KindDense, Units: 128}, Shape{1, 1, 128}},
		{"batchnorm", Shape{4, 4, 64}, LayerSpec{Kind: KindBatchNorm}, Shape{4, 4, 64}},
		{"dropout", Shape{1, 1, 128}, LayerSpec{Kind: KindDropout, Rate: 0.5}, Shape{1, 1, 128}},
		{"relu", Shape{3, 3, 2}, LayerSpec{Kind: KindReLU}, Shape{3, 3, 2}},
		{"softmax", Shape{1, 1, 10}, LayerSpec{Kind: KindSoftmax}, Shape{1, 1, 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := OutputShape(tt.in, tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("OutputShape(%v) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestOutputShapeErrors(t *testing.T) {
	tests := []struct {
		name string
		in   Shape
		spec LayerSpec
		want []string // substrings of the error
	}{
		{"vanishing conv", Shape{4, 4, 1}, LayerSpec{Kind: KindConv, Name: "conv3", Filters: 2, KernelH: 5, KernelW: 5}, []string{`conv "conv3"`, "4×4×1", "5×5", "empty"}},
		{"vanishing pool", Shape{1, 1, 8}, LayerSpec{Kind: KindMaxPool, KernelH: 2, KernelW: 2}, []string{"maxpool", "1×1×8", "empty"}},
		{"dense on spatial input", Shape{13, 13, 28}, LayerSpec{Kind: KindDense, Units: 10}, []string{"dense", "13×13×28", "flatten"}},
		{"no filters", Shape{8, 8, 1}, LayerSpec{Kind: KindConv, KernelH: 3, KernelW: 3}, []string{"filters"}},
		{"no kernel", Shape{8, 8, 1}, LayerSpec{Kind: KindConv, Filters: 2}, []string{"kernel 0×0"}},
		{"negative stride", Shape{8, 8, 1}, LayerSpec{Kind: KindConv, Filters: 2, KernelH: 3, KernelW: 3, StrideH: -1}, []string{"stride"}},
		{"unknown padding", Shape{8, 8, 1}, LayerSpec{Kind: KindConv, Filters: 2, KernelH: 3, KernelW: 3, Padding: "full"}, []string{`padding "full"`}},
		{"negative padding", Shape{8, 8, 1}, LayerSpec{Kind: KindConv, Filters: 2, KernelH: 3, KernelW: 3, Padding: PadExplicit, PadLeft: -1}, []string{"negative padding"}},
		{"pool padding as large as window", Shape{8, 8, 1}, LayerSpec{Kind: KindMaxPool, KernelH: 2, KernelW: 2, Padding: PadExplicit, PadTop: 2}, []string{"smaller than"}},
		{"dropout rate 1", Shape{1, 1, 8}, LayerSpec{Kind: KindDropout, Rate: 1}, []string{"rate"}},
		{"batchnorm momentum", Shape{1, 1, 8}, LayerSpec{Kind: KindBatchNorm, Momentum: 1.5}, []string{"momentum"}},
		{"unknown kind", Shape{1, 1, 8}, LayerSpec{Kind: "lstm"}, []string{`unknown layer kind "lstm"`}},
		{"unknown init", Shape{1, 1, 8}, LayerSpec{Kind: KindDense, Units: 2, Init: "zeros"}, []string{`init "zeros"`}},
		{"empty input", Shape{0, 8, 1}, LayerSpec{Kind: KindReLU}, []string{"0×8×1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := OutputShape(tt.in, tt.spec)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestBuildNamesAndErrors(t *testing.T) {
	net, err := Build(Shape{28, 28, 1}, []LayerSpec{
		{Kind: KindConv, Filters: 4, KernelH: 3, KernelW: 3},
		{Kind: KindReLU},
		{Kind: KindMaxPool, KernelH: 2, KernelW: 2},
		{Kind: KindConv, Name: "conv1x", Filters: 4, KernelH: 3, KernelW: 3},
		{Kind: KindAvgPool, KernelH: 2, KernelW: 2},
		{Kind: KindFlatten},
		{Kind: KindDense, Units: 10, Name: "dense2"},
		{Kind: KindDense, Units: 10},
	}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, l := range net.Layers() {
		names = append(names, l.Name)
	}
	want := "conv1 relu1 pool1 conv1x pool2 flatten1 dense2 dense3"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("names = %s, want %s", got, want)
	}
	if got := net.Specs()[0].Name; got != "conv1" {
		t.Errorf("Specs()[0].Name = %q", got)
	}
	l := net.Layers()[3]
	if l.In != (Shape{13, 13, 4}) || l.Out != (Shape{11, 11, 4}) || l.Params != 3*3*4*4+4 {
		t.Errorf("conv1x info = %+v", l)
	}

	_, err = Build(Shape{28, 28, 1}, []LayerSpec{
		{Kind: KindConv, Filters: 4, KernelH: 3, KernelW: 3},
		{Kind: KindDense, Units: 10},
	}, 1)
	if err == nil || !strings.Contains(err.Error(), "layer 2") || !strings.Contains(err.Error(), `dense "dense1"`) || !strings.Contains(err.Error(), "flatten") {
		t.Errorf("dense after conv: err = %v", err)
	}
	_, err = Build(Shape{8, 8, 1}, []LayerSpec{{Kind: KindReLU, Name: "a"}, {Kind: KindTanh, Name: "a"}}, 1)
	if err == nil || !strings.Contains(err.Error(), `"a"`) {
		t.Errorf("duplicate names: err = %v", err)
	}
	if _, err = Build(Shape{8, 8, 1}, nil, 1); err == nil {
		t.Error("no layers: no error")
	}
}

func TestInitialisation(t *testing.T) {
	net, err := Build(Shape{1, 1, 400}, []LayerSpec{
		{Kind: KindDense, Units: 300},
		{Kind: KindDense, Units: 200, Init: InitGlorot},
	}, 5)
	if err != nil {
		t.Fatal(err)
	}
	p := net.Params()
	std := func(v []float32) float64 {
		var s float64
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		return math.Sqrt(s / float64(len(v)))
	}
	if got, want := std(p[0].Value), math.Sqrt(2.0/400); math.Abs(got-want) > 0.02*want {
		t.Errorf("He weights std %v, want %v", got, want)
	}
	limit := math.Sqrt(6.0 / (300 + 200))
	if got, want := std(p[2].Value), limit/math.Sqrt(3); math.Abs(got-want) > 0.02*want {
		t.Errorf("Glorot weights std %v, want %v", got, want)
	}
	for _, w := range p[2].Value {
		if math.Abs(float64(w)) > limit {
			t.Fatalf("Glorot weight %v outside ±%v", w, limit)
		}
	}
	for _, b := range p[1].Value {
		if b != 0 {
			t.Fatal("bias not zero")
		}
	}
	if !p[0].Decay || p[1].Decay {
		t.Error("Decay should be set on weights only")
	}
}

// directConv is the convolution by its definition, for comparison.
func directConv(x *Tensor, w, b []float32, g geometry, f int) []float32 {
	out := make([]float32, x.N*g.oh*g.ow*f)
	for n := 0; n < x.N; n++ {
		for oh := 0; oh < g.oh; oh++ {
			for ow := 0; ow < g.ow; ow++ {
				for o := 0; o < f; o++ {
					var s float64
					if b != nil {
						s = float64(b[o])
					}
					for kh := 0; kh < g.kh; kh++ {
						for kw := 0; kw < g.kw; kw++ {
							ih, iw := oh*g.sh+kh-g.pt, ow*g.sw+kw-g.pl
							if ih < 0 || ih >= g.h || iw < 0 || iw >= g.w {
								continue
							}
							for c := 0; c < g.c; c++ {
								s += float64(x.Data[((n*g.h+ih)*g.w+iw)*g.c+c]) * float64(w[((kh*g.kw+kw)*g.c+c)*f+o])
							}
						}
					}
					out[((n*g.oh+oh)*g.ow+ow)*f+o] = float32(s)
				}
			}
		}
	}
	return out
}

func TestConvMatchesDefinition(t *testing.T) {
	specs := []LayerSpec{
		{Kind: KindConv, Filters: 5, KernelH: 3, KernelW: 3, Padding: PadSame},
		{Kind: KindConv, Filters: 2, KernelH: 1, KernelW: 1},
		{Kind: KindConv, Filters: 3, KernelH: 5, KernelW: 2, StrideH: 2, StrideW: 3, Padding: PadExplicit, PadTop: 2, PadBottom: 1, PadRight: 1},
		{Kind: KindConv, Filters: 4, KernelH: 7, KernelW: 7, StrideH: 3, StrideW: 3, Padding: PadSame, NoBias: true},
	}
	r := rand.New(rand.NewPCG(9, 9))
	for _, s := range specs {
		in := Shape{9, 10, 3}
		net, err := Build(in, []LayerSpec{s}, 3)
		if err != nil {
			t.Fatal(err)
		}
		c := net.layers[0].(*conv)
		if c.b != nil {
			for i := range c.b.Value {
				c.b.Value[i] = float32(r.NormFloat64())
			}
		}
		x := NewTensor(2, in.H, in.W, in.C)
		normalInput(r, x.Data)
		y, err := net.Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		var bias []float32
		if c.b != nil {
			bias = c.b.Value
		}
		want := directConv(x, c.w.Value, bias, c.geom, s.Filters)
		for i := range want {
			if math.Abs(float64(y.Data[i]-want[i])) > 1e-4 {
				t.Fatalf("%+v: output[%d] = %v, want %v", s, i, y.Data[i], want[i])
			}
		}
	}
}

func TestPoolValues(t *testing.T) {
	// One 3×3 channel:
	//	1 2 3
	//	4 5 6
	//	7 8 9
	x := &Tensor{N: 1, H: 3, W: 3, C: 1, Data: []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}}
	neg := &Tensor{N: 1, H: 3, W: 3, C: 1, Data: []float32{-1, -2, -3, -4, -5, -6, -7, -8, -9}}
	tests := []struct {
		name string
		x    *Tensor
		spec LayerSpec
		want []float32
	}{
		{"max 2 floor", x, LayerSpec{Kind: KindMaxPool, KernelH: 2, KernelW: 2}, []float32{5}},
		{"max 2 stride 1", x, LayerSpec{Kind: KindMaxPool, KernelH: 2, KernelW: 2, StrideH: 1, StrideW: 1}, []float32{5, 6, 8, 9}},
		{"max 2 same", x, LayerSpec{Kind: KindMaxPool, KernelH: 2, KernelW: 2, Padding: PadSame}, []float32{5, 6, 8, 9}},
		// Padding never wins, even against negative values.
		{"max 2 same negative", neg, LayerSpec{Kind: KindMaxPool, KernelH: 2, KernelW: 2, Padding: PadSame}, []float32{-1, -3, -7, -9}},
		{"max 3 pad 1", neg, LayerSpec{Kind: KindMaxPool, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, Padding: PadExplicit, PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1}, []float32{-1, -2, -4, -5}},
		{"avg 2 floor", x, LayerSpec{Kind: KindAvgPool, KernelH: 2, KernelW: 2}, []float32{3}},
		// Averages over the real values only: the bottom-right window holds 9 alone.
		{"avg 2 same", x, LayerSpec{Kind: KindAvgPool, KernelH: 2, KernelW: 2, Padding: PadSame}, []float32{3, 4.5, 7.5, 9}},
		{"avg 3 stride 1 same", x, LayerSpec{Kind: KindAvgPool, KernelH: 3, KernelW: 3, StrideH: 1, StrideW: 1, Padding: PadSame}, []float32{3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			net, err := Build(Shape{3, 3, 1}, []LayerSpec{tt.spec}, 1)
			if err != nil {
				t.Fatal(err)
			}
			y, err := net.Forward(tt.x, false)
			if err != nil {
				t.Fatal(err)
			}
			if len(y.Data) != len(tt.want) {
				t.Fatalf("output %v = %v, want %v", y, y.Data, tt.want)
			}
			for i := range tt.want {
				if math.Abs(float64(y.Data[i]-tt.want[i])) > 1e-6 {
					t.Fatalf("output %v, want %v", y.Data, tt.want)
				}
			}
		})
	}
}

func TestBatchNormStatistics(t *testing.T) {
	net, err := Build(Shape{1, 2, 2}, []LayerSpec{{Kind: KindBatchNorm, Momentum: 0.5, Epsilon: 1e-3}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	// Channel 0 takes 1, 3, 5, 7 (mean 4, biased var 5, unbiased 20/3);
	// channel 1 is constant 2.
	x := &Tensor{N: 2, H: 1, W: 2, C: 2, Data: []float32{1, 2, 3, 2, 5, 2, 7, 2}}
	y, err := net.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []float64{-3, -1, 1, 3} {
		want /= math.Sqrt(5 + 1e-3)
		if got := float64(y.Data[2*i]); math.Abs(got-want) > 1e-5 {
			t.Errorf("train output %d = %v, want %v", i, got, want)
		}
		if y.Data[2*i+1] != 0 {
			t.Errorf("constant channel normalised to %v, want 0", y.Data[2*i+1])
		}
	}
	bn := net.layers[0].(*batchNorm)
	wantMean := []float32{0.5 * 4, 0.5 * 2}
	wantVar := []float32{0.5 + 0.5*20.0/3, 0.5}
	for q := range 2 {
		if math.Abs(float64(bn.runMean.Value[q]-wantMean[q])) > 1e-6 || math.Abs(float64(bn.runVar.Value[q]-wantVar[q])) > 1e-6 {
			t.Errorf("channel %d running mean/var = %v/%v, want %v/%v", q, bn.runMean.Value[q], bn.runVar.Value[q], wantMean[q], wantVar[q])
		}
	}
	// Eval mode uses the running statistics.
	y, err = net.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	want := (1 - 2.0) / math.Sqrt(float64(wantVar[0])+1e-3)
	if got := float64(y.Data[0]); math.Abs(got-want) > 1e-5 {
		t.Errorf("eval output = %v, want %v", got, want)
	}
}

func TestForwardBadInput(t *testing.T) {
	net, err := Build(Shape{4, 4, 1}, []LayerSpec{{Kind: KindConv, Filters: 2, KernelH: 3, KernelW: 3}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	nan := NewTensor(2, 4, 4, 1)
	nan.Data[21] = float32(math.NaN())
	inf := NewTensor(1, 4, 4, 1)
	inf.Data[3] = float32(math.Inf(1))
	short := NewTensor(2, 4, 4, 1)
	short.Data = short.Data[:20]
	tests := []struct {
		name string
		x    *Tensor
		want string
	}{
		{"nil", nil, "nil"},
		{"wrong shape", NewTensor(1, 4, 5, 1), "shape 4×5×1, want 4×4×1"},
		{"empty batch", NewTensor(0, 4, 4, 1), "empty batch"},
		{"short data", short, "20 values"},
		{"NaN", nan, "NaN at example 1, index 5"},
		{"Inf", inf, "+Inf at example 0, index 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := net.Forward(tt.x, true)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "input") {
				t.Errorf("err = %v, want one mentioning the input and %q", err, tt.want)
			}
		})
	}
	if err := net.Backward(NewTensor(1, 2, 2, 2)); err == nil {
		t.Error("Backward after a failed Forward: no error")
	}
	if _, err := net.Forward(NewTensor(3, 4, 4, 1), true); err != nil {
		t.Fatal(err)
	}
	if err := net.Backward(NewTensor(2, 2, 2, 2)); err == nil || !strings.Contains(err.Error(), "3") {
		t.Errorf("Backward with the wrong batch size: err = %v", err)
	}
	if err := net.Backward(NewTensor(3, 2, 2, 3)); err == nil || !strings.Contains(err.Error(), "2×2×3") {
		t.Errorf("Backward with the wrong shape: err = %v", err)
	}
	if _, err := net.Forward(NewTensor(3, 4, 4, 1), false); err != nil {
		t.Fatal(err)
	}
	if err := net.Backward(NewTensor(3, 2, 2, 2)); err == nil || !strings.Contains(err.Error(), "training") {
		t.Errorf("Backward after an eval Forward: err = %v", err)
	}
}

func TestProbabilitiesAndActivations(t *testing.T) {
	specs := []LayerSpec{
		{Kind: KindConv, Filters: 3, KernelH: 3, KernelW: 3},
		{Kind: KindReLU},
		{Kind: KindMaxPool, KernelH: 2, KernelW: 2},
		{Kind: KindFlatten},
		{Kind: KindDropout, Rate: 0.5},
		{Kind: KindDense, Units: 4},
	}
	net, err := Build(Shape{6, 6, 2}, specs, 2)
	if err != nil {
		t.Fatal(err)
	}
	x := NewTensor(3, 6, 6, 2)
	normalInput(rand.New(rand.NewPCG(1, 1)), x.Data)
	p, err := net.Probabilities(x)
	if err != nil {
		t.Fatal(err)
	}
	logits, _ := net.Forward(x, false)
	for n := 0; n < 3; n++ {
		var sum float64
		for j, v := range p.Example(n) {
			sum += float64(v)
			if v <= 0 {
				t.Errorf("probability %v", v)
			}
			// Ordering follows the logits.
			if j > 0 && (v > p.Example(n)[j-1]) != (logits.Example(n)[j] > logits.Example(n)[j-1]) {
				t.Errorf("probabilities %v do not follow logits %v", p.Example(n), logits.Example(n))
			}
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Errorf("probabilities of example %d sum to %v", n, sum)
		}
	}
	acts, err := net.Activations(x)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != len(specs) {
		t.Fatalf("%d activations for %d layers", len(acts), len(specs))
	}
	for i, a := range acts {
		if a.N != 3 || a.Shape() != net.Layers()[i].Out {
			t.Errorf("activation %d has shape %v, want 3×%v", i, a, net.Layers()[i].Out)
		}
	}
	for i, v := range acts[len(acts)-1].Data {
		if v != logits.Data[i] {
			t.Fatal("last activation differs from the Forward output")
		}
	}
	for _, v := range acts[1].Data {
		if v < 0 {
			t.Fatal("ReLU activation below zero")
		}
	}

	// A network ending in softmax returns its own output.
	net2, err := Build(Shape{1, 1, 3}, []LayerSpec{{Kind: KindSoftmax}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := net2.Probabilities(&Tensor{N: 1, H: 1, W: 1, C: 3, Data: []float32{0, 0, math.Float32frombits(0x3f317218)}}) // ln 2
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(p2.Data[2])-0.5) > 1e-6 {
		t.Errorf("softmax network probabilities %v, want [.25 .25 .5]", p2.Data)
	}
}

func TestSoftmaxCrossEntropy(t *testing.T) {
	logits := &Tensor{N: 2, H: 1, W: 1, C: 4, Data: []float32{0, 0, 0, 0, 1000, 0, 0, 0}}
	d := NewTensor(2, 1, 1, 4)
	loss, correct, err := SoftmaxCrossEntropy(logits, []int{2, 0}, 0, d)
	if err != nil {
		t.Fatal(err)
	}
	// Example 0: −log(1/4); example 1: 0, without overflow.
	if want := math.Log(4) / 2; math.Abs(loss-want) > 1e-9 {
		t.Errorf("loss = %v, want %v", loss, want)
	}
	if correct != 1 {
		t.Errorf("correct = %d, want 1 (the first example's tie goes to class 0)", correct)
	}
	wantD := []float32{0.125, 0.125, -0.375, 0.125, 0, 0, 0, 0}
	for i := range wantD {
		if math.Abs(float64(d.Data[i]-wantD[i])) > 1e-7 {
			t.Errorf("dLogits = %v, want %v", d.Data, wantD)
			break
		}
	}
	// Label smoothing 0.2 over 4 classes: targets 0.05 and 0.85; uniform logits still give log 4.
	loss, _, err = SoftmaxCrossEntropy(logits, []int{2, 0}, 0.2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := (math.Log(4) + 0.05*3*1000) / 2; math.Abs(loss-want) > 1e-5 { // smoothing is a float32
		t.Errorf("smoothed loss = %v, want %v", loss, want)
	}
	for _, bad := range []struct {
		labels []int
		s      float32
		d      *Tensor
		want   string
	}{
		{[]int{0}, 0, nil, "1 labels for 2 examples"},
		{[]int{0, 4}, 0, nil, "label 4 of example 1"},
		{[]int{0, -1}, 0, nil, "label -1"},
		{[]int{0, 1}, 1, nil, "smoothing"},
		{[]int{0, 1}, 0, NewTensor(2, 1, 1, 3), "does not match"},
	} {
		if _, _, err := SoftmaxCrossEntropy(logits, bad.labels, bad.s, bad.d); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("labels %v: err = %v, want %q", bad.labels, err, bad.want)
		}
	}
}

func TestParallelForCoversEachIndexOnce(t *testing.T) {
	defer gemm.SetThreads(0)
	for _, threads := range []int{1, 2, 5} {
		gemm.SetThreads(threads)
		for _, tc := range []struct{ n, grain int }{{0, 4}, {1, 4}, {7, 3}, {100, 1}, {1000, 64}, {5, 0}} {
			seen := make([]int32, tc.n)
			parallelFor(tc.n, tc.grain, funcTask(func(lo, hi int) {
				if lo%max(tc.grain, 1) != 0 || hi > tc.n || hi-lo > max(tc.grain, 1) {
					t.Errorf("threads %d, n %d, grain %d: block [%d, %d)", threads, tc.n, tc.grain, lo, hi)
				}
				for i := lo; i < hi; i++ {
					seen[i]++ // blocks are disjoint, so no race
				}
			}))
			for i, k := range seen {
				if k != 1 {
					t.Fatalf("threads %d, n %d, grain %d: index %d done %d times", threads, tc.n, tc.grain, i, k)
				}
			}
		}
	}
}

// TestParallelForConcurrentCalls runs many calls from several goroutines
// at once, more than there are jobs, so that late helpers hold jobs while
// new calls come and some calls find none free (run with -race to check
// how jobs are shared and recycled).
func TestParallelForConcurrentCalls(t *testing.T) {
	defer gemm.SetThreads(0)
	gemm.SetThreads(3)
	const goroutines, calls, n = 8, 300, 50
	var wg sync.WaitGroup
	errs := make(chan string, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range calls {
				seen := make([]int32, n)
				parallelFor(n, 1+c%7, funcTask(func(lo, hi int) {
					for i := lo; i < hi; i++ {
						seen[i]++
					}
				}))
				for i, k := range seen {
					if k != 1 {
						errs <- fmt.Sprintf("goroutine %d, call %d: index %d done %d times", g, c, i, k)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	// Late helpers let go of their jobs soon after the calls return.
	for start := time.Now(); !parJobs.slots.AllFree(maxParJobs); {
		if time.Since(start) > 5*time.Second {
			t.Fatal("jobs still in use 5 s after every call returned")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLayerTiming(t *testing.T) {
	net, err := Build(Shape{28, 28, 1}, mnistSpecs(), 1)
	if err != nil {
		t.Fatal(err)
	}
	x := benchInput(8, Shape{28, 28, 1})
	d := NewTensor(8, 1, 1, 10)
	step := func() {
		logits, err := net.Forward(x, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := SoftmaxCrossEntropy(logits, []int{0, 1, 2, 3, 4, 5, 6, 7}, 0, d); err != nil {
			t.Fatal(err)
		}
		if err := net.Backward(d); err != nil {
			t.Fatal(err)
		}
	}
	step()
	for _, lt := range net.Timings() {
		if lt.Forward != 0 || lt.Backward != 0 {
			t.Fatalf("timing is off but %s has times %v, %v", lt.Name, lt.Forward, lt.Backward)
		}
	}
	net.SetTiming(true)
	step()
	times := net.Timings()
	if len(times) != len(mnistSpecs()) {
		t.Fatalf("%d timings for %d layers", len(times), len(mnistSpecs()))
	}
	if times[0].Name != "conv1" || times[0].Kind != KindConv || times[0].Forward <= 0 || times[0].Backward <= 0 {
		t.Errorf("conv1 timing %+v, want its name, kind and positive times", times[0])
	}
	net.SetTiming(false)
	step()
	if after := net.Timings(); after[0] != times[0] {
		t.Errorf("timing switched off still counts: %+v, then %+v", times[0], after[0])
	}
	net.SetTiming(true)
	if reset := net.Timings(); reset[0].Forward != 0 || reset[0].Backward != 0 {
		t.Errorf("switching timing on did not reset it: %+v", reset[0])
	}
}

// TestDirectConvMatchesGemm runs convs with short im2col rows through the
// direct loops and through gemm and compares outputs and gradients.
func TestDirectConvMatchesGemm(t *testing.T) {
	withConvAlgo(t, convIm2col)
	for _, tc := range []struct {
		in   Shape
		spec LayerSpec
	}{
		{Shape{12, 11, 1}, LayerSpec{Kind: KindConv, Filters: 28, KernelH: 3, KernelW: 3}},
		{Shape{9, 9, 2}, LayerSpec{Kind: KindConv, Filters: 40, KernelH: 2, KernelW: 3, StrideH: 2, Padding: PadSame, NoBias: true}},
		{Shape{5, 6, 16}, LayerSpec{Kind: KindConv, Filters: 5, KernelH: 1, KernelW: 1}},
		// rows of 27: the forward loops, the weight gradient by gemm
		{Shape{10, 9, 3}, LayerSpec{Kind: KindConv, Filters: 40, KernelH: 3, KernelW: 3, Padding: PadSame}},
	} {
		run := func(direct bool) (*Tensor, *Tensor, []float32, []float32) {
			net, err := Build(tc.in, []LayerSpec{tc.spec}, 2)
			if err != nil {
				t.Fatal(err)
			}
			c := net.layers[0].(*conv)
			if !c.directFwd {
				t.Fatalf("%v on %v: want the direct loops", tc.spec, tc.in)
			}
			c.direct, c.directFwd = direct, direct
			x := benchInput(600, tc.in) // several blocks of rows
			y, err := net.Forward(x, true)
			if err != nil {
				t.Fatal(err)
			}
			y = y.Clone()
			dy := benchInput(600, net.Output())
			dx, err := net.BackwardInput(dy)
			if err != nil {
				t.Fatal(err)
			}
			var db []float32
			if c.b != nil {
				db = append(db, c.b.Grad...)
			}
			return y, dx.Clone(), append([]float32(nil), c.w.Grad...), db
		}
		y1, dx1, dw1, db1 := run(true)
		y2, dx2, dw2, db2 := run(false)
		for _, cmp := range []struct {
			what      string
			got, want []float32
		}{{"output", y1.Data, y2.Data}, {"input gradient", dx1.Data, dx2.Data}, {"weight gradient", dw1, dw2}, {"bias gradient", db1, db2}} {
			scale := 0.0
			for _, v := range cmp.want {
				scale = max(scale, math.Abs(float64(v)))
			}
			for i := range cmp.want {
				if d := math.Abs(float64(cmp.got[i] - cmp.want[i])); d > 1e-5*scale {
					t.Fatalf("%v: %s %d: direct %v, gemm %v", tc.spec, cmp.what, i, cmp.got[i], cmp.want[i])
				}
			}
		}
	}
}

// TestDropoutDrawsAsFloat32 checks that dropout's integer test on the PCG
// source drops exactly the values rand.Rand's Float32 < rate drops, from
// the same stream, at the boundary of each rate and over many draws.
func TestDropoutDrawsAsFloat32(t *testing.T) {
	for _, rate := range []float32{0, 1e-7, 0.1, 0.3, 1.0 / 3, 0.5, 0.9999999} {
		limit, keep := dropBelow(rate), uint32(0x3fc00000) // 1.5
		for x := max(limit, 2) - 2; x <= limit+2 && x < 1<<24; x++ {
			u := x<<32 | 0xff00000000ffffff // bits Float32 ignores set
			want := keep
			if float32(x)/(1<<24) < rate {
				want = 0
			}
			if got := maskBits(u, limit, keep); got != want {
				t.Errorf("rate %v: x = %d: mask bits %#x, want %#x", rate, x, got, want)
			}
		}
		ref, own := NewRand(7, StreamDropout), NewPCG(7, StreamDropout)
		for i := range 100000 {
			want := ref.Float32() < rate
			if got := maskBits(own.Uint64(), limit, keep) == 0; got != want {
				t.Fatalf("rate %v: draw %d dropped %v, want %v", rate, i, got, want)
			}
		}
	}
	// The layer's masks, over two forward passes.
	const rate, seed = 0.3, 5
	net, err := Build(Shape{4, 5, 6}, []LayerSpec{{Kind: KindDropout, Rate: rate}}, seed)
	if err != nil {
		t.Fatal(err)
	}
	ref := NewRand(seed, StreamDropout)
	x := NewTensor(50, 4, 5, 6)
	for i := range x.Data {
		x.Data[i] = 1
	}
	for pass := range 2 {
		y, err := net.Forward(x, true)
		if err != nil {
			t.Fatal(err)
		}
		for i, got := range y.Data[:y.Len()] {
			want := float32(1 / (1 - float32(rate)))
			if ref.Float32() < rate {
				want = 0
			}
			if got != want {
				t.Fatalf("pass %d: value %d = %v, want %v", pass, i, got, want)
			}
		}
	}
}
