package runner

import (
	"bytes"
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cnnlab/cnnlab/data"
	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/runner/record"
)

// tinyResidual is tinyBase with residual blocks written through a block:
// batch norm, dropout in a body, a projection shortcut.
const tinyResidual = `name: tiny-res
data:
  set: folder
  path: synthetic
  size: 8
  channels: 1
  split: {train: 0, val: 30, test: 30}
blocks:
  b:
    params: {f: 4, s: 1}
    layers:
      - residual:
          body: [{conv: {filters: $f, kernel: 3, stride: $s, padding: same}}, batchnorm, relu, {dropout: {rate: 0.2}}]
          shortcut: [{conv: {filters: $f, kernel: 1, stride: $s}}]
model:
  - conv: {filters: 4, kernel: 3, padding: same}
  - block: {use: b}
  - residual: {body: [relu, {block: {use: b, f: 6, s: 2}}], shortcut: [{avgpool: {size: 2}}, {conv: {filters: 6, kernel: 1}}]}
  - flatten
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

// TestInterruptResumeResidual checks that a residual network interrupted
// mid-epoch resumes to the very weights and metrics of an uninterrupted run.
func TestInterruptResumeResidual(t *testing.T) {
	file := writeExperiment(t, tinyResidual)
	sum, _ := run(t, context.Background(), file, t.TempDir(), nil, false)
	r := onlyRun(t, sum)
	if r.State != record.StateDone {
		t.Fatalf("state %s (%s)", r.State, r.Error)
	}
	want := readFinal(t, r.Dir)

	results := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	sum, _ = run(t, ctx, file, results, &hooks{afterStep: func(_ string, s int) {
		if s == 9 {
			cancel()
		}
	}}, false)
	cancel()
	if r := onlyRun(t, sum); r.State != record.StateStopped {
		t.Fatalf("state %s, want stopped", r.State)
	}
	sum, out := run(t, context.Background(), file, results, nil, false)
	r = onlyRun(t, sum)
	if r.State != record.StateDone || !strings.Contains(out, "resuming at epoch") {
		t.Fatalf("after resuming: state %s (%s)\n%s", r.State, r.Error, out)
	}
	compareFinal(t, want, readFinal(t, r.Dir))
}

// cifarLike is a data set of the shape of CIFAR-10: 32×32 colour images of
// 10 classes, each class a colour with noise.
func cifarLike(ctx context.Context, d experiments.Data) (*data.Set, error) {
	rng := rand.New(rand.NewPCG(5, 5))
	images := func(n int) data.Images {
		im := data.Images{N: n, H: 32, W: 32, C: 3, Pixels: make([]uint8, n*32*32*3), Labels: make([]uint8, n)}
		for i := range n {
			c := i % 10
			im.Labels[i] = uint8(c)
			for p := range 32 * 32 * 3 {
				im.Pixels[i*32*32*3+p] = uint8(25*c + rng.IntN(30))
			}
		}
		return im
	}
	classes := experiments.BuiltinSets[experiments.SetCIFAR10].Classes
	return &data.Set{Name: "cifar10", Classes: classes, H: 32, W: 32, C: 3, Train: images(200), Test: images(40)}, nil
}

// TestResNet20Runs trains experiments/examples/resnet20.yaml for one epoch
// of a few images of the shape of CIFAR-10, end to end: records, model
// files and analysis.
func TestResNet20Runs(t *testing.T) {
	start := time.Now()
	var out bytes.Buffer
	sets := []string{"train.epochs=1", "train.batch=32", "data.split.train=96", "data.split.val=32", "data.split.test=32",
		"report.gallery=4", "report.feature_maps.images=1"}
	sum, err := Run(context.Background(), []string{"../experiments/examples/resnet20.yaml"},
		Options{Results: t.TempDir(), Out: &out, Sets: sets, LoadSet: cifarLike})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	r := onlyRun(t, sum)
	if r.State != record.StateDone {
		t.Fatalf("state %s (%s)\n%s", r.State, r.Error, out.String())
	}
	var arch record.Arch
	if err := record.ReadJSON(r.Dir+"/"+record.ArchFile, &arch); err != nil {
		t.Fatal(err)
	}
	if arch.Params != 272_474 {
		t.Errorf("arch.json records %d parameters", arch.Params)
	}
	blocks := 0
	for _, l := range arch.Layers {
		if l.Kind == "residual" && l.Depth == 0 {
			blocks++
		}
	}
	if blocks != 9 {
		t.Errorf("arch.json records %d residual blocks, want 9", blocks)
	}
	// Feature maps reach into the blocks: the 19 convs of the 20 layers
	// the name counts (the stem and 18 in bodies) and the 2 projections.
	var an record.Analysis
	if err := record.ReadJSON(r.Dir+"/"+record.AnalysisFile, &an); err != nil {
		t.Fatal(err)
	}
	if len(an.FeatureMaps) != 1 {
		t.Fatalf("%d feature map images, want 1", len(an.FeatureMaps))
	}
	var names []string
	for _, l := range an.FeatureMaps[0].Layers {
		names = append(names, l.Layer)
	}
	if len(names) != 21 || names[0] != "conv1" || names[1] != "res1.body.conv1" || !slices.Contains(names, "res4.shortcut.conv1") {
		t.Errorf("feature maps of %v", names)
	}
	t.Logf("one epoch of ResNet-20 on 96 images: %v", time.Since(start))
}
