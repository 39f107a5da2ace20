package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/cnnlab/cnnlab/runner"
	"github.com/cnnlab/cnnlab/runner/record"
)

func init() {
	register(&command{
		name:    "runs",
		summary: "list the runs in the results folder",
		usage: `  cnnlab runs [EXPERIMENT] [--results DIR] [--check]

Prints a table of the runs under DIR (default results), or only those of
EXPERIMENT: status, swept values, best validation accuracy, test accuracy
and training time. A run shown abandoned says it is running, but no
process on this machine trains it: its process ended without recording
why (killed, out of memory); cnnlab run resumes it from its last
checkpoint.

--check verifies every record of every run listed: a finished run against
the checksums written when it finished, any other by reading its records.
Damaged runs are listed with their damaged files; cnnlab run trains them
again. The exit status is 1 when a run is damaged or a run's status cannot
be read (and it is left out of the table).`,
		run: runRuns,
	})
}

func runRuns(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("runs", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	results := fs.String("results", "results", "the results folder")
	check := fs.Bool("check", false, "verify every record of every run")
	names, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(names) > 1 {
		return usageError{fmt.Sprintf("one experiment at most, got %q", names)}
	}
	all, leftOut, err := readStatuses(*results, stderr)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("no results folder %s (runs are made by cnnlab run)", *results)
	}
	if err != nil {
		return err
	}
	exps := make([]string, 0, len(all))
	for name := range all {
		if len(names) == 0 || names[0] == name {
			exps = append(exps, name)
		}
	}
	if len(exps) == 0 {
		if len(names) > 0 {
			return fmt.Errorf("no runs of experiment %q in %s", names[0], *results)
		}
		fmt.Fprintf(stdout, "no runs in %s\n", *results)
		return leftOutError(leftOut, stderr)
	}
	slices.Sort(exps)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EXPERIMENT\tRUN\tSTATE\tSWEPT\tEPOCHS\tBEST VAL\tTEST\tTIME\tUPDATED")
	abandoned := 0
	for _, name := range exps {
		runs := all[name]
		slices.SortStableFunc(runs, func(a, b statusOf) int { return a.st.Started.Compare(b.st.Started) })
		for _, r := range runs {
			st := r.st
			best, test := "-", "-"
			if st.Epoch > 0 {
				best = fmt.Sprintf("%.2f%%", 100*st.BestValAcc)
			}
			if st.State == record.StateDone {
				test = fmt.Sprintf("%.2f%%", 100*st.TestAcc)
			}
			state := st.State
			if st.StopReason != "" && st.State == record.StateDone {
				state += " (early stop)"
			}
			if record.Abandoned(r.dir, st) {
				state = record.StateAbandoned
				abandoned++
			}
			label := runner.SweptLabel(st.Swept)
			if label == "" {
				label = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\n", name, st.RunID, state, label, st.Epoch, st.Epochs,
				best, test, time.Duration(math.Round(st.Seconds))*time.Second, st.Updated.Local().Format("2006-01-02 15:04"))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if abandoned > 0 {
		fmt.Fprintf(stdout, "\n%s: the process training the run ended without recording why (killed, out of memory,\n"+
			"the machine went down); cnnlab run resumes it from its last checkpoint.\n", record.StateAbandoned)
	}
	if *check {
		checked, damaged, unsealed := 0, 0, 0
		for _, name := range exps {
			for _, r := range all[name] {
				checked++
				problems, old := record.Verify(r.dir)
				if old {
					unsealed++
				}
				if len(problems) == 0 {
					continue
				}
				damaged++
				fmt.Fprintf(stdout, "\ndamaged: %s %s (%s)\n", name, r.st.RunID, r.dir)
				for _, p := range problems {
					fmt.Fprintf(stdout, "  %s\n", p)
				}
			}
		}
		fmt.Fprintf(stdout, "\nchecked %s: ", plural(checked, "run"))
		if damaged == 0 {
			fmt.Fprint(stdout, "every record is intact")
		} else {
			fmt.Fprintf(stdout, "%d damaged (cnnlab run trains them again)", damaged)
		}
		if unsealed > 0 {
			fmt.Fprintf(stdout, "; %d finished before checksums were kept, checked by reading them", unsealed)
		}
		fmt.Fprintln(stdout)
		if damaged > 0 {
			leftOutError(leftOut, stderr)
			return exitError{1}
		}
	}
	return leftOutError(leftOut, stderr)
}

// leftOutError says how many runs were left out because their status could
// not be read, and makes the command fail then.
func leftOutError(n int, stderr io.Writer) error {
	if n == 0 {
		return nil
	}
	fmt.Fprintf(stderr, "%s left out: status unreadable (cnnlab run trains them again)\n", plural(n, "run"))
	return exitError{1}
}

// statusOf is the status of a run and the run folder it was read from.
type statusOf struct {
	dir string
	st  record.Status
}

// readStatuses reads the status of every run under root
// (root/<experiment>/<run>/status.json), by experiment folder. A status that
// cannot be read is reported on warn and left out, so one damaged run does
// not hide the others.
func readStatuses(root string, warn io.Writer) (out map[string][]statusOf, leftOut int, err error) {
	exps, err := os.ReadDir(root)
	if err != nil {
		return nil, 0, err
	}
	out = map[string][]statusOf{}
	for _, e := range exps {
		if !e.IsDir() {
			continue
		}
		runs, err := os.ReadDir(filepath.Join(root, e.Name()))
		if err != nil {
			fmt.Fprintf(warn, "warning: %v\n", err)
			leftOut++
			continue
		}
		for _, rd := range runs {
			path := filepath.Join(root, e.Name(), rd.Name(), record.StatusFile)
			if !rd.IsDir() {
				continue
			}
			var st record.Status
			if err := record.ReadJSON(path, &st); errors.Is(err, os.ErrNotExist) {
				continue
			} else if err != nil {
				fmt.Fprintf(warn, "warning: left out: %v\n", err)
				leftOut++
				continue
			}
			out[e.Name()] = append(out[e.Name()], statusOf{filepath.Join(root, e.Name(), rd.Name()), st})
		}
	}
	return out, leftOut, nil
}
