package reports

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
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
	p := plot.New()
	p.Title.TextStyle.Font = sans(13)
	p.X.Label.TextStyle.Font, p.Y.Label.TextStyle.Font = sans(11), sans(11)
	p.X.Tick.Label.Font, p.Y.Tick.Label.Font = sans(10), sans(10)
	p.Legend.TextStyle.Font = sans(10)
	p.Title.Padding = vg.Points(6)
	p.Title.Text = c.Title
	p.X.Label.Text = c.XName
	p.Y.Label.Text = c.YName
	p.Add(plotter.NewGrid())
	var err error
	switch c.Kind {
	case KindBar:
		err = drawBars(p, c)
	case KindHeatmap:
		err = drawHeatmap(p, c)
	case KindParallel:
		err = drawParallel(p, c)
	default:
		err = drawLines(p, c)
	}
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", c.ID, err)
	}
	canvas := vgimg.NewWith(vgimg.UseWH(pngWidth, pngHeight), vgimg.UseDPI(pngDPI))
	// A right margin keeps the last x tick label inside the picture.
	p.Draw(draw.Crop(draw.New(canvas), 0, -vg.Points(12), 0, 0))
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: canvas}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart %s: %w", c.ID, err)
	}
	return buf.Bytes(), nil
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

func drawLines(p *plot.Plot, c *Chart) error {
	if c.XCats != nil {
		p.NominalX(c.XCats...)
		slantCrowdedLabels(p, c.XCats)
	} else if c.IntX {
		p.X.Tick.Marker = countTicks{}
	}
	legend := len(c.Series) > 1 && len(c.Series) <= 12
	p.Legend.Top = true
	for i, s := range c.Series {
		if s.Hidden || len(s.Points) == 0 {
			continue
		}
		col := hexColor(seriesColor(s, i))
		if s.Style == StylePoints {
			sc, err := plotter.NewScatter(xys(s.Points))
			if err != nil {
				return err
			}
			sc.GlyphStyle.Color = color.NRGBA{col.R, col.G, col.B, 170}
			sc.GlyphStyle.Radius = vg.Points(3)
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			p.Add(sc)
			if legend {
				p.Legend.Add(s.Name, sc)
			}
			continue
		}
		l, err := plotter.NewLine(xys(s.Points))
		if err != nil {
			return err
		}
		l.Color = col
		l.Width = vg.Points(1.5)
		switch s.Style {
		case StyleDashed:
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			l.Width = vg.Points(1)
		case StyleStep:
			l.StepStyle = plotter.MidStep
		}
		p.Add(l)
		if legend {
			p.Legend.Add(s.Name, l)
		}
	}
	return nil
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

func drawBars(p *plot.Plot, c *Chart) error {
	p.NominalX(c.XCats...)
	p.Y.Min = 0
	if c.Percent {
		p.Y.Max = 100
	}
	for i, s := range c.Series {
		vals := make(plotter.Values, len(c.XCats))
		for _, pt := range s.Points {
			if j := int(pt.X); j >= 0 && j < len(vals) {
				vals[j] = pt.Y
			}
		}
		b, err := plotter.NewBarChart(vals, vg.Points(14))
		if err != nil {
			return err
		}
		b.Color = hexColor(seriesColor(s, i))
		b.LineStyle.Width = 0
		p.Add(b)
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
