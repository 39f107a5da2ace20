package experiments

import (
	"fmt"
	"sort"
	"strings"
)

// Pos is a place in an experiment file. Line and Col are 1-based; a zero Line
// means the problem belongs to the whole file (or, for a command-line
// override, to the override itself, which File then names).
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	if p.Line == 0 {
		return p.File
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Error is one problem found in an experiment file.
type Error struct {
	File    string
	Line    int
	Col     int
	Message string
}

// Pos returns where the problem is.
func (e Error) Pos() Pos { return Pos{e.File, e.Line, e.Col} }

// Error prints FILE:LINE:COL: message.
func (e Error) Error() string { return e.Pos().String() + ": " + e.Message }

// Errors is every problem found while loading an experiment, in file order.
// Its Error method prints one FILE:LINE:COL: message per line.
type Errors []Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// add appends one problem.
func (es *Errors) add(p Pos, format string, args ...any) {
	*es = append(*es, Error{File: p.File, Line: p.Line, Col: p.Col, Message: fmt.Sprintf(format, args...)})
}

// Sorted returns the errors ordered by file, line and column, without
// duplicates, keeping the order of problems found at the same place.
func (es Errors) Sorted() Errors {
	out := make(Errors, 0, len(es))
	seen := map[Error]bool{}
	for _, e := range es {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return out
}

// asErrors turns err into Errors: an Errors is returned as is, any other
// error becomes one Error at p.
func asErrors(err error, p Pos) Errors {
	if err == nil {
		return nil
	}
	if es, ok := err.(Errors); ok {
		return es
	}
	var es Errors
	es.add(p, "%v", err)
	return es
}
