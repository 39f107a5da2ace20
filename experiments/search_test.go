package experiments

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const searchBase = `name: s
data: {set: mnist}
model:
  - conv: {filters: 4, kernel: 3}
  - flatten
  - dropout: {rate: 0.1}
  - dense: {units: 10}
train: {epochs: 6, batch: 32}
`

func loadText(t *testing.T, text string) (*Experiment, error) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "x.yaml")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(f, nil)
}

func mustLoad(t *testing.T, text string) *Experiment {
	t.Helper()
	e, err := loadText(t, text)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// values returns the value of key at every point.
func values(t *testing.T, e *Experiment, key string) []string {
	t.Helper()
	pts, _ := e.Points()
	var out []string
	for _, p := range pts {
		for _, s := range p.Settings {
			if s.Key == key {
				out = append(out, s.Value)
			}
		}
	}
	return out
}

func TestRandomDistributions(t *testing.T) {
	for _, tc := range []struct {
		key, dist string
		check     func(v string) error
	}{
		{"train.l2", "{uniform: [0.25, 0.5]}", func(v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0.25 || f > 0.5 {
				return fmt.Errorf("out of [0.25, 0.5]")
			}
			return nil
		}},
		{"train.optimizer.adam.lr", "{loguniform: [1e-5, 1e-1]}", func(v string) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 1e-5 || f > 1e-1 {
				return fmt.Errorf("out of [1e-5, 1e-1]")
			}
			if s := strconv.FormatFloat(f, 'g', 3, 64); s != strconv.FormatFloat(f, 'g', -1, 64) {
				return fmt.Errorf("more than 3 significant digits")
			}
			return nil
		}},
		{"model[0].conv.filters", "{int: [2, 4]}", func(v string) error {
			if v != "2" && v != "3" && v != "4" {
				return fmt.Errorf("not 2, 3 or 4")
			}
			return nil
		}},
		{"model[0].conv.kernel", "{choice: [1, 3]}", func(v string) error {
			if v != "1" && v != "3" {
				return fmt.Errorf("not 1 or 3")
			}
			return nil
		}},
	} {
		t.Run(tc.dist, func(t *testing.T) {
			text := searchBase + "sweep:\n  random:\n    samples: 60\n    params:\n      " + tc.key + ": " + tc.dist + "\n"
			e := mustLoad(t, text)
			vs := values(t, e, tc.key)
			if len(vs) != 60 {
				t.Fatalf("%d values, want 60", len(vs))
			}
			seen := map[string]bool{}
			for _, v := range vs {
				if err := tc.check(v); err != nil {
					t.Errorf("%s: %v", v, err)
				}
				seen[v] = true
			}
			if want := map[string]int{"{int: [2, 4]}": 3, "{choice: [1, 3]}": 2}[tc.dist]; want > 0 && len(seen) != want {
				t.Errorf("%d distinct values in 60 draws, want %d: %v", len(seen), want, seen)
			} else if want == 0 && len(seen) < 40 {
				t.Errorf("only %d distinct values in 60 draws", len(seen))
			}
			// Points resolve to the drawn values.
			pts, _ := e.Points()
			if tc.key == "model[0].conv.filters" && strconv.Itoa(pts[0].Experiment.Model[0].Value("filters").Int) != vs[0] {
				t.Errorf("point 0 has %d filters, its setting %s", pts[0].Experiment.Model[0].Value("filters").Int, vs[0])
			}
		})
	}
	// A log-uniform draw spreads over the decades: about a quarter in each of four.
	e := mustLoad(t, searchBase+"sweep:\n  random:\n    samples: 400\n    params:\n      train.l2: {loguniform: [1e-5, 1e-1]}\n")
	decades := map[int]int{}
	for _, v := range values(t, e, "train.l2") {
		f, _ := strconv.ParseFloat(v, 64)
		decades[int(math.Floor(math.Log10(f)))]++
	}
	for d := -5; d <= -2; d++ {
		if decades[d] < 70 || decades[d] > 130 {
			t.Errorf("decade 1e%d has %d of 400 draws: %v", d, decades[d], decades)
		}
	}
}

func TestRandomIsStable(t *testing.T) {
	draw := func(samples int, extra string) []string {
		e := mustLoad(t, searchBase+fmt.Sprintf("sweep:\n  random:\n    samples: %d\n    seed: 4\n    params:\n      train.l2: {uniform: [0, 1]}\n%s", samples, extra))
		return values(t, e, "train.l2")
	}
	a, b := draw(5, ""), draw(5, "")
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("two reads differ: %v, %v", a, b)
	}
	if more := draw(9, ""); fmt.Sprint(more[:5]) != fmt.Sprint(a) {
		t.Errorf("adding samples changed the earlier ones: %v, then %v", a, more)
	}
	if other := draw(5, "      train.optimizer.adam.lr: {loguniform: [1e-4, 1e-2]}\n"); fmt.Sprint(other) != fmt.Sprint(a) {
		t.Errorf("adding a key changed the values of another: %v, then %v", a, other)
	}
	e := mustLoad(t, searchBase+"sweep:\n  random:\n    samples: 5\n    seed: 5\n    params:\n      train.l2: {uniform: [0, 1]}\n")
	if fmt.Sprint(values(t, e, "train.l2")) == fmt.Sprint(a) {
		t.Errorf("seeds 4 and 5 draw the same: %v", a)
	}
}

func TestRandomWithGridAndSeeds(t *testing.T) {
	e := mustLoad(t, searchBase+`sweep:
  grid:
    train.batch: [16, 32]
  seeds: 2
  random:
    samples: 3
    params:
      train.l2: {uniform: [0, 1]}
`)
	pts, _ := e.Points()
	if len(pts) != 12 {
		t.Fatalf("%d points, want 2 batches × 3 samples × 2 seeds", len(pts))
	}
	var labels []string
	for _, p := range pts {
		labels = append(labels, p.Label())
	}
	l2 := values(t, e, "train.l2")
	// The same samples at each grid point and replicate, the sample fastest.
	for i := range l2 {
		if l2[i] != l2[i%3] {
			t.Errorf("point %d: l2 %s, want sample %d's %s (%v)", i, l2[i], i%3, l2[i%3], labels)
		}
	}
	if pts[0].Settings[0].Key != "train.batch" || pts[3].Settings[0].Value != "32" || pts[6].Replicate != 1 {
		t.Errorf("order: %v", labels)
	}
	if runs, epochs := e.Cost(); runs != 12 || epochs != 72 {
		t.Errorf("cost %d runs, %d epochs; want 12, 72", runs, epochs)
	}
}

func TestRandomVariantChoice(t *testing.T) {
	e := mustLoad(t, searchBase+`sweep:
  variants:
    narrow: {"model[0].conv.filters": 2}
    wide: {"model[0].conv.filters": 8}
  random:
    samples: 20
    params:
      variant: {choice: [narrow, wide]}
      train.l2: {uniform: [0, 1]}
`)
	pts, _ := e.Points()
	if len(pts) != 20 {
		t.Fatalf("%d points: variants are drawn, not crossed", len(pts))
	}
	n := map[string]int{}
	for _, p := range pts {
		v := p.Settings[0]
		want := map[string]int{"narrow": 2, "wide": 8}[v.Value]
		if v.Key != "variant" || p.Experiment.Model[0].Value("filters").Int != want {
			t.Errorf("%s: filters %d", p.Label(), p.Experiment.Model[0].Value("filters").Int)
		}
		n[v.Value]++
	}
	if n["narrow"] == 0 || n["wide"] == 0 {
		t.Errorf("draws %v", n)
	}
}

func TestHalving(t *testing.T) {
	for _, tc := range []struct {
		halving string
		rungs   string
		runs    int
		epochs  int
	}{
		{"{budget: 9, factor: 3}", "[1 3 9]", 27, 27*1 + 9*2 + 3*6},
		{"{budget: 10, factor: 3}", "[1 3 9 10]", 27, 27 + 9*2 + 3*6 + 1},
		{"{budget: 8, factor: 2, min_epochs: 2}", "[2 4 8]", 27, 27*2 + 13*2 + 6*4},
		{"{factor: 4}", "[1 4 6]", 27, 27 + 6*3 + 1*2}, // the budget defaults to train.epochs
	} {
		e := mustLoad(t, searchBase+"sweep:\n  random:\n    samples: 27\n    params:\n      train.l2: {uniform: [0, 1]}\n  halving: "+tc.halving+"\n")
		h := e.Sweep.Halving
		if fmt.Sprint(h.Rungs) != tc.rungs {
			t.Errorf("%s: rungs %v, want %s", tc.halving, h.Rungs, tc.rungs)
		}
		if runs, epochs := e.Cost(); runs != tc.runs || epochs != tc.epochs {
			t.Errorf("%s: cost %d runs %d epochs, want %d, %d", tc.halving, runs, epochs, tc.runs, tc.epochs)
		}
		pts, _ := e.Points()
		if got := pts[0].Experiment.Train.Epochs; got != h.Budget {
			t.Errorf("%s: a point trains %d epochs, want the budget %d", tc.halving, got, h.Budget)
		}
		if !strings.Contains(e.CostText(), fmt.Sprintf("at most 27 runs and %d epochs", tc.epochs)) {
			t.Errorf("%s: %s", tc.halving, e.CostText())
		}
	}
}

func TestSearchErrors(t *testing.T) {
	sweep := func(s string) string { return searchBase + "sweep:\n" + s }
	for _, tc := range []struct {
		name, text, want string
	}{
		{"test metric", sweep("  grid: {train.l2: [0, 1]}\n  halving: {metric: test_acc}\n"),
			"x.yaml:11:21: sweep.halving.metric: test_acc is measured on the test set, which must not choose among the points; rank by val_acc or val_loss"},
		{"unknown metric", sweep("  grid: {train.l2: [0, 1]}\n  halving: {metric: val_ac}\n"),
			`x.yaml:11:21: sweep.halving.metric: unknown metric "val_ac"; did you mean "val_acc"?`},
		{"one rung", sweep("  grid: {train.l2: [0, 1]}\n  halving: {budget: 4, min_epochs: 4}\n"),
			"x.yaml:11:36: sweep.halving.min_epochs (4) must be below the budget (4 epochs)"},
		{"factor 1", sweep("  grid: {train.l2: [0, 1]}\n  halving: {factor: 1}\n"),
			"x.yaml:11:21: sweep.halving.factor must be ≥ 2, got 1"},
		{"unknown halving key", sweep("  grid: {train.l2: [0, 1]}\n  halving: {budgett: 4}\n"),
			`x.yaml:11:13: sweep.halving.budgett: unknown key; did you mean "budget"?`},
		{"epochs swept", sweep("  grid: {train.epochs: [2, 4]}\n  halving: {budget: 4}\n"),
			"x.yaml:10:10: sweep: train.epochs is swept, but sweep.halving sets every point's epochs to its budget"},
		{"no samples", sweep("  random: {params: {train.l2: {uniform: [0, 1]}}}\n"),
			"x.yaml:10:11: sweep.random.samples: missing"},
		{"no params", sweep("  random: {samples: 3}\n"),
			"x.yaml:10:11: sweep.random.params: missing"},
		{"unknown distribution", sweep("  random:\n    samples: 3\n    params:\n      train.l2: {normal: [0, 1]}\n"),
			`x.yaml:13:18: sweep.random.params.train.l2: unknown distribution "normal"`},
		{"log of zero", sweep("  random:\n    samples: 3\n    params:\n      train.l2: {loguniform: [0, 1]}\n"),
			"x.yaml:13:31: sweep.random.params.train.l2.loguniform: the low bound must be > 0"},
		{"bounds reversed", sweep("  random:\n    samples: 3\n    params:\n      train.l2: {uniform: [1, 0]}\n"),
			"x.yaml:13:27: sweep.random.params.train.l2.uniform: the low bound 1 must be below the high bound 0"},
		{"int bound not whole", sweep("  random:\n    samples: 3\n    params:\n      train.batch: {int: [8, 16.5]}\n"),
			"x.yaml:13:30: sweep.random.params.train.batch.int[1] must be a whole number, got 16.5"},
		{"one bound", sweep("  random:\n    samples: 3\n    params:\n      train.l2: {uniform: [1]}\n"),
			"x.yaml:13:27: sweep.random.params.train.l2.uniform must be [LOW, HIGH], got a list"},
		{"swept twice", sweep("  grid: {train.l2: [0, 1]}\n  random:\n    samples: 3\n    params:\n      train.l2: {uniform: [0, 1]}\n"),
			"x.yaml:14:7: sweep.random.params: train.l2 is already swept at line 10"},
		{"choice twice", sweep("  random:\n    samples: 3\n    params:\n      train.batch: {choice: [8, 8]}\n"),
			"x.yaml:13:33: sweep.random.params.train.batch.choice: value 8 is already listed at line 13"},
		{"variant without variants", sweep("  random:\n    samples: 3\n    params:\n      variant: {choice: [a]}\n"),
			"x.yaml:13:7: sweep.random.params: variant: the sweep has no variants to choose among"},
		{"unknown variant", sweep("  variants: {small: {train.batch: 8}}\n  random:\n    samples: 3\n    params:\n      variant: {choice: [smal]}\n"),
			`x.yaml:14:26: sweep.random.params.variant.choice: unknown variant "smal"; did you mean "small"?`},
		{"a sampled value out of range", sweep("  random:\n    samples: 3\n    params:\n      model[2].dropout.rate: {uniform: [0.5, 1.5]}\n"),
			"x.yaml:13:7: "},
		{"seed sampled and replicated", sweep("  seeds: 2\n  random:\n    samples: 3\n    params:\n      train.seed: {int: [1, 9]}\n"),
			"x.yaml:14:7: sweep.random.params: train.seed is sampled and seeds: 2 replicates it too"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := loadText(t, tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}
