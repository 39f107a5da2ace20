package main

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		args       []string
		code       int
		wantOut    []string
		wantErr    []string
		notWantOut string
	}{
		{[]string{"validate", "../../experiments/demo.yaml", "../../experiments/seed/mnist.yaml"}, 0,
			[]string{"../../experiments/demo.yaml: ok (4 runs)", "../../experiments/seed/mnist.yaml: ok"}, nil, ""},
		// A search says how many runs and epochs it takes at most.
		{[]string{"validate", "../../experiments/examples/search-cifar10.yaml", "../../experiments/examples/search-cifar10-grid.yaml"}, 0,
			[]string{"../../experiments/examples/search-cifar10.yaml: ok: at most 27 runs and 63 epochs (successive halving by val_acc, factor 3: rungs at 1, 3, 9 epochs of 27, 9, 3 points)",
				"../../experiments/examples/search-cifar10-grid.yaml: ok (16 runs)"}, nil, ""},
		{[]string{"validate", "../../experiments/examples/search-cifar10.yaml", "--set", "sweep.halving.metric=test_acc"}, 1, nil,
			[]string{"--set sweep.halving.metric=test_acc: sweep.halving.metric: test_acc is measured on the test set"}, ""},
		// Every problem of every file is printed, and valid files are still reported.
		{[]string{"validate", "../../experiments/testdata/bad/unknown-key.yaml", "../../experiments/seed/mnist.yaml", "../../experiments/testdata/bad/vanish.yaml"}, 1,
			[]string{"../../experiments/seed/mnist.yaml: ok"},
			[]string{
				`../../experiments/testdata/bad/unknown-key.yaml:4:24: model[0].conv.kernal: unknown key; did you mean "kernel"?`,
				`../../experiments/testdata/bad/unknown-key.yaml:9:3: train.optimiser: unknown key; did you mean "optimizer"?`,
				`../../experiments/testdata/bad/vanish.yaml:11:31: sweep.grid model[0].conv.kernel=7 with stride=2: model[2] (line 6): conv "conv2"`,
			}, "unknown-key.yaml: ok"},
		// A wrong value does not hide a shape problem.
		{[]string{"validate", "../../experiments/testdata/bad/value-and-shape.yaml"}, 1, nil,
			[]string{
				"value-and-shape.yaml:7:5: model[2] dense1: dense after a 13×13×8 feature map needs a flatten layer before it\n",
				"value-and-shape.yaml:9:26: train.optimizer.adam.lr must be > 0, got -0.001\n",
			}, ""},
		{[]string{"validate", "../../experiments/seed/mnist.yaml", "--set", "train.epochs=0"}, 1, nil,
			[]string{"--set train.epochs=0: train.epochs must be ≥ 1, got 0"}, ""},
		{[]string{"validate"}, 2, nil, []string{"no experiment file given"}, ""},
		// A folder data set is read as a run would read it: a path that is
		// not there fails before training.
		{[]string{"validate", "../../experiments/testdata/good/folder.yaml", "--set", "data.path=no-such-folder"}, 1, nil,
			[]string{"--set data.path=no-such-folder: data.path: ", "no-such-folder: no such folder\n"}, "folder.yaml: ok"},
		{[]string{"validate", "../../experiments/testdata/good/folder.yaml", "--set", "train.batch=2"}, 0,
			[]string{"../../experiments/testdata/good/folder.yaml: ok"}, nil, ""},
		// Its 6 pictures leave 2 to train on: the default batch of 64 would
		// make every epoch one step.
		{[]string{"validate", "../../experiments/testdata/good/folder.yaml"}, 1, nil,
			[]string{"train.batch 64 is larger than the 2 training images of ", "use a batch of at most 2\n"}, ""},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.code {
			t.Errorf("%q: exit %d, want %d\nstdout %s\nstderr %s", tt.args, code, tt.code, out.String(), errb.String())
		}
		for _, w := range tt.wantOut {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%q: stdout lacks %q:\n%s", tt.args, w, out.String())
			}
		}
		for _, w := range tt.wantErr {
			if !strings.Contains(errb.String(), w) {
				t.Errorf("%q: stderr lacks %q:\n%s", tt.args, w, errb.String())
			}
		}
		if tt.notWantOut != "" && strings.Contains(out.String(), tt.notWantOut) {
			t.Errorf("%q: stdout has %q", tt.args, tt.notWantOut)
		}
	}
}

func TestSummary(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"summary", "../../experiments/seed/mnist.yaml", "--point", "0"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, w := range []string{"input 28×28×1, 10 classes", "conv1", "28@3×3 stride 1 valid", "26×26×28", "605,824", "total", "607,394"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, out.String())
		}
	}
	// The memory estimate, part by part, at the file's batch of 32.
	for _, w := range []string{"memory to train at batch 32 (estimate): ", "  weights and gradients ", "most in dense1 ", "optimizer state (adam)", "activations at batch 32", "data set (mnist, one byte a pixel)", "52.3 MiB\n"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, out.String())
		}
	}
	// Names start at the left edge, numbers end at the right one.
	for _, w := range []string{"\nlayer ", "\nconv1 ", "\ntotal ", "    607,394  "} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("summary lacks %q (columns aligned as in Keras):\n%s", w, out.String())
		}
	}

	out.Reset()
	if code := run([]string{"summary", "../../experiments/seed/mnist-stride-filter.yaml"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	// A heading, the column names, 8 points, a hint.
	if len(lines) != 11 || !strings.Contains(lines[0], "8 points × 3 seeds = 24 runs") {
		t.Fatalf("sweep summary:\n%s", out.String())
	}
	if f := strings.Fields(lines[3]); len(f) != 9 || f[0] != "1" || f[2] != "3" || f[3] != "2" || f[5] != "130,722" || f[8] != "MiB" {
		t.Errorf("row of point 1 (kernel 3, stride 2): %q", f)
	}
	if !strings.Contains(lines[9], "16@3x3+16@5x5") {
		t.Errorf("last point row %q", lines[9])
	}

	out.Reset()
	if code := run([]string{"summary", "../../experiments/seed/mnist-stride-filter.yaml", "--point", "7"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "16@5×5 stride 1 valid") || !strings.Contains(out.String(), "point 7: variant=16@3x3+16@5x5") {
		t.Errorf("point 7:\n%s", out.String())
	}

	errb.Reset()
	if code := run([]string{"summary", "../../experiments/testdata/bad/classes.yaml"}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "classes.yaml:4:5: model[1] dense1: the last layer has 12 outputs") {
		t.Errorf("bad file: exit %d, stderr %s", code, errb.String())
	}
}

// writePNG writes a w×h picture, grey or RGB, as a PNG file at path.
func writePNG(t *testing.T, path string, w, h int, grey bool) {
	t.Helper()
	var img image.Image = image.NewRGBA(image.Rect(0, 0, w, h))
	if grey {
		img = image.NewGray(image.Rect(0, 0, w, h))
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, path, b.Bytes())
}

func writeTestFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestValidateFolder(t *testing.T) {
	// data.path is the key at 4:3, data.split the one at 7:3.
	const experiment = `name: pets
data:
  set: folder
  path: %s
  size: 4
  channels: 3
  split: {val: 2, test: 2}
model:
  - flatten
  - dense: {units: 2}
train: {batch: 2}
%s`
	good := func(root string) {
		// Any size, grey or RGB: pictures are scaled, cropped and converted.
		for i, p := range []string{"pets/cat/1.png", "pets/cat/2.png", "pets/cat/3.png", "pets/dog/1.png", "pets/dog/2.png", "pets/dog/3.png"} {
			writePNG(t, filepath.Join(root, p), 3+i, 5, i%2 == 0)
		}
	}
	tests := []struct {
		name    string
		path    string // data.path
		extra   string // more YAML
		setup   func(root string)
		wantErr []string // {root} is replaced; nil means valid
	}{
		{"good folder", "pets", "", good, nil},
		{"missing folder", "pest", "", good, []string{"{file}:4:3: data.path: {root}/pest: no such folder\n"}},
		{"a file, not a folder", "pets/cat/1.png", "", good, []string{"{file}:4:3: data.path: {root}/pets/cat/1.png: not a folder"}},
		{"no class folders", "pets/cat", "", good, []string{"{file}:4:3: data.path: {root}/pets/cat: no class folders"}},
		{"one class", "pets", "", func(root string) {
			for i := range 6 {
				writePNG(t, filepath.Join(root, "pets", "cat", fmt.Sprintf("%d.png", i)), 4, 4, false)
			}
		}, []string{"{file}:4:3: data.path: {root}/pets has one class folder (cat); a classifier needs at least two classes\n", "has 1 classes"}},
		{"empty class folder", "pets", "", func(root string) {
			good(root)
			writeTestFile(t, filepath.Join(root, "pets", "emu", "notes.txt"), []byte("no pictures"))
		}, []string{"{file}:4:3: data.path: {root}/pets/emu: empty class folder: no .png, .jpg or .jpeg files (1 other files skipped)\n",
			// The class count is checked too.
			"{file}:10:5: model[1] dense1: the last layer has 2 outputs but {root}/pets has 3 classes"}},
		{"unreadable pictures", "pets", "", func(root string) {
			good(root)
			for _, p := range []string{"cat/4.png", "cat/5.jpg", "dog/4.png", "dog/5.png", "dog/6.jpeg"} {
				writeTestFile(t, filepath.Join(root, "pets", p), []byte("not a picture"))
			}
		}, []string{
			"{file}:4:3: data.path: {root}/pets/cat/4.png: unreadable image: an unknown format; pictures must be PNG or JPEG\n",
			"{file}:4:3: data.path: {root}/pets/cat/5.jpg: unreadable image: an unknown format; pictures must be PNG or JPEG\n",
			"{file}:4:3: data.path: {root}/pets/dog/4.png: unreadable image: an unknown format; pictures must be PNG or JPEG\n",
			"{file}:4:3: data.path: {root}/pets: and 2 more unreadable pictures (11 pictures in all)\n",
		}},
		{"split larger than the folder", "pets", "sweep:\n  grid:\n    data.split.val: [2, 4]\n", good,
			[]string{"{file}:7:3: val=4: data.split of {root}/pets: val 4 leaves nothing of the 4 pictures to train on (the folder has 6)\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tt.setup(root)
			file := filepath.Join(root, "pets.yaml")
			writeTestFile(t, file, []byte(fmt.Sprintf(experiment, tt.path, tt.extra)))
			var out, errb bytes.Buffer
			code := run([]string{"validate", file}, &out, &errb)
			if tt.wantErr == nil {
				if code != 0 || out.String() != file+": ok (2 runs)\n" && out.String() != file+": ok\n" {
					t.Errorf("exit %d, stdout %q, stderr:\n%s", code, out.String(), errb.String())
				}
				return
			}
			if code != 1 || out.Len() != 0 {
				t.Errorf("exit %d, want 1; stdout %q", code, out.String())
			}
			if n := strings.Count(errb.String(), "\n"); n != len(tt.wantErr) {
				t.Errorf("%d problems, want %d:\n%s", n, len(tt.wantErr), errb.String())
			}
			for _, w := range tt.wantErr {
				w = strings.NewReplacer("{file}", file, "{root}", root).Replace(w)
				if !strings.Contains(errb.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errb.String())
				}
			}
		})
	}
}

// TestValidateSweepValue checks that a shape problem caused by a swept value
// is reported once per value, at the value, by every command that checks
// shapes.
func TestValidateSweepValue(t *testing.T) {
	// The first conv layer is on line 6, the second on line 8; the sweep
	// starts on line 11.
	const net = `name: bad
data:
  set: mnist
  split: {train: 1000, val: 100}
model:
  - conv: {filters: 8, kernel: 3, padding: valid, activation: relu}
  - maxpool: {size: 2}
  - conv: {filters: 8, kernel: 5, padding: valid}
  - flatten
  - dense: {units: 10}
`
	const window = `: conv "conv1": input 28×28×1: the %d×%d window does not fit the padded input 28×28: the output would be empty`
	tests := []struct {
		name  string
		sweep string
		sets  []string
		want  []string // stderr, line by line
	}{
		{"two failing values × 3 seeds", `sweep:
  grid:
    model[0].conv.kernel: [3, 29, 30]
    train.batch: [16, 32]
  seeds: 3
`, nil, []string{
			"FILE:13:31: sweep.grid model[0].conv.kernel=29: model[0] (line 6)" + fmt.Sprintf(window, 29, 29),
			"FILE:13:35: sweep.grid model[0].conv.kernel=30: model[0] (line 6)" + fmt.Sprintf(window, 30, 30),
		}},
		{"a stride that empties a later layer", `sweep:
  zip:
    model[0].conv.stride: [1, 4]
    train.batch: [16, 32]
`, nil, []string{
			`FILE:13:31: sweep.zip model[0].conv.stride=4: model[2] (line 8): conv "conv2": input 3×3×8: the 5×5 window does not fit the padded input 3×3: the output would be empty`,
		}},
		{"an include that replaces the model", `sweep:
  include:
    - variant: wide
      model:
        - conv: {filters: 8, kernel: 29}
        - flatten
        - dense: {units: 10}
`, nil, []string{
			"FILE:14:7: sweep.include[0] model: model[0] (line 15)" + fmt.Sprintf(window, 29, 29),
		}},
		{"a sweep given by --set", "", []string{`sweep.grid={"model[0].conv.kernel": [3, 29]}`}, []string{
			`--set sweep.grid={"model[0].conv.kernel": [3, 29]}: sweep.grid model[0].conv.kernel=29: model[0] (line 6 of FILE)` + fmt.Sprintf(window, 29, 29),
		}},
		{"a layer given by --set keeps the layer's line", "", []string{"model[0].conv.kernel=29"}, []string{
			"FILE:6:5: model[0]" + fmt.Sprintf(window, 29, 29),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "bad.yaml")
			writeTestFile(t, file, []byte(net+tt.sweep))
			want := strings.ReplaceAll(strings.Join(tt.want, "\n"), "FILE", file) + "\n"
			for _, cmd := range []string{"validate", "summary"} {
				args := []string{cmd, file}
				for _, s := range tt.sets {
					args = append(args, "--set", s)
				}
				var out, errb bytes.Buffer
				if code := run(args, &out, &errb); code != 1 {
					t.Errorf("%s: exit %d, want 1", cmd, code)
				}
				if errb.String() != want {
					t.Errorf("%s: stderr\n%s\nwant\n%s", cmd, errb.String(), want)
				}
			}
		})
	}
}
