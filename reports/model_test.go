package reports

import (
	"reflect"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

// The best run is chosen by validation accuracy, as each run chooses its
// checkpoint, never by test accuracy; ties go to the higher test accuracy.
func TestBestRunByValidation(t *testing.T) {
	mk := func(id string, state record.State, val, test float64) *record.Run {
		return &record.Run{Dir: "results/e/" + id, Status: record.Status{Experiment: "e", RunID: id, State: state, BestValAcc: val, TestAcc: test}}
	}
	tests := []struct {
		runs []*record.Run
		want string
	}{
		{[]*record.Run{mk("a", record.StateDone, 0.90, 0.96), mk("b", record.StateDone, 0.95, 0.91)}, "b"},
		{[]*record.Run{mk("a", record.StateDone, 0.95, 0.90), mk("b", record.StateDone, 0.95, 0.92)}, "b"},
		// A run still training is not a result, however good it looks so far.
		{[]*record.Run{mk("a", record.StateDone, 0.90, 0.90), mk("b", record.StateRunning, 0.99, 0.99)}, "a"},
		{[]*record.Run{mk("a", record.StateFailed, 0.90, 0.90)}, ""},
	}
	for i, tt := range tests {
		e := buildExperiments(map[string][]*record.Run{"e": tt.runs})[0]
		got := ""
		if e.Best != nil {
			got = e.Best.ID
		}
		if got != tt.want {
			t.Errorf("%d: best run %q, want %q", i, got, tt.want)
		}
	}
}

// Runs read in sweep order, by the values of the varying keys (numbers by
// value), then by replicate, whatever their run IDs.
func TestRunsSortedBySweptValues(t *testing.T) {
	mk := func(id string, rep int, kernel, stride string) *record.Run {
		return &record.Run{Dir: "results/e/" + id, Status: record.Status{Experiment: "e", RunID: id, State: record.StateDone, Replicate: rep, Seed: int64(7 + rep),
			Swept: []record.KeyValue{{Key: "model[0].conv.kernel", Value: kernel}, {Key: "model[0].conv.stride", Value: stride}}}}
	}
	runs := []*record.Run{
		mk("a1", 0, "11", "1"), mk("b2", 1, "3", "2"), mk("c3", 0, "3", "2"), mk("d4", 0, "5", "1"), mk("e5", 0, "3", "1"),
	}
	e := buildExperiments(map[string][]*record.Run{"e": runs})[0]
	var got []string
	for _, r := range e.Runs {
		got = append(got, r.Label)
	}
	want := []string{"kernel=3 stride=1 seed 7", "kernel=3 stride=2 seed 7", "kernel=3 stride=2 seed 8", "kernel=5 stride=1 seed 7", "kernel=11 stride=1 seed 7"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("runs in order %q, want %q", got, want)
	}
}
