package arch

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/nn"
)

// TestWhitenPlace checks where init: whiten may stand and how many filters
// it takes, with the place of the error, and that train.groups and
// train.average reach the engine.
func TestWhitenPlace(t *testing.T) {
	for _, tc := range []struct {
		name, model, want string
	}{
		{"first", "[{conv: {filters: 24, kernel: 2, init: whiten}}, globalmaxpool, {dense: {units: 10}}]", ""},
		{"half the filters", "[{conv: {filters: 12, kernel: 2, init: whiten}}, globalmaxpool, {dense: {units: 10}}]", ""},
		{"second", "[{conv: {filters: 4, kernel: 3}}, {conv: {filters: 16, kernel: 2, init: whiten}}, globalmaxpool, {dense: {units: 10}}]",
			"x.yaml:2:42: model[1] conv2: init whiten sets a layer from the training images' patches, so only the first layer of the model may take it"},
		{"nested", "[{residual: {body: [{conv: {filters: 24, kernel: 2, init: whiten, padding: same}}]}}, globalmaxpool, {dense: {units: 10}}]",
			"only the first layer of the model may take it"},
		{"wrong count", "[{conv: {filters: 20, kernel: 2, init: whiten}}, globalmaxpool, {dense: {units: 10}}]",
			"init whiten needs filters = 12 (kernel 2×2 × 3 channels) or 24 (with the negated filters), got 20"},
		{"dense", "[flatten, {dense: {units: 10, init: whiten}}]", "model[1].dense.init"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "x.yaml")
			if err := os.WriteFile(f, []byte("data: {set: cifar10}\nmodel: "+tc.model+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			e, err := experiments.Load(f, nil)
			if err == nil {
				_, err = Compile(e)
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}

	net, err := nn.Build(nn.Shape{H: 4, W: 4, C: 1}, []nn.LayerSpec{{Kind: nn.KindConv, Filters: 2, KernelH: 3, KernelW: 3},
		{Kind: nn.KindBatchNorm}, {Kind: nn.KindFlatten}, {Kind: nn.KindDense, Units: 2}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	Groups(experiments.Groups{Biases: experiments.Group{LRScale: 8}, Norm: experiments.Group{LRScale: 2, Decay: 0.25}}, net.Params())
	for _, p := range net.Params() {
		var scale, decayScale float32
		var decay bool
		switch p.Name {
		case "weight":
			scale, decay, decayScale = 0, true, 0
		case "bias":
			scale, decay, decayScale = 8, false, 0
		default:
			scale, decay, decayScale = 2, true, 0.25
		}
		if p.LRScale != scale || p.Decay != decay || p.DecayScale != decayScale {
			t.Errorf("%s.%s: lr scale %v, decay %v ×%v; want %v, %v ×%v", p.Layer, p.Name, p.LRScale, p.Decay, p.DecayScale, scale, decay, decayScale)
		}
	}
	if Average(nil) != nil {
		t.Error("no average gave an engine average")
	}
	a := Average(&experiments.Average{Kind: experiments.AverageEMA, Decay: 0.9, Every: 2, Power: 1})
	if *a != (nn.AverageConfig{Kind: nn.AverageEMA, Decay: 0.9, Every: 2, Power: 1}) || a.Validate() != nil {
		t.Errorf("average %+v", *a)
	}
	s, err := Schedule(experiments.Schedule{Kind: experiments.ScheduleTriangle, Start: 0.2, Peak: 0.5, End: 0})
	if err != nil || s.LR(1, 5, 1, 10) != 1 {
		t.Errorf("triangle schedule %+v, %v: lr at the peak %v", s, err, s.LR(1, 5, 1, 10))
	}
}
