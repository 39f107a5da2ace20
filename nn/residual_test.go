package nn

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func conv3(filters, stride int) LayerSpec {
	return LayerSpec{Kind: KindConv, Filters: filters, KernelH: 3, KernelW: 3, StrideH: stride, StrideW: stride, Padding: PadSame}
}

func conv1(filters, stride int) LayerSpec {
	return LayerSpec{Kind: KindConv, Filters: filters, KernelH: 1, KernelW: 1, StrideH: stride, StrideW: stride}
}

func res(body, shortcut []LayerSpec) LayerSpec {
	return LayerSpec{Kind: KindResidual, Residual: &Branches{Body: body, Shortcut: shortcut}}
}

// residualSpecs is a small ResNet: a stem, an identity block, a projection
// block with dropout in its body and a nested block, then the classifier.
func residualSpecs() []LayerSpec {
	bn, relu := LayerSpec{Kind: KindBatchNorm}, LayerSpec{Kind: KindReLU}
	return []LayerSpec{
		conv3(8, 1), bn, relu,
		res([]LayerSpec{conv3(8, 1), bn, relu, conv3(8, 1), bn}, nil), relu,
		res([]LayerSpec{conv3(16, 2), bn, relu, {Kind: KindDropout, Rate: 0.2}, conv3(16, 1), bn}, []LayerSpec{conv1(16, 2), bn}), relu,
		res([]LayerSpec{res([]LayerSpec{conv3(16, 1), bn}, nil), relu}, nil),
		{Kind: KindAvgPool, KernelH: 12, KernelW: 12},
		{Kind: KindFlatten},
		{Kind: KindDense, Units: 10},
	}
}

func TestResidualParams(t *testing.T) {
	net, err := Build(Shape{24, 24, 3}, residualSpecs(), 1)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	seen := map[string]bool{}
	for _, p := range net.Params() {
		if seen[p.key()] {
			t.Errorf("parameter %s appears twice", p.key())
		}
		seen[p.key()] = true
		keys = append(keys, p.key())
	}
	for _, want := range []string{"conv1.weight", "res1.body.conv1.weight", "res1.body.bn2.beta",
		"res2.shortcut.conv1.weight", "res2.shortcut.bn1.gamma", "res3.body.res1.body.conv1.bias"} {
		if !slices.Contains(keys, want) {
			t.Errorf("no parameter %s among %v", want, keys)
		}
	}
	// 3·3·3·8+8 + 2·8 (stem), 2·(3·3·8·8+8+2·8) (block 1),
	// 3·3·8·16+16 + 2·16 + 3·3·16·16+16 + 2·16 + 8·16+16 + 2·16 (block 2),
	// 3·3·16·16+16 + 2·16 (block 3), 16·10+10.
	want := (224 + 16) + 2*(584+16) + (1168 + 32 + 2320 + 32 + 144 + 32) + (2320 + 32) + 170
	if got := net.NumParams(); got != want {
		t.Errorf("%d parameters, want %d", got, want)
	}
	fp, err := Estimate(Shape{24, 24, 3}, residualSpecs())
	if err != nil {
		t.Fatal(err)
	}
	if fp.Params != int64(want) {
		t.Errorf("Estimate counts %d parameters, want %d", fp.Params, want)
	}
	var count float64
	cur := net.Input()
	for _, s := range net.Specs() {
		out, _ := OutputShape(cur, s)
		if k := LookupKind(s.Kind); k.Count != nil {
			p, _ := k.Count(withDefaults(s), cur, out)
			count += p
		}
		cur = out
	}
	if count != float64(want) {
		t.Errorf("the table's Count gives %v parameters, want %d", count, want)
	}
}

func TestResidualShapeErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    Shape
		spec  LayerSpec
		wants []string
	}{
		{"identity after a stride", Shape{8, 8, 4}, res([]LayerSpec{conv3(8, 2)}, nil),
			[]string{"the body gives 4×4×8 but the identity shortcut gives 8×8×4", "shortcut: [{conv: {filters: 8, kernel: 1, stride: 2}}]"}},
		{"projection of the wrong width", Shape{8, 8, 4}, res([]LayerSpec{conv3(8, 1)}, []LayerSpec{conv1(6, 1)}),
			[]string{"the body gives 8×8×8 but the shortcut gives 8×8×6", "filters: 8, kernel: 1, stride: 1"}},
		{"a bad layer in the body", Shape{4, 4, 2}, res([]LayerSpec{{Kind: KindConv, Filters: 2, KernelH: 5, KernelW: 5}}, nil),
			[]string{"layer 1 of res1.body: conv \"conv1\"", "does not fit"}},
		{"a nested mismatch", Shape{8, 8, 4}, res([]LayerSpec{res([]LayerSpec{conv3(4, 2)}, nil)}, nil),
			[]string{"layer 1 of res1.body: residual \"res1\"", "the body gives 4×4×4 but the identity shortcut gives 8×8×4"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(tc.in, []LayerSpec{tc.spec}, 1)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
			var bm *BranchMismatch
			if strings.Contains(tc.wants[0], "the body gives") && !errors.As(err, &bm) {
				t.Errorf("error %q is no BranchMismatch", err)
			}
		})
	}
}

// TestModelFileKeepsChainBytes checks that a network without residual
// blocks stores its specs as before they existed: no Residual field.
func TestModelFileKeepsChainBytes(t *testing.T) {
	specs, err := json.Marshal(mnistSpecs())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(specs, []byte("Residual")) {
		t.Errorf("the specs of a chain mention Residual: %s", specs)
	}
}

// TestSaveLoadResidual checks that a residual network comes back from its
// model file: nested specs, every tensor, the same predictions.
func TestSaveLoadResidual(t *testing.T) {
	in := Shape{24, 24, 3}
	net, err := Build(in, residualSpecs(), 5)
	if err != nil {
		t.Fatal(err)
	}
	x := benchInput(4, in)
	if _, err := net.Forward(x, true); err != nil { // moves the batch-norm statistics
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := SaveTo(&buf, net, NewAdam(AdamConfig{}), nil); err != nil {
		t.Fatal(err)
	}
	cp, err := LoadFrom(&buf)
	if err != nil {
		t.Fatal(err)
	}
	a, b := net.savedTensors(), cp.Net.savedTensors()
	if len(a) != len(b) {
		t.Fatalf("%d tensors, want %d", len(b), len(a))
	}
	for i := range a {
		if a[i].key() != b[i].key() || !sameBits(a[i].Value, b[i].Value) {
			t.Errorf("tensor %s came back as %s or with other values", a[i].key(), b[i].key())
		}
	}
	p1, _ := net.Probabilities(x)
	p2, _ := cp.Net.Probabilities(x)
	if !sameBits(p1.Data, p2.Data) {
		t.Error("the loaded network predicts differently")
	}
}

// TestLoadVersion1 loads a model file written by the version before
// residual blocks (testdata/v1.cnn, a small network trained two steps with
// Adam) and checks its predictions against those recorded when it was
// written (testdata/v1.probs.json, for benchInput(3, its input)).
func TestLoadVersion1(t *testing.T) {
	cp, err := Load(filepath.Join("testdata", "v1.cnn"))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "v1.probs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want []float32
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	p, err := cp.Net.Probabilities(benchInput(3, cp.Net.Input()))
	if err != nil {
		t.Fatal(err)
	}
	// Within rounding: the kernels of another machine may sum in another order.
	got := p.Data[:p.Len()]
	if len(got) != len(want) {
		t.Fatalf("%d probabilities, want %d", len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Errorf("version 1 model predicts %v, it predicted %v when written", got, want)
			break
		}
	}
	if cp.Optimizer == nil || cp.Optimizer.(*Adam).Steps() != 2 || string(cp.Meta) != `{"epoch":1}` {
		t.Errorf("optimizer %v, meta %q", cp.Optimizer, cp.Meta)
	}
}

// TestResidualTiming checks that the layers of blocks are timed on their
// own, before their block, and that the block keeps only its own time.
func TestResidualTiming(t *testing.T) {
	in := Shape{24, 24, 3}
	net, err := Build(in, residualSpecs(), 1)
	if err != nil {
		t.Fatal(err)
	}
	x := benchInput(8, in)
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
	net.SetTiming(true)
	start := time.Now()
	step()
	elapsed := time.Since(start)
	times := net.Timings()
	index := map[string]int{}
	var total time.Duration
	for i, lt := range times {
		index[lt.Name] = i
		if lt.Forward < 0 || lt.Backward < 0 {
			t.Errorf("%s: negative time %v, %v", lt.Name, lt.Forward, lt.Backward)
		}
		total += lt.Forward + lt.Backward
	}
	for _, name := range []string{"res1.body.conv1", "res2.shortcut.conv1", "res3.body.res1.body.conv1"} {
		i, ok := index[name]
		if !ok {
			t.Errorf("no timing for %s", name)
			continue
		}
		if lt := times[i]; lt.Kind != KindConv || lt.Forward <= 0 || lt.Backward <= 0 {
			t.Errorf("%s: %+v, want a conv with positive times", name, lt)
		}
	}
	if !(index["res1.body.conv1"] < index["res1"] && index["res3.body.res1"] < index["res3"] && index["res3.body.res1.body.conv1"] < index["res3.body.res1"]) {
		t.Errorf("the layers of a block are not timed before it: %v", index)
	}
	// Each moment is counted once: the times add up to less than the step.
	if total > elapsed {
		t.Errorf("the layer times add up to %v, more than the %v of the step", total, elapsed)
	}
	if len(times) != len(net.Layers())+5+6+4+2 {
		t.Errorf("%d timings, want one per layer, nested ones included", len(times))
	}
}

// TestResidualOutputs checks that Outputs gives the output of every layer,
// nested ones included, and that a block's output is the sum of its
// branches'.
func TestResidualOutputs(t *testing.T) {
	in := Shape{24, 24, 3}
	net, err := Build(in, residualSpecs(), 1)
	if err != nil {
		t.Fatal(err)
	}
	x := benchInput(2, in)
	outs, err := net.Outputs(x)
	if err != nil {
		t.Fatal(err)
	}
	acts, err := net.Activations(x)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Tensor{}
	for _, o := range outs {
		byName[o.Name] = o.Out
	}
	if len(outs) != len(net.Timings()) || len(byName) != len(outs) {
		t.Fatalf("%d outputs with %d names, want one per timed layer (%d)", len(outs), len(byName), len(net.Timings()))
	}
	for i, info := range net.Layers() {
		if got := byName[info.Name]; got == nil || !sameBits(got.Data, acts[i].Data) {
			t.Errorf("%s: Outputs and Activations differ", info.Name)
		}
	}
	// res1 = its body's last output + its input (relu1's output).
	body, input, sum := byName["res1.body.bn2"], byName["relu1"], byName["res1"]
	for i := range sum.Data {
		if sum.Data[i] != body.Data[i]+input.Data[i] {
			t.Fatalf("res1[%d] = %v, want %v + %v", i, sum.Data[i], body.Data[i], input.Data[i])
		}
	}
	// res2 = body + shortcut.
	body, short, sum := byName["res2.body.bn2"], byName["res2.shortcut.bn1"], byName["res2"]
	for i := range sum.Data {
		if sum.Data[i] != body.Data[i]+short.Data[i] {
			t.Fatalf("res2[%d] = %v, want %v + %v", i, sum.Data[i], body.Data[i], short.Data[i])
		}
	}
	lists := map[string]string{}
	for _, o := range outs {
		lists[o.Name] = o.List
	}
	for name, list := range map[string]string{"conv1": "", "res1": "", "res1.body.conv1": "res1.body", "res2.shortcut.bn1": "res2.shortcut",
		"res3.body.res1": "res3.body", "res3.body.res1.body.conv1": "res3.body.res1.body"} {
		if got, ok := lists[name]; !ok || got != list {
			t.Errorf("%s is in list %q, want %q", name, got, list)
		}
	}
}
