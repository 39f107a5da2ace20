package runner

import (
	"math"
	"slices"
	"testing"

	"github.com/cnnlab/cnnlab/nn"
)

func TestHistogramBinsSpanEachSnapshot(t *testing.T) {
	spread := make([]float32, 1000)
	for i := range spread {
		spread[i] = float32(i)/999*2 - 1 // -1 … 1, evenly
	}
	bias10 := []float32{0.1, 0.12, 0.15, 0.2, 0.21, 0.3, 0.33, 0.4, 0.45, 0.5}
	tests := []struct {
		name    string
		v       []float32
		lo, hi  float64
		minBins int
		maxBins int
		counted int
	}{
		{"uniform 1000", spread, -1, 1, 10, 50, 1000},
		{"bias of 10", bias10, float64(float32(0.1)), 0.5, 4, 50, 10},
		{"constant", []float32{0, 0, 0}, -1e-3, 1e-3, 1, 1, 3},
		{"NaN and Inf left out", []float32{1, float32(math.NaN()), 2, float32(math.Inf(1)), 3}, 1, 3, 2, 50, 3},
		{"nothing", nil, -0.5, 0.5, 1, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edges, counts := histogram(tt.v)
			if len(edges) != len(counts)+1 {
				t.Fatalf("%d edges for %d bins", len(edges), len(counts))
			}
			if edges[0] != tt.lo || edges[len(edges)-1] != tt.hi {
				t.Errorf("edges %v … %v, want %v … %v", edges[0], edges[len(edges)-1], tt.lo, tt.hi)
			}
			if len(counts) < tt.minBins || len(counts) > tt.maxBins {
				t.Errorf("%d bins, want %d…%d", len(counts), tt.minBins, tt.maxBins)
			}
			if sumCounts(counts) != tt.counted {
				t.Errorf("counts %v hold %d values, want %d", counts, sumCounts(counts), tt.counted)
			}
			if tt.counted > 0 && (counts[0] == 0 || counts[len(counts)-1] == 0) {
				t.Errorf("an end bin is empty although the bins span the values: %v", counts)
			}
			if !slices.IsSorted(edges) {
				t.Errorf("edges not increasing: %v", edges)
			}
		})
	}
	// A bias of ten values no longer lands in one bin.
	_, counts := histogram(bias10)
	if slices.Max(counts) == 10 {
		t.Errorf("ten spread values in one bin: %v", counts)
	}
}

func TestHistogramsPerEpochAndResume(t *testing.T) {
	w := &nn.Param{Layer: "conv1", Name: "weight", Value: []float32{-0.5, 0, 0.5}}
	b := &nn.Param{Layer: "conv1", Name: "bias", Value: []float32{0, 0}}
	params := []*nn.Param{w, b}
	h := newHistograms(params)
	if h.Tensors[0].Param != "weights" || h.Tensors[1].Param != "bias" || h.Tensors[0].Epochs[0] != 0 {
		t.Fatalf("tensors %+v", h.Tensors)
	}
	w.Value = []float32{-9, 3, 4}
	addHistograms(&h, params, 1)
	e := h.Tensors[0].EdgesAt
	if len(e) != 2 || e[0][0] != -0.5 || e[1][0] != -9 || e[1][len(e[1])-1] != 4 {
		t.Errorf("weights' edges per epoch %v", e)
	}
	if err := checkHistograms(&h, params, 0); err != nil || len(h.Tensors[0].Epochs) != 1 || len(h.Tensors[0].EdgesAt) != 1 {
		t.Errorf("cut to epoch 0: %v, %d epochs", err, len(h.Tensors[0].Epochs))
	}
	if err := checkHistograms(&h, params, 3); err == nil {
		t.Error("histograms shorter than the checkpoint accepted")
	}
	// A record of an earlier version, one set of edges for every epoch, resumes.
	old := h
	old.Tensors = slices.Clone(h.Tensors)
	for i := range old.Tensors {
		old.Tensors[i].Edges, old.Tensors[i].EdgesAt = []float64{-1, 0, 1}, nil
	}
	if err := checkHistograms(&old, params, 0); err != nil {
		t.Errorf("histograms with shared edges refused: %v", err)
	}
}
