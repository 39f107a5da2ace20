package runner

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/runner/internal/runtest"
	"github.com/cnnlab/cnnlab/runner/record"
)

// The helpers shared with runner/slurm's tests (see package runtest).
var (
	syntheticSet    = runtest.SyntheticSet
	syntheticLoader = runtest.SyntheticLoader
	writeExperiment = runtest.WriteExperiment
	readFinal       = runtest.ReadFinal
	compareFinal    = runtest.CompareFinal
	readStatus      = runtest.ReadStatus
)

const tinyBase = runtest.TinyBase

func run(t *testing.T, ctx context.Context, file, results string, h *hooks, force bool) (*Summary, string) {
	t.Helper()
	var out bytes.Buffer
	sum, err := Run(ctx, []string{file}, Options{Results: results, Out: &out, LoadSet: syntheticLoader, hooks: h, Force: force})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	return sum, out.String()
}

func onlyRun(t *testing.T, sum *Summary) Result {
	t.Helper()
	if len(sum.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(sum.Runs))
	}
	return sum.Runs[0]
}

func TestRunWritesEveryRecord(t *testing.T) {
	file := writeExperiment(t, tinyBase)
	results := t.TempDir()
	sum, out := run(t, context.Background(), file, results, nil, false)
	r := onlyRun(t, sum)
	if r.State != record.StateDone {
		t.Fatalf("state %s (%s), want done\n%s", r.State, r.Error, out)
	}
	rec, err := record.ReadRun(r.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Status.RunID != r.RunID || filepath.Base(r.Dir) != r.RunID || filepath.Base(filepath.Dir(r.Dir)) != "tiny" {
		t.Errorf("run %s in %s", rec.Status.RunID, r.Dir)
	}
	if len(rec.Epochs) != 3 || rec.Status.Epoch != 3 {
		t.Errorf("%d epoch rows, status epoch %d; want 3", len(rec.Epochs), rec.Status.Epoch)
	}
	// 90 training images in batches of 16: 6 steps per epoch, one loss each.
	if len(rec.Steps) != 18 || rec.Steps[17].Step != 18 {
		t.Errorf("%d step rows, want 18", len(rec.Steps))
	}
	if last := rec.Epochs[2]; last.ValAcc < 0.9 {
		t.Errorf("validation accuracy %.3f after 3 epochs on an easy set", last.ValAcc)
	}
	if rec.Env.GoVersion == "" || rec.Env.Kernel == "" || rec.Env.Threads < 1 || rec.Env.CPU == "" {
		t.Errorf("env %+v", rec.Env)
	}
	if len(rec.Arch.Layers) != 7 || rec.Arch.Params == 0 || rec.Arch.Input != [3]int{8, 8, 1} {
		t.Errorf("arch %+v", rec.Arch)
	}
	cfg, err := experiments.Load(filepath.Join(r.Dir, record.ConfigFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	y, _ := cfg.ResolvedYAML()
	if RunID(y) != r.RunID {
		t.Errorf("config.yaml resolves to run %s, not %s", RunID(y), r.RunID)
	}
	if !strings.Contains(rec.Status.Command, filepath.Join(r.Dir, record.ConfigFile)) {
		t.Errorf("command %q does not name the run's config", rec.Status.Command)
	}
	// Histograms: epochs 0..3, each with edges of its own, and every value counted.
	if len(rec.Histograms.Tensors) == 0 {
		t.Fatal("no histograms")
	}
	for _, h := range rec.Histograms.Tensors {
		if fmt.Sprint(h.Epochs) != "[0 1 2 3]" || len(h.EdgesAt) != 4 || h.Edges != nil {
			t.Errorf("%s %s: epochs %v, %d sets of edges, shared edges %v", h.Layer, h.Param, h.Epochs, len(h.EdgesAt), h.Edges)
		}
		for e, edges := range h.EdgesAt {
			if len(edges) != len(h.Counts[e])+1 {
				t.Errorf("%s %s epoch %d: %d edges for %d bins", h.Layer, h.Param, e, len(edges), len(h.Counts[e]))
			}
		}
		for e, counts := range h.Counts {
			sum := 0
			for _, c := range counts {
				sum += c
			}
			if sum != sumCounts(h.Counts[0]) {
				t.Errorf("%s %s epoch %d counts %d values, epoch 0 %d", h.Layer, h.Param, e, sum, sumCounts(h.Counts[0]))
			}
		}
	}
	an := rec.Analysis
	if an == nil {
		t.Fatal("no analysis")
	}
	total := 0
	for c, row := range an.Confusion {
		for _, v := range row {
			total += v
		}
		if an.ClassAcc[c] < 0 || an.ClassAcc[c] > 1 {
			t.Errorf("class accuracy %v", an.ClassAcc)
		}
	}
	if total != 30 || len(an.Classes) != 3 {
		t.Errorf("confusion matrix counts %d test images of %d classes, want 30 of 3", total, len(an.Classes))
	}
	if an.Epoch != rec.Status.BestEpoch || !strings.Contains(an.Source, "best checkpoint") {
		t.Errorf("analysis of epoch %d (%q), best epoch %d", an.Epoch, an.Source, rec.Status.BestEpoch)
	}
	if len(an.Correct) == 0 || len(an.Correct) > 6 {
		t.Errorf("%d correct examples, want 1..6 (2 per class)", len(an.Correct))
	}
	for _, ex := range append(append([]record.Example(nil), an.Correct...), an.Wrong...) {
		if len(ex.Image.Pixels) != 64 || len(ex.Probs) != 3 || ex.Prob != ex.Probs[ex.Pred] {
			t.Errorf("example %+v", ex)
		}
	}
	if !slices.IsSortedFunc(an.Wrong, func(a, b record.Example) int { return cmp.Compare(b.Prob, a.Prob) }) || len(an.Wrong) > 6 {
		t.Errorf("wrong examples not the most confident over all classes: %+v", an.Wrong)
	}
	// Every non-empty cell of the confusion matrix has its images, most
	// confident first, and only images of its pair.
	cells := 0
	for _, cell := range an.Cells {
		if an.Confusion[cell.True][cell.Pred] == 0 || len(cell.Examples) != min(cellImages, an.Confusion[cell.True][cell.Pred]) {
			t.Errorf("cell %d→%d holds %d images of %d", cell.True, cell.Pred, len(cell.Examples), an.Confusion[cell.True][cell.Pred])
		}
		for j, ex := range cell.Examples {
			if ex.True != cell.True || ex.Pred != cell.Pred || j > 0 && ex.Prob > cell.Examples[j-1].Prob {
				t.Errorf("cell %d→%d image %d: true %d pred %d prob %v", cell.True, cell.Pred, j, ex.True, ex.Pred, ex.Prob)
			}
		}
	}
	for _, row := range an.Confusion {
		for _, v := range row {
			if v > 0 {
				cells++
			}
		}
	}
	if len(an.Cells) != cells {
		t.Errorf("%d cells with images, %d non-empty cells", len(an.Cells), cells)
	}
	if len(an.Filters) != 1 || an.Filters[0].KH*an.Filters[0].KW*an.Filters[0].C*an.Filters[0].F != len(an.Filters[0].Weights) || an.Filters[0].F != 4 {
		t.Errorf("filters %+v", an.Filters)
	}
	if len(an.FeatureMaps) != 4 {
		t.Fatalf("%d feature map images, want 4", len(an.FeatureMaps))
	}
	for i, fm := range an.FeatureMaps {
		if fm.True != i%3 {
			t.Errorf("feature map image %d is of class %d, want one per class in turn", i, fm.True)
		}
		if len(fm.Layers) != 2 || fm.Layers[0].Kind != "conv" || fm.Layers[1].Kind != "maxpool" {
			t.Fatalf("feature map layers %+v", fm.Layers)
		}
		if l := fm.Layers[1]; l.H != 3 || l.W != 3 || l.C != 4 || len(l.Data) != 36 {
			t.Errorf("pool maps %d×%d×%d with %d values", l.H, l.W, l.C, len(l.Data))
		}
	}
	if len(an.LR) != 18 || an.LR[0] != float64(float32(0.01)) {
		t.Errorf("learning rates %v", an.LR)
	}
	if _, err := os.Stat(filepath.Join(r.Dir, record.CheckpointFile)); !os.IsNotExist(err) {
		t.Errorf("checkpoint left behind by a finished run: %v", err)
	}
}

func sumCounts(c []int) int {
	s := 0
	for _, v := range c {
		s += v
	}
	return s
}

// TestInterruptResume stops a run (as SIGINT does, by cancelling its
// context) at the end of an epoch or in the middle of one, runs the same
// sweep again, and checks that it ends exactly where an uninterrupted run
// ends.
func TestInterruptResume(t *testing.T) {
	file := writeExperiment(t, tinyBase)
	ref := t.TempDir()
	sum, _ := run(t, context.Background(), file, ref, nil, false)
	want := readFinal(t, onlyRun(t, sum).Dir)

	for _, tc := range []struct {
		name string
		hook func(cancel context.CancelFunc) *hooks
	}{
		{"after epoch 1", func(cancel context.CancelFunc) *hooks {
			return &hooks{afterEpoch: func(_ string, e int) {
				if e == 1 {
					cancel()
				}
			}}
		}},
		{"mid epoch 2", func(cancel context.CancelFunc) *hooks {
			return &hooks{afterStep: func(_ string, s int) {
				if s == 9 {
					cancel()
				}
			}}
		}},
		{"evaluating epoch 2", func(cancel context.CancelFunc) *hooks {
			passes := 0
			return &hooks{evalBatch: func(_ string, done int) {
				if done == 0 {
					passes++
				}
				if passes == 3 && done > 0 { // epoch 2's validation, after its first batch
					cancel()
				}
			}}
		}},
		{"twice", func(cancel context.CancelFunc) *hooks {
			return &hooks{afterStep: func(_ string, s int) {
				if s == 3 {
					cancel()
				}
			}}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			results := t.TempDir()
			ctx, cancel := context.WithCancel(context.Background())
			sum, _ := run(t, ctx, file, results, tc.hook(cancel), false)
			cancel()
			r := onlyRun(t, sum)
			if r.State != record.StateStopped || !sum.Interrupted {
				t.Fatalf("state %s, interrupted %v; want stopped", r.State, sum.Interrupted)
			}
			st := readStatus(t, r.Dir)
			if st.State != record.StateStopped {
				t.Fatalf("status %s, want stopped", st.State)
			}
			if tc.name == "evaluating epoch 2" && st.Epoch != 1 {
				t.Fatalf("stopped at epoch %d, want 1: the stop waited for epoch 2's evaluation", st.Epoch)
			}
			if tc.name == "twice" {
				ctx, cancel := context.WithCancel(context.Background())
				sum, _ = run(t, ctx, file, results, &hooks{afterStep: func(_ string, s int) {
					if s == 14 {
						cancel()
					}
				}}, false)
				cancel()
				if r := onlyRun(t, sum); r.State != record.StateStopped {
					t.Fatalf("second interruption: state %s", r.State)
				}
			}
			sum, out := run(t, context.Background(), file, results, nil, false)
			r = onlyRun(t, sum)
			if r.State != record.StateDone || !strings.Contains(out, "resuming at epoch") {
				t.Fatalf("after resuming: state %s (%s)\n%s", r.State, r.Error, out)
			}
			compareFinal(t, want, readFinal(t, r.Dir))
		})
	}
}

func TestDivergedRunDoesNotStopTheSweep(t *testing.T) {
	text := strings.Replace(tinyBase, "optimizer: {adam: {lr: 0.01}}", "optimizer: {sgd: {lr: 0.1}}", 1) + `sweep:
  grid:
    train.optimizer.sgd.lr: [1e30, 0.1]
`
	text = strings.Replace(text, "  - batchnorm\n", "", 1)
	file := writeExperiment(t, text)
	results := t.TempDir()
	sum, out := run(t, context.Background(), file, results, nil, false)
	if len(sum.Runs) != 2 {
		t.Fatalf("%d runs", len(sum.Runs))
	}
	if r := sum.Runs[0]; r.State != record.StateDiverged || !strings.Contains(r.Error, "loss is") {
		t.Errorf("lr 1e30: state %s (%s), want diverged\n%s", r.State, r.Error, out)
	}
	if strings.Contains(out, "diverged: diverged") {
		t.Errorf("the state is said twice:\n%s", out)
	}
	if r := sum.Runs[1]; r.State != record.StateDone {
		t.Errorf("lr 0.1: state %s (%s), want done", r.State, r.Error)
	}
	if sum.Failed() != 1 {
		t.Errorf("Failed() = %d, want 1", sum.Failed())
	}
	st := readStatus(t, sum.Runs[0].Dir)
	if st.State != record.StateDiverged || st.Error == "" {
		t.Errorf("status %+v", st)
	}
	var table bytes.Buffer
	sum.Print(&table)
	if !strings.Contains(table.String(), "diverged") || !strings.Contains(table.String(), "lr=1e30") {
		t.Errorf("summary:\n%s", table.String())
	}
	// Diverging again would teach nothing: a rerun skips it.
	sum, _ = run(t, context.Background(), file, results, nil, false)
	for i, r := range sum.Runs {
		if !r.Skipped {
			t.Errorf("rerun: run %d (%s) not skipped", i, r.State)
		}
	}
}

func TestFailedRunIsRecordedAndRetried(t *testing.T) {
	text := tinyBase + `sweep:
  grid:
    data.path: [missing, synthetic]
`
	file := writeExperiment(t, text)
	results := t.TempDir()
	sum, _ := run(t, context.Background(), file, results, nil, false)
	if r := sum.Runs[0]; r.State != record.StateFailed || !strings.Contains(r.Error, "no such folder") {
		t.Errorf("missing data: state %s (%s), want failed", r.State, r.Error)
	}
	if st := readStatus(t, sum.Runs[0].Dir); st.State != record.StateFailed || !strings.Contains(st.Error, "no such folder") {
		t.Errorf("status %+v", st)
	}
	if r := sum.Runs[1]; r.State != record.StateDone {
		t.Errorf("second run: %s (%s)", r.State, r.Error)
	}
	sum, _ = run(t, context.Background(), file, results, nil, false)
	if r := sum.Runs[0]; r.Skipped || r.State != record.StateFailed {
		t.Errorf("rerun of a failed run: skipped %v, state %s; want tried again", r.Skipped, r.State)
	}
	if r := sum.Runs[1]; !r.Skipped {
		t.Errorf("rerun of a done run not skipped")
	}
}

func TestSkipForceAndHalfWrittenRecords(t *testing.T) {
	file := writeExperiment(t, tinyBase)
	ref := t.TempDir()
	sum, _ := run(t, context.Background(), file, ref, nil, false)
	want := readFinal(t, onlyRun(t, sum).Dir)

	results := t.TempDir()
	sum, _ = run(t, context.Background(), file, results, nil, false)
	dir := onlyRun(t, sum).Dir
	started := readStatus(t, dir).Started

	sum, _ = run(t, context.Background(), file, results, nil, false)
	if r := onlyRun(t, sum); !r.Skipped || r.State != record.StateDone {
		t.Fatalf("rerun: skipped %v state %s; want skipped", r.Skipped, r.State)
	}
	if !readStatus(t, dir).Started.Equal(started) {
		t.Error("a skipped run was touched")
	}
	sum, _ = run(t, context.Background(), file, results, nil, true)
	if r := onlyRun(t, sum); r.Skipped || r.State != record.StateDone {
		t.Fatalf("--force: skipped %v state %s; want run again", r.Skipped, r.State)
	}
	if readStatus(t, dir).Started.Equal(started) {
		t.Error("--force did not run again")
	}
	compareFinal(t, want, readFinal(t, dir))

	// Each case damages a finished run as a kill -9 at some moment (or a
	// damaged disk) might, and the next run must notice and redo it.
	setStatus := func(state record.State, epoch int) func(t *testing.T) {
		return func(t *testing.T) {
			st := readStatus(t, dir)
			st.State, st.Epoch = state, epoch
			if err := record.WriteJSON(filepath.Join(dir, record.StatusFile), st); err != nil {
				t.Fatal(err)
			}
		}
	}
	truncate := func(name string) func(t *testing.T) {
		return func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, name), b[:len(b)/2], 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// flip changes one byte in the middle of a record, keeping its size.
	flip := func(name string) func(t *testing.T) {
		return func(t *testing.T) {
			p := filepath.Join(dir, name)
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 0x01
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	copyFile := func(from, to string) func(t *testing.T) {
		return func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(dir, from))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, to), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tc := range []struct {
		name   string
		damage []func(t *testing.T)
		note   string
	}{
		{"done but model truncated", []func(*testing.T){truncate(record.ModelFile)}, "model.cnn: changed since the run finished (checksum differs)); training it again"},
		{"done but analysis missing", []func(*testing.T){func(t *testing.T) { os.Remove(filepath.Join(dir, record.AnalysisFile)) }}, "analysis.json: missing"},
		{"done but arch.json damaged", []func(*testing.T){flip(record.ArchFile)}, "arch.json: changed since the run finished"},
		{"done but env.json damaged", []func(*testing.T){flip(record.EnvFile)}, "env.json: changed"},
		{"done but histograms.json damaged", []func(*testing.T){flip(record.HistogramsFile)}, "histograms.json: changed"},
		{"done but epochs.jsonl damaged", []func(*testing.T){flip(record.EpochsFile)}, "epochs.jsonl: changed"},
		{"done but steps.jsonl emptied", []func(*testing.T){truncate(record.StepsFile)}, "steps.jsonl: changed"},
		{"done but config.yaml damaged", []func(*testing.T){flip(record.ConfigFile)}, "config.yaml: changed"},
		{"done but best.cnn damaged", []func(*testing.T){flip(record.BestFile)}, "best.cnn: changed"},
		{"done but best.cnn missing", []func(*testing.T){func(t *testing.T) { os.Remove(filepath.Join(dir, record.BestFile)) }}, "best.cnn: missing"},
		{"done but checksums damaged", []func(*testing.T){truncate(record.ChecksumsFile)}, "checksums.json: unreadable"},
		{"done but checksums missing", []func(*testing.T){func(t *testing.T) { os.Remove(filepath.Join(dir, record.ChecksumsFile)) }}, "checksums.json: missing"},
		{"running without checkpoint", []func(*testing.T){setStatus(record.StateRunning, 2)}, "no checkpoint"},
		{"running with a corrupt checkpoint", []func(*testing.T){setStatus(record.StateRunning, 2),
			copyFile(record.ModelFile, record.CheckpointFile), truncate(record.CheckpointFile)}, "cannot resume"},
		{"checkpoint ahead of the epoch records", []func(*testing.T){setStatus(record.StateRunning, 3),
			func(t *testing.T) { resaveAsCheckpoint(t, dir, 3) },
			func(t *testing.T) {
				if err := record.WriteJSONLines(filepath.Join(dir, record.EpochsFile), want.Epochs[:1]); err != nil {
					t.Fatal(err)
				}
			}}, "cannot resume"},
		{"unreadable status", []func(*testing.T){truncate(record.StatusFile)}, "unreadable status"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, d := range tc.damage {
				d(t)
			}
			sum, out := run(t, context.Background(), file, results, nil, false)
			r := onlyRun(t, sum)
			if r.Skipped || r.State != record.StateDone {
				t.Fatalf("skipped %v, state %s (%s); want run again\n%s", r.Skipped, r.State, r.Error, out)
			}
			if !strings.Contains(out, tc.note) {
				t.Errorf("output does not say %q:\n%s", tc.note, out)
			}
			compareFinal(t, want, readFinal(t, dir))
		})
	}
}

// resaveAsCheckpoint writes the final model as a checkpoint of the given
// epoch, optimizer included, as a run killed right after it would leave.
func resaveAsCheckpoint(t *testing.T, dir string, epoch int) {
	t.Helper()
	ck, err := nn.Load(filepath.Join(dir, record.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	st := readStatus(t, dir)
	meta := fmt.Sprintf(`{"run_id":%q,"epoch":%d,"step":%d,"step_rows":%d,"batcher":{"epoch":%d,"batch":0},"best_epoch":0}`,
		st.RunID, epoch, 6*epoch, 6*epoch, epoch)
	if err := nn.Save(filepath.Join(dir, record.CheckpointFile), ck.Net, nn.NewAdam(nn.AdamConfig{}), []byte(meta)); err != nil {
		t.Fatal(err)
	}
}

func TestParallelRunsMatchSequentialOnes(t *testing.T) {
	text := tinyBase + `sweep:
  grid:
    model[0].conv.filters: [2, 4, 6]
`
	file := writeExperiment(t, text)
	seq, par := t.TempDir(), t.TempDir()
	sum1, _ := run(t, context.Background(), file, seq, nil, false)
	var out bytes.Buffer
	sum2, err := Run(context.Background(), []string{file}, Options{Results: par, Out: &out, LoadSet: syntheticLoader, Parallel: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range sum1.Runs {
		a, b := sum1.Runs[i], sum2.Runs[i]
		if a.State != record.StateDone || b.State != record.StateDone || a.RunID != b.RunID {
			t.Fatalf("run %d: %s %s vs %s %s", i, a.RunID, a.State, b.RunID, b.State)
		}
		compareFinal(t, readFinal(t, a.Dir), readFinal(t, b.Dir))
	}
}

func TestEarlyStopIsRecorded(t *testing.T) {
	text := strings.Replace(tinyBase, "  seed: 3\n", "  seed: 3\n  early_stop: {metric: val_loss, patience: 1}\n", 1)
	text = strings.Replace(text, "epochs: 3", "epochs: 30", 1)
	text = strings.Replace(text, "lr: 0.01", "lr: 0.3", 1)
	file := writeExperiment(t, text)
	sum, _ := run(t, context.Background(), file, t.TempDir(), nil, false)
	r := onlyRun(t, sum)
	if r.State != record.StateDone || r.Epoch >= 30 {
		t.Fatalf("state %s after %d epochs; want done early", r.State, r.Epoch)
	}
	st := readStatus(t, r.Dir)
	if !strings.Contains(st.StopReason, "val_loss did not improve for 1 epoch (best ") {
		t.Errorf("stop reason %q", st.StopReason)
	}
}

func TestDuplicatePointsRunOnce(t *testing.T) {
	text := tinyBase + `sweep:
  grid:
    model[0].conv.filters: [4, 6]
  include:
    - {"model[0].conv.filters": 4}
`
	file := writeExperiment(t, text)
	sum, _ := run(t, context.Background(), file, t.TempDir(), nil, false)
	if len(sum.Runs) != 3 || sum.Runs[0].State != record.StateDone || sum.Runs[2].State != StateNotRun ||
		!strings.Contains(sum.Runs[2].Note, "same config as run 1") {
		t.Errorf("runs %+v", sum.Runs)
	}
}

func TestInvalidFileRunsNothing(t *testing.T) {
	file := writeExperiment(t, strings.Replace(tinyBase, "kernel: 3", "kernel: 30", 1))
	results := t.TempDir()
	_, err := Run(context.Background(), []string{file}, Options{Results: results, LoadSet: syntheticLoader})
	if err == nil || !strings.Contains(err.Error(), "tiny.yaml:") {
		t.Fatalf("error %v, want one at a line of the file", err)
	}
	if entries, _ := os.ReadDir(results); len(entries) != 0 {
		t.Errorf("an invalid file left %d entries in the results", len(entries))
	}
}

func TestTrainingStepDoesNotAllocate(t *testing.T) {
	file := writeExperiment(t, tinyBase)
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

func TestSweptLabel(t *testing.T) {
	tests := []struct {
		kvs  []record.KeyValue
		want string
	}{
		{nil, ""},
		{[]record.KeyValue{{Key: "model[0].conv.kernel", Value: "3"}, {Key: "model[0].conv.stride", Value: "2"}}, "kernel=3 stride=2"},
		// a grid point of a sweep whose include points are named has no variant
		{[]record.KeyValue{{Key: "variant", Value: ""}, {Key: "model[0].conv.kernel", Value: "3"}}, "kernel=3"},
		{[]record.KeyValue{{Key: "model[0].conv.filters", Value: "8"}, {Key: "model[1].conv.filters", Value: "16"}},
			"model[0].conv.filters=8 model[1].conv.filters=16"},
	}
	for _, tt := range tests {
		if got := SweptLabel(tt.kvs); got != tt.want {
			t.Errorf("SweptLabel(%v) = %q, want %q", tt.kvs, got, tt.want)
		}
	}
}

func TestLockedRunIsLeftToItsOwner(t *testing.T) {
	file := writeExperiment(t, tinyBase)
	results := t.TempDir()
	sum, _ := run(t, context.Background(), file, results, nil, false)
	dir := onlyRun(t, sum).Dir
	before, err := os.ReadFile(filepath.Join(dir, record.EpochsFile))
	if err != nil {
		t.Fatal(err)
	}

	// Another process (here: this one, through another open file) holds the
	// run's lock: a forced rerun must leave the run alone and say who has it.
	unlock, err := lockRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	sum, out := run(t, context.Background(), file, results, nil, true)
	r := onlyRun(t, sum)
	wantOwner := fmt.Sprintf("pid %d", os.Getpid())
	if r.State != StateNotRun || !strings.Contains(r.Note, "another cnnlab process") || !strings.Contains(r.Note, wantOwner) {
		t.Errorf("locked run: state %q note %q; want %q naming %s", r.State, r.Note, StateNotRun, wantOwner)
	}
	if !strings.Contains(out, "another cnnlab process") {
		t.Errorf("output does not say the run is locked:\n%s", out)
	}
	if sum.Elsewhere() != 1 || !r.Elsewhere {
		t.Errorf("Elsewhere() = %d, want 1", sum.Elsewhere())
	}
	after, err := os.ReadFile(filepath.Join(dir, record.EpochsFile))
	if err != nil || !bytes.Equal(before, after) {
		t.Errorf("the locked run's records changed (err %v)", err)
	}
	if st := readStatus(t, dir); st.State != record.StateDone {
		t.Errorf("the locked run's status is now %q", st.State)
	}

	unlock()
	sum, _ = run(t, context.Background(), file, results, nil, true)
	if r := onlyRun(t, sum); r.State != record.StateDone || r.Skipped {
		t.Errorf("after unlock: state %q skipped %v; want trained again", r.State, r.Skipped)
	}
}

// TestTrainingRunHoldsItsLock checks the lock while a run trains, after the
// folder of an earlier attempt was cleared for a fresh start.
func TestTrainingRunHoldsItsLock(t *testing.T) {
	file := writeExperiment(t, tinyBase)
	results := t.TempDir()
	sum, _ := run(t, context.Background(), file, results, nil, false)
	dir := onlyRun(t, sum).Dir
	checked := 0
	h := &hooks{afterEpoch: func(runID string, epoch int) {
		checked++
		unlock, err := lockRun(dir)
		if err == nil {
			unlock()
			t.Errorf("epoch %d: another process could lock the folder of the training run", epoch)
		} else if !errors.Is(err, errLocked) {
			t.Errorf("epoch %d: %v", epoch, err)
		}
		var st record.Status
		if err := record.ReadJSON(filepath.Join(dir, record.StatusFile), &st); err != nil {
			t.Errorf("epoch %d: %v", epoch, err)
		} else if st.State != record.StateRunning || record.Abandoned(dir, st) {
			t.Errorf("epoch %d: state %q, abandoned %v; want running and not abandoned", epoch, st.State, record.Abandoned(dir, st))
		}
	}}
	// --force clears the finished run's folder and trains it afresh.
	sum, _ = run(t, context.Background(), file, results, h, true)
	if r := onlyRun(t, sum); r.State != record.StateDone || checked == 0 {
		t.Fatalf("forced rerun: state %q, lock checked %d times", r.State, checked)
	}
}
