package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/term"

	"github.com/cnnlab/cnnlab/runner"
	"github.com/cnnlab/cnnlab/runner/slurm"
)

func init() {
	register(&command{
		name:    "run",
		summary: "train every run of experiment files, resuming and skipping what is done",
		usage: `  cnnlab run FILE... [--set key.path=value]... [--parallel N] [--force] [--results DIR]
              [--point K] [--executor local|slurm] [--slurm-opt "OPTIONS"]... [--dry-run]

Expands the sweep of each file and trains every point. Each run lives in
DIR/<experiment>/<run-id>/ (DIR defaults to results), its id a short hash of
its resolved config. Running the same command again skips finished runs
(--force trains them again), resumes interrupted ones from their last
checkpoint, and redoes failed or half-written ones.

Ctrl-C (or SIGTERM) stops cleanly after saving a checkpoint; press it again
to quit at once. --parallel N trains N runs at once, splitting the cores
between them. At the end a table lists every run; the exit status is 1 if
any run failed or diverged, 3 if a run was left to another process training
it (run the command again once it ends), 130 if the sweep was interrupted.

--point K trains only point K (0-based, in sweep order) of one file. Inside
a Slurm job, runs use the CPUs Slurm gave (SLURM_CPUS_PER_TASK) and their
status names the job.

--executor slurm trains on a Slurm cluster instead: each file becomes a job
array with one task per point still to train (not done, not already queued
or running), each task running 'cnnlab run FILE --point K' into the shared
results folder. The script, the task list and each task's output go to
DIR/<experiment>/slurm/. --slurm-opt passes sbatch options through, e.g.
--slurm-opt "--partition=short --time=2:00:00 --cpus-per-task=4" (without
--cpus-per-task, each task gets one CPU). --dry-run prints the scripts and
submits nothing. Submitting again sends only the missing points; a task that
was stopped (preempted, out of time, cancelled) resumes from its checkpoint.
'cnnlab status FILE' shows where every point stands.`,
		run: runRun,
	})
}

// setsFlag collects repeated --set flags.
type setsFlag []string

func (s *setsFlag) String() string     { return strings.Join(*s, " ") }
func (s *setsFlag) Set(v string) error { *s = append(*s, v); return nil }

// executor names where cnnlab run trains a sweep (--executor).
type executor string

// Executors.
const (
	executorLocal executor = "local" // here, in this process
	executorSlurm executor = "slurm" // on a Slurm cluster, as job arrays
)

func runRun(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var sets setsFlag
	fs.Var(&sets, "set", "override key.path=value")
	parallel := fs.Int("parallel", 1, "runs trained at once")
	force := fs.Bool("force", false, "train finished runs again")
	results := fs.String("results", "results", "the results folder")
	point := fs.Int("point", -1, "train only this point of the sweep")
	exec := fs.String("executor", string(executorLocal), "local or slurm")
	var slurmOpts setsFlag
	fs.Var(&slurmOpts, "slurm-opt", "sbatch options")
	dryRun := fs.Bool("dry-run", false, "print the Slurm scripts, submit nothing")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError{"no experiment file"}
	}
	if *parallel < 1 {
		return usageError{fmt.Sprintf("--parallel %d: want at least 1", *parallel)}
	}
	pointSet := false
	fs.Visit(func(f *flag.Flag) { pointSet = pointSet || f.Name == "point" })
	switch executor(*exec) {
	case executorLocal:
		if len(slurmOpts) > 0 || *dryRun {
			return usageError{"--slurm-opt and --dry-run go with --executor slurm"}
		}
	case executorSlurm:
		if pointSet {
			return usageError{"--point trains one point here; --executor slurm submits every missing point"}
		}
		return submitSlurm(context.Background(), slurmRun{files: files, sets: sets, force: *force, results: *results,
			opts: slurmOpts, dryRun: *dryRun}, stdout, stderr)
	default:
		return usageError{fmt.Sprintf("--executor %q: want local or slurm", *exec)}
	}
	if pointSet && (*point < 0 || len(files) != 1) {
		return usageError{"--point K needs one experiment file and K ≥ 0"}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	finished, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case <-ctx.Done():
			stop() // a second signal ends the process at once
			fmt.Fprintln(stderr, "cnnlab run: stopping: saving checkpoints (press Ctrl-C again to quit at once)")
		case <-finished:
		}
	}()
	defer func() {
		close(finished)
		<-watched
		stop()
	}()

	opts := runner.Options{Results: *results, Sets: sets, Parallel: *parallel, Force: *force, Out: stdout,
		CPUs: slurm.CPUsFromEnv(), SlurmJob: slurm.JobFromEnv()}
	if pointSet {
		opts.Points = []int{*point}
	}
	if f, ok := stdout.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts.Bars = true
	}
	sum, err := runner.Run(ctx, files, opts)
	if err != nil {
		return reportProblems(err, stderr)
	}
	fmt.Fprintln(stdout)
	sum.Print(stdout)
	switch {
	case sum.Interrupted:
		fmt.Fprintln(stdout, "interrupted: run the same command again to resume")
		return exitError{130}
	case sum.Failed() > 0:
		return exitError{1}
	case sum.Elsewhere() > 0:
		fmt.Fprintf(stdout, "%s left to another process training %s: run the same command again once it ends\n",
			plural(sum.Elsewhere(), "run"), map[bool]string{true: "it", false: "them"}[sum.Elsewhere() == 1])
		return exitError{3}
	}
	return nil
}
