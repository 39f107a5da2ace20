package reports

import (
	"fmt"
	"math"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

func TestCountTicks(t *testing.T) {
	tests := []struct {
		min, max float64
		want     []float64
	}{
		{1, 2, []float64{1, 2}},
		{1, 13, []float64{2, 4, 6, 8, 10, 12}},
		{0.5, 8.5, []float64{1, 2, 3, 4, 5, 6, 7, 8}},
		{1, 4300, []float64{1000, 2000, 3000, 4000}},
		{1, 40, []float64{5, 10, 15, 20, 25, 30, 35, 40}},
	}
	for _, tt := range tests {
		var got []float64
		for _, tk := range (countTicks{}).Ticks(tt.min, tt.max) {
			if tk.Label == "" {
				t.Errorf("Ticks(%v, %v): tick %v has no label", tt.min, tt.max, tk.Value)
			}
			got = append(got, tk.Value)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Ticks(%v, %v) = %v, want %v", tt.min, tt.max, got, tt.want)
		}
	}
}

// rising is a curve of n epochs climbing from lo to hi, flattening out.
func rising(n int, lo, hi float64) []Point {
	pts := make([]Point, n)
	for i := range pts {
		f := 1 - math.Pow(0.6, float64(i))
		pts[i] = Point{X: float64(i + 1), Y: lo + (hi-lo)*f}
	}
	return pts
}

func TestPNGLegendCoversNoData(t *testing.T) {
	line := func(name string, pts []Point) Series { return Series{Name: name, Style: StyleLine, Points: pts} }
	falling := func(n int, hi, lo float64) []Point {
		pts := rising(n, lo, hi)
		for i := range pts {
			pts[i].Y = hi + lo - pts[i].Y
		}
		return pts
	}
	var sweep []Series
	for i := range 12 {
		sweep = append(sweep, line(fmt.Sprintf("kernel=%d stride=%d seed %d", 3+2*(i%3), 1+i%2, 1+i/6), rising(10, 10+7*float64(i), 30+6*float64(i))))
	}
	sweep[11].Points = []Point{{1, 5}, {10, 5}} // along the bottom: no corner is free
	everywhere := []Series{
		line("up", []Point{{0, 0}, {1, 1}}),
		line("down", []Point{{0, 1}, {1, 0}}),
		line("low", []Point{{0, 0.02}, {1, 0.02}}),
		line("high", []Point{{0, 0.98}, {1, 0.98}}),
	}
	tests := []struct {
		name  string
		chart *Chart
		want  legendPlace
	}{
		{"accuracy rising into the top right", &Chart{Kind: KindLine, IntX: true, Series: []Series{
			line("train", rising(10, 33, 81)), line("validation", rising(10, 52, 82)), line("test", rising(10, 53, 82))}}, legendTopLeft},
		{"loss falling from the top left", &Chart{Kind: KindLine, Series: []Series{
			line("train", falling(10, 2.3, 0.3)), line("validation", falling(10, 2.1, 0.4))}}, legendTopRight},
		{"rising from the bottom left, flat at the top", &Chart{Kind: KindLine, Series: []Series{
			line("a", []Point{{0, 0}, {0.02, 1}, {1, 1}}), line("b", []Point{{0, 0}, {0.03, 0.95}, {1, 0.95}})}}, legendBottomRight},
		{"a line in every corner", &Chart{Kind: KindLine, Series: everywhere}, legendOutside},
		{"twelve runs with long names", &Chart{Kind: KindLine, IntX: true, Series: sweep}, legendOutside},
		{"points and their mean", &Chart{Kind: KindLine, XCats: []string{"kernel=3 stride=1", "kernel=3 stride=2", "kernel=5 stride=1", "32@5x5"}, Series: []Series{
			line("mean", []Point{{0, 98.6}, {1, 98.7}, {2, 99.0}, {3, 99.2}}),
			{Name: "runs", Style: StylePoints, Points: []Point{{0, 98.55}, {0, 98.65}, {1, 98.7}, {2, 98.95}, {2, 99.05}, {3, 99.15}, {3, 99.25}}}}}, legendTopLeft},
		{"histograms drawn as steps", &Chart{Kind: KindLine, Series: []Series{
			{Name: "epoch 0", Style: StyleStep, Points: []Point{{-1, 0}, {-0.5, 2}, {0, 40}, {0.5, 3}, {1, 0}}},
			{Name: "epoch 10", Style: StyleStep, Points: []Point{{-1, 0}, {-0.5, 5}, {0, 30}, {0.5, 6}, {1, 0}}}}}, legendTopRight},
		{"two bar series", &Chart{Kind: KindBar, Percent: true, XCats: []string{"cat", "dog", "ship"}, Series: []Series{
			{Name: "run a", Style: StyleBar, Points: []Point{{0, 95}, {1, 60}, {2, 97}}},
			{Name: "run b", Style: StyleBar, Points: []Point{{0, 90}, {1, 70}, {2, 99}}}}}, legendOutside},
		{"one bar series has no legend", &Chart{Kind: KindBar, XCats: []string{"cat", "dog"}, Series: []Series{
			{Name: "accuracy", Style: StyleBar, Points: []Point{{0, 95}, {1, 60}}}}}, legendNone},
		{"one line has no legend", &Chart{Kind: KindLine, Series: []Series{line("train", rising(10, 33, 81))}}, legendNone},
	}
	for _, tt := range tests {
		tt.chart.ID = "c"
		r, err := renderPNG(tt.chart)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if r.place != tt.want {
			t.Errorf("%s: legend %v, want %v", tt.name, r.place, tt.want)
		}
		if r.place == legendNone {
			if len(r.entries) != 0 || r.legend != (vg.Rectangle{}) {
				t.Errorf("%s: a legend of %d entries at %v", tt.name, len(r.entries), r.legend)
			}
			continue
		}
		box := r.legend
		if box.Min.X < 0 || box.Min.Y < 0 || box.Max.X > pngWidth || box.Max.Y > pngHeight {
			t.Errorf("%s: legend %v runs off the %v×%v picture", tt.name, box, pngWidth, pngHeight)
		}
		if r.place == legendOutside && box.Min.X < r.data.Max.X {
			t.Errorf("%s: outside legend starts at x=%v, inside the data area ending at %v", tt.name, box.Min.X, r.data.Max.X)
		}
		if hits := dataInBox(r, tt.chart, box); len(hits) > 0 {
			t.Errorf("%s: legend %v (%v) covers %d places of data, first %s", tt.name, box, r.place, len(hits), hits[0])
		}
	}
}

// dataInBox lists the data the chart draws inside box: its points, points
// every half point along its lines, and points across its bars' tops.
func dataInBox(r *renderedPNG, c *Chart, box vg.Rectangle) []string {
	trX, trY := r.plot.Transforms(&r.data)
	var hits []string
	in := func(s Series, x, y vg.Length) {
		if x >= box.Min.X && x <= box.Max.X && y >= box.Min.Y && y <= box.Max.Y {
			hits = append(hits, fmt.Sprintf("%s at (%.1f, %.1f)", s.Name, x, y))
		}
	}
	for i, s := range c.Series {
		var path []vg.Point
		for _, p := range s.Points {
			q := vg.Point{X: trX(p.X), Y: trY(p.Y)}
			if s.Style == StyleStep && len(path) > 0 {
				prev := path[len(path)-1]
				mid := (prev.X + q.X) / 2
				path = append(path, vg.Point{X: mid, Y: prev.Y}, vg.Point{X: mid, Y: q.Y})
			}
			path = append(path, q)
		}
		switch s.Style {
		case StylePoints:
			for _, q := range path {
				in(s, q.X, q.Y)
			}
		case StyleBar:
			off := vg.Length(float64(i)-float64(len(c.Series)-1)/2) * 14
			for _, q := range path {
				for dx := vg.Length(-7); dx <= 7; dx++ {
					for y := trY(0); y <= q.Y; y++ {
						in(s, q.X+off+dx, y)
					}
				}
			}
		default:
			for k := 1; k < len(path); k++ {
				a, b := path[k-1], path[k]
				n := int(math.Hypot(float64(b.X-a.X), float64(b.Y-a.Y))*2) + 1
				for j := 0; j <= n; j++ {
					f := vg.Length(j) / vg.Length(n)
					in(s, a.X+f*(b.X-a.X), a.Y+f*(b.Y-a.Y))
				}
			}
		}
	}
	return hits
}

// TestPNGLegendBox draws legends alone and checks that all their ink falls
// inside the box the layout reserved for them, wrapped long names included.
func TestPNGLegendBox(t *testing.T) {
	long := "lr=0.01 batch=64 kernel=3 stride=1 filters=32 seed 3"
	for _, names := range [][]string{
		{"train", "validation", "test"},
		{"kernel=3 stride=1 seed 3", long, "32@5x5"},
	} {
		c := &Chart{ID: "c", Kind: KindLine}
		for _, n := range names {
			c.Series = append(c.Series, Series{Name: n, Style: StyleLine, Points: []Point{{0, 0}, {1, 1}, {2, 0}, {3, 1}}})
		}
		c.Series = append(c.Series, Series{Name: "runs", Style: StylePoints, Points: []Point{{0, 0.5}, {3, 0.5}}})
		r, err := renderPNG(c)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.entries) != len(c.Series) {
			t.Fatalf("%v: %d legend entries, want %d", names, len(r.entries), len(c.Series))
		}
		canvas := vgimg.NewWith(vgimg.UseWH(pngWidth, pngHeight), vgimg.UseDPI(pngDPI))
		drawLegend(draw.New(canvas), r.legend, r.entries, false)
		img := canvas.Image()
		px := func(l vg.Length) float64 { return float64(l) * pngDPI / 72 }
		h := float64(img.Bounds().Dy())
		minX, maxX := px(r.legend.Min.X)-1, px(r.legend.Max.X)+1
		minY, maxY := h-px(r.legend.Max.Y)-1, h-px(r.legend.Min.Y)+1
		ink := 0
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				if cr, cg, cb, _ := img.At(x, y).RGBA(); cr&cg&cb == 0xffff {
					continue // the white ground
				}
				ink++
				if float64(x) < minX || float64(x) > maxX || float64(y) < minY || float64(y) > maxY {
					t.Fatalf("%v: legend ink at pixel (%d, %d), outside its box x %.0f–%.0f y %.0f–%.0f", names, x, y, minX, maxX, minY, maxY)
				}
			}
		}
		if ink == 0 {
			t.Fatalf("%v: the legend drew nothing", names)
		}
		if w := r.legend.Size().X; w > legendMaxText+legendThumb+legendSpace+2*legendPad+vg.Points(40) {
			t.Errorf("%v: legend %v wide; long names should wrap", names, w)
		}
	}
}

func TestSegmentMeetsRect(t *testing.T) {
	r := vg.Rectangle{Min: vg.Point{X: 10, Y: 10}, Max: vg.Point{X: 20, Y: 20}}
	tests := []struct {
		a, b vg.Point
		want bool
	}{
		{vg.Point{X: 0, Y: 0}, vg.Point{X: 30, Y: 30}, true},    // through it
		{vg.Point{X: 0, Y: 15}, vg.Point{X: 5, Y: 15}, false},   // short of it
		{vg.Point{X: 12, Y: 12}, vg.Point{X: 13, Y: 13}, true},  // inside
		{vg.Point{X: 0, Y: 25}, vg.Point{X: 30, Y: 25}, false},  // above
		{vg.Point{X: 0, Y: 21}, vg.Point{X: 21, Y: 0}, true},    // across a corner
		{vg.Point{X: 0, Y: 19}, vg.Point{X: 19, Y: 0}, false},   // past a corner
		{vg.Point{X: 15, Y: 0}, vg.Point{X: 15, Y: 100}, true},  // vertical
		{vg.Point{X: 25, Y: 0}, vg.Point{X: 25, Y: 100}, false}, // vertical beside
	}
	for _, tt := range tests {
		if got := segmentMeetsRect(tt.a, tt.b, r); got != tt.want {
			t.Errorf("segmentMeetsRect(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
