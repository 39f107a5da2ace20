package runner

import (
	"math"
	"testing"

	"github.com/cnnlab/cnnlab/nn"
)

func TestHistogramEdgesAndClamping(t *testing.T) {
	w := &nn.Param{Layer: "conv1", Name: "weight", Value: []float32{-0.5, 0, 0.5}}
	b := &nn.Param{Layer: "conv1", Name: "bias", Value: []float32{0, 0}}
	g := &nn.Param{Layer: "bn1", Name: "gamma", Value: []float32{1, 1}}
	params := []*nn.Param{w, b, g}
	h := newHistograms(params)
	tests := []struct {
		i      int
		param  string
		lo, hi float64
	}{
		{0, "weights", -1.5, 1.5}, // range 1 widened by 1 on each side
		{1, "bias", -0.5, 0.5},    // constant: ± the layer's largest weight
		{2, "gamma", 0, 2},        // batch norm: ± 1
	}
	for _, tt := range tests {
		th := h.Tensors[tt.i]
		if th.Param != tt.param || th.Edges[0] != tt.lo || th.Edges[len(th.Edges)-1] != tt.hi {
			t.Errorf("%s: %s edges %v..%v, want %s %v..%v", th.Layer, th.Param, th.Edges[0], th.Edges[len(th.Edges)-1], tt.param, tt.lo, tt.hi)
		}
		if sumCounts(th.Counts[0]) != len(params[tt.i].Value) || th.Epochs[0] != 0 {
			t.Errorf("%s epoch 0: %v", th.Param, th.Counts[0])
		}
	}
	// Values beyond the edges (even infinite) land in the end bins; NaN is left out.
	w.Value = []float32{-9, float32(math.Inf(1)), float32(math.NaN())}
	addHistograms(&h, params, 1)
	c := h.Tensors[0].Counts[1]
	if c[0] != 1 || c[len(c)-1] != 1 || sumCounts(c) != 2 {
		t.Errorf("clamped counts %v", c)
	}
	if err := checkHistograms(&h, params, 0); err != nil || len(h.Tensors[0].Epochs) != 1 {
		t.Errorf("cut to epoch 0: %v, %d epochs", err, len(h.Tensors[0].Epochs))
	}
	if err := checkHistograms(&h, params, 3); err == nil {
		t.Error("histograms shorter than the checkpoint accepted")
	}
}
