package reports

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

// tinyRuns writes n finished runs of experiment name into results/dir.
func tinyRuns(t *testing.T, results, dir, name string, n int) []string {
	t.Helper()
	var dirs []string
	for i := range n {
		d := filepath.Join(results, dir, "run-"+string(rune('a'+i)))
		writeRun(t, d, name, "", int64(i), fixtureRun{dir: filepath.Base(d), state: record.StateDone, epochs: 1, planned: 1, quality: 0.5, classes: []string{"0", "1", "2"}, layer: "conv1"})
		dirs = append(dirs, d)
	}
	return dirs
}

func build(t *testing.T, results, out string) (*Summary, string, error) {
	t.Helper()
	var w strings.Builder
	sum, err := Build(Options{Results: results, Out: out, CacheDir: filepath.Join(t.TempDir(), "cache"), NoFetch: true, Warn: &w})
	return sum, w.String(), err
}

func mustExist(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s is gone: %v", p, err)
		}
	}
}

// An experiment named site, run into the default results folder, keeps its
// runs: the default site folder is beside the results, and a site folder
// inside (or equal to) the results folder is refused before anything is
// written or removed.
func TestReportNeverDeletesRuns(t *testing.T) {
	root := t.TempDir()
	results := filepath.Join(root, "results")
	runs := tinyRuns(t, results, "site", "site", 2)
	if got, want := DefaultOut(results), results+"-site"; got != want {
		t.Errorf("DefaultOut(%s) = %s, want %s", results, got, want)
	}
	for _, rel := range []string{"results", "results-site"} {
		if got := DefaultOut(rel); strings.HasPrefix(got, "results/") {
			t.Errorf("DefaultOut(%s) = %s is inside the results", rel, got)
		}
	}
	for i := 0; i < 2; i++ { // a second build must keep them too
		sum, _, err := build(t, results, DefaultOut(results))
		if err != nil {
			t.Fatal(err)
		}
		if sum.Runs != 2 {
			t.Errorf("build %d: %d runs in the report, want 2", i+1, sum.Runs)
		}
		mustExist(t, runs...)
	}
	link := filepath.Join(root, "link")
	if err := os.Symlink(filepath.Join(results, "site"), link); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{
		results,
		results + "/",
		filepath.Join(results, "site"),
		filepath.Join(results, "new", "deeper"),
		filepath.Join(results, "..", "results"),
		link,
	} {
		_, _, err := build(t, results, out)
		if err == nil || !strings.Contains(err.Error(), "inside the results folder") {
			t.Errorf("--out %s --results %s: err = %v, want a refusal", out, results, err)
		}
		mustExist(t, runs...)
		if _, err := os.Stat(filepath.Join(results, "new")); err == nil {
			t.Errorf("--out %s: a folder was made inside the results", out)
		}
	}
}

// A file the report did not write is never removed from its site folder,
// even when it sits where the report writes.
func TestReportKeepsFilesItDidNotWrite(t *testing.T) {
	root := t.TempDir()
	results, out := filepath.Join(root, "results"), filepath.Join(root, "site")
	tinyRuns(t, results, "exp", "exp", 2)
	if _, _, err := build(t, results, out); err != nil {
		t.Fatal(err)
	}
	notes := filepath.Join(out, "notes.txt")
	deep := filepath.Join(out, "mine", "data.csv")
	for _, p := range []string{notes, deep} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("mine"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The experiment disappears: its pages go, the user's files stay.
	if err := os.RemoveAll(filepath.Join(results, "exp")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := build(t, results, out); err != nil {
		t.Fatal(err)
	}
	mustExist(t, notes, deep, filepath.Join(out, "index.html"))
	if _, err := os.Stat(filepath.Join(out, "exp")); !os.IsNotExist(err) {
		t.Errorf("the pages of a removed experiment are still there: %v", err)
	}
}

// A build interrupted at any point (here: on the first build, after a few
// files) leaves a folder the next build accepts; the next build removes
// what the interrupted one wrote and no longer makes, and redraws charts.
func TestReportAfterInterruptedBuild(t *testing.T) {
	root := t.TempDir()
	results, out := filepath.Join(root, "results"), filepath.Join(root, "site")
	tinyRuns(t, results, "exp", "exp", 1)

	w, err := openSite(out)
	if err != nil {
		t.Fatal(err)
	}
	w.file("index.html", []byte("half"))
	w.file("gone/index.html", []byte("a page of a run removed since"))
	w.close() // killed here: no finish

	sum, _, err := build(t, results, out)
	if err != nil {
		t.Fatalf("the build after an interrupted one: %v", err)
	}
	if sum.Drawn != sum.Charts {
		t.Errorf("after an interrupted build %d of %d charts drawn, want all", sum.Drawn, sum.Charts)
	}
	if _, err := os.Stat(filepath.Join(out, "gone")); !os.IsNotExist(err) {
		t.Errorf("a file of the interrupted build is still there: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(out, "index.html")); string(b) == "half" {
		t.Error("index.html is the interrupted build's")
	}
	if _, err := os.Stat(filepath.Join(out, journalFile)); !os.IsNotExist(err) {
		t.Errorf("the journal is left after a finished build: %v", err)
	}

	// Interrupted again, on a later build: the previous site stays usable.
	w, err = openSite(out)
	if err != nil {
		t.Fatal(err)
	}
	w.close()
	mustExist(t, filepath.Join(out, "index.html"), filepath.Join(out, "assets", "site.css"))
	if _, _, err := build(t, results, out); err != nil {
		t.Fatal(err)
	}
}

// Experiment folders whose names are the site's own files (written by
// earlier versions, which did not refuse them) get pages of their own
// and leave the index alone; runs of two experiments sharing a folder are
// shown as two experiments.
func TestReportNamesThatClash(t *testing.T) {
	root := t.TempDir()
	results, out := filepath.Join(root, "results"), filepath.Join(root, "site")
	tinyRuns(t, results, "index.html", "index.html", 1)
	tinyRuns(t, results, "Assets", "Assets", 1)
	tinyRuns(t, results, "-n-", "ünï", 1)
	d := filepath.Join(results, "-n-", "run-z")
	writeRun(t, d, "änö", "", 9, fixtureRun{dir: "run-z", state: record.StateDone, epochs: 1, planned: 1, quality: 0.5, classes: []string{"0", "1", "2"}, layer: "conv1"})

	sum, _, err := build(t, results, out)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Experiments != 4 {
		t.Errorf("%d experiments, want 4 (index.html, Assets, ünï, änö)", sum.Experiments)
	}
	st, err := os.Stat(filepath.Join(out, "index.html"))
	if err != nil || st.IsDir() {
		t.Fatalf("index.html is not the index: %v", err)
	}
	index, _ := os.ReadFile(filepath.Join(out, "index.html"))
	for _, name := range []string{"ünï", "änö"} {
		if !strings.Contains(string(index), name) {
			t.Errorf("the index does not show %s", name)
		}
	}
	mustExist(t, filepath.Join(out, "assets", "site.css"))
}

// A finished run whose records differ from its checksums is left out with a
// warning and counted, never drawn with charts missing.
func TestReportLeavesOutDamagedRuns(t *testing.T) {
	root := t.TempDir()
	results, out := filepath.Join(root, "results"), filepath.Join(root, "site")
	dirs := tinyRuns(t, results, "exp", "exp", 2)
	for _, d := range dirs {
		for _, name := range []string{record.ModelFile, record.BestFile, record.AnalysisFile} {
			if _, err := os.Stat(filepath.Join(d, name)); err != nil {
				os.WriteFile(filepath.Join(d, name), []byte("{}"), 0o644)
			}
		}
		status, err := os.ReadFile(filepath.Join(d, record.StatusFile))
		if err != nil {
			t.Fatal(err)
		}
		if err := record.Seal(d, status); err != nil {
			t.Fatal(err)
		}
	}
	sum, warn, err := build(t, results, out)
	if err != nil || sum.Runs != 2 || sum.LeftOut != 0 {
		t.Fatalf("intact: %+v, %v, warnings %q", sum, err, warn)
	}
	p := filepath.Join(dirs[1], record.HistogramsFile)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(b) / 2; i < len(b); i++ { // still valid JSON: a digit changes
		if b[i] >= '1' && b[i] <= '8' {
			b[i]++
			break
		}
	}
	os.WriteFile(p, b, 0o644)
	sum, warn, err = build(t, results, out)
	if err != nil || sum.Runs != 1 || sum.LeftOut != 1 {
		t.Fatalf("damaged: %+v, %v", sum, err)
	}
	if !strings.Contains(warn, "damaged records (histograms.json: changed since the run finished") {
		t.Errorf("warning %q", warn)
	}
}

// A folder of the site replaced by a symbolic link to somewhere else is
// neither written through nor cleaned through.
func TestReportWritesOnlyInsideItsFolder(t *testing.T) {
	root := t.TempDir()
	results, out := filepath.Join(root, "results"), filepath.Join(root, "site")
	tinyRuns(t, results, "exp", "exp", 1)
	if _, _, err := build(t, results, out); err != nil {
		t.Fatal(err)
	}
	elsewhere := t.TempDir()
	mine := filepath.Join(elsewhere, "index.html")
	os.WriteFile(mine, []byte("mine"), 0o644)
	if err := os.RemoveAll(filepath.Join(out, "exp")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(out, "exp")); err != nil {
		t.Fatal(err)
	}
	_, _, err := build(t, results, out)
	if err == nil || !strings.Contains(err.Error(), "is a symbolic link; the report writes only inside") {
		t.Errorf("err = %v", err)
	}
	if b, _ := os.ReadFile(mine); string(b) != "mine" {
		t.Errorf("a file outside the site was changed: %q", b)
	}
	entries, _ := os.ReadDir(elsewhere)
	if len(entries) != 1 {
		t.Errorf("the report wrote outside its folder: %d entries", len(entries))
	}
}
