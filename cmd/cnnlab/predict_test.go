package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/data"
	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/runner/record"
)

// writeTestPicture writes a w×h picture, PNG or JPEG by the extension of
// path, in colour when colour is set, else grey.
func writeTestPicture(t *testing.T, path string, w, h int, colour bool) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8(40 + 200*y/h)
			c := color.RGBA{v, v, v, 255}
			if colour {
				c = color.RGBA{v, 255 - v, 30, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	var err error
	if strings.HasSuffix(path, ".png") {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 95})
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// trainTinyRun trains the folder experiment of the run tests once and
// returns the data set, the results folder and the run's folder.
func trainTinyRun(t *testing.T) (set, results, dir string) {
	t.Helper()
	set = writeFolderSet(t, 20)
	file := folderExperiment(t, set, 2, "")
	results = t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"run", file, "--results", results}, &out, &errb); code != 0 {
		t.Fatalf("run: %d\n%s%s", code, out.String(), errb.String())
	}
	all, err := record.ReadResults(results)
	if err != nil || len(all["e2e"]) != 1 {
		t.Fatalf("%v %v", all, err)
	}
	return set, results, all["e2e"][0].Dir
}

func TestPredict(t *testing.T) {
	set, results, dir := trainTinyRun(t)
	id := filepath.Base(dir)
	pics := t.TempDir()
	colour := filepath.Join(pics, "colour.jpg")
	writeTestPicture(t, colour, 40, 40, true)
	tiny := filepath.Join(pics, "tiny.png")
	writeTestPicture(t, tiny, 3, 3, false)
	wide := filepath.Join(pics, "wide.png")
	writeTestPicture(t, wide, 40, 8, false)
	plain := filepath.Join(pics, "plain.jpeg")
	writeTestPicture(t, plain, 16, 16, false)
	train := filepath.Join(set, "top", "000.png")

	// The run records the preprocessing it was trained with.
	var pre record.Preprocess
	if err := record.ReadJSON(filepath.Join(dir, record.PreprocessFile), &pre); err != nil {
		t.Fatal(err)
	}
	if pre.Size != 8 || pre.Channels != 1 || pre.Kind != "minmax" || len(pre.Offset) != 1 ||
		!slices.Equal(pre.Classes, []string{"bottom", "middle", "top"}) {
		t.Fatalf("recorded preprocessing %+v", pre)
	}
	if problems, _ := record.Verify(dir); len(problems) > 0 {
		t.Fatalf("run records: %v", problems)
	}

	// The probabilities of a picture of the data set are those of the
	// network on the picture as the folder reader reads it.
	ck, err := nn.Load(filepath.Join(dir, record.BestFile))
	if err != nil {
		t.Fatal(err)
	}
	pic, err := data.ReadPicture(train, 8, 1)
	if err != nil {
		t.Fatal(err)
	}
	x := nn.NewTensor(1, 8, 8, 1)
	prep := data.Preprocessor{Kind: data.PreprocessKind(pre.Kind), Offset: pre.Offset, Scale: pre.Scale}
	if err := prep.Convert(pic.Pixels, 1, x.Data); err != nil {
		t.Fatal(err)
	}
	want, err := ck.Net.Probabilities(x)
	if err != nil {
		t.Fatal(err)
	}

	var reference []byte
	for _, tc := range []struct {
		name string
		run  string
	}{
		{"folder", dir},
		{"id", id},
		{"best", "e2e/best"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "p.json")
			var stdout, stderr bytes.Buffer
			code := run([]string{"predict", tc.run, train, pics, "--results", results, "--top", "5", "--out", out}, &stdout, &stderr)
			if code != 0 {
				t.Fatalf("predict = %d\n%s%s", code, stdout.String(), stderr.String())
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			var got predictOutput
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if got.Run != dir || got.Model != filepath.Join(dir, record.BestFile) {
				t.Errorf("run %s model %s, want %s and its best checkpoint", got.Run, got.Model, dir)
			}
			names := []string{train, colour, plain, tiny, wide}
			if len(got.Predictions) != len(names) {
				t.Fatalf("%d predictions, want %d", len(got.Predictions), len(names))
			}
			for i, p := range got.Predictions {
				if p.Picture != names[i] {
					t.Errorf("prediction %d is of %s, want %s", i, p.Picture, names[i])
				}
				// --top 5 is cut to the 3 classes, most probable first.
				if len(p.Top) != 3 {
					t.Fatalf("%s: %d classes, want 3", p.Picture, len(p.Top))
				}
				sum := 0.0
				for r, c := range p.Top {
					sum += c.Probability
					if r > 0 && c.Probability > p.Top[r-1].Probability {
						t.Errorf("%s: not sorted: %+v", p.Picture, p.Top)
					}
					if pre.Classes[c.Index] != c.Class {
						t.Errorf("%s: class %d named %s", p.Picture, c.Index, c.Class)
					}
				}
				if math.Abs(sum-1) > 1e-5 {
					t.Errorf("%s: probabilities sum to %g", p.Picture, sum)
				}
			}
			for _, c := range got.Predictions[0].Top {
				if w := float64(want.Data[c.Index]); math.Abs(c.Probability-w) > 1e-6 {
					t.Errorf("%s: p(%s) = %g, the network gives %g", train, c.Class, c.Probability, w)
				}
			}
			for _, w := range []struct{ pic, says string }{
				{colour, "colour picture, read as grey"},
				{tiny, "3×3 is enlarged 2.7×"},
				{wide, "40×8 is more than twice as long as wide"},
			} {
				if !strings.Contains(stderr.String(), "warning: "+w.pic+": ") || !strings.Contains(stderr.String(), w.says) {
					t.Errorf("stderr lacks the warning %q for %s:\n%s", w.says, w.pic, stderr.String())
				}
			}
			for _, quiet := range []string{train, plain} {
				if strings.Contains(stderr.String(), quiet) {
					t.Errorf("a warning for %s:\n%s", quiet, stderr.String())
				}
			}
			if tc.name == "folder" {
				reference = b
			} else if !bytes.Equal(b, reference) {
				t.Errorf("predictions of %s differ from those of the run folder", tc.run)
			}
		})
	}

	// The table and the CSV say the same.
	var stdout, stderr bytes.Buffer
	if code := run([]string{"predict", id, train, "--results", results, "--top", "2"}, &stdout, &stderr); code != 0 {
		t.Fatalf("predict = %d\n%s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "PICTURE") || !strings.Contains(lines[0], "TOP 2") ||
		!strings.HasPrefix(lines[1], train) || strings.Count(lines[1], "%") != 2 {
		t.Errorf("table:\n%s", stdout.String())
	}
	csvPath := filepath.Join(t.TempDir(), "p.csv")
	stdout.Reset()
	if code := run([]string{"predict", id, train, "--results", results, "--top", "2", "--out", csvPath}, &stdout, &stderr); code != 0 {
		t.Fatalf("predict --out csv = %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "wrote 1 prediction to "+csvPath) {
		t.Errorf("stdout %q", stdout.String())
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], ",") != "picture,rank,class,probability" || rows[1][0] != train || rows[2][1] != "2" ||
		!strings.Contains(lines[1], rows[1][2]) {
		t.Errorf("csv %q, table %q", rows, lines[1])
	}

	// A run from before the preprocessing was recorded: it is fitted again
	// on the data set, with a note, and gives the same predictions.
	ref := filepath.Join(t.TempDir(), "ref.json")
	if code := run([]string{"predict", dir, train, plain, "--out", ref}, &stdout, &stderr); code != 0 {
		t.Fatalf("predict = %d\n%s", code, stderr.String())
	}
	if err := os.Remove(filepath.Join(dir, record.PreprocessFile)); err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(t.TempDir(), "again.json")
	stderr.Reset()
	if code := run([]string{"predict", dir, train, plain, "--out", again}, &stdout, &stderr); code != 0 {
		t.Fatalf("predict without %s = %d\n%s", record.PreprocessFile, code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "did not record its preprocessing; fitting it again on the data set "+set) {
		t.Errorf("no note of the preprocessing fitted again:\n%s", stderr.String())
	}
	var a, b predictOutput
	for _, x := range []struct {
		path string
		v    *predictOutput
	}{{ref, &a}, {again, &b}} {
		raw, err := os.ReadFile(x.path)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(raw, x.v); err != nil {
			t.Fatal(err)
		}
	}
	if !b.Preprocess.Recomputed || a.Preprocess.Recomputed || !slices.Equal(a.Preprocess.Offset, b.Preprocess.Offset) ||
		!slices.Equal(a.Preprocess.Scale, b.Preprocess.Scale) {
		t.Errorf("recorded %+v, fitted again %+v", a.Preprocess, b.Preprocess)
	}
	ja, _ := json.Marshal(a.Predictions)
	jb, _ := json.Marshal(b.Predictions)
	if !bytes.Equal(ja, jb) {
		t.Errorf("predictions differ:\n%s\n%s", ja, jb)
	}
}

func TestPredictErrors(t *testing.T) {
	set, results, dir := trainTinyRun(t)
	train := filepath.Join(set, "top", "000.png")
	pics := t.TempDir()
	gif := filepath.Join(pics, "drawing.png")
	if err := os.WriteFile(gif, []byte("GIF89a\x01\x00\x01\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir()
	if err := os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string // in stderr
		out  string   // in stdout
	}{
		{"no picture", []string{dir}, 2, []string{"need a run and at least one picture"}, ""},
		{"bad out", []string{dir, train, "--out", "p.txt"}, 2, []string{"--out p.txt: want a .csv or .json file"}, ""},
		{"top 0", []string{dir, train, "--top", "0"}, 2, []string{"--top 0, want at least 1"}, ""},
		{"unknown id", []string{"zzzzzzzzzz", train}, 1, []string{`no run "zzzzzzzzzz" under ` + results}, ""},
		{"no such experiment", []string{"nope/best", train}, 1, []string{`no finished run of experiment "nope"`}, ""},
		{"not a run folder", []string{set, train}, 1, []string{set + ": not a run folder"}, ""},
		{"missing picture", []string{dir, filepath.Join(pics, "missing.png")}, 1, []string{"missing.png"}, ""},
		{"folder without pictures", []string{dir, empty}, 1, []string{empty + ": no .png, .jpg or .jpeg files"}, ""},
		{"unreadable picture", []string{dir, gif, train}, 1,
			[]string{"error: " + gif + ": unreadable image: a GIF picture", "1 picture could not be read"}, train},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"predict", "--results", results}, tc.args...), &stdout, &stderr)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, stdout.String(), stderr.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
			if tc.out != "" && !strings.Contains(stdout.String(), tc.out) {
				t.Errorf("stdout lacks %q:\n%s", tc.out, stdout.String())
			}
		})
	}

	// A damaged preprocessing record is refused, naming it.
	if err := os.WriteFile(filepath.Join(dir, record.PreprocessFile), []byte(`{"size": 8, "channels": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"predict", dir, train}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), record.PreprocessFile+" is damaged") {
		t.Errorf("damaged %s: exit %d\n%s", record.PreprocessFile, code, stderr.String())
	}
}
