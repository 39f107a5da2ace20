package experiments

import (
	"fmt"
	"slices"
	"strings"
)

// change is a value written over the file's own at a point: a sweep value
// or a --set override.
type change struct {
	steps []pathStep
	val   *node  // the value as written; its position is where it is written
	keyAt Pos    // where its key is written
	where string // the sweep entry that holds it ("sweep.grid"); "" for --set
}

// at is where the change is written: a scalar value's own position, the key
// of a list or a mapping (whose first line may be far below it).
func (c change) at() Pos {
	if c.val.isScalar() {
		return c.val.pos
	}
	return c.keyAt
}

// layer returns the model layer the change sets: its index, -1 for the whole
// model; ok is false for a key outside the model.
func (c change) layer() (i int, ok bool) {
	switch {
	case len(c.steps) == 0 || c.steps[0].key != "model":
		return 0, false
	case len(c.steps) == 1:
		return -1, true
	case c.steps[1].key == "":
		return c.steps[1].index, true
	}
	return 0, false
}

// describe names a sweep value as a message prefix:
// "sweep.grid model[0].conv.kernel=29", "sweep.include[1] model".
func (c change) describe() string {
	s := c.where + " " + formatPath(c.steps)
	if c.val.isScalar() {
		s += "=" + c.val.flow()
	}
	return s
}

// addChange appends c to changes, dropping the earlier changes it replaces
// (a value of model replaces every earlier value inside model).
func addChange(changes []change, c change) []change {
	out := make([]change, 0, len(changes)+1)
	for _, old := range changes {
		if len(old.steps) >= len(c.steps) && slices.Equal(old.steps[:len(c.steps)], c.steps) {
			continue
		}
		out = append(out, old)
	}
	return append(out, c)
}

// hasChange reports whether x has the change c (the same value written at
// the same place).
func hasChange(x *Experiment, c change) bool {
	for _, o := range x.changes {
		if o.val == c.val && slices.Equal(o.steps, c.steps) {
			return true
		}
	}
	return false
}

// layerAt returns the index of x's layer written at p, or -1.
func layerAt(x *Experiment, p Pos) int {
	if p.Line == 0 && p.File == x.File {
		return -1
	}
	return slices.IndexFunc(x.Model, func(l Layer) bool { return l.At == p })
}

// blame places the error of g, when it sits at a model layer i, at the change
// that explains it: a change of model[i] itself, of the whole model, or of a
// layer before i (whose shapes reach layer i), that every point of g has.
// Among several, the one whose every point fails at layer i wins, then the
// nearest layer, then the first applied. The message names the change, the
// other values the points of g share when the change alone does not select
// them, and the layer's line:
//
//	sweep.grid model[0].conv.kernel=7 with stride=2: model[2] (line 6): conv "conv2": …
//
// ok is false when the error is not at a layer, or no sweep value explains
// it: none fits, or a --set override (which has no sweep entry) wins, as it
// does over a swept value of the same layer that every point shares.
//
// memo keeps, across the groups of one check, the points that have a change
// and whether they all fail at a layer.
func blame(g errorGroup, xs []*Experiment, settings [][]Setting, perPoint []ErrorList, memo map[coverKey]coverage) (Error, bool) {
	first := xs[g.points[0]]
	i := layerAt(first, g.err.Pos)
	if i < 0 {
		return Error{}, false
	}
	// failsAt reports whether point p has an error at its layer i.
	failsAt := func(p int) bool {
		for _, e := range perPoint[p] {
			if layerAt(xs[p], e.Pos) == i {
				return true
			}
		}
		return false
	}
	var best change
	bestLayer, bestFull, found := 0, false, false
	var bestHave []int
	for _, c := range first.changes {
		j, ok := c.layer()
		if !ok || j > i {
			continue
		}
		shared := true
		for _, p := range g.points[1:] {
			shared = shared && hasChange(xs[p], c)
		}
		if !shared {
			continue
		}
		key := coverKey{c.val, i}
		cov, ok := memo[key]
		if !ok {
			cov.full = true
			for p, x := range xs {
				if hasChange(x, c) {
					cov.have = append(cov.have, p)
					cov.full = cov.full && failsAt(p)
				}
			}
			memo[key] = cov
		}
		if !found || (cov.full && !bestFull) || (cov.full == bestFull && j > bestLayer) {
			best, bestLayer, bestFull, bestHave, found = c, j, cov.full, cov.have, true
		}
	}
	if !found || best.where == "" {
		// A --set override is no sweep value: the problem stays at the
		// layer, as it is without a sweep.
		return Error{}, false
	}

	label := best.describe()
	if len(g.points) < len(bestHave) {
		// The change fails only together with other values: name them.
		// A variant or include entry is named by the change already.
		named := strings.HasPrefix(best.where, "sweep.variants.") || strings.HasPrefix(best.where, "sweep.include[")
		var rest []Setting
		for _, s := range commonSettings(settings, g.points) {
			if s.Key == formatPath(best.steps) || (s.Key == "variant" && named) {
				continue
			}
			rest = append(rest, s)
		}
		var others string
		if n := countWithAmong(settings, rest, bestHave); len(rest) > 0 && n == len(g.points) {
			others = labelOf(rest, false)
		} else {
			others = pointsLabel(settings, g.points)
		}
		label += " with " + others
	}

	msg := g.err.Msg
	at := best.at()
	if lp := first.Model[i].At; lp.Line > 0 {
		line := fmt.Sprintf("(line %d)", lp.Line)
		if lp.File != at.File {
			line = fmt.Sprintf("(line %d of %s)", lp.Line, lp.File)
		}
		name := fmt.Sprintf("model[%d]", i)
		if rest, ok := strings.CutPrefix(msg, name); ok {
			if k := strings.Index(rest, ": "); k >= 0 {
				msg = name + rest[:k] + " " + line + rest[k:]
			} else {
				msg = name + rest + " " + line
			}
		} else {
			msg = name + " " + line + ": " + msg
		}
	}
	return Error{Pos: at, Msg: label + ": " + msg}, true
}

// coverKey is a change (by its value) and a layer index.
type coverKey struct {
	val   *node
	layer int
}

// coverage is what blame learns of a change: the points that have it, and
// whether every one of them fails at the layer.
type coverage struct {
	have []int
	full bool
}

// countWithAmong counts the points among those listed that have every one
// of the settings want.
func countWithAmong(settings [][]Setting, want []Setting, points []int) int {
	n := 0
	for _, p := range points {
		has := true
		for _, w := range want {
			has = has && slices.Contains(settings[p], w)
		}
		if has {
			n++
		}
	}
	return n
}
