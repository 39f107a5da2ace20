package nn

import (
	"bytes"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

// syntheticTask returns n 6×6 one-channel images of 3 classes: a bright 2×2
// blob at a class-specific place, over noise.
func syntheticTask(n int, seed uint64) (*Tensor, []int) {
	r := NewRand(seed, 99)
	x := NewTensor(n, 6, 6, 1)
	labels := make([]int, n)
	corners := [][2]int{{0, 0}, {0, 4}, {3, 2}}
	for i := range n {
		y := i % 3
		labels[i] = y
		img := x.Example(i)
		for j := range img {
			img[j] = float32(r.NormFloat64() * 0.3)
		}
		h, w := corners[y][0]+r.IntN(2), corners[y][1]
		for dh := range 2 {
			for dw := range 2 {
				img[(h+dh)*6+w+dw] += 1.5
			}
		}
	}
	return x, labels
}

func tinySpecs() []LayerSpec {
	return []LayerSpec{
		{Kind: KindConv, Filters: 4, KernelH: 3, KernelW: 3, Padding: PadSame},
		{Kind: KindReLU},
		{Kind: KindMaxPool, KernelH: 2, KernelW: 2},
		{Kind: KindFlatten},
		{Kind: KindDense, Units: 3},
	}
}

// trainSteps trains net on (x, labels) full batch and returns the last loss
// and the training accuracy after it.
func trainSteps(t *testing.T, net *Network, opt Optimizer, x *Tensor, labels []int, steps int, lr float32) (float64, float64) {
	t.Helper()
	d := NewTensor(x.N, 1, 1, net.Output().C)
	var loss float64
	for range steps {
		logits, err := net.Forward(x, true)
		if err != nil {
			t.Fatal(err)
		}
		if loss, _, err = SoftmaxCrossEntropy(logits, labels, 0, d); err != nil {
			t.Fatal(err)
		}
		if err := net.Backward(d); err != nil {
			t.Fatal(err)
		}
		AddL2Grad(net.Params(), 1e-4)
		opt.Step(net.Params(), lr)
	}
	logits, err := net.Forward(x, false)
	if err != nil {
		t.Fatal(err)
	}
	_, correct, err := SoftmaxCrossEntropy(logits, labels, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	return loss, float64(correct) / float64(x.N)
}

func TestTrainTinyTask(t *testing.T) {
	x, labels := syntheticTask(30, 1)
	for _, tc := range []struct {
		name string
		opt  Optimizer
		lr   float32
	}{
		{"sgd momentum", NewSGD(SGDConfig{Momentum: 0.9}), 0.05},
		{"sgd nesterov", NewSGD(SGDConfig{Momentum: 0.9, Nesterov: true}), 0.05},
		{"adam", NewAdam(AdamConfig{}), 0.02},
		{"adamw", NewAdamW(AdamWConfig{WeightDecay: 0.01}), 0.02},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net, err := Build(Shape{6, 6, 1}, tinySpecs(), 3)
			if err != nil {
				t.Fatal(err)
			}
			_, acc0 := trainSteps(t, net, tc.opt, x, labels, 0, tc.lr)
			loss, acc := trainSteps(t, net, tc.opt, x, labels, 150, tc.lr)
			if acc != 1 {
				t.Errorf("training accuracy %.3f after 150 steps (from %.3f), loss %.4f; want 1", acc, acc0, loss)
			}
		})
	}
}

// richSpecs use every kind of layer with state or randomness.
func richSpecs() []LayerSpec {
	return []LayerSpec{
		{Kind: KindConv, Filters: 4, KernelH: 3, KernelW: 3, Padding: PadSame},
		{Kind: KindBatchNorm},
		{Kind: KindLeakyReLU},
		{Kind: KindAvgPool, KernelH: 2, KernelW: 2},
		{Kind: KindFlatten},
		{Kind: KindDense, Units: 8, Init: InitGlorot},
		{Kind: KindBatchNorm},
		{Kind: KindTanh},
		{Kind: KindDropout, Rate: 0.3},
		{Kind: KindDense, Units: 3},
	}
}

// run trains a rich network for a few shuffled mini-batches from one seed
// and returns the losses and the network.
func run(t *testing.T, seed uint64, steps int) ([]float64, *Network, Optimizer) {
	t.Helper()
	x, labels := syntheticTask(24, 2)
	net, err := Build(Shape{6, 6, 1}, richSpecs(), seed)
	if err != nil {
		t.Fatal(err)
	}
	opt := NewAdam(AdamConfig{})
	shuffle := NewRand(seed, StreamShuffle)
	batch := NewTensor(8, 6, 6, 1)
	batchLabels := make([]int, 8)
	d := NewTensor(8, 1, 1, 3)
	var losses []float64
	for range steps {
		for i, j := range shuffle.Perm(24)[:8] {
			copy(batch.Example(i), x.Example(j))
			batchLabels[i] = labels[j]
		}
		logits, err := net.Forward(batch, true)
		if err != nil {
			t.Fatal(err)
		}
		loss, _, err := SoftmaxCrossEntropy(logits, batchLabels, 0.1, d)
		if err != nil {
			t.Fatal(err)
		}
		if err := net.Backward(d); err != nil {
			t.Fatal(err)
		}
		AddL2Grad(net.Params(), 1e-3)
		ClipGradNorm(net.Params(), 5)
		opt.Step(net.Params(), 0.01)
		losses = append(losses, loss+L2Penalty(net.Params(), 1e-3))
	}
	return losses, net, opt
}

func sameBits(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return false
		}
	}
	return true
}

func TestDeterminism(t *testing.T) {
	l1, n1, _ := run(t, 42, 10)
	l2, n2, _ := run(t, 42, 10)
	for i := range l1 {
		if math.Float64bits(l1[i]) != math.Float64bits(l2[i]) {
			t.Fatalf("step %d: losses %v and %v differ", i, l1[i], l2[i])
		}
	}
	t1, t2 := n1.savedTensors(), n2.savedTensors()
	for i := range t1 {
		if !sameBits(t1[i].Value, t2[i].Value) {
			t.Fatalf("%s differs between two runs with one seed", t1[i].key())
		}
	}
	_, n3, _ := run(t, 43, 10)
	if sameBits(n1.Params()[0].Value, n3.Params()[0].Value) {
		t.Error("another seed gave the same weights")
	}
}

func TestSaveLoad(t *testing.T) {
	_, net, opt := run(t, 7, 5)
	meta := []byte(`{"epoch":3}`)
	path := filepath.Join(t.TempDir(), "model.cnn")
	if err := Save(path, net, opt, meta); err != nil {
		t.Fatal(err)
	}
	cp, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(cp.Meta) != string(meta) {
		t.Errorf("meta = %q", cp.Meta)
	}
	if cp.Optimizer == nil || cp.Optimizer.Kind() != OptAdam || cp.Optimizer.(*Adam).Steps() != 5 {
		t.Fatalf("optimizer = %#v", cp.Optimizer)
	}
	if got, want := cp.Net.Specs(), net.Specs(); len(got) != len(want) || got[0] != want[0] || got[8] != want[8] {
		t.Errorf("specs differ: %+v, want %+v", got, want)
	}
	// Predictions are identical.
	x, _ := syntheticTask(12, 5)
	p1, err := net.Probabilities(x)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := cp.Net.Probabilities(x)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(p1.Data, p2.Data) {
		t.Fatal("loaded network predicts differently")
	}
	// Resuming gives the same next step: dropout stream, batch-norm
	// statistics and optimizer state all came back.
	step := func(n *Network, o Optimizer) []float32 {
		xb, lb := syntheticTask(8, 6)
		logits, err := n.Forward(xb, true)
		if err != nil {
			t.Fatal(err)
		}
		d := NewTensor(8, 1, 1, 3)
		if _, _, err := SoftmaxCrossEntropy(logits, lb, 0, d); err != nil {
			t.Fatal(err)
		}
		if err := n.Backward(d); err != nil {
			t.Fatal(err)
		}
		o.Step(n.Params(), 0.01)
		return n.Params()[0].Value
	}
	if !sameBits(step(net, opt), step(cp.Net, cp.Optimizer)) {
		t.Error("a step after loading differs from a step before saving")
	}

	// Without an optimizer, and through a writer.
	var buf bytes.Buffer
	if err := SaveTo(&buf, net, nil, nil); err != nil {
		t.Fatal(err)
	}
	cp, err = LoadFrom(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if cp.Optimizer != nil || len(cp.Meta) != 0 {
		t.Errorf("optimizer %v, meta %q; want none", cp.Optimizer, cp.Meta)
	}
	sgd := NewSGD(SGDConfig{Momentum: 0.5, Nesterov: true})
	buf.Reset()
	if err := SaveTo(&buf, net, sgd, nil); err != nil {
		t.Fatal(err)
	}
	if cp, err = LoadFrom(&buf); err != nil || cp.Optimizer.(*SGD).cfg != sgd.cfg {
		t.Errorf("sgd settings not kept: %v, %+v", err, cp)
	}

	// An optimizer stepped on another network is refused.
	other, err := Build(Shape{1, 1, 3}, []LayerSpec{{Kind: KindDense, Units: 2}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	foreign := NewAdam(AdamConfig{})
	foreign.Step(other.Params(), 0.1)
	if err := SaveTo(&buf, net, foreign, nil); err == nil || !strings.Contains(err.Error(), "does not belong") {
		t.Errorf("foreign optimizer state: err = %v", err)
	}
}

func TestLoadRefusesBadFiles(t *testing.T) {
	_, net, opt := run(t, 7, 2)
	var buf bytes.Buffer
	if err := SaveTo(&buf, net, opt, []byte("meta")); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	load := func(data []byte) error {
		_, err := LoadFrom(bytes.NewReader(data))
		return err
	}
	if err := load(good); err != nil {
		t.Fatal(err)
	}
	// Every flipped byte is refused: in the body as corrupted.
	for i := range good {
		bad := append([]byte(nil), good...)
		bad[i] ^= 0x20
		err := load(bad)
		if err == nil {
			t.Fatalf("byte %d flipped: accepted", i)
		}
		if i >= headerSize && !errors.Is(err, ErrCorrupted) {
			t.Fatalf("byte %d flipped: err = %v, want corrupted", i, err)
		}
	}
	// Every truncation is refused as truncated.
	for n := 1; n < len(good); n += 1 + n/50 {
		if err := load(good[:n]); !errors.Is(err, ErrTruncated) {
			t.Fatalf("truncated to %d bytes: err = %v", n, err)
		}
	}
	if err := load(good[:len(good)-1]); !errors.Is(err, ErrTruncated) {
		t.Fatalf("last byte missing: err = %v", err)
	}
	wrongVersion := append([]byte(nil), good...)
	wrongVersion[8] = ModelVersion + 1
	if err := load(wrongVersion); !errors.Is(err, ErrVersion) {
		t.Errorf("version %d: err = %v", ModelVersion+1, err)
	}
	if err := load([]byte("P5\n28 28\n255\n")); !errors.Is(err, ErrNotModel) {
		t.Errorf("another file: err = %v", err)
	}
	if err := load(append(append([]byte(nil), good...), 0)); !errors.Is(err, ErrCorrupted) {
		t.Errorf("trailing byte: err = %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.cnn")); err == nil {
		t.Error("missing file: no error")
	}
}

// allKindsSpecs is a small network with every layer kind that runs in
// parallel, big enough at batch 32 that each of them is cut into several
// blocks.
func allKindsSpecs() []LayerSpec {
	return []LayerSpec{
		{Kind: KindConv, Filters: 16, KernelH: 3, KernelW: 3, Padding: PadSame},
		{Kind: KindBatchNorm},
		{Kind: KindLeakyReLU, Alpha: 0.1},
		{Kind: KindMaxPool, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, Padding: PadSame},
		{Kind: KindConv, Filters: 8, KernelH: 1, KernelW: 1},
		{Kind: KindTanh},
		{Kind: KindAvgPool, KernelH: 2, KernelW: 2},
		{Kind: KindFlatten},
		{Kind: KindDense, Units: 32},
		{Kind: KindSigmoid},
		{Kind: KindDropout, Rate: 0.3},
		{Kind: KindBatchNorm},
		{Kind: KindReLU},
		{Kind: KindDense, Units: 10},
	}
}

func TestDeterminismAcrossThreads(t *testing.T) {
	defer gemm.SetThreads(0)
	for _, tc := range []struct {
		name  string
		in    Shape
		specs []LayerSpec
		opt   func() Optimizer
	}{
		{"mnist adam", Shape{28, 28, 1}, mnistSpecs(), func() Optimizer { return NewAdam(AdamConfig{}) }},
		{"all kinds sgd", Shape{24, 24, 3}, allKindsSpecs(), func() Optimizer { return NewSGD(SGDConfig{Momentum: 0.9, Nesterov: true}) }},
		{"all kinds adamw", Shape{24, 24, 3}, allKindsSpecs(), func() Optimizer { return NewAdamW(AdamWConfig{WeightDecay: 0.01}) }},
		{"residual adam", Shape{24, 24, 3}, residualSpecs(), func() Optimizer { return NewAdam(AdamConfig{}) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			train := func(threads int) []*Param {
				gemm.SetThreads(threads)
				net, err := Build(tc.in, tc.specs, 9)
				if err != nil {
					t.Fatal(err)
				}
				x := benchInput(32, tc.in)
				labels := make([]int, 32)
				for i := range labels {
					labels[i] = i % 10
				}
				d := NewTensor(32, 1, 1, 10)
				opt := tc.opt()
				for range 3 {
					logits, err := net.Forward(x, true)
					if err != nil {
						t.Fatal(err)
					}
					if _, _, err := SoftmaxCrossEntropy(logits, labels, 0.1, d); err != nil {
						t.Fatal(err)
					}
					if _, err := net.BackwardInput(d); err != nil {
						t.Fatal(err)
					}
					AddL2Grad(net.Params(), 1e-4)
					ClipGradNorm(net.Params(), 1)
					opt.Step(net.Params(), 1e-2)
				}
				if _, err := net.Forward(x, false); err != nil { // eval-mode batch norm
					t.Fatal(err)
				}
				return net.savedTensors()
			}
			one := train(1)
			for _, threads := range []int{2, 3} {
				other := train(threads)
				for i := range one {
					if !sameBits(one[i].Value, other[i].Value) {
						t.Errorf("%s differs between 1 and %d threads", one[i].key(), threads)
					}
				}
			}
		})
	}
}

// TestTrainStepAllocatesNothing checks that a training step of a network
// whose buffers are already sized allocates nothing, with the work split
// over several threads.
func TestTrainStepAllocatesNothing(t *testing.T) {
	if raceDetector {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	gemm.SetThreads(2)
	defer gemm.SetThreads(0)
	for _, tc := range []struct {
		name  string
		in    Shape
		specs []LayerSpec
		opt   Optimizer
	}{
		{"mnist adam", Shape{28, 28, 1}, mnistSpecs(), NewAdam(AdamConfig{})},
		{"all kinds sgd", Shape{24, 24, 3}, allKindsSpecs(), NewSGD(SGDConfig{Momentum: 0.9})},
		{"all kinds adamw", Shape{24, 24, 3}, allKindsSpecs(), NewAdamW(AdamWConfig{WeightDecay: 0.01})},
		{"residual sgd", Shape{24, 24, 3}, residualSpecs(), NewSGD(SGDConfig{Momentum: 0.9})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net, err := Build(tc.in, tc.specs, 3)
			if err != nil {
				t.Fatal(err)
			}
			x := benchInput(32, tc.in)
			labels := make([]int, 32)
			for i := range labels {
				labels[i] = i % 10
			}
			d := NewTensor(32, 1, 1, 10)
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
				AddL2Grad(net.Params(), 1e-4)
				ClipGradNorm(net.Params(), 1)
				tc.opt.Step(net.Params(), 1e-3)
			}
			step() // sizes the buffers
			if n := testing.AllocsPerRun(5, step); n != 0 {
				t.Errorf("%v allocations per training step, want 0", n)
			}
		})
	}
}
