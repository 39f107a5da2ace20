package reports

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/cnnlab/cnnlab/runner/record"
)

// sweepCharts holds the charts of a sweep page. A chart with no data is nil.
type sweepCharts struct {
	ValAcc   *Chart   // validation accuracy of every run per epoch
	Loss     *Chart   // training loss of every run per epoch
	ByKey    []*Chart // best validation accuracy against each swept key
	Grid     *Chart   // heatmap of two swept keys
	Parallel *Chart   // three swept keys or more
	Points   *Chart   // every point of a sweep with named alternatives
	Weights  []*Chart // weight distributions where L2 varies
}

func (sc *sweepCharts) all() []*Chart {
	var out []*Chart
	for _, c := range []*Chart{sc.ValAcc, sc.Loss} {
		if c != nil {
			out = append(out, c)
		}
	}
	out = append(out, sc.ByKey...)
	for _, c := range []*Chart{sc.Grid, sc.Parallel, sc.Points} {
		if c != nil {
			out = append(out, c)
		}
	}
	return append(out, sc.Weights...)
}

// metricName names the figure the sweep charts compare runs by: the
// validation accuracy of each run's best epoch, the figure each run chose
// its checkpoint by. The test set only reports on a choice; ranking
// settings by it would choose them on the test set.
const metricName = "best validation accuracy %"

func buildSweepCharts(e *experiment) *sweepCharts {
	sc := &sweepCharts{}
	va := &Chart{ID: "curves-val-acc", Title: "Validation accuracy per epoch, every point", Kind: KindLine, XName: "epoch", IntX: true, YName: "validation accuracy %", Percent: true}
	lo := &Chart{ID: "curves-loss", Title: "Training data loss per epoch, every point", Kind: KindLine, XName: "epoch", IntX: true, YName: "data loss"}
	looks, note := pointLooks(e, e.Runs)
	replicated := false
	for _, pt := range e.points(e.Runs) {
		l := looks[pt.name]
		if len(pt.runs) > 1 {
			replicated = true
		}
		for _, c := range []struct {
			chart *Chart
			value func(record.Epoch) float64
		}{
			{va, func(ep record.Epoch) float64 { return 100 * ep.ValAcc }},
			{lo, func(ep record.Epoch) float64 { return ep.DataLoss }},
		} {
			if c.chart == va && !hasValidation(pt.runs[0].Rec.Epochs) {
				continue
			}
			s := addSeedCurve(c.chart, pt, l, c.value)
			if s != nil && c.chart == va {
				// Ring the epoch of highest (mean) validation accuracy.
				for _, p := range s.Points {
					if s.Best == nil || p.Y > s.Best.Y {
						s.Best = &Point{p.X, p.Y}
					}
				}
			}
		}
		for _, r := range pt.runs {
			for _, ep := range r.Rec.Epochs {
				if ep.L2Loss != 0 {
					lo.Note = "The loss without its L2 term (the penalty), which each run's page shows."
				}
			}
		}
	}
	if replicated {
		note = strings.TrimSpace("Each line is the mean over a point's seeds, the band around it mean ± standard deviation. " + note)
	}
	addNote(va, "A ring marks each point's best validation epoch.")
	addNote(va, note)
	addNote(lo, note)
	sc.ValAcc, sc.Loss = nonEmpty(va), nonEmpty(lo)

	var done []*run
	for _, r := range e.Runs {
		if r.HasResult {
			done = append(done, r)
		}
	}
	// The grid charts compare the grid points; named alternatives beside
	// the grid have a chart of their own.
	grid, keys := done, e.GridKeys
	gridNote := ""
	if len(e.Alternatives) > 0 {
		grid = nil
		for _, r := range done {
			if !e.isAlternative(r) {
				grid = append(grid, r)
			}
		}
		gridNote = fmt.Sprintf("Grid points only: the named alternatives (%s) are compared with them in “%s”.",
			strings.Join(e.Alternatives, ", "), pointsTitle)
		sc.Points = pointsChart(e, done)
	}
	used := map[string]bool{}
	for _, k := range keys {
		if c := byKeyChart(e, k, keys, grid, used); c != nil {
			sc.ByKey = append(sc.ByKey, addNote(c, gridNote))
		}
	}
	if len(keys) == 2 {
		sc.Grid = addNote(gridChart(e, keys[0], keys[1], grid), gridNote)
	}
	if len(keys) >= 3 {
		sc.Parallel = addNote(parallelChart(e, keys, grid), gridNote)
	}
	for _, k := range e.Keys {
		if isL2Key(k) {
			sc.Weights = weightCharts(e, k)
			break
		}
	}
	return sc
}

// sweepPoint is one point of a sweep and its runs, one per seed.
type sweepPoint struct {
	name string
	runs []*run
}

// points groups runs by the point of the sweep they replicate, in the order
// of their first run.
func (e *experiment) points(runs []*run) []sweepPoint {
	var out []sweepPoint
	at := map[string]int{}
	for _, r := range runs {
		n := e.pointName(r)
		i, ok := at[n]
		if !ok {
			i = len(out)
			at[n] = i
			out = append(out, sweepPoint{name: n})
		}
		out[i].runs = append(out[i].runs, r)
	}
	return out
}

// addSeedCurve adds a point's curve of one figure per epoch to c: the run's
// own line for a point of one run; for a replicated point, the mean over
// the seeds that reached each epoch, and a band of mean ± standard
// deviation, named alike so that the legend shows and hides them together.
func addSeedCurve(c *Chart, pt sweepPoint, l look, value func(record.Epoch) float64) *Series {
	name := pt.name
	if name == "" {
		name = pt.runs[0].Label
	}
	if len(pt.runs) == 1 {
		r := pt.runs[0]
		x := make([]float64, len(r.Rec.Epochs))
		y := make([]float64, len(x))
		for j, ep := range r.Rec.Epochs {
			x[j], y[j] = float64(ep.Epoch), value(ep)
		}
		s := c.addSeries(name, StyleLine, x, y)
		s.Hex, s.Dash = l.Hex, l.Dash
		return s
	}
	byEpoch := map[int][]float64{}
	for _, r := range pt.runs {
		for _, ep := range r.Rec.Epochs {
			if v := value(ep); isFinite(v) {
				byEpoch[ep.Epoch] = append(byEpoch[ep.Epoch], v)
			}
		}
	}
	epochs := slices.Sorted(maps.Keys(byEpoch))
	var x, mean []float64
	band := Series{Name: name, Style: StyleBand, Hex: l.Hex}
	for _, ep := range epochs {
		m, sd := meanStd(byEpoch[ep])
		x, mean = append(x, float64(ep)), append(mean, m)
		band.Points = append(band.Points, Point{float64(ep), m - sd}, Point{float64(ep), m + sd})
	}
	c.addSeries(name, StyleLine, x, mean)
	i := len(c.Series) - 1
	c.Series[i].Hex, c.Series[i].Dash = l.Hex, l.Dash
	if len(band.Points) > 0 {
		c.Series = append(c.Series, band)
	}
	return &c.Series[i]
}

// keyValues lists the values key k takes among runs, sorted.
func keyValues(runs []*run, k string) []string {
	seen := map[string]bool{}
	var vs []string
	for _, r := range runs {
		v := valueOr(r.Value, k)
		if !seen[v] {
			seen[v] = true
			vs = append(vs, v)
		}
	}
	sortValues(vs)
	return vs
}

// byKeyChart plots the best validation accuracy of finished runs against one key's
// values: every run as a point, the mean over runs sharing the value as a
// line, and mean ± standard deviation when a value has several runs.
// keys are the keys the sweep's charts compare.
func byKeyChart(e *experiment, k string, keys []string, done []*run, used map[string]bool) *Chart {
	if len(done) == 0 {
		return nil
	}
	name := e.KeyNames[k]
	vals := keyValues(done, k)
	c := &Chart{
		ID: uniqueSlug("vs-"+name, used), Title: fmt.Sprintf("Best validation accuracy against %s", name),
		Kind: KindLine, XName: k, YName: metricName, XCats: vals, Percent: true,
	}
	groups := make([][]float64, len(vals))
	var px, py []float64
	for _, r := range done {
		i := slices.Index(vals, valueOr(r.Value, k))
		groups[i] = append(groups[i], 100*r.BestVal)
		px, py = append(px, float64(i)), append(py, 100*r.BestVal)
	}
	xs := make([]float64, len(vals))
	mean := make([]float64, len(vals))
	lo := make([]float64, len(vals))
	hi := make([]float64, len(vals))
	replicated := false
	for i, g := range groups {
		xs[i] = float64(i)
		m, s := meanStd(g)
		mean[i], lo[i], hi[i] = m, m-s, m+s
		replicated = replicated || len(g) > 1
	}
	addMeans(c, numeric(vals), replicated, xs, mean, lo, hi)
	if replicated {
		c.Note = fmt.Sprintf("Mean and standard deviation of the finished runs at each value (%d runs in all)", len(done))
		if len(keys) > 1 {
			c.Note += " (other swept keys vary within each value)"
		}
		c.Note += "."
	}
	c.addSeries("runs", StylePoints, px, py).Color = 2
	return c
}

// addMeans adds to c the mean at each x and, when replicated, mean ± std.
// Along an ordered axis (numbers) they are a line and a band around it; along an axis of names,
// whose order means nothing, each category gets a level mark for its mean
// and a vertical span for mean ± std, joined to no other category.
func addMeans(c *Chart, ordered, replicated bool, xs, mean, lo, hi []float64) {
	if ordered {
		c.addSeries("mean", StyleLine, xs, mean).Color = 1
		if replicated {
			band := Series{Name: "mean ± std", Style: StyleBand, Color: 1}
			for i := range xs {
				if isFinite(xs[i]) && isFinite(lo[i]) && isFinite(hi[i]) {
					band.Points = append(band.Points, Point{xs[i], lo[i]}, Point{xs[i], hi[i]})
				}
			}
			c.Series = append(c.Series, band)
		}
		return
	}
	c.addSeries("mean", StyleTick, xs, mean).Color = 1
	if !replicated {
		return
	}
	span := Series{Name: "mean ± std", Style: StyleRange, Color: 1}
	for i := range xs {
		if isFinite(xs[i]) && isFinite(lo[i]) && isFinite(hi[i]) {
			span.Points = append(span.Points, Point{xs[i], lo[i]}, Point{xs[i], hi[i]})
		}
	}
	c.Series = append(c.Series, span)
}

// numeric reports whether every value reads as a number, so that their
// sorted order means something.
func numeric(vals []string) bool {
	for _, v := range vals {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return false
		}
	}
	return true
}

// gridChart is a heatmap of the mean test accuracy over two keys.
func gridChart(e *experiment, kx, ky string, done []*run) *Chart {
	if len(done) == 0 {
		return nil
	}
	xv, yv := keyValues(done, kx), keyValues(done, ky)
	c := &Chart{
		ID: "grid", Title: fmt.Sprintf("Best validation accuracy: %s × %s", e.KeyNames[kx], e.KeyNames[ky]),
		Kind: KindHeatmap, XName: kx, YName: ky, XCats: xv, YCats: yv, Percent: true,
		Note: "Mean best validation accuracy % over the finished runs of each cell, ± standard deviation over seeds.",
	}
	cells := map[[2]int][]float64{}
	for _, r := range done {
		key := [2]int{slices.Index(xv, valueOr(r.Value, kx)), slices.Index(yv, valueOr(r.Value, ky))}
		cells[key] = append(cells[key], 100*r.BestVal)
	}
	for y := range yv {
		for x := range xv {
			g, ok := cells[[2]int{x, y}]
			if !ok {
				continue
			}
			m, s := meanStd(g)
			label := strconv.FormatFloat(m, 'f', 2, 64)
			if len(g) > 1 {
				label += " ± " + strconv.FormatFloat(s, 'f', 2, 64)
			}
			c.Cells = append(c.Cells, Cell{X: x, Y: y, Value: round6(m), Label: label})
		}
	}
	return nonEmpty(c)
}

// parallelChart draws every finished run as a line through one axis per
// key and a last axis for the test accuracy.
func parallelChart(e *experiment, keys []string, done []*run) *Chart {
	c := &Chart{ID: "parallel", Title: "Swept keys and best validation accuracy, one line per run", Kind: KindParallel, Percent: true}
	vals := map[string][]string{}
	for _, k := range keys {
		vals[k] = keyValues(done, k)
		c.Axes = append(c.Axes, Axis{Name: e.KeyNames[k], Categories: vals[k]})
	}
	c.Axes = append(c.Axes, Axis{Name: metricName})
	for _, r := range done {
		row := Row{Name: r.Label}
		for _, k := range keys {
			row.Values = append(row.Values, float64(slices.Index(vals[k], valueOr(r.Value, k))))
		}
		row.Values = append(row.Values, round6(100*r.BestVal))
		c.Rows = append(c.Rows, row)
	}
	return nonEmpty(c)
}

// pointsTitle is the title of the chart of every point of a sweep.
const pointsTitle = "Best validation accuracy of every point"

// pointsChart compares every point of a sweep that has named alternatives
// beside its grid: one category per point, the grid points first (named by
// their values) and the alternatives after them (by name), each with the
// mean test accuracy of its finished runs, mean ± standard deviation when
// replicated, and every run as a dot.
func pointsChart(e *experiment, done []*run) *Chart {
	if len(done) == 0 {
		return nil
	}
	c := &Chart{ID: "points", Title: pointsTitle, Kind: KindLine, YName: metricName, Percent: true}
	var groups [][]float64
	var px, py []float64
	for _, r := range done { // runs are sorted: grid points first
		name := e.pointName(r)
		if name == "" {
			name = "grid" // a grid of one point
		}
		i := slices.Index(c.XCats, name)
		if i < 0 {
			i = len(c.XCats)
			c.XCats = append(c.XCats, name)
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], 100*r.BestVal)
		px, py = append(px, float64(i)), append(py, 100*r.BestVal)
	}
	n := len(c.XCats)
	xs, mean, lo, hi := make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	replicated := false
	for i, g := range groups {
		m, s := meanStd(g)
		xs[i], mean[i], lo[i], hi[i] = float64(i), m, m-s, m+s
		replicated = replicated || len(g) > 1
	}
	addMeans(c, false, replicated, xs, mean, lo, hi)
	c.addSeries("runs", StylePoints, px, py).Color = 2
	what := "Best validation accuracy of each run"
	if replicated {
		what = "Mean and standard deviation of the best validation accuracy over each point's finished runs"
	}
	c.Note = fmt.Sprintf("%s (%d runs in all): the grid points first, then the named alternatives.", what, len(done))
	return c
}

// addNote appends a sentence to a chart's note; a nil chart stays nil.
func addNote(c *Chart, note string) *Chart {
	if c == nil || note == "" {
		return c
	}
	if c.Note != "" {
		c.Note += " "
	}
	c.Note += note
	return c
}

// weightCharts compares, for every weight tensor, the last recorded weight
// distribution of the first replicate of each run, as densities so that
// different bin edges compare.
func weightCharts(e *experiment, l2Key string) []*Chart {
	type tensor struct{ layer, param string }
	var order []tensor
	charts := map[tensor]*Chart{}
	used := map[string]bool{}
	looks, note := pointLooks(e, e.Runs)
	for _, r := range e.Runs {
		if r.Rec.Status.Replicate != 0 {
			continue
		}
		for _, t := range r.Rec.Histograms.Tensors {
			last := len(t.Counts) - 1
			if t.Param != "weights" || last < 0 || len(t.EdgesOf(last)) < 2 {
				continue
			}
			key := tensor{t.Layer, t.Param}
			c := charts[key]
			if c == nil {
				c = &Chart{
					ID: uniqueSlug("weights-"+t.Layer, used), Title: fmt.Sprintf("%s weights, last epoch, by %s", t.Layer, e.KeyNames[l2Key]),
					Kind: KindLine, XName: "weight", YName: "density", Note: note,
				}
				charts[key] = c
				order = append(order, key)
			}
			xs, ys := density(t.EdgesOf(last), t.Counts[last])
			name := e.pointName(r)
			if name == "" {
				name = r.Label
			}
			s := c.addSeries(name, StyleStep, xs, ys)
			s.Hex, s.Dash = looks[e.pointName(r)].Hex, looks[e.pointName(r)].Dash
		}
	}
	var out []*Chart
	for _, k := range order {
		if c := nonEmpty(charts[k]); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// density turns histogram counts into a density: count / (total × bin width).
func density(edges []float64, counts []int) (xs, ys []float64) {
	if len(counts) != len(edges)-1 {
		return nil, nil
	}
	total := 0
	for _, k := range counts {
		total += k
	}
	if total == 0 {
		return nil, nil
	}
	xs = binCentres(edges)
	ys = make([]float64, len(counts))
	for i, k := range counts {
		if w := edges[i+1] - edges[i]; w > 0 {
			ys[i] = float64(k) / (float64(total) * w)
		}
	}
	return xs, ys
}
