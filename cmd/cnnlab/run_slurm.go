package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/cnnlab/cnnlab/runner"
	"github.com/cnnlab/cnnlab/runner/slurm"
)

// slurmRun holds what `cnnlab run --executor slurm` was given.
type slurmRun struct {
	files   []string
	sets    []string
	force   bool
	results string
	opts    []string // each --slurm-opt, as typed
	dryRun  bool
}

// submitSlurm submits the missing points of each file as a Slurm job array,
// or prints the job scripts for a dry run.
func submitSlurm(ctx context.Context, r slurmRun, stdout, stderr io.Writer) error {
	if !r.dryRun {
		if _, err := exec.LookPath("sbatch"); err != nil {
			return slurm.ErrNotInstalled
		}
	}
	var sbatch [][]string
	for _, o := range r.opts {
		words, err := slurm.SplitSbatchOptions(o)
		if err != nil {
			return usageError{fmt.Sprintf("--slurm-opt: %v", err)}
		}
		sbatch = append(sbatch, words...)
	}
	arrays, err := slurm.Plan(ctx, r.files, slurm.Options{Results: r.results, Sets: r.sets, Force: r.force, Sbatch: sbatch})
	if err != nil {
		return reportProblems(err, stderr)
	}
	if r.dryRun {
		for _, a := range arrays {
			printSkipped(stdout, a, "#")
			if len(a.Tasks) == 0 {
				fmt.Fprintf(stdout, "# %s: nothing to submit\n", a.Experiment)
				continue
			}
			fmt.Fprintf(stdout, "# %s: would submit %d of %d points with: sbatch --parsable SCRIPT\n", a.Experiment, len(a.Tasks), a.Points)
			fmt.Fprint(stdout, a.Script)
		}
		return nil
	}
	if err := slurm.Submit(ctx, arrays); err != nil {
		return err
	}
	var status []string
	status = append(status, "cnnlab", "status")
	status = append(status, r.files...)
	if r.results != "results" {
		status = append(status, "--results", r.results)
	}
	for _, s := range r.sets {
		status = append(status, "--set", s)
	}
	for _, a := range arrays {
		printSkipped(stdout, a, " ")
		if len(a.Tasks) == 0 {
			fmt.Fprintf(stdout, "%s: nothing to submit (%d points)\n", a.Experiment, a.Points)
			continue
		}
		fmt.Fprintf(stdout, "%s: submitted %d of %d points as Slurm job %s\n", a.Experiment, len(a.Tasks), a.Points, a.JobID)
		fmt.Fprintf(stdout, "  script: %s\n", relPath(a.ScriptFile))
		fmt.Fprintf(stdout, "  output: %s\n", relPath(filepath.Join(a.Dir, a.JobID+"_<task>.out")))
		fmt.Fprintf(stdout, "  follow: squeue -j %s\n", a.JobID)
	}
	fmt.Fprintf(stdout, "state of every point: %s\n", runner.ShellJoin(status))
	return nil
}

// printSkipped lists the points a job array leaves out, each line started
// with lead.
func printSkipped(w io.Writer, a *slurm.Array, lead string) {
	for _, s := range a.Skipped {
		label := s.Label
		if label == "" {
			label = "-"
		}
		fmt.Fprintf(w, "%s %s point %d (%s, %s): %s, not submitted\n", lead, a.Experiment, s.Point, s.RunID, label, s.Reason)
	}
}

// relPath shortens a path under the working folder.
func relPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && r != ".." && !strings.HasPrefix(r, "../") {
		return r
	}
	return p
}
