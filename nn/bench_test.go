package nn

import (
	"testing"
)

// mnistSpecs is the seed MNIST network (softmax folded into the loss).
func mnistSpecs() []LayerSpec {
	return []LayerSpec{
		{Kind: KindConv, Filters: 28, KernelH: 3, KernelW: 3},
		{Kind: KindReLU},
		{Kind: KindMaxPool, KernelH: 2, KernelW: 2},
		{Kind: KindFlatten},
		{Kind: KindDense, Units: 128},
		{Kind: KindReLU},
		{Kind: KindDense, Units: 10},
	}
}

func benchInput(n int, in Shape) *Tensor {
	x := NewTensor(n, in.H, in.W, in.C)
	normalInput(NewRand(1, 1), x.Data)
	return x
}

func BenchmarkConvForward(b *testing.B) {
	for _, bc := range []struct {
		name  string
		batch int
		in    Shape
		spec  LayerSpec
	}{
		{"mnist 28x28x1 k3 f28 b64", 64, Shape{28, 28, 1}, LayerSpec{Kind: KindConv, Filters: 28, KernelH: 3, KernelW: 3}},
		{"cifar 32x32x3 k3 f64 same b128", 128, Shape{32, 32, 3}, LayerSpec{Kind: KindConv, Filters: 64, KernelH: 3, KernelW: 3, Padding: PadSame}},
		{"cifar 16x16x64 k3 f128 same b32", 32, Shape{16, 16, 64}, LayerSpec{Kind: KindConv, Filters: 128, KernelH: 3, KernelW: 3, Padding: PadSame}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			net, err := Build(bc.in, []LayerSpec{bc.spec}, 1)
			if err != nil {
				b.Fatal(err)
			}
			x := benchInput(bc.batch, bc.in)
			out := net.Output()
			flops := 2 * float64(bc.batch*out.Size()) * float64(bc.spec.KernelH*bc.spec.KernelW*bc.in.C)
			b.ResetTimer()
			for b.Loop() {
				if _, err := net.Forward(x, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func BenchmarkTrainStepMNIST(b *testing.B) {
	benchTrainStep(b, Shape{28, 28, 1}, mnistSpecs(), 64, 1e-4)
}

// benchTrainStep measures whole training steps (forward, loss, backward, L2
// when l2 > 0, Adam) of a network on a fixed batch, in the steady state.
func benchTrainStep(b *testing.B, in Shape, specs []LayerSpec, batch int, l2 float32) {
	net, err := Build(in, specs, 1)
	if err != nil {
		b.Fatal(err)
	}
	opt := NewAdam(AdamConfig{})
	x := benchInput(batch, in)
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = i % 10
	}
	d := NewTensor(batch, 1, 1, 10)
	step := func() {
		logits, err := net.Forward(x, true)
		if err != nil {
			b.Fatal(err)
		}
		if _, _, err := SoftmaxCrossEntropy(logits, labels, 0, d); err != nil {
			b.Fatal(err)
		}
		if err := net.Backward(d); err != nil {
			b.Fatal(err)
		}
		if l2 > 0 {
			AddL2Grad(net.Params(), l2)
		}
		opt.Step(net.Params(), 1e-3)
	}
	step() // sizes the buffers, so that the loop measures the steady state
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		step()
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
}

// cifarSpecs is the seed CIFAR-10 network.
func cifarSpecs() []LayerSpec {
	var specs []LayerSpec
	for _, f := range []int{64, 128, 256, 512} {
		specs = append(specs,
			LayerSpec{Kind: KindConv, Filters: f, KernelH: 3, KernelW: 3, Padding: PadSame},
			LayerSpec{Kind: KindMaxPool, KernelH: 2, KernelW: 2},
			LayerSpec{Kind: KindReLU},
			LayerSpec{Kind: KindBatchNorm})
	}
	specs = append(specs, LayerSpec{Kind: KindFlatten})
	for _, u := range []int{128, 256, 512, 1024} {
		specs = append(specs,
			LayerSpec{Kind: KindDense, Units: u},
			LayerSpec{Kind: KindReLU},
			LayerSpec{Kind: KindDropout, Rate: 0.5},
			LayerSpec{Kind: KindBatchNorm})
	}
	return append(specs, LayerSpec{Kind: KindDense, Units: 10})
}

func TestSeedNetworks(t *testing.T) {
	for _, tc := range []struct {
		name   string
		in     Shape
		specs  []LayerSpec
		params int
	}{
		// conv 3·3·1·28+28, dense 13·13·28·128+128, dense 128·10+10
		{"mnist", Shape{28, 28, 1}, mnistSpecs(), 280 + 605824 + 1290},
		{"cifar10", Shape{32, 32, 3}, cifarSpecs(), 2519178},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net, err := Build(tc.in, tc.specs, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got := net.NumParams(); got != tc.params {
				t.Errorf("%d parameters, want %d", got, tc.params)
			}
			x := benchInput(4, tc.in)
			logits, err := net.Forward(x, true)
			if err != nil {
				t.Fatal(err)
			}
			d := NewTensor(4, 1, 1, 10)
			if _, _, err := SoftmaxCrossEntropy(logits, []int{0, 1, 2, 3}, 0, d); err != nil {
				t.Fatal(err)
			}
			if err := net.Backward(d); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// BenchmarkTrainStepCIFAR trains the seed CIFAR-10 network at batch 128,
// the batch the speed target is set at.
func BenchmarkTrainStepCIFAR(b *testing.B) {
	benchTrainStep(b, Shape{32, 32, 3}, cifarSpecs(), 128, 0)
}
