package nn

import (
	"bytes"
	"reflect"
	"slices"
	"testing"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

// kindNetwork is a small network around one layer of kind k with its
// default settings (see defaultSpec): a conv before it, so that its input
// gradient is needed, and flatten and dense 10 after it. The layer's input
// is 16×16×8 (or 2048 flat values), so at batch 32 every loop of it is cut
// into several blocks.
func kindNetwork(k *LayerKind) (Shape, []LayerSpec) {
	in := Shape{H: 16, W: 16, C: 8}
	specs := []LayerSpec{{Kind: KindConv, Filters: 8, KernelH: 3, KernelW: 3, Padding: PadSame}}
	if k.Input == FlatInput {
		specs = append(specs, LayerSpec{Kind: KindFlatten})
	}
	return in, append(specs, defaultSpec(k), LayerSpec{Kind: KindFlatten}, LayerSpec{Kind: KindDense, Units: 10})
}

// TestEveryKindTrains checks, for every kind of the table, the rules a
// training step keeps whatever the kind: the same bits on 1, 2 and 3
// threads (outputs, input gradients, parameters after SGD steps), no
// allocation once the buffers are sized, a model file that brings the
// network back, and a memory estimate that counts the parameters Build
// allocates. It trains the kind with its defaults in kindNetwork, and the
// network of each of its gradient checks (with flatten and dense 10 after
// it), so that every setting they give is saved and loaded too. A kind
// added to the table is covered without touching this test.
func TestEveryKindTrains(t *testing.T) {
	defer gemm.SetThreads(0)
	for _, k := range Kinds() {
		t.Run(string(k.Kind)+"/defaults", func(t *testing.T) {
			in, specs := kindNetwork(k)
			checkTrains(t, in, specs)
		})
		for _, c := range k.Checks {
			t.Run(string(k.Kind)+"/"+c.Name, func(t *testing.T) {
				checkTrains(t, c.In, append(slices.Clone(c.Specs), LayerSpec{Kind: KindFlatten}, LayerSpec{Kind: KindDense, Units: 10}))
			})
		}
	}
}

// checkTrains checks the rules of TestEveryKindTrains for a network of
// specs on inputs of shape in.
func checkTrains(t *testing.T, in Shape, specs []LayerSpec) {
	const batch = 32
	x := benchInput(batch, in)
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = i % 10
	}
	d := NewTensor(batch, 1, 1, 10)
	type result struct{ out, dx []float32 }
	train := func(threads int) (*Network, func() result) {
		gemm.SetThreads(threads)
		net, err := Build(in, specs, 5)
		if err != nil {
			t.Fatal(err)
		}
		opt := NewSGD(SGDConfig{Momentum: 0.9})
		return net, func() result {
			logits, err := net.Forward(x, true)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := SoftmaxCrossEntropy(logits, labels, 0, d); err != nil {
				t.Fatal(err)
			}
			dx, err := net.BackwardInput(d)
			if err != nil {
				t.Fatal(err)
			}
			opt.Step(net.Params(), 1e-2)
			return result{logits.Data[:logits.Len()], dx.Data[:dx.Len()]}
		}
	}
	var first []result
	var firstNet *Network
	for _, threads := range []int{1, 2, 3} {
		net, step := train(threads)
		var got []result
		for range 2 {
			r := step()
			got = append(got, result{slices.Clone(r.out), slices.Clone(r.dx)})
		}
		if threads == 1 {
			first, firstNet = got, net
			continue
		}
		for i := range got {
			if !sameBits(got[i].out, first[i].out) || !sameBits(got[i].dx, first[i].dx) {
				t.Errorf("step %d: the output or input gradient differs between 1 and %d threads", i+1, threads)
			}
		}
		for i, p := range net.savedTensors() {
			if !sameBits(p.Value, firstNet.savedTensors()[i].Value) {
				t.Errorf("%s differs between 1 and %d threads", p.key(), threads)
			}
		}
		if threads == 2 && !raceDetector {
			if n := testing.AllocsPerRun(3, func() { step() }); n != 0 {
				t.Errorf("%v allocations per training step, want 0", n)
			}
		}
	}
	// A model file brings back the same network: specs (with the
	// kind's settings), parameters and predictions.
	var buf bytes.Buffer
	if err := SaveTo(&buf, firstNet, nil, nil); err != nil {
		t.Fatal(err)
	}
	cp, err := LoadFrom(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cp.Net.Specs(), firstNet.Specs()) { // the nested specs of a block too
		t.Errorf("loaded specs %+v, want %+v", cp.Net.Specs(), firstNet.Specs())
	}
	p1, err := firstNet.Probabilities(x)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := cp.Net.Probabilities(x)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits(p1.Data, p2.Data) {
		t.Error("the loaded network predicts differently")
	}

	fp, err := Estimate(in, specs)
	if err != nil {
		t.Fatal(err)
	}
	if fp.Params != int64(firstNet.NumParams()) {
		t.Errorf("estimate %d parameters, the network has %d", fp.Params, firstNet.NumParams())
	}
}

// TestKeptCountsBuffers checks the Kept of the kinds that keep a buffer for
// their backward pass against the buffer after a training step.
func TestKeptCountsBuffers(t *testing.T) {
	const batch = 5
	in := Shape{6, 7, 3}
	for _, tc := range []struct {
		spec LayerSpec
		kept func(l layer) int
	}{
		{LayerSpec{Kind: KindMaxPool, KernelH: 2, KernelW: 3}, func(l layer) int { return len(l.(*maxPool).arg) }},
		{LayerSpec{Kind: KindGlobalMaxPool}, func(l layer) int { return len(l.(*maxPool).arg) }},
		{LayerSpec{Kind: KindGELU}, func(l layer) int { return len(l.(*gelu).deriv) }},
		{LayerSpec{Kind: KindGELU}.With("approximate", Value{Text: string(ApproxTanh)}), func(l layer) int { return len(l.(*gelu).deriv) }},
		{LayerSpec{Kind: KindSiLU}, func(l layer) int { return len(l.(*silu).deriv) }},
		{LayerSpec{Kind: KindELU}.With("alpha", Value{Float: 0.5}), func(l layer) int { return len(l.(*elu).deriv) }},
	} {
		specs := []LayerSpec{tc.spec, {Kind: KindFlatten}, {Kind: KindDense, Units: 2}}
		net, err := Build(in, specs, 1)
		if err != nil {
			t.Fatal(err)
		}
		x := benchInput(batch, in)
		logits, err := net.Forward(x, true)
		if err != nil {
			t.Fatal(err)
		}
		d := NewTensor(batch, 1, 1, 2)
		if _, _, err := SoftmaxCrossEntropy(logits, make([]int, batch), 0, d); err != nil {
			t.Fatal(err)
		}
		if _, err := net.BackwardInput(d); err != nil {
			t.Fatal(err)
		}
		fp, err := Estimate(in, specs)
		if err != nil {
			t.Fatal(err)
		}
		l := fp.Layers[0]
		want := l.PerImage - int64(l.In.Size()) - int64(l.Out.Size()) // beside input gradient and output
		if got := tc.kept(net.layers[0]); int64(got) != batch*want {
			t.Errorf("%s: keeps %d values at batch %d; the estimate counts %d per image", layerLabel(withDefaults(tc.spec)), got, batch, want)
		}
	}
}
