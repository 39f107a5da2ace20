package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"

	"github.com/cnnlab/cnnlab/data"
	"github.com/cnnlab/cnnlab/internal/cachedir"
)

func init() {
	register(&command{
		name:    "data",
		summary: "list the known data sets or fetch them into the cache",
		usage: `  cnnlab data list              show each known data set and whether it is cached and verified
  cnnlab data fetch NAME...     fetch and verify data sets (NAME: mnist, fashion-mnist, cifar10, or all)

Data sets are cached in $CNNLAB_DATA, else $XDG_CACHE_HOME/cnnlab, else ~/.cache/cnnlab
(on macOS ~/Library/Caches/cnnlab, on Windows %LocalAppData%\cnnlab, unless the folder
earlier versions used, $XDG_CACHE_HOME/cnnlab or ~/.cache/cnnlab, exists).
Training fetches a missing set by itself; fetch ahead to work offline later.`,
		run: runData,
	})
}

func runData(args []string, stdout, stderr io.Writer) error {
	args, err := newWordedFlags("data").parse(args) // no flags: the subcommand and its names
	if err != nil {
		return err
	}
	if len(args) == 0 {
		return usageError{"missing subcommand: list or fetch"}
	}
	switch args[0] {
	case "list":
		if len(args) > 1 {
			return usageError{"list takes no arguments"}
		}
		return dataList(stdout)
	case "fetch":
		names := args[1:]
		if len(names) == 0 {
			return usageError{"fetch needs at least one data set name"}
		}
		if len(names) == 1 && names[0] == "all" {
			names = data.Names()
		}
		for _, n := range names {
			if _, err := data.Describe(n); err != nil {
				return usageError{err.Error()}
			}
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		var failed []string
		for _, n := range names {
			dir, err := data.Fetch(ctx, n, stderr)
			if err != nil {
				fmt.Fprintf(stderr, "cnnlab data: %v\n", err)
				failed = append(failed, n)
				if ctx.Err() != nil {
					break
				}
				continue
			}
			fmt.Fprintf(stdout, "%s: ready in %s\n", n, dir)
		}
		if len(failed) > 0 {
			fmt.Fprintf(stderr, "cnnlab data: not fetched: %s\n", strings.Join(failed, ", "))
			return exitError{1}
		}
		return nil
	default:
		return usageError{fmt.Sprintf("unknown subcommand %q: want list or fetch", args[0])}
	}
}

func dataList(stdout io.Writer) error {
	root, err := cachedir.Dir()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "cache folder: %s\n\n", root)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tIMAGES\tCLASSES\tSIZE\tSTATE\tDESCRIPTION")
	for _, n := range data.Names() {
		info, err := data.Describe(n)
		if err != nil {
			return err
		}
		_, files, problems, err := data.Status(n)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%d×%d×%d\t%d\t%.0f MB\t%s\t%s\n", n, info.H, info.W, info.C, info.Classes,
			float64(info.Bytes)/1e6, state(files, problems), info.Title)
	}
	return tw.Flush()
}

// state sums up a set's files: ready, not fetched, or what is wrong.
func state(files []string, problems []error) string {
	missing, damaged := 0, []string{}
	for i, p := range problems {
		switch {
		case p == nil:
		case errors.Is(p, os.ErrNotExist):
			missing++
		default:
			damaged = append(damaged, files[i])
		}
	}
	switch {
	case len(damaged) > 0:
		return "damaged (" + strings.Join(damaged, ", ") + "; fetch again)"
	case missing == len(files):
		return "not fetched"
	case missing > 0:
		return fmt.Sprintf("%d of %d files missing", missing, len(files))
	}
	return "ready"
}
