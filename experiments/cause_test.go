package experiments

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/nn"
)

// shapes is a small stand-in for arch.Check's shape arithmetic: it follows
// the square feature map through conv and maxpool layers (valid padding)
// and reports a window that does not fit at the layer, as arch does.
func shapes(x *Experiment) error {
	size := x.Data.Size
	for i, l := range x.Model {
		kernel := l.Value("kernel").H
		switch l.Kind {
		case nn.KindMaxPool:
			kernel = l.Value("size").H
			fallthrough
		case nn.KindConv:
			if kernel > size {
				return ErrorList{{Pos: l.At,
					Msg: fmt.Sprintf("model[%d]: %s %q: input %d×%d: the %d×%d window does not fit", i, l.Kind, l.Name, size, size, kernel, kernel)}}
			}
			size = (size-kernel)/l.Value("stride").H + 1
		}
	}
	return nil
}

// net is the model every case sweeps: layer 0 on line 3, layer 2 on line 5.
const net = `data: {set: mnist}
model:
  - conv: {filters: 4, kernel: 3}
  - maxpool: {size: 2}
  - conv: {filters: 4, kernel: 5}
  - flatten
  - dense: {units: 10}
`

func TestCheckBlamesSweepValue(t *testing.T) {
	tests := []struct {
		name  string
		sweep string   // appended to net, from line 8
		sets  []string // --set overrides
		want  []string // every line of the error
	}{
		{"grid, one line per failing value, not per seed", `sweep:
  grid:
    model[0].conv.kernel: [3, 29, 30]
    train.batch: [16, 32]
  seeds: 3
`, nil, []string{
			`f.yaml:10:31: sweep.grid model[0].conv.kernel=29: model[0] (line 3): conv "conv1": input 28×28: the 29×29 window does not fit`,
			`f.yaml:10:35: sweep.grid model[0].conv.kernel=30: model[0] (line 3): conv "conv1": input 28×28: the 30×30 window does not fit`,
		}},
		{"zip group: the first of the values that advance together", `sweep:
  zip:
    - model[0].conv.kernel: [3, 29]
      model[0].conv.filters: [4, 8]
`, nil, []string{
			`f.yaml:10:33: sweep.zip[0] model[0].conv.kernel=29: model[0] (line 3): conv "conv1": input 28×28: the 29×29 window does not fit`,
		}},
		{"include: a value, and a whole model at its key", `sweep:
  grid:
    train.batch: [16, 32]
  include:
    - model[0].conv.kernel: 29
    - variant: big
      model:
        - conv: {filters: 4, kernel: 40}
        - flatten
        - dense: {units: 10}
`, nil, []string{
			`f.yaml:12:29: sweep.include[0] model[0].conv.kernel=29: model[0] (line 3): conv "conv1": input 28×28: the 29×29 window does not fit`,
			`f.yaml:14:7: sweep.include[1] model: model[0] (line 15): conv "conv1": input 28×28: the 40×40 window does not fit`,
		}},
		{"variant", `sweep:
  variants:
    small: {train.batch: 16}
    huge:
      model[2].conv.kernel: 14
`, nil, []string{
			`f.yaml:12:29: sweep.variants.huge model[2].conv.kernel=14: model[2] (line 5): conv "conv2": input 13×13: the 14×14 window does not fit`,
		}},
		{"a stride upstream shrinks a later layer's input", `sweep:
  grid:
    model[0].conv.stride: [1, 4]
    model[2].conv.filters: [4, 8]
`, nil, []string{
			`f.yaml:10:31: sweep.grid model[0].conv.stride=4: model[2] (line 5): conv "conv2": input 3×3: the 5×5 window does not fit`,
		}},
		{"two values fail only together: the nearest is placed, the other named", `sweep:
  grid:
    model[0].conv.stride: [1, 2]
    model[2].conv.kernel: [5, 7]
`, nil, []string{
			`f.yaml:11:31: sweep.grid model[2].conv.kernel=7 with stride=2: model[2] (line 5): conv "conv2": input 6×6: the 7×7 window does not fit`,
		}},
		{"an upstream value that fails with every downstream value wins over them", `sweep:
  grid:
    model[0].conv.stride: [1, 4]
    model[2].conv.kernel: [4, 5]
`, nil, []string{
			`f.yaml:10:31: sweep.grid model[0].conv.stride=4 with kernel=4: model[2] (line 5): conv "conv2": input 3×3: the 4×4 window does not fit`,
			`f.yaml:10:31: sweep.grid model[0].conv.stride=4 with kernel=5: model[2] (line 5): conv "conv2": input 3×3: the 5×5 window does not fit`,
		}},
		{"--set of the sweep places the value at the override", "", []string{`sweep.grid={"model[0].conv.kernel": [3, 29]}`}, []string{
			`--set sweep.grid={"model[0].conv.kernel": [3, 29]}: sweep.grid model[0].conv.kernel=29: model[0] (line 3 of f.yaml): conv "conv1": input 28×28: the 29×29 window does not fit`,
		}},
		{"--set of a layer keeps the layer", "", []string{"model[0].conv.kernel=29"}, []string{
			`f.yaml:3:5: model[0]: conv "conv1": input 28×28: the 29×29 window does not fit`,
		}},
		{"--set of a layer wins over a swept value of the same layer", `sweep:
  grid:
    model[0].conv.stride: [1, 2]
`, []string{"model[0].conv.kernel=29"}, []string{
			`f.yaml:3:5: model[0]: conv "conv1": input 28×28: the 29×29 window does not fit`,
		}},
		{"a later layer's value is not to blame", `sweep:
  grid:
    model[2].conv.kernel: [3, 5]
`, []string{"model[0].conv.kernel=29"}, []string{
			`f.yaml:3:5: model[0]: conv "conv1": input 28×28: the 29×29 window does not fit`,
		}},
		{"no model value swept: the points are named as before", `sweep:
  grid:
    data.set: [mnist, cifar10]
`, []string{"model[0].conv.kernel=30"}, []string{
			`f.yaml:3:5: set=mnist: model[0]: conv "conv1": input 28×28: the 30×30 window does not fit`,
			`f.yaml:5:5: set=cifar10: model[2]: conv "conv2": input 1×1: the 5×5 window does not fit`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := loadBytes("f.yaml", []byte(net+tt.sweep), tt.sets)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if err := e.Check(shapes); err != nil {
				got = err.Error()
			}
			if want := strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestValidateOnePass checks that Validate reports shape problems beside
// value problems, and leaves out the points whose input or model did not
// decode rather than guessing their shapes.
func TestValidateOnePass(t *testing.T) {
	tests := []struct {
		name string
		file string
		want []string // every line of the error; none for a valid file
	}{
		{"a value error and a shape error are both reported", `data: {set: mnist, preprocess: standardise}
model:
  - conv: {filters: 4, kernel: 30}
train:
  epochs: 0
`, []string{
			`f.yaml:1:32: data.preprocess: unknown preprocessing "standardise"; did you mean "standardize"?`,
			`f.yaml:3:5: model[0]: conv "conv1": input 28×28: the 30×30 window does not fit`,
			`f.yaml:5:11: train.epochs must be ≥ 1, got 0`,
		}},
		{"a model value error leaves shapes unchecked", `data: {set: mnist}
model:
  - conv: {filters: 0, kernel: 30}
`, []string{
			`f.yaml:3:21: model[0].conv.filters must be ≥ 1, got 0`,
		}},
		{"a misspelt data set leaves shapes unchecked", `data: {sett: mnist}
model:
  - conv: {filters: 4, kernel: 30}
`, []string{
			`f.yaml:1:1: data: missing set (one of mnist, fashion-mnist, cifar10, folder)`,
			`f.yaml:1:8: data.sett: unknown key; did you mean "set"?`,
		}},
		{"in a sweep, only the points that decoded are checked", `data: {set: mnist}
model:
  - conv: {filters: 4, kernel: 3}
train:
  epochs: 0
sweep:
  grid:
    model[0].conv.kernel: [3, 30]
    model[0].conv.filters: [4, 0]
`, []string{
			`f.yaml:5:11: train.epochs must be ≥ 1, got 0`,
			`f.yaml:8:31: sweep.grid model[0].conv.kernel=30: model[0] (line 3): conv "conv1": input 28×28: the 30×30 window does not fit`,
			`f.yaml:9:32: filters=0: model[0].conv.filters must be ≥ 1, got 0`,
		}},
		{"a valid file", net, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := dir + "/f.yaml"
			if err := os.WriteFile(path, []byte(tt.file), 0o644); err != nil {
				t.Fatal(err)
			}
			e, err := Validate(path, nil, shapes)
			if tt.want == nil {
				if err != nil || e == nil {
					t.Fatalf("Validate: %v, %v", e, err)
				}
				return
			}
			if e != nil || err == nil {
				t.Fatalf("Validate: %v, %v; want an error", e, err)
			}
			got := strings.ReplaceAll(err.Error(), dir+"/", "")
			if want := strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
