package reports

import (
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

// The best run is chosen by validation accuracy, as each run chooses its
// checkpoint, never by test accuracy; ties go to the higher test accuracy.
func TestBestRunByValidation(t *testing.T) {
	mk := func(id, state string, val, test float64) *record.Run {
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
