package slurm

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/runner"
	"github.com/cnnlab/cnnlab/runner/record"
)

// tinySearch halves 4 sampled points of the tiny experiment by 2 over
// rungs of 1, 2 and 4 epochs.
const tinySearch = `sweep:
  random:
    samples: 4
    seed: 5
    params:
      train.optimizer.adam.lr: {loguniform: [0.001, 0.05]}
  halving: {budget: 4, factor: 2, min_epochs: 1}
`

// TestPlanHalvingRungByRung submits a halving search rung by rung, runs
// each array's tasks as Slurm would (cnnlab run FILE --point K), and checks
// that it ends where a local search does.
func TestPlanHalvingRungByRung(t *testing.T) {
	text := strings.Replace(tinyBase, "  seed: 3\n", "  seed: 3\n  schedule: cosine\n", 1) + tinySearch
	file := writeExperiment(t, text)
	local, out := runLocal(t, context.Background(), file, t.TempDir(), false)
	if local.Failed() > 0 {
		t.Fatalf("local search failed:\n%s", out)
	}
	results := t.TempDir()
	ctx := context.Background()
	for _, want := range []struct {
		rung, tasks, pruned int
		next                bool
	}{{1, 4, 0, true}, {2, 2, 2, true}, {4, 1, 3, false}, {0, 0, 3, false}} {
		arrays, err := Plan(ctx, []string{file}, Options{Results: results, Program: "/x/cnnlab", Queue: noQueue, Sets: []string{"report.gallery=6"},
			Sbatch: [][]string{{"--time=1:00:00"}}})
		if err != nil {
			t.Fatal(err)
		}
		a := arrays[0]
		pruned := 0
		for _, s := range a.Skipped {
			if strings.HasPrefix(s.Reason, "pruned at the rung of") {
				pruned++
			}
		}
		if a.Rung != want.rung || len(a.Tasks) != want.tasks || pruned != want.pruned || (a.Next != "") != want.next {
			t.Fatalf("rung %d, %d tasks, %d pruned, next %v; want %+v\nskipped %+v", a.Rung, len(a.Tasks), pruned, a.Next != "", want, a.Skipped)
		}
		if a.Next != "" {
			for _, w := range []string{"#SBATCH --dependency=afterany:" + nextDependency, "#SBATCH --time=1:00:00",
				"exec /x/cnnlab run " + file + " --executor slurm --results " + results + " --set report.gallery=6 --slurm-opt --time=1:00:00"} {
				if !strings.Contains(a.Next, w) {
					t.Errorf("next-rung script lacks %q:\n%s", w, a.Next)
				}
			}
		}
		if want.rung > 0 && !strings.Contains(a.Script, fmt.Sprintf("to the rung of %d epochs", want.rung)) {
			t.Errorf("script does not name the rung:\n%s", a.Script)
		}
		for _, task := range a.Tasks {
			var buf bytes.Buffer
			sum, err := runner.Run(ctx, []string{file}, runner.Options{Results: results, Out: &buf, LoadSet: syntheticLoader,
				Points: []int{task.Point}, Sets: []string{"report.gallery=6"}})
			if err != nil || len(sum.Runs) != 1 {
				t.Fatalf("task %d: %v\n%s", task.Index, err, buf.String())
			}
			r := sum.Runs[0]
			if wantState := map[bool]record.State{true: record.StateDone, false: record.StatePaused}[want.rung == 4]; r.State != wantState || r.Epoch != want.rung {
				t.Fatalf("task %d: %s at epoch %d, want %s at %d\n%s", task.Index, r.State, r.Epoch, wantState, want.rung, buf.String())
			}
		}
	}
	// The runs end as the local search's did.
	states := func(dir string) []string {
		var out []string
		names, _ := filepath.Glob(filepath.Join(dir, "tiny", "*", record.StatusFile))
		for _, n := range names {
			st := readStatus(t, filepath.Dir(n))
			out = append(out, fmt.Sprintf("%s %s@%d", st.RunID, st.State, st.Epoch))
		}
		slices.Sort(out)
		return out
	}
	var localDir string
	for _, r := range local.Runs {
		if r.State == record.StateDone {
			localDir = filepath.Dir(r.Dir)
			compareFinal(t, readFinal(t, r.Dir), readFinal(t, filepath.Join(results, "tiny", r.RunID)))
		}
	}
	if a, b := states(filepath.Dir(localDir)), states(results); fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("local search %v, on Slurm %v", a, b)
	}
	if _, err := Plan(ctx, []string{file}, Options{Results: results, Program: "/x/cnnlab", Queue: noQueue, Force: true}); err == nil {
		t.Error("--force on a halving search: no error")
	}
}

// TestSubmitHalvingSubmitsTheNextRung checks that a rung's array is
// followed by the job that submits the next one, after it.
func TestSubmitHalvingSubmitsTheNextRung(t *testing.T) {
	dir := fakeSlurm(t)
	file := writeExperiment(t, tinyBase+tinySearch)
	results := t.TempDir()
	arrays, err := Plan(context.Background(), []string{file}, Options{Results: results, Program: "/x/cnnlab", Queue: noQueue})
	if err != nil {
		t.Fatal(err)
	}
	if err := Submit(context.Background(), arrays); err != nil {
		t.Fatal(err)
	}
	a := arrays[0]
	if a.JobID != "4242" || a.NextJobID != "4242" {
		t.Fatalf("job %q, next %q", a.JobID, a.NextJobID)
	}
	last, err := os.ReadFile(filepath.Join(dir, "submitted"))
	if err != nil || !strings.Contains(string(last), "#SBATCH --dependency=afterany:4242\n") || !strings.Contains(string(last), "--executor slurm") {
		t.Errorf("the last submission is not the next-rung job (%v):\n%s", err, last)
	}
	var saved Array
	if err := record.ReadJSON(filepath.Join(a.Dir, "4242.json"), &saved); err != nil || saved.Rung != 1 || saved.NextJobID != "4242" {
		t.Errorf("saved %+v, %v", saved, err)
	}
}
