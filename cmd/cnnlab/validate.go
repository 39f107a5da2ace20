package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cnnlab/cnnlab/arch"
	"github.com/cnnlab/cnnlab/experiments"
)

func init() {
	register(&command{
		name:    "validate",
		summary: "check experiment files and print every problem as FILE:LINE:COL: message",
		usage: `  cnnlab validate FILE... [--set key.path=value]...

Checks every value, every sweep point and every layer shape of each file.
Prints nothing more than "FILE: ok" for a valid file; exits 1 if any file
has a problem, after printing all of them.`,
		run: runValidate,
	})
}

// splitSets separates the --set key=value overrides from the other arguments.
func splitSets(args []string) (files, sets []string, err error) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--set" || a == "-set":
			if i+1 == len(args) {
				return nil, nil, usageError{"--set needs key.path=value"}
			}
			sets = append(sets, args[i+1])
			i++
		case strings.HasPrefix(a, "--set="):
			sets = append(sets, strings.TrimPrefix(a, "--set="))
		case strings.HasPrefix(a, "-") && a != "-":
			return nil, nil, usageError{fmt.Sprintf("unknown flag %s", a)}
		default:
			files = append(files, a)
		}
	}
	return files, sets, nil
}

// loadChecked loads an experiment and checks the shapes of all its points.
func loadChecked(file string, sets []string) (*experiments.Experiment, error) {
	e, err := experiments.Load(file, sets)
	if err != nil {
		return nil, err
	}
	if err := arch.Check(e); err != nil {
		return nil, err
	}
	return e, nil
}

func runValidate(args []string, stdout, stderr io.Writer) error {
	files, sets, err := splitSets(args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usageError{"no experiment file given"}
	}
	bad := false
	for _, f := range files {
		e, err := loadChecked(f, sets)
		if err != nil {
			bad = true
			fmt.Fprintln(stderr, err)
			continue
		}
		pts, _ := e.Points()
		ok := "ok"
		if len(pts) > 1 {
			ok = fmt.Sprintf("ok (%d runs)", len(pts))
		}
		fmt.Fprintf(stdout, "%s: %s\n", f, ok)
		for _, p := range pts {
			// A folder that is not there yet leaves the classes unchecked;
			// say so, for a mistyped path would otherwise pass.
			if d := p.Experiment.Data; d.Set == experiments.SetFolder {
				if _, err := os.Stat(d.Path); err != nil {
					fmt.Fprintf(stdout, "%s: note: data.path %s: %v; the number of classes is not checked\n", f, d.Path, errors.Unwrap(err))
					break
				}
			}
		}
	}
	if bad {
		return exitError{1}
	}
	return nil
}
