package reports

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// buildFixture writes the synthetic records and builds a site from them
// without touching the network or the user's cache.
func buildFixture(t *testing.T) (results, out string, sum *Summary, warn string) {
	t.Helper()
	root := t.TempDir()
	results, out = filepath.Join(root, "results"), filepath.Join(root, "site")
	writeFixture(t, results)
	var w strings.Builder
	sum, err := Build(Options{Results: results, Out: out, CacheDir: filepath.Join(root, "cache"), NoFetch: true, Warn: &w})
	if err != nil {
		t.Fatal(err)
	}
	return results, out, sum, w.String()
}

// shared is one site built from the fixture, for tests that only read it.
var shared struct {
	once              sync.Once
	dir, results, out string
	sum               *Summary
	warn              string
	err               error
}

// sharedSite builds the fixture's site once per test binary, with echarts
// from the user's cache (fetched with npm the first time).
func sharedSite(t *testing.T) (out string, sum *Summary, warn string) {
	t.Helper()
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "cnnlab-reports-test-")
		if shared.err != nil {
			return
		}
		shared.results, shared.out = filepath.Join(shared.dir, "results"), filepath.Join(shared.dir, "site")
		writeFixture(t, shared.results)
		var w strings.Builder
		shared.sum, shared.err = Build(Options{Results: shared.results, Out: shared.out, Warn: &w})
		shared.warn = w.String()
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.out, shared.sum, shared.warn
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
	for _, dir := range []string{fixtureSite.root, scaleSweep.root} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	os.Exit(code)
}

// tree reads every file under dir: slash path → sha256.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		sum := sha256.Sum256(b)
		files[filepath.ToSlash(rel)] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestBuildIsDeterministicAndIncremental(t *testing.T) {
	results, out, sum, warn := buildFixture(t)
	if sum.Experiments != 5 || sum.Runs != 25 || sum.Pages != 1+2*5+25 {
		t.Errorf("summary %+v: want 5 experiments, 25 runs, 36 pages (index, each sweep and its compare page, each run)", sum)
	}
	if !sum.CDN || !strings.Contains(warn, "needs the internet") {
		t.Errorf("without a cached echarts the build should fall back to the CDN and warn; CDN=%v warning %q", sum.CDN, warn)
	}
	if sum.Charts == 0 || sum.Drawn != sum.Charts {
		t.Errorf("first build drew %d of %d charts", sum.Drawn, sum.Charts)
	}
	first := tree(t, out)

	// Again into the same folder: nothing changes, nothing is redrawn.
	again, err := Build(Options{Results: results, Out: out, CacheDir: t.TempDir(), NoFetch: true})
	if err != nil {
		t.Fatal(err)
	}
	if again.Written != 0 || again.Drawn != 0 {
		t.Errorf("second build wrote %d files and drew %d charts, want 0 and 0", again.Written, again.Drawn)
	}
	if second := tree(t, out); !sameTree(t, first, second) {
		t.Error("rebuilding changed the site")
	}

	// Into a fresh folder: the same bytes.
	out2 := filepath.Join(t.TempDir(), "site")
	if _, err := Build(Options{Results: results, Out: out2, CacheDir: t.TempDir(), NoFetch: true}); err != nil {
		t.Fatal(err)
	}
	if !sameTree(t, first, tree(t, out2)) {
		t.Error("building into a fresh folder gave different files")
	}
}

func sameTree(t *testing.T, a, b map[string]string) bool {
	t.Helper()
	same := true
	for p, h := range a {
		if b[p] != h {
			t.Errorf("%s differs", p)
			same = false
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			t.Errorf("%s is new", p)
			same = false
		}
	}
	return same
}

var linkRE = regexp.MustCompile(`(?:href|src)="([^"]*)"`)

// TestSiteLinksAndSafety checks every page: every local link and picture
// exists inside the site, every chart has its PNG, and no string from the
// records reaches the page unescaped.
func TestSiteLinksAndSafety(t *testing.T) {
	out, _, _ := sharedSite(t)
	pages := 0
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(out, p)
		for _, part := range strings.Split(filepath.ToSlash(rel), "/") {
			if part != "." && (strings.ContainsAny(part, `<>"' &\`) || strings.HasPrefix(part, "..")) {
				t.Errorf("unsafe path in the site: %q", rel)
			}
		}
		if d.IsDir() || !strings.HasSuffix(p, ".html") {
			return nil
		}
		pages++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		html := string(b)
		for _, evil := range []string{evilName, evilExpDir, evilClass, evilLayer, evilValue, "<svg onload", "onerror=alert"} {
			if strings.Contains(html, evil) {
				t.Errorf("%s: holds %q unescaped", rel, evil)
			}
		}
		for _, m := range linkRE.FindAllStringSubmatch(html, -1) {
			link := m[1]
			if link == echartsCDN+echartsFile || strings.HasPrefix(link, "#") {
				continue
			}
			target := path.Clean(path.Join(path.Dir(filepath.ToSlash(rel)), link))
			if strings.HasPrefix(target, "../") {
				t.Errorf("%s: link %q leaves the site", rel, link)
				continue
			}
			if _, err := os.Stat(filepath.Join(out, filepath.FromSlash(target))); err != nil {
				t.Errorf("%s: link %q: %v", rel, link, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages != 36 {
		t.Errorf("found %d pages, want 36", pages)
	}
	// The escaped forms are there: the names are shown, not dropped.
	b, err := os.ReadFile(filepath.Join(out, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("index does not show the experiment's name escaped")
	}
}

func TestBuildRefusesForeignFolderAndRemovesStaleFiles(t *testing.T) {
	results, out, _, _ := buildFixture(t)

	foreign := t.TempDir()
	if err := os.WriteFile(filepath.Join(foreign, "thesis.tex"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Build(Options{Results: results, Out: foreign, CacheDir: t.TempDir(), NoFetch: true})
	if err == nil || !strings.Contains(err.Error(), "not made by cnnlab report") {
		t.Errorf("building into a folder of other files: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(foreign, "thesis.tex")); err != nil {
		t.Errorf("the foreign file is gone: %v", err)
	}

	// A run that disappears from the results disappears from the site.
	if err := os.RemoveAll(filepath.Join(results, "grid", "run-02")); err != nil {
		t.Fatal(err)
	}
	if _, err := Build(Options{Results: results, Out: out, CacheDir: t.TempDir(), NoFetch: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "grid", "run-02")); !os.IsNotExist(err) {
		t.Errorf("the page of a removed run is still there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "grid", "run-01", "index.html")); err != nil {
		t.Errorf("the page of a kept run is gone: %v", err)
	}

	// A run whose records are broken is left out with a warning.
	if err := os.WriteFile(filepath.Join(results, "grid", "run-05", "epochs.jsonl"), []byte("{\"epoch\": 1}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var warn strings.Builder
	if _, err := Build(Options{Results: results, Out: out, CacheDir: t.TempDir(), NoFetch: true, Warn: &warn}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(warn.String(), "left out of the report") || !strings.Contains(warn.String(), "epochs.jsonl:2") {
		t.Errorf("warning about a broken run: %q", warn.String())
	}
	if _, err := os.Stat(filepath.Join(out, "grid", "run-05")); !os.IsNotExist(err) {
		t.Errorf("the page of a broken run is there: %v", err)
	}

	if _, err := Build(Options{Results: filepath.Join(results, "nosuch"), Out: out}); err == nil || !strings.Contains(err.Error(), "results folder") {
		t.Errorf("missing results folder: err = %v", err)
	}
}

func TestEchartsFromTgz(t *testing.T) {
	mk := func(name string, body []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		tw := tar.NewWriter(zw)
		tw.WriteHeader(&tar.Header{Name: "package/README.md", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
		tw.Write([]byte("hi"))
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg})
		tw.Write(body)
		tw.Close()
		zw.Close()
		return buf.Bytes()
	}
	body := []byte("var echarts = {};")
	got, err := fileFromTgz(bytes.NewReader(mk(echartsInTar, body)), echartsInTar, 1<<20)
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("fileFromTgz = %q, %v; want %q", got, err, body)
	}
	if _, err := fileFromTgz(bytes.NewReader(mk("package/other.js", body)), echartsInTar, 1<<20); err == nil {
		t.Error("fileFromTgz found a file that is not in the archive")
	}
	if _, err := fileFromTgz(bytes.NewReader(mk(echartsInTar, body)), echartsInTar, 4); err == nil {
		t.Error("fileFromTgz accepted a file over the limit")
	}
	if err := checkEcharts(body); err == nil {
		t.Error("checkEcharts accepted bytes with the wrong sha256")
	}

	// A cached script that does not match its hash is refused, not served.
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Dir(echartsPath(dir)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(echartsPath(dir), body, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadEcharts(dir); err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Errorf("loadEcharts with a corrupt cache: err = %v", err)
	}
}

// TestDoesNotImportEngine keeps the report independent of the training
// engine: it must build from run records alone.
func TestDoesNotImportEngine(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go command not found")
	}
	out, err := exec.Command(gobin, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps listed only %q", deps)
	}
	for _, d := range deps {
		if d == "github.com/cnnlab/cnnlab/nn" || strings.HasPrefix(d, "github.com/cnnlab/cnnlab/nn/") ||
			d == "github.com/cnnlab/cnnlab/runner" || d == "github.com/cnnlab/cnnlab/data" {
			t.Errorf("reports depends on %s", d)
		}
	}
}

// A gallery image lists every class's probability in its title and draws
// bars for the likeliest classes and the true one.
func TestGalleryProbabilities(t *testing.T) {
	out, _, _ := sharedSite(t)
	b, err := os.ReadFile(filepath.Join(out, "grid", "run-01", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	// Test image 10: true 0, predicted 1 with 0.8, the true class 0.15.
	for _, want := range []string{
		`<figure class="wrong" title="class probabilities:` + "\n1 80.00%\n0 15.00%\n2 5.00%" + `">`,
		`<li><span>1</span><i style="width: 80%"></i><b>80.00%</b></li><li class="true"><span>0</span><i style="width: 15%"></i><b>15.00%</b></li>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("run page lacks %q", want)
		}
	}
	if n := strings.Count(html, `<ol class="probs">`); n != 6 {
		t.Errorf("%d probability lists, want one per gallery image (6)", n)
	}
}

// A run trained by a Slurm array task names it in its environment.
func TestSlurmJobShown(t *testing.T) {
	out, _, _ := sharedSite(t)
	for run, want := range map[string]bool{"run-02": true, "run-01": false} {
		b, err := os.ReadFile(filepath.Join(out, "grid", run, "index.html"))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(string(b), "<tr><th>Slurm job</th><td>4242_1</td></tr>"); got != want {
			t.Errorf("%s: shows the Slurm job: %v, want %v", run, got, want)
		}
	}
}
