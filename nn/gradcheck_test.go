package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The gradient checks compare the analytic gradients of L = Σ r·y, with y
// the network output and r fixed random weights, against centered finite
// differences (L(v+h) − L(v−h))/2h, for every input value and every
// parameter value. L is summed in float64; the forward pass is float32, so
// h is large enough for its rounding not to matter and inputs are kept away
// from kinks (ReLU at 0, ties in max pooling) by more than h.
const (
	gradStep   = 1e-2
	gradRelTol = 1e-2 // |analytic − numeric| / max(|analytic|, |numeric|, gradFloor)
	gradFloor  = 1e-2
)

type gradCase struct {
	name  string
	in    Shape
	specs []LayerSpec
	input func(r *rand.Rand, x []float32) // fills the input; normal values when nil
	step  float32                         // the finite-difference step when not gradStep
}

// normalInput fills x with standard normal values.
func normalInput(r *rand.Rand, x []float32) {
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
}

// awayFromZero fills x with values of magnitude 0.1 to 1.1 and random sign.
func awayFromZero(r *rand.Rand, x []float32) {
	for i := range x {
		v := 0.1 + r.Float64()
		if r.IntN(2) == 0 {
			v = -v
		}
		x[i] = float32(v)
	}
}

// distinctInput fills x with a random permutation of values spaced 0.05
// apart, so no max-pool window has a near tie.
func distinctInput(r *rand.Rand, x []float32) {
	for i, p := range r.Perm(len(x)) {
		x[i] = float32(p)*0.05 - float32(len(x))*0.025
	}
}

func runGradCheck(t *testing.T, c gradCase) {
	t.Helper()
	const batch = 3
	net, err := Build(c.in, c.specs, 7)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	// Non-zero biases and batch-norm shifts/scales, so their paths are exercised.
	for _, p := range net.Params() {
		if !p.Decay {
			for i := range p.Value {
				p.Value[i] += float32(r.NormFloat64() * 0.3)
			}
		}
	}
	x := NewTensor(batch, c.in.H, c.in.W, c.in.C)
	fill := c.input
	if fill == nil {
		fill = normalInput
	}
	fill(r, x.Data)
	out := net.Output()
	weights := make([]float64, batch*out.Size())
	for i := range weights {
		weights[i] = r.NormFloat64()
	}
	loss := func() float64 {
		y, err := net.Forward(x, true)
		if err != nil {
			t.Fatal(err)
		}
		var s float64
		for i, v := range y.Data[:y.Len()] {
			s += weights[i] * float64(v)
		}
		return s
	}
	loss()
	// Freeze the dropout masks drawn by the first forward.
	for _, l := range net.layers {
		if d, ok := l.(*dropout); ok {
			d.fixed = true
		}
	}
	loss()
	dy := NewTensor(batch, out.H, out.W, out.C)
	for i := range dy.Data {
		dy.Data[i] = float32(weights[i])
	}
	dxT, err := net.BackwardInput(dy)
	if err != nil {
		t.Fatal(err)
	}
	dx := append([]float32(nil), dxT.Data[:dxT.Len()]...)
	grads := map[string][]float32{}
	for _, p := range net.Params() {
		grads[p.key()] = append([]float32(nil), p.Grad...)
	}

	check := func(what string, values []float32, analytic []float32) {
		t.Helper()
		if len(analytic) != len(values) {
			t.Fatalf("%s: %d gradient values for %d values", what, len(analytic), len(values))
		}
		worst, bad := 0.0, 0
		for i := range values {
			old := values[i]
			step := float32(gradStep)
			if c.step != 0 {
				step = c.step
			}
			hi, lo := old+step, old-step
			values[i] = hi
			up := loss()
			values[i] = lo
			down := loss()
			values[i] = old
			num := (up - down) / (float64(hi) - float64(lo))
			a := float64(analytic[i])
			rel := math.Abs(a-num) / math.Max(math.Max(math.Abs(a), math.Abs(num)), gradFloor)
			worst = math.Max(worst, rel)
			if rel > gradRelTol {
				if bad < 5 {
					t.Errorf("%s[%d]: analytic %.6g, numeric %.6g (relative error %.3g)", what, i, a, num, rel)
				}
				bad++
			}
		}
		if bad > 0 {
			t.Errorf("%s: %d of %d gradients off (worst relative error %.3g)", what, bad, len(values), worst)
		}
	}
	check("input", x.Data, dx)
	for _, p := range net.Params() {
		check(p.key(), p.Value, grads[p.key()])
	}
}

func TestGradConv(t *testing.T) {
	for _, c := range convGradCases() {
		t.Run(c.name, func(t *testing.T) { runGradCheck(t, c) })
	}
}

func convGradCases() []gradCase {
	conv := func(f, kh, kw, sh, sw int, pad Padding) LayerSpec {
		return LayerSpec{Kind: KindConv, Filters: f, KernelH: kh, KernelW: kw, StrideH: sh, StrideW: sw, Padding: pad}
	}
	explicit := func(s LayerSpec, top, bottom, left, right int) LayerSpec {
		s.Padding, s.PadTop, s.PadBottom, s.PadLeft, s.PadRight = PadExplicit, top, bottom, left, right
		return s
	}
	noBias := conv(3, 3, 3, 3, 3, PadSame)
	noBias.NoBias = true
	glorot := conv(2, 5, 3, 1, 2, PadValid)
	glorot.Init = InitGlorot
	return []gradCase{
		{name: "k1 s1 valid (pointwise)", in: Shape{5, 7, 3}, specs: []LayerSpec{conv(4, 1, 1, 1, 1, PadValid)}},
		{name: "k1 s2 same", in: Shape{5, 6, 2}, specs: []LayerSpec{conv(3, 1, 1, 2, 2, PadSame)}},
		{name: "k3 s1 same", in: Shape{6, 5, 2}, specs: []LayerSpec{conv(3, 3, 3, 1, 1, PadSame)}},
		{name: "k3 s2 valid", in: Shape{7, 8, 3}, specs: []LayerSpec{conv(2, 3, 3, 2, 2, PadValid)}},
		{name: "k3 s3 same no bias", in: Shape{8, 7, 2}, specs: []LayerSpec{noBias}},
		{name: "k5 s2 same", in: Shape{9, 7, 3}, specs: []LayerSpec{conv(2, 5, 5, 2, 2, PadSame)}},
		{name: "k5 s1 pad 2", in: Shape{6, 5, 2}, specs: []LayerSpec{explicit(conv(2, 5, 5, 1, 1, ""), 2, 2, 2, 2)}},
		{name: "k7 s3 pad 2", in: Shape{11, 9, 2}, specs: []LayerSpec{explicit(conv(2, 7, 7, 3, 3, ""), 2, 2, 2, 2)}},
		{name: "k7 s1 valid", in: Shape{8, 9, 1}, specs: []LayerSpec{conv(3, 7, 7, 1, 1, PadValid)}},
		{name: "k3x5 s2x1 uneven pad", in: Shape{7, 6, 3}, specs: []LayerSpec{explicit(conv(2, 3, 5, 2, 1, ""), 1, 2, 0, 3)}},
		{name: "k5x3 s1x2 glorot", in: Shape{6, 7, 2}, specs: []LayerSpec{glorot}},
		{name: "two convs", in: Shape{8, 8, 2}, specs: []LayerSpec{conv(3, 3, 3, 1, 1, PadSame), conv(2, 3, 3, 2, 2, PadValid)}},
	}
}

// TestGradConvWinograd checks the Winograd passes of 3×3 stride-1 convs,
// forced on whatever their shape, with tiles of 2×2 and of 4×4 outputs.
func TestGradConvWinograd(t *testing.T) {
	spec := func(f int, pad Padding) LayerSpec {
		return LayerSpec{Kind: KindConv, Filters: f, KernelH: 3, KernelW: 3, Padding: pad}
	}
	noBias := spec(3, PadSame)
	noBias.NoBias = true
	explicit := spec(2, PadExplicit)
	explicit.PadTop, explicit.PadBottom, explicit.PadLeft, explicit.PadRight = 2, 0, 1, 3
	cases := []gradCase{
		{name: "same", in: Shape{6, 6, 2}, specs: []LayerSpec{spec(3, PadSame)}},
		{name: "valid", in: Shape{6, 8, 3}, specs: []LayerSpec{spec(2, PadValid)}},
		{name: "odd same (partial tiles)", in: Shape{5, 7, 2}, specs: []LayerSpec{spec(4, PadSame)}},
		{name: "odd valid (partial tiles)", in: Shape{7, 6, 1}, specs: []LayerSpec{spec(3, PadValid)}},
		{name: "explicit uneven pads", in: Shape{5, 4, 2}, specs: []LayerSpec{explicit}},
		{name: "c5 f1", in: Shape{4, 5, 5}, specs: []LayerSpec{spec(1, PadSame)}},
		{name: "c1 f6", in: Shape{5, 5, 1}, specs: []LayerSpec{spec(6, PadSame)}},
		{name: "no bias", in: Shape{6, 5, 2}, specs: []LayerSpec{noBias}},
		{name: "two convs", in: Shape{7, 7, 2}, specs: []LayerSpec{spec(3, PadSame), spec(2, PadValid)}},
		{name: "9x10 (whole and partial 4x4 tiles)", in: Shape{9, 10, 2}, specs: []LayerSpec{spec(2, PadSame)}},
	}
	for _, m := range []int{2, 4} {
		withConvAlgo(t, map[int]convAlgo{2: convWinograd2, 4: convWinograd4}[m])
		for _, c := range cases {
			// The loss is linear in the input and the weights of these
			// layers, so a central difference is exact for any step but for
			// the rounding of the forward passes, which a larger step makes
			// smaller in the difference: F(4×4, 3×3) rounds several times
			// more than F(2×2, 3×3) (see winogradErrBound), enough to
			// blur the difference at gradStep.
			c.step = 0.25
			t.Run(fmt.Sprintf("F%d %s", m, c.name), func(t *testing.T) {
				net, err := Build(c.in, c.specs, 7)
				if err != nil {
					t.Fatal(err)
				}
				for i, l := range net.layers {
					if cl, ok := l.(*conv); !ok || cl.wg == nil || cl.wg.m != m {
						t.Fatalf("layer %d does not run by Winograd F(%d×%d, 3×3)", i+1, m, m)
					}
				}
				runGradCheck(t, c)
			})
		}
	}
}

func TestGradPool(t *testing.T) {
	for _, c := range poolGradCases() {
		t.Run(c.name, func(t *testing.T) { runGradCheck(t, c) })
	}
}

func poolGradCases() []gradCase {
	var cases []gradCase
	for _, kind := range []Kind{KindMaxPool, KindAvgPool} {
		for _, size := range []int{2, 3} {
			for _, stride := range []int{1, 2} {
				for _, pad := range []Padding{PadValid, PadSame} {
					cases = append(cases, gradCase{
						name:  fmt.Sprintf("%s %d stride %d %s", kind, size, stride, pad),
						in:    Shape{7, 5, 2}, // divisible by neither size with stride 2
						specs: []LayerSpec{{Kind: kind, KernelH: size, KernelW: size, StrideH: stride, StrideW: stride, Padding: pad}},
						input: distinctInput,
					})
				}
			}
		}
		cases = append(cases,
			gradCase{
				name:  string(kind) + " default stride",
				in:    Shape{7, 8, 3},
				specs: []LayerSpec{{Kind: kind, KernelH: 3, KernelW: 2}},
				input: distinctInput,
			},
			gradCase{
				name:  string(kind) + " explicit padding",
				in:    Shape{6, 5, 2},
				specs: []LayerSpec{{Kind: kind, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, Padding: PadExplicit, PadTop: 1, PadBottom: 2, PadLeft: 2, PadRight: 1}},
				input: distinctInput,
			})
	}
	for _, kind := range []Kind{KindGlobalAvgPool, KindGlobalMaxPool} {
		cases = append(cases,
			gradCase{name: string(kind), in: Shape{5, 4, 3}, specs: []LayerSpec{{Kind: kind}}, input: distinctInput},
			gradCase{name: string(kind) + " 1×1 input", in: Shape{1, 1, 4}, specs: []LayerSpec{{Kind: kind}}, input: distinctInput},
			// The classifier head of an all-conv net: dense straight after it.
			gradCase{name: string(kind) + " between conv and dense", in: Shape{6, 5, 2}, input: distinctInput, specs: []LayerSpec{
				{Kind: KindConv, Filters: 3, KernelH: 3, KernelW: 3, Padding: PadSame},
				{Kind: kind},
				{Kind: KindDense, Units: 4},
			}})
	}
	return cases
}

// TestGlobalMaxPoolTies checks global max pooling where finite differences
// cannot: at ties the whole gradient goes to the first position holding the
// maximum, in row-major order, exactly as it does for maxpool with a window
// the size of the input, and NaNs behave as they do there. Both give the
// same bits at every level of vector loops.
func TestGlobalMaxPoolTies(t *testing.T) {
	const n = 3
	in := Shape{4, 5, 19} // 19 channels: full vectors and a tail at every level
	nan := float32(math.NaN())
	x := NewTensor(n, in.H, in.W, in.C)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range x.Data {
		x.Data[i] = float32(r.IntN(3)) // many ties
	}
	at := func(e, p, q int) *float32 { return &x.Data[(e*in.H*in.W+p)*in.C+q] }
	for p := range in.H * in.W {
		*at(0, p, 0) = 7 // one channel all equal
	}
	*at(1, 0, 1) = nan // a NaN first
	*at(1, 6, 2) = nan // a NaN later
	*at(2, 3, 3), *at(2, 9, 3) = 5, 5
	dy := NewTensor(n, 1, 1, in.C)
	for i := range dy.Data {
		dy.Data[i] = float32(i%7) - 2.5
	}
	forEachLevel(t, func(t *testing.T) {
		run := func(spec LayerSpec) (y, dx []float32) {
			net, err := Build(in, []LayerSpec{spec}, 1)
			if err != nil {
				t.Fatal(err)
			}
			// The layer itself: Forward refuses NaN inputs.
			l := net.layers[0]
			out := l.forward(x, true)
			y = slices.Clone(out.Data[:out.Len()])
			d := l.backward(dy, true)
			return y, slices.Clone(d.Data[:d.Len()])
		}
		y, dx := run(LayerSpec{Kind: KindGlobalMaxPool})
		wantY, wantDx := run(LayerSpec{Kind: KindMaxPool, KernelH: in.H, KernelW: in.W})
		if !sameBits(y, wantY) || !sameBits(dx, wantDx) {
			t.Errorf("globalmaxpool and maxpool %d×%d differ:\noutput %v\nwant   %v", in.H, in.W, y, wantY)
		}
		for e := range n {
			for q := range in.C {
				if e == 1 && q <= 2 {
					continue // the NaN channels: as maxpool, checked above
				}
				first := -1
				for p := range in.H * in.W {
					if first < 0 || *at(e, p, q) > *at(e, first, q) {
						first = p
					}
				}
				if got := y[e*in.C+q]; got != *at(e, first, q) {
					t.Errorf("example %d channel %d: max %v, want %v", e, q, got, *at(e, first, q))
				}
				for p := range in.H * in.W {
					want := float32(0)
					if p == first {
						want = dy.Data[e*in.C+q]
					}
					if got := dx[(e*in.H*in.W+p)*in.C+q]; math.Float32bits(got) != math.Float32bits(want) {
						t.Errorf("example %d channel %d position %d: gradient %v, want %v (the first maximum is at %d)", e, q, p, got, want, first)
					}
				}
			}
		}
		if y[in.C+1] == y[in.C+1] { // a NaN first in its window wins, as in maxpool
			t.Errorf("a NaN at the first position gives %v", y[in.C+1])
		}
	})
}

func TestGradLayers(t *testing.T) {
	for _, c := range layerGradCases() {
		t.Run(c.name, func(t *testing.T) { runGradCheck(t, c) })
	}
}

// layerGradCases checks the layers other than conv and pooling; a new kind
// adds its cases here (or a list of its own to gradCaseLists).
func layerGradCases() []gradCase {
	flat := []LayerSpec{{Kind: KindFlatten}}
	return []gradCase{
		{name: "dense", in: Shape{1, 1, 7}, specs: []LayerSpec{{Kind: KindDense, Units: 5}}},
		{name: "dense no bias glorot", in: Shape{1, 1, 6}, specs: []LayerSpec{{Kind: KindDense, Units: 4, NoBias: true, Init: InitGlorot}}},
		{name: "flatten dense", in: Shape{3, 4, 2}, specs: append(flat, LayerSpec{Kind: KindDense, Units: 3})},
		{name: "relu", in: Shape{3, 4, 2}, specs: []LayerSpec{{Kind: KindReLU}}, input: awayFromZero},
		{name: "leaky_relu", in: Shape{3, 4, 2}, specs: []LayerSpec{{Kind: KindLeakyReLU, Alpha: 0.2}}, input: awayFromZero},
		{name: "sigmoid", in: Shape{3, 4, 2}, specs: []LayerSpec{{Kind: KindSigmoid}}},
		{name: "tanh", in: Shape{3, 4, 2}, specs: []LayerSpec{{Kind: KindTanh}}},
		{name: "gelu", in: Shape{3, 4, 2}, specs: []LayerSpec{{Kind: KindGELU}}},
		{name: "gelu tanh", in: Shape{3, 4, 2}, specs: []LayerSpec{{Kind: KindGELU, Approximate: ApproxTanh}}},
		{name: "gelu wide inputs", in: Shape{1, 1, 40}, specs: []LayerSpec{{Kind: KindGELU}}, input: distinctInput},
		{name: "silu", in: Shape{3, 4, 2}, specs: []LayerSpec{{Kind: KindSiLU}}},
		{name: "silu wide inputs", in: Shape{1, 1, 40}, specs: []LayerSpec{{Kind: KindSiLU}}, input: distinctInput},
		{name: "scale", in: Shape{3, 4, 2}, specs: []LayerSpec{{Kind: KindScale, Factor: 0.125}}},
		{name: "dense scale", in: Shape{1, 1, 5}, specs: []LayerSpec{{Kind: KindDense, Units: 4}, {Kind: KindScale, Factor: 3}}},
		{name: "softmax flat", in: Shape{1, 1, 6}, specs: []LayerSpec{{Kind: KindSoftmax}}},
		{name: "softmax per position", in: Shape{2, 3, 4}, specs: []LayerSpec{{Kind: KindSoftmax}}},
		{name: "batchnorm per channel", in: Shape{4, 3, 3}, specs: []LayerSpec{{Kind: KindBatchNorm}}},
		{name: "batchnorm after conv", in: Shape{6, 5, 2}, specs: []LayerSpec{
			{Kind: KindConv, Filters: 3, KernelH: 3, KernelW: 3, StrideH: 1, StrideW: 1},
			{Kind: KindBatchNorm, Momentum: 0.8, Epsilon: 1e-3},
		}},
		{name: "batchnorm after dense", in: Shape{1, 1, 5}, specs: []LayerSpec{
			{Kind: KindDense, Units: 4},
			{Kind: KindBatchNorm},
		}},
		{name: "dropout fixed mask", in: Shape{3, 4, 2}, specs: []LayerSpec{{Kind: KindDropout, Rate: 0.4}}},
		{name: "dropout after dense", in: Shape{1, 1, 6}, specs: []LayerSpec{{Kind: KindDense, Units: 8}, {Kind: KindDropout, Rate: 0.5}, {Kind: KindDense, Units: 3}}},
		{name: "small network", in: Shape{8, 7, 2}, input: distinctInput, specs: []LayerSpec{
			{Kind: KindConv, Filters: 3, KernelH: 3, KernelW: 3, Padding: PadSame},
			{Kind: KindBatchNorm},
			{Kind: KindTanh},
			{Kind: KindAvgPool, KernelH: 2, KernelW: 2},
			{Kind: KindFlatten},
			{Kind: KindDense, Units: 5},
			{Kind: KindSigmoid},
			{Kind: KindDense, Units: 3},
		}},
	}
}

// gradCaseLists are the gradient checks that TestEveryKindGradChecked
// searches for every kind of the table.
var gradCaseLists = map[string]func() []gradCase{"conv": convGradCases, "pool": poolGradCases, "layers": layerGradCases}

// TestEveryKindGradChecked fails when a kind of the table appears in no
// gradient check.
func TestEveryKindGradChecked(t *testing.T) {
	checked := map[Kind]bool{}
	for _, list := range gradCaseLists {
		for _, c := range list() {
			for _, s := range c.specs {
				checked[s.Kind] = true
			}
		}
	}
	for _, k := range Kinds() {
		if !checked[k.Kind] {
			t.Errorf("layer kind %q has no gradient check: add cases to layerGradCases in gradcheck_test.go", k.Kind)
		}
	}
}

// TestGradDropoutMaskUsed checks that the fixed mask really drops values, so
// the dropout gradient check is not checking the identity.
func TestGradDropoutMaskUsed(t *testing.T) {
	net, err := Build(Shape{1, 1, 200}, []LayerSpec{{Kind: KindDropout, Rate: 0.5}}, 3)
	if err != nil {
		t.Fatal(err)
	}
	x := NewTensor(1, 1, 1, 200)
	for i := range x.Data {
		x.Data[i] = 1
	}
	y, err := net.Forward(x, true)
	if err != nil {
		t.Fatal(err)
	}
	zeros, twos := 0, 0
	for _, v := range y.Data {
		switch v {
		case 0:
			zeros++
		case 2:
			twos++
		default:
			t.Fatalf("dropout output %v, want 0 or 2", v)
		}
	}
	if zeros < 60 || twos < 60 {
		t.Errorf("dropout at rate 0.5 kept %d of 200 values", twos)
	}
	y, _ = net.Forward(x, false)
	for _, v := range y.Data {
		if v != 1 {
			t.Fatalf("dropout in eval mode changed a value to %v", v)
		}
	}
}

func TestGradLoss(t *testing.T) {
	for _, smoothing := range []float32{0, 0.1} {
		t.Run(fmt.Sprint("smoothing ", smoothing), func(t *testing.T) {
			r := rand.New(rand.NewPCG(4, 5))
			logits := NewTensor(4, 1, 1, 5)
			for i := range logits.Data {
				logits.Data[i] = float32(r.NormFloat64() * 3)
			}
			labels := []int{0, 4, 2, 2}
			d := NewTensor(4, 1, 1, 5)
			if _, _, err := SoftmaxCrossEntropy(logits, labels, smoothing, d); err != nil {
				t.Fatal(err)
			}
			const h = 1e-3
			for i := range logits.Data {
				old := logits.Data[i]
				logits.Data[i] = old + h
				up, _, _ := SoftmaxCrossEntropy(logits, labels, smoothing, nil)
				logits.Data[i] = old - h
				down, _, _ := SoftmaxCrossEntropy(logits, labels, smoothing, nil)
				logits.Data[i] = old
				num := (up - down) / (float64(old+h) - float64(old-h))
				a := float64(d.Data[i])
				if rel := math.Abs(a-num) / math.Max(math.Max(math.Abs(a), math.Abs(num)), 1e-3); rel > 1e-2 {
					t.Errorf("dLogits[%d]: analytic %.6g, numeric %.6g", i, a, num)
				}
			}
		})
	}
}

func TestGradL2(t *testing.T) {
	net, err := Build(Shape{5, 5, 2}, []LayerSpec{
		{Kind: KindConv, Filters: 3, KernelH: 3, KernelW: 3},
		{Kind: KindBatchNorm},
		{Kind: KindFlatten},
		{Kind: KindDense, Units: 4},
	}, 11)
	if err != nil {
		t.Fatal(err)
	}
	const lambda = 0.3
	params := net.Params()
	for _, p := range params {
		clear(p.Grad)
	}
	AddL2Grad(params, lambda)
	const h = 1e-2
	for _, p := range params {
		for i := range p.Value {
			old := p.Value[i]
			p.Value[i] = old + h
			up := L2Penalty(params, lambda)
			p.Value[i] = old - h
			down := L2Penalty(params, lambda)
			p.Value[i] = old
			num := (up - down) / (float64(old+h) - float64(old-h))
			a := float64(p.Grad[i])
			if math.Abs(a-num) > 1e-3*math.Max(1, math.Abs(num)) {
				t.Errorf("%s[%d]: analytic %.6g, numeric %.6g", p.key(), i, a, num)
			}
			if !p.Decay && a != 0 {
				t.Errorf("%s has an L2 gradient though it is not a weight", p.key())
			}
		}
	}
	// The penalty itself: λ/2·Σw² over the weights only.
	var want float64
	for _, p := range params {
		if p.Decay {
			for _, w := range p.Value {
				want += float64(w) * float64(w)
			}
		}
	}
	if got := L2Penalty(params, lambda); math.Abs(got-lambda/2*want) > 1e-9*want {
		t.Errorf("L2Penalty = %v, want %v", got, lambda/2*want)
	}
}
