package experiments

import (
	"cmp"
	"fmt"
	"slices"
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

// Error is one problem found in an experiment file: where it is, and what.
// Like go/scanner's Error, it prints as "FILE:LINE:COL: message".
type Error struct {
	Pos
	Msg string
}

// Error prints FILE:LINE:COL: message.
func (e Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrorList is every problem found while loading an experiment, in file
// order. Its Error method prints one FILE:LINE:COL: message per line.
type ErrorList []Error

func (es ErrorList) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// add appends one problem.
func (es *ErrorList) add(p Pos, format string, args ...any) {
	*es = append(*es, Error{Pos: p, Msg: fmt.Sprintf(format, args...)})
}

// Sorted returns the errors ordered by file, line and column, without
// duplicates, keeping the order of problems found at the same place.
func (es ErrorList) Sorted() ErrorList {
	out := make(ErrorList, 0, len(es))
	seen := map[Error]bool{}
	for _, e := range es {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	slices.SortStableFunc(out, func(a, b Error) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Col, b.Col))
	})
	return out
}

// asErrors turns err into an ErrorList: an ErrorList is returned as is, any other
// error becomes one Error at p.
func asErrors(err error, p Pos) ErrorList {
	if err == nil {
		return nil
	}
	if es, ok := err.(ErrorList); ok {
		return es
	}
	var es ErrorList
	es.add(p, "%v", err)
	return es
}
