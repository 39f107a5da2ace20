package slurm

// Helpers shared with runner's tests: a synthetic data set, a tiny
// experiment on it, a local run, and the records two runs must share.

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/cnnlab/cnnlab/data"
	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/runner"
	"github.com/cnnlab/cnnlab/runner/record"
)

// syntheticSet is a small learnable data set: 8×8 gray images of three
// classes, each a bright horizontal band at its own height, with noise.
func syntheticSet(n int) *data.Set {
	rng := rand.New(rand.NewPCG(7, 7))
	im := data.Images{N: n, H: 8, W: 8, C: 1, Pixels: make([]uint8, n*64), Labels: make([]uint8, n)}
	for i := range n {
		c := i % 3
		im.Labels[i] = uint8(c)
		for y := range 8 {
			for x := range 8 {
				v := rng.IntN(90)
				if y/3 == c || (c == 2 && y >= 6) {
					v += 150
				}
				im.Pixels[i*64+y*8+x] = uint8(v)
			}
		}
	}
	return &data.Set{Name: "synthetic", Classes: []string{"top", "middle", "bottom"}, H: 8, W: 8, C: 1, Train: im}
}

func syntheticLoader(ctx context.Context, d experiments.Data) (*data.Set, error) {
	if filepath.Base(d.Path) == "missing" {
		return nil, fmt.Errorf("no such folder %s", d.Path)
	}
	return syntheticSet(150), nil
}

// tinyBase is an experiment on the synthetic set with every kind of state a
// resume must restore: batch norm statistics, dropout masks, Adam moments.
const tinyBase = `name: tiny
data:
  set: folder
  path: synthetic
  size: 8
  channels: 1
  split: {train: 0, val: 30, test: 30}
model:
  - conv: {filters: 4, kernel: 3}
  - batchnorm
  - relu
  - maxpool: {size: 2}
  - flatten
  - dropout: {rate: 0.2}
  - dense: {units: 3}
train:
  epochs: 3
  batch: 16
  optimizer: {adam: {lr: 0.01}}
  seed: 3
report:
  gallery: 6
  feature_maps: {images: 4}
`

func writeExperiment(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func runLocal(t *testing.T, ctx context.Context, file, results string, force bool) (*runner.Summary, string) {
	t.Helper()
	var out bytes.Buffer
	sum, err := runner.Run(ctx, []string{file}, runner.Options{Results: results, Out: &out, LoadSet: syntheticLoader, Force: force})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	return sum, out.String()
}

// finalState is what must be bit-identical between an interrupted and an
// uninterrupted run: the metrics of every epoch and step, the weights, and
// the analysis.
type finalState struct {
	epochs   []record.Epoch
	steps    []record.Step
	model    []byte // the final network, saved without meta
	best     []byte
	analysis []byte
	hist     []byte
}

func readFinal(t *testing.T, dir string) finalState {
	t.Helper()
	var f finalState
	var err error
	if f.epochs, err = record.ReadJSONLines[record.Epoch](filepath.Join(dir, record.EpochsFile)); err != nil {
		t.Fatal(err)
	}
	for i := range f.epochs {
		f.epochs[i].Seconds, f.epochs[i].ImagesPerSec = 0, 0
	}
	if f.steps, err = record.ReadJSONLines[record.Step](filepath.Join(dir, record.StepsFile)); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		name string
		out  *[]byte
	}{{record.ModelFile, &f.model}, {record.BestFile, &f.best}} {
		ck, err := nn.Load(filepath.Join(dir, m.name))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := nn.SaveTo(&buf, ck.Net, nil, nil); err != nil {
			t.Fatal(err)
		}
		*m.out = buf.Bytes()
	}
	if f.analysis, err = os.ReadFile(filepath.Join(dir, record.AnalysisFile)); err != nil {
		t.Fatal(err)
	}
	if f.hist, err = os.ReadFile(filepath.Join(dir, record.HistogramsFile)); err != nil {
		t.Fatal(err)
	}
	return f
}

func compareFinal(t *testing.T, want, got finalState) {
	t.Helper()
	if fmt.Sprint(want.epochs) != fmt.Sprint(got.epochs) {
		t.Errorf("epochs differ:\nwant %+v\n got %+v", want.epochs, got.epochs)
	}
	if fmt.Sprint(want.steps) != fmt.Sprint(got.steps) {
		t.Errorf("steps differ:\nwant %+v\n got %+v", want.steps, got.steps)
	}
	for _, c := range []struct {
		name      string
		want, got []byte
	}{{"final weights", want.model, got.model}, {"best weights", want.best, got.best},
		{"analysis", want.analysis, got.analysis}, {"histograms", want.hist, got.hist}} {
		if !bytes.Equal(c.want, c.got) {
			t.Errorf("%s differ", c.name)
		}
	}
}

func readStatus(t *testing.T, dir string) record.Status {
	t.Helper()
	var st record.Status
	if err := record.ReadJSON(filepath.Join(dir, record.StatusFile), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// tinySweep is tinyBase swept over four points, then two of them again.
const tinySweep = tinyBase + `sweep:
  grid:
    train.optimizer.adam.lr: [0.01, 0.02]
    model[0].conv.filters: [2, 4]
  include:
    - {"train.optimizer.adam.lr": 0.02, "model[0].conv.filters": 2}
    - {"train.optimizer.adam.lr": 0.01, "model[0].conv.filters": 2}
`
