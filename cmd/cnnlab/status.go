package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cnnlab/cnnlab/runner"
	"github.com/cnnlab/cnnlab/runner/record"
	"github.com/cnnlab/cnnlab/runner/slurm"
)

func init() {
	register(&command{
		name:    "status",
		summary: "show where every point of a sweep stands, locally or on Slurm",
		usage: `  cnnlab status FILE... [--set key.path=value]... [--results DIR]

Lists every point of each file's sweep with the state of its run in DIR
(default results): pending (not started), queued (waiting in Slurm's queue),
running, stopped (interrupted; resumes when run or submitted again), done,
failed or diverged, with the Slurm job (array task) that has it queued or
running. Give the same --set overrides as to cnnlab run. Where Slurm is
installed, squeue tells which tasks are still alive.`,
		run: runStatus,
	})
}

func runStatus(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var sets setsFlag
	fs.Var(&sets, "set", "override key.path=value")
	results := fs.String("results", "results", "the results folder")
	files, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError{"no experiment file"}
	}
	points, err := slurm.Status(context.Background(), files, slurm.StatusOptions{Results: *results, Sets: sets})
	if err != nil {
		return reportProblems(err, stderr)
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EXPERIMENT\tPOINT\tRUN\tSTATE\tSLURM JOB\tSWEPT\tEPOCHS\tBEST VAL\tTEST\tNOTE")
	counts := map[record.State]int{}
	for _, p := range points {
		counts[p.State]++
		job, label, best, test := "-", p.Label, "-", "-"
		if p.SlurmJob != "" {
			job = p.SlurmJob
		}
		if label == "" {
			label = "-"
		}
		if p.Epoch > 0 && p.BestValAcc > 0 { // 0: no validation images
			best = fmt.Sprintf("%.2f%%", 100*p.BestValAcc)
		}
		if p.State == record.StateDone {
			test = fmt.Sprintf("%.2f%%", 100*p.TestAcc)
		}
		note := strings.Join(strings.Fields(p.Note), " ")
		if r := []rune(note); len(r) > 80 {
			note = string(r[:77]) + "..."
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\n", p.Experiment, p.Point, p.RunID, p.State, job, label,
			p.Epoch, p.Epochs, best, test, note)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var parts []string
	for _, s := range []record.State{runner.StatePending, runner.StateQueued, record.StateRunning, record.StateStopped, record.StatePaused, record.StatePruned,
		record.StateDone, record.StateFailed, record.StateDiverged} {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
		}
	}
	fmt.Fprintf(stdout, "%d points: %s\n", len(points), strings.Join(parts, ", "))
	return nil
}
