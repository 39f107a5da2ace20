package nn

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

func TestDiracPassesChannelsThrough(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec LayerSpec
		in   Shape
	}{
		{"conv 3×3 more filters", LayerSpec{Kind: KindConv, Filters: 5, KernelH: 3, KernelW: 3, Padding: PadSame, NoBias: true, Init: InitDirac}, Shape{4, 5, 3}},
		{"conv 5×3 fewer filters", LayerSpec{Kind: KindConv, Filters: 2, KernelH: 5, KernelW: 3, Padding: PadSame, NoBias: true, Init: InitDirac}, Shape{6, 4, 3}},
		{"dense", LayerSpec{Kind: KindDense, Units: 4, NoBias: true, Init: InitDirac}, Shape{1, 1, 6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net, err := Build(tc.in, []LayerSpec{tc.spec}, 3)
			if err != nil {
				t.Fatal(err)
			}
			x := benchInput(2, tc.in)
			y, err := net.Forward(x, false)
			if err != nil {
				t.Fatal(err)
			}
			pass := min(tc.in.C, y.C)
			for i := 0; i < y.Len()/y.C; i++ {
				for q := range pass {
					if got, want := y.Data[i*y.C+q], x.Data[i*x.C+q]; got != want {
						t.Fatalf("position %d channel %d: %v, want the input's %v", i, q, got, want)
					}
				}
			}
			if y.C > pass { // the other filters keep their random start
				w := net.Params()[0].Value
				if w[len(w)-1] == 0 {
					t.Errorf("filter %d is zero; want it initialised at random", y.C-1)
				}
			}
		})
	}
}

func TestFreezingAndLRScale(t *testing.T) {
	specs := []LayerSpec{
		LayerSpec{Kind: KindConv, Filters: 3, KernelH: 3, KernelW: 3}.With("frozen", Value{Bool: true}),
		LayerSpec{Kind: KindBatchNorm}.With("freeze_after", Value{Int: 2}),
		{Kind: KindFlatten},
		{Kind: KindDense, Units: 2},
	}
	net, err := Build(Shape{5, 5, 2}, specs, 1)
	if err != nil {
		t.Fatal(err)
	}
	ps := net.Params() // conv1.weight, conv1.bias, bn1.gamma, bn1.beta, dense1.weight, dense1.bias
	if len(ps) != 6 {
		t.Fatalf("%d params, want 6", len(ps))
	}
	x := benchInput(4, Shape{5, 5, 2})
	d := NewTensor(4, 1, 1, 2)
	labels := []int{0, 1, 1, 0}
	opt := NewSGD(SGDConfig{Momentum: 0.9})
	ps[5].LRScale = 3
	step := func() []float32 {
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
		g := append([]float32(nil), ps[5].Grad...)
		opt.Step(ps, 0.1)
		return g
	}
	snapshot := func() [][]float32 {
		var out [][]float32
		for _, p := range ps {
			out = append(out, append([]float32(nil), p.Value...))
		}
		return out
	}
	changed := func(a, b [][]float32) []bool {
		out := make([]bool, len(a))
		for i := range a {
			for j := range a[i] {
				if a[i][j] != b[i][j] {
					out[i] = true
				}
			}
		}
		return out
	}
	for epoch, want := range [][]bool{
		1: {false, true, true, true, true, true},
		2: {false, true, true, true, true, true},
		3: {false, true, false, false, true, true}, // bn1 frozen after epoch 2
	} {
		if epoch == 0 {
			continue
		}
		net.SetEpoch(epoch)
		before := snapshot()
		bias := append([]float32(nil), ps[5].Value...)
		g := step()
		got := changed(before, snapshot())
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("epoch %d: %s changed %v, want %v", epoch, ps[i].key(), got[i], want[i])
			}
		}
		if epoch == 1 { // first step: velocity = g, so the bias moves by lr·3·g
			for j := range bias {
				if want := bias[j] - float32(0.1*3)*g[j]; math.Abs(float64(ps[5].Value[j]-want)) > 1e-6 {
					t.Errorf("dense1.bias[%d] = %v, want %v (lr scaled by 3)", j, ps[5].Value[j], want)
				}
			}
		}
	}
	if got := trainText(specs[0]); !strings.Contains(got, "frozen weights") {
		t.Errorf("conv detail %q does not say it is frozen", got)
	}
}

func TestBatchNormWithoutScale(t *testing.T) {
	s := LayerSpec{Kind: KindBatchNorm}.With("scale", Value{Bool: false})
	net, err := Build(Shape{2, 2, 3}, []LayerSpec{s}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if ps := net.Params(); len(ps) != 1 || ps[0].Name != "beta" {
		t.Fatalf("params %v, want beta alone", ps)
	}
	if n := net.NumParams(); n != 3 {
		t.Errorf("%d learnable values, want 3", n)
	}
	// The default leaves the spec's settings empty (model files unchanged).
	var def LayerSpec
	k, _ := LookupKind(KindBatchNorm).Key("scale")
	k.Apply(&def, k.Default)
	if def.Settings.Len() != 0 {
		t.Errorf("scale at its default is kept by name: %v", def.Settings.Names())
	}
}

func TestTriangleSchedule(t *testing.T) {
	s := Schedule{Kind: ScheduleTriangle, TriStart: 0.2, TriPeak: 0.25, TriEnd: 0.1}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		step int
		want float64
	}{{0, 0.2}, {10, 0.6}, {20, 1}, {50, 1 - 0.9*0.5}, {80, 0.1}, {90, 0.1}} {
		if got := s.LR(2, tc.step, 10, 80); math.Abs(float64(got)-2*tc.want) > 1e-6 {
			t.Errorf("step %d: lr %v, want %v", tc.step, got, 2*tc.want)
		}
	}
	if err := (Schedule{Kind: ScheduleTriangle, TriPeak: 1.5}).Validate(); err == nil {
		t.Error("a peak past the end validated")
	}
}

func TestSymmetricEigen(t *testing.T) {
	const d = 6
	r := rand.New(rand.NewPCG(1, 2))
	a := make([]float64, d*d)
	for i := range d {
		for j := i; j < d; j++ {
			v := r.NormFloat64()
			a[i*d+j], a[j*d+i] = v, v
		}
	}
	orig := append([]float64(nil), a...)
	vals, vecs := symmetricEigen(a, d)
	for q := range d {
		if q > 0 && vals[q] > vals[q-1] {
			t.Errorf("eigenvalues not in decreasing order: %v", vals)
		}
		for i := range d { // A·v = λ·v
			var s float64
			for j := range d {
				s += orig[i*d+j] * vecs[j*d+q]
			}
			if math.Abs(s-vals[q]*vecs[i*d+q]) > 1e-9 {
				t.Fatalf("eigenpair %d: (A·v)[%d] = %v, λ·v = %v", q, i, s, vals[q]*vecs[i*d+q])
			}
		}
	}
}

// TestWhiten whitens correlated images and checks that the layer's first
// d outputs have about the identity as covariance over the patches, the
// second d the same negated, on 1 and 3 threads alike.
func TestWhiten(t *testing.T) {
	in := Shape{8, 8, 2}
	r := rand.New(rand.NewPCG(5, 6))
	x := NewTensor(40, in.H, in.W, in.C)
	for i := 0; i < x.Len(); i += 2 {
		a, b := r.NormFloat64(), r.NormFloat64()
		x.Data[i], x.Data[i+1] = float32(3*a+1), float32(a+0.5*b)
	}
	var first []float32
	for _, threads := range []int{1, 3} {
		gemm.SetThreads(threads)
		spec := LayerSpec{Kind: KindConv, Filters: 16, KernelH: 2, KernelW: 2, Init: InitWhiten}.With("whiten_eps", Value{Float: 1e-9})
		net, err := Build(in, []LayerSpec{spec}, 1)
		if err != nil {
			t.Fatal(err)
		}
		st, err := net.Whiten(x)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Eigenvalues) != 8 || st.Eigenvalues[0] < st.Eigenvalues[7] {
			t.Fatalf("eigenvalues %v", st.Eigenvalues)
		}
		y, err := net.Forward(x, false)
		if err != nil {
			t.Fatal(err)
		}
		const d = 8
		rows := y.Len() / y.C
		mean := make([]float64, d)
		for i := range rows {
			for q := range d {
				mean[q] += float64(y.Data[i*y.C+q]) / float64(rows)
				if y.Data[i*y.C+q] != -y.Data[i*y.C+d+q] {
					t.Fatalf("output %d is not the negation of output %d", d+q, q)
				}
			}
		}
		for p := range d {
			for q := range d {
				var c float64
				for i := range rows {
					c += (float64(y.Data[i*y.C+p]) - mean[p]) * (float64(y.Data[i*y.C+q]) - mean[q])
				}
				c /= float64(rows)
				want := 0.0
				if p == q {
					want = 1
				}
				if math.Abs(c-want) > 1e-3 {
					t.Errorf("covariance of outputs %d and %d is %v, want %v", p, q, c, want)
				}
			}
		}
		w := net.Params()[0].Value
		if first == nil {
			first = append([]float32(nil), w...)
		} else {
			for i := range w {
				if w[i] != first[i] {
					t.Fatalf("%d threads: filter value %d is %v, 1 thread gives %v", threads, i, w[i], first[i])
				}
			}
		}
	}
	gemm.SetThreads(0)
	if _, err := Build(in, []LayerSpec{{Kind: KindConv, Filters: 10, KernelH: 2, KernelW: 2, Init: InitWhiten}}, 1); err == nil ||
		!strings.Contains(err.Error(), "filters = 8") {
		t.Errorf("10 whitening filters of 2×2×2 patches: error %v, want one naming 8 and 16", err)
	}
}

func TestWeightAverage(t *testing.T) {
	specs := []LayerSpec{{Kind: KindConv, Filters: 2, KernelH: 3, KernelW: 3}, {Kind: KindBatchNorm}, {Kind: KindFlatten}, {Kind: KindDense, Units: 2}}
	for _, kind := range []AverageKind{AverageEMA, AverageLookahead} {
		t.Run(string(kind), func(t *testing.T) {
			net, err := Build(Shape{4, 4, 1}, specs, 1)
			if err != nil {
				t.Fatal(err)
			}
			a, err := NewWeightAverage(net, AverageConfig{Kind: kind, Decay: 0.5, Every: 2, Power: 1})
			if err != nil {
				t.Fatal(err)
			}
			w := net.Params()[0].Value
			start := w[0]
			w[0] = start + 4
			a.Update(1, 4) // not a multiple of every: nothing
			if a.avg[0][0] != start {
				t.Fatalf("average moved at step 1 of every 2")
			}
			a.Update(2, 4) // d = 0.5·(2/4) = 0.25
			want := 0.25*start + 0.75*(start+4)
			if math.Abs(float64(a.avg[0][0]-want)) > 1e-5 {
				t.Errorf("average %v, want %v", a.avg[0][0], want)
			}
			if got := w[0]; (kind == AverageLookahead) != (got == a.avg[0][0]) {
				t.Errorf("%s: weight %v after the update, average %v", kind, got, a.avg[0][0])
			}
			// Lookahead's average is the weights right after its update.
			if a.Same() != (kind == AverageLookahead) {
				t.Errorf("%s: Same() = %v after an update", kind, a.Same())
			}
			raw := w[0]
			a.Swap()
			if w[0] != a.avg[0][0] {
				t.Error("Swap did not put the average in")
			}
			if a.Same() != (kind == AverageLookahead) {
				t.Errorf("%s: Same() = %v with the average swapped in", kind, a.Same())
			}
			a.Swap()
			w[0] += 1
			if a.Same() {
				t.Errorf("%s: Same() after the weights moved", kind)
			}
			w[0] -= 1
			if w[0] != raw {
				t.Error("the second Swap did not put the weights back")
			}
			saved := a.MarshalBinary(2)
			b, _ := NewWeightAverage(net, AverageConfig{Kind: kind, Decay: 0.5, Every: 2})
			step, err := b.UnmarshalBinary(saved)
			if err != nil || step != 2 {
				t.Fatalf("UnmarshalBinary: step %d, %v", step, err)
			}
			for i := range a.avg {
				for j := range a.avg[i] {
					if math.Float32bits(a.avg[i][j]) != math.Float32bits(b.avg[i][j]) {
						t.Fatalf("tensor %d value %d: %v restored as %v", i, j, a.avg[i][j], b.avg[i][j])
					}
				}
			}
			if _, err := b.UnmarshalBinary(saved[:len(saved)-1]); err == nil {
				t.Error("a cut file restored")
			}
			if raceDetector {
				return
			}
			if sites, _ := nnAllocs(func() { a.Update(4, 4); a.Swap(); a.Swap() }); len(sites) > 0 {
				t.Errorf("Update and Swap allocate:\n%s", strings.Join(sites, "\n"))
			}
		})
	}
}

func TestDecayScale(t *testing.T) {
	a := &Param{Value: []float32{2}, Grad: []float32{0}, Decay: true}
	b := &Param{Value: []float32{2}, Grad: []float32{0}, Decay: true, DecayScale: 0.25}
	c := &Param{Value: []float32{2}, Grad: []float32{0}, DecayScale: 4} // no Decay: none
	ps := []*Param{a, b, c}
	if got := L2Penalty(ps, 1); got != 0.5*4+0.5*0.25*4 {
		t.Errorf("L2Penalty %v, want 2.5", got)
	}
	AddL2Grad(ps, 0.5)
	if a.Grad[0] != 1 || b.Grad[0] != 0.25 || c.Grad[0] != 0 {
		t.Errorf("L2 gradients %v %v %v, want 1 0.25 0", a.Grad[0], b.Grad[0], c.Grad[0])
	}
}

// TestFrozenOutsideObjective checks that a frozen tensor adds nothing to the
// L2 penalty, gets no L2 gradient and neither counts in nor is scaled by
// gradient clipping.
func TestFrozenOutsideObjective(t *testing.T) {
	live := &Param{Value: []float32{3}, Grad: []float32{4}, Decay: true}
	frozen := &Param{Value: []float32{2}, Grad: []float32{30}, Decay: true, Frozen: true}
	ps := []*Param{live, frozen}
	if got := L2Penalty(ps, 1); got != 0.5*9 {
		t.Errorf("L2Penalty %v, want 4.5 (the frozen tensor left out)", got)
	}
	AddL2Grad(ps, 1)
	if live.Grad[0] != 7 || frozen.Grad[0] != 30 {
		t.Errorf("gradients after AddL2Grad %v %v, want 7 30", live.Grad[0], frozen.Grad[0])
	}
	if norm := ClipGradNorm(ps, 1); norm != 7 {
		t.Errorf("ClipGradNorm measured %v, want 7 (the frozen gradient left out)", norm)
	}
	if live.Grad[0] != 1 || frozen.Grad[0] != 30 {
		t.Errorf("gradients after clipping %v %v, want 1 30", live.Grad[0], frozen.Grad[0])
	}
}

// BenchmarkWeightAverageUpdate updates an average of the seed CIFAR-10
// network's tensors (about 2.5 million values).
func BenchmarkWeightAverageUpdate(b *testing.B) {
	net, err := Build(Shape{32, 32, 3}, cifarSpecs(), 1)
	if err != nil {
		b.Fatal(err)
	}
	a, err := NewWeightAverage(net, AverageConfig{Kind: AverageEMA, Decay: 0.99, Every: 1})
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, p := range a.tensors {
		n += len(p.Value)
	}
	b.SetBytes(int64(12 * n)) // read w and avg, write avg
	b.ResetTimer()
	for i := range b.N {
		a.Update(i+1, b.N)
	}
}

// TestBatchNormWithoutScaleSaves saves a network whose batch norm learns
// no scale, without optimizer (the tightest file), and loads it back.
func TestBatchNormWithoutScaleSaves(t *testing.T) {
	specs := []LayerSpec{{Kind: KindConv, Filters: 64, KernelH: 3, KernelW: 3, NoBias: true},
		LayerSpec{Kind: KindBatchNorm}.With("scale", Value{Bool: false}), {Kind: KindFlatten}, {Kind: KindDense, Units: 2, NoBias: true}}
	net, err := Build(Shape{4, 4, 1}, specs, 1)
	if err != nil {
		t.Fatal(err)
	}
	fp, err := Estimate(Shape{4, 4, 1}, specs)
	if err != nil {
		t.Fatal(err)
	}
	saved := 0
	for _, p := range net.savedTensors() {
		saved += len(p.Value)
	}
	if fp.Saved() != int64(saved) {
		t.Errorf("the estimate counts %d saved values, the network saves %d", fp.Saved(), saved)
	}
	path := filepath.Join(t.TempDir(), "m.cnn")
	if err := Save(path, net, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatal(err)
	}
}
