package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/runner/record"
)

func TestPlanHalving(t *testing.T) {
	acc := &experiments.Halving{Factor: 2, Rungs: []int{1, 2, 4}, Metric: experiments.MetricValAcc}
	loss := &experiments.Halving{Factor: 3, Rungs: []int{1, 3}, Metric: experiments.MetricValLoss}
	// at[g] is the epochs point g has reached; val[g] its metric (the
	// same at every rung); outAt[g] the rung epochs from which it is out.
	type world struct {
		at    []int
		val   []float64
		outAt map[int]int
	}
	for _, tc := range []struct {
		name    string
		h       *experiments.Halving
		w       world
		current int
		train   []int
		ranked  [][]int // per ranked rung, in rank order
		promote []int
	}{
		{"nothing trained", acc, world{at: []int{0, 0, 0, 0}, val: []float64{.1, .2, .3, .4}}, 0, []int{0, 1, 2, 3}, nil, nil},
		{"first rung half done", acc, world{at: []int{1, 0, 1, 0}, val: []float64{.1, .2, .3, .4}}, 0, []int{1, 3}, nil, nil},
		{"first rung ranked", acc, world{at: []int{1, 1, 1, 1}, val: []float64{.1, .4, .3, .2}}, 1, []int{1, 2}, [][]int{{1, 2, 3, 0}}, []int{2}},
		{"ties go to the earlier point", acc, world{at: []int{1, 1, 1, 1}, val: []float64{.5, .5, .5, .5}}, 1, []int{0, 1}, [][]int{{0, 1, 2, 3}}, []int{2}},
		{"complete", acc, world{at: []int{1, 4, 2, 1}, val: []float64{.1, .4, .3, .2}}, 3, nil, [][]int{{1, 2, 3, 0}, {1, 2}, {1}}, []int{2, 1, 1}},
		{"an odd rung keeps n/factor", acc, world{at: []int{1, 1, 1, 1, 1}, val: []float64{.1, .5, .3, .2, .4}}, 1, []int{1, 4}, [][]int{{1, 4, 2, 3, 0}}, []int{2}},
		{"a point out is not ranked", acc, world{at: []int{1, 1, 0, 1}, val: []float64{.1, .4, .3, .2}, outAt: map[int]int{2: 1}}, 1, []int{1}, [][]int{{1, 3, 0}}, []int{1}},
		{"every point out ends the search", acc, world{at: []int{0, 0}, outAt: map[int]int{0: 1, 1: 1}}, 3, nil, [][]int{nil}, []int{0}},
		{"lower loss ranks first", loss, world{at: []int{1, 1, 1, 1, 1, 1}, val: []float64{.9, .3, .5, .1, .8, .7}}, 1, []int{3, 1}, [][]int{{3, 1, 2, 5, 4, 0}}, []int{2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			look := func(g, epochs int) (standing, float64) {
				if e, ok := tc.w.outAt[g]; ok && epochs >= e {
					return out, 0
				}
				if tc.w.at[g] >= epochs {
					return reached, tc.w.val[g]
				}
				return notReached, 0
			}
			p := planHalving(tc.h, len(tc.w.at), look)
			if p.Current != tc.current || fmt.Sprint(p.Train) != fmt.Sprint(tc.train) {
				t.Errorf("rung %d, train %v; want rung %d, train %v", p.Current, p.Train, tc.current, tc.train)
			}
			var ranked [][]int
			var promote []int
			for _, r := range p.Ranked {
				ranked = append(ranked, r.Ranked)
				promote = append(promote, r.Promoted)
			}
			if fmt.Sprint(ranked) != fmt.Sprint(tc.ranked) || fmt.Sprint(promote) != fmt.Sprint(tc.promote) {
				t.Errorf("ranked %v promoted %v; want %v, %v", ranked, promote, tc.ranked, tc.promote)
			}
		})
	}
}

// tinySearch samples 4 learning rates of the tiny experiment and halves
// them by 2 over rungs of 1, 2 and 4 epochs, on a cosine schedule, so that
// a run paused at a rung continues on the schedule of the whole budget.
const tinySearch = `sweep:
  random:
    samples: 4
    seed: 5
    params:
      train.optimizer.adam.lr: {loguniform: [0.001, 0.05]}
  halving: {budget: 4, factor: 2, min_epochs: 1}
`

func tinySearchFile(t *testing.T) string {
	text := strings.Replace(tinyBase, "  seed: 3\n", "  seed: 3\n  schedule: cosine\n", 1) + tinySearch
	return writeExperiment(t, text)
}

// searchStates maps the run ids of a search to their state and the epochs
// they trained.
func searchStates(t *testing.T, sum *Summary) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range sum.Runs {
		st := readStatus(t, r.Dir)
		out[r.RunID] = fmt.Sprintf("%s@%d/rung%d", st.State, st.Epoch, st.Rung)
	}
	return out
}

func TestHalvingPromotedRunIsAStraightRun(t *testing.T) {
	file := tinySearchFile(t)
	results := t.TempDir()
	sum, out := run(t, context.Background(), file, results, nil, false)
	var states []string
	var done []Result
	for _, r := range sum.Runs {
		st := readStatus(t, r.Dir)
		states = append(states, fmt.Sprintf("%s@%d", st.State, st.Epoch))
		if st.Search == nil || fmt.Sprint(st.Search.Rungs) != "[1 2 4]" || st.Search.Metric != "val_acc" || fmt.Sprint(st.Search.LogKeys) != "[train.optimizer.adam.lr]" {
			t.Errorf("%s: search record %+v", r.RunID, st.Search)
		}
		switch st.State {
		case record.StateDone:
			done = append(done, r)
		case record.StatePruned:
			if st.Rung != st.Epoch || !strings.Contains(st.StopReason, "ranked") {
				t.Errorf("%s: pruned at rung %d after %d epochs: %q", r.RunID, st.Rung, st.Epoch, st.StopReason)
			}
		default:
			t.Errorf("%s: state %s (%s)", r.RunID, st.State, r.Error)
		}
	}
	slices.Sort(states)
	if want := "[done@4 pruned@1 pruned@1 pruned@2]"; fmt.Sprint(states) != want {
		t.Fatalf("states %v, want %s\n%s", states, want, out)
	}
	if sum.Failed() != 0 {
		t.Errorf("%d failed", sum.Failed())
	}
	// The promoted run's own config, trained straight to the end.
	straight := t.TempDir()
	sum2, _ := run(t, context.Background(), filepath.Join(done[0].Dir, record.ConfigFile), straight, nil, false)
	r := onlyRun(t, sum2)
	if r.RunID != done[0].RunID || r.State != record.StateDone {
		t.Fatalf("straight run %s %s, want %s done", r.RunID, r.State, done[0].RunID)
	}
	compareFinal(t, readFinal(t, r.Dir), readFinal(t, done[0].Dir))

	// Run again: nothing to train.
	sum3, _ := run(t, context.Background(), file, results, nil, false)
	for _, r := range sum3.Runs {
		if !r.Skipped {
			t.Errorf("%s: trained again (%s)", r.RunID, r.State)
		}
	}
}

func TestHalvingResumesAfterInterruption(t *testing.T) {
	file := tinySearchFile(t)
	ref, _ := run(t, context.Background(), file, t.TempDir(), nil, false)
	want := searchStates(t, ref)
	var wantDone FinalStateDir
	for _, r := range ref.Runs {
		if r.State == record.StateDone {
			wantDone = FinalStateDir(r.Dir)
		}
	}
	// Stop after the 3rd, 5th and 6th epoch trained (of the 4+2+2 a search takes).
	results := t.TempDir()
	for _, stopAt := range []int32{3, 5, 6} {
		var epochs atomic.Int32
		epochs.Store(epochsBefore(t, results))
		ctx, cancel := context.WithCancel(context.Background())
		sum, _ := run(t, ctx, file, results, &hooks{afterEpoch: func(string, int) {
			if epochs.Add(1) == stopAt {
				cancel()
			}
		}}, false)
		cancel()
		if !sum.Interrupted {
			t.Fatalf("stop at %d: not interrupted", stopAt)
		}
	}
	sum, out := run(t, context.Background(), file, results, nil, false)
	if got := searchStates(t, sum); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("after resuming: %v\nwant %v\n%s", got, want, out)
	}
	for _, r := range sum.Runs {
		if r.State == record.StateDone {
			compareFinal(t, readFinal(t, string(wantDone)), readFinal(t, r.Dir))
		}
	}
}

// FinalStateDir is the folder of a run whose final state a test compares.
type FinalStateDir string

// epochsBefore counts the epochs recorded under results so far.
func epochsBefore(t *testing.T, results string) int32 {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(results, "tiny", "*", record.EpochsFile))
	n := 0
	for _, d := range dirs {
		rows, err := record.ReadJSONLines[record.Epoch](d)
		if err != nil {
			t.Fatal(err)
		}
		n += len(rows)
	}
	return int32(n)
}

func TestSearchStateNote(t *testing.T) {
	st := &SearchState{Rung: 3, Train: []int{1, 2}, Out: map[int]string{4: "pruned at the rung of 1 epoch (ranked 3 of 3)"}}
	for _, tc := range []struct {
		point int
		state record.State
		want  string
	}{
		{4, record.StatePruned, "pruned at the rung of 1 epoch (ranked 3 of 3)"},
		{1, record.StatePaused, "promoted to the rung of 3 epochs"},
		{2, StatePending, "to train to the rung of 3 epochs"},
		{0, record.StatePaused, "at the rung of 3 epochs; waits for the others"},
		{0, record.StateRunning, ""},
	} {
		if got := st.note(tc.point, tc.state); got != tc.want {
			t.Errorf("point %d %s: %q, want %q", tc.point, tc.state, got, tc.want)
		}
	}
	if got := (&SearchState{}).note(0, record.StateDone); got != "" {
		t.Errorf("a complete search: %q", got)
	}
}
