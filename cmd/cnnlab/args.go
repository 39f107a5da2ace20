package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

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

// wordedFlags is the FlagSet of a command that words its flag errors itself
// (bench, summary, validate, data, version): a missing value, a wrong number
// or an unknown flag is reported as cnnlab always has, not as package flag
// puts it.
type wordedFlags struct {
	fs     *flag.FlagSet
	needs  map[string]string // flag name → the message when its value is missing
	failed error             // what the last failing flag.Value's Set said
}

func newWordedFlags(name string) *wordedFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &wordedFlags{fs: fs, needs: map[string]string{}}
}

// intFlag is a whole number ≥ min; bad words a value that is not one.
type intFlag struct {
	f   *wordedFlags
	dst *int
	min int
	bad func(v string) string
}

func (v *intFlag) String() string {
	if v.dst == nil {
		return ""
	}
	return strconv.Itoa(*v.dst)
}

func (v *intFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < v.min {
		v.f.failed = errors.New(v.bad(s))
		return v.f.failed
	}
	*v.dst = n
	return nil
}

// Int defines --name, a whole number ≥ min with the given default. A value
// that is not one is reported as bad(value); a missing one as "--name needs a
// number".
func (f *wordedFlags) Int(name string, def, min int, bad func(v string) string) *int {
	p := new(int)
	*p = def
	f.fs.Var(&intFlag{f: f, dst: p, min: min, bad: bad}, name, "")
	f.needs[name] = "--" + name + " needs a number"
	return p
}

// Sets defines --set key.path=value, given any number of times.
func (f *wordedFlags) Sets() *setsFlag {
	var s setsFlag
	f.fs.Var(&s, "set", "override key.path=value")
	f.needs["set"] = "--set needs key.path=value"
	return &s
}

// parse parses args as parseInterleaved does and returns the positional
// arguments, or a usageError in cnnlab's words.
func (f *wordedFlags) parse(args []string) ([]string, error) {
	var positional []string
	for {
		if err := f.fs.Parse(args); err != nil {
			return nil, f.usageError(err, args)
		}
		if f.fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, f.fs.Arg(0))
		args = f.fs.Args()[1:]
	}
}

func (f *wordedFlags) usageError(err error, args []string) error {
	if f.failed != nil {
		return usageError{f.failed.Error()}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		if need, ok := f.needs[name]; ok {
			return usageError{need}
		}
	}
	name, undefined := strings.CutPrefix(msg, "flag provided but not defined: -")
	if errors.Is(err, flag.ErrHelp) {
		name, undefined = "help", true
	}
	if undefined {
		// Name the flag as it was typed.
		for _, a := range args {
			n, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
			if strings.HasPrefix(a, "-") && (n == name || name == "help" && n == "h") {
				return usageError{"unknown flag " + a}
			}
		}
		return usageError{"unknown flag -" + name}
	}
	return usageError{msg}
}
