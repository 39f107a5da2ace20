package reports

import (
	"reflect"
	"testing"
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
