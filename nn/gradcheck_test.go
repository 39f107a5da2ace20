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

// normalInput fills x with standard normal values.
func normalInput(r *rand.Rand, x []float32) { NormalValues.fill(r, x) }

// runGradCheck checks the gradients of the network of c.
func runGradCheck(t *testing.T, c GradCheck) {
	t.Helper()
	const batch = 3
	net, err := Build(c.In, c.Specs, 7)
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
	x := NewTensor(batch, c.In.H, c.In.W, c.In.C)
	c.Values.fill(r, x.Data)
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
			if c.Step != 0 {
				step = c.Step
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

// TestGradKinds runs the gradient checks of every kind (LayerKind.Checks).
func TestGradKinds(t *testing.T) {
	for _, k := range Kinds() {
		for _, c := range k.Checks {
			t.Run(string(k.Kind)+"/"+c.Name, func(t *testing.T) { runGradCheck(t, c) })
		}
	}
}

// TestGradNetwork checks a small network of several kinds.
func TestGradNetwork(t *testing.T) {
	runGradCheck(t, GradCheck{Name: "small network", In: Shape{8, 7, 2}, Values: DistinctValues, Specs: []LayerSpec{
		{Kind: KindConv, Filters: 3, KernelH: 3, KernelW: 3, Padding: PadSame},
		{Kind: KindBatchNorm},
		{Kind: KindTanh},
		{Kind: KindAvgPool, KernelH: 2, KernelW: 2},
		{Kind: KindFlatten},
		{Kind: KindDense, Units: 5},
		{Kind: KindSigmoid},
		{Kind: KindDense, Units: 3},
	}})
}

// TestEveryKindGradChecked fails when a kind of the table has no gradient
// check, or one of its checks has no layer of the kind.
func TestEveryKindGradChecked(t *testing.T) {
	for _, k := range Kinds() {
		if len(k.Checks) == 0 {
			t.Errorf("layer kind %q has no gradient check: list some in Checks of its entry", k.Kind)
		}
		for _, c := range k.Checks {
			if !slices.ContainsFunc(c.Specs, func(s LayerSpec) bool { return s.Kind == k.Kind }) {
				t.Errorf("%s: the check %q has no %s layer", k.Kind, c.Name, k.Kind)
			}
		}
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
	cases := []GradCheck{
		{Name: "same", In: Shape{6, 6, 2}, Specs: []LayerSpec{spec(3, PadSame)}},
		{Name: "valid", In: Shape{6, 8, 3}, Specs: []LayerSpec{spec(2, PadValid)}},
		{Name: "odd same (partial tiles)", In: Shape{5, 7, 2}, Specs: []LayerSpec{spec(4, PadSame)}},
		{Name: "odd valid (partial tiles)", In: Shape{7, 6, 1}, Specs: []LayerSpec{spec(3, PadValid)}},
		{Name: "explicit uneven pads", In: Shape{5, 4, 2}, Specs: []LayerSpec{explicit}},
		{Name: "c5 f1", In: Shape{4, 5, 5}, Specs: []LayerSpec{spec(1, PadSame)}},
		{Name: "c1 f6", In: Shape{5, 5, 1}, Specs: []LayerSpec{spec(6, PadSame)}},
		{Name: "no bias", In: Shape{6, 5, 2}, Specs: []LayerSpec{noBias}},
		{Name: "two convs", In: Shape{7, 7, 2}, Specs: []LayerSpec{spec(3, PadSame), spec(2, PadValid)}},
		{Name: "9x10 (whole and partial 4x4 tiles)", In: Shape{9, 10, 2}, Specs: []LayerSpec{spec(2, PadSame)}},
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
			c.Step = 0.25
			t.Run(fmt.Sprintf("F%d %s", m, c.Name), func(t *testing.T) {
				net, err := Build(c.In, c.Specs, 7)
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
