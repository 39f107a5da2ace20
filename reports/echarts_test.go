package reports

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEchartsOption(t *testing.T) {
	line := &Chart{ID: "h", Kind: KindLine, XName: "value", YName: "count", Series: []Series{
		{Name: "epoch 0", Style: StyleStep, Points: []Point{{0, 1}, {1, 2}}},
		{Name: "epoch 1", Style: StyleStep, Hidden: true, Points: []Point{{0, 2}, {1, 1}}},
		{Name: "runs", Style: StylePoints, Points: []Point{{0, 3}}},
	}}
	par := &Chart{ID: "p", Kind: KindParallel, Axes: []Axis{{Name: "kernel", Categories: []string{"3", "5"}}, {Name: "acc"}},
		Rows: []Row{{Name: "a", Values: []float64{1, 90}}, {Name: "b", Values: []float64{0, 80}}}}
	heat := &Chart{ID: "c", Kind: KindHeatmap, XCats: []string{"a", "b"}, YName: "model[0].conv.stride", YCats: []string{"1", "12", "3"},
		Cells: []Cell{{X: 0, Y: 0, Value: 5}, {X: 1, Y: 1, Value: 7, Label: "7 ± 1"}}}
	bar := &Chart{ID: "b", Kind: KindBar, XCats: []string{"a", "b"}, Percent: true,
		Series: []Series{{Name: "acc", Style: StyleBar, Points: []Point{{1, 50}}}}}
	tests := []struct {
		c    *Chart
		want []string
	}{
		{line, []string{`"selected":{"epoch 1":false}`, `"step":"middle"`, `"type":"scatter"`, `"nameTextStyle":{"align":"left"}`,
			`"data":[{"value":[0,1]},{"value":[1,2]}]`, `"dataZoom"`, "assets/echarts.min.js"}},
		{par, []string{`"parallelAxis":[{"data":["3","5"],"dim":0`, `"dim":1`, `"value":["5",90]`, `"dimension":1`}},
		{heat, []string{`"type":"heatmap"`, `"value":[1,1,7]`, `"name":"7 ± 1"`, `"formatter":"{b}"`, `"max":7`,
			`"name":"model[0].conv.stride","nameLocation":"start","nameGap":8`, `"nameTextStyle":{"align":"left"}`}},
		{bar, []string{`"type":"bar"`, `"max":100`, `{"value":"-"}`, `{"value":50}`}},
	}
	for _, tt := range tests {
		opt, assets := echartsOption(tt.c, "../assets/")
		b, err := json.Marshal(opt)
		if err != nil {
			t.Fatalf("%s: %v", tt.c.ID, err)
		}
		got := string(b) + " " + strings.Join(assets, " ")
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: option lacks %s:\n%s", tt.c.ID, w, got)
			}
		}
	}
}
