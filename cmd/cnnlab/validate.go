package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/cnnlab/cnnlab/arch"
	"github.com/cnnlab/cnnlab/data"
	"github.com/cnnlab/cnnlab/experiments"
)

func init() {
	register(&command{
		name:    "validate",
		summary: "check experiment files and print every problem as FILE:LINE:COL: message",
		usage: `  cnnlab validate FILE... [--set key.path=value]...

Checks every value, every sweep point and every layer shape of each file,
and for a folder data set (set: folder) that the folder can be read as a
run reads it: class sub-folders, a picture in each, every picture's header,
the test classes, and enough pictures for data.split. A shape problem that
a swept value of the model causes is printed at that value, with the line
of the layer where it shows, once per value. Prints nothing more
than "FILE: ok" for a valid file; exits 1 if any file has a problem, after
printing all of them.`,
		run: runValidate,
	})
}

// loadChecked loads an experiment and checks the shapes of all its points,
// reporting wrong values and shape problems together.
func loadChecked(file string, sets []string) (*experiments.Experiment, error) {
	return experiments.Validate(file, sets, arch.Compiles)
}

func runValidate(args []string, stdout, stderr io.Writer) error {
	f := newWordedFlags("validate")
	setFlags := f.Sets()
	files, err := f.parse(args)
	if err != nil {
		return err
	}
	sets := []string(*setFlags)
	if len(files) == 0 {
		return usageError{"no experiment file given"}
	}
	bad := false
	for _, f := range files {
		e, err := experiments.Validate(f, sets, arch.Compiles, folderCheck())
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
		if e.Sweep != nil && (e.Sweep.Halving != nil || e.Sweep.Random != nil) {
			ok = "ok: " + e.CostText()
		}
		fmt.Fprintf(stdout, "%s: %s\n", f, ok)
	}
	if bad {
		return exitError{1}
	}
	return nil
}

// folderCheck returns a check of a point's folder data set as a run would
// load it (see data.CheckFolder; each folder is read once) and of its split
// against the pictures found. Each problem is placed at the data.path key,
// or at data.split for a split that does not fit.
func folderCheck() func(*experiments.Experiment) error {
	type checked struct {
		sum data.FolderSummary
		err error
	}
	folders := map[string]checked{}
	return func(x *experiments.Experiment) error {
		d := x.Data
		if d.Set != experiments.SetFolder {
			return nil
		}
		c, ok := folders[d.Path]
		if !ok {
			c.sum, c.err = data.CheckFolder(d.Path)
			folders[d.Path] = c
		}
		var errs experiments.ErrorList
		add := func(at experiments.Pos, msg string) {
			errs = append(errs, experiments.Error{Pos: at, Msg: msg})
		}
		pathAt := x.KeyPos("data.path")
		if c.err != nil {
			problems := []error{c.err}
			if j, ok := c.err.(interface{ Unwrap() []error }); ok {
				problems = j.Unwrap()
			}
			for _, p := range problems {
				add(pathAt, "data.path: "+p.Error())
			}
			return errs
		}
		if len(c.sum.Classes) == 1 {
			add(pathAt, fmt.Sprintf("data.path: %s has one class folder (%s); a classifier needs at least two classes", d.Path, c.sum.Classes[0]))
			return errs
		}
		if err := c.sum.CheckSplit(d.Split.Train, d.Split.Val, d.Split.Test); err != nil {
			at := x.KeyPos("data.split")
			if at.Line == 0 && at.File == x.File {
				at = pathAt
			}
			add(at, fmt.Sprintf("data.split of %s: %s", d.Path, strings.TrimPrefix(err.Error(), "split: ")))
			return errs
		}
		if train := c.sum.TrainImages(d.Split.Train, d.Split.Val, d.Split.Test); x.Train.Batch > train {
			at := x.KeyPos("train.batch")
			if at.Line == 0 && at.File == x.File {
				at = pathAt
			}
			add(at, fmt.Sprintf("train.batch %d is larger than the %d training images of %s: an epoch would be one step; use a batch of at most %d", x.Train.Batch, train, d.Path, train))
			return errs
		}
		return nil
	}
}
