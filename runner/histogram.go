package runner

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"

	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/runner/record"
)

// Bounds on the number of bins of a weight histogram: at most maxBins, and
// at least the square root of the tensor's size up to minBins, so that a
// bias of ten values still shows how they spread.
const (
	maxBins = 50
	minBins = 10
)

// paramNames maps nn's parameter names to the record's.
var paramNames = map[string]string{"weight": "weights", "bias": "bias", "gamma": "gamma", "beta": "beta"}

// newHistograms records the initial values of every learnable tensor as
// epoch 0.
func newHistograms(params []*nn.Param) record.Histograms {
	var h record.Histograms
	for _, p := range params {
		name := paramNames[p.Name]
		if name == "" {
			name = p.Name
		}
		h.Tensors = append(h.Tensors, record.TensorHistogram{Layer: p.Layer, Param: name})
	}
	addHistograms(&h, params, 0)
	return h
}

// addHistograms counts the current values of params into h as epoch, each
// tensor over bins that span its values now (see binEdges).
func addHistograms(h *record.Histograms, params []*nn.Param, epoch int) {
	for i, p := range params {
		t := &h.Tensors[i]
		edges, counts := histogram(p.Value)
		t.Epochs = append(t.Epochs, epoch)
		t.EdgesAt = append(t.EdgesAt, edges)
		t.Counts = append(t.Counts, counts)
	}
}

// histogram bins the finite values of v over edges from their minimum to
// their maximum (see binEdges), counting with gonum's stat.Histogram.
func histogram(v []float32) (edges []float64, counts []int) {
	x := make([]float64, 0, len(v))
	for _, f := range v {
		if g := float64(f); !math.IsNaN(g) && !math.IsInf(g, 0) {
			x = append(x, g)
		}
	}
	slices.Sort(x)
	edges = binEdges(x)
	// stat.Histogram counts lo ≤ x < hi: the last divider lies just above
	// the maximum so that the maximum is counted.
	div := slices.Clone(edges)
	div[len(div)-1] = math.Nextafter(div[len(div)-1], math.Inf(1))
	hist := stat.Histogram(nil, div, x, nil)
	counts = make([]int, len(hist))
	for i, c := range hist {
		counts[i] = int(c)
	}
	return edges, counts
}

// binEdges chooses the bins of sorted finite values: equal bins from the
// minimum to the maximum, as many as the Freedman–Diaconis rule asks (bin
// width 2·IQR/n^⅓, the quartiles from stat.Quantile), between
// min(minBins, ⌈√n⌉) and maxBins. Values that are all equal get one bin
// around them; no values get one bin around 0.
func binEdges(x []float64) []float64 {
	if len(x) == 0 {
		return []float64{-0.5, 0.5}
	}
	lo, hi := x[0], x[len(x)-1]
	if !(hi > lo) {
		d := max(math.Abs(lo)*0.05, 1e-3)
		return []float64{lo - d, hi + d}
	}
	n := float64(len(x))
	least := min(minBins, int(math.Ceil(math.Sqrt(n))))
	bins := maxBins
	iqr := stat.Quantile(0.75, stat.LinInterp, x, nil) - stat.Quantile(0.25, stat.LinInterp, x, nil)
	if iqr > 0 {
		width := 2 * iqr / math.Cbrt(n)
		bins = int(math.Min(math.Ceil((hi-lo)/width), maxBins))
	}
	bins = max(bins, least)
	edges := make([]float64, bins+1)
	for i := range edges {
		edges[i] = lo + (hi-lo)*float64(i)/float64(bins)
	}
	edges[bins] = hi
	return edges
}

// checkHistograms reports whether h describes params and holds at least
// epochs+1 epochs (0 through epochs), and cuts it to exactly those.
// Histograms written before each epoch had bins of its own (one set of
// Edges for all) are read as they are.
func checkHistograms(h *record.Histograms, params []*nn.Param, epochs int) error {
	if len(h.Tensors) != len(params) {
		return fmt.Errorf("histograms describe %d tensors, the network has %d", len(h.Tensors), len(params))
	}
	for i, p := range params {
		t := &h.Tensors[i]
		perEpoch := len(t.EdgesAt) == len(t.Counts)
		if t.Layer != p.Layer || !perEpoch && len(t.Edges) < 2 || len(t.Epochs) != len(t.Counts) {
			return fmt.Errorf("histogram %d (%s %s) does not match the network", i, t.Layer, t.Param)
		}
		if len(t.Epochs) < epochs+1 {
			return fmt.Errorf("histograms of %s hold %d epochs, the checkpoint is at epoch %d", t.Layer, len(t.Epochs)-1, epochs)
		}
		t.Epochs, t.Counts = t.Epochs[:epochs+1], t.Counts[:epochs+1]
		if perEpoch {
			t.EdgesAt = t.EdgesAt[:epochs+1]
		} else if len(t.EdgesAt) > 0 {
			return fmt.Errorf("histogram %d (%s %s) has %d sets of edges for %d epochs", i, t.Layer, t.Param, len(t.EdgesAt), len(t.Counts))
		}
	}
	return nil
}
