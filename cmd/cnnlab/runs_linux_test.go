package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

// A run whose status says running is listed as abandoned when no process
// holds its lock, and as running while one does.
func TestRunsTellsAbandonedRuns(t *testing.T) {
	results := t.TempDir()
	dir := filepath.Join(results, "exp", "aaaaaaaaaa")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	st := record.Status{Experiment: "exp", RunID: "aaaaaaaaaa", State: record.StateRunning, Epoch: 1, Epochs: 3}
	if err := record.WriteJSON(filepath.Join(dir, record.StatusFile), st); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, record.LockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	list := func() string {
		var out, errb bytes.Buffer
		if code := run([]string{"runs", "--results", results}, &out, &errb); code != 0 {
			t.Fatalf("exit %d: %s", code, errb.String())
		}
		return out.String()
	}

	out := list()
	if !strings.Contains(out, "aaaaaaaaaa  abandoned") || !strings.Contains(out, "cnnlab run resumes it from its last checkpoint") {
		t.Errorf("a run nobody trains is not shown abandoned:\n%s", out)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	out = list()
	if !strings.Contains(out, "aaaaaaaaaa  running") || strings.Contains(out, "abandoned") {
		t.Errorf("a run whose lock is held is not shown running:\n%s", out)
	}
	// The listing only looked: the lock is still this process's alone.
	other, err := os.Open(filepath.Join(dir, record.LockFile))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := syscall.Flock(int(other.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err == nil {
		t.Error("the lock could be taken twice")
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_UN); err != nil {
		t.Fatal(err)
	}

	// A run trained by a Slurm job may be on another node: it stays running.
	st.SlurmJob = "1234_0"
	if err := record.WriteJSON(filepath.Join(dir, record.StatusFile), st); err != nil {
		t.Fatal(err)
	}
	if out := list(); !strings.Contains(out, "aaaaaaaaaa  running") {
		t.Errorf("a Slurm run is not left running:\n%s", out)
	}
}
