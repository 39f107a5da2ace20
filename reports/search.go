package reports

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/cnnlab/cnnlab/runner/record"
)

// The search section of a sweep page: for a sweep whose points were drawn
// at random and trained by successive halving, the points drawn, each rung
// with the points that went on and those it stopped, and the metric the
// search ranks by against each sampled key. Everything comes from the run
// records: each run's status says which search it belongs to
// (record.Search), where it stopped (pruned at its Rung) and its epochs
// give the metric at each rung's epoch.

// searchView is the search section of a sweep page.
type searchView struct {
	Summary  string
	Metric   string   // the metric's name, for the table's heading
	Keys     []string // the sampled keys
	Rungs    []rungView
	Rows     []searchRow
	Charts   []chartView
	HasRungs bool
}

// rungView is one rung: its epochs and who went on and who stopped.
type rungView struct {
	Epochs  int
	Reached int
	WentOn  []searchLink
	Stopped []searchLink
	Waiting []searchLink // reached, not yet ranked
	Last    bool
}

type searchLink struct {
	Label, Href, Value string
}

// searchRow is one point of the search: its values and the metric at each
// rung it reached.
type searchRow struct {
	Label, Href string
	Values      []string
	AtRung      []rungCell
	State       string
}

type rungCell struct {
	Text  string
	Class string // "on", "stopped" or ""
}

// searchOf returns the search the experiment's runs record, or nil.
func searchOf(e *experiment) *record.Search {
	for _, r := range e.Runs {
		if s := r.Rec.Status.Search; s != nil {
			return s
		}
	}
	return nil
}

// metricAt returns the search metric of a run at the end of an epoch.
func metricAt(r *run, s *record.Search, epoch int) (float64, bool) {
	if epoch < 1 || epoch > len(r.Rec.Epochs) {
		return 0, false
	}
	ep := r.Rec.Epochs[epoch-1]
	if s.Metric == "val_loss" {
		return ep.ValLoss, true
	}
	return 100 * ep.ValAcc, true
}

// searchMetricText writes a value of the metric.
func searchMetricText(s *record.Search, v float64) string {
	if s.Metric == "val_loss" {
		return strconv.FormatFloat(v, 'f', 4, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + "%"
}

// searchMetricName names the metric the search ranks by.
func searchMetricName(s *record.Search) string {
	if s.Metric == "val_loss" {
		return "validation loss"
	}
	return "validation accuracy %"
}

// lastMetric is the metric of a run at the last rung it reached, or, for a
// search without rungs (or a run short of its first), at its last epoch.
func lastMetric(r *run, s *record.Search) (value float64, epoch int, ok bool) {
	epochs := len(r.Rec.Epochs)
	for i := len(s.Rungs) - 1; i >= 0; i-- {
		if s.Rungs[i] <= epochs {
			v, ok := metricAt(r, s, s.Rungs[i])
			return v, s.Rungs[i], ok
		}
	}
	if len(s.Rungs) > 0 {
		return 0, 0, false
	}
	v, ok := metricAt(r, s, epochs)
	return v, epochs, ok
}

// buildSearch builds the search section, or returns nil for a sweep that
// is not a search.
func (b *builder) buildSearch(p *page, e *experiment) *searchView {
	s := searchOf(e)
	if s == nil {
		return nil
	}
	v := &searchView{Metric: searchMetricName(s), HasRungs: len(s.Rungs) > 0, Keys: s.Sampled}
	var parts []string
	if len(s.Sampled) > 0 {
		keys := make([]string, len(s.Sampled))
		for i, k := range s.Sampled {
			keys[i] = k
			if slices.Contains(s.LogKeys, k) {
				keys[i] += " (log-uniform)"
			}
		}
		parts = append(parts, fmt.Sprintf("%d points drawn at random over %s", len(e.Runs), strings.Join(keys, ", ")))
	}
	if len(s.Rungs) > 0 {
		rs := make([]string, len(s.Rungs))
		for i, r := range s.Rungs {
			rs[i] = strconv.Itoa(r)
		}
		parts = append(parts, fmt.Sprintf("successive halving by %s: at rungs of %s epochs the best 1/%d of the points went on from their checkpoints, on the learning-rate schedule of %s epochs",
			s.Metric, strings.Join(rs, ", "), s.Factor, rs[len(rs)-1]))
	}
	v.Summary = strings.Join(parts, "; ") + "."

	link := func(r *run, val string) searchLink {
		return searchLink{Label: r.Label, Href: r.Slug + "/index.html", Value: val}
	}
	for k, epochs := range s.Rungs {
		rv := rungView{Epochs: epochs, Last: k == len(s.Rungs)-1}
		type ranked struct {
			r *run
			v float64
		}
		var at []ranked
		for _, r := range e.Runs {
			if val, ok := metricAt(r, s, epochs); ok {
				at = append(at, ranked{r, val})
			}
		}
		slices.SortStableFunc(at, func(a, b ranked) int {
			if s.Metric == "val_loss" {
				return cmp.Compare(a.v, b.v)
			}
			return cmp.Compare(b.v, a.v)
		})
		rv.Reached = len(at)
		for _, x := range at {
			st := x.r.Rec.Status
			l := link(x.r, searchMetricText(s, x.v))
			switch {
			case st.State == record.StatePruned && st.Rung == epochs:
				rv.Stopped = append(rv.Stopped, l)
			case len(x.r.Rec.Epochs) > epochs || rv.Last:
				rv.WentOn = append(rv.WentOn, l)
			default:
				rv.Waiting = append(rv.Waiting, l)
			}
		}
		v.Rungs = append(v.Rungs, rv)
	}
	for _, r := range e.Runs {
		row := searchRow{Label: r.Label, Href: r.Slug + "/index.html", State: string(r.State())}
		for _, k := range s.Sampled {
			row.Values = append(row.Values, valueOr(r.Value, k))
		}
		for k, epochs := range s.Rungs {
			val, ok := metricAt(r, s, epochs)
			if !ok {
				row.AtRung = append(row.AtRung, rungCell{Text: "–"})
				continue
			}
			c := rungCell{Text: searchMetricText(s, val)}
			if st := r.Rec.Status; st.State == record.StatePruned && st.Rung == epochs {
				c.Class = "stopped"
			} else if len(r.Rec.Epochs) > epochs || k == len(s.Rungs)-1 {
				c.Class = "on"
			}
			row.AtRung = append(row.AtRung, c)
		}
		v.Rows = append(v.Rows, row)
	}
	v.Charts = b.charts(p, e.Slug, searchCharts(e, s))
	return v
}

// searchCharts plots the metric against each sampled key (a log axis for
// a log-uniform key, categories for a key of names), one series per rung
// the points stopped at, and the metric at each rung.
func searchCharts(e *experiment, s *record.Search) []*Chart {
	var out []*Chart
	used := map[string]bool{}
	outcome := func(r *run) (string, int) {
		st := r.Rec.Status
		if st.State == record.StatePruned {
			i := slices.Index(s.Rungs, st.Rung)
			return "stopped at " + plural(st.Rung, "epoch"), i + 1
		}
		if len(s.Rungs) > 0 && len(r.Rec.Epochs) >= s.Rungs[len(s.Rungs)-1] {
			return "trained to " + plural(len(r.Rec.Epochs), "epoch"), len(s.Rungs) + 1
		}
		if len(s.Rungs) == 0 {
			return "points", 1
		}
		return "under way", len(s.Rungs) + 2
	}
	for _, k := range s.Sampled {
		name := e.KeyNames[k]
		if name == "" {
			name = k
		}
		c := &Chart{ID: uniqueSlug("search-"+name, used), Title: fmt.Sprintf("%s against %s", capitalise(searchMetricName(s)), name),
			Kind: KindLine, XName: k, YName: searchMetricName(s), Percent: s.Metric != "val_loss", LogX: slices.Contains(s.LogKeys, k)}
		numeric := true
		for _, r := range e.Runs {
			if _, err := strconv.ParseFloat(valueOr(r.Value, k), 64); err != nil {
				numeric = false
			}
		}
		if !numeric {
			c.XCats = keyValues(e.Runs, k)
		}
		type series struct {
			name   string
			order  int
			xs, ys []float64
		}
		var groups []*series
		for _, r := range e.Runs {
			val, _, ok := lastMetric(r, s)
			if !ok {
				continue
			}
			x := 0.0
			if numeric {
				x, _ = strconv.ParseFloat(valueOr(r.Value, k), 64)
			} else {
				x = float64(slices.Index(c.XCats, valueOr(r.Value, k)))
			}
			n, order := outcome(r)
			i := slices.IndexFunc(groups, func(g *series) bool { return g.name == n })
			if i < 0 {
				groups = append(groups, &series{name: n, order: order})
				i = len(groups) - 1
			}
			groups[i].xs, groups[i].ys = append(groups[i].xs, x), append(groups[i].ys, val)
		}
		slices.SortStableFunc(groups, func(a, b *series) int { return a.order - b.order })
		for _, g := range groups {
			c.addSeries(g.name, StylePoints, g.xs, g.ys).Color = g.order
		}
		if len(s.Rungs) > 0 {
			c.Note = "Each point at the " + searchMetricName(s) + " of the last rung it reached, the value the search ranked it by."
		} else {
			c.Note = "Each point at its " + searchMetricName(s) + " after its last epoch."
		}
		if nonEmpty(c) != nil {
			out = append(out, c)
		}
	}
	if len(s.Rungs) > 1 {
		c := &Chart{ID: uniqueSlug("search-rungs", used), Title: capitalise(searchMetricName(s)) + " at each rung, the points past the first",
			Kind: KindLine, XName: "epoch", IntX: true, YName: searchMetricName(s), Percent: s.Metric != "val_loss",
			Note: "A line ends at the rung where the search stopped its point; the points stopped at the first rung are in the charts above."}
		for i, r := range e.Runs {
			var xs, ys []float64
			for _, epochs := range s.Rungs {
				if v, ok := metricAt(r, s, epochs); ok {
					xs, ys = append(xs, float64(epochs)), append(ys, v)
				}
			}
			if len(xs) > 1 {
				c.addSeries(r.Label, StyleLine, xs, ys).Color = i + 1
			}
		}
		if nonEmpty(c) != nil {
			out = append(out, c)
		}
	}
	return out
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
