// Package runtest holds what the tests of runner and runner/slurm share: a
// small learnable data set, a tiny experiment on it with every kind of state
// a resume must restore, and the records an interrupted and an
// uninterrupted run must share bit for bit.
package runtest

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
	"github.com/cnnlab/cnnlab/runner/record"
)

// SyntheticSet is a small learnable data set: 8×8 gray images of three
// classes, each a bright horizontal band at its own height, with noise.
func SyntheticSet(n int) *data.Set {
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

func SyntheticLoader(ctx context.Context, d experiments.Data) (*data.Set, error) {
	if filepath.Base(d.Path) == "missing" {
		return nil, fmt.Errorf("no such folder %s", d.Path)
	}
	return SyntheticSet(150), nil
}

// TinyBase is an experiment on the synthetic set with every kind of state a
// resume must restore: batch norm statistics, dropout masks, Adam moments.
const TinyBase = `name: tiny
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

func WriteExperiment(t testing.TB, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// FinalState is what must be bit-identical between an interrupted and an
// uninterrupted run: the metrics of every epoch and step, the weights, and
// the analysis.
type FinalState struct {
	Epochs   []record.Epoch
	Steps    []record.Step
	Model    []byte // the final network, saved without meta
	Best     []byte
	Analysis []byte
	Hist     []byte

	Evaluations []byte // nil when the run wrote none
	Whiten      []byte
}

func ReadFinal(t testing.TB, dir string) FinalState {
	t.Helper()
	var f FinalState
	var err error
	if f.Epochs, err = record.ReadJSONLines[record.Epoch](filepath.Join(dir, record.EpochsFile)); err != nil {
		t.Fatal(err)
	}
	for i := range f.Epochs {
		f.Epochs[i].Seconds, f.Epochs[i].ImagesPerSec = 0, 0
	}
	if f.Steps, err = record.ReadJSONLines[record.Step](filepath.Join(dir, record.StepsFile)); err != nil {
		t.Fatal(err)
	}
	for _, m := range []struct {
		name string
		out  *[]byte
	}{{record.ModelFile, &f.Model}, {record.BestFile, &f.Best}} {
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
	if f.Analysis, err = os.ReadFile(filepath.Join(dir, record.AnalysisFile)); err != nil {
		t.Fatal(err)
	}
	if f.Hist, err = os.ReadFile(filepath.Join(dir, record.HistogramsFile)); err != nil {
		t.Fatal(err)
	}
	// Written only by runs with a weight average, test-time augmentation
	// or a whitened first layer.
	for _, m := range []struct {
		name string
		out  *[]byte
	}{{record.EvaluationsFile, &f.Evaluations}, {record.WhitenFile, &f.Whiten}} {
		if b, err := os.ReadFile(filepath.Join(dir, m.name)); err == nil {
			*m.out = b
		} else if !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	return f
}

func CompareFinal(t testing.TB, want, got FinalState) {
	t.Helper()
	if fmt.Sprint(want.Epochs) != fmt.Sprint(got.Epochs) {
		t.Errorf("epochs differ:\nwant %+v\n got %+v", want.Epochs, got.Epochs)
	}
	if fmt.Sprint(want.Steps) != fmt.Sprint(got.Steps) {
		t.Errorf("steps differ:\nwant %+v\n got %+v", want.Steps, got.Steps)
	}
	for _, c := range []struct {
		name      string
		want, got []byte
	}{{"final weights", want.Model, got.Model}, {"best weights", want.Best, got.Best},
		{"analysis", want.Analysis, got.Analysis}, {"histograms", want.Hist, got.Hist},
		{"evaluations", want.Evaluations, got.Evaluations}, {"whitening", want.Whiten, got.Whiten}} {
		if !bytes.Equal(c.want, c.got) {
			t.Errorf("%s differ", c.name)
		}
	}
}

func ReadStatus(t testing.TB, dir string) record.Status {
	t.Helper()
	var st record.Status
	if err := record.ReadJSON(filepath.Join(dir, record.StatusFile), &st); err != nil {
		t.Fatal(err)
	}
	return st
}
