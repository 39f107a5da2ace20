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
	const batch = 64
	in := Shape{28, 28, 1}
	net, err := Build(in, mnistSpecs(), 1)
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
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
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
		AddL2Grad(net.Params(), 1e-4)
		opt.Step(net.Params(), 1e-3)
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
}
