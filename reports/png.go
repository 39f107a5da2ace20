package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// PNG size and resolution of saved charts: 8×4.5 inches at 120 dpi.
const (
	pngWidth  = 8 * vg.Inch
	pngHeight = 4.5 * vg.Inch
	pngDPI    = 120
)

// chartPNG draws a chart as a PNG with gonum/plot, for pasting into a
// write-up. Series switched off in the legend by default are left out.
func chartPNG(c *Chart) ([]byte, error) {
	r, err := renderPNG(c)
	if err != nil {
		return nil, err
	}
	return r.png, nil
}

// renderedPNG is a drawn chart and where its parts went on the canvas.
type renderedPNG struct {
	png     []byte
	plot    *plot.Plot
	data    draw.Canvas   // the data area the curves were drawn in
	legend  vg.Rectangle  // the legend's box; empty when there is none
	place   legendPlace   // where the legend went
	entries []legendEntry // what the legend lists
}

func renderPNG(c *Chart) (*renderedPNG, error) {
	p := plot.New()
	p.Title.TextStyle.Font = sans(13)
	p.X.Label.TextStyle.Font, p.Y.Label.TextStyle.Font = sans(11), sans(11)
	p.X.Tick.Label.Font, p.Y.Tick.Label.Font = sans(10), sans(10)
	p.Title.Padding = vg.Points(6)
	p.Title.Text = c.Title
	p.X.Label.Text = c.XName
	p.Y.Label.Text = c.YName
	p.Add(plotter.NewGrid())
	d := &drawn{plot: p}
	var err error
	switch c.Kind {
	case KindBar:
		err = drawBars(d, c)
	case KindHeatmap:
		err = drawHeatmap(p, c)
	case KindParallel:
		err = drawParallel(p, c)
	default:
		err = drawLines(d, c)
	}
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", c.ID, err)
	}
	if c.Kind == KindLine {
		fitY(p, c)
	}
	for _, m := range c.Marks {
		p.Add(vline{x: m.X, label: m.Label})
		// The legend keeps clear of the line and its label.
		d.marks = append(d.marks, mark{pts: plotter.XYs{{X: m.X, Y: p.Y.Min}, {X: m.X, Y: p.Y.Max}}, joined: true, reach: vg.Points(2)})
	}
	canvas := vgimg.NewWith(vgimg.UseWH(pngWidth, pngHeight), vgimg.UseDPI(pngDPI))
	lay := layoutLegend(d, draw.New(canvas))
	if lay.place == legendBelow {
		// Too many names for a column beside the plot: they go below it,
		// in columns, on a taller picture.
		canvas = vgimg.NewWith(vgimg.UseWH(pngWidth, pngHeight+lay.legend.Size().Y), vgimg.UseDPI(pngDPI))
		lay = layoutBelow(d, draw.New(canvas))
	}
	p.Draw(lay.plotArea)
	if lay.place == legendBelow {
		drawLegendColumns(draw.New(canvas), lay.legend, d.legend, lay.cols)
	} else {
		drawLegend(draw.New(canvas), lay.legend, d.legend, lay.place != legendOutside)
	}
	// Encoded for speed: a chart of a big sweep's site is drawn thousands of
	// times, and the best compression costs twice the time for 10% less.
	b, err := encodePNG(canvas.Image())
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", c.ID, err)
	}
	return &renderedPNG{png: b, plot: p, data: lay.data, legend: lay.legend, place: lay.place, entries: d.legend}, nil
}

// drawn is a plot being built, with what its legend lists and the data it
// draws, kept so that the legend can be put where it covers none of it.
type drawn struct {
	plot   *plot.Plot
	legend []legendEntry
	marks  []mark
}

// legendEntry is one line of a saved chart's legend.
type legendEntry struct {
	name  string
	thumb plot.Thumbnailer
}

// mark is data drawn on a chart, in data coordinates.
type mark struct {
	pts    plotter.XYs
	joined bool      // a line through pts; otherwise separate points
	reach  vg.Length // how far ink reaches past the geometry: half a line's width, a glyph's radius
	barW   vg.Length // when above zero, each point is a bar this wide from y = 0
	barOff vg.Length // bars: shift right from the category's centre
}

// midSteps is the path plotter.MidStep draws through pts.
func midSteps(pts plotter.XYs) plotter.XYs {
	if len(pts) == 0 {
		return nil
	}
	out := plotter.XYs{pts[0]}
	for i := 1; i < len(pts); i++ {
		mid := (pts[i-1].X + pts[i].X) / 2
		out = append(out, plotter.XY{X: mid, Y: pts[i-1].Y}, plotter.XY{X: mid, Y: pts[i].Y}, pts[i])
	}
	return out
}

// legendPlace says where a legend was put.
type legendPlace int

const (
	legendNone legendPlace = iota
	legendTopRight
	legendTopLeft
	legendBottomRight
	legendBottomLeft
	legendOutside // a column right of the plot
	legendBelow   // columns below the plot
)

func (l legendPlace) String() string {
	return [...]string{"none", "top right", "top left", "bottom right", "bottom left", "outside right", "below"}[l]
}

// legendText is the style of legend names, placed by their top left corner.
var legendText = text.Style{Font: sans(10), Handler: plot.DefaultTextHandler, YAlign: draw.YTop}

// Legend geometry, in points: the width of a series' sample, the space
// between a sample and its name, the padding inside the legend's box, the
// gap kept between the box and the data area's edges or any data, and the
// widest a name may run before it wraps.
const (
	legendThumb   = 20
	legendSpace   = 4
	legendPad     = 4
	legendGap     = 3
	legendMaxText = 2 * vg.Inch
	// tickOverhang is room right of the plot for the last x tick label.
	tickOverhang = 12
)

// legendLayout is where a chart's plot and legend go on the canvas.
type legendLayout struct {
	plotArea draw.Canvas
	data     draw.Canvas
	legend   vg.Rectangle
	place    legendPlace
	cols     int // legendBelow: columns of names
}

// layoutLegend puts the legend in the first corner of the data area (top
// right, top left, bottom right, bottom left) where its box covers no data,
// and when every corner holds some, in a column right of the plot, which
// then narrows to make room.
func layoutLegend(d *drawn, full draw.Canvas) legendLayout {
	p := d.plot
	area := draw.Crop(full, 0, -vg.Points(tickOverhang), 0, 0)
	if len(d.legend) == 0 {
		return legendLayout{plotArea: area, data: p.DataCanvas(area)}
	}
	w, h := legendSize(d.legend)
	data := p.DataCanvas(area)
	trX, trY := p.Transforms(&data)
	in := data.Rectangle
	in.Min.X += legendGap
	in.Min.Y += legendGap
	in.Max.X -= legendGap
	in.Max.Y -= legendGap
	if w <= in.Size().X && h <= in.Size().Y {
		corners := []struct {
			place legendPlace
			min   vg.Point
		}{
			{legendTopRight, vg.Point{X: in.Max.X - w, Y: in.Max.Y - h}},
			{legendTopLeft, vg.Point{X: in.Min.X, Y: in.Max.Y - h}},
			{legendBottomRight, vg.Point{X: in.Max.X - w, Y: in.Min.Y}},
			{legendBottomLeft, vg.Point{X: in.Min.X, Y: in.Min.Y}},
		}
		for _, c := range corners {
			box := vg.Rectangle{Min: c.min, Max: vg.Point{X: c.min.X + w, Y: c.min.Y + h}}
			if !coversData(box, d.marks, trX, trY) {
				return legendLayout{plotArea: area, data: data, legend: box, place: c.place}
			}
		}
	}
	area = draw.Crop(full, 0, -(w + vg.Points(tickOverhang+legendPad)), 0, 0)
	data = p.DataCanvas(area)
	minX := area.Max.X + vg.Points(tickOverhang)
	box := vg.Rectangle{Min: vg.Point{X: minX, Y: data.Max.Y - h}, Max: vg.Point{X: minX + w, Y: data.Max.Y}}
	if h > full.Max.Y-full.Min.Y || w > (full.Max.X-full.Min.X)/2 {
		_, bh, cols := belowSize(d.legend, full.Max.X-full.Min.X)
		return legendLayout{legend: vg.Rectangle{Max: vg.Point{X: full.Max.X, Y: bh}}, place: legendBelow, cols: cols}
	}
	return legendLayout{plotArea: area, data: data, legend: box, place: legendOutside}
}

// belowSize is the size of a legend laid out in columns across a width,
// and the number of columns.
func belowSize(entries []legendEntry, width vg.Length) (w, h vg.Length, cols int) {
	colW := vg.Length(0)
	for _, e := range entries {
		colW = max(colW, legendText.Width(legendLines(e.name)))
	}
	colW += legendThumb + legendSpace + 3*legendPad
	cols = max(1, int((width-2*legendPad)/colW))
	rows := (len(entries) + cols - 1) / cols
	lineH := vg.Length(0)
	for _, e := range entries {
		lineH = max(lineH, legendText.Height(legendLines(e.name)))
	}
	return width, vg.Length(rows)*lineH + 2*legendPad, cols
}

// layoutBelow puts the legend in columns along the bottom of full and the
// plot above it.
func layoutBelow(d *drawn, full draw.Canvas) legendLayout {
	_, h, cols := belowSize(d.legend, full.Max.X-full.Min.X)
	area := draw.Crop(full, 0, -vg.Points(tickOverhang), h, 0)
	box := vg.Rectangle{Min: full.Min, Max: vg.Point{X: full.Max.X, Y: full.Min.Y + h}}
	return legendLayout{plotArea: area, data: d.plot.DataCanvas(area), legend: box, place: legendBelow, cols: cols}
}

// drawLegendColumns draws the entries in box, column after column, each
// line as tall as the tallest name.
func drawLegendColumns(c draw.Canvas, box vg.Rectangle, entries []legendEntry, cols int) {
	if len(entries) == 0 {
		return
	}
	rows := (len(entries) + cols - 1) / cols
	lineH := vg.Length(0)
	for _, e := range entries {
		lineH = max(lineH, legendText.Height(legendLines(e.name)))
	}
	colW := (box.Max.X - box.Min.X - 2*legendPad) / vg.Length(cols)
	for i, e := range entries {
		x := box.Min.X + legendPad + vg.Length(i/rows)*colW
		top := box.Max.Y - legendPad - vg.Length(i%rows)*lineH
		h := legendText.Height("x")
		icon := &draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{Min: vg.Point{X: x, Y: top - h}, Max: vg.Point{X: x + legendThumb, Y: top}}}
		e.thumb.Thumbnail(icon)
		c.FillText(legendText, vg.Point{X: x + legendThumb + legendSpace, Y: top}, legendLines(e.name))
	}
}

// fitY makes the y axis of a line chart span its data with room: a
// constant series (a learning rate that never changes) gets an axis around
// its value rather than one whose minimum equals its maximum, and a
// percentage never runs past 0 or 100 when the data does not.
func fitY(p *plot.Plot, c *Chart) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		if s.Hidden {
			continue
		}
		for _, pt := range s.Points {
			lo, hi = math.Min(lo, pt.Y), math.Max(hi, pt.Y)
		}
	}
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return
	}
	if hi == lo {
		d := math.Abs(lo) * 0.1
		if d == 0 {
			d = 1
		}
		lo, hi = lo-d, hi+d
	} else {
		pad := (hi - lo) * 0.04
		nlo, nhi := lo-pad, hi+pad
		if c.Percent && lo >= 0 && nlo < 0 {
			nlo = 0
		}
		if c.Percent && hi <= 100 && nhi > 100 {
			nhi = 100
		}
		lo, hi = nlo, nhi
	}
	p.Y.Min, p.Y.Max = lo, hi
}

// vline is a dashed vertical line across the data area at x, named at its
// top: a mark such as the best epoch.
type vline struct {
	x     float64
	label string
}

func (v vline) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := trX(v.x)
	ink := color.RGBA{0x52, 0x60, 0x6d, 255}
	c.StrokeLine2(draw.LineStyle{Color: ink, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(4), vg.Points(3)}}, x, c.Min.Y, x, c.Max.Y)
	st := text.Style{Font: sans(9), Color: ink, Handler: plot.DefaultTextHandler, XAlign: draw.XRight, YAlign: draw.YTop}
	c.FillText(st, vg.Point{X: x - vg.Points(3), Y: c.Max.Y - vg.Points(2)}, v.label)
}

// DataRange keeps the mark inside the x axis.
func (v vline) DataRange() (xmin, xmax, ymin, ymax float64) {
	return v.x, v.x, math.Inf(1), math.Inf(-1)
}

// legendLines is a legend name wrapped at spaces into lines no wider than
// legendMaxText, unless a single word is wider.
func legendLines(name string) string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(name) {
		if line != "" && legendText.Width(line+" "+word) > legendMaxText {
			lines = append(lines, line)
			line = word
			continue
		}
		if line != "" {
			line += " "
		}
		line += word
	}
	return strings.Join(append(lines, line), "\n")
}

// legendSize is the width and height of the legend's box, padding included.
func legendSize(entries []legendEntry) (w, h vg.Length) {
	for _, e := range entries {
		t := legendLines(e.name)
		w = max(w, legendText.Width(t))
		h += legendText.Height(t)
	}
	return w + legendThumb + legendSpace + 2*legendPad, h + 2*legendPad
}

// drawLegend draws the entries in box: each series' sample, then its name.
// A legend inside the data area gets a white ground that hides the grid.
func drawLegend(c draw.Canvas, box vg.Rectangle, entries []legendEntry, ground bool) {
	if len(entries) == 0 {
		return
	}
	if ground {
		c.SetColor(color.NRGBA{255, 255, 255, 230})
		c.Fill(box.Path())
	}
	top := box.Max.Y - legendPad
	x := box.Min.X + legendPad
	lineH := legendText.Height("x")
	for _, e := range entries {
		t := legendLines(e.name)
		icon := &draw.Canvas{Canvas: c.Canvas, Rectangle: vg.Rectangle{
			Min: vg.Point{X: x, Y: top - lineH},
			Max: vg.Point{X: x + legendThumb, Y: top},
		}}
		e.thumb.Thumbnail(icon)
		c.FillText(legendText, vg.Point{X: x + legendThumb + legendSpace, Y: top}, t)
		top -= legendText.Height(t)
	}
}

// coversData reports whether box, widened by legendGap, touches any mark.
func coversData(box vg.Rectangle, marks []mark, trX, trY func(float64) vg.Length) bool {
	for _, m := range marks {
		r := box
		pad := m.reach + legendGap
		r.Min.X -= pad
		r.Min.Y -= pad
		r.Max.X += pad
		r.Max.Y += pad
		var prev vg.Point
		for i, pt := range m.pts {
			q := vg.Point{X: trX(pt.X), Y: trY(pt.Y)}
			switch {
			case m.barW > 0:
				x := q.X + m.barOff
				bar := vg.Rectangle{
					Min: vg.Point{X: x - m.barW/2, Y: min(trY(0), q.Y)},
					Max: vg.Point{X: x + m.barW/2, Y: max(trY(0), q.Y)},
				}
				if bar.Min.X <= r.Max.X && r.Min.X <= bar.Max.X && bar.Min.Y <= r.Max.Y && r.Min.Y <= bar.Max.Y {
					return true
				}
			case m.joined && i > 0:
				if segmentMeetsRect(prev, q, r) {
					return true
				}
			default:
				if inRect(q, r) {
					return true
				}
			}
			prev = q
		}
	}
	return false
}

func inRect(q vg.Point, r vg.Rectangle) bool {
	return q.X >= r.Min.X && q.X <= r.Max.X && q.Y >= r.Min.Y && q.Y <= r.Max.Y
}

// segmentMeetsRect reports whether the segment a–b touches r, clipping the
// segment to r's slabs (Liang–Barsky).
func segmentMeetsRect(a, b vg.Point, r vg.Rectangle) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := float64(b.X-a.X), float64(b.Y-a.Y)
	clip := func(p, q float64) bool {
		if p == 0 {
			return q >= 0
		}
		t := q / p
		if p < 0 {
			if t > t1 {
				return false
			}
			t0 = max(t0, t)
		} else {
			if t < t0 {
				return false
			}
			t1 = min(t1, t)
		}
		return true
	}
	return clip(-dx, float64(a.X-r.Min.X)) && clip(dx, float64(r.Max.X-a.X)) &&
		clip(-dy, float64(a.Y-r.Min.Y)) && clip(dy, float64(r.Max.Y-a.Y)) && t0 <= t1
}

// countTicks marks an axis of counts (epochs, steps) at whole numbers only:
// every 1, 2, 5, 10, 20, 50, … so that at most about eight are labelled.
type countTicks struct{}

func (countTicks) Ticks(min, max float64) []plot.Tick {
	step := 1.0
	for m := 0; (max-min)/step > 8; m++ {
		step *= []float64{2, 2.5, 2}[m%3] // 1, 2, 5, 10, 20, 50, …
	}
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return ticks
}

// sans is the font of saved charts.
func sans(size vg.Length) font.Font {
	return font.From(font.Font{Typeface: "Liberation", Variant: "Sans"}, size)
}

func hexColor(s string) color.RGBA {
	v, _ := strconv.ParseUint(s[1:], 16, 32)
	return color.RGBA{uint8(v >> 16), uint8(v >> 8), uint8(v), 255}
}

func xys(ps []Point) plotter.XYs {
	out := make(plotter.XYs, len(ps))
	for i, p := range ps {
		out[i].X, out[i].Y = p.X, p.Y
	}
	return out
}

func drawLines(d *drawn, c *Chart) error {
	p := d.plot
	if c.XCats != nil {
		p.NominalX(c.XCats...)
		slantCrowdedLabels(p, c.XCats)
	} else if c.IntX {
		p.X.Tick.Marker = countTicks{}
	} else if c.LogX {
		p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	}
	legend := len(c.Series) > 1
	for i, s := range c.Series {
		if s.Hidden || len(s.Points) == 0 {
			continue
		}
		col := hexColor(seriesColor(s, i))
		pts := xys(s.Points)
		var th plot.Thumbnailer
		switch s.Style {
		case StyleBand:
			var top, bottom plotter.XYs
			for j := 0; j+1 < len(pts); j += 2 {
				bottom = append(bottom, pts[j])
				top = append(top, pts[j+1])
			}
			slices.Reverse(bottom)
			poly, err := plotter.NewPolygon(append(top, bottom...))
			if err != nil {
				return err
			}
			poly.Color = color.NRGBA{col.R, col.G, col.B, 46}
			poly.LineStyle.Width = 0
			p.Add(poly)
			d.marks = append(d.marks, mark{pts: append(top, bottom...), joined: true})
			if legend && !slices.ContainsFunc(c.Series, func(o Series) bool { return o.Name == s.Name && o.Style != StyleBand }) {
				d.legend = append(d.legend, legendEntry{name: s.Name, thumb: poly})
			}
			continue // otherwise the band shares its line's legend entry
		case StyleTick:
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return err
			}
			sc.GlyphStyle.Color = col
			sc.GlyphStyle.Radius = vg.Points(10)
			sc.GlyphStyle.Shape = levelGlyph{width: vg.Points(2.5)}
			p.Add(sc)
			d.marks = append(d.marks, mark{pts: pts, reach: sc.GlyphStyle.Radius})
			th = sc
		case StyleRange:
			for j := 0; j+1 < len(pts); j += 2 {
				l, err := plotter.NewLine(pts[j : j+2])
				if err != nil {
					return err
				}
				l.Color = col
				l.Width = vg.Points(1.5)
				p.Add(l)
				d.marks = append(d.marks, mark{pts: pts[j : j+2], joined: true, reach: l.Width / 2})
				th = l
			}
		case StylePoints:
			sc, err := plotter.NewScatter(pts)
			if err != nil {
				return err
			}
			sc.GlyphStyle.Color = color.NRGBA{col.R, col.G, col.B, 170}
			sc.GlyphStyle.Radius = vg.Points(3)
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			p.Add(sc)
			d.marks = append(d.marks, mark{pts: pts, reach: sc.GlyphStyle.Radius})
			th = sc
		default:
			l, err := plotter.NewLine(pts)
			if err != nil {
				return err
			}
			l.Color = col
			l.Width = vg.Points(1.5)
			l.Dashes = dashPattern(s.Dash)
			path := pts
			switch s.Style {
			case StyleDashed:
				l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
				l.Width = vg.Points(1)
			case StyleStep:
				l.StepStyle = plotter.MidStep
				path = midSteps(pts)
			}
			p.Add(l)
			d.marks = append(d.marks, mark{pts: path, joined: true, reach: l.Width / 2})
			th = l
			if s.Best != nil {
				ring, err := plotter.NewScatter(plotter.XYs{{X: s.Best.X, Y: s.Best.Y}})
				if err != nil {
					return err
				}
				ring.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(4.5), Shape: draw.RingGlyph{}}
				p.Add(ring)
				d.marks = append(d.marks, mark{pts: ring.XYs, reach: vg.Points(5)})
			}
		}
		if legend {
			d.legend = append(d.legend, legendEntry{name: s.Name, thumb: th})
		}
	}
	return nil
}

// levelGlyph draws a point as a horizontal line as wide as the glyph's
// diameter: the level of a value in its category.
type levelGlyph struct {
	width vg.Length // the line's thickness
}

func (g levelGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.StrokeLine2(draw.LineStyle{Color: sty.Color, Width: g.width}, pt.X-sty.Radius, pt.Y, pt.X+sty.Radius, pt.Y)
}

// slantCrowdedLabels turns the x category labels 30° when, side by side,
// they would overlap: when the widest is wider than a category's share of
// the plot (the picture's width less about an inch for the y axis).
func slantCrowdedLabels(p *plot.Plot, cats []string) {
	if len(cats) == 0 {
		return
	}
	var widest vg.Length
	for _, c := range cats {
		widest = max(widest, p.X.Tick.Label.Width(c))
	}
	if widest <= (pngWidth-vg.Inch)/vg.Length(len(cats))-vg.Points(6) {
		return
	}
	p.X.Tick.Label.Rotation = math.Pi / 6
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YTop
}

// drawBars draws the series side by side in each category, with a legend
// when there is more than one.
func drawBars(d *drawn, c *Chart) error {
	p := d.plot
	p.NominalX(c.XCats...)
	p.Y.Min = 0
	if c.Percent {
		p.Y.Max = 100
	}
	const width = 14
	for i, s := range c.Series {
		vals := make(plotter.Values, len(c.XCats))
		for _, pt := range s.Points {
			if j := int(pt.X); j >= 0 && j < len(vals) {
				vals[j] = pt.Y
			}
		}
		b, err := plotter.NewBarChart(vals, width)
		if err != nil {
			return err
		}
		b.Color = hexColor(seriesColor(s, i))
		b.LineStyle.Width = 0
		b.Offset = vg.Length(float64(i)-float64(len(c.Series)-1)/2) * width
		p.Add(b)
		pts := make(plotter.XYs, len(vals))
		for j, v := range vals {
			pts[j] = plotter.XY{X: float64(j), Y: v}
		}
		d.marks = append(d.marks, mark{pts: pts, barW: width, barOff: b.Offset})
		if len(c.Series) > 1 {
			d.legend = append(d.legend, legendEntry{name: s.Name, thumb: b})
		}
	}
	return nil
}

// grid adapts heatmap cells to plotter.GridXYZ; rows run top to bottom.
type grid struct {
	c    *Chart
	vals [][]float64 // [row][col]
}

func (g grid) Dims() (c, r int)             { return len(g.c.XCats), len(g.c.YCats) }
func (g grid) Z(c, r int) float64           { return g.vals[len(g.c.YCats)-1-r][c] }
func (g grid) X(c int) float64              { return float64(c) }
func (g grid) Y(r int) float64              { return float64(r) }
func (p rampPalette) Colors() []color.Color { return p }

// rampPalette is heatColors interpolated into many steps.
type rampPalette []color.Color

func newRamp(n int) rampPalette {
	stops := make([]color.RGBA, len(heatColors))
	for i, h := range heatColors {
		stops[i] = hexColor(h)
	}
	out := make(rampPalette, n)
	for i := range out {
		t := float64(i) / float64(n-1) * float64(len(stops)-1)
		k := min(int(t), len(stops)-2)
		f := t - float64(k)
		a, b := stops[k], stops[k+1]
		mix := func(x, y uint8) uint8 { return uint8(float64(x) + f*(float64(y)-float64(x)) + 0.5) }
		out[i] = color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 255}
	}
	return out
}

func drawHeatmap(p *plot.Plot, c *Chart) error {
	nx, ny := len(c.XCats), len(c.YCats)
	if nx == 0 || ny == 0 {
		return fmt.Errorf("heatmap without rows or columns")
	}
	g := grid{c: c, vals: make([][]float64, ny)}
	lo, hi := 0.0, 0.0
	for i, cell := range c.Cells {
		if i == 0 || cell.Value < lo {
			lo = cell.Value
		}
		if i == 0 || cell.Value > hi {
			hi = cell.Value
		}
	}
	for r := range g.vals {
		g.vals[r] = make([]float64, nx)
		for k := range g.vals[r] {
			g.vals[r][k] = lo // empty cells read as the lowest value
		}
	}
	var labels plotter.XYLabels
	for _, cell := range c.Cells {
		if cell.X < 0 || cell.X >= nx || cell.Y < 0 || cell.Y >= ny {
			continue
		}
		g.vals[cell.Y][cell.X] = cell.Value
		text := cell.Label
		if text == "" {
			text = strconv.FormatFloat(round6(cell.Value), 'g', -1, 64)
		}
		labels.XYs = append(labels.XYs, plotter.XY{X: float64(cell.X), Y: float64(ny - 1 - cell.Y)})
		labels.Labels = append(labels.Labels, text)
	}
	h := plotter.NewHeatMap(g, newRamp(64))
	if hi > lo {
		h.Min, h.Max = lo, hi
	} else {
		h.Min, h.Max = lo-1, hi+1
	}
	p.Add(h)
	if nx*ny <= 400 {
		l, err := plotter.NewLabels(labels)
		if err != nil {
			return err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].XAlign = draw.XCenter
			l.TextStyle[i].YAlign = draw.YCenter
			l.TextStyle[i].Font = sans(9)
			// Dark text on light cells, light text on dark ones.
			v := g.vals[ny-1-int(labels.XYs[i].Y)][int(labels.XYs[i].X)]
			if hi > lo && (v-lo)/(hi-lo) > 0.6 {
				l.TextStyle[i].Color = color.White
			}
		}
		p.Add(l)
	}
	p.NominalX(c.XCats...)
	ticks := make([]plot.Tick, ny)
	for r := range ticks {
		ticks[r] = plot.Tick{Value: float64(ny - 1 - r), Label: c.YCats[r]}
	}
	p.Y.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Min, p.X.Max = -0.5, float64(nx)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(ny)-0.5
	return nil
}

// drawParallel draws each row as a line across axes scaled to 0..1, coloured
// from red (worst) to green (best) by the last axis.
func drawParallel(p *plot.Plot, c *Chart) error {
	n := len(c.Axes)
	if n < 2 {
		return fmt.Errorf("parallel chart with %d axes", n)
	}
	lo := make([]float64, n)
	hi := make([]float64, n)
	for j, a := range c.Axes {
		if len(a.Categories) > 0 {
			lo[j], hi[j] = 0, float64(len(a.Categories)-1)
			continue
		}
		for i, r := range c.Rows {
			if i == 0 || r.Values[j] < lo[j] {
				lo[j] = r.Values[j]
			}
			if i == 0 || r.Values[j] > hi[j] {
				hi[j] = r.Values[j]
			}
		}
	}
	scale := func(j int, v float64) float64 {
		if hi[j] == lo[j] {
			return 0.5
		}
		return (v - lo[j]) / (hi[j] - lo[j])
	}
	ramp := []color.RGBA{hexColor("#e15759"), hexColor("#edc948"), hexColor("#59a14f")}
	for _, r := range c.Rows {
		pts := make(plotter.XYs, n)
		for j, v := range r.Values {
			pts[j] = plotter.XY{X: float64(j), Y: scale(j, v)}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		t := pts[n-1].Y
		k := 0
		if t > 0.5 {
			k, t = 1, (t-0.5)*2
		} else {
			t *= 2
		}
		a, b := ramp[k], ramp[k+1]
		mix := func(x, y uint8) uint8 { return uint8(float64(x) + t*(float64(y)-float64(x)) + 0.5) }
		l.Color = color.NRGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 200}
		l.Width = vg.Points(1.5)
		p.Add(l)
	}
	var labels plotter.XYLabels
	for j, a := range c.Axes {
		if len(a.Categories) > 0 {
			for i, cat := range a.Categories {
				labels.XYs = append(labels.XYs, plotter.XY{X: float64(j), Y: scale(j, float64(i))})
				labels.Labels = append(labels.Labels, " "+cat)
			}
		} else {
			for _, v := range []float64{lo[j], hi[j]} {
				labels.XYs = append(labels.XYs, plotter.XY{X: float64(j), Y: scale(j, v)})
				labels.Labels = append(labels.Labels, " "+strconv.FormatFloat(round6(v), 'g', 5, 64))
			}
		}
	}
	l, err := plotter.NewLabels(labels)
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font = sans(9)
	}
	p.Add(l)
	names := make([]string, n)
	for j, a := range c.Axes {
		names[j] = a.Name
	}
	p.NominalX(names...)
	p.Y.Label.Text = "scaled to each axis"
	p.Y.Min, p.Y.Max = -0.05, 1.05
	return nil
}

// dashPattern is a line pattern as gonum/plot draws it.
func dashPattern(d Dash) []vg.Length {
	pt := vg.Points
	switch d {
	case DashDashed:
		return []vg.Length{pt(5), pt(3)}
	case DashDotted:
		return []vg.Length{pt(1.5), pt(2.5)}
	case DashDashDot:
		return []vg.Length{pt(6), pt(2.5), pt(1.5), pt(2.5)}
	case DashLong:
		return []vg.Length{pt(11), pt(3.5)}
	}
	return nil
}
