package reports

import (
	"fmt"
	"testing"
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
