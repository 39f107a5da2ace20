package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cnnlab/cnnlab/data"
	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/runner/record"
)

// Experiments named after their files keep non-ASCII names readable and
// each gets its own results folder: ünï.yaml and änö.yaml used to share
// results/-n-/, and 实验一.yaml and 实验二.yaml results/-/.
func TestExperimentFoldersAreDistinct(t *testing.T) {
	dir := t.TempDir()
	unnamed := strings.Replace(tinyBase, "name: tiny\n", "", 1)
	unnamed = strings.Replace(unnamed, "epochs: 3", "epochs: 1", 1)
	var files []string
	for _, name := range []string{"ünï", "änö", "实验一", "实验二"} {
		f := filepath.Join(dir, name+".yaml")
		if err := os.WriteFile(f, []byte(unnamed), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	results := filepath.Join(dir, "results")
	sum, err := Run(context.Background(), files, Options{Results: results, LoadSet: syntheticLoader})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Failed() > 0 {
		t.Fatalf("%d runs failed", sum.Failed())
	}
	for _, name := range []string{"ünï", "änö", "实验一", "实验二"} {
		runs, err := os.ReadDir(filepath.Join(results, name))
		if err != nil || len(runs) != 1 {
			t.Errorf("results/%s: %d runs, %v; want 1", name, len(runs), err)
			continue
		}
		var st record.Status
		if err := record.ReadJSON(filepath.Join(results, name, runs[0].Name(), record.StatusFile), &st); err != nil || st.Experiment != name {
			t.Errorf("results/%s holds a run of %q (%v)", name, st.Experiment, err)
		}
	}
}

// Names that differ only in case would share a folder on macOS and Windows;
// they are refused before any work.
func TestExperimentNamesDifferingInCase(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, name := range []string{"Exp", "exp"} {
		f := filepath.Join(dir, name+"-file.yaml")
		if err := os.WriteFile(f, []byte(strings.Replace(tinyBase, "name: tiny", "name: "+name, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	results := filepath.Join(dir, "results")
	_, err := Run(context.Background(), files, Options{Results: results, LoadSet: syntheticLoader})
	if err == nil || !strings.Contains(err.Error(), "differ only in case") {
		t.Errorf("err = %v, want a refusal", err)
	}
	if _, err := os.Stat(results); !os.IsNotExist(err) {
		t.Errorf("work was done before the refusal: %v", err)
	}
}

// On a read-only results folder a finished run is still reported done
// (exit 0), and one that would need training fails with a clear message.
func TestReadOnlyResults(t *testing.T) {
	file := writeExperiment(t, strings.Replace(tinyBase, "epochs: 3", "epochs: 1", 1))
	results := t.TempDir()
	run(t, context.Background(), file, results, nil, false)
	readOnlyLock := &hooks{lock: func(dir string) (func(), error) {
		return nil, &os.PathError{Op: "open", Path: filepath.Join(dir, record.LockFile), Err: syscall.EROFS}
	}}
	sum, out := run(t, context.Background(), file, results, readOnlyLock, false)
	if r := onlyRun(t, sum); !r.Skipped || r.State != record.StateDone || sum.Failed() != 0 {
		t.Errorf("finished run on a read-only folder: skipped %v, state %s, %d failed\n%s", r.Skipped, r.State, sum.Failed(), out)
	}
	sum, out = run(t, context.Background(), file, results, readOnlyLock, true)
	if r := onlyRun(t, sum); r.State != record.StateFailed || !strings.Contains(out, "cannot write to the results folder") {
		t.Errorf("--force on a read-only folder: state %s\n%s", r.State, out)
	}
}

// A batch larger than the training images is refused rather than trained
// as one step an epoch.
func TestBatchLargerThanTrainingSet(t *testing.T) {
	file := writeExperiment(t, strings.Replace(tinyBase, "batch: 16", "batch: 100", 1))
	sum, err := Run(context.Background(), []string{file}, Options{Results: t.TempDir(), LoadSet: syntheticLoader})
	if err != nil {
		t.Fatal(err)
	}
	if r := onlyRun(t, sum); r.State != record.StateFailed || !strings.Contains(r.Error, "train.batch 100 is larger than the 90 training images") {
		t.Errorf("state %s, error %q", r.State, r.Error)
	}
}

// A data set of one class is refused, not trained "to 100%".
func TestOneClassRefused(t *testing.T) {
	file := writeExperiment(t, strings.Replace(tinyBase, "units: 3", "units: 1", 1))
	oneClass := func(ctx context.Context, d experiments.Data) (*data.Set, error) {
		s := syntheticSet(150)
		s.Classes = s.Classes[:1]
		clear(s.Train.Labels)
		return s, nil
	}
	sum, err := Run(context.Background(), []string{file}, Options{Results: t.TempDir(), LoadSet: oneClass})
	if err != nil {
		t.Fatal(err)
	}
	if r := onlyRun(t, sum); r.State != record.StateFailed || !strings.Contains(r.Error, "the data set has 1 class (top); a classifier needs at least two classes") {
		t.Errorf("state %s, error %q", r.State, r.Error)
	}
}
