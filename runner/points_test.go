package runner

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

// tinySweep is tinyBase swept over four points, then two of them again.
const tinySweep = tinyBase + `sweep:
  grid:
    train.optimizer.adam.lr: [0.01, 0.02]
    model[0].conv.filters: [2, 4]
  include:
    - {"train.optimizer.adam.lr": 0.02, "model[0].conv.filters": 2}
    - {"train.optimizer.adam.lr": 0.01, "model[0].conv.filters": 2}
`

// TestRunPoints trains single points of a sweep, as Slurm tasks do, and
// checks that each ends bit for bit as in a whole local sweep.
func TestRunPoints(t *testing.T) {
	text := strings.Replace(tinySweep, "epochs: 3", "epochs: 2", 1)
	file := writeExperiment(t, text)
	whole := t.TempDir()
	sum, out := run(t, context.Background(), file, whole, nil, false)
	if len(sum.Runs) != 6 || sum.Failed() > 0 {
		t.Fatalf("whole sweep: %+v\n%s", sum.Runs, out)
	}
	single := t.TempDir()
	for _, tc := range []struct {
		point int
		same  int // the point of the whole sweep whose run it is
	}{{3, 3}, {0, 0}, {5, 0}} {
		var buf strings.Builder
		got, err := Run(context.Background(), []string{file}, Options{Results: single, Out: &buf, LoadSet: syntheticLoader,
			Points: []int{tc.point}, CPUs: 1, SlurmJob: "77_1"})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Runs) != 1 {
			t.Fatalf("point %d: %d runs, want 1", tc.point, len(got.Runs))
		}
		r := got.Runs[0]
		if r.RunID != sum.Runs[tc.same].RunID {
			t.Errorf("point %d trained run %s, want %s", tc.point, r.RunID, sum.Runs[tc.same].RunID)
		}
		if tc.point == 5 {
			if !r.Skipped {
				t.Errorf("point 5, the same run as point 0: not skipped: %+v", r)
			}
			continue
		}
		if r.State != record.StateDone {
			t.Fatalf("point %d: %s %s\n%s", tc.point, r.State, r.Error, buf.String())
		}
		if st := readStatus(t, r.Dir); st.SlurmJob != "77_1" {
			t.Errorf("point %d: status names Slurm job %q, want 77_1", tc.point, st.SlurmJob)
		}
		var env record.Env
		if err := record.ReadJSON(filepath.Join(r.Dir, record.EnvFile), &env); err != nil || env.Threads != 1 {
			t.Errorf("point %d: trained on %d threads (%v), want 1", tc.point, env.Threads, err)
		}
		compareFinal(t, readFinal(t, sum.Runs[tc.same].Dir), readFinal(t, r.Dir))
	}
	for _, pts := range [][]int{{6}, {-1}, {1, 1}} {
		if _, err := Run(context.Background(), []string{file}, Options{Results: single, LoadSet: syntheticLoader, Points: pts}); err == nil {
			t.Errorf("points %v accepted", pts)
		}
	}
}

// Points lays a sweep out as runs, duplicates marked, and SweepStatus
// without a batch system reads where each stands from the records alone.
func TestPointsAndStatus(t *testing.T) {
	text := strings.Replace(tinySweep, "epochs: 3", "epochs: 1", 1)
	file := writeExperiment(t, text)
	results := t.TempDir()
	exps, err := Load([]string{file}, nil)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := Points(exps[0], results)
	if err != nil {
		t.Fatal(err)
	}
	if len(pts) != 6 {
		t.Fatalf("%d points, want 6", len(pts))
	}
	for i, want := range []int{-1, -1, -1, -1, 2, 0} {
		p := pts[i]
		if p.Index != i || p.DupOf != want || p.Dir != filepath.Join(results, "tiny", p.RunID) {
			t.Errorf("point %d: %+v, want DupOf %d", i, p, want)
		}
		if settled, _ := Settled(p, false); settled {
			t.Errorf("point %d settled before any run", i)
		}
	}
	sum, out := run(t, context.Background(), file, results, nil, false)
	if sum.Failed() > 0 {
		t.Fatalf("sweep failed:\n%s", out)
	}
	if settled, state := Settled(pts[0], false); !settled || state != record.StateDone {
		t.Errorf("after the sweep: settled %v, %s; want done", settled, state)
	}
	if settled, _ := Settled(pts[0], true); settled {
		t.Error("forced, a done run is still settled")
	}
	st, err := SweepStatus(context.Background(), []string{file}, StatusOptions{Results: results})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range st {
		if p.State != record.StateDone || p.RunID != pts[i].RunID || p.Epoch != 1 {
			t.Errorf("point %d: %+v, want done after 1 epoch", i, p)
		}
	}
}
