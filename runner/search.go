package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/runner/record"
)

// Successive halving, run from the records alone: which points stand at
// which rung, and which of them go on, is worked out again from the run
// folders every time (their status and the metric at each rung's epoch),
// so an interrupted search resumes where it was, and several processes or
// Slurm tasks sharing the results folder agree on it.

// searchRecord is the description of a sweep's search its runs record.
func searchRecord(sw *experiments.Sweep) *record.Search {
	if sw == nil || (sw.Random == nil && sw.Halving == nil) {
		return nil
	}
	s := &record.Search{Sampled: sw.Random.Keys(), LogKeys: sw.Random.LogKeys()}
	if h := sw.Halving; h != nil {
		s.Rungs, s.Factor, s.Metric = h.Rungs, h.Factor, string(h.Metric)
	}
	return s
}

// standing is where a point stands at a rung.
type standing int

const (
	notReached standing = iota // still to train to the rung's epoch
	reached                    // trained to it, with a value of the metric there
	out                        // cannot go on: diverged, failed again, or stopped early before the rung
)

// rungResult is a ranked rung: the points (indices of groups) in rank
// order with their metric, and how many of them go on.
type rungResult struct {
	Epochs   int
	Ranked   []int
	Values   []float64
	Promoted int
	Out      []int
}

// halvingPlan says where a search stands: the rungs ranked so far and, for
// the rung under way (Current), the points still to train to it. Current
// is len(rungs) when the search is complete.
type halvingPlan struct {
	Ranked  []rungResult
	Current int
	Train   []int
}

// planHalving works out a search over points points from look, which says
// where point g stands at a rung of the given epochs and its metric there.
// Every point starts at the first rung; at each rung every point must have
// reached it (or be out) before it is ranked, and the best
// h.Survivors(n) of the n ranked go on; ties go to the earlier point.
func planHalving(h *experiments.Halving, points int, look func(g, epochs int) (standing, float64)) halvingPlan {
	alive := make([]int, points)
	for i := range alive {
		alive[i] = i
	}
	var plan halvingPlan
	for k, r := range h.Rungs {
		var need, ranked, outs []int
		values := map[int]float64{}
		for _, g := range alive {
			st, v := look(g, r)
			switch st {
			case notReached:
				need = append(need, g)
			case reached:
				ranked = append(ranked, g)
				values[g] = v
			default:
				outs = append(outs, g)
			}
		}
		if len(need) > 0 {
			plan.Current, plan.Train = k, need
			return plan
		}
		slices.SortStableFunc(ranked, func(a, b int) int {
			switch va, vb := values[a], values[b]; {
			case h.Better(va, vb):
				return -1
			case h.Better(vb, va):
				return 1
			}
			return a - b
		})
		rr := rungResult{Epochs: r, Ranked: ranked, Out: outs}
		for _, g := range ranked {
			rr.Values = append(rr.Values, values[g])
		}
		if k < len(h.Rungs)-1 && len(ranked) > 0 {
			rr.Promoted = h.Survivors(len(ranked))
		} else {
			rr.Promoted = len(ranked)
		}
		plan.Ranked = append(plan.Ranked, rr)
		alive = ranked[:rr.Promoted]
		if len(alive) == 0 {
			break
		}
	}
	plan.Current = len(h.Rungs)
	return plan
}

// searchJobs are the jobs of one experiment searched by halving, grouped
// by point: groups[g] holds the replicates of point g.
type searchJobs struct {
	exp    *experiments.Experiment
	h      *experiments.Halving
	groups [][]*job
	tried  map[string]bool // run ids trained in this invocation
	force  bool            // train every point again: records of runs not tried yet do not count
}

// newSearchJobs groups the jobs of e (every point of its sweep, in order).
func newSearchJobs(e *experiments.Experiment, jobs []*job, force bool) *searchJobs {
	seeds := max(e.Sweep.Seeds, 1)
	n := max(len(jobs)/seeds, 1)
	s := &searchJobs{exp: e, h: e.Sweep.Halving, groups: make([][]*job, n), tried: map[string]bool{}, force: force}
	for _, j := range jobs {
		g := j.point.Index - j.point.Replicate*n
		if g >= 0 && g < n {
			s.groups[g] = append(s.groups[g], j)
		}
	}
	return s
}

// runLook reads where one run stands at a rung.
func (s *searchJobs) runLook(j *job, epochs int) (standing, float64) {
	var st record.Status
	if s.force && !s.tried[j.id] {
		return notReached, 0
	}
	if err := record.ReadJSON(filepath.Join(j.dir, record.StatusFile), &st); err != nil || st.RunID != j.id {
		return notReached, 0
	}
	switch st.State {
	case record.StateDiverged:
		return out, 0
	case record.StateFailed:
		if s.tried[j.id] {
			return out, 0
		}
		return notReached, 0
	}
	if st.Epoch < epochs {
		if st.State == record.StateDone {
			return out, 0 // stopped early before the rung
		}
		return notReached, 0
	}
	rows, err := record.ReadJSONLines[record.Epoch](filepath.Join(j.dir, record.EpochsFile))
	if err != nil || len(rows) < epochs {
		return notReached, 0
	}
	row := rows[epochs-1]
	if s.h.Metric == experiments.MetricValLoss {
		return reached, row.ValLoss
	}
	return reached, row.ValAcc
}

// look is where point g stands at a rung: out if any replicate is out,
// not reached if any is not, else reached with the mean of the metric.
func (s *searchJobs) look(g, epochs int) (standing, float64) {
	var sum float64
	for _, j := range s.groups[g] {
		st, v := s.runLook(j, epochs)
		if st != reached {
			return st, 0
		}
		sum += v
	}
	if len(s.groups[g]) == 0 {
		return out, 0
	}
	return reached, sum / float64(len(s.groups[g]))
}

func (s *searchJobs) plan() halvingPlan { return planHalving(s.h, len(s.groups), s.look) }

// prune records the points of ranked rungs that did not go on as pruned at
// that rung, unless another process is training them or they ended
// otherwise.
func (s *searchJobs) prune(plan halvingPlan, lock func(string) (func(), error)) {
	for _, rr := range plan.Ranked {
		for i, g := range rr.Ranked[rr.Promoted:] {
			rank := rr.Promoted + i + 1
			for _, j := range s.groups[g] {
				if j.dupOf >= 0 {
					continue
				}
				s.markPruned(j, rr, rank, lock)
			}
		}
	}
}

func (s *searchJobs) markPruned(j *job, rr rungResult, rank int, lock func(string) (func(), error)) {
	path := filepath.Join(j.dir, record.StatusFile)
	var st record.Status
	if err := record.ReadJSON(path, &st); err != nil || st.RunID != j.id {
		return
	}
	switch st.State {
	case record.StatePaused, record.StateStopped, record.StateRunning:
	default:
		return
	}
	unlock, err := lock(j.dir)
	if err != nil {
		return
	}
	defer unlock()
	if err := record.ReadJSON(path, &st); err != nil || st.RunID != j.id {
		return
	}
	if st.State != record.StatePaused && st.State != record.StateStopped && st.State != record.StateRunning {
		return
	}
	value := pct(rr.Values[rank-1])
	if s.h.Metric == experiments.MetricValLoss {
		value = fmt.Sprintf("%.4f", rr.Values[rank-1])
	}
	st.State = record.StatePruned
	st.Rung = rr.Epochs
	st.StopReason = fmt.Sprintf("pruned at the rung of %s: %s %s ranked %d of %d; the best %d went on",
		plural(rr.Epochs, "epoch"), s.h.Metric, value, rank, len(rr.Ranked), rr.Promoted)
	st.Updated = time.Now().UTC()
	_ = record.WriteJSON(path, st)
}

// runSearch trains the points of a halving search rung by rung until the
// search is complete, ctx ends or a run cannot go on here (another process
// has it). With only set (a Slurm task's points), it trains those of them
// that the rung under way needs, once, and returns.
func (sw *sweep) runSearch(ctx context.Context, s *searchJobs, parallel int, results []Result, only map[*job]bool) {
	lock := lockRun
	if h := sw.opts.hooks; h != nil && h.lock != nil {
		lock = h.lock
	}
	for range 2*len(s.h.Rungs) + 4 {
		plan := s.plan()
		s.prune(plan, lock)
		if plan.Current >= len(s.h.Rungs) || ctx.Err() != nil {
			break
		}
		until := s.h.Rungs[plan.Current]
		var todo []*job
		for _, g := range plan.Train {
			for _, j := range s.groups[g] {
				if j.dupOf >= 0 || (only != nil && !only[j]) {
					continue
				}
				j.until = until
				// Forced, a run starts again once; then it continues.
				j.force = s.force && !s.tried[j.id]
				todo = append(todo, j)
			}
		}
		if len(todo) == 0 {
			break
		}
		sw.runJobs(ctx, todo, parallel, results)
		stuck := false
		for _, j := range todo {
			s.tried[j.id] = true
			r := results[j.index]
			stuck = stuck || r.Elsewhere || r.State == StateNotRun || r.State == record.StateStopped
		}
		if stuck || only != nil {
			break
		}
	}
	// The points not trained here say where they stand.
	for _, grp := range s.groups {
		for _, j := range grp {
			if only != nil && !only[j] {
				continue
			}
			if j.dupOf >= 0 {
				continue
			}
			r := &results[j.index]
			if r.RunID == "" {
				*r = recordedResult(j)
				continue
			}
			// A run paused at its rung may have been pruned since.
			var st record.Status
			if r.State == record.StatePaused && record.ReadJSON(filepath.Join(j.dir, record.StatusFile), &st) == nil &&
				st.RunID == j.id && st.State == record.StatePruned {
				r.State, r.StopReason = st.State, st.StopReason
			}
		}
	}
}

// recordedResult is the result of a run as its records say, for a point a
// search did not train in this invocation.
func recordedResult(j *job) Result {
	var st record.Status
	err := record.ReadJSON(filepath.Join(j.dir, record.StatusFile), &st)
	if err != nil || st.RunID != j.id {
		r := j.result(StateNotRun)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			r.Note = err.Error()
		}
		return r
	}
	r := j.resultOf(st)
	r.Skipped = true
	return r
}

// SearchState is where the successive-halving search of an experiment
// stands, as its run records say.
type SearchState struct {
	// Rung is the epochs of the rung under way (0 once the search is
	// complete), Last whether it is the last rung.
	Rung int
	Last bool
	// Train lists the points (indices into the sweep) still to train to
	// the rung under way, replicates included.
	Train []int
	// Out maps the points the search has left behind to why: pruned at a
	// rung, or out (diverged, failed, stopped early).
	Out map[int]string
}

// Search reads where the halving search of e stands in the results folder
// (default "results"). e must have a sweep with halving.
func Search(e *experiments.Experiment, results string) (SearchState, error) {
	if e.Sweep == nil || e.Sweep.Halving == nil {
		return SearchState{}, fmt.Errorf("%s: the sweep has no halving", e.File)
	}
	jobs, err := expandJobs([]*experiments.Experiment{e}, Options{Results: defaultString(results, "results")})
	if err != nil {
		return SearchState{}, err
	}
	s := newSearchJobs(e, jobs, false)
	plan := s.plan()
	st := SearchState{Out: map[int]string{}}
	for _, rr := range plan.Ranked {
		for i, g := range rr.Ranked[rr.Promoted:] {
			for _, j := range s.groups[g] {
				st.Out[j.point.Index] = fmt.Sprintf("pruned at the rung of %s (ranked %d of %d)", plural(rr.Epochs, "epoch"), rr.Promoted+i+1, len(rr.Ranked))
			}
		}
		for _, g := range rr.Out {
			for _, j := range s.groups[g] {
				st.Out[j.point.Index] = fmt.Sprintf("out of the search at the rung of %s", plural(rr.Epochs, "epoch"))
			}
		}
	}
	if plan.Current < len(s.h.Rungs) {
		st.Rung, st.Last = s.h.Rungs[plan.Current], plan.Current == len(s.h.Rungs)-1
		for _, g := range plan.Train {
			for _, j := range s.groups[g] {
				st.Train = append(st.Train, j.point.Index)
			}
		}
		slices.Sort(st.Train)
	}
	return st, nil
}

// note says where a point in state stands in the search, for cnnlab status.
func (st *SearchState) note(point int, state record.State) string {
	if why, ok := st.Out[point]; ok {
		return why
	}
	switch {
	case st.Rung == 0:
		return ""
	case slices.Contains(st.Train, point) && state == record.StatePaused:
		return fmt.Sprintf("promoted to the rung of %s", plural(st.Rung, "epoch"))
	case slices.Contains(st.Train, point):
		return fmt.Sprintf("to train to the rung of %s", plural(st.Rung, "epoch"))
	case state == record.StatePaused:
		return fmt.Sprintf("at the rung of %s; waits for the others", plural(st.Rung, "epoch"))
	}
	return ""
}
