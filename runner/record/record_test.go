package record

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestJSONLinesRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), EpochsFile)
	want := []Epoch{{Epoch: 1, Loss: 0.5, ValAcc: 0.9}, {Epoch: 2, Loss: 0.25, ValAcc: 0.95}}
	if err := WriteJSONLines(p, want); err != nil {
		t.Fatal(err)
	}
	got, err := ReadJSONLines[Epoch](p)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("read back %+v, %v; want %+v", got, err, want)
	}
	missing, err := ReadJSONLines[Epoch](filepath.Join(t.TempDir(), "none.jsonl"))
	if err != nil || missing != nil {
		t.Fatalf("missing file: %v, %v; want no rows, no error", missing, err)
	}
}

func TestReadJSONLinesNamesBadLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), StepsFile)
	os.WriteFile(p, []byte("{\"step\":1}\n{\"step\":\n"), 0o644)
	_, err := ReadJSONLines[Step](p)
	if err == nil || !strings.Contains(err.Error(), StepsFile+":2:") {
		t.Fatalf("err = %v, want one naming %s:2", err, StepsFile)
	}
}

// A run in progress has a status and some epochs but no analysis yet; a
// folder without a status file is not a run.
func TestReadResults(t *testing.T) {
	root := t.TempDir()
	run := filepath.Join(root, "exp", "abc123")
	if err := WriteJSON(filepath.Join(run, StatusFile), Status{Experiment: "exp", RunID: "abc123", State: StateRunning}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSONLines(filepath.Join(run, EpochsFile), []Epoch{{Epoch: 1}}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(root, "exp", "site"), 0o755)
	os.WriteFile(filepath.Join(root, "notes.txt"), []byte("x"), 0o644)

	all, err := ReadResults(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || len(all["exp"]) != 1 {
		t.Fatalf("ReadResults = %v, want one experiment with one run", all)
	}
	r := all["exp"][0]
	if r.Status.State != StateRunning || len(r.Epochs) != 1 || r.Analysis != nil || r.Config != nil {
		t.Fatalf("run = %+v, want running with one epoch, no analysis, no config", r)
	}

	os.WriteFile(filepath.Join(run, AnalysisFile), []byte("{broken"), 0o644)
	if _, err := ReadRun(run); err == nil || !strings.Contains(err.Error(), AnalysisFile) {
		t.Fatalf("ReadRun with a broken analysis: %v, want an error naming %s", err, AnalysisFile)
	}
}
