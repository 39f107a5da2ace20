package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// tinySet returns a made-up data set in MNIST's layout (3 classes, 3×2
// images) and the contents of its files.
func tinySet(t *testing.T) (*setSpec, map[string][]byte) {
	t.Helper()
	trainImg, trainLab := smallIDX(6, 3)
	testImg, testLab := smallIDX(3, 3)
	content := map[string][]byte{
		"train-images-idx3-ubyte": trainImg, "train-labels-idx1-ubyte": trainLab,
		"t10k-images-idx3-ubyte": testImg, "t10k-labels-idx1-ubyte": testLab,
	}
	spec := &setSpec{Name: "tiny", Classes: []string{"a", "b", "c"}, NClasses: 3, H: 3, W: 2, C: 1}
	for _, name := range []string{"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"} {
		sum := sha256.Sum256(content[name])
		spec.Files = append(spec.Files, fileSpec{name, hex.EncodeToString(sum[:]), int64(len(content[name]))})
	}
	return spec, content
}

// gzServer serves NAME.gz for each file and counts requests.
func gzServer(t *testing.T, content map[string][]byte) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		b, ok := content[strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), ".gz")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(gzipBytes(b))
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestFetchFromHTTPThenCached(t *testing.T) {
	spec, content := tinySet(t)
	srv, hits := gzServer(t, content)
	dir := filepath.Join(t.TempDir(), "tiny")
	sources := []source{handPlacedGzip(), httpGzip(srv.URL + "/")}
	var log bytes.Buffer
	set, err := loadSet(context.Background(), spec, dir, sources, LoadOptions{Log: &log})
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	if set.Train.N != 6 || set.Test.N != 3 || hits.Load() != 4 {
		t.Fatalf("got %d train, %d test images after %d requests; want 6, 3, 4", set.Train.N, set.Test.N, hits.Load())
	}
	if !strings.Contains(log.String(), "train-images-idx3-ubyte verified") {
		t.Errorf("log does not report the verified file:\n%s", log.String())
	}
	// A verified cache is not fetched again.
	if err := fetchSet(context.Background(), spec, dir, sources, nil); err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 4 {
		t.Errorf("second fetch made %d more requests, want 0", hits.Load()-4)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 4 {
		t.Errorf("cache holds %d entries, want the 4 files and no temporary ones: %v", len(entries), entries)
	}
}

func TestDamagedCacheIsFetchedAgain(t *testing.T) {
	spec, content := tinySet(t)
	srv, hits := gzServer(t, content)
	dir := filepath.Join(t.TempDir(), "tiny")
	sources := []source{httpGzip(srv.URL + "/")}
	if err := fetchSet(context.Background(), spec, dir, sources, nil); err != nil {
		t.Fatal(err)
	}
	// Flip one byte of a label file: same size, wrong checksum.
	p := filepath.Join(dir, "train-labels-idx1-ubyte")
	b, _ := os.ReadFile(p)
	b[len(b)-1] = 9
	writeFile(t, p, b)
	if _, err := loadSet(context.Background(), spec, dir, nil, LoadOptions{NoFetch: true}); err == nil ||
		!strings.Contains(err.Error(), p+": checksum mismatch") {
		t.Fatalf("loading a damaged cache without fetching: error %v, want a checksum mismatch naming %s", err, p)
	}
	var log bytes.Buffer
	set, err := loadSet(context.Background(), spec, dir, sources, LoadOptions{Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() != 5 {
		t.Errorf("re-fetch made %d requests, want 1 (only the damaged file)", hits.Load()-4)
	}
	if set.Train.Labels[5] != 2 {
		t.Errorf("label 5 = %d, want 2 from the re-fetched file", set.Train.Labels[5])
	}
	if !strings.Contains(log.String(), "checksum mismatch") {
		t.Errorf("log does not say the cached file was damaged:\n%s", log.String())
	}
}

func TestFetchFallsBackAndReportsEverySource(t *testing.T) {
	spec, content := tinySet(t)
	broken := map[string][]byte{}
	for k, v := range content {
		broken[k] = append([]byte(nil), v...)
	}
	broken["t10k-images-idx3-ubyte"][20] ^= 1 // right size, wrong checksum
	bad, _ := gzServer(t, broken)
	empty, _ := gzServer(t, nil)
	dir := filepath.Join(t.TempDir(), "tiny")
	missing := filepath.Join(t.TempDir(), "nowhere")
	sources := []source{
		handPlacedGzip(),
		httpGzip(empty.URL + "/"),
		httpGzip(bad.URL + "/"),
		localGzipDir(missing, "system package", "install it with `apt-get install something`"),
	}
	err := fetchSet(context.Background(), spec, dir, sources, nil)
	if err == nil {
		t.Fatal("no error although every source fails")
	}
	msg := err.Error()
	for _, want := range []string{
		"cannot fetch tiny: still missing t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte",
		"files placed by hand in the cache folder",
		empty.URL + "/train-images-idx3-ubyte.gz: 404 Not Found",
		"checksum mismatch",
		missing + " is not there: install it with `apt-get install something`",
		"place the files by hand in " + dir,
		spec.Files[2].SHA256,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	// The good files from the bad server stay; the bad one never appears.
	if _, err := os.Stat(filepath.Join(dir, "t10k-images-idx3-ubyte")); err == nil {
		t.Error("a file with the wrong checksum was put in the cache")
	}
	if err := checkCached(filepath.Join(dir, "train-images-idx3-ubyte"), spec.Files[0]); err != nil {
		t.Errorf("verified file from the partly bad source: %v", err)
	}
	// A later source completes the set.
	good, _ := gzServer(t, content)
	if err := fetchSet(context.Background(), spec, dir, append(sources, httpGzip(good.URL+"/")), nil); err != nil {
		t.Fatal(err)
	}
}

func TestFetchHandPlacedAndLocalDir(t *testing.T) {
	spec, content := tinySet(t)
	dir := filepath.Join(t.TempDir(), "tiny")
	sys := t.TempDir()
	// Two files gzipped by hand in the cache, two raw in a system folder.
	writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), gzipBytes(content["train-images-idx3-ubyte"]))
	writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte.gz"), gzipBytes(content["train-labels-idx1-ubyte"]))
	writeFile(t, filepath.Join(sys, "t10k-images-idx3-ubyte"), content["t10k-images-idx3-ubyte"])
	writeFile(t, filepath.Join(sys, "t10k-labels-idx1-ubyte.gz"), gzipBytes(content["t10k-labels-idx1-ubyte"]))
	sources := []source{handPlacedGzip(), localGzipDir(sys, "system package", "")}
	set, err := loadSet(context.Background(), spec, dir, sources, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if set.Train.N != 6 || set.Test.N != 3 {
		t.Errorf("got %d and %d images", set.Train.N, set.Test.N)
	}
}

// tarGz builds a gzipped tar archive of the files under folder.
func tarGz(t *testing.T, folder string, files map[string][]byte) []byte {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	tw.WriteHeader(&tar.Header{Name: "package/README.md", Mode: 0o644, Size: 2, Typeflag: tar.TypeReg})
	tw.Write([]byte("hi"))
	for name, c := range files {
		if err := tw.WriteHeader(&tar.Header{Name: folder + "/" + name, Mode: 0o644, Size: int64(len(c)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(c)
	}
	tw.Close()
	zw.Close()
	return b.Bytes()
}

func TestFetchTarball(t *testing.T) {
	spec, content := tinySet(t)
	archive := tarGz(t, "package/bin", content)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(archive) }))
	defer srv.Close()
	dir := filepath.Join(t.TempDir(), "tiny")
	if err := fetchSet(context.Background(), spec, dir, []source{httpTarball(srv.URL+"/x.tgz", "package/bin")}, nil); err != nil {
		t.Fatal(err)
	}
	for _, f := range spec.Files {
		if err := checkCached(filepath.Join(dir, f.Name), f); err != nil {
			t.Error(err)
		}
	}
	// An archive without the folder says so.
	dir2 := filepath.Join(t.TempDir(), "tiny")
	writeFile(t, filepath.Join(dir2, "a.tar.gz"), tarGz(t, "elsewhere", content))
	err := fetchSet(context.Background(), spec, dir2, []source{handPlacedTarball("a.tar.gz", "package/bin")}, nil)
	if err == nil || !strings.Contains(err.Error(), "has no train-images-idx3-ubyte") {
		t.Errorf("error %v, want it to say the archive lacks the files", err)
	}
}

func TestFetchUnknownSet(t *testing.T) {
	_, err := Fetch(context.Background(), "imagenet", nil)
	if err == nil || !strings.Contains(err.Error(), `unknown data set "imagenet"`) || !strings.Contains(err.Error(), "mnist") {
		t.Errorf("error %v", err)
	}
}

func TestCatalogMatchesSharedChecksums(t *testing.T) {
	b, err := os.ReadFile("../../shared/data/checksums.txt")
	if err != nil {
		t.Skipf("no shared checksum list here: %v", err)
	}
	n := 0
	for line := range strings.SplitSeq(string(b), "\n") {
		fields := strings.Fields(line)
		if len(fields) != 4 || strings.HasPrefix(line, "#") {
			continue
		}
		n++
		spec, err := lookup(fields[0])
		if err != nil {
			t.Error(err)
			continue
		}
		found := false
		for _, f := range spec.Files {
			if f.Name == fields[1] {
				found = true
				if f.SHA256 != fields[2] || strconv.FormatInt(f.Size, 10) != fields[3] {
					t.Errorf("%s %s: catalog has %s %d, list has %s %s", fields[0], f.Name, f.SHA256, f.Size, fields[2], fields[3])
				}
			}
		}
		if !found {
			t.Errorf("%s %s is missing from the catalog", fields[0], fields[1])
		}
	}
	if n != 15 {
		t.Errorf("read %d entries from the list, want 15", n)
	}
}

func TestFetchStopsWhenCancelled(t *testing.T) {
	spec, content := tinySet(t)
	srv, hits := gzServer(t, content)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := fetchSet(ctx, spec, filepath.Join(t.TempDir(), "tiny"), []source{httpGzip(srv.URL + "/")}, nil)
	if !errors.Is(err, context.Canceled) || hits.Load() != 0 {
		t.Errorf("cancelled fetch: error %v after %d requests; want context.Canceled and none", err, hits.Load())
	}
}
