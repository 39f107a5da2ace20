package reports

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/cnnlab/cnnlab/runner/record"
)

// runCharts holds the charts of a run page, by section. A chart with no
// data is nil.
type runCharts struct {
	LossEpoch  *Chart
	L2Epoch    *Chart
	LossStep   *Chart
	LRStep     *Chart
	AccEpoch   *Chart
	Histograms []*Chart
	Confusion  *Chart
	ClassAcc   *Chart
}

// all lists the charts that have data, in page order.
func (rc *runCharts) all() []*Chart {
	var out []*Chart
	for _, c := range append([]*Chart{rc.LossEpoch, rc.L2Epoch, rc.LossStep, rc.LRStep, rc.AccEpoch}, rc.Histograms...) {
		if c != nil {
			out = append(out, c)
		}
	}
	for _, c := range []*Chart{rc.Confusion, rc.ClassAcc} {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

func buildRunCharts(r *record.Run) *runCharts {
	rc := &runCharts{}
	ep := r.Epochs
	x := make([]float64, len(ep))
	col := func(f func(e record.Epoch) float64) []float64 {
		v := make([]float64, len(ep))
		for i, e := range ep {
			v[i] = f(e)
		}
		return v
	}
	for i, e := range ep {
		x[i] = float64(e.Epoch)
	}

	c := &Chart{ID: "loss-epoch", Title: "Loss per epoch", Kind: KindLine, XName: "epoch", IntX: true, YName: "loss"}
	c.addSeries("train loss (data + L2)", StyleLine, x, col(func(e record.Epoch) float64 { return e.Loss }))
	c.addSeries("train data loss", StyleDashed, x, col(func(e record.Epoch) float64 { return e.DataLoss }))
	val := hasValidation(ep)
	if val {
		c.addSeries("validation loss", StyleLine, x, col(func(e record.Epoch) float64 { return e.ValLoss }))
	}
	c.addSeries("test loss", StyleLine, x, col(func(e record.Epoch) float64 { return e.TestLoss }))
	rc.LossEpoch = nonEmpty(c)

	c = &Chart{ID: "l2-epoch", Title: "L2 penalty term per epoch", Kind: KindLine, XName: "epoch", IntX: true, YName: "L2 term"}
	c.addSeries("L2 term", StyleLine, x, col(func(e record.Epoch) float64 { return e.L2Loss }))
	if hasL2(r) {
		rc.L2Epoch = nonEmpty(c)
	}

	c = &Chart{ID: "acc-epoch", Title: "Accuracy per epoch", Kind: KindLine, XName: "epoch", IntX: true, YName: "accuracy %", Percent: true,
		Note: "Train accuracy is the mean over each epoch's batches, while the weights were still changing and with the training images augmented; validation and test accuracy are measured after the epoch."}
	c.addSeries("train (mean over the epoch)", StyleLine, x, col(func(e record.Epoch) float64 { return 100 * e.TrainAcc }))
	if val {
		c.addSeries("validation", StyleLine, x, col(func(e record.Epoch) float64 { return 100 * e.ValAcc }))
	}
	c.addSeries("test", StyleLine, x, col(func(e record.Epoch) float64 { return 100 * e.TestAcc }))
	rc.AccEpoch = nonEmpty(c)
	if be := r.Status.BestEpoch; be > 0 && val {
		// The epoch whose weights the run kept, chosen by validation accuracy.
		for _, c := range []*Chart{rc.LossEpoch, rc.AccEpoch} {
			if c != nil {
				c.Marks = append(c.Marks, Mark{X: float64(be), Label: "best val epoch " + strconv.Itoa(be)})
			}
		}
	}

	st := r.Steps
	sx := make([]float64, len(st))
	scol := func(f func(s record.Step) float64) []float64 {
		v := make([]float64, len(st))
		for i, s := range st {
			v[i] = f(s)
		}
		return v
	}
	for i, s := range st {
		sx[i] = float64(s.Step)
	}
	c = &Chart{ID: "loss-step", Title: "Training loss per step", Kind: KindLine, XName: "step", IntX: true, YName: "loss", Zoom: true}
	c.addSeries("loss (data + L2)", StyleLine, sx, scol(func(s record.Step) float64 { return s.Loss }))
	c.addSeries("data loss", StyleLine, sx, scol(func(s record.Step) float64 { return s.DataLoss }))
	if hasL2(r) {
		c.addSeries("L2 term", StyleLine, sx, scol(func(s record.Step) float64 { return s.L2Loss }))
	}
	rc.LossStep = nonEmpty(c)

	c = &Chart{ID: "lr-step", Title: "Learning rate per step", Kind: KindLine, XName: "step", IntX: true, YName: "learning rate", Zoom: true}
	if len(st) > 0 {
		c.addSeries("learning rate", StyleLine, sx, scol(func(s record.Step) float64 { return s.LR }))
	} else if r.Analysis != nil && len(r.Analysis.LR) > 0 {
		lx := make([]float64, len(r.Analysis.LR))
		for i := range lx {
			lx[i] = float64(i + 1)
		}
		c.addSeries("learning rate", StyleLine, lx, r.Analysis.LR)
	}
	rc.LRStep = nonEmpty(c)

	used := map[string]bool{}
	for _, t := range r.Histograms.Tensors {
		if c := histogramChart(t, used); c != nil {
			rc.Histograms = append(rc.Histograms, c)
		}
	}

	if a := r.Analysis; a != nil {
		rc.Confusion = confusionChart(a)
		rc.ClassAcc = classAccChart(a)
	}
	return rc
}

// hasL2 reports whether any recorded loss has a non-zero L2 term.
func hasL2(r *record.Run) bool {
	for _, e := range r.Epochs {
		if e.L2Loss != 0 {
			return true
		}
	}
	for _, s := range r.Steps {
		if s.L2Loss != 0 {
			return true
		}
	}
	return false
}

// hasValidation reports whether a run evaluated validation images: a run
// trained on the whole training set (split val: 0) records none.
func hasValidation(epochs []record.Epoch) bool {
	return slices.ContainsFunc(epochs, record.Epoch.HasValidation)
}

func nonEmpty(c *Chart) *Chart {
	if c.empty() {
		return nil
	}
	return c
}

// histogramChart draws one tensor's value histograms, one series per
// epoch, as the share of the tensor's values in each bin: each epoch has
// bins of its own, spanning its values. The first and last epochs start
// switched on.
func histogramChart(t record.TensorHistogram, used map[string]bool) *Chart {
	c := &Chart{
		ID:    uniqueSlug("hist-"+t.Layer+"-"+t.Param, used),
		Title: fmt.Sprintf("%s %s", t.Layer, t.Param),
		Kind:  KindLine, XName: "value", YName: "share of values %", Percent: true,
	}
	n := min(len(t.Epochs), len(t.Counts))
	for i := 0; i < n; i++ {
		edges, counts := t.EdgesOf(i), t.Counts[i]
		if len(edges) < 2 || len(counts) != len(edges)-1 {
			continue // a malformed row; the page notes nothing to draw rather than lying
		}
		total := 0
		for _, k := range counts {
			total += k
		}
		if total == 0 {
			continue
		}
		ys := make([]float64, len(counts))
		for b, k := range counts {
			ys[b] = 100 * float64(k) / float64(total)
		}
		xs := binCentres(edges)
		if len(counts) == 1 {
			// One bin (every value alike, as biases start): a level from
			// edge to edge, which a single step point would not draw.
			xs, ys = []float64{edges[0], edges[1]}, []float64{ys[0], ys[0]}
		}
		s := c.addSeries("epoch "+strconv.Itoa(t.Epochs[i]), StyleStep, xs, ys)
		s.Hidden = i != 0 && i != n-1
		s.Hex = sequential(i, n) // light to dark as training goes on; never the same twice
	}
	c.Slider = len(c.Series) > 2
	return nonEmpty(c)
}

func binCentres(edges []float64) []float64 {
	c := make([]float64, len(edges)-1)
	for i := range c {
		c[i] = (edges[i] + edges[i+1]) / 2
	}
	return c
}

// className names class i, falling back to its number.
func className(classes []string, i int) string {
	if i >= 0 && i < len(classes) && classes[i] != "" {
		return classes[i]
	}
	return strconv.Itoa(i)
}

func confusionChart(a *record.Analysis) *Chart {
	n := len(a.Confusion)
	if n == 0 {
		return nil
	}
	c := &Chart{ID: "confusion", Title: "Confusion matrix (test set)", Kind: KindHeatmap, XName: "predicted", YName: "true"}
	for i := 0; i < n; i++ {
		c.XCats = append(c.XCats, className(a.Classes, i))
		c.YCats = append(c.YCats, className(a.Classes, i))
	}
	for t, row := range a.Confusion {
		for p, k := range row {
			if p >= n {
				continue
			}
			c.Cells = append(c.Cells, Cell{X: p, Y: t, Value: float64(k)})
		}
	}
	return nonEmpty(c)
}

func classAccChart(a *record.Analysis) *Chart {
	if len(a.ClassAcc) == 0 {
		return nil
	}
	c := &Chart{ID: "class-acc", Title: "Accuracy per class (test set)", Kind: KindBar, XName: "class", YName: "accuracy %", Percent: true}
	xs := make([]float64, len(a.ClassAcc))
	ys := make([]float64, len(a.ClassAcc))
	for i, v := range a.ClassAcc {
		c.XCats = append(c.XCats, className(a.Classes, i))
		xs[i] = float64(i)
		ys[i] = 100 * v
	}
	c.addSeries("accuracy", StyleBar, xs, ys)
	return nonEmpty(c)
}
