package reports

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

func TestClassProbs(t *testing.T) {
	classes := []string{"a", "b", "c", "d", "e"}
	tests := []struct {
		probs     []float64
		truth     int
		wantTitle string
		wantTop   []classProb
	}{
		{nil, 0, "", nil},
		// The true class is the fifth likeliest: it is drawn after the top three.
		{[]float64{0.01, 0.5, 0.3, 0.04, 0.15}, 0, "class probabilities:\nb 50.00%\nc 30.00%\ne 15.00%\nd 4.00%\na 1.00%",
			[]classProb{{"b", "50.00%", 50, false}, {"c", "30.00%", 30, false}, {"e", "15.00%", 15, false}, {"a", "1.00%", 1, true}}},
		// Ties keep class order; a class past the known names is numbered.
		{[]float64{0.25, 0.25, 0, 0, 0, 0.5}, 1, "class probabilities:\n5 50.00%\na 25.00%\nb 25.00%\nc 0.00%\nd 0.00%\ne 0.00%",
			[]classProb{{"5", "50.00%", 50, false}, {"a", "25.00%", 25, false}, {"b", "25.00%", 25, true}}},
	}
	for i, tt := range tests {
		title, top := classProbs(classes, tt.probs, tt.truth)
		if title != tt.wantTitle || !reflect.DeepEqual(top, tt.wantTop) {
			t.Errorf("%d: got %q %v, want %q %v", i, title, top, tt.wantTitle, tt.wantTop)
		}
	}
}

// TestHistogramColorsNeverRepeat checks that every epoch of a histogram
// has a colour of its own, light to dark as training goes on, however many
// epochs there are, and that the first and last start switched on.
func TestHistogramColorsNeverRepeat(t *testing.T) {
	for _, n := range []int{2, 3, len(palette) + 1, 3*len(palette) + 2, 100} {
		h := record.TensorHistogram{Layer: "conv1", Param: "weights", Edges: []float64{-1, 0, 1}}
		for e := 0; e < n; e++ {
			h.Epochs = append(h.Epochs, e)
			h.Counts = append(h.Counts, []int{e, 1})
		}
		c := histogramChart(h, map[string]bool{})
		first, last := c.Series[0], c.Series[n-1]
		if first.Hidden || last.Hidden {
			t.Errorf("n=%d: first or last epoch starts hidden", n)
		}
		if first.Hex != sequentialStops[0] || last.Hex != sequentialStops[len(sequentialStops)-1] {
			t.Errorf("n=%d: first and last epochs %s and %s, want the ends of the scale", n, first.Hex, last.Hex)
		}
		seen := map[string]int{}
		for i, s := range c.Series {
			if j, ok := seen[seriesColor(s, i)]; ok {
				t.Errorf("n=%d: epochs %d and %d share the colour %s", n, j, i, seriesColor(s, i))
			}
			seen[seriesColor(s, i)] = i
		}
	}
}

// TestLayerClass checks that the diagram colours a layer by the family its
// record gives, that records written before families were recorded keep
// their colours, and that every class has a rule in the style sheet.
func TestLayerClass(t *testing.T) {
	tests := []struct {
		layer record.ArchLayer
		want  string
	}{
		{record.ArchLayer{Kind: "conv", Family: "conv"}, "conv"},
		{record.ArchLayer{Kind: "some_new_pool", Family: "pool"}, "pool"},
		{record.ArchLayer{Kind: "maxpool"}, "pool"},
		{record.ArchLayer{Kind: "dropout"}, "regularise"},
		{record.ArchLayer{Kind: "flatten"}, "reshape"},
		{record.ArchLayer{Kind: "leaky_relu"}, "activation"},
	}
	css, err := static.ReadFile("static/site.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		got := layerClass(tt.layer)
		if got != tt.want {
			t.Errorf("%+v: class %q, want %q", tt.layer, got, tt.want)
		}
		if !strings.Contains(string(css), ".layer."+got+" {") {
			t.Errorf("site.css has no rule for .layer.%s", got)
		}
	}
}
