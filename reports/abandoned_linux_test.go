package reports

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

// A run that says it is running is shown abandoned when no process holds
// its lock, and in progress while one does.
func TestAbandonedRunShown(t *testing.T) {
	root := t.TempDir()
	results := filepath.Join(root, "results")
	writeExperiment(t, results, "x", "x", "", []fixtureRun{{dir: "r1", state: record.StateRunning, epochs: 2, planned: 5,
		quality: 0.5, classes: []string{"a", "b"}, layer: "conv1"}})
	lock, err := os.OpenFile(filepath.Join(results, "x", "r1", record.LockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	build := func() (runPage, sweepPage string) {
		out := filepath.Join(root, "site")
		if _, err := Build(Options{Results: results, Out: out, CacheDir: filepath.Join(root, "cache"), NoFetch: true, Warn: &strings.Builder{}}); err != nil {
			t.Fatal(err)
		}
		r, err := os.ReadFile(filepath.Join(out, "x", "r1", "index.html"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := os.ReadFile(filepath.Join(out, "x", "index.html"))
		if err != nil {
			t.Fatal(err)
		}
		return string(r), string(s)
	}

	run, sweep := build()
	if !strings.Contains(run, "<strong>Abandoned:</strong>") || !strings.Contains(run, "after 2 of 5 epochs the process training this run ended") ||
		!strings.Contains(sweep, `<span class="badge abandoned">abandoned</span>`) {
		t.Errorf("a run nobody trains is not shown abandoned:\n%s", run)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	run, sweep = build()
	if strings.Contains(run+sweep, "bandoned") || !strings.Contains(sweep, `<span class="badge running">running</span>`) {
		t.Errorf("a run whose lock is held is not shown running:\n%s", sweep)
	}
}
