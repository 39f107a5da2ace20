package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

// writeFolderSet writes a small folder data set of 8×8 gray PNGs: three
// classes, each a bright band at its own height.
func writeFolderSet(t *testing.T, perClass int) string {
	t.Helper()
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	for c, name := range []string{"bottom", "middle", "top"} {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range perClass {
			img := image.NewGray(image.Rect(0, 0, 8, 8))
			for y := range 8 {
				for x := range 8 {
					v := rng.IntN(90)
					if y/3 == 2-c || (c == 0 && y >= 6) {
						v += 150
					}
					img.SetGray(x, y, color.Gray{Y: uint8(v)})
				}
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.png", i)), buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func folderExperiment(t *testing.T, set string, epochs int, sweep string) string {
	t.Helper()
	text := fmt.Sprintf(`name: e2e
data:
  set: folder
  path: %s
  size: 8
  channels: 1
  split: {val: 15, test: 15}
model:
  - conv: {filters: 4, kernel: 3, activation: relu}
  - maxpool: {size: 2}
  - flatten
  - dense: {units: 3}
train:
  epochs: %d
  batch: 10
  optimizer: {adam: {lr: 0.01}}
report:
  gallery: 3
  feature_maps: {images: 3}
%s`, set, epochs, sweep)
	path := filepath.Join(t.TempDir(), "e2e.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRunCommandEndToEnd(t *testing.T) {
	set := writeFolderSet(t, 30)
	file := folderExperiment(t, set, 2, "sweep:\n  grid:\n    model[0].conv.kernel: [3, 5]\n")
	results := t.TempDir()

	var out, errb bytes.Buffer
	code := run([]string{"run", file, "--results", results}, &out, &errb)
	if code != 0 {
		t.Fatalf("cnnlab run = %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"kernel=3: epoch 1/2", "kernel=5: epoch 2/2", "2 runs: 2 done"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	all, err := record.ReadResults(results)
	if err != nil {
		t.Fatal(err)
	}
	runs := all["e2e"]
	if len(runs) != 2 {
		t.Fatalf("%d runs recorded, want 2", len(runs))
	}
	for _, r := range runs {
		if r.Status.State != record.StateDone || r.Analysis == nil || len(r.Epochs) != 2 {
			t.Errorf("run %s: state %s, %d epochs, analysis %v", r.Status.RunID, r.Status.State, len(r.Epochs), r.Analysis != nil)
		}
		if got := r.Analysis.Classes; fmt.Sprint(got) != "[bottom middle top]" {
			t.Errorf("classes %v", got)
		}
	}

	// The rerun command of a run redoes exactly that run.
	cmd := strings.Fields(runs[0].Status.Command)
	if cmd[0] != "cnnlab" || cmd[1] != "run" {
		t.Fatalf("command %q", runs[0].Status.Command)
	}
	out.Reset()
	if code := run(append(cmd[1:], "--results", results), &out, &errb); code != 0 {
		t.Fatalf("rerun command: %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), runs[0].Status.RunID) || !strings.Contains(out.String(), "1 run: 1 done") {
		t.Errorf("rerun command output:\n%s", out.String())
	}

	// A second run skips both; runs lists them.
	out.Reset()
	if code := run([]string{"run", "--results", results, file}, &out, &errb); code != 0 {
		t.Fatalf("second run: %d", code)
	}
	if strings.Count(out.String(), "already done") != 2 {
		t.Errorf("second run did not skip both runs:\n%s", out.String())
	}
	out.Reset()
	if code := run([]string{"runs", "--results", results, "e2e"}, &out, &errb); code != 0 {
		t.Fatalf("runs: %d %s", code, errb.String())
	}
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 3 ||
		!strings.Contains(out.String(), "kernel=5") || !strings.Contains(lines[1], "done") {
		t.Errorf("runs table:\n%s", out.String())
	}
}

func TestRunCommandErrors(t *testing.T) {
	set := writeFolderSet(t, 10)
	bad := folderExperiment(t, set, 1, "")
	b, _ := os.ReadFile(bad)
	os.WriteFile(bad, bytes.Replace(b, []byte("kernel: 3"), []byte("kernel: 30"), 1), 0o644)
	tests := []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"run"}, 2, "no experiment file"},
		{[]string{"run", "x.yaml", "--parallel", "0"}, 2, "--parallel 0"},
		{[]string{"run", "--bogus", "x.yaml"}, 2, "flag provided but not defined"},
		{[]string{"run", bad, "--results", t.TempDir()}, 1, "e2e.yaml:"},
		// A wrong value and a shape problem are reported together.
		{[]string{"run", "../../experiments/testdata/bad/value-and-shape.yaml", "--results", t.TempDir()}, 1,
			"value-and-shape.yaml:7:5: model[2] dense1: dense after a 13×13×8 feature map needs a flatten layer before it\n" +
				"../../experiments/testdata/bad/value-and-shape.yaml:9:26: train.optimizer.adam.lr must be > 0, got -0.001"},
		{[]string{"summary", "../../experiments/testdata/bad/value-and-shape.yaml"}, 1,
			"value-and-shape.yaml:7:5: model[2] dense1: dense after a 13×13×8 feature map needs a flatten layer before it\n" +
				"../../experiments/testdata/bad/value-and-shape.yaml:9:26: train.optimizer.adam.lr must be > 0, got -0.001"},
		{[]string{"runs", "--results", filepath.Join(t.TempDir(), "none")}, 1, "no results folder"},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.code || !strings.Contains(errb.String(), tt.inStderr) {
			t.Errorf("run(%q) = %d, stderr %q; want %d and %q", tt.args, code, errb.String(), tt.code, tt.inStderr)
		}
	}
}
