package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/runner/record"
)

// Point is one point of a sweep as the runner lays it out: the run that
// trains it and that run's folder. Executors other than the local one (the
// Slurm one) plan their work from Points.
type Point struct {
	Experiment *experiments.Experiment
	Index      int // index of the point in its experiment's sweep
	RunID      string
	Dir        string // results/<experiment>/<run-id>
	Label      string // the swept values
	// DupOf is the index, in the same list, of an earlier point that has the
	// same config and so the same run; -1 if none.
	DupOf int
}

// Points lists the points of an experiment's sweep, in order, with the run
// each one trains in the results folder (default "results").
func Points(e *experiments.Experiment, results string) ([]Point, error) {
	jobs, err := expandJobs([]*experiments.Experiment{e}, Options{Results: results})
	if err != nil {
		return nil, err
	}
	pts := make([]Point, len(jobs))
	for i, j := range jobs {
		pts[i] = j.public()
	}
	return pts, nil
}

// public is the job as a Point.
func (j *job) public() Point {
	return Point{Experiment: j.exp, Index: j.point.Index, RunID: j.id, Dir: j.dir, Label: j.label, DupOf: j.dupOf}
}

// FolderName is the name of an experiment's folder in the results folder:
// its name, made safe if it is not a valid one.
func FolderName(name string) string { return folderName(name) }

// Settled reports whether the run of a point needs no training, as a local
// run would decide: it is done (its records intact) or it diverged. state is
// the run's recorded state. With force, nothing is settled.
func Settled(p Point, force bool) (settled bool, state record.State) {
	pl, st, _ := inspect(&job{id: p.RunID, dir: p.Dir}, force)
	return pl == planSkip, st.State
}

// Point states beyond those of package record.
const (
	StatePending record.State = "pending" // neither started nor queued
	StateQueued  record.State = "queued"  // waiting in a batch system's queue
)

// PointStatus says where one point of a sweep stands.
type PointStatus struct {
	Experiment string
	Point      int // index in its experiment's sweep
	RunID      string
	Dir        string
	Label      string
	// State is StatePending, StateQueued or a record state (running,
	// stopped, done, failed, diverged).
	State      record.State
	SlurmJob   string // the array task that trains it, when known
	Epoch      int
	Epochs     int
	BestValAcc float64
	TestAcc    float64
	Note       string
}

// LiveTask is a task of a batch system (a Slurm array task, "1234_5") that
// has a run queued or running.
type LiveTask struct {
	Task    string
	State   string // the batch system's own word for it, e.g. "PENDING"
	Running bool   // started (or being stopped) rather than waiting to start
}

// StatusOptions configures SweepStatus.
type StatusOptions struct {
	Results string   // default "results"
	Sets    []string // overrides, as given to cnnlab run
	// Live maps the run ids of an experiment's points to the batch system's
	// tasks that have them queued or running; nil when no batch system is
	// asked.
	Live func(ctx context.Context, results string, e *experiments.Experiment, pts []Point) (map[string]LiveTask, error)
	// KnowQueue says that Live sees the whole queue: a run whose record says
	// a batch task trains it, but which Live does not list, has lost its
	// task. Without it, such a run is taken as running.
	KnowQueue bool
}

// SweepStatus lists every point of the experiment files with the state of
// its run, from the run records and, where opts.Live tells, from a batch
// system's queue.
func SweepStatus(ctx context.Context, files []string, opts StatusOptions) ([]PointStatus, error) {
	results := defaultString(opts.Results, "results")
	exps, err := Load(files, opts.Sets)
	if err != nil {
		return nil, err
	}
	var out []PointStatus
	for _, e := range exps {
		pts, err := Points(e, results)
		if err != nil {
			return nil, err
		}
		var live map[string]LiveTask
		if opts.Live != nil {
			if live, err = opts.Live(ctx, results, e, pts); err != nil {
				return nil, err
			}
		}
		var search *SearchState
		if e.Sweep != nil && e.Sweep.Halving != nil {
			st, err := Search(e, results)
			if err != nil {
				return nil, err
			}
			search = &st
		}
		for _, p := range pts {
			ps := pointStatus(p, live, opts.KnowQueue)
			if search != nil && ps.Note == "" {
				ps.Note = search.note(p.Index, ps.State)
			}
			out = append(out, ps)
		}
	}
	return out, nil
}

// pointStatus combines a point's run record with the batch system's queue.
// Without knowQueue, a running record of a batch task cannot be told from
// one whose task has died, and is taken as running.
func pointStatus(p Point, live map[string]LiveTask, knowQueue bool) PointStatus {
	ps := PointStatus{Experiment: p.Experiment.Name, Point: p.Index, RunID: p.RunID, Dir: p.Dir, Label: p.Label,
		State: StatePending, Epochs: p.Experiment.Train.Epochs}
	var st record.Status
	err := record.ReadJSON(filepath.Join(p.Dir, record.StatusFile), &st)
	haveStatus := err == nil && st.RunID == p.RunID
	if haveStatus {
		ps.State, ps.SlurmJob, ps.Epoch, ps.BestValAcc, ps.TestAcc = st.State, st.SlurmJob, st.Epoch, st.BestValAcc, st.TestAcc
		ps.Note = st.Error
		if ps.Note == "" {
			ps.Note = st.StopReason
		}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		ps.Note = fmt.Sprintf("unreadable status: %v", err)
	}
	t, queued := live[p.RunID]
	switch {
	case haveStatus && (st.State == record.StateDone || st.State == record.StateDiverged):
	case queued && t.Running:
		ps.State, ps.SlurmJob = record.StateRunning, t.Task
	case queued:
		ps.State, ps.SlurmJob = StateQueued, t.Task
		if haveStatus && st.Epoch > 0 {
			ps.Note = fmt.Sprintf("resumes at epoch %d", st.Epoch+1)
		}
	case haveStatus && st.State == record.StateRunning && st.SlurmJob != "" && knowQueue:
		ps.State = record.StateStopped
		ps.Note = fmt.Sprintf("Slurm task %s ended before the run did; submit again to resume", st.SlurmJob)
	}
	return ps
}

// pickPoints keeps the jobs at the given indices, in that order (the
// points a Slurm task, or cnnlab run --point, trains), and marks duplicates
// among them afresh.
func pickPoints(all []*job, points []int) ([]*job, error) {
	jobs := make([]*job, 0, len(points))
	seen := map[string]int{}
	for _, k := range points {
		if k < 0 || k >= len(all) {
			return nil, fmt.Errorf("point %d: the sweep has %d points (0 to %d)", k, len(all), len(all)-1)
		}
		if slices.Contains(points[:len(jobs)], k) {
			return nil, fmt.Errorf("point %d is given twice", k)
		}
		j := all[k]
		j.index, j.dupOf = len(jobs), -1
		if d, ok := seen[j.dir]; ok {
			j.dupOf = d
		} else {
			seen[j.dir] = j.index
		}
		jobs = append(jobs, j)
	}
	return jobs, nil
}

func defaultString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
