package runner

import (
	"fmt"
	"github.com/cnnlab/cnnlab/runner/record"
	"io"
	"strconv"
	"text/tabwriter"
)

// Print writes the summary as a table, one row per run, and a line of
// totals.
func (s *Summary) Print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tEXPERIMENT\tRUN\tSWEPT\tSTATE\tEPOCHS\tBEST VAL\tTEST\tTIME\tNOTE")
	counts := map[record.State]int{}
	for i, r := range s.Runs {
		state := string(r.State)
		if r.Skipped {
			state += " (before)"
		}
		counts[r.State]++
		note := r.Note
		switch {
		case r.Error != "":
			note = firstLine(r.Error)
		case r.StopReason != "":
			note = r.StopReason
		}
		best, test := "", ""
		if r.Epoch > 0 && r.BestValAcc > 0 {
			best = pct(r.BestValAcc)
		}
		if r.State == record.StateDone {
			test = pct(r.TestAcc)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\n", i+1, r.Experiment, r.RunID, dash(r.Label), state,
			r.Epoch, r.Epochs, best, test, seconds(r.Seconds), note)
	}
	tw.Flush()
	fmt.Fprintf(w, "%s:", plural(len(s.Runs), "run"))
	sep := " "
	for _, st := range []record.State{record.StateDone, record.StatePaused, record.StatePruned, record.StateStopped, record.StateFailed, record.StateDiverged, StateNotRun} {
		if counts[st] > 0 {
			fmt.Fprintf(w, "%s%d %s", sep, counts[st], st)
			sep = ", "
		}
	}
	fmt.Fprintln(w)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// plural writes a count and a noun, adding an s unless the count is one:
// "1 run", "4 runs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
