package onnx

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/nn"
)

// Networks of the seed experiments and one with every layer kind.
var (
	mnistNet = []nn.LayerSpec{
		{Kind: nn.KindConv, Filters: 28, KernelH: 3, KernelW: 3}, {Kind: nn.KindReLU},
		{Kind: nn.KindMaxPool, KernelH: 2, KernelW: 2}, {Kind: nn.KindFlatten},
		{Kind: nn.KindDense, Units: 128}, {Kind: nn.KindReLU}, {Kind: nn.KindDense, Units: 10},
	}
	cifarNet = func() []nn.LayerSpec {
		var s []nn.LayerSpec
		for _, f := range []int{64, 128, 256, 512} {
			s = append(s, nn.LayerSpec{Kind: nn.KindConv, Filters: f, KernelH: 3, KernelW: 3, Padding: nn.PadSame},
				nn.LayerSpec{Kind: nn.KindMaxPool, KernelH: 2, KernelW: 2}, nn.LayerSpec{Kind: nn.KindReLU}, nn.LayerSpec{Kind: nn.KindBatchNorm})
		}
		s = append(s, nn.LayerSpec{Kind: nn.KindFlatten})
		for _, u := range []int{128, 256, 512, 1024} {
			s = append(s, nn.LayerSpec{Kind: nn.KindDense, Units: u}, nn.LayerSpec{Kind: nn.KindReLU},
				nn.LayerSpec{Kind: nn.KindDropout, Rate: 0.3}, nn.LayerSpec{Kind: nn.KindBatchNorm})
		}
		return append(s, nn.LayerSpec{Kind: nn.KindDense, Units: 10})
	}()
	everyKindNet = []nn.LayerSpec{
		{Kind: nn.KindConv, Filters: 6, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, Padding: nn.PadExplicit, PadTop: 1, PadBottom: 0, PadLeft: 2, PadRight: 1},
		{Kind: nn.KindBatchNorm, Epsilon: 1e-3},
		{Kind: nn.KindLeakyReLU, Alpha: 0.1},
		{Kind: nn.KindResidual, Residual: &nn.Branches{Body: []nn.LayerSpec{
			{Kind: nn.KindConv, Filters: 6, KernelH: 3, KernelW: 3, Padding: nn.PadSame},
			{Kind: nn.KindGELU},
			{Kind: nn.KindConv, Filters: 6, KernelH: 3, KernelW: 3, Padding: nn.PadSame, NoBias: true},
			{Kind: nn.KindBatchNorm},
		}}},
		{Kind: nn.KindAvgPool, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, Padding: nn.PadSame},
		{Kind: nn.KindSiLU},
		{Kind: nn.KindMaxPool, KernelH: 2, KernelW: 3, StrideH: 1, StrideW: 1, Padding: nn.PadSame},
		{Kind: nn.KindResidual, Residual: &nn.Branches{
			Body:     []nn.LayerSpec{{Kind: nn.KindConv, Filters: 8, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, Padding: nn.PadSame}, {Kind: nn.KindTanh}},
			Shortcut: []nn.LayerSpec{{Kind: nn.KindConv, Filters: 8, KernelH: 1, KernelW: 1, StrideH: 2, StrideW: 2}},
		}},
		{Kind: nn.KindSigmoid},
		nn.LayerSpec{Kind: nn.KindScale}.With("factor", nn.Value{Float: 4}),
		nn.LayerSpec{Kind: nn.KindGELU}.With("approximate", nn.Value{Text: string(nn.ApproxTanh)}),
		{Kind: nn.KindDropout, Rate: 0.5},
		{Kind: nn.KindResidual, Residual: &nn.Branches{
			Body:     []nn.LayerSpec{{Kind: nn.KindGlobalAvgPool}},
			Shortcut: []nn.LayerSpec{{Kind: nn.KindGlobalMaxPool}},
		}},
		{Kind: nn.KindFlatten},
		{Kind: nn.KindConv, Filters: 7, KernelH: 1, KernelW: 1}, // on a flat input: 1×1×8
		{Kind: nn.KindDense, Units: 16},
		{Kind: nn.KindReLU},
		{Kind: nn.KindDense, Units: 5, NoBias: true},
		{Kind: nn.KindSoftmax},
	}
)

// kindsOf adds the kinds of specs and of the layers nested in them to seen.
func kindsOf(specs []nn.LayerSpec, seen map[nn.Kind]bool) {
	for _, s := range specs {
		seen[s.Kind] = true
		if s.Residual != nil {
			kindsOf(s.Residual.Body, seen)
			kindsOf(s.Residual.Shortcut, seen)
		}
	}
}

// buildNet builds specs with random weights and random batch-norm
// statistics, so that inference-mode batch norm is not the identity.
func buildNet(t *testing.T, in nn.Shape, specs []nn.LayerSpec) *nn.Network {
	t.Helper()
	net, err := nn.Build(in, specs, 7)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for key, p := range net.Tensors() {
		for i := range p.Value {
			switch {
			case strings.HasSuffix(key, ".running_var"), strings.HasSuffix(key, ".gamma"):
				p.Value[i] = 0.5 + rng.Float32()
			case strings.HasSuffix(key, ".running_mean"), strings.HasSuffix(key, ".beta"), strings.HasSuffix(key, ".bias"):
				p.Value[i] = rng.Float32() - 0.5
			}
		}
	}
	return net
}

// TestEveryKindExports checks that every kind is exported: the network of
// each of its gradient checks has a model, and a kind that package onnx
// writes itself (without an ONNX operator in its entry) has a layer in
// the every-kind network, which TestAgainstONNXRuntime runs; the kinds
// with an operator in their entry are run there by their checks.
func TestEveryKindExports(t *testing.T) {
	seen := map[nn.Kind]bool{}
	kindsOf(everyKindNet, seen)
	for _, k := range nn.Kinds() {
		if !seen[k.Kind] && k.ONNX == nil {
			t.Errorf("the every-kind network has no %s layer, and its entry names no ONNX operator", k.Kind)
		}
		for _, c := range k.Checks {
			if _, err := Encode(buildNet(t, c.In, c.Specs), nil); err != nil {
				t.Errorf("%s, check %q: %v", k.Kind, c.Name, err)
			}
		}
	}
	net := buildNet(t, nn.Shape{H: 13, W: 12, C: 3}, everyKindNet)
	b, err := Encode(net, []KeyValue{{"k", "v"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Conv", "BatchNormalization", "LeakyRelu", "Erf", "AveragePool", "MaxPool", "GlobalAveragePool",
		"GlobalMaxPool", "Gemm", "Softmax", "Tanh", "Sigmoid", "Add", "Mul", "Flatten", "Unsqueeze"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the model has no %s node", want)
		}
	}
	if bytes.Contains(b, []byte("Dropout")) {
		t.Error("the model keeps a dropout node")
	}
}

func TestUnknownKindIsNamed(t *testing.T) {
	g := &graph{}
	_, err := g.layer(value{name: "input", rank: 4}, nn.LayerSpec{Kind: "lstm", Name: "lstm1"}, nn.Shape{H: 1, W: 1, C: 1})
	if err == nil || !strings.Contains(err.Error(), `kind "lstm" has no ONNX form`) || !strings.Contains(err.Error(), "lstm1") {
		t.Errorf("got %v", err)
	}
}

// tools finds python3 with the onnx module and ONNX Runtime for Node.js
// (npm ci in testdata/runtime). When either is missing the test is skipped
// with what to install, or fails under CI=true.
func tools(t *testing.T) (python string) {
	t.Helper()
	missing := func(what string) {
		msg := what + " not found, so the ONNX models are not checked: apt-get install python3-onnx nodejs npm; (cd onnx/testdata/runtime && npm ci --onnxruntime-node-install-cuda=skip); CI fails here"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import onnx").Run() == nil {
			python = p
			break
		}
	}
	if python == "" {
		missing("python3 with the onnx module")
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing("node")
	}
	if _, err := os.Stat("testdata/runtime/node_modules/onnxruntime-node"); err != nil {
		missing("onnxruntime-node")
	}
	return python
}

// The models of the seed networks, of one with every layer kind and of
// the gradient checks of the kinds whose entry names their ONNX operator
// pass onnx.checker, and ONNX Runtime gives the outputs of nn on 100
// images.
func TestAgainstONNXRuntime(t *testing.T) {
	python := tools(t)
	type network struct {
		name  string
		in    nn.Shape
		specs []nn.LayerSpec
	}
	nets := []network{
		{"mnist", nn.Shape{H: 28, W: 28, C: 1}, mnistNet},
		{"cifar10", nn.Shape{H: 32, W: 32, C: 3}, cifarNet},
		{"every kind", nn.Shape{H: 13, W: 12, C: 3}, everyKindNet},
		{"every kind, logits", nn.Shape{H: 13, W: 12, C: 3}, everyKindNet[:len(everyKindNet)-1]},
	}
	for _, k := range nn.Kinds() {
		if k.ONNX != nil {
			for _, c := range k.Checks {
				// A flatten at the end: the logits in cnnlab's order.
				nets = append(nets, network{string(k.Kind) + " " + c.Name, c.In, append(slices.Clone(c.Specs), nn.LayerSpec{Kind: nn.KindFlatten})})
			}
		}
	}
	for _, tc := range nets {
		t.Run(tc.name, func(t *testing.T) {
			net := buildNet(t, tc.in, tc.specs)
			model, err := Encode(net, []KeyValue{{"cnnlab.test", tc.name}})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			path := filepath.Join(dir, "model.onnx")
			if err := os.WriteFile(path, model, 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := exec.Command(python, "-c", "import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print(m.opset_import[0].version)", path).CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "13" {
				t.Fatalf("onnx.checker: %v\n%s", err, out)
			}

			const n = 100
			in := tc.in
			x := nn.NewTensor(n, in.H, in.W, in.C)
			rng := rand.New(rand.NewPCG(5, 6))
			for i := range x.Data {
				x.Data[i] = float32(rng.NormFloat64())
			}
			// NHWC to NCHW.
			nchw := make([]byte, 0, 4*len(x.Data))
			for e := range n {
				for c := range in.C {
					for h := range in.H {
						for w := range in.W {
							nchw = binary.LittleEndian.AppendUint32(nchw, math.Float32bits(x.Data[((e*in.H+h)*in.W+w)*in.C+c]))
						}
					}
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "in.bin"), nchw, 0o644); err != nil {
				t.Fatal(err)
			}
			want, err := net.Forward(x, false)
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("node", "testdata/runtime/run.js", path, filepath.Join(dir, "in.bin"), filepath.Join(dir, "out.bin"),
				strconv.Itoa(n), strconv.Itoa(in.C), strconv.Itoa(in.H), strconv.Itoa(in.W))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("onnxruntime: %v\n%s", err, out)
			}
			raw, err := os.ReadFile(filepath.Join(dir, "out.bin"))
			if err != nil {
				t.Fatal(err)
			}
			if len(raw) != 4*len(want.Data) {
				t.Fatalf("onnxruntime gave %d values, nn %d", len(raw)/4, len(want.Data))
			}
			worst := 0.0
			for i, w := range want.Data {
				got := math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
				d := math.Abs(float64(got)-float64(w)) / max(1, math.Abs(float64(w)))
				worst = max(worst, d)
				if !(d <= 1e-4) {
					t.Fatalf("image %d output %d: onnxruntime %g, nn %g", i/want.C, i%want.C, got, w)
				}
			}
			t.Logf("%s: largest difference %.2g over %d outputs", tc.name, worst, len(want.Data))
		})
	}
}
