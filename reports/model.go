package reports

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/cnnlab/cnnlab/runner/record"
)

// experiment is one experiment folder of the results: a sweep of one or
// more runs.
type experiment struct {
	Dir         string // folder name under the results root
	Slug        string // folder name in the site
	Name        string // as the runs' status files give it
	Description string
	Runs        []*run   // sorted by swept values, then replicate (see sortRuns)
	Keys        []string // swept keys whose value differs between runs, in sweep order
	KeyNames    map[string]string
	Seeds       int // number of distinct replicates
	Counts      []stateCount
	Best        *run // finished run with the highest validation accuracy (then test accuracy), or nil

	// Alternatives names the sweep's named alternatives (include points
	// with a variant name) when it also has grid points, whose variant is
	// empty; sorted like the runs. Nil otherwise.
	Alternatives []string
	// GridKeys are the keys the grid charts compare: Keys, or, when the
	// sweep has Alternatives, the keys other than variant that vary among
	// the grid points.
	GridKeys []string
}

type stateCount struct {
	State record.State
	N     int
}

// run is one run folder with the figures the pages show about it.
type run struct {
	Rec   *record.Run
	ID    string // folder name
	Slug  string
	Exp   *experiment
	Label string            // short name within its sweep: the varying keys' values and the replicate
	Value map[string]string // swept key → value

	Final     *record.Epoch // last epoch recorded, or nil
	BestVal   float64
	TestAcc   float64 // at the best checkpoint when known, else the last epoch's
	HasResult bool    // the run finished and TestAcc is its result
}

// State is the run's state as recorded.
func (r *run) State() record.State { return r.Rec.Status.State }

// stateOrder lists run states in the order the index shows them.
var stateOrder = []record.State{record.StateDone, record.StateRunning, record.StatePaused, record.StatePruned, record.StateStopped, record.StateAbandoned, record.StateFailed, record.StateDiverged}

// buildExperiments turns what record.ReadResults returned into experiments,
// sorted by folder name, with runs sorted by their swept values.
func buildExperiments(results map[string][]*record.Run) []*experiment {
	dirs := slices.Sorted(maps.Keys(results))
	var exps []*experiment
	// The site's own files at its top, compared as case-insensitive
	// file systems do.
	usedSlugs := map[string]bool{"assets": true, "index.html": true, markerFile: true, journalFile: true}
	for _, d := range dirs {
		e := &experiment{Dir: d, Slug: uniqueSlug(d, usedSlugs), Name: d}
		runSlugs := map[string]bool{"charts": true, "img": true, "index.html": true, "runs.csv": true, "runs.json": true, compareFile: true}
		recs := append([]*record.Run(nil), results[d]...)
		slices.SortFunc(recs, func(a, b *record.Run) int { return strings.Compare(filepath.Base(a.Dir), filepath.Base(b.Dir)) })
		for _, rec := range recs {
			id := filepath.Base(rec.Dir)
			r := &run{Rec: rec, ID: id, Slug: uniqueSlug(id, runSlugs), Exp: e, Value: map[string]string{}}
			for _, kv := range rec.Status.Swept {
				r.Value[kv.Key] = kv.Value
			}
			r.measure()
			e.Runs = append(e.Runs, r)
		}
		if len(e.Runs) > 0 {
			st := e.Runs[0].Rec.Status
			if st.Experiment != "" {
				e.Name = st.Experiment
			}
			e.Description = st.Description
		}
		e.findKeys()
		e.sortRuns()
		e.count()
		exps = append(exps, e)
	}
	return exps
}

func uniqueSlug(name string, used map[string]bool) string {
	s := slug(name)
	for i := 2; used[strings.ToLower(s)]; i++ {
		s = slug(name) + "-" + strconv.Itoa(i)
	}
	used[strings.ToLower(s)] = true
	return s
}

// measure fills the run's summary figures from its records.
func (r *run) measure() {
	st := r.Rec.Status
	if n := len(r.Rec.Epochs); n > 0 {
		r.Final = &r.Rec.Epochs[n-1]
	}
	r.BestVal = st.BestValAcc
	if r.BestVal == 0 {
		for _, e := range r.Rec.Epochs {
			r.BestVal = math.Max(r.BestVal, finite(e.ValAcc))
		}
	}
	switch {
	case st.TestAcc > 0:
		r.TestAcc = st.TestAcc
	case r.Rec.Analysis != nil && r.Rec.Analysis.TestAcc > 0:
		r.TestAcc = r.Rec.Analysis.TestAcc
	case r.Final != nil:
		r.TestAcc = finite(r.Final.TestAcc)
	}
	r.HasResult = st.State == record.StateDone && (st.TestAcc > 0 || r.Final != nil || r.Rec.Analysis != nil)
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// findKeys finds the swept keys that take more than one value, the number of
// replicates, gives each key a short unique name and labels every run.
func (e *experiment) findKeys() {
	var order []string
	values := map[string]map[string]bool{}
	seeds := map[int]bool{}
	for _, r := range e.Runs {
		seeds[r.Rec.Status.Replicate] = true
		for _, kv := range r.Rec.Status.Swept {
			if kv.Key == replicateKey {
				continue // replicates are counted by Replicate, not swept
			}
			if values[kv.Key] == nil {
				values[kv.Key] = map[string]bool{}
				order = append(order, kv.Key)
			}
			values[kv.Key][kv.Value] = true
		}
	}
	for _, k := range order {
		missing := false
		for _, r := range e.Runs {
			if _, ok := r.Value[k]; !ok {
				missing = true
			}
		}
		if len(values[k]) > 1 || missing && len(values[k]) > 0 {
			e.Keys = append(e.Keys, k)
		}
	}
	e.Seeds = len(seeds)
	e.KeyNames = shortNames(e.Keys)
	e.findAlternatives()
	for _, r := range e.Runs {
		var parts []string
		if p := e.pointName(r); p != "" {
			parts = append(parts, p)
		}
		if e.Seeds > 1 {
			parts = append(parts, "seed "+strconv.FormatInt(r.Rec.Status.Seed, 10))
		}
		r.Label = strings.Join(parts, " ")
		if r.Label == "" {
			r.Label = r.ID
		}
	}
}

// variantKey is the swept key that names a sweep's variants and its named
// include points; grid points beside named include points have it empty.
const variantKey = "variant"

// findAlternatives sets Alternatives and GridKeys. A sweep has alternatives
// when some runs have an empty variant (the grid points) and others a name
// that each marks a single point of the sweep; a name found at several
// points is a variant crossed with the grid, an axis like any other key.
func (e *experiment) findAlternatives() {
	e.GridKeys = e.Keys
	if !slices.Contains(e.Keys, variantKey) {
		return
	}
	var grid []*run
	pointOf := map[string]string{} // alternative name → its other keys' values
	var names []string
	for _, r := range e.Runs {
		name := r.Value[variantKey]
		if name == "" {
			grid = append(grid, r)
			continue
		}
		var vals []string
		for _, k := range e.Keys {
			vals = append(vals, valueOr(r.Value, k))
		}
		p := strings.Join(vals, "\x00")
		if q, seen := pointOf[name]; seen {
			if q != p {
				return
			}
			continue
		}
		pointOf[name] = p
		names = append(names, name)
	}
	if len(grid) == 0 || len(names) == 0 {
		return
	}
	sortValues(names)
	e.Alternatives = names
	e.GridKeys = nil
	for _, k := range e.Keys {
		if k != variantKey && varies(grid, k) {
			e.GridKeys = append(e.GridKeys, k)
		}
	}
}

// pointName names the point of the sweep that r is a replicate of: an
// alternative by its name, any other point by its values of the varying
// keys ("kernel=3 stride=1"); "" when no key varies.
func (e *experiment) pointName(r *run) string {
	if e.isAlternative(r) {
		return r.Value[variantKey]
	}
	var parts []string
	for _, k := range e.GridKeys {
		if k == variantKey && r.Value[k] == "" {
			continue // an unnamed point, which its other values name
		}
		parts = append(parts, e.KeyNames[k]+"="+valueOr(r.Value, k))
	}
	return strings.Join(parts, " ")
}

// isAlternative reports whether r is one of the sweep's named alternatives
// rather than a grid point.
func (e *experiment) isAlternative(r *run) bool {
	return len(e.Alternatives) > 0 && r.Value[variantKey] != ""
}

// varies reports whether key k takes more than one value among runs, or is
// swept in some of them only.
func varies(runs []*run, k string) bool {
	seen := map[string]bool{}
	missing := false
	for _, r := range runs {
		if v, ok := r.Value[k]; ok {
			seen[v] = true
		} else {
			missing = true
		}
	}
	return len(seen) > 1 || missing && len(seen) > 0
}

// seedsSummary gives, for an experiment whose runs differ only in their
// seed, the mean ± sample standard deviation of the finished runs' test
// accuracy, e.g. "99.07 ± 0.11% over 3 seeds"; "" when keys vary (the
// effect charts show mean ± std per value then) or fewer than two runs
// finished.
func (e *experiment) seedsSummary() string {
	if len(e.Keys) > 0 || e.Seeds < 2 {
		return ""
	}
	var accs []float64
	for _, r := range e.Runs {
		if r.HasResult {
			accs = append(accs, r.TestAcc)
		}
	}
	if len(accs) < 2 {
		return ""
	}
	mean, std := meanStd(accs)
	return fmt.Sprintf("%.2f ± %.2f%% over %d seeds", 100*mean, 100*std, len(accs))
}

// sortRuns orders the runs as a reader of the sweep expects them: by the
// values of the varying keys, key after key in sweep order (numbers by
// value), then by replicate, then by run ID. Runs without a key come after
// those with it.
func (e *experiment) sortRuns() {
	slices.SortStableFunc(e.Runs, func(a, b *run) int {
		for _, k := range e.Keys {
			va, okA := a.Value[k]
			vb, okB := b.Value[k]
			if okA != okB {
				if okA {
					return -1
				}
				return 1
			}
			if c := compareValues(va, vb); c != 0 {
				return c
			}
		}
		return cmp.Or(cmp.Compare(a.Rec.Status.Replicate, b.Rec.Status.Replicate), strings.Compare(a.ID, b.ID))
	})
}

// compareValues compares two values of a key: as numbers when both are,
// else as text.
func compareValues(a, b string) int {
	x, errA := strconv.ParseFloat(a, 64)
	y, errB := strconv.ParseFloat(b, 64)
	if errA == nil && errB == nil && x != y {
		if x < y {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// replicateKey is the swept key that a sweep's seeds: N gives its
// replicates (the run seed of each); the report shows replicates as mean ±
// std rather than as a key.
const replicateKey = "seed"

func valueOr(m map[string]string, k string) string {
	if v, ok := m[k]; ok {
		return v
	}
	return "–"
}

// shortNames names each key by the shortest suffix of its dotted path that
// no other key ends with: "model[0].conv.kernel" becomes "kernel".
func shortNames(keys []string) map[string]string {
	names := map[string]string{}
	for _, k := range keys {
		parts := strings.Split(k, ".")
		for n := 1; n <= len(parts); n++ {
			cand := strings.Join(parts[len(parts)-n:], ".")
			clash := false
			for _, o := range keys {
				if o != k && (o == cand || strings.HasSuffix(o, "."+cand)) {
					clash = true
				}
			}
			if !clash || n == len(parts) {
				names[k] = cand
				break
			}
		}
	}
	return names
}

// count counts runs by state and finds the best finished run. Runs are
// chosen the way each run chose its checkpoint, by validation accuracy: the
// test set only reports on the choice, so its accuracy stays an honest
// estimate.
func (e *experiment) count() {
	n := map[record.State]int{}
	for _, r := range e.Runs {
		n[r.State()]++
		if r.HasResult && (e.Best == nil || r.BestVal > e.Best.BestVal ||
			r.BestVal == e.Best.BestVal && r.TestAcc > e.Best.TestAcc) {
			e.Best = r
		}
	}
	for _, s := range stateOrder {
		if n[s] > 0 {
			e.Counts = append(e.Counts, stateCount{s, n[s]})
			delete(n, s)
		}
	}
	other := slices.Sorted(maps.Keys(n))
	for _, s := range other {
		e.Counts = append(e.Counts, stateCount{s, n[s]})
	}
}

// isL2Key reports whether a swept key sets the L2 penalty.
func isL2Key(k string) bool {
	return k == "l2" || strings.HasSuffix(k, ".l2")
}

// sortValues sorts a key's values numerically when they all are numbers,
// else as text.
func sortValues(vs []string) {
	nums := true
	for _, v := range vs {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			nums = false
		}
	}
	less := func(a, b string) bool {
		if nums {
			x, _ := strconv.ParseFloat(a, 64)
			y, _ := strconv.ParseFloat(b, 64)
			if x != y {
				return x < y
			}
		}
		return a < b
	}
	slices.SortStableFunc(vs, func(a, b string) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	})
}
