package experiments

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must return an experiment
// or Errors, never panic, and a loaded experiment must be checked without a
// panic and write resolved YAML that loads again.
func FuzzLoad(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.yaml")
	more, _ := filepath.Glob("seed/*.yaml")
	examples, _ := filepath.Glob("examples/*.yaml")
	more = append(more, examples...)
	for _, s := range append(append(seeds, more...), "demo.yaml") {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("model: [flatten, {dense: {units: 10}}]\nsweep: {grid: {train.epochs: [1, 2]}, seeds: 2}\n"))
	f.Add([]byte("a: &a [1]\nb: {<<: *a}\n"))
	f.Add([]byte("data: {set: mnist}\nmodel: [flatten, {dense: {units: 10}}]\nsweep: {variants: {a: {train.batch: 8}, b: {train.batch: 16}}, random: {samples: 5, seed: 3, params: {variant: {choice: [a, b]}, train.l2: {loguniform: [1e-5, 1e-1]}, train.seed: {int: [1, 4]}, train.optimizer.adam.lr: {uniform: [0.001, 0.01]}}}, halving: {budget: 9, factor: 3, min_epochs: 1, metric: val_loss}}\n"))
	f.Add([]byte("data: {set: mnist}\nblocks: {b: {params: {f: 2}, layers: [{conv: {filters: $f, kernel: 3}}]}}\nmodel: [{residual: {body: [{block: {use: b}}], shortcut: [{conv: {filters: 2, kernel: 3}}]}}, flatten, {dense: {units: 10}}]\n"))
	dir := f.TempDir()
	name := filepath.Join(dir, "fuzz.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := loadBytes(name, data, nil)
		if err != nil {
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		pts, err := e.Points()
		if err != nil || len(pts) == 0 {
			t.Fatalf("loaded but Points: %d, %v", len(pts), err)
		}
		_ = e.CostText()
		if err := e.Check(shapes); err != nil {
			if _, ok := err.(ErrorList); !ok {
				t.Fatalf("Check: error of type %T: %v", err, err)
			}
		}
		y, err := pts[0].Experiment.ResolvedYAML()
		if err != nil {
			t.Fatalf("ResolvedYAML: %v", err)
		}
		if _, err := loadBytes(name, y, nil); err != nil {
			t.Fatalf("resolved YAML does not load: %v\n%s", err, y)
		}
	})
}
