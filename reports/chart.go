package reports

import (
	"math"
	"strconv"

	"gonum.org/v1/gonum/stat"
)

// Chart is the data behind one chart, independent of how it is drawn. The
// site draws every Chart twice: as an interactive echarts chart in the page
// and as a PNG beside it.
type Chart struct {
	ID      string    `json:"id"` // unique within its page; also the PNG's file name
	Title   string    `json:"title"`
	Kind    ChartKind `json:"kind"` // KindLine, KindBar, KindHeatmap or KindParallel
	XName   string    `json:"x_name,omitempty"`
	YName   string    `json:"y_name,omitempty"`
	XCats   []string  `json:"x_categories,omitempty"` // a category x axis; points' X index it
	YCats   []string  `json:"y_categories,omitempty"` // heatmap rows
	Series  []Series  `json:"series,omitempty"`       // line and bar charts
	Cells   []Cell    `json:"cells,omitempty"`        // heatmaps
	Axes    []Axis    `json:"axes,omitempty"`         // parallel coordinates
	Rows    []Row     `json:"rows,omitempty"`         // parallel coordinates: one line each
	Zoom    bool      `json:"zoom,omitempty"`         // many points: offer a zoom slider
	Note    string    `json:"note,omitempty"`         // shown under the chart
	Percent bool      `json:"percent,omitempty"`      // y values are percentages
	IntX    bool      `json:"int_x,omitempty"`        // x values are counts (epochs, steps)
	Slider  bool      `json:"slider,omitempty"`       // a slider steps through the series (epochs) one at a time
	LogX    bool      `json:"log_x,omitempty"`        // a logarithmic x axis (positive x values)
	Marks   []Mark    `json:"marks,omitempty"`        // vertical lines across the plot, e.g. the best epoch
}

// Mark is a vertical line at X, named by Label.
type Mark struct {
	X     float64 `json:"x"`
	Label string  `json:"label"`
}

// ChartKind is the kind of a chart.
type ChartKind string

// Chart kinds.
const (
	KindLine     ChartKind = "line"
	KindBar      ChartKind = "bar"
	KindHeatmap  ChartKind = "heatmap"
	KindParallel ChartKind = "parallel"
)

// SeriesStyle is how a series is drawn.
type SeriesStyle string

// Series styles.
const (
	StyleLine   SeriesStyle = "line"
	StyleDashed SeriesStyle = "dashed"
	StylePoints SeriesStyle = "points"
	StyleStep   SeriesStyle = "step" // a histogram drawn as steps through bin centres
	StyleBar    SeriesStyle = "bar"
	StyleTick   SeriesStyle = "tick"  // a short level mark at each point, not joined: a value per category
	StyleRange  SeriesStyle = "range" // points in pairs (x, low), (x, high), each pair drawn as a vertical span
	StyleBand   SeriesStyle = "band"  // points in pairs (x, low), (x, high), x rising: a shaded band from low to high
)

// Dash is the pattern of a line, chosen to tell apart the values of a
// second swept key while colour tells those of the first.
type Dash string

// Dash patterns, in the order they are handed out.
const (
	DashSolid   Dash = ""
	DashDashed  Dash = "dashed"
	DashDotted  Dash = "dotted"
	DashDashDot Dash = "dashdot"
	DashLong    Dash = "long"
)

// dashes lists the patterns in the order they are handed out.
var dashes = []Dash{DashSolid, DashDashed, DashDotted, DashDashDot, DashLong}

// Series is one named set of points.
type Series struct {
	Name   string      `json:"name"`
	Style  SeriesStyle `json:"style"`
	Hidden bool        `json:"hidden,omitempty"` // starts switched off in the legend
	Color  int         `json:"color,omitempty"`  // 1-based palette index shared by related series; 0 = next free
	Hex    string      `json:"hex,omitempty"`    // the colour as #rrggbb, when set overriding Color
	Dash   Dash        `json:"dash,omitempty"`   // a line's pattern; StyleDashed lines are dashed whatever it says
	Best   *Point      `json:"best,omitempty"`   // a point of the line ringed: the best epoch
	Points []Point     `json:"points"`
}

// Point is one (x, y) pair; it reads and writes as [x, y].
type Point struct{ X, Y float64 }

// MarshalJSON writes a point as a two-number array with six significant digits.
func (p Point) MarshalJSON() ([]byte, error) {
	b := []byte{'['}
	b = appendNum(b, p.X)
	b = append(b, ',')
	b = appendNum(b, p.Y)
	return append(b, ']'), nil
}

func appendNum(b []byte, v float64) []byte {
	return strconv.AppendFloat(b, round6(v), 'g', -1, 64)
}

// round6 rounds to six significant digits, so that charts and golden files
// do not carry noise digits.
func round6(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	return f
}

// Cell is one heatmap cell: column X, row Y.
type Cell struct {
	X     int     `json:"x"`
	Y     int     `json:"y"`
	Value float64 `json:"value"`
	Label string  `json:"label,omitempty"` // text shown in the cell, e.g. "98.7 ± 0.2"
}

// Axis is one axis of a parallel-coordinates chart: categories, or numbers
// when Categories is empty.
type Axis struct {
	Name       string   `json:"name"`
	Categories []string `json:"categories,omitempty"`
}

// Row is one line of a parallel-coordinates chart: a value per axis (an
// index for a category axis).
type Row struct {
	Name   string    `json:"name"`
	Values []float64 `json:"values"`
}

// empty reports whether the chart has nothing to draw.
func (c *Chart) empty() bool {
	switch c.Kind {
	case KindHeatmap:
		return len(c.Cells) == 0
	case KindParallel:
		return len(c.Rows) == 0
	}
	for _, s := range c.Series {
		if len(s.Points) > 0 {
			return false
		}
	}
	return true
}

// addSeries appends a series built from (x, y) pairs, leaving out values
// that are not finite numbers.
func (c *Chart) addSeries(name string, style SeriesStyle, xs, ys []float64) *Series {
	s := Series{Name: name, Style: style}
	for i := range xs {
		if isFinite(xs[i]) && isFinite(ys[i]) {
			s.Points = append(s.Points, Point{xs[i], ys[i]})
		}
	}
	c.Series = append(c.Series, s)
	return &c.Series[len(c.Series)-1]
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// meanStd returns the mean and the sample standard deviation (0 for one
// value), as gonum's stat.MeanStdDev computes them.
func meanStd(vs []float64) (mean, std float64) {
	switch len(vs) {
	case 0:
		return 0, 0
	case 1:
		return vs[0], 0
	}
	return stat.MeanStdDev(vs, nil)
}
