// Package reports builds a static HTML site from run records: an index of
// every experiment, a page per sweep comparing its runs, and a page per run
// answering, section by section, what the network is, how it learned, what
// its weights look like, which test images it gets right and wrong, and what
// its feature maps show. It reads results only through runner/record and
// never trains anything. Every chart is an interactive echarts chart and a
// PNG beside the page; every script, style and picture lives inside the
// site, so it opens offline.
package reports

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/cnnlab/cnnlab/internal/cachedir"
	"github.com/cnnlab/cnnlab/internal/fsutil"
	"github.com/cnnlab/cnnlab/runner/record"
)

//go:embed templates
var templateFS embed.FS

var pages = template.Must(template.New("").Funcs(template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
}).ParseFS(templateFS, "templates/*.html"))

// Options says where to read results and write the site.
type Options struct {
	Results  string    // the results folder: Results/<experiment>/<run-id>/
	Out      string    // the site folder; made if missing
	CacheDir string    // where echarts.min.js is cached; "" means cachedir.Dir()
	Warn     io.Writer // warnings; nil discards them
	// NoFetch never runs npm: when echarts is not cached, the site loads
	// it from a CDN. Tests that do not open pages use it.
	NoFetch bool

	// memory, when set, keeps the runs read by one build for the next
	// (see Live).
	memory *runMemory
}

// Summary tells what a build did.
type Summary struct {
	Experiments int
	Runs        int
	Pages       int
	Files       int  // files the site holds
	Written     int  // files whose content changed
	Charts      int  // PNG charts in the site
	Drawn       int  // PNG charts drawn this time (the others were unchanged)
	CDN         bool // echarts is loaded from the internet
	LeftOut     int  // runs left out: records unreadable or damaged (each warned about)
	Kept        int  // pages kept as the previous build made them: nothing they show changed
	// Changed lists the files whose content this build wrote, slash-separated,
	// relative to the site folder.
	Changed []string
}

// markerFile marks a folder as a site made by Build and remembers which
// chart data each PNG was drawn from.
const markerFile = ".cnnlab-site.json"

// Build reads every run record under o.Results and writes the site to
// o.Out. Building again from the same records gives the same files and only
// rewrites what changed. Files an earlier build left that this one does not
// make are removed, but never a file no build wrote; a non-empty folder that
// Build did not make is refused, and so is a site folder inside (or equal
// to) the results folder.
func Build(o Options) (*Summary, error) {
	return BuildContext(context.Background(), o)
}

// BuildContext is Build, stopped when ctx is done: the site is then left
// as an interrupted build leaves it, which the next build repairs.
func BuildContext(ctx context.Context, o Options) (*Summary, error) {
	if o.Results == "" || o.Out == "" {
		return nil, errors.New("report: both the results folder and the site folder must be given")
	}
	warn := o.Warn
	if warn == nil {
		warn = io.Discard
	}
	if st, err := os.Stat(o.Results); err != nil {
		return nil, fmt.Errorf("results folder: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("results folder %s is not a folder", o.Results)
	}
	if inside, err := within(o.Out, o.Results); err != nil {
		return nil, err
	} else if inside {
		return nil, fmt.Errorf("site folder %s is inside the results folder %s; write the site elsewhere, e.g. --out %s", o.Out, o.Results, DefaultOut(o.Results))
	}
	w, err := openSite(o.Out)
	if err != nil {
		return nil, err
	}
	defer w.close()
	w.ctx = ctx
	var leftOut int
	results, prints, err := readResults(o.Results, w, o.memory, warn, &leftOut)
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	exps := buildExperiments(results)

	sum := &Summary{Experiments: len(exps), LeftOut: leftOut}
	host := "" // echarts from the site's own assets folder
	if js, err := echartsScript(o); err != nil {
		fmt.Fprintf(warn, "warning: %v\nwarning: the site loads echarts from %s and needs the internet to show charts\n", err, echartsCDN)
		host, sum.CDN = echartsCDN, true
	} else {
		w.file("assets/"+echartsFile, js)
	}
	for _, name := range []string{"site.css", "site.js"} {
		b, err := static.ReadFile("static/" + name)
		if err != nil {
			return nil, err
		}
		w.file("assets/"+name, b)
	}

	b := &builder{w: w, cdn: host, results: o.Results, prints: prints, pages: new(atomic.Int64), kept: new(atomic.Int64)}
	if err := b.index(exps); err != nil {
		return nil, err
	}
	type runPage struct{ r, prev, next *run }
	var runs []runPage
	for _, e := range exps {
		if err := b.unit("sweep "+e.Slug, b.sweepKey(e), func(b *builder) error { return b.sweep(e) }); err != nil {
			return nil, err
		}
		for i, r := range e.Runs {
			rp := runPage{r: r}
			if i > 0 {
				rp.prev = e.Runs[i-1]
			}
			if i+1 < len(e.Runs) {
				rp.next = e.Runs[i+1]
			}
			runs = append(runs, rp)
		}
	}
	// Run pages are made on every core: each writes only its own folder.
	errs := make([]error, len(runs))
	parallel(len(runs), func(i int) {
		rp := runs[i]
		errs[i] = b.unit("run "+rp.r.Exp.Slug+"/"+rp.r.Slug, b.runKey(rp.r, rp.prev, rp.next), func(b *builder) error { return b.run(rp.r, rp.prev, rp.next) })
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if err := w.finish(); err != nil {
		return nil, err
	}
	sum.Runs = len(runs)
	sum.Pages, sum.Kept = int(b.pages.Load()+b.kept.Load()), int(b.kept.Load())
	sum.Files, sum.Written, sum.Charts, sum.Drawn = len(w.written), len(w.changed), w.charts, w.drawn
	sum.Changed = slices.Sorted(slices.Values(w.changed))
	return sum, nil
}

// DefaultOut is the site folder used when none is given: beside the results
// folder, never inside it, named after it ("results" → "results-site").
func DefaultOut(results string) string {
	clean := filepath.Clean(results)
	if abs, err := filepath.Abs(clean); err == nil && (clean == "." || clean == ".." || filepath.Base(clean) == "..") {
		clean = abs
	}
	return clean + "-site"
}

// within reports whether path is dir or lies inside it, after resolving
// symbolic links of the parts that exist.
func within(path, dir string) (bool, error) {
	p, err := resolve(path)
	if err != nil {
		return false, err
	}
	d, err := resolve(dir)
	if err != nil {
		return false, err
	}
	rel, err := filepath.Rel(d, p)
	if err != nil {
		return false, nil
	}
	return rel == "." || rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)), nil
}

// resolve makes p absolute and resolves the symbolic links of its longest
// existing prefix.
func resolve(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	var rest []string
	for cur := abs; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(append([]string{r}, rest...)...), nil
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = append([]string{filepath.Base(cur)}, rest...)
		cur = parent
	}
}

// readResults reads every run under root as record.ReadResults does, but a
// run whose records cannot be read, or a finished run whose records differ
// from their checksums (see record.Verify), is left out with a warning
// (and counted in leftOut) instead of stopping the report, and a site folder (one holding the marker, as
// earlier versions wrote into results/site) is never read as results.
// Runs are grouped by folder and by the experiment name their status
// records, so runs of two experiments that share a folder (names differing
// only in case on a case-insensitive file system, or folders of earlier
// versions) are never shown as one; such a folder's groups are keyed
// "<folder>/<name>". A run that says it is running although no process trains
// it is shown as abandoned (see record.Abandoned). Runs are read on every
// core and while they may be written (see readRun); a finished run whose
// fingerprint the last build verified (w's old marker) is not verified
// again, and memory, when not nil, gives runs unchanged since it last read
// them. It also returns the fingerprint of every run read, by folder.
func readResults(root string, w *siteWriter, memory *runMemory, warn io.Writer, leftOut *int) (map[string][]*record.Run, map[string]string, error) {
	exps, err := os.ReadDir(root)
	if err != nil {
		return nil, nil, err
	}
	type job struct {
		exp, dir string
		run      *record.Run
		print    string
		err      error
	}
	var jobs []*job
	for _, e := range exps {
		expDir := filepath.Join(root, e.Name())
		if !e.IsDir() {
			continue
		}
		if _, err := os.Lstat(filepath.Join(expDir, markerFile)); err == nil {
			fmt.Fprintf(warn, "warning: %s holds a site built by an earlier cnnlab report; sites are now written beside the results folder, so delete it when you no longer need it\n", expDir)
			continue
		}
		runs, err := os.ReadDir(expDir)
		if err != nil {
			return nil, nil, err
		}
		for _, rd := range runs {
			dir := filepath.Join(expDir, rd.Name())
			if !rd.IsDir() {
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, record.StatusFile)); err != nil {
				continue
			}
			jobs = append(jobs, &job{exp: e.Name(), dir: dir})
		}
	}
	// Read on every core: JSON decoding is most of a build that keeps
	// most pages.
	var mu sync.Mutex
	parallel(len(jobs), func(i int) {
		j := jobs[i]
		abs, _ := filepath.Abs(j.dir)
		var ok bool
		if r, print, verified := memory.recall(abs); r != nil {
			j.run, j.print, ok = r, print, verified
		} else {
			j.run, j.print, ok, j.err = readRun(j.dir, w.old.Verified[abs])
			j.run, j.print, j.err = memory.remember(abs, j.run, j.print, ok, j.err, warn)
		}
		if ok {
			mu.Lock()
			w.next.Verified[abs] = j.print
			mu.Unlock()
		}
	})
	memory.forget(func(dir string) bool {
		return slices.ContainsFunc(jobs, func(j *job) bool { abs, _ := filepath.Abs(j.dir); return abs == dir })
	})
	byExp := map[string]map[string][]*record.Run{}
	prints := map[string]string{}
	for _, j := range jobs {
		if j.err != nil {
			fmt.Fprintf(warn, "warning: left out of the report: %v\n", j.err)
			*leftOut++
			continue
		}
		r := j.run
		if record.Abandoned(j.dir, r.Status) {
			copy := *r // the one read may be remembered for the next build
			copy.Status.State = record.StateAbandoned
			r = &copy
		}
		prints[r.Dir] = j.print
		if byExp[j.exp] == nil {
			byExp[j.exp] = map[string][]*record.Run{}
		}
		byExp[j.exp][r.Status.Experiment] = append(byExp[j.exp][r.Status.Experiment], r)
	}
	results := map[string][]*record.Run{}
	for exp, byName := range byExp {
		for name, runs := range byName {
			key := exp
			if len(byName) > 1 {
				key += "/" + name
			}
			results[key] = runs
		}
	}
	return results, prints, nil
}

// parallel calls f(0) … f(n-1) on every core.
func parallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				f(i)
			}
		}()
	}
	wg.Wait()
}

func echartsScript(o Options) ([]byte, error) {
	dir := o.CacheDir
	if dir == "" {
		d, err := cachedir.Dir()
		if err != nil {
			return nil, fmt.Errorf("echarts: %w", err)
		}
		dir = d
	}
	if o.NoFetch {
		b, err := fsutil.ReadFileLimit(echartsPath(dir), maxEchartsSize)
		if err != nil {
			return nil, fmt.Errorf("echarts %s is not cached in %s", echartsVersion, dir)
		}
		return b, checkEcharts(b)
	}
	return loadEcharts(dir)
}

// builder renders pages into a siteWriter.
type builder struct {
	w       *siteWriter
	cdn     string // echarts host when not local
	results string
	prints  map[string]string // run folder → its fingerprint as read
	pages   *atomic.Int64     // pages made
	kept    *atomic.Int64     // pages kept as the previous build made them
}

// crumb is one step of the navigation trail.
type crumb struct{ Text, Href string }

// page is what every page template needs.
type page struct {
	Title   string
	Root    string // relative path from the page to the site root, "" or "../" …
	Crumbs  []crumb
	Scripts []string
}

// chartView is a chart as a page shows it.
type chartView struct {
	ID     string
	Title  string
	Note   string
	PNG    string // relative link to the PNG
	Tall   bool
	Height int // pixels, when a wrapped legend needs more than the usual height; 0 otherwise
	Option map[string]any
	Series []string // names of the series a slider steps through; nil without a slider
}

// charts turns charts into views, queueing their PNGs in dir (relative to
// the site root), and adds the scripts they need to the page.
func (b *builder) charts(p *page, dir string, cs []*Chart) []chartView {
	host := b.cdn
	if host == "" {
		host = p.Root + "assets/"
	}
	var out []chartView
	for _, c := range cs {
		opt, assets := echartsOption(c, host)
		for _, a := range assets {
			if !slices.Contains(p.Scripts, a) {
				p.Scripts = append(p.Scripts, a)
			}
		}
		b.w.chart(path.Join(dir, "charts", c.ID+".png"), c)
		v := chartView{
			ID: c.ID, Title: c.Title, Note: c.Note, PNG: "charts/" + c.ID + ".png",
			Tall: c.Kind == KindHeatmap && len(c.YCats) > 10 || c.Kind == KindParallel, Option: opt,
		}
		if rows := echartsLegendRows(c); rows > 1 && !v.Tall {
			v.Height = 340 + legendRowHeight*(rows-1)
		}
		if c.Slider {
			for _, s := range c.Series {
				v.Series = append(v.Series, s.Name)
			}
		}
		out = append(out, v)
	}
	return out
}

// render executes a page template into the file rel.
func (b *builder) render(rel, name string, data any) error {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("page %s: %w", rel, err)
	}
	b.w.file(rel, buf.Bytes())
	b.pages.Add(1)
	return nil
}

// siteWriter writes the files of a site, leaving files whose content is
// unchanged untouched, and drawing chart PNGs only when their data changed.
// It removes only files it wrote: those the marker of the previous build
// lists, and those a build that was interrupted noted in the journal before
// writing them. Any other file in the site folder is left alone. Its
// methods may be called from several goroutines. A view made by forUnit
// also notes the files it writes, so that a page can be kept as it is the
// next time its inputs are the same (see unit).
type siteWriter struct {
	*siteState
	files *[]string // the files written through this view; nil for none
}

// siteState is what every view of a siteWriter shares.
type siteState struct {
	root string
	ctx  context.Context // the build stops when it is done
	mu   sync.Mutex      // guards what follows
	// written lists every file of the site this build, changed or not.
	written map[string]bool
	owned   map[string]bool // files earlier builds wrote (marker and journal)
	journal *os.File        // notes each new file before it is written
	old     manifest        // from the previous build
	next    manifest
	jobs    []pngJob
	err     error
	changed []string // files whose content this build wrote
	charts  int
	drawn   int
	kept    int // pages kept from the previous build (see keep)
}

type manifest struct {
	Charts map[string]string `json:"charts"` // PNG path → hash of the chart data it was drawn from
	Files  []string          `json:"files"`  // every file the build wrote, slash-separated, relative to the site
	// Units are the site's pages by what they were made from (see unit),
	// and Verified the fingerprints of finished runs whose records
	// matched their checksums, by run folder; both let a build skip what
	// has not changed since the last one.
	Units    map[string]unitState `json:"units,omitempty"`
	Verified map[string]string    `json:"verified,omitempty"`
}

type pngJob struct {
	rel string
	c   *Chart
}

// journalFile lists, one per line, files a build wrote that the marker does
// not list yet; it exists only while a build runs or after one was
// interrupted.
const journalFile = ".cnnlab-site.journal"

// openSite prepares the site folder. A folder that exists, is not empty and
// was not made by Build is refused, so that a wrong --out cannot delete
// someone's files. The marker is written before any other file, so that a
// build interrupted at any point leaves a folder the next build accepts.
func openSite(root string) (*siteWriter, error) {
	w := &siteWriter{siteState: &siteState{root: root, ctx: context.Background(), written: map[string]bool{}, owned: map[string]bool{},
		next: manifest{Charts: map[string]string{}, Units: map[string]unitState{}, Verified: map[string]string{}}}}
	entries, err := os.ReadDir(root)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("site folder: %w", err)
	case len(entries) > 0:
		if err := record.ReadJSON(filepath.Join(root, markerFile), &w.old); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("site folder %s is not empty and was not made by cnnlab report; choose another folder", root)
			}
			return nil, fmt.Errorf("site folder: %w", err)
		}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("site folder: %w", err)
	}
	for _, f := range w.old.Files {
		w.owned[f] = true
	}
	if b, err := fsutil.ReadFileLimit(filepath.Join(root, journalFile), record.MaxRecordSize); err == nil {
		for _, f := range strings.Split(string(b), "\n") {
			if f != "" {
				w.owned[f] = true
			}
		}
		// The last build was interrupted: a chart may hold what it drew
		// rather than what the marker says, so every chart is drawn again,
		// and every page made again.
		w.old.Charts = map[string]string{}
		w.old.Units = nil
	}
	if _, err := os.Lstat(filepath.Join(root, markerFile)); errors.Is(err, os.ErrNotExist) {
		// A new folder: mark it before writing anything else.
		if err := record.WriteJSON(filepath.Join(root, markerFile), manifest{Charts: map[string]string{}, Files: []string{}}); err != nil {
			return nil, fmt.Errorf("site folder: %w", err)
		}
	}
	j, err := os.OpenFile(filepath.Join(root, journalFile), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("site folder: %w", err)
	}
	w.journal = j
	return w, nil
}

// inside refuses to write rel when a folder on its way below the site root
// is a symbolic link, which would take the write outside the site folder.
func (w *siteWriter) inside(rel string) error {
	for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
		st, err := os.Lstat(filepath.Join(w.root, filepath.FromSlash(d)))
		if err == nil && st.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("site folder: %s is a symbolic link; the report writes only inside %s, so remove it", filepath.Join(w.root, filepath.FromSlash(d)), w.root)
		}
	}
	return nil
}

// own notes rel in the journal before the file is first written, unless an
// earlier build already owns it. The caller holds w.mu.
func (w *siteWriter) own(rel string) error {
	if w.owned[rel] {
		return nil
	}
	w.owned[rel] = true
	if _, err := w.journal.WriteString(rel + "\n"); err != nil {
		return fmt.Errorf("site folder: %w", err)
	}
	return nil
}

// file writes data to rel (a slash-separated path under the site root).
func (w *siteWriter) file(rel string, data []byte) {
	w.mu.Lock()
	if w.err != nil {
		w.mu.Unlock()
		return
	}
	w.written[rel] = true
	owned := w.owned[rel]
	w.mu.Unlock()
	if w.files != nil {
		*w.files = append(*w.files, rel)
	}
	full := filepath.Join(w.root, filepath.FromSlash(rel))
	if err := w.inside(rel); err != nil {
		w.fail(err)
		return
	}
	if old, err := fsutil.ReadFileLimit(full, int64(len(data))); err == nil && bytes.Equal(old, data) && owned {
		return
	}
	w.mu.Lock()
	err := w.own(rel)
	w.changed = append(w.changed, rel)
	w.mu.Unlock()
	if err == nil {
		err = writeFile(full, data)
	}
	w.fail(err)
}

// fail keeps the first error of the build.
func (w *siteWriter) fail(err error) {
	if err == nil {
		return
	}
	w.mu.Lock()
	if w.err == nil {
		w.err = err
	}
	w.mu.Unlock()
}

// chart queues the PNG of c at rel.
func (w *siteWriter) chart(rel string, c *Chart) {
	w.mu.Lock()
	w.written[rel] = true
	w.charts++
	w.jobs = append(w.jobs, pngJob{rel, c})
	w.mu.Unlock()
	if w.files != nil {
		*w.files = append(*w.files, rel)
	}
}

// close releases the journal of a build that stopped with an error; the
// journal stays, so the next build knows which files it owns.
func (w *siteWriter) close() {
	if w.journal != nil {
		w.journal.Close()
		w.journal = nil
	}
}

// finish draws the queued charts, writes the marker with every file this
// build wrote, and removes files an earlier build wrote that this one did
// not. Files the site folder holds that no build wrote are left alone.
func (w *siteWriter) finish() error {
	if w.err != nil {
		return w.err
	}
	if err := w.drawCharts(); err != nil {
		return err
	}
	// Files are written without syncing each; one flush makes them all
	// safe before the marker says they are there.
	if err := fsutil.SyncFS(w.root, w.changed); err != nil {
		return err
	}
	w.next.Files = slices.Sorted(maps.Keys(w.written))
	if err := record.WriteJSON(filepath.Join(w.root, markerFile), w.next); err != nil {
		return err
	}
	var stale []string
	for rel := range w.owned {
		if !w.written[rel] && rel != markerFile && rel != journalFile && safeRel(rel) && w.inside(rel) == nil {
			stale = append(stale, rel)
		}
	}
	slices.Sort(stale)
	dirs := map[string]bool{}
	for _, rel := range stale {
		p := filepath.Join(w.root, filepath.FromSlash(rel))
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("site folder: %w", err)
		}
		for d := path.Dir(rel); d != "." && d != "/"; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	w.close()
	if err := os.Remove(filepath.Join(w.root, journalFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("site folder: %w", err)
	}
	return removeEmptyDirs(w.root, dirs)
}

// safeRel reports whether rel, read from the marker or the journal, names
// a file below the site root.
func safeRel(rel string) bool {
	return rel != "" && !path.IsAbs(rel) && path.Clean(rel) == rel && rel != ".." && !strings.HasPrefix(rel, "../")
}

// removeEmptyDirs removes the folders in dirs (slash-separated, relative to
// root) that are empty, deepest first: folders that held files a build
// removed.
func removeEmptyDirs(root string, dirs map[string]bool) error {
	list := slices.Sorted(maps.Keys(dirs))
	slices.Reverse(list) // a folder before its parent
	for _, d := range list {
		p := filepath.Join(root, filepath.FromSlash(d))
		if entries, err := os.ReadDir(p); err == nil && len(entries) == 0 {
			if err := os.Remove(p); err != nil {
				return fmt.Errorf("site folder: %w", err)
			}
		}
	}
	return nil
}

func relPath(parts ...string) string { return strings.Join(parts, "/") }
