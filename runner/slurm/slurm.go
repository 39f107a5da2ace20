// Package slurm trains sweeps on a Slurm cluster: each experiment file
// becomes one job array with a task per point still to train. A task runs
// `cnnlab run FILE --point K` into the shared results folder, so it leaves
// the same records and checkpoints as a local run; submitting again sends
// only the points that are neither finished nor already queued or running,
// and an interrupted point resumes from its checkpoint.
//
// Beside the runs, results/<experiment>/slurm/ keeps, per job array, the
// script (<job>.sbatch), which task trains which point (<job>.json) and the
// tasks' output (<job>_<task>.out).
//
// A sweep searched by successive halving goes rung by rung: the job array
// holds the points the rung under way still needs (a task trains its point
// to the rung's epochs, from its checkpoint), and a second job, started
// when every task of the array has ended, runs `cnnlab run --executor
// slurm` again, which submits the points the rung promotes. Where the
// search stands is read from the run records each time, so submitting by
// hand after an interruption goes on where it was.
//
// Package runner lays out the points and their runs; this package only
// decides which go to Slurm, and asks Slurm what it has queued.
package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/internal/fsutil"
	"github.com/cnnlab/cnnlab/runner"
	"github.com/cnnlab/cnnlab/runner/record"
)

// Folder is the folder, inside an experiment's results folder, that
// holds its job arrays' scripts, task lists and output.
const Folder = "slurm"

// ErrNotInstalled is returned when Slurm's commands are not on PATH.
var ErrNotInstalled = errors.New("Slurm is not installed here (sbatch and squeue are not on PATH): " +
	"submit from a machine of the cluster, run the sweep here with --executor local, " +
	"or print the job script with --dry-run")

// Options configures Plan and Submit.
type Options struct {
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
	// squeue. Plan never submits a point whose run is in it.
	Queue func(ctx context.Context, jobs []string) (Queue, error)
}

// Queue maps array tasks ("1234_5") to their squeue state
// ("PENDING", "RUNNING", ...). Tasks that have ended are absent.
type Queue map[string]string

// Task is one task of a job array: the point of the sweep it trains.
type Task struct {
	Index int    `json:"index"` // SLURM_ARRAY_TASK_ID
	Point int    `json:"point"` // index of the point in its experiment's sweep
	RunID string `json:"run_id"`
	Label string `json:"label,omitempty"` // the swept values
}

// Skip is a point left out of a job array, and why.
type Skip struct {
	Point  int
	RunID  string
	Label  string
	Reason string // e.g. "done", "running in Slurm job 12_3"
}

// Array is the job array of one experiment file.
type Array struct {
	JobID      string    `json:"job_id,omitempty"` // set once submitted
	Experiment string    `json:"experiment"`
	File       string    `json:"file"`   // the experiment file, absolute
	Points     int       `json:"points"` // points of the sweep
	Tasks      []Task    `json:"tasks"`  // one per point to train
	Submitted  time.Time `json:"submitted,omitzero"`
	ScriptFile string    `json:"script_file,omitempty"` // set once submitted
	// Rung is, for a halving search, the epochs its tasks train their
	// points to; NextJobID the job that submits the next rung once they end.
	Rung      int    `json:"rung,omitempty"`
	NextJobID string `json:"next_job_id,omitempty"`

	Dir     string `json:"-"` // results/<experiment>/slurm, absolute
	Script  string `json:"-"` // the sbatch script
	Skipped []Skip `json:"-"`
	// Next is, for a halving search short of its last rung, the script of
	// the job that submits the next rung; NextDependency marks where the
	// array's job id goes.
	Next string `json:"-"`
}

// Plan works out, for each experiment file, the job array that trains
// its missing points: those not done (or diverged) and not already queued or
// running in Slurm. Nothing is written or submitted. Problems in the files
// come back as experiments.ErrorList.
func Plan(ctx context.Context, files []string, opts Options) ([]*Array, error) {
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
	exps, err := runner.Load(files, opts.Sets)
	if err != nil {
		return nil, err
	}
	queue := opts.Queue
	if queue == nil {
		if _, err := exec.LookPath("squeue"); err != nil {
			// Only a dry run gets this far without Slurm; it cannot know
			// what is queued.
			queue = func(context.Context, []string) (Queue, error) { return Queue{}, nil }
		}
	}
	var arrays []*Array
	for _, e := range exps {
		file, err := filepath.Abs(e.File)
		if err != nil {
			return nil, err
		}
		pts, err := runner.Points(e, results)
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(results, runner.FolderName(e.Name), Folder)
		live, err := liveTasks(ctx, dir, pts, queue)
		if err != nil {
			return nil, err
		}
		a := &Array{Experiment: e.Name, File: file, Points: len(pts), Dir: dir}
		var search *runner.SearchState
		if e.Sweep != nil && e.Sweep.Halving != nil {
			if opts.Force {
				return nil, fmt.Errorf("%s: --force would start the halving search of %s over; on Slurm, remove %s first and submit again",
					e.File, e.Name, filepath.Join(results, runner.FolderName(e.Name)))
			}
			st, err := runner.Search(e, results)
			if err != nil {
				return nil, err
			}
			search, a.Rung = &st, st.Rung
		}
		for _, p := range pts {
			skip := func(reason string) {
				a.Skipped = append(a.Skipped, Skip{Point: p.Index, RunID: p.RunID, Label: p.Label, Reason: reason})
			}
			if p.DupOf >= 0 {
				skip(fmt.Sprintf("same config as point %d", pts[p.DupOf].Index))
				continue
			}
			if t, ok := live[p.RunID]; ok {
				skip(fmt.Sprintf("%s in Slurm job %s", strings.ToLower(t.State), t.Task))
				continue
			}
			if search != nil {
				switch why, out := search.Out[p.Index]; {
				case out:
					skip(why)
				case search.Rung == 0:
					skip("the search is complete")
				case !slices.Contains(search.Train, p.Index):
					skip(fmt.Sprintf("at the rung of %d epochs; waits for the others", search.Rung))
				default:
					a.Tasks = append(a.Tasks, Task{Index: len(a.Tasks), Point: p.Index, RunID: p.RunID, Label: p.Label})
				}
				continue
			}
			if settled, state := runner.Settled(p, opts.Force); settled {
				skip(string(state))
				continue
			}
			a.Tasks = append(a.Tasks, Task{Index: len(a.Tasks), Point: p.Index, RunID: p.RunID, Label: p.Label})
		}
		a.Script = script(a, program, results, opts)
		if search != nil && search.Rung > 0 && !search.Last {
			a.Next = nextRungScript(a, program, results, opts)
		}
		arrays = append(arrays, a)
	}
	return arrays, nil
}

// Submit submits the arrays that have tasks with `sbatch --parsable`
// and records each one's script and tasks in its Dir. It sets JobID,
// Submitted and ScriptFile of each array it submits.
func Submit(ctx context.Context, arrays []*Array) error {
	sbatch, err := exec.LookPath("sbatch")
	if err != nil {
		return ErrNotInstalled
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
		if a.Next != "" {
			next, err := submitNext(ctx, sbatch, a)
			if err != nil {
				return fmt.Errorf("Slurm job %s was submitted, but not the job that submits the next rung after it (submit again when it ends): %w", id, err)
			}
			a.NextJobID = next
		}
		if err := record.WriteJSON(filepath.Join(a.Dir, id+".json"), a); err != nil {
			return fmt.Errorf("Slurm job %s was submitted but its task list could not be saved: %w", id, err)
		}
	}
	return nil
}

// submitNext submits the job that submits the next rung of a halving
// search once every task of a's array has ended, and returns its id.
func submitNext(ctx context.Context, sbatch string, a *Array) (string, error) {
	path := filepath.Join(a.Dir, a.JobID+"-next.sbatch")
	text := strings.ReplaceAll(a.Next, nextDependency, a.JobID)
	if err := fsutil.WriteFileAtomic(path, []byte(text), 0o755); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, sbatch, "--parsable", path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("sbatch %s: %w: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	return parseSbatchID(out)
}

// nextDependency stands for the array's job id in Array.Next.
const nextDependency = "@ARRAY_JOB@"

// nextRungScript writes the script of the job that, once every task of the
// array has ended, runs `cnnlab run --executor slurm` again to submit the
// next rung of a halving search.
func nextRungScript(a *Array, program, results string, opts Options) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("#!/bin/bash\n")
	w("#SBATCH --job-name=%s\n", "cnnlab-"+runner.FolderName(a.Experiment)+"-next-rung")
	w("#SBATCH --dependency=afterany:%s\n", nextDependency)
	w("#SBATCH --output=%s\n", sbatchQuote(filepath.Join(a.Dir, "%j.out")))
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
	w("#\n# Successive halving of %q (%s): once the tasks of job %s have trained\n", a.Experiment, a.File, nextDependency)
	w("# their points to the rung of %d epochs, submits the points it promotes. Submitted by cnnlab run --executor slurm.\n", a.Rung)
	w("set -eu\n")
	args := []string{program, "run", a.File, "--executor", "slurm", "--results", results}
	for _, s := range opts.Sets {
		args = append(args, "--set", s)
	}
	for _, o := range opts.Sbatch {
		args = append(args, "--slurm-opt", runner.ShellJoin(o))
	}
	w("exec %s\n", runner.ShellJoin(args))
	return b.String()
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

// script writes the sbatch script of a job array.
func script(a *Array, program, results string, opts Options) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w("#!/bin/bash\n")
	w("#SBATCH --job-name=%s\n", "cnnlab-"+runner.FolderName(a.Experiment))
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
	if a.Rung > 0 {
		w("# Successive halving: each task trains its point to the rung of %d epochs.\n", a.Rung)
	}
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
			quoted[i] = runner.ShellJoin([]string{s})
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

// submissions reads the task lists in a slurm folder, oldest first.
func submissions(dir string) ([]*Array, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var subs []*Array
	for _, n := range names {
		var a Array
		if err := record.ReadJSON(n, &a); err != nil {
			return nil, err
		}
		if a.JobID == "" {
			continue
		}
		subs = append(subs, &a)
	}
	slices.SortStableFunc(subs, func(a, b *Array) int { return a.Submitted.Compare(b.Submitted) })
	return subs, nil
}

// liveTasks maps run ids to the Slurm task that has them queued or running:
// the latest task of the job arrays recorded in dir, or else the Slurm job
// a run's status says is training it (e.g. cnnlab run inside salloc).
func liveTasks(ctx context.Context, dir string, pts []runner.Point, queue func(context.Context, []string) (Queue, error)) (map[string]runner.LiveTask, error) {
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
	for _, p := range pts {
		var st record.Status
		if record.ReadJSON(filepath.Join(p.Dir, record.StatusFile), &st) == nil && st.RunID == p.RunID &&
			st.State == record.StateRunning && st.SlurmJob != "" {
			trainedBy[p.RunID] = st.SlurmJob
			addID(st.SlurmJob)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	if queue == nil {
		queue = QueryQueue
	}
	q, err := queue(ctx, ids)
	if err != nil {
		return nil, err
	}
	live := map[string]runner.LiveTask{}
	for run, task := range trainedBy {
		if state, ok := q[task]; ok {
			live[run] = runner.LiveTask{Task: task, State: state, Running: slurmRunning(state)}
		}
	}
	for _, s := range subs {
		for _, t := range s.Tasks {
			task := fmt.Sprintf("%s_%d", s.JobID, t.Index)
			if state, ok := q[task]; ok {
				live[t.RunID] = runner.LiveTask{Task: task, State: state, Running: slurmRunning(state)}
			}
		}
	}
	return live, nil
}

// QueryQueue asks squeue for the tasks of the given jobs that have not
// ended.
func QueryQueue(ctx context.Context, jobs []string) (Queue, error) {
	squeue, err := exec.LookPath("squeue")
	if err != nil {
		return nil, ErrNotInstalled
	}
	if len(jobs) == 0 {
		return Queue{}, nil
	}
	cmd := exec.CommandContext(ctx, squeue, "--noheader", "--array", "--format=%i|%T", "--jobs="+strings.Join(jobs, ","))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// squeue refuses a single job id it no longer knows; the job has
		// ended and nothing of it is queued.
		if len(jobs) == 1 && strings.Contains(stderr.String(), "Invalid job id") {
			return Queue{}, nil
		}
		return nil, fmt.Errorf("squeue: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return parseSqueue(out), nil
}

// parseSqueue reads lines of "JOBID|STATE" as squeue --array prints them.
func parseSqueue(out []byte) Queue {
	q := Queue{}
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

// JobFromEnv names the Slurm job (or array task, "1234_5") this
// process runs in, from Slurm's environment; "" outside Slurm.
func JobFromEnv() string {
	if job, task := os.Getenv("SLURM_ARRAY_JOB_ID"), os.Getenv("SLURM_ARRAY_TASK_ID"); job != "" && task != "" {
		return job + "_" + task
	}
	return os.Getenv("SLURM_JOB_ID")
}

// CPUsFromEnv is the number of CPUs Slurm gave this task
// (SLURM_CPUS_PER_TASK), or 0 outside Slurm.
func CPUsFromEnv() int {
	n, err := strconv.Atoi(os.Getenv("SLURM_CPUS_PER_TASK"))
	if err != nil || n < 1 {
		return 0
	}
	return n
}

// StatusOptions configures Status.
type StatusOptions struct {
	Results string   // default "results"
	Sets    []string // overrides, as given to cnnlab run
	// Queue tells which array tasks Slurm has queued or running; nil asks
	// squeue, or, where Slurm is not installed, leaves Slurm out.
	Queue func(ctx context.Context, jobs []string) (Queue, error)
}

// Status lists every point of the experiment files with the state of its
// run, from the run records and, for sweeps submitted to Slurm, from
// squeue. Where Slurm is not installed, records alone tell.
func Status(ctx context.Context, files []string, opts StatusOptions) ([]runner.PointStatus, error) {
	queue, knowQueue := opts.Queue, true
	if queue == nil {
		if _, err := exec.LookPath("squeue"); err != nil {
			queue = func(context.Context, []string) (Queue, error) { return Queue{}, nil }
			knowQueue = false
		}
	}
	live := func(ctx context.Context, results string, e *experiments.Experiment, pts []runner.Point) (map[string]runner.LiveTask, error) {
		return liveTasks(ctx, filepath.Join(results, runner.FolderName(e.Name), Folder), pts, queue)
	}
	return runner.SweepStatus(ctx, files, runner.StatusOptions{Results: opts.Results, Sets: opts.Sets, Live: live, KnowQueue: knowQueue})
}

func defaultString(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
