package arch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/nn"
)

// resnetYAML is a small residual network on CIFAR-10: an identity block, a
// projection block and a block nested in a block.
const resnetYAML = `data: {set: cifar10}
model:
  - conv: {filters: 8, kernel: 3, padding: same}
  - residual:
      body: [{conv: {filters: 8, kernel: 3, padding: same}}, batchnorm, relu, {conv: {filters: 8, kernel: 3, padding: same}}, batchnorm]
      shortcut: []
  - relu
  - residual:
      body:
        - conv: {filters: 16, kernel: 3, stride: 2, padding: same, activation: relu}
        - conv: {filters: 16, kernel: 3, padding: same}
      shortcut: [{conv: {filters: 16, kernel: 1, stride: 2}}]
  - residual:
      body:
        - residual: {body: [{conv: {filters: 16, kernel: 3, padding: same}}]}
        - relu
  - avgpool: {size: 16}
  - flatten
  - dense: {units: 10}
`

func writeYAML(t *testing.T, text string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "net.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

func TestCompileResidual(t *testing.T) {
	file := writeYAML(t, resnetYAML)
	net, err := Compile(load(t, file))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name   string
		depth  int
		branch string
		out    nn.Shape
		params int64
	}
	want := []row{
		{"conv1", 0, "", nn.Shape{H: 32, W: 32, C: 8}, 3*3*3*8 + 8},
		{"res1", 0, "", nn.Shape{H: 32, W: 32, C: 8}, 2 * (3*3*8*8 + 8 + 2*8)},
		{"conv1", 1, "body", nn.Shape{H: 32, W: 32, C: 8}, 3*3*8*8 + 8},
		{"bn1", 1, "body", nn.Shape{H: 32, W: 32, C: 8}, 16},
		{"relu1", 1, "body", nn.Shape{H: 32, W: 32, C: 8}, 0},
		{"conv2", 1, "body", nn.Shape{H: 32, W: 32, C: 8}, 3*3*8*8 + 8},
		{"bn2", 1, "body", nn.Shape{H: 32, W: 32, C: 8}, 16},
		{"relu1", 0, "", nn.Shape{H: 32, W: 32, C: 8}, 0},
		{"res2", 0, "", nn.Shape{H: 16, W: 16, C: 16}, (3*3*8*16 + 16) + (3*3*16*16 + 16) + (8*16 + 16)},
		{"conv1", 1, "body", nn.Shape{H: 16, W: 16, C: 16}, 3*3*8*16 + 16},
		{"conv1_relu", 1, "body", nn.Shape{H: 16, W: 16, C: 16}, 0},
		{"conv2", 1, "body", nn.Shape{H: 16, W: 16, C: 16}, 3*3*16*16 + 16},
		{"conv1", 1, "shortcut", nn.Shape{H: 16, W: 16, C: 16}, 8*16 + 16},
		{"res3", 0, "", nn.Shape{H: 16, W: 16, C: 16}, 3*3*16*16 + 16},
		{"res1", 1, "body", nn.Shape{H: 16, W: 16, C: 16}, 3*3*16*16 + 16},
		{"conv1", 2, "body", nn.Shape{H: 16, W: 16, C: 16}, 3*3*16*16 + 16},
		{"relu1", 1, "body", nn.Shape{H: 16, W: 16, C: 16}, 0},
		{"pool1", 0, "", nn.Shape{H: 1, W: 1, C: 16}, 0},
		{"flatten1", 0, "", nn.Shape{H: 1, W: 1, C: 16}, 0},
		{"dense1", 0, "", nn.Shape{H: 1, W: 1, C: 10}, 16*10 + 10},
	}
	if len(net.Layers) != len(want) {
		t.Fatalf("%d rows, want %d: %+v", len(net.Layers), len(want), net.Layers)
	}
	var total int64
	for i, w := range want {
		l := net.Layers[i]
		if got := (row{l.Name, l.Depth, l.Branch, l.Output, l.Params}); got != w {
			t.Errorf("row %d = %+v, want %+v", i, got, w)
		}
		if w.depth == 0 {
			total += w.params
		}
	}
	if net.Params != total {
		t.Errorf("Params = %d, want %d", net.Params, total)
	}
	b, err := nn.Build(net.Input, net.Specs, 1)
	if err != nil {
		t.Fatal(err)
	}
	if int64(b.NumParams()) != net.Params {
		t.Errorf("the engine counts %d parameters, arch %d", b.NumParams(), net.Params)
	}
	if len(net.Specs) != 8 || net.Specs[3].Residual == nil || len(net.Specs[3].Residual.Body) != 3 || len(net.Specs[3].Residual.Shortcut) != 1 {
		t.Errorf("specs %+v", net.Specs)
	}
}

// TestResidualCanonical checks that the canonical form of a residual
// network reads back as the same network.
func TestResidualCanonical(t *testing.T) {
	e := load(t, writeYAML(t, resnetYAML))
	y, err := e.ResolvedYAML()
	if err != nil {
		t.Fatal(err)
	}
	e2 := load(t, writeYAML(t, string(y)))
	y2, err := e2.ResolvedYAML()
	if err != nil {
		t.Fatal(err)
	}
	if string(y) != string(y2) {
		t.Errorf("the canonical form changes when read back:\n%s\nthen\n%s", y, y2)
	}
	a, err := Compile(e)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Compile(e2)
	if err != nil {
		t.Fatal(err)
	}
	if a.Params != b.Params || len(a.Layers) != len(b.Layers) {
		t.Errorf("read back: %d parameters in %d rows, want %d in %d", b.Params, len(b.Layers), a.Params, len(a.Layers))
	}
	if !strings.Contains(string(y), "shortcut: []") || !strings.Contains(string(y), "body:\n") {
		t.Errorf("canonical form:\n%s", y)
	}
}

// TestResidualSet checks that --set reaches the layers of a block.
func TestResidualSet(t *testing.T) {
	file := writeYAML(t, resnetYAML)
	e := load(t, file, "model[3].residual.body[1].conv.filters=32", "model[3].residual.shortcut[0].conv.filters=32",
		"model[4].residual.body[0].residual.body[0].conv.filters=32")
	net, err := Compile(e)
	if err != nil {
		t.Fatal(err)
	}
	if got := net.Specs[3].Residual.Body[2].Filters; got != 32 {
		t.Errorf("filters = %d after --set, want 32", got)
	}
	if got := net.Specs[4].Residual.Body[0].Residual.Body[0].Filters; got != 32 {
		t.Errorf("filters of the nested block = %d after --set, want 32", got)
	}
	// One side alone breaks the block, which says so at its line.
	_, err = Compile(load(t, file, "model[3].residual.body[1].conv.filters=32"))
	if err == nil || !strings.Contains(err.Error(), ":8:5: model[3] res2: the body gives 16×16×32 but the shortcut gives 16×16×16") {
		t.Errorf("err = %v", err)
	}
}

func TestResidualErrors(t *testing.T) {
	for _, tc := range []struct {
		name, model string
		want        string
	}{
		{"identity after a stride", `
  - residual:
      body: [{conv: {filters: 16, kernel: 3, stride: 2, padding: same}}]
      shortcut: []
  - flatten
  - dense: {units: 10}`, `:4:5: model[0] res1: the body gives 16×16×16 but the identity shortcut gives 32×32×3; they must be equal to be added; a projection shortcut makes them so: shortcut: [{conv: {filters: 16, kernel: 1, stride: 2}}]`},
		{"a bad layer in the body", `
  - residual:
      body:
        - conv: {filters: 4, kernel: 3}
        - maxpool: {size: 64}
  - flatten
  - dense: {units: 10}`, `:7:11: model[0].residual.body[1]: maxpool "pool1": input 30×30×4: the 64×64 window does not fit`},
		{"no body", `
  - residual: {shortcut: []}
  - flatten
  - dense: {units: 10}`, `:4:15: model[0].residual: missing body`},
		{"an empty body", `
  - residual: {body: []}
  - flatten
  - dense: {units: 10}`, `:4:22: model[0].residual.body: the list of layers is empty`},
		{"a body that is no list", `
  - residual: {body: relu}
  - flatten
  - dense: {units: 10}`, `:4:22: model[0].residual.body must be a list of layers`},
		{"an unknown kind in the shortcut", `
  - residual: {body: [relu], shortcut: [rleu]}
  - flatten
  - dense: {units: 10}`, `:4:41: model[0].residual.shortcut[0]: unknown layer kind "rleu"; did you mean "relu"?`},
		{"a dense layer in a block after flatten", `
  - flatten
  - residual: {body: [{conv: {filters: 3, kernel: 1}}]}
  - dense: {units: 10}`, `model[1].residual.body[0] conv1: a conv layer needs an image-shaped input, but it comes after flatten or dense`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeYAML(t, "data: {set: cifar10}\n\nmodel:"+tc.model+"\n")
			e, err := experiments.Load(file, nil)
			if err == nil {
				_, err = Compile(e)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v\nwant it to contain %s", err, tc.want)
			}
		})
	}
}
