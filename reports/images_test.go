package reports

import (
	"fmt"
	"image/color"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

// TestPNGConstantAxis checks that a constant series (a learning rate that
// never changes) gets a y axis around its value, not one whose minimum
// equals its maximum.
func TestPNGConstantAxis(t *testing.T) {
	for _, v := range []float64{0.001, 0, -3, 250} {
		c := &Chart{ID: "lr", Title: "lr", Kind: KindLine, IntX: true}
		c.addSeries("learning rate", StyleLine, []float64{1, 2, 3}, []float64{v, v, v})
		r, err := renderPNG(c)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := r.plot.Y.Min, r.plot.Y.Max
		if !(lo < v && v < hi) || hi-lo > 2*max(1, 2*abs(v)) {
			t.Errorf("constant %v drawn on a y axis %v … %v", v, lo, hi)
		}
	}
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// TestPNGLegendNeverDropsNames checks that a chart of many series lists
// every one of them in its PNG's legend (in columns below the plot when
// they do not fit beside it) and that a band shares its line's entry.
func TestPNGLegendNeverDropsNames(t *testing.T) {
	for _, n := range []int{3, 14, 40} {
		c := &Chart{ID: "many", Title: "many", Kind: KindLine, IntX: true}
		for i := range n {
			s := c.addSeries(fmt.Sprintf("l2=0.%03d lr=0.001", i), StyleLine, []float64{1, 2, 3}, []float64{float64(i), float64(i) + 1, float64(i) + 2})
			s.Hex = categorical(i, n)
			c.Series = append(c.Series, Series{Name: s.Name, Style: StyleBand, Hex: s.Hex,
				Points: []Point{{1, float64(i) - 0.5}, {1, float64(i) + 0.5}, {3, float64(i) + 1.5}, {3, float64(i) + 2.5}}})
		}
		r, err := renderPNG(c)
		if err != nil {
			t.Fatal(err)
		}
		if len(r.entries) != n {
			t.Errorf("%d series: legend lists %d", n, len(r.entries))
		}
		if n == 40 && r.place != legendBelow {
			t.Errorf("40 series: legend %v, want below", r.place)
		}
		if r.place != legendBelow && r.place != legendOutside && r.legend.Size().X > 0 {
			continue // inside: TestPNGLegendCoversNoData checks it covers nothing
		}
		// Outside the data area, the legend box and the data never overlap.
		d := r.data.Rectangle
		l := r.legend
		if l.Min.X < d.Max.X && d.Min.X < l.Max.X && l.Min.Y < d.Max.Y && d.Min.Y < l.Max.Y {
			t.Errorf("%d series: legend %v overlaps the data area %v", n, l, d)
		}
	}
}

// TestFeatureMapsShareTheLayersScale checks that a channel whose largest
// value is 0.23 looks darker than one reaching 3.4, although both were
// stored scaled to 0..255.
func TestFeatureMapsShareTheLayersScale(t *testing.T) {
	m := record.LayerMaps{Layer: "conv1", Kind: "conv", Activation: "relu", H: 1, W: 2, C: 2,
		Min: []float32{0, 0}, Max: []float32{0.23, 3.4}, Data: []byte{0, 0, 255, 255}}
	img, _, _, err := featureGridImage(m)
	if err != nil {
		t.Fatal(err)
	}
	weak, strong := img.GrayAt(1, 0).Y, img.GrayAt(2+1+1, 0).Y // each channel's brightest pixel
	if strong != 255 || weak > 20 {
		t.Errorf("brightest of the weak channel %d, of the strong one %d; want about 17 and 255", weak, strong)
	}
	if got := mapKind(m); got != "conv + relu" {
		t.Errorf("maps after the activation named %q", got)
	}
	// Without the channels' ranges (older records) the bytes are drawn as stored.
	m.Min, m.Max = nil, nil
	img, _, _, _ = featureGridImage(m)
	if img.GrayAt(1, 0).Y != 255 {
		t.Errorf("stored byte 255 drawn as %d", img.GrayAt(1, 0).Y)
	}
}

func TestFilterImage(t *testing.T) {
	// Two 1×1 filters over one channel: −0.5 and +1.
	f := record.LayerFilters{Layer: "conv1", KH: 1, KW: 1, C: 1, F: 2, InC: 1, OutF: 2, Weights: []float32{-0.5, 1}}
	img, scale, err := filterImage(f)
	if err != nil {
		t.Fatal(err)
	}
	if scale != 1 || img.Bounds().Dx() != 3 || img.Bounds().Dy() != 1 {
		t.Fatalf("scale %v, picture %v", scale, img.Bounds())
	}
	neg, pos := img.RGBAAt(0, 0), img.RGBAAt(2, 0)
	if !(neg.B > neg.R) || !(pos.R > pos.B) || pos != (color.RGBA{0xb2, 0x18, 0x2b, 255}) {
		t.Errorf("negative weight %v, positive %v", neg, pos)
	}
	f.Weights = f.Weights[:1]
	if _, _, err := filterImage(f); err == nil {
		t.Error("filters with too few weights drawn")
	}
}

func TestCellImagesFromRecordsOldAndNew(t *testing.T) {
	ex := func(tr, pr int, p float64) record.Example {
		return record.Example{Index: tr*10 + pr, True: tr, Pred: pr, Prob: p, Image: img(4, 4, 1, tr+pr)}
	}
	an := &record.Analysis{Classes: []string{"a", "b"}, Confusion: [][]int{{5, 2}, {1, 7}},
		Correct: []record.Example{ex(0, 0, 0.9), ex(1, 1, 0.8)}, Wrong: []record.Example{ex(0, 1, 0.7)}}
	w, err := openSite(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer w.close()
	b := &builder{w: w}
	old := b.cellImages("x/r", an)
	if old == nil || len(old.Cells) != 3 || old.Cells["0,1"].Count != 2 || old.Cells["0,1"].Items[0].Index != 1 {
		t.Fatalf("cells from the gallery: %+v", old)
	}
	an.Cells = []record.ConfusionCell{{True: 1, Pred: 0, Examples: []record.Example{ex(1, 0, 0.6), ex(1, 0, 0.55)}}}
	v := b.cellImages("x/r", an)
	if len(v.Cells) != 1 || v.Cells["1,0"].True != "b" || v.Cells["1,0"].Pred != "a" || len(v.Cells["1,0"].Items) != 2 || v.Cells["1,0"].Width != 9 {
		t.Errorf("recorded cells: %+v", v.Cells)
	}
}

// TestHistogramChartPerEpochBins checks that each epoch is drawn over its
// own bins as shares of the tensor's values, that a one-bin epoch (a bias
// still all zero) draws as a level, and that older records with shared
// edges still draw.
func TestHistogramChartPerEpochBins(t *testing.T) {
	th := record.TensorHistogram{Layer: "conv1", Param: "bias", Epochs: []int{0, 1, 2},
		EdgesAt: [][]float64{{-0.001, 0.001}, {-1, 0, 1}, {0, 2, 4, 6}},
		Counts:  [][]int{{10}, {5, 5}, {2, 6, 2}}}
	c := histogramChart(th, map[string]bool{})
	if c == nil || len(c.Series) != 3 || !c.Slider {
		t.Fatalf("chart %+v", c)
	}
	want := []string{"[{-0.001 100} {0.001 100}]", "[{-0.5 50} {0.5 50}]", "[{1 20} {3 60} {5 20}]"}
	for i, s := range c.Series {
		if got := fmt.Sprint(s.Points); got != want[i] {
			t.Errorf("epoch %d: %s, want %s", i, got, want[i])
		}
	}
	th.EdgesAt, th.Edges, th.Counts = nil, []float64{0, 1, 2}, [][]int{{1, 3}, {2, 2}, {4, 0}}
	if c := histogramChart(th, map[string]bool{}); c == nil || fmt.Sprint(c.Series[0].Points) != "[{0.5 25} {1.5 75}]" {
		t.Errorf("shared edges: %+v", c)
	}
}
