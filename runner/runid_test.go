package runner

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"

	"github.com/cnnlab/cnnlab/experiments"
)

// TestRunIDsPinned pins the run ids of the committed experiments: a run id
// is the hash of the canonical config, so a change to how layers (or
// anything else) are written in canonical form would orphan every result
// already on disk. Each entry is the run id of point 0 and a hash of the
// ids of all points.
func TestRunIDsPinned(t *testing.T) {
	want := map[string][2]string{
		"../experiments/best/cifar10.yaml":               {"f39588279f", "2d105dd197638f81"},
		"../experiments/best/mnist.yaml":                 {"478573b1cb", "d9d45e40522dbebe"},
		"../experiments/examples/allconv.yaml":           {"ef80a4cb24", "1adbc3e8a279c8f7"},
		"../experiments/seed/cifar10-l2.yaml":            {"b0abe74fb4", "285cd423b1a101d7"},
		"../experiments/seed/cifar10-preprocess.yaml":    {"49554def59", "03ddffee4191af9f"},
		"../experiments/seed/cifar10-stride-filter.yaml": {"768ca21cf1", "eb73d5a213aa23b8"},
		"../experiments/seed/cifar10.yaml":               {"fafe8ab151", "c07cfc4a292daba5"},
		"../experiments/seed/mnist-l2.yaml":              {"a2599b339f", "9d16bcb373ef6841"},
		"../experiments/seed/mnist-stride-filter.yaml":   {"b69b68dc8c", "7d06f6f43f2687f0"},
		"../experiments/seed/mnist.yaml":                 {"af3868800b", "a5a925495a3bd8f0"},
		"../experiments/demo.yaml":                       {"a88f87602e", "f1d1f9b46c07c2bd"},
		"../experiments/testdata/good/anchors.yaml":      {"c7e71bed6b", "a7c366c87cc4642f"},
		"../experiments/testdata/good/base.yaml":         {"47a5b6dee8", "a1ea139a05e71fc8"},
		"../experiments/testdata/good/child.yaml":        {"3506f832ef", "dd2964259361d72b"},
		"../experiments/testdata/good/every-key.yaml":    {"cb84a69d6b", "7e97cd83aa80e8d7"},
		"../experiments/testdata/good/features.yaml":     {"6b65bae9aa", "2c6e62173d4dd675"},
		"../experiments/testdata/good/grandchild.yaml":   {"33599a0082", "56a7da2a6eb13c17"},
		"../experiments/testdata/good/sweep.yaml":        {"1ab35adc72", "282c52564aa3ca44"},
	}
	files, err := filepath.Glob("../experiments/*/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, "../experiments/demo.yaml")
	files = append(files, goodFiles(t)...)
	seen := 0
	for _, f := range files {
		e, err := experiments.Load(f, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if e.Data.Set == experiments.SetFolder {
			continue // the resolved config holds the folder's absolute path
		}
		pts, err := e.Points()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		all := sha256.New()
		var first string
		for i, p := range pts {
			y, err := p.Experiment.ResolvedYAML()
			if err != nil {
				t.Fatalf("%s point %d: %v", f, i, err)
			}
			id := RunID(y)
			if i == 0 {
				first = id
			}
			all.Write([]byte(id + "\n"))
		}
		got := [2]string{first, hex.EncodeToString(all.Sum(nil))[:16]}
		w, ok := want[filepath.ToSlash(f)]
		if !ok {
			t.Logf("%q: {%q, %q},", filepath.ToSlash(f), got[0], got[1])
			continue
		}
		seen++
		if got != w {
			t.Errorf("%s: run ids %v, want %v", f, got, w)
		}
	}
	if seen != len(want) {
		t.Errorf("checked %d pinned files, want %d", seen, len(want))
	}
}

func goodFiles(t *testing.T) []string {
	t.Helper()
	fs, err := filepath.Glob("../experiments/testdata/good/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return fs
}
