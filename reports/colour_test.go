package reports

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestPointLooksNeverRepeat checks that the series of a sweep's points
// follow the swept values (a sequential scale along a numeric key, line
// patterns for a second key) and that no two points look alike, however
// many there are.
func TestPointLooksNeverRepeat(t *testing.T) {
	nums := func(n int) []string {
		var v []string
		for i := range n {
			v = append(v, strconv.FormatFloat(float64(i)/100, 'g', -1, 64))
		}
		return v
	}
	grid := func(keys []string, values ...[]string) []point {
		var ps []point
		var rec func(k int, swept []string)
		rec = func(k int, swept []string) {
			if k == len(keys) {
				ps = append(ps, point{append([]string(nil), swept...), []float64{0.9}})
				return
			}
			for _, v := range values[k] {
				rec(k+1, append(swept, keys[k], v))
			}
		}
		rec(0, nil)
		return ps
	}
	tests := []struct {
		name       string
		points     []point
		sequential bool // colours follow the first key on the sequential scale
		dashes     int  // patterns in use
	}{
		{"l2, 12 values", grid([]string{"train.l2"}, nums(12)), true, 1},
		{"l2 × lr", grid([]string{"train.l2", "train.lr"}, nums(6), []string{"0.001", "0.003"}), true, 2},
		{"names × many", grid([]string{"data.preprocess", "train.lr"}, []string{"a", "b"}, nums(8)), false, 1},
		{"three keys", grid([]string{"a.x", "b.y", "c.z"}, nums(3), nums(3), nums(3)), false, 1},
		{"30 names", grid([]string{"data.preprocess"}, func() []string {
			var v []string
			for i := range 30 {
				v = append(v, fmt.Sprintf("n%02d", i))
			}
			return v
		}()), false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := sweepOf(t, tt.points)
			looks, note := pointLooks(e, e.Runs)
			if len(looks) != len(tt.points) {
				t.Fatalf("%d looks for %d points", len(looks), len(tt.points))
			}
			seen := map[look]string{}
			dashes := map[Dash]bool{}
			for name, l := range looks {
				if other, ok := seen[l]; ok {
					t.Errorf("%s and %s both drawn %v", name, other, l)
				}
				seen[l] = name
				dashes[l.Dash] = true
			}
			if len(dashes) != tt.dashes {
				t.Errorf("%d line patterns, want %d", len(dashes), tt.dashes)
			}
			first := looks[e.pointName(e.Runs[0])].Hex
			if got := first == sequentialStops[0]; got != tt.sequential {
				t.Errorf("first point's colour %s; on the sequential scale: %v, want %v", first, got, tt.sequential)
			}
			if tt.sequential && note == "" {
				t.Error("no note says how the colours read")
			}
			// The sweep's curves take the looks.
			sc := buildSweepCharts(e)
			for _, s := range sc.ValAcc.Series {
				if s.Hex == "" {
					t.Errorf("curve %s without a colour of its own", s.Name)
				}
			}
		})
	}
}

func TestSequentialAndCategoricalColours(t *testing.T) {
	if sequential(0, 5) != sequentialStops[0] || sequential(4, 5) != sequentialStops[4] {
		t.Errorf("ends of the scale: %s %s", sequential(0, 5), sequential(4, 5))
	}
	for _, n := range []int{2, 11, 40, 200} {
		seen := map[string]bool{}
		for i := range n {
			c := categorical(i, n)
			if seen[c] || len(c) != 7 || c[0] != '#' {
				t.Errorf("categorical(%d, %d) = %s repeats or is malformed", i, n, c)
			}
			seen[c] = true
		}
	}
}

// TestSeedsAreAMeanWithABand checks that a point's seeds make one mean
// line and a band of mean ± std in the sweep's curves.
func TestSeedsAreAMeanWithABand(t *testing.T) {
	e := sweepOf(t, []point{{[]string{"train.l2", "0"}, []float64{0.9, 0.92, 0.94}}, {[]string{"train.l2", "0.01"}, []float64{0.8, 0.82, 0.84}}})
	for _, r := range e.Runs {
		r.Rec.Epochs[0].ValAcc = r.Rec.Status.TestAcc
	}
	sc := buildSweepCharts(e)
	var lines, bands int
	for _, s := range sc.ValAcc.Series {
		switch s.Style {
		case StyleLine:
			lines++
			if s.Name == "l2=0" && (len(s.Points) != 1 || !near(s.Points[0].Y, 92)) {
				t.Errorf("mean of l2=0: %v, want 92", s.Points)
			}
			if s.Best == nil || s.Best.X != 1 {
				t.Errorf("%s: best epoch ringed at %v, want epoch 1", s.Name, s.Best)
			}
		case StyleBand:
			bands++
			if s.Name == "l2=0" && (len(s.Points) != 2 || !near(s.Points[0].Y, 90) || !near(s.Points[1].Y, 94)) {
				t.Errorf("band of l2=0: %v, want 90 … 94", s.Points)
			}
		}
	}
	if lines != 2 || bands != 2 {
		t.Errorf("%d lines and %d bands, want one of each per point", lines, bands)
	}
	opt, _ := echartsOption(sc.ValAcc, "")
	js, err := json.Marshal(opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"markPoint":{`, `"coord":[1,92]`, `"cnnlabBand":true`} {
		if !strings.Contains(string(js), w) {
			t.Errorf("echarts option lacks %s", w)
		}
	}
	if _, err := chartPNG(sc.ValAcc); err != nil {
		t.Errorf("PNG: %v", err)
	}
}
