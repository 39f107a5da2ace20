// Package runner runs experiments: it expands each experiment's sweep into
// its points, trains every point in its own folder of run records
// (results/<experiment>/<run-id>/, the files of package record), and keeps
// going when a run fails.
//
// A run's id is a short hash of its fully resolved config, so running a
// sweep again finds the runs already made: finished and diverged runs are
// skipped (unless forced), interrupted ones resume from their last
// checkpoint and end bit for bit where an uninterrupted run would have, and
// failed or half-written ones are done again.
//
// A checkpoint is written at the end of every epoch, and in the middle of
// one when the run is stopped (its context cancelled, e.g. by SIGINT). Every
// file is written atomically, in an order that leaves the records of a
// killed run either consistent with its checkpoint or recognisably
// incomplete.
//
// At the end of a run, the checkpoint with the best validation accuracy
// (best.cnn) is analysed on the test images (analysis.json); the network of
// the last epoch is kept as model.cnn. Training, validation and test images
// are chosen with one fixed seed, the same for every run, so that the runs
// of a sweep, replicates included, are measured on the same images.
//
// Points and SweepStatus lay a sweep out for other executors: package
// runner/slurm sends the points to a Slurm cluster, whose tasks train them
// here with Options.Points.
package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cnnlab/cnnlab/arch"
	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/internal/fsutil"
	"github.com/cnnlab/cnnlab/internal/sysmem"
	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/nn/gemm"
	"github.com/cnnlab/cnnlab/runner/record"
)

// Options configures Run.
type Options struct {
	Results  string   // the results folder; default "results"
	Sets     []string // overrides "key.path=value" applied to every file
	Parallel int      // runs trained at once, sharing the cores; default 1
	Force    bool     // run again the runs already done
	Out      io.Writer
	// Bars draws one progress bar per active run and a sweep line (for a
	// terminal); otherwise Out gets plain lines, one per epoch.
	Bars bool
	// LoadSet loads the data sets; nil loads the built-in sets from the cache
	// (fetching them on first use) and folders from disk.
	LoadSet SetLoader
	// Program is the command name written in each run's rerun command;
	// default "cnnlab".
	Program string
	// Points, when not nil, trains only these points: indices into the
	// points of all the files, in order (for one file, its sweep's).
	Points []int
	// CPUs is the number of cores to use, split between the Parallel runs;
	// default all of them.
	CPUs int
	// SlurmJob names the Slurm job (array task) training these runs, for
	// their status.
	SlurmJob string
	// Memory tells how much memory the process may use, checked against
	// the estimate of every run before any is trained; nil uses
	// sysmem.Current.
	Memory func() (sysmem.Limit, bool)

	hooks *hooks
}

// hooks let tests act at precise points of training.
type hooks struct {
	afterStep  func(runID string, step int)
	afterEpoch func(runID string, epoch int)
	evalBatch  func(runID string, done int)                // before each evaluation batch; done: images of this pass evaluated so far
	lock       func(dir string) (unlock func(), err error) // replaces lockRun
}

// Result is the outcome of one run of a sweep.
type Result struct {
	Experiment string
	RunID      string
	Dir        string
	Label      string       // the swept values, e.g. "kernel=5 stride=2"
	State      record.State // a record state, or StateNotRun
	Skipped    bool         // already finished before this invocation
	Elsewhere  bool         // not run here: another process was training it
	Note       string       // e.g. "resumed at epoch 3", "same config as run 2"
	Error      string
	StopReason string
	Epoch      int
	Epochs     int
	BestEpoch  int
	BestValAcc float64
	TestAcc    float64
	Seconds    float64
}

// StateNotRun is the state of a run an interruption kept from starting, or
// a duplicate of another point of the sweep.
const StateNotRun record.State = "not run"

// Summary lists the runs of one invocation in sweep order.
type Summary struct {
	Runs        []Result
	Interrupted bool // the context ended before every run finished
}

// Elsewhere counts the runs left to another process that was training
// them: this invocation did not see them end.
func (s *Summary) Elsewhere() int {
	n := 0
	for _, r := range s.Runs {
		if r.Elsewhere {
			n++
		}
	}
	return n
}

// Failed counts the runs that failed or diverged.
func (s *Summary) Failed() int {
	n := 0
	for _, r := range s.Runs {
		if r.State == record.StateFailed || r.State == record.StateDiverged {
			n++
		}
	}
	return n
}

// job is one point of a sweep, ready to run.
type job struct {
	index   int
	exp     *experiments.Experiment
	point   experiments.Point
	config  []byte // the resolved YAML
	id      string
	dir     string
	label   string
	net     *arch.Network
	env     record.Env
	command string
	dupOf   int // index of an earlier job with the same folder, or -1

	swept     []record.KeyValue
	replicate int
	until     int                     // train to this epoch (a search's rung); 0: to the end
	search    *record.Search          // the search the point belongs to, if any
	halving   *experiments.Experiment // the experiment whose halving search trains it, if any
	force     bool                    // start it again whatever its records say
	slurmJob  string                  // the Slurm array task training it, if any
}

// RunID returns the id of a run: the first 10 hex digits of the SHA-256 of
// its resolved config.
func RunID(resolvedYAML []byte) string {
	sum := sha256.Sum256(resolvedYAML)
	return hex.EncodeToString(sum[:])[:10]
}

// folderName is the results folder of an experiment: its name, which
// experiments.CheckName has accepted, so that two names never share a
// folder. A name that did not pass (only possible for an Experiment built
// by hand) is made safe with its characters other than letters, digits, '-',
// '_' and '.' replaced.
func folderName(name string) string {
	if experiments.CheckName(name) == nil {
		return name
	}
	return experiments.SuggestName(name)
}

// Load reads experiment files and lists their runs without running
// anything. Problems in the files come back as experiments.ErrorList.
func Load(files []string, sets []string) ([]*experiments.Experiment, error) {
	var exps []*experiments.Experiment
	var errs experiments.ErrorList
	var other []error
	for _, f := range files {
		e, err := experiments.Validate(f, sets, arch.Compiles)
		var es experiments.ErrorList
		switch {
		case err == nil:
			exps = append(exps, e)
		case errors.As(err, &es):
			errs = append(errs, es...)
		default:
			other = append(other, fmt.Errorf("%s: %w", f, err))
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if len(other) > 0 {
		return nil, errors.Join(other...)
	}
	// Names that differ only in case share a folder on case-insensitive
	// file systems (macOS, Windows).
	for i, a := range exps {
		for _, b := range exps[:i] {
			if a.Name != b.Name && strings.EqualFold(a.Name, b.Name) {
				return nil, fmt.Errorf("%s names its experiment %q and %s names its %q: names that differ only in case would share a results folder on some file systems; rename one", b.File, b.Name, a.File, a.Name)
			}
		}
	}
	return exps, nil
}

// Run trains every point of every experiment file and returns what became
// of each run. It returns an error only when the files cannot be read or
// are invalid (then nothing has run); a failing run is in the Summary.
func Run(ctx context.Context, files []string, opts Options) (*Summary, error) {
	if opts.Results == "" {
		opts.Results = "results"
	}
	if opts.Program == "" {
		opts.Program = "cnnlab"
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	exps, err := Load(files, opts.Sets)
	if err != nil {
		return nil, err
	}
	jobs, err := expandJobs(exps, opts)
	if err != nil {
		return nil, err
	}
	byExp := map[*experiments.Experiment][]*job{} // the jobs of each search, before picking
	for _, j := range jobs {
		if j.halving != nil {
			byExp[j.halving] = append(byExp[j.halving], j)
		}
	}
	if opts.Points != nil {
		if jobs, err = pickPoints(jobs, opts.Points); err != nil {
			return nil, err
		}
	}
	parallel := min(max(opts.Parallel, 1), max(len(jobs), 1))
	if err := checkMemory(jobs, parallel, opts); err != nil {
		return nil, err
	}
	cpus := runtime.NumCPU()
	if opts.CPUs > 0 {
		cpus = opts.CPUs
	}
	threads := max(1, cpus/parallel)
	gemm.SetThreads(threads)
	defer gemm.SetThreads(0)
	env := environment(threads)
	for _, j := range jobs {
		j.env = env
	}

	var prog reporter
	if opts.Bars {
		prog = newBars(opts.Out, len(jobs))
	} else {
		prog = newLines(opts.Out, len(jobs))
	}
	sw := &sweep{opts: opts, data: newDatasets(opts.LoadSet), prog: prog}
	if sw.data.load == nil {
		sw.data.load = loadSet(prog.writer())
	}
	results := make([]Result, len(jobs))
	var plain []*job
	var searches []*experiments.Experiment
	picked := map[*job]bool{}
	for _, j := range jobs {
		picked[j] = true
		switch {
		case j.halving == nil:
			plain = append(plain, j)
		case !slices.Contains(searches, j.halving):
			searches = append(searches, j.halving)
		}
	}
	sw.runJobs(ctx, plain, parallel, results)
	for _, e := range searches {
		all := byExp[e]
		if opts.Points != nil {
			// The indices into results are those of the picked jobs; the
			// others of the search are looked at, never trained.
			for _, j := range all {
				if !picked[j] {
					j.index, j.dupOf = -1, -1
				}
			}
			sw.runSearch(ctx, newSearchJobs(e, all, opts.Force), parallel, results, picked)
		} else {
			sw.runSearch(ctx, newSearchJobs(e, all, opts.Force), parallel, results, nil)
		}
	}
	for _, j := range jobs {
		if j.dupOf >= 0 {
			r := j.result(StateNotRun)
			r.Note = fmt.Sprintf("same config as run %d (%s)", j.dupOf+1, jobs[j.dupOf].id)
			results[j.index] = r
			prog.skipped(r)
		}
	}
	prog.close()
	return &Summary{Runs: results, Interrupted: ctx.Err() != nil}, nil
}

// runJobs trains jobs, parallel at once, putting each one's result at
// its index; duplicates are left to the caller.
func (sw *sweep) runJobs(ctx context.Context, jobs []*job, parallel int, results []Result) {
	queue := make(chan *job)
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range queue {
				if ctx.Err() != nil {
					results[j.index] = j.result(StateNotRun)
					continue
				}
				results[j.index] = sw.run(ctx, j)
			}
		}()
	}
	for _, j := range jobs {
		if j.dupOf >= 0 {
			continue
		}
		if ctx.Err() != nil {
			results[j.index] = j.result(StateNotRun)
			continue
		}
		queue <- j
	}
	close(queue)
	wg.Wait()
}

// expandJobs lists the points of every experiment as jobs, in order, and
// marks each job whose folder an earlier one already has (dupOf).
func expandJobs(exps []*experiments.Experiment, opts Options) ([]*job, error) {
	if opts.Results == "" {
		opts.Results = "results"
	}
	if opts.Program == "" {
		opts.Program = "cnnlab"
	}
	var jobs []*job
	for _, e := range exps {
		pts, err := e.Points()
		if err != nil {
			return nil, err
		}
		for _, p := range pts {
			j, err := newJob(p, opts)
			if err != nil {
				return nil, err
			}
			j.index = len(jobs)
			j.search = searchRecord(e.Sweep)
			j.force = opts.Force
			if e.Sweep != nil && e.Sweep.Halving != nil {
				j.halving = e
			}
			jobs = append(jobs, j)
		}
	}
	seen := map[string]int{}
	for _, j := range jobs {
		j.dupOf = -1
		if k, ok := seen[j.dir]; ok {
			j.dupOf = k
		} else {
			seen[j.dir] = j.index
		}
	}
	return jobs, nil
}

func newJob(p experiments.Point, opts Options) (*job, error) {
	e := p.Experiment
	cfg, err := e.ResolvedYAML()
	if err != nil {
		return nil, err
	}
	id := RunID(cfg)
	dir := filepath.Join(opts.Results, folderName(e.Name), id)
	j := &job{exp: e, point: p, config: cfg, id: id, dir: dir, label: p.Label(), replicate: p.Replicate,
		slurmJob: opts.SlurmJob}
	for _, s := range p.Settings {
		j.swept = append(j.swept, record.KeyValue{Key: s.Key, Value: s.Value})
	}
	j.net, err = arch.Compile(e)
	if err != nil {
		return nil, err
	}
	args := []string{opts.Program, "run", "--force"}
	if opts.Results != "results" {
		args = append(args, "--results", opts.Results)
	}
	j.command = ShellJoin(append(args, filepath.Join(dir, record.ConfigFile)))
	return j, nil
}

// newStatus returns the status of the job as it starts.
func (j *job) newStatus(started time.Time) record.Status {
	st := record.Status{
		Experiment:  j.exp.Name,
		Description: j.exp.Description,
		RunID:       j.id,
		State:       record.StateRunning,
		Seed:        j.exp.Train.Seed,
		Replicate:   j.replicate,
		Swept:       j.swept,
		Epochs:      j.exp.Train.Epochs,
		Started:     started,
		Updated:     time.Now().UTC(),
		Command:     j.command,
		SlurmJob:    j.slurmJob,
		Search:      j.search,
	}
	return st
}

func (j *job) result(state record.State) Result {
	return Result{Experiment: j.exp.Name, RunID: j.id, Dir: j.dir, Label: j.label, State: state, Epochs: j.exp.Train.Epochs}
}

// resultOf fills a Result from a status.
func (j *job) resultOf(st record.Status) Result {
	r := j.result(st.State)
	r.Error, r.StopReason = st.Error, st.StopReason
	r.Epoch, r.BestEpoch, r.BestValAcc, r.TestAcc, r.Seconds = st.Epoch, st.BestEpoch, st.BestValAcc, st.TestAcc, st.Seconds
	return r
}

// SweptLabel writes swept values as "key=value …" the way a sweep point is
// labelled (experiments.Point.Label): each key shortened to its last part when
// no other key has the same last part, empty values left out.
func SweptLabel(kvs []record.KeyValue) string {
	settings := make([]experiments.Setting, len(kvs))
	for i, kv := range kvs {
		settings[i] = experiments.Setting{Key: kv.Key, Value: kv.Value}
	}
	return experiments.Point{Settings: settings}.Label()
}

// writeConfig writes the resolved YAML of a run.
func writeConfig(path string, cfg []byte) error {
	return fsutil.WriteFileAtomic(path, cfg, 0o644)
}

// sweep is the state shared by the runs of one invocation.
type sweep struct {
	opts Options
	data *datasets
	prog reporter
}

// plan says what to do with a run folder.
type plan int

const (
	planFresh plan = iota
	planResume
	planSkip
)

// inspect looks at a run folder and decides: skip a run that is done (its
// records intact, see record.Verify) or diverged (it would diverge again), resume
// a running or stopped run, and start anything else afresh. note says why
// a record was found wanting.
func inspect(j *job, force bool) (p plan, st record.Status, note string) {
	err := record.ReadJSON(filepath.Join(j.dir, record.StatusFile), &st)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return planFresh, st, ""
	case err != nil:
		return planFresh, st, fmt.Sprintf("unreadable status (%v); starting over", err)
	case st.RunID != j.id:
		return planFresh, st, fmt.Sprintf("status of another run (%q); starting over", st.RunID)
	case force:
		return planFresh, st, ""
	}
	switch st.State {
	case record.StateDone:
		if problems, unsealed := record.Verify(j.dir); len(problems) > 0 {
			return planFresh, st, fmt.Sprintf("done but its records are damaged (%s); training it again", joinProblems(problems))
		} else if unsealed {
			// Finished before checksums were kept: the model must load.
			if _, err := nn.Load(filepath.Join(j.dir, record.ModelFile)); err != nil {
				return planFresh, st, fmt.Sprintf("done but %v; training it again", err)
			}
		}
		return planSkip, st, ""
	case record.StateDiverged:
		return planSkip, st, ""
	case record.StateFailed:
		return planFresh, st, fmt.Sprintf("failed before (%s); running again", firstLine(st.Error))
	case record.StatePaused, record.StatePruned:
		if st.Epoch >= j.target() {
			return planSkip, st, ""
		}
		if _, err := os.Stat(filepath.Join(j.dir, record.CheckpointFile)); err != nil {
			return planFresh, st, fmt.Sprintf("%s at epoch %d but no checkpoint; starting over", st.State, st.Epoch)
		}
		return planResume, st, ""
	case record.StateRunning, record.StateStopped:
		if _, err := os.Stat(filepath.Join(j.dir, record.CheckpointFile)); err != nil {
			if st.Epoch > 0 {
				return planFresh, st, fmt.Sprintf("%s after %d epochs but no checkpoint; starting over", st.State, st.Epoch)
			}
			return planFresh, st, ""
		}
		return planResume, st, ""
	}
	return planFresh, st, ""
}

// run trains one job to its end and returns its result. Errors become the
// run's state; nothing here stops the sweep.
func (s *sweep) run(ctx context.Context, j *job) (res Result) {
	lock := lockRun
	if h := s.opts.hooks; h != nil && h.lock != nil {
		lock = h.lock
	}
	unlock, err := lock(j.dir)
	if errors.Is(err, errLocked) {
		r := j.result(StateNotRun)
		r.Elsewhere = true
		r.Note = err.Error()
		s.prog.skipped(r)
		return r
	}
	if err != nil && readOnly(err) {
		// A results folder that cannot be written to: a finished run is
		// still done; any other cannot be trained here.
		if p, st, _ := inspect(j, j.force); p == planSkip {
			r := j.resultOf(st)
			r.Skipped = true
			s.prog.skipped(r)
			return r
		}
		r := j.result(record.StateFailed)
		r.Error = fmt.Sprintf("cannot write to the results folder (%v); make it writable or choose another with --results", err)
		s.prog.skipped(r)
		return r
	}
	if err != nil {
		return s.fail(j, nil, err)
	}
	defer unlock()
	p, st, note := inspect(j, j.force)
	if p == planSkip {
		r := j.resultOf(st)
		r.Skipped = true
		s.prog.skipped(r)
		return r
	}
	if note != "" {
		s.prog.note(j, note)
	}
	if len(j.point.Settings) == 0 && st.RunID == j.id && len(st.Swept) > 0 {
		// The run's own config.yaml (its rerun command) names no sweep; the
		// run keeps the swept values it was made with.
		j.swept, j.replicate = st.Swept, st.Replicate
		j.label = SweptLabel(st.Swept)
	}
	rp := s.prog.start(j)
	defer func() {
		if v := recover(); v != nil {
			res = s.fail(j, nil, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
		}
		rp.done(res)
	}()
	ds, err := s.data.get(ctx, j.exp.Data)
	if err != nil {
		if ctx.Err() != nil {
			return j.result(StateNotRun)
		}
		return s.fail(j, nil, err)
	}
	t, err := setup(ctx, j, ds, p == planResume, func(msg string) { s.prog.note(j, msg) })
	if err != nil {
		return s.fail(j, nil, err)
	}
	t.hook = s.opts.hooks
	t.prog = rp
	if t.resumed {
		if t.meta.Partial != nil {
			rp.resumed(t.meta.Epoch+1, t.meta.Step)
		} else {
			rp.resumed(t.meta.Epoch, t.meta.Step)
		}
	}
	rp.begin(t.stepsPerEpoch, t.totalSteps, t.meta.Step)
	err = t.train(ctx)
	if err == nil {
		if t.atRung() {
			err = t.pause()
		} else {
			err = t.finish(ctx)
		}
	}
	switch {
	case err == nil:
		r := j.resultOf(t.status)
		if t.resumed {
			r.Note = "resumed"
		} else if note != "" {
			r.Note = note
		}
		return r
	case errors.Is(err, errStopped):
		return j.resultOf(t.status)
	case errors.Is(err, errDiverged):
		return s.end(j, t, record.StateDiverged, err)
	default:
		return s.fail(j, t, err)
	}
}

// fail records a run as failed with err.
func (s *sweep) fail(j *job, t *trainer, err error) Result {
	return s.end(j, t, record.StateFailed, err)
}

// end records a run that ended in state with err, keeping the records
// written so far.
func (s *sweep) end(j *job, t *trainer, state record.State, err error) Result {
	var st record.Status
	if t != nil {
		st = t.status
		_ = t.writeRecords()
	} else {
		st = j.newStatus(time.Now().UTC())
		if rerr := record.ReadJSON(filepath.Join(j.dir, record.StatusFile), &st); rerr != nil || st.RunID != j.id {
			st = j.newStatus(time.Now().UTC())
		}
		if werr := os.MkdirAll(j.dir, 0o755); werr == nil {
			_ = writeConfig(filepath.Join(j.dir, record.ConfigFile), j.config)
		}
	}
	st.State = state
	st.Error = err.Error()
	st.Updated = time.Now().UTC()
	if werr := record.WriteJSON(filepath.Join(j.dir, record.StatusFile), st); werr != nil {
		st.Error += "; and the status could not be written: " + werr.Error()
	}
	return j.resultOf(st)
}

// ShellJoin writes args as a command line that a POSIX shell reads back as
// the same args, quoting only where needed.
func ShellJoin(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if a != "" && !strings.ContainsFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@%", r))
		}) {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}

// joinProblems lists the damaged records of a run for a message.
func joinProblems(ps []record.Problem) string {
	var parts []string
	for _, p := range ps {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "; ")
}

// readOnly reports whether err says a file cannot be made or written for
// want of permission or because the file system is read-only.
func readOnly(err error) bool {
	return errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS)
}
