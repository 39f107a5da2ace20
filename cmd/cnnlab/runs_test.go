package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

// One damaged status file is reported, and the other runs are still listed.
func TestRunsSkipsDamagedRun(t *testing.T) {
	results := t.TempDir()
	good := filepath.Join(results, "exp", "aaaaaaaaaa")
	bad := filepath.Join(results, "exp", "bbbbbbbbbb")
	for _, d := range []string{good, bad} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	st := record.Status{Experiment: "exp", RunID: "aaaaaaaaaa", State: record.StateDone, Epoch: 2, Epochs: 2, BestValAcc: 0.9, TestAcc: 0.875}
	if err := record.WriteJSON(filepath.Join(good, record.StatusFile), st); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, record.StatusFile), []byte(`{"state": `), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"runs", "--results", results}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "aaaaaaaaaa") || !strings.Contains(out.String(), "87.50%") || strings.Contains(out.String(), "bbbbbbbbbb") {
		t.Errorf("stdout:\n%s", out.String())
	}
	if !strings.Contains(errb.String(), filepath.Join(bad, record.StatusFile)) {
		t.Errorf("stderr does not name the damaged status: %q", errb.String())
	}
}
