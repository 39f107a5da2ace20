package reports

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cnnlab/cnnlab/runner/record"
)

// quickBuild builds without echarts (the pages load it from the CDN).
func quickBuild(t *testing.T, results, out string) *Summary {
	t.Helper()
	sum, err := Build(Options{Results: results, Out: out, CacheDir: filepath.Join(filepath.Dir(out), "cache"), NoFetch: true})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// fixtureSite is a site built from the fixture once per test binary, with
// its results; copySite gives a test its own copy of both.
var fixtureSite struct {
	once         sync.Once
	root         string
	results, out string
	err          error
}

func copySite(t *testing.T) (results, out string) {
	t.Helper()
	fixtureSite.once.Do(func() {
		fixtureSite.root, fixtureSite.err = os.MkdirTemp("", "cnnlab-reports-site-")
		if fixtureSite.err != nil {
			return
		}
		fixtureSite.results, fixtureSite.out = filepath.Join(fixtureSite.root, "results"), filepath.Join(fixtureSite.root, "site")
		writeFixture(t, fixtureSite.results)
		_, fixtureSite.err = Build(Options{Results: fixtureSite.results, Out: fixtureSite.out, CacheDir: filepath.Join(fixtureSite.root, "cache"), NoFetch: true})
	})
	if fixtureSite.err != nil {
		t.Fatal(fixtureSite.err)
	}
	root := t.TempDir()
	results, out = filepath.Join(root, "results"), filepath.Join(root, "site")
	if err := os.CopyFS(results, os.DirFS(fixtureSite.results)); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(out, os.DirFS(fixtureSite.out)); err != nil {
		t.Fatal(err)
	}
	return results, out
}

// forgetUnits makes the next build keep no page: it makes every page again
// (drawing no chart whose data is the same).
func forgetUnits(t *testing.T, out string) {
	t.Helper()
	var m manifest
	if err := record.ReadJSON(filepath.Join(out, markerFile), &m); err != nil {
		t.Fatal(err)
	}
	m.Units = nil
	if err := record.WriteJSON(filepath.Join(out, markerFile), m); err != nil {
		t.Fatal(err)
	}
}

// appendEpoch adds an epoch to the records of a run, as the runner does at
// the end of one: epochs, then status.
func appendEpoch(t testing.TB, dir string, state record.State) {
	t.Helper()
	eps, err := record.ReadJSONLines[record.Epoch](filepath.Join(dir, record.EpochsFile))
	if err != nil {
		t.Fatal(err)
	}
	last := eps[len(eps)-1]
	last.Epoch++
	last.ValAcc, last.TestAcc, last.TrainAcc = (1+last.ValAcc)/2, (1+last.TestAcc)/2, (1+last.TrainAcc)/2
	eps = append(eps, last)
	if err := record.WriteJSONLines(filepath.Join(dir, record.EpochsFile), eps); err != nil {
		t.Fatal(err)
	}
	var st record.Status
	if err := record.ReadJSON(filepath.Join(dir, record.StatusFile), &st); err != nil {
		t.Fatal(err)
	}
	st.Epoch, st.State, st.BestEpoch, st.BestValAcc = last.Epoch, state, last.Epoch, last.ValAcc
	if state == record.StateDone {
		st.TestAcc = last.TestAcc
	}
	if err := record.WriteJSON(filepath.Join(dir, record.StatusFile), st); err != nil {
		t.Fatal(err)
	}
}

// A build after records changed makes again only the pages that show them,
// and gives the same files as a build that makes every page: whatever a
// page shows of other runs (labels, links, the best run) is in its key.
func TestIncrementalBuildMatchesFull(t *testing.T) {
	results, out := copySite(t)
	quickBuild(t, results, out) // the copied records have new times
	if again := quickBuild(t, results, out); again.Kept != again.Pages-1 || again.Written != 0 {
		t.Errorf("a build with nothing changed kept %d of %d pages and wrote %d files; want all but the index, and none",
			again.Kept, again.Pages, again.Written)
	}
	grid := filepath.Join(results, "grid")
	steps := []struct {
		what   string
		change func()
		made   int // pages made again at most: the index, the sweep and its compare page, runs
	}{
		{"a running run finishes an epoch", func() { appendEpoch(t, filepath.Join(grid, "run-08"), record.StateRunning) }, 4},
		{"a run becomes the best", func() {
			appendEpoch(t, filepath.Join(grid, "run-02"), record.StateDone)
			appendEpoch(t, filepath.Join(grid, "run-02"), record.StateDone)
		}, 4},
		{"a new run with a new value of a key relabels the sweep", func() {
			fr := fixtureRun{dir: "run-09", state: record.StateRunning, replicate: 0, epochs: 1, planned: 4, quality: 0.5,
				swept: []record.KeyValue{{Key: "model[0].conv.kernel", Value: "7"}, {Key: "model[0].conv.stride", Value: "1"}, {Key: "seed", Value: "1"}}}
			writeRun(t, filepath.Join(grid, "run-09"), "mnist-stride-filter", "kernel and stride of the first conv layer", 200, fr)
		}, 3 + 9},
		{"a run goes", func() { os.RemoveAll(filepath.Join(grid, "run-09")) }, 3 + 8},
		{"a record is rewritten with the same content", func() {
			p := filepath.Join(results, "l2", "l2-1", record.StatusFile)
			b, _ := os.ReadFile(p)
			time.Sleep(10 * time.Millisecond)
			os.WriteFile(p, b, 0o644)
		}, 4},
	}
	for _, s := range steps {
		s.change()
		sum := quickBuild(t, results, out)
		if made := sum.Pages - sum.Kept; made > s.made {
			t.Errorf("%s: %d of %d pages made again, want at most %d", s.what, made, sum.Pages, s.made)
		}
		forgetUnits(t, out)
		if full := quickBuild(t, results, out); full.Written != 0 || full.Kept != 0 {
			t.Errorf("%s: making every page again wrote %v (kept %d): the incremental build missed them", s.what, full.Changed, full.Kept)
		}
	}
}

// A build stopped part way (its context cancelled) leaves the journal; the
// next one keeps no page and draws every chart again.
func TestCancelledBuildIsRepaired(t *testing.T) {
	results, out := copySite(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := BuildContext(ctx, Options{Results: results, Out: out, NoFetch: true, CacheDir: t.TempDir()}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled build returned %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, journalFile)); err != nil {
		t.Fatalf("a cancelled build left no journal: %v", err)
	}
	sum := quickBuild(t, results, out)
	if sum.Kept != 0 || sum.Drawn != sum.Charts {
		t.Errorf("the build after a cancelled one kept %d pages and drew %d of %d charts; want none kept, all drawn", sum.Kept, sum.Drawn, sum.Charts)
	}
	if _, err := os.Stat(filepath.Join(out, journalFile)); !os.IsNotExist(err) {
		t.Errorf("the journal is still there: %v", err)
	}
}

// A run read while its trainer writes it is never read half-written: each
// read gives a status and epochs that some moment of the run had together,
// or the one of two moments the fingerprint caught, never an error.
func TestReadRunWhileWritten(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "exp", "run")
	writeRun(t, dir, "exp", "", 1, fixtureRun{dir: "run", state: record.StateRunning, epochs: 1, planned: 100, quality: 0.5})
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 60; i++ {
			select {
			case <-stop:
				return
			default:
			}
			appendEpoch(t, dir, record.StateRunning)
		}
	}()
	for i := 0; i < 40; i++ {
		r, print, _, err := readRun(dir, "")
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if print == "" {
			t.Fatal("no fingerprint")
		}
		// The epochs are written before the status: a reader sees the
		// status of the same epoch or of the one before.
		if n := len(r.Epochs); r.Status.Epoch != n && r.Status.Epoch != n-1 {
			t.Errorf("read %d: status at epoch %d with %d epochs recorded", i, r.Status.Epoch, n)
		}
	}
	close(stop)
	wg.Wait()
}

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, record.StatusFile), []byte("{}"), 0o644)
	a, err := fingerprint(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Not records: the lock, a writer's temporary file.
	os.WriteFile(filepath.Join(dir, record.LockFile), []byte("123"), 0o644)
	os.WriteFile(filepath.Join(dir, ".status.json.tmp-1"), []byte("{"), 0o644)
	if b, _ := fingerprint(dir); b != a {
		t.Error("the lock or a temporary file changed the fingerprint")
	}
	for _, change := range []func(){
		func() { os.WriteFile(filepath.Join(dir, record.StatusFile), []byte(`{"x":1}`), 0o644) },
		func() { os.WriteFile(filepath.Join(dir, record.EpochsFile), nil, 0o644) },
		func() { os.Chtimes(filepath.Join(dir, record.EpochsFile), time.Time{}, time.Now().Add(time.Hour)) },
	} {
		change()
		b, _ := fingerprint(dir)
		if b == a {
			t.Error("a change of the records left the fingerprint as it was")
		}
		a = b
	}
	if _, err := fingerprint(filepath.Join(dir, "nosuch")); err == nil {
		t.Error("no error for a missing folder")
	}
}
