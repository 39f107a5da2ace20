package arch

import (
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/experiments"
)

// blocksYAML is a small ResNet written with blocks: one for the identity
// blocks, one for those that halve the size, which uses the other's body.
const blocksYAML = `data: {set: cifar10}
blocks:
  body:
    params: {filters: 16, stride: 1}
    layers:
      - conv: {filters: $filters, kernel: 3, stride: $stride, padding: same, bias: false}
      - batchnorm
      - relu
      - conv: {filters: $filters, kernel: 3, padding: same, bias: false}
      - batchnorm
  basic:
    params: {filters: 16}
    layers:
      - residual: {body: [{block: {use: body, filters: $filters}}], shortcut: []}
      - relu
  down:
    params: {filters: null}
    layers:
      - residual:
          body: [{block: {use: body, filters: $filters, stride: 2}}]
          shortcut: [{conv: {filters: $filters, kernel: 1, stride: 2, bias: false}}, batchnorm]
      - relu
model:
  - conv: {filters: 16, kernel: 3, padding: same}
  - block: {use: basic}
  - block: {use: down, filters: 32}
  - block: {use: basic, filters: 32}
  - avgpool: {size: 16}
  - flatten
  - dense: {units: 10}
`

// longhandYAML is blocksYAML written out.
const longhandYAML = `data: {set: cifar10}
model:
  - conv: {filters: 16, kernel: 3, padding: same}
  - residual:
      body: [{conv: {filters: 16, kernel: 3, padding: same, bias: false}}, batchnorm, relu, {conv: {filters: 16, kernel: 3, padding: same, bias: false}}, batchnorm]
  - relu
  - residual:
      body: [{conv: {filters: 32, kernel: 3, stride: 2, padding: same, bias: false}}, batchnorm, relu, {conv: {filters: 32, kernel: 3, padding: same, bias: false}}, batchnorm]
      shortcut: [{conv: {filters: 32, kernel: 1, stride: 2, bias: false}}, batchnorm]
  - relu
  - residual:
      body: [{conv: {filters: 32, kernel: 3, padding: same, bias: false}}, batchnorm, relu, {conv: {filters: 32, kernel: 3, padding: same, bias: false}}, batchnorm]
  - relu
  - avgpool: {size: 16}
  - flatten
  - dense: {units: 10}
`

// TestBlocksExpand checks that a file with blocks is the file written out:
// the same canonical form (so the same run id) and the same network.
func TestBlocksExpand(t *testing.T) {
	e := load(t, writeYAML(t, blocksYAML))
	long := load(t, writeYAML(t, longhandYAML))
	y, err := e.ResolvedYAML()
	if err != nil {
		t.Fatal(err)
	}
	yl, err := long.ResolvedYAML()
	if err != nil {
		t.Fatal(err)
	}
	// The names differ: each file is named after itself.
	if strings.ReplaceAll(string(y), "name: net\n", "") != strings.ReplaceAll(string(yl), "name: net\n", "") {
		t.Errorf("canonical forms differ:\n%s\nwritten out:\n%s", y, yl)
	}
	a, err := Compile(e)
	if err != nil {
		t.Fatal(err)
	}
	// conv1 16·27+16; two identity blocks of 2·(9·16·16 + 32) and
	// 2·(9·32·32 + 64); a down block of 9·16·32 + 64 + 9·32·32 + 64 + 16·32 + 64; dense 32·10+10.
	want := int64(448 + (2*(2304+32) + 2*(9216+64)) + (4608 + 64 + 9216 + 64 + 512 + 64) + 330)
	if a.Params != want {
		t.Errorf("%d parameters, want %d", a.Params, want)
	}
	if l := e.Model[3]; l.Use != "block down used at model[2], line 26" {
		t.Errorf("model[3] comes from %q", l.Use)
	}
	// --set and sweeps reach the parameters of a use.
	e2 := load(t, writeYAML(t, blocksYAML), "model[2].block.filters=64", "model[3].block.filters=64")
	b, err := Compile(e2)
	if err != nil {
		t.Fatal(err)
	}
	if got := b.Specs[3].Residual.Shortcut[0].Filters; got != 64 {
		t.Errorf("shortcut filters %d after --set, want 64", got)
	}
	sw := load(t, writeYAML(t, blocksYAML+"sweep:\n  grid:\n    model[2].block.filters: [32, 48]\n    model[3].block.filters: [32, 48]\n"))
	pts, err := sw.Points()
	if err != nil {
		t.Fatal(err)
	}
	var params []int64
	for _, p := range pts {
		if net, err := Compile(p.Experiment); err == nil {
			params = append(params, net.Params)
		}
	}
	if len(pts) != 4 || len(params) != 2 || params[0] != want {
		t.Errorf("%d points, %d of them compile, with %v parameters", len(pts), len(params), params)
	}
}

func TestBlockErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"a bad value inside a block used twice", `data: {set: cifar10}
blocks:
  b:
    params: {f: 8}
    layers: [{conv: {filters: $f, kernel: 3, padding: sme}}]
model:
  - block: {use: b}
  - block: {use: b, f: 4}
  - flatten
  - dense: {units: 10}
`, []string{
			`:5:55: model[0].conv.padding: unknown padding "sme"; did you mean "same"? (in block b used at model[0], line 7)`,
			`:5:55: model[1].conv.padding: unknown padding "sme"; did you mean "same"? (in block b used at model[1], line 8)`,
		}},
		{"a value of a use out of range", `data: {set: cifar10}
blocks:
  b:
    params: {f: 8}
    layers: [{conv: {filters: $f, kernel: 3}}]
model:
  - block: {use: b, f: 0}
  - flatten
  - dense: {units: 10}
`, []string{`:5:31: model[0].conv.filters must be ≥ 1, got 0 (in block b used at model[0], line 7)`}},
		{"shapes that do not add up, once", `data: {set: cifar10}
blocks:
  b:
    params: {s: 1}
    layers:
      - residual: {body: [{conv: {filters: 3, kernel: 3, stride: $s, padding: same}}]}
model:
  - block: {use: b}
  - block: {use: b, s: 2}
  - flatten
  - dense: {units: 10}
`, []string{`:6:9: model[1] res2: the body gives 16×16×3 but the identity shortcut gives 32×32×3; they must be equal to be added; a projection shortcut makes them so: shortcut: [{conv: {filters: 3, kernel: 1, stride: 2}}] (in block b used at model[1], line 9)`}},
		{"unknown block, parameter and placeholder", `data: {set: cifar10}
blocks:
  basic:
    params: {filters: 8}
    layers: [{conv: {filters: $filter, kernel: 3}}]
model:
  - block: {use: basik}
  - block: {use: basic, filter: 3}
  - flatten
  - dense: {units: 10}
`, []string{
			`:5:31: $filter is not a parameter of block basic (its parameters: filters); did you mean "filters"? (in block basic used at model[1], line 8)`,
			`:7:18: model[0].block.use: unknown block "basik"; did you mean "basic"?`,
			`:8:25: model[1].block.filter: unknown key; did you mean "filters"?`,
		}},
		{"a parameter without default, a block using itself", `data: {set: cifar10}
blocks:
  a:
    params: {n: null}
    layers: [{block: {use: a, n: $n}}]
model:
  - block: {use: a}
  - flatten
  - dense: {units: 10}
`, []string{
			`:7:12: model[0].block: missing n (block a has no default for it)`,
			`:5:14: blocks.a.layers[0].block: block a uses itself (in block a used at model[0], line 7)`,
		}},
		{"no use", `data: {set: cifar10}
model:
  - block: {filters: 3}
  - flatten
  - dense: {units: 10}
`, []string{`:3:12: model[0].block: missing use (the name of a block), and there is no blocks: mapping to name one from`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := writeYAML(t, tc.yaml)
			e, err := experiments.Load(file, nil)
			if err == nil {
				_, err = Compile(e)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err = %v\nwant it to contain %s", err, w)
				}
			}
		})
	}
}
