package reports

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// palette colours series; Series.Color picks from it (1-based, cycling).
var palette = []string{
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
}

// heatColors is the colour ramp of heatmaps, low to high.
var heatColors = []string{"#f7fbff", "#c6dbef", "#6baed6", "#2171b5", "#08306b"}

// seriesColor returns the colour of the i-th series of a chart (0-based).
func seriesColor(s Series, i int) string {
	if s.Hex != "" {
		return s.Hex
	}
	if s.Color > 0 {
		return palette[(s.Color-1)%len(palette)]
	}
	return palette[i%len(palette)]
}

// echartsOption builds the echarts option of a chart with go-echarts. The
// chart's script is loaded from assetsHost; the returned assets are the
// scripts the chart needs. The option is a plain value: the page template
// encodes it as JSON inside a script element, escaping every string.
func echartsOption(c *Chart, assetsHost string) (option map[string]any, assets []string) {
	init := opts.Initialization{ChartID: "chart-" + c.ID, AssetsHost: assetsHost, Width: "100%", Height: "100%"}
	tooltip := opts.Tooltip{Show: opts.Bool(true), Trigger: "axis", Enterable: opts.Bool(false)}
	// A plain legend wraps onto as many lines as it needs, so that every
	// series' colour stays beside its name; the plot starts below it.
	legendRows := echartsLegendRows(c)
	legend := opts.Legend{Show: opts.Bool(len(c.Series) > 1), Type: "plain", Top: "0", Left: "0", Right: "64", Selected: map[string]bool{}}
	for _, s := range c.Series {
		if s.Hidden {
			legend.Selected[s.Name] = false
		}
	}
	toolbox := opts.Toolbox{Show: opts.Bool(true), Right: "8", Top: "0", Feature: &opts.ToolBoxFeature{
		DataZoom: &opts.ToolBoxFeatureDataZoom{Show: opts.Bool(true), Title: map[string]string{"zoom": "zoom", "back": "undo zoom"}},
		Restore:  &opts.ToolBoxFeatureRestore{Show: opts.Bool(true), Title: "reset"},
	}}
	grid := opts.Grid{Left: "36", Right: "40", Top: strconv.Itoa(36 + legendRowHeight*legendRows), Bottom: "48", ContainLabel: opts.Bool(true)}
	if c.Zoom {
		grid.Bottom = "72"
	}
	xAxis := opts.XAxis{Name: c.XName, NameLocation: "middle", NameGap: 30, Type: "value", Scale: opts.Bool(true)}
	if c.IntX {
		xAxis.MinInterval = 1
	}
	if c.LogX {
		xAxis.Type, xAxis.Scale = "log", nil
	}
	if c.XCats != nil {
		xAxis = opts.XAxis{Name: c.XName, NameLocation: "middle", NameGap: 30, Type: "category", Data: c.XCats}
	}
	yAxis := opts.YAxis{Name: c.YName, Type: "value", Scale: opts.Bool(true)}
	zoom := []opts.DataZoom{{Type: "inside", XAxisIndex: 0, FilterMode: "none"}}
	if c.Zoom {
		zoom = append(zoom, opts.DataZoom{Type: "slider", XAxisIndex: 0, FilterMode: "none"})
	}
	global := []charts.GlobalOpts{
		charts.WithInitializationOpts(init),
		charts.WithAnimation(false),
	}

	switch c.Kind {
	case KindBar:
		yAxis.Scale = opts.Bool(false)
		if c.Percent {
			yAxis.Min, yAxis.Max = 0, 100
		}
		ch := charts.NewBar()
		ch.SetGlobalOptions(append(global, charts.WithTooltipOpts(tooltip), charts.WithLegendOpts(legend),
			charts.WithXAxisOpts(xAxis), charts.WithYAxisOpts(yAxis), charts.WithGridOpts(grid))...)
		ch.SetXAxis(c.XCats)
		for i, s := range c.Series {
			data := make([]opts.BarData, len(c.XCats))
			for j := range data {
				data[j] = opts.BarData{Value: "-"}
			}
			for _, p := range s.Points {
				if j := int(p.X); j >= 0 && j < len(data) {
					data[j] = opts.BarData{Value: round6(p.Y)}
				}
			}
			ch.AddSeries(s.Name, data, charts.WithItemStyleOpts(opts.ItemStyle{Color: seriesColor(s, i)}))
		}
		ch.Validate()
		return leftAlignYName(ch.JSON()), ch.JSAssets.Values

	case KindHeatmap:
		ch := charts.NewHeatMap()
		lo, hi := 0.0, 0.0
		for i, cell := range c.Cells {
			if i == 0 || cell.Value < lo {
				lo = cell.Value
			}
			if i == 0 || cell.Value > hi {
				hi = cell.Value
			}
		}
		if hi == lo {
			hi = lo + 1
		}
		tooltip.Trigger = "item"
		ch.SetGlobalOptions(append(global, charts.WithTooltipOpts(tooltip), charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
			charts.WithXAxisOpts(opts.XAxis{Name: c.XName, NameLocation: "middle", NameGap: 30, Type: "category", Data: c.XCats, SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
			charts.WithYAxisOpts(opts.YAxis{Name: c.YName, NameLocation: "start", NameGap: 8, Type: "category", Data: c.YCats,
				Inverse: opts.Bool(true), SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
			charts.WithGridOpts(opts.Grid{Left: "32", Right: "90", Top: "40", Bottom: "40", ContainLabel: opts.Bool(true)}),
			charts.WithVisualMapOpts(opts.VisualMap{Calculable: opts.Bool(true), Min: float32(lo), Max: float32(hi),
				Orient: "vertical", Right: "0", Top: "center", InRange: &opts.VisualMapInRange{Color: heatColors}}))...)
		ch.SetXAxis(c.XCats)
		data := make([]opts.HeatMapData, len(c.Cells))
		for i, cell := range c.Cells {
			label := cell.Label
			if label == "" {
				label = strconv.FormatFloat(round6(cell.Value), 'g', -1, 64)
			}
			data[i] = opts.HeatMapData{Name: label, Value: []any{cell.X, cell.Y, round6(cell.Value)}}
		}
		ch.AddSeries(c.Title, data, charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Formatter: "{b}", FontSize: 11}))
		ch.Validate()
		// The y axis is upside down (first row on top), so its start is at
		// the top: the name sits above the axis, running right.
		return leftAlignYName(ch.JSON()), ch.JSAssets.Values

	case KindParallel:
		ch := charts.NewParallel()
		tooltip.Trigger = "item"
		ch.SetGlobalOptions(append(global, charts.WithTooltipOpts(tooltip), charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
			charts.WithParallelComponentOpts(opts.ParallelComponent{Left: "6%", Right: "10%", Top: "40", Bottom: "30"}))...)
		data := make([]opts.ParallelData, len(c.Rows))
		for i, r := range c.Rows {
			vals := make([]any, len(r.Values))
			for j, v := range r.Values {
				if j < len(c.Axes) && len(c.Axes[j].Categories) > 0 {
					vals[j] = c.Axes[j].Categories[int(v)]
				} else {
					vals[j] = round6(v)
				}
			}
			data[i] = opts.ParallelData{Name: r.Name, Value: vals}
		}
		ch.AddSeries("runs", data, charts.WithLineStyleOpts(opts.LineStyle{Width: 2, Opacity: opts.Float(0.7)}))
		ch.Validate()
		o := ch.JSON()
		// go-echarts leaves out a zero "dim", which echarts needs on every axis.
		axes := make([]map[string]any, len(c.Axes))
		for i, a := range c.Axes {
			ax := map[string]any{"dim": i, "name": a.Name, "nameLocation": "start"}
			if len(a.Categories) > 0 {
				ax["type"] = "category"
				ax["data"] = a.Categories
			} else {
				ax["type"] = "value"
				ax["scale"] = true
			}
			axes[i] = ax
		}
		o["parallelAxis"] = axes
		if len(c.Axes) > 0 {
			lo, hi := 0.0, 0.0
			last := len(c.Axes) - 1
			for i, r := range c.Rows {
				v := r.Values[last]
				if i == 0 || v < lo {
					lo = v
				}
				if i == 0 || v > hi {
					hi = v
				}
			}
			if hi == lo {
				hi = lo + 1
			}
			o["visualMap"] = []map[string]any{{
				"type": "continuous", "dimension": last, "min": round6(lo), "max": round6(hi),
				"calculable": true, "orient": "vertical", "right": 0, "top": "center",
				"inRange": map[string]any{"color": []string{"#e15759", "#edc948", "#59a14f"}},
			}}
		}
		return o, ch.JSAssets.Values
	}

	// KindLine: lines, steps and points on one set of axes.
	ch := charts.NewLine()
	ch.SetGlobalOptions(append(global, charts.WithTooltipOpts(tooltip), charts.WithLegendOpts(legend),
		charts.WithXAxisOpts(xAxis), charts.WithYAxisOpts(yAxis), charts.WithGridOpts(grid),
		charts.WithDataZoomOpts(zoom...), charts.WithToolboxOpts(toolbox))...)
	if c.XCats != nil {
		ch.SetXAxis(c.XCats)
	}
	var scatter *charts.Scatter
	var bands []map[string]any
	var dashed []Dash  // the pattern of each line series, in order
	var bests []*Point // the ringed point of each line series, in order
	for i, s := range c.Series {
		color := seriesColor(s, i)
		if s.Style == StyleBand {
			bands = append(bands, bandSeries(s, color))
			continue
		}
		if s.Style == StylePoints || s.Style == StyleTick {
			if scatter == nil {
				scatter = charts.NewScatter()
			}
			data := make([]opts.ScatterData, len(s.Points))
			for j, p := range s.Points {
				data[j] = opts.ScatterData{Value: []any{round6(p.X), round6(p.Y)}}
			}
			style := opts.ItemStyle{Color: color, Opacity: opts.Float(0.6)}
			sc := opts.ScatterChart{SymbolSize: 7}
			if s.Style == StyleTick {
				style.Opacity = opts.Float(1)
				sc = opts.ScatterChart{Symbol: "rect", SymbolSize: []int{26, 3}}
			}
			scatter.AddSeries(s.Name, data, charts.WithItemStyleOpts(style), charts.WithScatterChartOpts(sc))
			continue
		}
		var data []opts.LineData
		for j, p := range s.Points {
			if s.Style == StyleRange && j > 0 && j%2 == 0 {
				// A gap between one category's span and the next.
				data = append(data, opts.LineData{Value: []any{round6(p.X), "-"}})
			}
			data = append(data, opts.LineData{Value: []any{round6(p.X), round6(p.Y)}})
		}
		lc := opts.LineChart{ShowSymbol: opts.Bool(len(s.Points) <= 40), SymbolSize: 5}
		ls := opts.LineStyle{Color: color, Width: 2}
		switch s.Style {
		case StyleRange:
			lc.ShowSymbol, lc.ConnectNulls = opts.Bool(false), opts.Bool(false)
			ls.Width = 1.5
		case StyleDashed:
			ls.Type, ls.Width = "dashed", 1.5
		case StyleStep:
			lc.Step, lc.ShowSymbol = "middle", opts.Bool(false)
			ls.Width = 1.5
		}
		d := s.Dash
		if s.Style == StyleDashed {
			d = DashDashed
		}
		dashed = append(dashed, d)
		bests = append(bests, s.Best)
		ch.AddSeries(s.Name, data, charts.WithLineChartOpts(lc), charts.WithLineStyleOpts(ls),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: color}))
	}
	if scatter != nil {
		ch.Overlap(scatter)
	}
	ch.Validate()
	o := leftAlignYName(ch.JSON())
	if crowdedCategories(c.XCats) {
		o = slantXLabels(o)
	}
	return amendLines(o, c, dashed, bests, bands), ch.JSAssets.Values
}

// legendRowHeight is the height of a line of an echarts legend, pixels.
const legendRowHeight = 22

// echartsLegendRows estimates how many lines the legend of c wraps onto in a
// chart about 520 pixels wide: each entry takes its sample (25 pixels),
// its name at about 7 pixels a character, and 10 pixels of gap.
func echartsLegendRows(c *Chart) int {
	if c.Kind != KindLine && c.Kind != KindBar || len(c.Series) < 2 {
		return 0
	}
	const width = 520 - 64
	rows, x := 1, 0
	seen := map[string]bool{}
	for _, s := range c.Series {
		if seen[s.Name] {
			continue // a band shares its line's entry
		}
		seen[s.Name] = true
		w := 25 + 5 + 7*utf8.RuneCountInString(s.Name) + 10
		if x > 0 && x+w > width {
			rows++
			x = 0
		}
		x += w
	}
	return rows
}

// bandSeries is a shaded band between the low and high points of s, in
// pairs (x, low), (x, high): a custom echarts series, which the site's
// script gives the function that draws it (renderItem, which JSON cannot
// hold).
func bandSeries(s Series, color string) map[string]any {
	var data [][3]float64
	for j := 0; j+1 < len(s.Points); j += 2 {
		data = append(data, [3]float64{round6(s.Points[j].X), round6(s.Points[j].Y), round6(s.Points[j+1].Y)})
	}
	return map[string]any{
		"type": "custom", "name": s.Name, "cnnlabBand": true, "data": data,
		"encode": map[string]any{"x": 0, "y": []int{1, 2}}, "itemStyle": map[string]any{"color": color, "opacity": 0.18},
		"z": 1, "silent": true, "clip": true, "tooltip": map[string]any{"show": false},
	}
}

// amendLines adds to a line chart's option what go-echarts cannot say: the
// line patterns that are not plain dashes, the bands, and the chart's
// marks as vertical lines. The option is taken through JSON to a plain
// value first.
func amendLines(o map[string]any, c *Chart, dashed []Dash, bests []*Point, bands []map[string]any) map[string]any {
	b, err := json.Marshal(o)
	if err != nil {
		return o
	}
	var plain map[string]any
	if err := json.Unmarshal(b, &plain); err != nil {
		return o
	}
	series, _ := plain["series"].([]any)
	line := 0
	for _, sv := range series {
		m, ok := sv.(map[string]any)
		if !ok || m["type"] != "line" {
			continue
		}
		if line < len(dashed) {
			if ls, ok := m["lineStyle"].(map[string]any); ok {
				switch dashed[line] {
				case DashDashed:
					ls["type"] = "dashed"
				case DashDotted:
					ls["type"] = "dotted"
				case DashDashDot:
					ls["type"] = []int{8, 3, 2, 3}
				case DashLong:
					ls["type"] = []int{14, 4}
				}
			}
		}
		if line < len(bests) && bests[line] != nil {
			b := bests[line]
			colour := "#52606d"
			if is, ok := m["itemStyle"].(map[string]any); ok {
				if c, ok := is["color"].(string); ok {
					colour = c
				}
			}
			m["markPoint"] = map[string]any{
				"silent": true, "symbol": "circle", "symbolSize": 11, "animation": false,
				"itemStyle": map[string]any{"color": "transparent", "borderColor": colour, "borderWidth": 2},
				"label":     map[string]any{"show": false},
				"data":      []any{map[string]any{"coord": []float64{round6(b.X), round6(b.Y)}, "name": "best"}},
			}
		}
		if line == 0 && len(c.Marks) > 0 {
			var data []map[string]any
			for _, mk := range c.Marks {
				data = append(data, map[string]any{"xAxis": round6(mk.X), "name": mk.Label})
			}
			m["markLine"] = map[string]any{
				"silent": true, "symbol": "none", "data": data, "animation": false,
				"lineStyle": map[string]any{"type": "dashed", "color": "#52606d", "width": 1},
				"label":     map[string]any{"formatter": "{b}", "position": "insideEndTop", "color": "#52606d"},
			}
		}
		line++
	}
	for _, band := range bands {
		if len(bands) > 3 {
			// Many bands overlap: each lighter, so that lines show through.
			band["itemStyle"].(map[string]any)["opacity"] = 0.08
		}
		series = append(series, band)
	}
	plain["series"] = series
	return plain
}

// crowdedCategories reports whether category labels this long would
// overlap side by side in a chart about 600 pixels wide (about 7 pixels a
// character at the 12-pixel label font, 16 between labels); echarts would
// then leave some of them out.
func crowdedCategories(cats []string) bool {
	width := 0
	for _, c := range cats {
		width += 7*utf8.RuneCountInString(c) + 16
	}
	return width > 600
}

// slantXLabels shows every x category label, turned 30° so that long labels
// do not overlap. go-echarts writes the interval as text, which echarts
// does not read as a number, so the built option is amended.
func slantXLabels(o map[string]any) map[string]any {
	if xs, ok := o["xAxis"].([]opts.XAxis); ok {
		out := make([]any, len(xs))
		for i, x := range xs {
			out[i] = struct {
				opts.XAxis
				AxisLabel map[string]any `json:"axisLabel"`
			}{x, map[string]any{"interval": 0, "rotate": 30}}
		}
		o["xAxis"] = out
	}
	return o
}

// leftAlignYName starts the y axis name at the axis and runs it to the
// right, so that a long name above the axis is not cut at the chart's left
// edge. go-echarts has no option for it, so the built option is amended.
func leftAlignYName(o map[string]any) map[string]any {
	if ys, ok := o["yAxis"].([]opts.YAxis); ok {
		out := make([]any, len(ys))
		for i, y := range ys {
			out[i] = struct {
				opts.YAxis
				NameTextStyle map[string]string `json:"nameTextStyle"`
			}{y, map[string]string{"align": "left"}}
		}
		o["yAxis"] = out
	}
	return o
}
