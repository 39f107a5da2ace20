package runner

// Sweeps on a Slurm cluster: each experiment file becomes one job array with
// a task per point still to train. A task runs `cnnlab run FILE --point K`
// into the shared results folder, so it leaves the same records and
// checkpoints as a local run; submitting again sends only the points that
// are neither finished nor already queued or running, and an interrupted
// point resumes from its checkpoint.
//
// Beside the runs, results/<experiment>/slurm/ keeps, per job array, the
// script (<job>.sbatch), which task trains which point (<job>.json) and the
// tasks' output (<job>_<task>.out).

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/internal/fsutil"
	"github.com/cnnlab/cnnlab/runner/record"
)

// SlurmFolder is the folder, inside an experiment's results folder, that
// holds its job arrays' scripts, task lists and output.
const SlurmFolder = "slurm"

// ErrNoSlurm is returned when Slurm's commands are not on PATH.
var ErrNoSlurm = errors.New("Slurm is not installed here (sbatch and squeue are not on PATH): " +
	"submit from a machine of the cluster, run the sweep here with --executor local, " +
	"or print the job script with --dry-run")

// SlurmOptions configures PlanSlurm and SubmitSlurm.
type SlurmOptions struct {
	Results string   // the results folder, shared with the cluster's nodes; default "results"
	Sets    []string // overrides "key.path=value", passed on to every task
	Force   bool     // submit finished runs too, and train them again
	// Program is the cnnlab executable the tasks run; it must be reachable
	// at this path on the nodes. Default: this process's executable.
	Program string
	// Sbatch holds extra sbatch options, one option (and its value) per
	// element, e.g. {"--partition=short", "--time=2:00:00"}. Without
	// --cpus-per-task, each task gets one CPU.
	Sbatch [][]string
	// Queue tells which array tasks Slurm has queued or running; nil asks
	// squeue. PlanSlurm never submits a point whose run is in it.
	Queue func(ctx context.Context, jobs []string) (SlurmQueue, error)
}

// SlurmQueue maps array tasks ("1234_5") to their squeue state
// ("PENDING", "RUNNING", ...). Tasks that have ended are absent.
type SlurmQueue map[string]string

// SlurmTask is one task of a job array: the point of the sweep it trains.
type SlurmTask struct {
	Index int    `json:"index"` // SLURM_ARRAY_TASK_ID
	Point int    `json:"point"` // index of the point in its experiment's sweep
	RunID string `json:"run_id"`
	Label string `json:"label,omitempty"` // the swept values
}

// SlurmSkip is a point left out of a job array, and why.
type SlurmSkip struct {
	Point  int
	RunID  string
	Label  string
	Reason string // e.g. "done", "running in Slurm job 12_3"
}

// SlurmArray is the job array of one experiment file.
type SlurmArray struct {
	JobID      string      `json:"job_id,omitempty"` // set once submitted
	Experiment string      `json:"experiment"`
	File       string      `json:"file"`   // the experiment file, absolute
	Points     int         `json:"points"` // points of the sweep
	Tasks      []SlurmTask `json:"tasks"`  // one per point to train
	Submitted  time.Time   `json:"submitted,omitzero"`
	ScriptFile string      `json:"script_file,omitempty"` // set once submitted

	Dir     string      `json:"-"` // results/<experiment>/slurm, absolute
	Script  string      `json:"-"` // the sbatch script
	Skipped []SlurmSkip `json:"-"`
}

// PlanSlurm works out, for each experiment file, the job array that trains
// its missing points: those not done (or diverged) and not already queued or
// running in Slurm. Nothing is written or submitted. Problems in the files
// come back as experiments.Errors.
func PlanSlurm(ctx context.Context, files []string, opts SlurmOptions) ([]*SlurmArray, error) {
	results, err := filepath.Abs(defaultString(opts.Results, "results"))
	if err != nil {
		return nil, err
	}
	program := opts.Program
	if program == "" {
		if program, err = os.Executable(); err != nil {
			return nil, fmt.Errorf("finding the cnnlab executable for the tasks: %w", err)
		}
	}
	if program, err = filepath.Abs(program); err != nil {
		return nil, err
	}
	if err := checkSbatchOptions(opts.Sbatch); err != nil {
		return nil, err
	}
	exps, err := Load(files, opts.Sets)
	if err != nil {
		return nil, err
	}
	queue := opts.Queue
	if queue == nil {
		if _, err := exec.LookPath("squeue"); err != nil {
			// Only a dry run gets this far without Slurm; it cannot know
			// what is queued.
			queue = func(context.Context, []string) (SlurmQueue, error) { return SlurmQueue{}, nil }
		}
	}
	runOpts := Options{Results: results, Sets: opts.Sets}
	var arrays []*SlurmArray
	for _, e := range exps {
		file, err := filepath.Abs(e.File)
		if err != nil {
			return nil, err
		}
		jobs, err := expandJobs([]*experiments.Experiment{e}, runOpts)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(results, folderName(e.Name), SlurmFolder)
		live, err := liveTasks(ctx, dir, jobs, queue)
		if err != nil {
			return nil, err
		}
		a := &SlurmArray{Experiment: e.Name, File: file, Points: len(jobs), Dir: dir}
		for _, j := range jobs {
			skip := func(reason string) {
				a.Skipped = append(a.Skipped, SlurmSkip{Point: j.point.Index, RunID: j.id, Label: j.label, Reason: reason})
			}
			if j.dupOf >= 0 {
				skip(fmt.Sprintf("same config as point %d", jobs[j.dupOf].point.Index))
				continue
			}
			if t, ok := live[j.id]; ok {
				skip(fmt.Sprintf("%s in Slurm job %s", strings.ToLower(t.state), t.task))
				continue
			}
			if p, st, _ := inspect(j, opts.Force); p == planSkip {
				skip(st.State)
				continue
			}
			a.Tasks = append(a.Tasks, SlurmTask{Index: len(a.Tasks), Point: j.point.Index, RunID: j.id, Label: j.label})
		}
		a.Script = slurmScript(a, program, results, opts)
		arrays = append(arrays, a)
	}
	return arrays, nil
}

// SubmitSlurm submits the arrays that have tasks with `sbatch --parsable`
// and records each one's script and tasks in its Dir. It sets JobID,
// Submitted and ScriptFile of each array it submits.
func SubmitSlurm(ctx context.Context, arrays []*SlurmArray) error {
	sbatch, err := exec.LookPath("sbatch")
	if err != nil {
		return ErrNoSlurm
	}
	for _, a := range arrays {
		if len(a.Tasks) == 0 {
			continue
		}
		if err := os.MkdirAll(a.Dir, 0o755); err != nil {
			return err
		}
		// The script is named after its job once Slurm has given the id.
		pending := filepath.Join(a.Dir, fmt.Sprintf("submitting-%d.sbatch", os.Getpid()))
		if err := fsutil.WriteFileAtomic(pending, []byte(a.Script), 0o755); err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, sbatch, "--parsable", pending)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			os.Remove(pending)
			return fmt.Errorf("sbatch %s: %w: %s", a.File, err, strings.TrimSpace(stderr.String()))
		}
		id, err := parseSbatchID(out)
		if err != nil {
			os.Remove(pending)
			return fmt.Errorf("sbatch %s: %w", a.File, err)
		}
		a.JobID = id
		a.Submitted = time.Now().UTC()
		a.ScriptFile = filepath.Join(a.Dir, id+".sbatch")
		if err := os.Rename(pending, a.ScriptFile); err != nil {
			a.ScriptFile = pending
		}
		if err := record.WriteJSON(filepath.Join(a.Dir, id+".json"), a); err != nil {
			return fmt.Errorf("Slurm job %s was submitted but its task list could not be saved: %w", id, err)
		}
	}
	return nil
}

// parseSbatchID reads the job id that `sbatch --parsable` prints: "ID" or
// "ID;CLUSTER".
func parseSbatchID(out []byte) (string, error) {
	s := strings.TrimSpace(string(out))
	if i := strings.IndexByte(s, ';'); i >= 0 {
		s = s[:i]
	}
	if _, err := strconv.ParseUint(s, 10, 64); err != nil {
		return "", fmt.Errorf("unexpected output %q, want a job id", strings.TrimSpace(string(out)))
	}
	return s, nil
}

// sbatchOwned are the options the job script sets itself.
var sbatchOwned = map[string]string{
	"--array": "the array holds one task per point to train", "-a": "the array holds one task per point to train",
	"--output": "task output goes to the results folder", "-o": "task output goes to the results folder",
	"--error": "task output goes to the results folder", "-e": "task output goes to the results folder",
	"--parsable": "it is always used",
}

// checkSbatchOptions refuses options that would break the job array.
func checkSbatchOptions(opts [][]string) error {
	for _, o := range opts {
		if len(o) == 0 {
			continue
		}
		name, _, _ := strings.Cut(o[0], "=")
		if why, ok := sbatchOwned[name]; ok {
			return fmt.Errorf("Slurm option %s cannot be set: %s", o[0], why)
		}
		if !strings.HasPrefix(name, "-") {
			return fmt.Errorf("Slurm option %q does not start with '-'", o[0])
		}
	}
	return nil
}

// hasSbatchOption reports whether opts set the option named long or short.
func hasSbatchOption(opts [][]string, long, short string) bool {
	for _, o := range opts {
		if len(o) == 0 {
			continue
		}
		name, _, _ := strings.Cut(o[0], "=")
		if name == long || (short != "" && (name == short || strings.HasPrefix(o[0], short) && len(o[0]) > len(short) && !strings.HasPrefix(o[0], "--"))) {
			return true
		}
	}
	return false
}

// SplitSbatchOptions splits a string of sbatch options as a shell would
// ("--time=2:00:00 -p 'long queue'") and groups each option with the value
// that follows it when that value is a separate word.
func SplitSbatchOptions(s string) ([][]string, error) {
	words, err := splitWords(s)
	if err != nil {
		return nil, err
	}
	var opts [][]string
	for _, w := range words {
		if strings.HasPrefix(w, "-") || len(opts) == 0 || len(opts[len(opts)-1]) > 1 || strings.Contains(opts[len(opts)-1][0], "=") {
			opts = append(opts, []string{w})
			continue
		}
		opts[len(opts)-1] = append(opts[len(opts)-1], w)
	}
	return opts, nil
}

// splitWords splits s into words the way a POSIX shell does for plain
// words, single and double quotes and backslashes (no expansions).
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unclosed ' in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i += end + 1
			inWord = true
		case c == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`"\$`+"`", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unclosed \" in %q", s)
			}
			inWord = true
		case c == '\\':
			if i+1 < len(s) {
				i++
				cur.WriteByte(s[i])
			}
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

// slurmScript writes the sbatch script of a job array.
func slurmScript(a *SlurmArray, program, results string, opts SlurmOptions) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("#!/bin/bash\n")
	w("#SBATCH --job-name=%s\n", "cnnlab-"+folderName(a.Experiment))
	w("#SBATCH --array=0-%d\n", max(len(a.Tasks)-1, 0))
	w("#SBATCH --output=%s\n", sbatchQuote(filepath.Join(a.Dir, "%A_%a.out")))
	if !hasSbatchOption(opts.Sbatch, "--cpus-per-task", "-c") {
		w("#SBATCH --cpus-per-task=1\n")
	}
	for _, o := range opts.Sbatch {
		q := make([]string, len(o))
		for i, s := range o {
			q[i] = sbatchQuote(s)
		}
		w("#SBATCH %s\n", strings.Join(q, " "))
	}
	w("#\n# Experiment %q (%s): %d of its %d points.\n", a.Experiment, a.File, len(a.Tasks), a.Points)
	w("# Each task trains one point into %s with `cnnlab run FILE --point K`,\n", results)
	w("# on the CPUs Slurm gives it (SLURM_CPUS_PER_TASK). Submitted by cnnlab run --executor slurm.\n")
	w("set -eu\n")
	w("case \"${SLURM_ARRAY_TASK_ID:-}\" in\n")
	for _, t := range a.Tasks {
		label := strings.Join(strings.Fields(t.Label), " ")
		if label == "" {
			label = "-"
		}
		w("%d) point=%d ;; # run %s: %s\n", t.Index, t.Point, t.RunID, label)
	}
	w("*) echo \"cnnlab: array task '${SLURM_ARRAY_TASK_ID:-}' is not part of this sweep\" >&2; exit 2 ;;\n")
	w("esac\n")
	args := []string{program, "run", a.File, "--point", "$point", "--results", results}
	for _, s := range opts.Sets {
		args = append(args, "--set", s)
	}
	if opts.Force {
		args = append(args, "--force")
	}
	quoted := make([]string, len(args))
	for i, s := range args {
		if s == "$point" {
			quoted[i] = `"$point"`
		} else {
			quoted[i] = ShellJoin([]string{s})
		}
	}
	w("exec %s\n", strings.Join(quoted, " "))
	return b.String()
}

// sbatchQuote quotes a word of an #SBATCH line when it needs it; sbatch
// reads double quotes there.
func sbatchQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\"'\\#") {
		return s
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// liveTask is an array task that Slurm still has, and the run it trains.
type liveTask struct {
	task  string // "1234_5"
	state string // squeue's state
}

// submissions reads the task lists in a slurm folder, oldest first.
func submissions(dir string) ([]*SlurmArray, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var subs []*SlurmArray
	for _, n := range names {
		var a SlurmArray
		if err := record.ReadJSON(n, &a); err != nil {
			return nil, err
		}
		if a.JobID == "" {
			continue
		}
		subs = append(subs, &a)
	}
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].Submitted.Before(subs[j].Submitted) })
	return subs, nil
}

// liveTasks maps run ids to the Slurm task that has them queued or running:
// the latest task of the job arrays recorded in dir, or else the Slurm job
// a run's status says is training it (e.g. cnnlab run inside salloc).
func liveTasks(ctx context.Context, dir string, jobs []*job, queue func(context.Context, []string) (SlurmQueue, error)) (map[string]liveTask, error) {
	subs, err := submissions(dir)
	if err != nil {
		return nil, err
	}
	var ids []string
	addID := func(task string) {
		id, _, _ := strings.Cut(task, "_")
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	for _, s := range subs {
		addID(s.JobID)
	}
	trainedBy := map[string]string{} // run id → the Slurm task in its status
	for _, j := range jobs {
		var st record.Status
		if record.ReadJSON(filepath.Join(j.dir, record.StatusFile), &st) == nil && st.RunID == j.id &&
			st.State == record.StateRunning && st.SlurmJob != "" {
			trainedBy[j.id] = st.SlurmJob
			addID(st.SlurmJob)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if queue == nil {
		queue = QuerySlurmQueue
	}
	q, err := queue(ctx, ids)
	if err != nil {
		return nil, err
	}
	live := map[string]liveTask{}
	for run, task := range trainedBy {
		if state, ok := q[task]; ok {
			live[run] = liveTask{task: task, state: state}
		}
	}
	for _, s := range subs {
		for _, t := range s.Tasks {
			task := fmt.Sprintf("%s_%d", s.JobID, t.Index)
			if state, ok := q[task]; ok {
				live[t.RunID] = liveTask{task: task, state: state}
			}
		}
	}
	return live, nil
}

// QuerySlurmQueue asks squeue for the tasks of the given jobs that have not
// ended.
func QuerySlurmQueue(ctx context.Context, jobs []string) (SlurmQueue, error) {
	squeue, err := exec.LookPath("squeue")
	if err != nil {
		return nil, ErrNoSlurm
	}
	if len(jobs) == 0 {
		return SlurmQueue{}, nil
	}
	cmd := exec.CommandContext(ctx, squeue, "--noheader", "--array", "--format=%i|%T", "--jobs="+strings.Join(jobs, ","))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// squeue refuses a single job id it no longer knows; the job has
		// ended and nothing of it is queued.
		if len(jobs) == 1 && strings.Contains(stderr.String(), "Invalid job id") {
			return SlurmQueue{}, nil
		}
		return nil, fmt.Errorf("squeue: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return parseSqueue(out), nil
}

// parseSqueue reads lines of "JOBID|STATE" as squeue --array prints them.
func parseSqueue(out []byte) SlurmQueue {
	q := SlurmQueue{}
	for _, line := range strings.Split(string(out), "\n") {
		id, state, ok := strings.Cut(strings.TrimSpace(line), "|")
		if ok && id != "" {
			q[id] = state
		}
	}
	return q
}

// slurmRunning reports whether an squeue state is one of a task that has
// started (or is being stopped) rather than one waiting to start.
func slurmRunning(state string) bool {
	switch state {
	case "RUNNING", "COMPLETING", "CONFIGURING", "SUSPENDED", "STOPPED", "SIGNALING", "STAGE_OUT", "RESIZING":
		return true
	}
	return false
}

// SlurmJobFromEnv names the Slurm job (or array task, "1234_5") this
// process runs in, from Slurm's environment; "" outside Slurm.
func SlurmJobFromEnv() string {
	if job, task := os.Getenv("SLURM_ARRAY_JOB_ID"), os.Getenv("SLURM_ARRAY_TASK_ID"); job != "" && task != "" {
		return job + "_" + task
	}
	return os.Getenv("SLURM_JOB_ID")
}

// SlurmCPUsFromEnv is the number of CPUs Slurm gave this task
// (SLURM_CPUS_PER_TASK), or 0 outside Slurm.
func SlurmCPUsFromEnv() int {
	n, err := strconv.Atoi(os.Getenv("SLURM_CPUS_PER_TASK"))
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// Point states beyond those of package record.
const (
	StatePending = "pending" // neither started nor queued
	StateQueued  = "queued"  // waiting in Slurm's queue
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
	State      string
	SlurmJob   string // the array task that trains it, when known
	Epoch      int
	Epochs     int
	BestValAcc float64
	TestAcc    float64
	Note       string
}

// StatusOptions configures SweepStatus.
type StatusOptions struct {
	Results string   // default "results"
	Sets    []string // overrides, as given to cnnlab run
	// Queue tells which array tasks Slurm has queued or running; nil asks
	// squeue, or, where Slurm is not installed, leaves Slurm out.
	Queue func(ctx context.Context, jobs []string) (SlurmQueue, error)
}

// SweepStatus lists every point of the experiment files with the state of
// its run, from the run records and, for sweeps submitted to Slurm, from
// squeue. Where Slurm is not installed, records alone tell.
func SweepStatus(ctx context.Context, files []string, opts StatusOptions) ([]PointStatus, error) {
	results := defaultString(opts.Results, "results")
	queue, knowQueue := opts.Queue, true
	if queue == nil {
		if _, err := exec.LookPath("squeue"); err != nil {
			queue = func(context.Context, []string) (SlurmQueue, error) { return SlurmQueue{}, nil }
			knowQueue = false
		}
	}
	exps, err := Load(files, opts.Sets)
	if err != nil {
		return nil, err
	}
	var out []PointStatus
	for _, e := range exps {
		jobs, err := expandJobs([]*experiments.Experiment{e}, Options{Results: results, Sets: opts.Sets})
		if err != nil {
			return nil, err
		}
		live, err := liveTasks(ctx, filepath.Join(results, folderName(e.Name), SlurmFolder), jobs, queue)
		if err != nil {
			return nil, err
		}
		for _, j := range jobs {
			out = append(out, pointStatus(j, live, knowQueue))
		}
	}
	return out, nil
}

// pointStatus combines a point's run record with Slurm's queue. Without
// knowQueue, a running record of a Slurm task cannot be told from one whose
// task has died, and is taken as running.
func pointStatus(j *job, live map[string]liveTask, knowQueue bool) PointStatus {
	ps := PointStatus{Experiment: j.exp.Name, Point: j.point.Index, RunID: j.id, Dir: j.dir, Label: j.label,
		State: StatePending, Epochs: j.exp.Train.Epochs}
	var st record.Status
	err := record.ReadJSON(filepath.Join(j.dir, record.StatusFile), &st)
	haveStatus := err == nil && st.RunID == j.id
	if haveStatus {
		ps.State, ps.SlurmJob, ps.Epoch, ps.BestValAcc, ps.TestAcc = st.State, st.SlurmJob, st.Epoch, st.BestValAcc, st.TestAcc
		ps.Note = st.Error
		if ps.Note == "" {
			ps.Note = st.StopReason
		}
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		ps.Note = fmt.Sprintf("unreadable status: %v", err)
	}
	t, queued := live[j.id]
	switch {
	case haveStatus && (st.State == record.StateDone || st.State == record.StateDiverged):
	case queued && slurmRunning(t.state):
		ps.State, ps.SlurmJob = record.StateRunning, t.task
	case queued:
		ps.State, ps.SlurmJob = StateQueued, t.task
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
