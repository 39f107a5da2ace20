package main

import (
	"bytes"
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
		// Every problem of every file is printed, and valid files are still reported.
		{[]string{"validate", "../../experiments/testdata/bad/unknown-key.yaml", "../../experiments/seed/mnist.yaml", "../../experiments/testdata/bad/vanish.yaml"}, 1,
			[]string{"../../experiments/seed/mnist.yaml: ok"},
			[]string{
				`../../experiments/testdata/bad/unknown-key.yaml:4:24: model[0].conv.kernal: unknown key; did you mean "kernel"?`,
				`../../experiments/testdata/bad/unknown-key.yaml:9:3: train.optimiser: unknown key; did you mean "optimizer"?`,
				`../../experiments/testdata/bad/vanish.yaml:6:5: kernel=7 stride=2: model[2]: conv "conv2"`,
			}, "unknown-key.yaml: ok"},
		{[]string{"validate", "../../experiments/seed/mnist.yaml", "--set", "train.epochs=0"}, 1, nil,
			[]string{"--set train.epochs=0: train.epochs must be ≥ 1, got 0"}, ""},
		{[]string{"validate"}, 2, nil, []string{"no experiment file given"}, ""},
		// A folder that is not there passes (it may be made later), with a note.
		{[]string{"validate", "../../experiments/testdata/good/folder.yaml", "--set", "data.path=no-such-folder"}, 0,
			[]string{"folder.yaml: ok\n", "folder.yaml: note: data.path ", "no-such-folder: no such file or directory; the number of classes is not checked"}, nil, ""},
		{[]string{"validate", "../../experiments/testdata/good/folder.yaml"}, 0, []string{"folder.yaml: ok\n"}, nil, "note:"},
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
	if f := strings.Fields(lines[3]); len(f) != 7 || f[0] != "1" || f[2] != "3" || f[3] != "2" || f[5] != "130,722" {
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
