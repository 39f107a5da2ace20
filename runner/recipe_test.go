package runner

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/nn/gemm"
	"github.com/cnnlab/cnnlab/runner/record"
)

// tinyRecipe is tinyBase with every setting of the fast recipes: a first
// layer whitened from the images and frozen, a dirac conv, batch norm
// without scale and frozen after an epoch, parameter groups, a triangle
// schedule, an alternating flip with a reflected crop, a weight average
// and test-time augmentation.
const tinyRecipe = `name: tiny-recipe
data:
  set: folder
  path: synthetic
  size: 8
  channels: 1
  split: {train: 0, val: 30, test: 30}
  preprocess: standardize
  augment: [{flip: {alternate: true}}, {crop: {pad: 1, reflect: true}}]
model:
  - conv: {filters: 8, kernel: 2, init: whiten, frozen: true, freeze_after: 1}
  - gelu
  - conv: {filters: 8, kernel: 3, padding: same, bias: false, init: dirac}
  - maxpool: {size: 2}
  - batchnorm: {momentum: 0.6, scale: false, freeze_after: 2}
  - gelu
  - globalmaxpool
  - dense: {units: 3, bias: false}
  - scale: {factor: 0.5}
train:
  epochs: 3
  batch: 16
  optimizer: {sgd: {lr: 0.05, momentum: 0.85, nesterov: true}}
  schedule: {triangle: {start: 0.2, peak: 0.3, end: 0.05}}
  l2: 0.0005
  label_smoothing: 0.2
  groups: {biases: {lr_scale: 4}, norm: {lr_scale: 4, decay: 0.25}}
  average: {AVERAGE: {decay: 0.8, every: 2, power: 1}}
  tta: translate
  seed: 3
report:
  gallery: 6
  feature_maps: {images: 2}
`

// TestInterruptResumeRecipe checks that a run with the fast recipes'
// settings, interrupted mid-epoch (with the weight average, the whitening
// and the frozen tensors in flight), resumes to the very records of an
// uninterrupted run, and that it gives the same bits on 1 and 3 threads.
func TestInterruptResumeRecipe(t *testing.T) {
	for _, avg := range []string{"ema", "lookahead"} {
		t.Run(avg, func(t *testing.T) {
			file := writeExperiment(t, strings.Replace(tinyRecipe, "AVERAGE", avg, 1))
			gemm.SetThreads(1)
			sum, out := run(t, context.Background(), file, t.TempDir(), nil, false)
			gemm.SetThreads(0)
			r := onlyRun(t, sum)
			if r.State != record.StateDone {
				t.Fatalf("state %s (%s)\n%s", r.State, r.Error, out)
			}
			want := readFinal(t, r.Dir)
			if want.Evaluations == nil || want.Whiten == nil {
				t.Fatalf("the run wrote no %s or %s", record.EvaluationsFile, record.WhitenFile)
			}
			var ev record.Evaluations
			if err := record.ReadJSON(filepath.Join(r.Dir, record.EvaluationsFile), &ev); err != nil {
				t.Fatal(err)
			}
			if len(ev.Rows) != 6 || ev.Used != "average, translate" {
				t.Errorf("evaluations %+v, want 6 rows and used \"average, translate\"", ev)
			}
			var wh record.Whitening
			if err := record.ReadJSON(filepath.Join(r.Dir, record.WhitenFile), &wh); err != nil {
				t.Fatal(err)
			}
			if len(wh.Filters) != 8 || len(wh.Filters[0]) != 4 || len(wh.Eigenvalues) != 4 {
				t.Errorf("whitening record: %d filters of %d values, %d eigenvalues; want 8, 4, 4", len(wh.Filters), len(wh.Filters[0]), len(wh.Eigenvalues))
			}
			if _, err := readIfExists(filepath.Join(r.Dir, record.AverageFile)); err == nil {
				t.Errorf("%s is left after the run", record.AverageFile)
			}

			results := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			gemm.SetThreads(3)
			defer gemm.SetThreads(0)
			sum, _ = run(t, ctx, file, results, &hooks{afterStep: func(_ string, s int) {
				if s == 11 { // mid epoch 2: not a step of an average's update
					cancel()
				}
			}}, false)
			cancel()
			if r := onlyRun(t, sum); r.State != record.StateStopped {
				t.Fatalf("state %s, want stopped", r.State)
			}
			// Stopped again in the final evaluations: their first pass
			// follows the validation and test passes of epochs 2 and 3.
			ctx, cancel = context.WithCancel(context.Background())
			passes := 0
			sum, _ = run(t, ctx, file, results, &hooks{evalBatch: func(_ string, done int) {
				if done == 0 {
					passes++
				}
				if passes == 5 && done > 0 {
					cancel()
				}
			}}, false)
			cancel()
			if r := onlyRun(t, sum); r.State != record.StateStopped || passes != 5 {
				t.Fatalf("stopped in the final evaluations: state %s after %d passes, want stopped after 5", r.State, passes)
			}
			if st := readStatus(t, onlyRun(t, sum).Dir); st.State != record.StateStopped {
				t.Fatalf("status %s, want stopped", st.State)
			}
			sum, out = run(t, context.Background(), file, results, nil, false)
			r = onlyRun(t, sum)
			if r.State != record.StateDone || !strings.Contains(out, "resuming at epoch") {
				t.Fatalf("after resuming: state %s (%s)\n%s", r.State, r.Error, out)
			}
			compareFinal(t, want, readFinal(t, r.Dir))
		})
	}
}

// TestRecipeStepDoesNotAllocate checks a training step of tinyRecipe,
// the weight average's update included.
func TestRecipeStepDoesNotAllocate(t *testing.T) {
	file := writeExperiment(t, strings.Replace(tinyRecipe, "AVERAGE", "ema", 1))
	exps, err := Load([]string{file}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pts, _ := exps[0].Points()
	j, err := newJob(pts[0], Options{Results: t.TempDir(), Program: "cnnlab"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ds, err := newDatasets(syntheticLoader).get(ctx, j.exp.Data)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := setup(ctx, j, ds, false, func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if tr.avg == nil {
		t.Fatal("no weight average")
	}
	tr.prog = newLines(io.Discard, 1).start(j)
	n, err := tr.batch.Next(tr.xbuf, tr.labels)
	if err != nil || n != 16 {
		t.Fatalf("first batch: %d images, %v", n, err)
	}
	var acc partialEpoch
	for range 3 {
		if err := tr.step(1, n, &acc); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		if err := tr.step(1, n, &acc); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("a training step allocates %.1f times", allocs)
	}
}

func readIfExists(path string) ([]byte, error) { return record.ReadFile(path) }

// TestNoValidationAndLastEpochTTA checks a run on every training image
// (split val: 0) with test-time augmentation at the last epoch only: no
// epoch is chosen, so the model is the last epoch's; the earlier epochs
// are evaluated without the augmentation and the last with it; and the
// run's test accuracy is the last epoch's, augmentation included.
func TestNoValidationAndLastEpochTTA(t *testing.T) {
	src := strings.Replace(tinyRecipe, "AVERAGE", "ema", 1)
	src = strings.Replace(src, "split: {train: 0, val: 30, test: 30}", "split: {train: 0, val: 0, test: 30}", 1)
	src = strings.Replace(src, "tta: translate", "tta: translate\n  tta_epochs: last", 1)
	file := writeExperiment(t, src)
	sum, out := run(t, context.Background(), file, t.TempDir(), nil, false)
	r := onlyRun(t, sum)
	if r.State != record.StateDone {
		t.Fatalf("state %s (%s)\n%s", r.State, r.Error, out)
	}
	if r.BestEpoch != 3 || r.BestValAcc != 0 {
		t.Errorf("best epoch %d, best validation accuracy %v; want the last epoch (3) and none", r.BestEpoch, r.BestValAcc)
	}
	if !strings.Contains(out, "val -") || !strings.Contains(out, "no validation images") {
		t.Errorf("the output does not say there is no validation:\n%s", out)
	}
	epochs, err := record.ReadJSONLines[record.Epoch](filepath.Join(r.Dir, record.EpochsFile))
	if err != nil {
		t.Fatal(err)
	}
	var ev record.Evaluations
	if err := record.ReadJSON(filepath.Join(r.Dir, record.EvaluationsFile), &ev); err != nil {
		t.Fatal(err)
	}
	if !ev.LastOnly {
		t.Errorf("evaluations.json does not say only the last epoch used the augmentation")
	}
	acc, loss := map[string]float64{}, map[string]float64{}
	for _, row := range ev.Rows {
		acc[row.Weights+" "+row.TTA], loss[row.Weights+" "+row.TTA] = row.TestAcc, row.TestLoss
	}
	last := epochs[len(epochs)-1]
	if len(epochs) != 3 || last.ValAcc != 0 || last.ValLoss != 0 {
		t.Fatalf("epochs %+v, want 3 without validation", epochs)
	}
	if last.TestLoss != loss["average translate"] || last.TestAcc != acc["average translate"] || r.TestAcc != last.TestAcc {
		t.Errorf("last epoch's test loss %v and accuracy %v, run's accuracy %v; want the averaged weights with translate, %v and %v",
			last.TestLoss, last.TestAcc, r.TestAcc, loss["average translate"], acc["average translate"])
	}
	if loss["average none"] == loss["average translate"] {
		t.Fatal("the augmentation changes nothing on these images; the test cannot tell the epochs apart")
	}
	// The same run with the augmentation at every epoch trains alike and
	// differs only in the earlier epochs' evaluations.
	sum, out = run(t, context.Background(), writeExperiment(t, strings.Replace(src, "tta_epochs: last", "tta_epochs: every", 1)), t.TempDir(), nil, false)
	every, err := record.ReadJSONLines[record.Epoch](filepath.Join(onlyRun(t, sum).Dir, record.EpochsFile))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for i := range epochs {
		same := epochs[i].TestLoss == every[i].TestLoss
		if same != (i == len(epochs)-1) || epochs[i].Loss != every[i].Loss {
			t.Errorf("epoch %d: test loss %v with tta_epochs: last, %v with every (training loss %v, %v)",
				i+1, epochs[i].TestLoss, every[i].TestLoss, epochs[i].Loss, every[i].Loss)
		}
	}
	// The best model file is the last epoch's, analysed without augmentation.
	var an record.Analysis
	if err := record.ReadJSON(filepath.Join(r.Dir, record.AnalysisFile), &an); err != nil {
		t.Fatal(err)
	}
	if an.TestAcc != acc["average none"] || !strings.Contains(an.Source, "no validation images") {
		t.Errorf("analysis: test accuracy %v from %q; want %v from the final weights", an.TestAcc, an.Source, acc["average none"])
	}
}
