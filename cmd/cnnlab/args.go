package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/cnnlab/cnnlab/experiments"
)

// parseInterleaved parses flags that may come before, between or after the
// positional arguments (`cnnlab run a.yaml --force b.yaml`) and returns the
// positional arguments in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// reportProblems prints the problems of experiment files, one
// FILE:LINE:COL: message per line, and turns them into exit status 1. Other
// errors pass through unchanged.
func reportProblems(err error, stderr io.Writer) error {
	var errs experiments.ErrorList
	if !errors.As(err, &errs) {
		return err
	}
	for _, e := range errs {
		fmt.Fprintln(stderr, e.Error())
	}
	return exitError{1}
}
