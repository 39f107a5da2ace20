package experiments

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// maxSweepWork bounds the YAML values copied to expand a sweep (points ×
// values per point); real sweeps stay far below it.
const maxSweepWork = 20_000_000

// MaxRuns is the largest number of runs (points × seeds) a sweep may expand to.
const MaxRuns = 10_000

// Sweep is the sweep of an experiment as written:
//
//	sweep:
//	  variants:                    # named alternatives, each a set of key paths → values
//	    small:
//	      model[0].conv.filters: 8
//	    two-conv:
//	      model: [...]
//	  grid:                        # cartesian product of the axes
//	    model[0].conv.kernel: [3, 5, 7]
//	    model[0].conv.stride: [1, 2]
//	  zip:                         # axes that advance together (one group, or a list of groups)
//	    model[0].conv.filters: [16, 32]
//	    train.optimizer.adam.lr: [0.001, 0.0005]
//	  include:                     # extra points, not crossed with the above
//	    - variant: wide            # optional name of the point (or of a variant to start from)
//	      model[0].conv.filters: 64
//	  exclude:                     # drop points whose values match every key of a rule
//	    - model[0].conv.kernel: 7  # a value, or a list of values any of which matches
//	      model[0].conv.stride: 2
//	  seeds: 3                     # replicate every point with seeds seed, seed+1, …
//	  random: …                    # sample points (see Random)
//	  halving: …                   # train them by successive halving (see Halving)
//
// Key paths with [ ] must be quoted inside YAML's {…} flow style
// ({"model[0].conv.kernel": 5}); the block style above needs no quotes.
//
// Points come in a fixed order: for each replicate, then each variant (file
// order), then each grid point (the first axis slowest, the last fastest),
// then each zip step (the first group slowest), then each random sample;
// the include points follow,
// in file order. Excluded points are dropped. Values are applied in that
// order too: the variant first, then grid, zip, sampled and include values.
type Sweep struct {
	Variants []Variant
	Grid     []Axis
	Zip      [][]Axis
	Include  []Variant // Name may be empty
	Exclude  [][]Axis  // each rule: a key and the values it matches
	Seeds    int       // ≥ 1
	Random   *Random   // nil: no key is sampled (see search.go)
	Halving  *Halving  // nil: every point trains to the end
}

// Axis is one swept key and its values, each written as flow YAML.
type Axis struct {
	Key    string
	Values []string

	steps []pathStep
	nodes []*node
	at    Pos
	where string // the sweep entry holding it: "sweep.grid", "sweep.zip[1]"
}

// Variant is a named set of values.
type Variant struct {
	Name string
	Set  []Setting

	overrides []override
	at        Pos
	where     string // the sweep entry holding it: "sweep.variants.small", "sweep.include[0]"
}

type override struct {
	key   string
	steps []pathStep
	val   *node
	keyAt Pos
}

// Setting is one swept key and its value at a point, the value written as
// flow YAML ("5", "0.001", "two-conv").
type Setting struct {
	Key, Value string
}

// Point is one run of a sweep (or the only run of an experiment without one).
type Point struct {
	Index      int       // position in Points
	Settings   []Setting // every swept key, including "variant" and "seed" when swept
	Replicate  int       // 0-based index among the sweep's seeds
	Experiment *Experiment
}

// Label is a short name of the point made of its swept values, e.g.
// "kernel=5 stride=2 seed=2".
func (p Point) Label() string { return labelOf(p.Settings, true) }

// Points returns the runs of the experiment: its sweep expanded, or the
// experiment alone.
func (e *Experiment) Points() ([]Point, error) {
	if len(e.points) == 0 {
		c := e.clone()
		c.Sweep = nil
		return []Point{{Experiment: c}}, nil
	}
	return append([]Point(nil), e.points...), nil
}

// Check calls check on every point of e that differs in more than its seed,
// and reports problems as Errors: a problem found at every point once, one
// found at some points prefixed with those points' values
// ("kernel=7 stride=2: …"). A problem placed at a layer (at its Layer.At)
// that a swept value of the model or a --set override explains is placed at
// that value instead, naming the layer's line (see blame).
func (e *Experiment) Check(check func(*Experiment) error) error {
	pts, _ := e.Points()
	var settings [][]Setting
	var xs []*Experiment
	var perPoint []ErrorList
	for _, p := range pts {
		if p.Replicate != 0 || p.Experiment.unchecked {
			continue
		}
		settings = append(settings, p.Settings)
		xs = append(xs, p.Experiment)
		perPoint = append(perPoint, asErrors(check(p.Experiment), Pos{File: e.File}))
	}
	var out ErrorList
	memo := map[coverKey]coverage{}
	for _, g := range groupErrors(perPoint) {
		if err, ok := blame(g, xs, settings, perPoint, memo); ok {
			out = append(out, err)
			continue
		}
		out = append(out, g.labelled(settings))
	}
	if out != nil {
		return out.Sorted()
	}
	return nil
}

// mergePointErrors reports an error found at every point once, and an error
// found at only some points with the settings they share when exactly the
// points with those settings have it ("padding=bogus: …"), else with their
// labels.
func mergePointErrors(settings [][]Setting, perPoint []ErrorList) ErrorList {
	var out ErrorList
	for _, g := range groupErrors(perPoint) {
		out = append(out, g.labelled(settings))
	}
	return out
}

// errorGroup is one error and the points (indices) where it was found.
type errorGroup struct {
	err    Error
	points []int
	of     int // the number of points checked
}

// groupErrors gathers equal errors of the points, in the order first found.
func groupErrors(perPoint []ErrorList) []errorGroup {
	var out []errorGroup
	where := map[Error]int{}
	for i, errs := range perPoint {
		for _, e := range errs {
			gi, ok := where[e]
			if !ok {
				gi = len(out)
				where[e] = gi
				out = append(out, errorGroup{err: e, of: len(perPoint)})
			}
			g := &out[gi]
			if len(g.points) == 0 || g.points[len(g.points)-1] != i {
				g.points = append(g.points, i)
			}
		}
	}
	return out
}

// labelled returns the group's error, its message prefixed with the points
// that have it unless every point has it.
func (g errorGroup) labelled(settings [][]Setting) Error {
	e := g.err
	if len(g.points) == g.of || g.of == 1 {
		return e
	}
	e.Msg = pointsLabel(settings, g.points) + ": " + e.Msg
	return e
}

// pointsLabel names a set of points: by the settings they share when
// exactly the points with those settings are in it, else by their labels
// (the first three).
func pointsLabel(settings [][]Setting, points []int) string {
	if common := commonSettings(settings, points); len(common) > 0 && countWith(settings, common) == len(points) {
		return labelOf(common, false)
	}
	var names []string
	for i, p := range points {
		if i == 3 {
			more := "points"
			if len(points) == 4 {
				more = "point"
			}
			names = append(names, fmt.Sprintf("and %d more %s", len(points)-3, more))
			break
		}
		l := labelOf(settings[p], false)
		if l == "" {
			l = fmt.Sprintf("point %d", p)
		}
		names = append(names, l)
	}
	return strings.Join(names, "; ")
}

// commonSettings returns the settings (the seed aside) that the given points
// all have, in the order of the first point's.
func commonSettings(settings [][]Setting, points []int) []Setting {
	var common []Setting
	for _, s := range settings[points[0]] {
		if s.Key == "seed" {
			continue
		}
		all := true
		for _, p := range points[1:] {
			all = all && slices.Contains(settings[p], s)
		}
		if all {
			common = append(common, s)
		}
	}
	return common
}

// countWith counts the points that have every one of the settings want.
func countWith(settings [][]Setting, want []Setting) int {
	n := 0
	for _, ss := range settings {
		has := true
		for _, w := range want {
			has = has && slices.Contains(ss, w)
		}
		if has {
			n++
		}
	}
	return n
}

// labelOf writes settings as "key=value …", keys shortened to their last
// part when that is unambiguous.
func labelOf(settings []Setting, withSeed bool) string {
	short := map[string]int{}
	for _, s := range settings {
		short[shortKey(s.Key)]++
	}
	var parts []string
	for _, s := range settings {
		if (s.Key == "seed" && !withSeed) || s.Value == "" {
			continue
		}
		k := shortKey(s.Key)
		if short[k] > 1 {
			k = s.Key
		}
		parts = append(parts, k+"="+s.Value)
	}
	return strings.Join(parts, " ")
}

func shortKey(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[i+1:]
	}
	return key
}

// parseSweep checks the sweep: section and records it.
func parseSweep(n *node, at Pos, epochs int) (*Sweep, ErrorList) {
	d := &decoder{}
	sw := &Sweep{Seeds: 1}
	f := d.fields(n, "sweep", formatKeys("sweep")...)
	sw.Seeds = d.intField(f, "seeds", "sweep", 1, 1, MaxRuns)
	swept := map[string]Pos{}
	axis := func(k, v *node, where string) (Axis, bool) {
		a := Axis{Key: k.value, at: k.pos, where: where}
		steps, err := parsePath(k.value)
		if err != nil {
			d.errorf(k, "%s: %v", where, err)
			return a, false
		}
		a.steps = steps
		a.Key = formatPath(steps)
		if prev, dup := swept[a.Key]; dup {
			d.errorf(k, "%s: %s is already swept at line %d", where, a.Key, prev.Line)
			return a, false
		}
		swept[a.Key] = k.pos
		if a.Key == "train.seed" && sw.Seeds > 1 {
			d.errorf(k, "%s: train.seed is swept and seeds: %d replicates it too; use one of them", where, sw.Seeds)
			return a, false
		}
		if !v.isSeq() || len(v.content) == 0 {
			d.errorf(v, "%s.%s must be a non-empty list of values, e.g. [3, 5], got %s", where, a.Key, v.describe())
			return a, false
		}
		seenVals := map[string]int{}
		for _, x := range v.content {
			fl := x.flow()
			if line, dup := seenVals[fl]; dup {
				d.errorf(x, "%s.%s: value %s is already listed at line %d", where, a.Key, fl, line)
				return a, false
			}
			seenVals[fl] = x.pos.Line
			a.Values = append(a.Values, fl)
			a.nodes = append(a.nodes, x)
		}
		return a, true
	}
	overrides := func(m *node, where string, allowVariant bool) (Variant, bool) {
		v := Variant{at: m.pos, where: where}
		if m.isNull() {
			return v, true
		}
		if !m.isMap() {
			d.errorf(m, "%s must be a mapping of key paths to values, got %s", where, m.describe())
			return v, false
		}
		ok := true
		keys := map[string]bool{}
		for i := 0; i+1 < len(m.content); i += 2 {
			k, val := m.content[i], m.content[i+1]
			if allowVariant && k.value == "variant" {
				name, good := d.text(val, where+".variant")
				if good {
					v.Name = name
				}
				ok = ok && good
				continue
			}
			steps, err := parsePath(k.value)
			if err != nil {
				d.errorf(k, "%s: %v", where, err)
				ok = false
				continue
			}
			key := formatPath(steps)
			if keys[key] {
				d.errorf(k, "%s: %s given twice", where, key)
				ok = false
				continue
			}
			keys[key] = true
			v.overrides = append(v.overrides, override{key: key, steps: steps, val: val, keyAt: k.pos})
			v.Set = append(v.Set, Setting{Key: key, Value: val.flow()})
		}
		return v, ok
	}

	if x, ok := f["variants"]; ok {
		if !x.val.isMap() || len(x.val.content) == 0 {
			d.errorf(x.val, "sweep.variants must map names to settings, e.g. small: {train.batch: 32}, got %s", x.val.describe())
		} else {
			names := map[string]bool{}
			for i := 0; i+1 < len(x.val.content); i += 2 {
				k, m := x.val.content[i], x.val.content[i+1]
				if names[k.value] {
					d.errorf(k, "sweep.variants: variant %q defined twice", k.value)
					continue
				}
				names[k.value] = true
				if k.value == "" {
					d.errorf(k, "sweep.variants: a variant needs a name")
					continue
				}
				if v, ok := overrides(m, "sweep.variants."+k.value, false); ok {
					v.Name = k.value
					sw.Variants = append(sw.Variants, v)
				}
			}
		}
	}
	if x, ok := f["grid"]; ok {
		if !x.val.isMap() || len(x.val.content) == 0 {
			d.errorf(x.val, "sweep.grid must map key paths to lists of values, e.g. {train.batch: [32, 64]}, got %s", x.val.describe())
		} else {
			for i := 0; i+1 < len(x.val.content); i += 2 {
				if a, ok := axis(x.val.content[i], x.val.content[i+1], "sweep.grid"); ok {
					sw.Grid = append(sw.Grid, a)
				}
			}
		}
	}
	if x, ok := f["zip"]; ok {
		groups := []*node{x.val}
		if x.val.isSeq() {
			groups = x.val.content
		}
		for gi, g := range groups {
			where := "sweep.zip"
			if x.val.isSeq() {
				where = fmt.Sprintf("sweep.zip[%d]", gi)
			}
			if !g.isMap() || len(g.content) == 0 {
				d.errorf(g, "%s must map key paths to lists of values of one length, got %s", where, g.describe())
				continue
			}
			var group []Axis
			good := true
			for i := 0; i+1 < len(g.content); i += 2 {
				a, ok := axis(g.content[i], g.content[i+1], where)
				if !ok {
					good = false
					continue
				}
				if len(group) > 0 && len(a.Values) != len(group[0].Values) {
					d.errorf(g.content[i+1], "%s: %s has %d values but %s has %d; zipped lists must have one length", where, a.Key, len(a.Values), group[0].Key, len(group[0].Values))
					good = false
					continue
				}
				group = append(group, a)
			}
			if good {
				sw.Zip = append(sw.Zip, group)
			}
		}
	}
	if x, ok := f["include"]; ok {
		if !x.val.isSeq() || len(x.val.content) == 0 {
			d.errorf(x.val, "sweep.include must be a list of points, e.g. [{train.batch: 128}], got %s", x.val.describe())
		} else {
			for i, m := range x.val.content {
				where := fmt.Sprintf("sweep.include[%d]", i)
				if v, ok := overrides(m, where, true); ok {
					if len(v.overrides) == 0 && v.Name == "" {
						d.errorf(m, "%s sets nothing", where)
						continue
					}
					v.at = m.pos
					sw.Include = append(sw.Include, v)
				}
			}
		}
	}
	if x, ok := f["random"]; ok {
		sw.Random = d.parseRandom(x.val, swept, sw.Seeds, sw.Variants)
		if len(sw.Random.Params) == 0 {
			sw.Random = nil
		}
	}
	// Variant names in include refer to a variant when one has that name.
	if x, ok := f["exclude"]; ok {
		if !x.val.isSeq() || len(x.val.content) == 0 {
			d.errorf(x.val, "sweep.exclude must be a list of rules, e.g. [{train.batch: 32, train.l2: 0.1}], got %s", x.val.describe())
		} else {
			for i, m := range x.val.content {
				where := fmt.Sprintf("sweep.exclude[%d]", i)
				if !m.isMap() || len(m.content) == 0 {
					d.errorf(m, "%s must map swept keys to values, got %s", where, m.describe())
					continue
				}
				var rule []Axis
				for j := 0; j+1 < len(m.content); j += 2 {
					k, v := m.content[j], m.content[j+1]
					key := k.value
					if steps, err := parsePath(key); err == nil {
						key = formatPath(steps)
					}
					if _, ok := swept[key]; !ok && !(key == "variant" && len(sw.Variants) > 0) {
						var keys []string
						for s := range swept {
							keys = append(keys, s)
						}
						if len(sw.Variants) > 0 {
							keys = append(keys, "variant")
						}
						sortStrings(keys)
						d.errorf(k, "%s: %s is not swept%s", where, key, didYouMean(key, keys))
						continue
					}
					a := Axis{Key: key, at: k.pos}
					vals := []*node{v}
					if v.isSeq() {
						vals = v.content
					}
					for _, x := range vals {
						a.Values = append(a.Values, x.flow())
					}
					rule = append(rule, a)
				}
				if len(rule)*2 == len(m.content) {
					sw.Exclude = append(sw.Exclude, rule)
				}
			}
		}
	}
	if x, ok := f["halving"]; ok {
		sw.Halving = d.parseHalving(x.val, swept, epochs)
	}
	for _, inc := range sw.Include {
		if inc.Name != "" && len(sw.Variants) > 0 && findVariant(sw, inc.Name) == nil {
			names := make([]string, len(sw.Variants))
			for i, v := range sw.Variants {
				names[i] = v.Name
			}
			d.errs.add(inc.at, "sweep.include: unknown variant %q%s", inc.Name, didYouMean(inc.Name, names))
		}
	}
	if runs := sw.runs(); runs > MaxRuns {
		d.errs.add(at, "sweep: %s runs; a sweep is limited to %s (split it into several files)", formatCount(runs), formatCount(MaxRuns))
	}
	return sw, d.errs
}

// runs is the number of runs before exclusion, as a float64 so that it cannot
// overflow.
func (sw *Sweep) runs() float64 {
	runs := 1.0
	for _, a := range sw.Grid {
		runs *= float64(len(a.Values))
	}
	for _, g := range sw.Zip {
		runs *= float64(len(g[0].Values))
	}
	if !sw.samplesVariant() {
		runs *= math.Max(1, float64(len(sw.Variants)))
	}
	if sw.Random != nil {
		runs *= float64(sw.Random.Samples)
	}
	if len(sw.Grid) == 0 && len(sw.Zip) == 0 && len(sw.Variants) == 0 && sw.Random == nil && len(sw.Include) > 0 {
		runs = 0
	}
	return (runs + float64(len(sw.Include))) * float64(max(sw.Seeds, 1))
}

// samplesVariant reports whether the variant is drawn at random rather
// than crossed.
func (sw *Sweep) samplesVariant() bool {
	return sw.Random != nil && slices.Contains(sw.Random.Keys(), "variant")
}

func findVariant(sw *Sweep, name string) *Variant {
	for i := range sw.Variants {
		if sw.Variants[i].Name == name {
			return &sw.Variants[i]
		}
	}
	return nil
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func formatCount(f float64) string {
	if f >= 1e15 {
		return strconv.FormatFloat(f, 'g', 3, 64)
	}
	s := strconv.FormatInt(int64(f), 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// draft is a point before its tree is decoded.
type draft struct {
	settings []Setting
	tree     *node
	errs     ErrorList
	changes  []change
}

// build decodes a resolved tree: without a sweep, one experiment; with one,
// every point, checked. sets are the --set overrides already applied to root.
// When values are wrong, the experiment comes back beside the errors as long
// as its points could be listed; a point whose input or model did not decode
// is marked unchecked.
func build(root *node, file string, sets []change) (*Experiment, ErrorList) {
	// The sweep is taken out before the rest is decoded, so a second sweep:
	// is caught (and dropped) here rather than by the decoder.
	var dups ErrorList
	var first *node
	for i := 0; i+1 < len(root.content); {
		k := root.content[i]
		switch {
		case k.value != "sweep":
		case first == nil:
			first = k
		default:
			dups.add(k.pos, "sweep: key given twice (first at line %d)", first.pos.Line)
			root.content = append(root.content[:i:i], root.content[i+2:]...)
			continue
		}
		i += 2
	}
	e, errs := buildSweep(root, file, sets)
	if dups != nil {
		return nil, append(dups, errs...)
	}
	return e, errs
}

// buildSweep is build for a tree with at most one sweep.
func buildSweep(root *node, file string, sets []change) (*Experiment, ErrorList) {
	sweepNode := root.get("sweep")
	var sweepAt Pos
	if k := root.keyNode("sweep"); k != nil {
		sweepAt = k.pos
	}
	root.remove("sweep")
	base, baseErrs := decodeExperiment(root, file)
	base.tree = root
	base.changes = sets
	if sweepNode == nil || sweepNode.isNull() {
		return base, baseErrs
	}
	sw, sweepErrs := parseSweep(sweepNode, sweepAt, base.Train.Epochs)
	if sw.runs() > MaxRuns {
		return nil, append(sweepErrs, baseErrs...)
	}
	if work := sw.runs() / float64(sw.Seeds) * float64(root.size()); work > maxSweepWork {
		return nil, append(sweepErrs, Error{Pos: sweepAt,
			Msg: fmt.Sprintf("sweep: %s points of an experiment of %d YAML values is too much to expand; make the file or the sweep smaller", formatCount(sw.runs()/float64(sw.Seeds)), root.size())})
	}
	base.Sweep = sw
	if h := sw.Halving; h != nil && sweepErrs == nil {
		// Every point is trained on the schedule of the whole budget.
		budget := &node{kind: yaml.ScalarNode, tag: "!!int", value: strconv.Itoa(h.Budget), pos: sweepAt}
		if err := setPath(root, []pathStep{{key: "train"}, {key: "epochs"}}, budget, sweepAt, true); err != nil {
			sweepErrs.add(sweepAt, "sweep.halving.budget: %v", err)
		}
		base.Train.Epochs = h.Budget
	}
	drafts := expand(sw, root, sets)
	if len(drafts) == 0 && sweepErrs == nil {
		return nil, ErrorList{{Pos: sweepAt, Msg: "sweep: every point is excluded"}}
	}
	var settings [][]Setting
	var perPoint []ErrorList
	exps := make([]*Experiment, len(drafts))
	for i, dr := range drafts {
		x, derrs := decodeExperiment(dr.tree, file)
		if sw.Halving != nil && x.Data.Split.Val == 0 && !x.unchecked {
			derrs.add(sweepAt, "sweep.halving ranks the points on the validation images, but data.split.val is 0; keep some (e.g. val: 5000)")
		}
		x.tree = dr.tree
		x.changes = dr.changes
		x.unchecked = x.unchecked || dr.errs != nil
		exps[i] = x
		errs := append(dr.errs, derrs...)
		settings = append(settings, dr.settings)
		perPoint = append(perPoint, errs)
	}
	errs := mergePointErrors(settings, perPoint)
	if sweepErrs != nil {
		return nil, append(sweepErrs, errs...)
	}
	for r := 0; r < sw.Seeds; r++ {
		for i, dr := range drafts {
			x := exps[i].clone()
			x.Train.Seed += int64(r)
			settings := append([]Setting(nil), dr.settings...)
			if sw.Seeds > 1 {
				settings = append(settings, Setting{Key: "seed", Value: strconv.FormatInt(x.Train.Seed, 10)})
			}
			base.points = append(base.points, Point{Index: len(base.points), Settings: settings, Replicate: r, Experiment: x})
		}
	}
	return base, errs
}

// expand lists the distinct points of a sweep (one replicate).
func expand(sw *Sweep, root *node, sets []change) []draft {
	named := len(sw.Variants) > 0
	for _, inc := range sw.Include {
		named = named || inc.Name != ""
	}
	var keys []string
	for _, a := range sw.Grid {
		keys = append(keys, a.Key)
	}
	for _, g := range sw.Zip {
		for _, a := range g {
			keys = append(keys, a.Key)
		}
	}
	// The keys that an include point sets are settings of every point too,
	// so that it is told apart from the grid point it would otherwise share
	// its label (and its place in the report's charts) with; unless it has
	// a name of its own, not one of the crossed variants, that tells it apart.
	var extra []string
	for _, inc := range sw.Include {
		if inc.Name != "" && findVariant(sw, inc.Name) == nil {
			continue
		}
		for _, o := range inc.overrides {
			if !slices.Contains(keys, o.key) && !slices.Contains(extra, o.key) {
				extra = append(extra, o.key)
			}
		}
	}
	valueAt := func(tree *node, key string) string {
		steps, _ := parsePath(key)
		if n := getPath(tree, steps); n != nil {
			return n.flow()
		}
		return ""
	}
	var out []draft
	variants := sw.Variants
	if len(variants) == 0 || sw.samplesVariant() {
		variants = []Variant{{}}
	}
	samples := 1
	if sw.Random != nil {
		samples = sw.Random.Samples
	}
	crossed := len(sw.Grid) > 0 || len(sw.Zip) > 0 || len(sw.Variants) > 0 || sw.Random != nil || len(sw.Include) == 0
	if crossed {
		gridIdx := make([]int, len(sw.Grid))
		zipLen := 1
		for _, g := range sw.Zip {
			zipLen *= len(g[0].Values)
		}
		for _, v := range variants {
			for gi := 0; ; gi++ {
				if gi > 0 && !next(gridIdx, sw.Grid) {
					break
				}
				for z := 0; z < samples*zipLen; z++ {
					dr := draft{tree: root.clone(), changes: sets}
					sample, z := z%samples, z/samples
					drawn := sw.Random.draw(sample)
					if sw.samplesVariant() {
						v = *findVariant(sw, drawn[0].val.value)
					}
					if named {
						dr.settings = append(dr.settings, Setting{Key: "variant", Value: v.Name})
					}
					for _, o := range v.overrides {
						dr.apply(o.steps, o.val, o.keyAt, v.where)
					}
					for ai, a := range sw.Grid {
						dr.settings = append(dr.settings, Setting{Key: a.Key, Value: a.Values[gridIdx[ai]]})
						dr.apply(a.steps, a.nodes[gridIdx[ai]], a.at, a.where)
					}
					zi := zipIndices(z, sw.Zip)
					for g, group := range sw.Zip {
						for _, a := range group {
							dr.settings = append(dr.settings, Setting{Key: a.Key, Value: a.Values[zi[g]]})
							dr.apply(a.steps, a.nodes[zi[g]], a.at, a.where)
						}
					}
					for _, o := range drawn {
						if o.key == "variant" {
							continue
						}
						dr.settings = append(dr.settings, Setting{Key: o.key, Value: o.val.flow()})
						dr.apply(o.steps, o.val, o.keyAt, "sweep.random")
					}
					for _, k := range extra {
						dr.settings = append(dr.settings, Setting{Key: k, Value: valueAt(dr.tree, k)})
					}
					if !excluded(sw.Exclude, dr.settings) {
						out = append(out, dr)
					}
				}
				if len(sw.Grid) == 0 {
					break
				}
			}
		}
	}
	for _, inc := range sw.Include {
		dr := draft{tree: root.clone(), changes: sets}
		if v := findVariant(sw, inc.Name); v != nil {
			for _, o := range v.overrides {
				dr.apply(o.steps, o.val, o.keyAt, v.where)
			}
		}
		for _, o := range inc.overrides {
			dr.apply(o.steps, o.val, o.keyAt, inc.where)
		}
		if named {
			dr.settings = append(dr.settings, Setting{Key: "variant", Value: inc.Name})
		}
		for _, k := range slices.Concat(keys, extra) {
			dr.settings = append(dr.settings, Setting{Key: k, Value: valueAt(dr.tree, k)})
		}
		out = append(out, dr)
	}
	return out
}

// draw returns sample i of every key of r (none when r is nil), the
// variant first.
func (r *Random) draw(i int) []override {
	if r == nil {
		return nil
	}
	var out []override
	for _, p := range r.Params {
		o := override{key: p.Key, steps: p.steps, val: p.sample(r.Seed, i), keyAt: p.at}
		if p.Key == "variant" {
			out = append([]override{o}, out...)
		} else {
			out = append(out, o)
		}
	}
	return out
}

// apply sets one value in the draft's tree, written at keyAt in the sweep
// entry where, recording a failure.
func (dr *draft) apply(steps []pathStep, v *node, keyAt Pos, where string) {
	if err := setPath(dr.tree, steps, v.clone(), keyAt, true); err != nil {
		dr.errs.add(v.pos, "%s: %v", formatPath(steps), err)
		return
	}
	dr.changes = addChange(dr.changes, change{steps: steps, val: v, keyAt: keyAt, where: where})
}

// next advances the grid odometer (the last axis fastest); false when done.
func next(idx []int, grid []Axis) bool {
	for i := len(idx) - 1; i >= 0; i-- {
		idx[i]++
		if idx[i] < len(grid[i].Values) {
			return true
		}
		idx[i] = 0
	}
	return false
}

// zipIndices splits step z into one index per zip group, the first group slowest.
func zipIndices(z int, zip [][]Axis) []int {
	out := make([]int, len(zip))
	for g := len(zip) - 1; g >= 0; g-- {
		n := len(zip[g][0].Values)
		out[g] = z % n
		z /= n
	}
	return out
}

// excluded reports whether settings match any rule.
func excluded(rules [][]Axis, settings []Setting) bool {
	for _, rule := range rules {
		match := true
		for _, cond := range rule {
			hit := false
			for _, s := range settings {
				if s.Key != cond.Key {
					continue
				}
				for _, v := range cond.Values {
					if sameValue(s.Value, v) {
						hit = true
					}
				}
			}
			if !hit {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

// sameValue compares two flow values, numbers by value (1e-3 = 0.001).
func sameValue(a, b string) bool {
	if a == b {
		return true
	}
	fa, ea := strconv.ParseFloat(a, 64)
	fb, eb := strconv.ParseFloat(b, 64)
	return ea == nil && eb == nil && fa == fb
}

// clone copies an experiment deeply enough that changing the copy's fields
// leaves the original alone.
func (e *Experiment) clone() *Experiment {
	c := *e
	c.Model = append([]Layer(nil), e.Model...)
	c.Data.Augment = append([]Augment(nil), e.Data.Augment...)
	if e.Train.EarlyStop != nil {
		es := *e.Train.EarlyStop
		c.Train.EarlyStop = &es
	}
	c.points = nil
	return &c
}
