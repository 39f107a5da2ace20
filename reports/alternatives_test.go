package reports

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/plot"

	"github.com/cnnlab/cnnlab/runner/record"
)

// point is one point of a synthetic sweep: its swept values as key, value
// pairs and the test accuracy of each of its replicates.
type point struct {
	swept []string
	accs  []float64
}

// sweepOf builds the experiment of a synthetic sweep in memory, one finished
// run per point and replicate, with run folders named in an order unlike
// the sweep's so that sorting is tested too.
func sweepOf(t *testing.T, points []point) *experiment {
	t.Helper()
	var recs []*record.Run
	for i, p := range points {
		for rep, acc := range p.accs {
			st := record.Status{Experiment: "x", State: record.StateDone, Replicate: rep, Seed: int64(1 + rep), TestAcc: acc, BestValAcc: acc, Epochs: 1, Epoch: 1}
			for j := 0; j+1 < len(p.swept); j += 2 {
				st.Swept = append(st.Swept, record.KeyValue{Key: p.swept[j], Value: p.swept[j+1]})
			}
			if len(p.accs) > 1 {
				st.Swept = append(st.Swept, record.KeyValue{Key: "seed", Value: strconv.Itoa(1 + rep)})
			}
			dir := fmt.Sprintf("results/x/%02d-%d", 99-i, rep)
			recs = append(recs, &record.Run{Dir: dir, Status: st, Epochs: []record.Epoch{{Epoch: 1, ValAcc: acc, TestAcc: acc}}})
		}
	}
	exps := buildExperiments(map[string][]*record.Run{"x": recs})
	if len(exps) != 1 {
		t.Fatalf("got %d experiments, want 1", len(exps))
	}
	return exps[0]
}

const (
	kernelKey = "model[0].conv.kernel"
	strideKey = "model[0].conv.stride"
)

// strideFilter is the shape of the homework's stride × filter sweep: a
// kernel × stride grid, whose points have an empty variant, and two named
// alternatives that set the same keys (one of them at a grid point's
// values).
func strideFilter(seeds int) []point {
	acc := func(base float64) []float64 {
		out := make([]float64, seeds)
		for i := range out {
			out[i] = base + 0.002*float64(i)
		}
		return out
	}
	var ps []point
	for ki, k := range []string{"3", "5", "7"} {
		for si, s := range []string{"1", "2"} {
			ps = append(ps, point{[]string{variantKey, "", kernelKey, k, strideKey, s}, acc(0.90 + 0.02*float64(ki) - 0.01*float64(si))})
		}
	}
	ps = append(ps,
		point{[]string{variantKey, "32@5x5", kernelKey, "5", strideKey, "1"}, acc(0.80)},
		point{[]string{variantKey, "16@3x3+16@5x5", kernelKey, "3", strideKey, "1"}, acc(0.99)},
	)
	return ps
}

func TestAlternativesAndLabels(t *testing.T) {
	tests := []struct {
		name         string
		points       []point
		keys         []string
		alternatives []string
		gridKeys     []string
		labels       []string // of the runs in their sorted order
	}{
		{
			name:         "grid and named alternatives",
			points:       strideFilter(1),
			keys:         []string{variantKey, kernelKey, strideKey},
			alternatives: []string{"16@3x3+16@5x5", "32@5x5"},
			gridKeys:     []string{kernelKey, strideKey},
			labels: []string{"kernel=3 stride=1", "kernel=3 stride=2", "kernel=5 stride=1", "kernel=5 stride=2",
				"kernel=7 stride=1", "kernel=7 stride=2", "16@3x3+16@5x5", "32@5x5"},
		},
		{
			name: "replicated alternatives",
			points: []point{
				{[]string{variantKey, "", kernelKey, "3"}, []float64{0.9, 0.91}},
				{[]string{variantKey, "", kernelKey, "5"}, []float64{0.9, 0.91}},
				{[]string{variantKey, "wide", kernelKey, "5"}, []float64{0.9, 0.91}},
			},
			keys:         []string{variantKey, kernelKey},
			alternatives: []string{"wide"},
			gridKeys:     []string{kernelKey},
			labels:       []string{"kernel=3 seed 1", "kernel=3 seed 2", "kernel=5 seed 1", "kernel=5 seed 2", "wide seed 1", "wide seed 2"},
		},
		{
			name: "a key only an alternative changes stays out of the grid",
			points: []point{
				{[]string{variantKey, "", kernelKey, "3", "model[0].conv.filters", "28"}, []float64{0.9}},
				{[]string{variantKey, "", kernelKey, "5", "model[0].conv.filters", "28"}, []float64{0.9}},
				{[]string{variantKey, "32 filters", kernelKey, "5", "model[0].conv.filters", "32"}, []float64{0.9}},
			},
			keys:         []string{variantKey, kernelKey, "model[0].conv.filters"},
			alternatives: []string{"32 filters"},
			gridKeys:     []string{kernelKey},
			labels:       []string{"kernel=3", "kernel=5", "32 filters"},
		},
		{
			name: "named variants only",
			points: []point{
				{[]string{variantKey, "small"}, []float64{0.9}},
				{[]string{variantKey, "large"}, []float64{0.9}},
			},
			keys:     []string{variantKey},
			gridKeys: []string{variantKey},
			labels:   []string{"variant=large", "variant=small"},
		},
		{
			name: "variants crossed with a grid, and an unnamed include",
			points: []point{
				{[]string{variantKey, "a", kernelKey, "3"}, []float64{0.9}},
				{[]string{variantKey, "a", kernelKey, "5"}, []float64{0.9}},
				{[]string{variantKey, "b", kernelKey, "3"}, []float64{0.9}},
				{[]string{variantKey, "b", kernelKey, "5"}, []float64{0.9}},
				{[]string{variantKey, "", kernelKey, "9"}, []float64{0.9}},
			},
			keys:     []string{variantKey, kernelKey},
			gridKeys: []string{variantKey, kernelKey},
			labels:   []string{"kernel=9", "variant=a kernel=3", "variant=a kernel=5", "variant=b kernel=3", "variant=b kernel=5"},
		},
		{
			name: "no variant",
			points: []point{
				{[]string{kernelKey, "3", strideKey, "1"}, []float64{0.9}},
				{[]string{kernelKey, "3", strideKey, "2"}, []float64{0.9}},
			},
			keys:     []string{strideKey},
			gridKeys: []string{strideKey},
			labels:   []string{"stride=1", "stride=2"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := sweepOf(t, tt.points)
			if fmt.Sprint(e.Keys) != fmt.Sprint(tt.keys) {
				t.Errorf("Keys = %q, want %q", e.Keys, tt.keys)
			}
			if fmt.Sprint(e.Alternatives) != fmt.Sprint(tt.alternatives) {
				t.Errorf("Alternatives = %q, want %q", e.Alternatives, tt.alternatives)
			}
			if fmt.Sprint(e.GridKeys) != fmt.Sprint(tt.gridKeys) {
				t.Errorf("GridKeys = %q, want %q", e.GridKeys, tt.gridKeys)
			}
			var labels []string
			for _, r := range e.Runs {
				labels = append(labels, r.Label)
			}
			if strings.Join(labels, "|") != strings.Join(tt.labels, "|") {
				t.Errorf("labels = %q, want %q", labels, tt.labels)
			}
		})
	}
}

// seriesYs gives the y values of a chart's series of that name.
func seriesYs(t *testing.T, c *Chart, name string) []float64 {
	t.Helper()
	for _, s := range c.Series {
		if s.Name == name {
			var ys []float64
			for _, p := range s.Points {
				ys = append(ys, round6(p.Y))
			}
			return ys
		}
	}
	t.Fatalf("chart %s has no series %q", c.ID, name)
	return nil
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func TestSweepChartsWithAlternatives(t *testing.T) {
	tests := []struct {
		name     string
		seeds    int
		cells    map[[2]int]float64 // heatmap cell (kernel index, stride index) → mean %
		byKernel []float64          // mean % at kernel 3, 5, 7
		cats     []string
		means    []float64 // of the points chart, per category
		std      bool      // the points chart shows mean ± std
	}{
		{
			name:     "one seed",
			seeds:    1,
			cells:    map[[2]int]float64{{0, 0}: 90, {0, 1}: 89, {1, 0}: 92, {1, 1}: 91, {2, 0}: 94, {2, 1}: 93},
			byKernel: []float64{89.5, 91.5, 93.5},
			cats: []string{"kernel=3 stride=1", "kernel=3 stride=2", "kernel=5 stride=1", "kernel=5 stride=2",
				"kernel=7 stride=1", "kernel=7 stride=2", "16@3x3+16@5x5", "32@5x5"},
			means: []float64{90, 89, 92, 91, 94, 93, 99, 80},
		},
		{
			name:     "three seeds",
			seeds:    3,
			cells:    map[[2]int]float64{{0, 0}: 90.2, {0, 1}: 89.2, {1, 0}: 92.2, {1, 1}: 91.2, {2, 0}: 94.2, {2, 1}: 93.2},
			byKernel: []float64{89.7, 91.7, 93.7},
			cats: []string{"kernel=3 stride=1", "kernel=3 stride=2", "kernel=5 stride=1", "kernel=5 stride=2",
				"kernel=7 stride=1", "kernel=7 stride=2", "16@3x3+16@5x5", "32@5x5"},
			means: []float64{90.2, 89.2, 92.2, 91.2, 94.2, 93.2, 99.2, 80.2},
			std:   true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := sweepOf(t, strideFilter(tt.seeds))
			sc := buildSweepCharts(e)

			if sc.Parallel != nil {
				t.Errorf("a parallel chart for %d grid keys", len(e.GridKeys))
			}
			if sc.Grid == nil {
				t.Fatal("no heatmap of kernel × stride")
			}
			if fmt.Sprint(sc.Grid.XCats, sc.Grid.YCats) != "[3 5 7] [1 2]" {
				t.Errorf("heatmap categories %q × %q, want [3 5 7] × [1 2]", sc.Grid.XCats, sc.Grid.YCats)
			}
			if len(sc.Grid.Cells) != len(tt.cells) {
				t.Errorf("heatmap has %d cells, want %d", len(sc.Grid.Cells), len(tt.cells))
			}
			for _, c := range sc.Grid.Cells {
				if want, ok := tt.cells[[2]int{c.X, c.Y}]; !ok || !near(c.Value, want) {
					t.Errorf("heatmap cell (%d, %d) = %v, want %v (grid runs only)", c.X, c.Y, c.Value, want)
				}
			}

			if len(sc.ByKey) != 2 {
				t.Fatalf("%d by-key charts, want kernel and stride", len(sc.ByKey))
			}
			k := sc.ByKey[0]
			if k.Title != "Best validation accuracy against kernel" || fmt.Sprint(k.XCats) != "[3 5 7]" {
				t.Errorf("first by-key chart %q over %q, want kernel over [3 5 7]", k.Title, k.XCats)
			}
			if got := seriesYs(t, k, "mean"); len(got) != 3 || !near(got[0], tt.byKernel[0]) || !near(got[1], tt.byKernel[1]) || !near(got[2], tt.byKernel[2]) {
				t.Errorf("mean against kernel = %v, want %v", got, tt.byKernel)
			}
			if got := len(seriesYs(t, k, "runs")); got != 6*tt.seeds {
				t.Errorf("kernel chart shows %d runs, want the %d grid runs", got, 6*tt.seeds)
			}
			for _, c := range append([]*Chart{sc.Grid}, sc.ByKey...) {
				if !strings.Contains(c.Note, "Grid points only") || !strings.Contains(c.Note, "16@3x3+16@5x5, 32@5x5") {
					t.Errorf("chart %s does not say the alternatives are left out: %q", c.ID, c.Note)
				}
			}

			p := sc.Points
			if p == nil {
				t.Fatal("no chart of every point")
			}
			if strings.Join(p.XCats, "|") != strings.Join(tt.cats, "|") {
				t.Errorf("points categories = %q, want %q", p.XCats, tt.cats)
			}
			means := seriesYs(t, p, "mean")
			if len(means) != len(tt.means) {
				t.Fatalf("points means = %v, want %v", means, tt.means)
			}
			for i := range means {
				if !near(means[i], tt.means[i]) {
					t.Errorf("mean of %s = %v, want %v", p.XCats[i], means[i], tt.means[i])
				}
			}
			if got := len(seriesYs(t, p, "runs")); got != 8*tt.seeds {
				t.Errorf("points chart shows %d runs, want %d", got, 8*tt.seeds)
			}
			hasStd := false
			for _, s := range p.Series {
				hasStd = hasStd || s.Name == "mean ± std"
			}
			if hasStd != tt.std {
				t.Errorf("points chart shows std: %v, want %v", hasStd, tt.std)
			}
			if tt.std {
				span := seriesYs(t, p, "mean ± std") // low, high of each point in turn
				lo, hi := span[0], span[1]
				if len(span) != 2*len(means) || !near(hi-means[0], 0.2) || !near(means[0]-lo, 0.2) {
					t.Errorf("std of %s = −%v +%v (%d span ends), want 0.2", p.XCats[0], means[0]-lo, hi-means[0], len(span))
				}
			}
		})
	}
}

func TestNoPointsChartWithoutAlternatives(t *testing.T) {
	tests := []struct {
		name   string
		points []point
	}{
		{"grid", []point{{[]string{kernelKey, "3"}, []float64{0.9}}, {[]string{kernelKey, "5"}, []float64{0.8}}}},
		{"named variants", []point{{[]string{variantKey, "a"}, []float64{0.9}}, {[]string{variantKey, "b"}, []float64{0.8}}}},
	}
	for _, tt := range tests {
		e := sweepOf(t, tt.points)
		sc := buildSweepCharts(e)
		if sc.Points != nil {
			t.Errorf("%s: a chart of every point", tt.name)
		}
		if len(sc.ByKey) != 1 || strings.Contains(sc.ByKey[0].Note, "Grid points only") || len(seriesYs(t, sc.ByKey[0], "runs")) != 2 {
			t.Errorf("%s: by-key charts changed: %+v", tt.name, sc.ByKey)
		}
	}
}

func TestCrowdedCategoryLabels(t *testing.T) {
	long := []string{"kernel=3 stride=1", "kernel=3 stride=2", "kernel=5 stride=1", "kernel=5 stride=2",
		"kernel=7 stride=1", "kernel=7 stride=2", "16@3x3+16@5x5", "32@5x5"}
	tests := []struct {
		name  string
		cats  []string
		slant bool
	}{
		{"key values", []string{"3", "5", "7"}, false},
		{"a few words", []string{"relu", "tanh", "sigmoid", "leaky relu"}, false},
		{"points of a sweep", long, true},
	}
	for _, tt := range tests {
		c := &Chart{ID: "c", Kind: KindLine, XCats: tt.cats, Series: []Series{{Name: "mean", Style: StyleLine, Points: []Point{{0, 1}, {1, 2}}}}}
		opt, _ := echartsOption(c, "assets/")
		b, err := json.Marshal(opt)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(b), `"axisLabel":{"interval":0,"rotate":30}`); got != tt.slant {
			t.Errorf("%s: echarts labels slanted = %v, want %v", tt.name, got, tt.slant)
		}
		p := plot.New()
		p.X.Tick.Label.Font = sans(10)
		slantCrowdedLabels(p, tt.cats)
		if got := p.X.Tick.Label.Rotation != 0; got != tt.slant {
			t.Errorf("%s: PNG labels slanted = %v, want %v", tt.name, got, tt.slant)
		}
		if _, err := chartPNG(c); err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
}

// TestMeansStyleFollowsTheAxis checks that means along numbers are joined
// by a line, and means over names, whose order means nothing, are level
// marks with a span each for mean ± std.
func TestMeansStyleFollowsTheAxis(t *testing.T) {
	tests := []struct {
		name   string
		key    string
		values []string
		want   map[string]SeriesStyle // series name → style
	}{
		{"numbers", kernelKey, []string{"3", "5", "7"},
			map[string]SeriesStyle{"mean": StyleLine, "mean ± std": StyleBand, "runs": StylePoints}},
		{"names", "data.preprocess", []string{"minmax", "none", "standardize"},
			map[string]SeriesStyle{"mean": StyleTick, "mean ± std": StyleRange, "runs": StylePoints}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ps []point
			for i, v := range tt.values {
				ps = append(ps, point{[]string{tt.key, v}, []float64{0.8 + 0.01*float64(i), 0.81 + 0.01*float64(i)}})
			}
			sc := buildSweepCharts(sweepOf(t, ps))
			if len(sc.ByKey) != 1 {
				t.Fatalf("%d by-key charts, want 1", len(sc.ByKey))
			}
			c := sc.ByKey[0]
			got := map[string]SeriesStyle{}
			for _, s := range c.Series {
				got[s.Name] = s.Style
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("series styles %v, want %v", got, tt.want)
			}
			if tt.want["mean ± std"] != "" {
				span := seriesYs(t, c, "mean ± std") // low, high of each value in turn
				if len(span) != 2*len(tt.values) || !near((span[0]+span[1])/2, 80.5) || span[1] <= span[0] {
					t.Errorf("span ends %v, want a span around 80.5 first", span)
				}
				option, _ := echartsOption(c, "")
				js, err := json.Marshal(option)
				if err != nil {
					t.Fatal(err)
				}
				want := []string{`"symbol":"rect"`, `"symbolSize":[26,3]`, `"-"]`, `"connectNulls":false`}
				if tt.want["mean ± std"] == StyleBand {
					// Along numbers, a shaded band the site's script draws.
					want = []string{`"cnnlabBand":true`, `"type":"custom"`, `"encode":{"x":0,"y":[1,2]}`}
				}
				for _, w := range want {
					if !strings.Contains(string(js), w) {
						t.Errorf("echarts option lacks %s", w)
					}
				}
			}
			if _, err := chartPNG(c); err != nil {
				t.Errorf("PNG: %v", err)
			}
		})
	}
}
