package runner

import (
	"fmt"
	"math"

	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/runner/record"
)

// histogramBins is the number of bins of every weight histogram.
const histogramBins = 50

// paramNames maps nn's parameter names to the record's.
var paramNames = map[string]string{"weight": "weights", "bias": "bias", "gamma": "gamma", "beta": "beta"}

// newHistograms fixes the bin edges of every learnable tensor from its
// initial values and records them as epoch 0. A tensor that starts spread
// out gets its initial range widened by that range on each side (three times
// as wide in all); a tensor that starts constant (biases at 0, batch-norm
// scales at 1) gets its constant ± the largest initial weight of its layer,
// or ± 1 for batch norm. Values that later fall outside clamp to the end bins.
func newHistograms(params []*nn.Param) record.Histograms {
	layerScale := map[string]float64{}
	for _, p := range params {
		if p.Name == "weight" {
			m := 0.0
			for _, v := range p.Value {
				m = math.Max(m, math.Abs(float64(v)))
			}
			layerScale[p.Layer] = m
		}
	}
	var h record.Histograms
	for _, p := range params {
		lo, hi := minMax(p.Value)
		if spread := hi - lo; spread > 0 {
			lo, hi = lo-spread, hi+spread
		} else {
			r := layerScale[p.Layer]
			if r == 0 || p.Name == "gamma" || p.Name == "beta" {
				r = 1
			}
			lo, hi = lo-r, hi+r
		}
		edges := make([]float64, histogramBins+1)
		for i := range edges {
			edges[i] = lo + (hi-lo)*float64(i)/histogramBins
		}
		name := paramNames[p.Name]
		if name == "" {
			name = p.Name
		}
		h.Tensors = append(h.Tensors, record.TensorHistogram{Layer: p.Layer, Param: name, Edges: edges})
	}
	addHistograms(&h, params, 0)
	return h
}

func minMax(v []float32) (lo, hi float64) {
	if len(v) == 0 {
		return 0, 0
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range v {
		lo = math.Min(lo, float64(x))
		hi = math.Max(hi, float64(x))
	}
	return lo, hi
}

// addHistograms counts the current values of params into h as epoch.
func addHistograms(h *record.Histograms, params []*nn.Param, epoch int) {
	for i, p := range params {
		t := &h.Tensors[i]
		counts := make([]int, len(t.Edges)-1)
		lo, hi := t.Edges[0], t.Edges[len(t.Edges)-1]
		width := (hi - lo) / float64(len(counts))
		for _, v := range p.Value {
			x := float64(v)
			if math.IsNaN(x) {
				continue
			}
			b := 0
			switch {
			case x >= hi:
				b = len(counts) - 1
			case x > lo:
				b = min(int((x-lo)/width), len(counts)-1)
			}
			counts[b]++
		}
		t.Epochs = append(t.Epochs, epoch)
		t.Counts = append(t.Counts, counts)
	}
}

// checkHistograms reports whether h describes params and holds at least
// epochs+1 epochs (0 through epochs), and cuts it to exactly those.
func checkHistograms(h *record.Histograms, params []*nn.Param, epochs int) error {
	if len(h.Tensors) != len(params) {
		return fmt.Errorf("histograms describe %d tensors, the network has %d", len(h.Tensors), len(params))
	}
	for i, p := range params {
		t := &h.Tensors[i]
		if t.Layer != p.Layer || len(t.Edges) < 2 || len(t.Epochs) != len(t.Counts) {
			return fmt.Errorf("histogram %d (%s %s) does not match the network", i, t.Layer, t.Param)
		}
		if len(t.Epochs) < epochs+1 {
			return fmt.Errorf("histograms of %s hold %d epochs, the checkpoint is at epoch %d", t.Layer, len(t.Epochs)-1, epochs)
		}
		t.Epochs, t.Counts = t.Epochs[:epochs+1], t.Counts[:epochs+1]
	}
	return nil
}
