package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"

	"github.com/cnnlab/cnnlab/reports"
)

func init() {
	register(&command{
		name:    "report",
		summary: "build the static HTML report of every run",
		usage: `  cnnlab report [--results DIR] [--out DIR]

Reads the run records under --results (default results) and writes a static
site to --out (default RESULTS-site, beside the results: results-site): an
index of experiments, a page per sweep and a page per run. Open index.html in
a browser; it works offline. Building again makes again only the pages
whose runs changed, rewrites only what changed and removes only files an
earlier build wrote; a site folder inside the results folder is refused.
cnnlab serve keeps the site current while runs train. A run whose records cannot be read or differ from the
checksums written when it finished is left out with a warning, and the exit
status is then 1.`,
		run: runReport,
	})
}

func runReport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	results := fs.String("results", "results", "the results folder")
	out := fs.String("out", "", "the site folder (default RESULTS-site)")
	if err := fs.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if *out == "" {
		*out = reports.DefaultOut(*results)
	}
	sum, err := reports.Build(reports.Options{Results: *results, Out: *out, Warn: stderr})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "report: %s, %s, %s, %s (%d pages kept, %d files changed, %d of %d charts drawn) in %s\n",
		plural(sum.Experiments, "experiment"), plural(sum.Runs, "run"), plural(sum.Pages, "page"), plural(sum.Files, "file"),
		sum.Kept, sum.Written, sum.Drawn, sum.Charts, *out)
	fmt.Fprintf(stdout, "open %s\n", filepath.Join(*out, "index.html"))
	if sum.LeftOut > 0 {
		fmt.Fprintf(stderr, "%s left out of the report (see the warnings above)\n", plural(sum.LeftOut, "run"))
		return exitError{1}
	}
	return nil
}

// plural writes a count and a noun, adding an s unless the count is one:
// "1 run", "4 runs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
