package experiments

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Searches: a sweep may sample its points at random and train them by
// successive halving.
//
//	sweep:
//	  random:
//	    samples: 27                # points drawn (at each grid point, if there is a grid)
//	    seed: 1                    # the draws depend on it, the key and the sample's number only
//	    params:
//	      train.optimizer.adam.lr: {loguniform: [1e-4, 1e-2]}
//	      train.l2: {loguniform: [1e-6, 1e-2]}
//	      blocks.head.params.rate: {uniform: [0, 0.5]}
//	      train.batch: {int: [32, 128]}
//	      variant: {choice: [narrow, wide]}   # choice among values, or among the sweep's variants
//	  halving:
//	    budget: 9                  # epochs of a run promoted to the end (default train.epochs)
//	    factor: 3                  # keep the best 1/factor at each rung
//	    min_epochs: 1              # the first rung
//	    metric: val_acc            # val_acc | val_loss; never a test metric
//
// Sample i of a key is drawn from a stream seeded by the sweep's seed, the
// key and i alone: reading the file again gives the same points, adding
// samples keeps the earlier ones, and adding a key keeps the values of the
// others. Numbers are rounded to 3 significant digits. With a grid (or
// zip, or variants), the same samples are drawn at every grid point.

// DistKind is the kind of distribution a random key is drawn from.
type DistKind string

// Distributions.
const (
	DistUniform    DistKind = "uniform"    // a number between two bounds
	DistLogUniform DistKind = "loguniform" // a number between two positive bounds, uniform in its logarithm
	DistInt        DistKind = "int"        // a whole number between two bounds, both included
	DistChoice     DistKind = "choice"     // one of a list of values, each as likely
)

// Random draws points of a sweep at random.
type Random struct {
	Samples int
	Seed    int64
	Params  []Param // in file order
}

// Param is one sampled key and its distribution.
type Param struct {
	Key       string
	Dist      DistKind
	Low, High float64  // uniform, loguniform, int
	Values    []string // choice: each value as flow YAML

	steps []pathStep
	nodes []*node // choice: the values
	at    Pos
}

// Halving trains the points of a sweep by successive halving: every point
// trains to the first rung, the best 1/Factor of them by Metric go on to the
// next rung, and so on until the last rung, Budget epochs. A promoted run
// continues from its checkpoint; its learning-rate schedule is that of
// Budget epochs from the start.
type Halving struct {
	Budget    int // epochs of the last rung; every point's train.epochs
	Factor    int // ≥ 2
	MinEpochs int // the first rung
	Metric    Metric
	Rungs     []int // epochs at the end of each rung, increasing, the last Budget
}

// Better reports whether value a of the metric ranks before b.
func (h *Halving) Better(a, b float64) bool {
	if h.Metric == MetricValLoss {
		return a < b
	}
	return a > b
}

// rungs returns min·factor^k for every k while below budget, then budget.
func rungs(minEpochs, factor, budget int) []int {
	var out []int
	for r := minEpochs; r < budget; {
		out = append(out, r)
		hi, lo := bits.Mul64(uint64(r), uint64(factor))
		if hi != 0 || lo >= uint64(budget) {
			break
		}
		r = int(lo)
	}
	return append(out, budget)
}

// Survivors is the number of points of a rung of n that go on to the next:
// n/factor rounded down, at least 1.
func (h *Halving) Survivors(n int) int {
	return max(1, n/h.Factor)
}

// Cost returns the most runs and epochs a sweep of points distinct points
// (one replicate), each trained for epochs, takes with seeds replicates:
// with halving, the rungs' sizes times the epochs each adds.
func (sw *Sweep) Cost(points, epochs int) (runs, totalEpochs int) {
	seeds := max(sw.Seeds, 1)
	if sw.Halving == nil {
		return points * seeds, points * seeds * epochs
	}
	n, prev := points, 0
	for i, r := range sw.Halving.Rungs {
		if i > 0 {
			n = sw.Halving.Survivors(n)
		}
		totalEpochs += n * (r - prev)
		prev = r
	}
	return points * seeds, totalEpochs * seeds
}

// testMetrics are metrics a search must never rank by.
var testMetrics = []string{"test_acc", "test_loss"}

// parseRandom checks sweep.random.
func (d *decoder) parseRandom(n *node, swept map[string]Pos, seeds int, variants []Variant) *Random {
	const where = "sweep.random"
	f := d.fields(n, where, formatKeys("sweep", "random")...)
	r := &Random{Samples: 1}
	if _, ok := f["samples"]; !ok && n.isMap() {
		d.errorf(n, "%s.samples: missing; say how many points to draw, e.g. samples: 20", where)
	}
	r.Samples = d.intField(f, "samples", where, 1, 1, MaxRuns)
	r.Seed = int64(d.intField(f, "seed", where, 1, 0, 1<<53))
	pf, ok := f["params"]
	if !ok {
		if n.isMap() {
			d.errorf(n, "%s.params: missing; map key paths to distributions, e.g. train.l2: {loguniform: [1e-5, 1e-2]}", where)
		}
		return r
	}
	if !pf.val.isMap() || len(pf.val.content) == 0 {
		d.errorf(pf.val, "%s.params must map key paths to distributions, e.g. {train.l2: {loguniform: [1e-5, 1e-2]}}, got %s", where, pf.val.describe())
		return r
	}
	for i := 0; i+1 < len(pf.val.content); i += 2 {
		k, v := pf.val.content[i], pf.val.content[i+1]
		p, ok := d.param(k, v, swept, seeds, variants)
		if ok {
			r.Params = append(r.Params, p)
		}
	}
	return r
}

// param checks one entry of sweep.random.params.
func (d *decoder) param(k, v *node, swept map[string]Pos, seeds int, variants []Variant) (Param, bool) {
	const where = "sweep.random.params"
	p := Param{Key: k.value, at: k.pos}
	if k.value != "variant" {
		steps, err := parsePath(k.value)
		if err != nil {
			d.errorf(k, "%s: %v", where, err)
			return p, false
		}
		p.steps, p.Key = steps, formatPath(steps)
	} else if len(variants) == 0 {
		d.errorf(k, "%s: variant: the sweep has no variants to choose among", where)
		return p, false
	}
	if prev, dup := swept[p.Key]; dup {
		d.errorf(k, "%s: %s is already swept at line %d", where, p.Key, prev.Line)
		return p, false
	}
	swept[p.Key] = k.pos

	if p.Key == "train.seed" && seeds > 1 {
		d.errorf(k, "%s: train.seed is sampled and seeds: %d replicates it too; use one of them", where, seeds)
		return p, false
	}
	path := where + "." + p.Key
	kinds := kindStrings([]DistKind{DistUniform, DistLogUniform, DistInt, DistChoice})
	if !v.isMap() || len(v.content) != 2 {
		d.errorf(v, "%s must be one distribution, %s: [LOW, HIGH] or choice: [VALUES], e.g. {loguniform: [1e-4, 1e-2]}, got %s",
			path, joinOr(kinds[:3]), v.describe())
		return p, false
	}
	kn, args := v.content[0], v.content[1]
	kind, ok := enumVal[DistKind](d, kn, path, "distribution", DistUniform, DistLogUniform, DistInt, DistChoice)
	if !ok {
		return p, false
	}
	p.Dist = kind
	path += "." + string(kind)
	if kind == DistChoice {
		if !args.isSeq() || len(args.content) == 0 {
			d.errorf(args, "%s must be a non-empty list of values, got %s", path, args.describe())
			return p, false
		}
		seen := map[string]int{}
		for _, x := range args.content {
			fl := x.flow()
			if line, dup := seen[fl]; dup {
				d.errorf(x, "%s: value %s is already listed at line %d", path, fl, line)
				return p, false
			}
			seen[fl] = x.pos.Line
			if p.Key == "variant" && !slices.ContainsFunc(variants, func(v Variant) bool { return v.Name == x.value }) {
				names := make([]string, len(variants))
				for i, v := range variants {
					names[i] = v.Name
				}
				d.errorf(x, "%s: unknown variant %q%s", path, x.value, didYouMean(x.value, names))
				return p, false
			}
			p.Values = append(p.Values, fl)
			p.nodes = append(p.nodes, x)
		}
		return p, true
	}
	if p.Key == "variant" {
		d.errorf(kn, "%s: variants are chosen among, with choice: [NAMES]", path)
		return p, false
	}
	if !args.isSeq() || len(args.content) != 2 {
		d.errorf(args, "%s must be [LOW, HIGH], got %s", path, args.describe())
		return p, false
	}
	lo, hi := args.content[0], args.content[1]
	var okLo, okHi bool
	if kind == DistInt {
		var a, b int64
		a, okLo = d.intVal(lo, path+"[0]", -1<<53, 1<<53)
		b, okHi = d.intVal(hi, path+"[1]", -1<<53, 1<<53)
		p.Low, p.High = float64(a), float64(b)
	} else {
		p.Low, okLo = d.floatVal(lo, path+"[0]")
		p.High, okHi = d.floatVal(hi, path+"[1]")
	}
	if !okLo || !okHi {
		return p, false
	}
	switch {
	case kind == DistLogUniform && p.Low <= 0:
		d.errorf(lo, "%s: the low bound must be > 0 (a logarithm is taken), got %s", path, lo.value)
		return p, false
	case kind == DistInt && p.Low > p.High:
		d.errorf(args, "%s: the low bound %s is above the high bound %s", path, lo.value, hi.value)
		return p, false
	case kind != DistInt && p.Low >= p.High:
		d.errorf(args, "%s: the low bound %s must be below the high bound %s", path, lo.value, hi.value)
		return p, false
	}
	return p, true
}

// parseHalving checks sweep.halving; epochs is the experiment's
// train.epochs, the default budget.
func (d *decoder) parseHalving(n *node, swept map[string]Pos, epochs int) *Halving {
	const where = "sweep.halving"
	f := d.fields(n, where, formatKeys("sweep", "halving")...)
	h := &Halving{}
	h.Budget = d.intField(f, "budget", where, epochs, 2, 100_000)
	h.Factor = d.intField(f, "factor", where, 3, 2, 1000)
	h.MinEpochs = d.intField(f, "min_epochs", where, 1, 1, 100_000)
	h.Metric = MetricValAcc
	if m, ok := f["metric"]; ok {
		if s, ok := d.text(m.val, where+".metric"); ok {
			switch {
			case slices.Contains(testMetrics, s):
				d.errorf(m.val, "%s: %s is measured on the test set, which must not choose among the points; rank by val_acc or val_loss", where+".metric", s)
			default:
				if v, ok := enumVal[Metric](d, m.val, where+".metric", "metric", MetricValAcc, MetricValLoss); ok {
					h.Metric = v
				}
			}
		}
	}
	if h.MinEpochs >= h.Budget {
		at := n
		if x, ok := f["min_epochs"]; ok {
			at = x.val
		}
		d.errorf(at, "%s.min_epochs (%d) must be below the budget (%d epochs), or there is only one rung", where, h.MinEpochs, h.Budget)
		h.MinEpochs = 1
	}
	if at, ok := swept["train.epochs"]; ok {
		d.errs.add(at, "sweep: train.epochs is swept, but sweep.halving sets every point's epochs to its budget; sweep.halving.budget sets them")
	}
	h.Rungs = rungs(h.MinEpochs, h.Factor, h.Budget)
	return h
}

// sampleStream is a splitmix64 stream, fixed by its seed: the sampled
// values depend on nothing else, whatever Go's own generators do.
type sampleStream struct{ state uint64 }

func (s *sampleStream) next() uint64 {
	s.state += 0x9e3779b97f4a7c15
	z := s.state
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// float returns a number in [0, 1).
func (s *sampleStream) float() float64 { return float64(s.next()>>11) / (1 << 53) }

// streamFor is the stream of sample i of key in a sweep seeded seed.
func streamFor(seed int64, key string, i int) *sampleStream {
	h := fnv.New64a()
	h.Write([]byte(key))
	s := &sampleStream{state: uint64(seed)*0x9e3779b97f4a7c15 ^ h.Sum64()}
	s.next()
	s.state ^= uint64(i) * 0xd1b54a32d192ed03
	s.next()
	return s
}

// Sample returns value i of the parameter's distribution as a YAML node,
// numbers rounded to 3 significant digits.
func (p *Param) sample(seed int64, i int) *node {
	s := streamFor(seed, p.Key, i)
	u := s.float()
	num := func(tag, text string) *node {
		return &node{kind: yaml.ScalarNode, tag: tag, value: text, pos: p.at}
	}
	switch p.Dist {
	case DistChoice:
		k := min(int(u*float64(len(p.nodes))), len(p.nodes)-1)
		return p.nodes[k].clone()
	case DistInt:
		span := p.High - p.Low + 1
		v := p.Low + math.Min(math.Floor(u*span), span-1)
		return num("!!int", strconv.FormatInt(int64(v), 10))
	case DistLogUniform:
		v := math.Exp(math.Log(p.Low) + u*(math.Log(p.High)-math.Log(p.Low)))
		return num("!!float", roundText(v, p.Low, p.High))
	default:
		v := p.Low + u*(p.High-p.Low)
		return num("!!float", roundText(v, p.Low, p.High))
	}
}

// roundText writes v with 3 significant digits, kept within [lo, hi].
func roundText(v, lo, hi float64) string {
	r, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	r = math.Max(lo, math.Min(hi, r))
	s := strconv.FormatFloat(r, 'g', -1, 64)
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		s += ".0" // a whole number stays a float in YAML
	}
	return s
}

// joinOr joins words as "a, b or c".
func joinOr(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	out := words[0]
	for _, w := range words[1 : len(words)-1] {
		out += ", " + w
	}
	return out + " or " + words[len(words)-1]
}

// LogKeys returns the sampled keys drawn from a log-uniform distribution,
// which charts show on a log axis.
func (r *Random) LogKeys() []string {
	var out []string
	if r == nil {
		return nil
	}
	for _, p := range r.Params {
		if p.Dist == DistLogUniform {
			out = append(out, p.Key)
		}
	}
	return out
}

// Keys returns the sampled keys, in file order.
func (r *Random) Keys() []string {
	if r == nil {
		return nil
	}
	out := make([]string, len(r.Params))
	for i, p := range r.Params {
		out[i] = p.Key
	}
	return out
}

// String describes the distribution, e.g. "loguniform [0.0001, 0.01]".
func (p Param) String() string {
	if p.Dist == DistChoice {
		return fmt.Sprintf("choice %v", p.Values)
	}
	return fmt.Sprintf("%s [%g, %g]", p.Dist, p.Low, p.High)
}

// Cost returns the runs the experiment starts and the epochs they train at
// most: every point's epochs, or with halving the rungs' sizes times the
// epochs each rung adds (early stopping and failures make it less).
func (e *Experiment) Cost() (runs, epochs int) {
	pts, _ := e.Points()
	if e.Sweep == nil || e.Sweep.Halving == nil {
		for _, p := range pts {
			epochs += p.Experiment.Train.Epochs
		}
		return len(pts), epochs
	}
	seeds := max(e.Sweep.Seeds, 1)
	return e.Sweep.Cost(len(pts)/seeds, e.Sweep.Halving.Budget)
}

// CostText says what Cost says in words, with the rungs of a halving
// search: "at most 27 runs and 63 epochs (rungs at 1, 3, 9 epochs: 27, 9, 3 points)".
func (e *Experiment) CostText() string {
	runs, epochs := e.Cost()
	s := fmt.Sprintf("at most %s and %s", plural(runs, "run"), plural(epochs, "epoch"))
	if e.Sweep == nil || e.Sweep.Halving == nil {
		return s
	}
	h := e.Sweep.Halving
	pts, _ := e.Points()
	n := len(pts) / max(e.Sweep.Seeds, 1)
	var rs, ns []string
	for i, r := range h.Rungs {
		if i > 0 {
			n = h.Survivors(n)
		}
		rs = append(rs, strconv.Itoa(r))
		ns = append(ns, strconv.Itoa(n))
	}
	return fmt.Sprintf("%s (successive halving by %s, factor %d: rungs at %s epochs of %s points)", s, h.Metric, h.Factor, strings.Join(rs, ", "), strings.Join(ns, ", "))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return formatCount(float64(n)) + " " + word + "s"
}
