package reports

import (
	"bytes"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

// TestTricksSection adds the evaluations and whitening records to one run
// of the fixture and checks that its page shows the table of accuracies
// and the picture of the filters, and that the other runs show neither.
func TestTricksSection(t *testing.T) {
	root := t.TempDir()
	results, out := filepath.Join(root, "results"), filepath.Join(root, "site")
	writeFixture(t, results)
	var runDir string
	filepath.WalkDir(results, func(p string, d fs.DirEntry, err error) error {
		if err == nil && runDir == "" && d.Name() == record.StatusFile {
			runDir = filepath.Dir(p)
		}
		return nil
	})
	ev := record.Evaluations{Epoch: 3, Used: "average, translate", Rows: []record.Evaluation{
		{Weights: "raw", TTA: "none", TestAcc: 0.81, TestLoss: 0.6}, {Weights: "raw", TTA: "flip", TestAcc: 0.82, TestLoss: 0.55},
		{Weights: "average", TTA: "none", TestAcc: 0.83, TestLoss: 0.5}, {Weights: "average", TTA: "flip", TestAcc: 0.8475, TestLoss: 0.45},
	}}
	wh := record.Whitening{Layer: "conv1", KernelH: 2, KernelW: 2, Channels: 3, Images: 5000, Eps: 5e-4,
		Eigenvalues: []float64{3, 0.5}}
	for f := range 24 {
		filter := make([]float32, 12)
		for i := range filter {
			filter[i] = float32((f+1)*(i-5)) / 7
		}
		wh.Filters = append(wh.Filters, filter)
	}
	for name, v := range map[string]any{record.EvaluationsFile: ev, record.WhitenFile: wh} {
		if err := record.WriteJSON(filepath.Join(runDir, name), v); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Build(Options{Results: results, Out: out, CacheDir: filepath.Join(root, "cache"), NoFetch: true}); err != nil {
		t.Fatal(err)
	}
	var with, without int
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Name() != "index.html" {
			return nil
		}
		b, _ := os.ReadFile(p)
		page := string(b)
		if !strings.Contains(page, `id="tricks"`) {
			if strings.Contains(page, "<h2 id=\"weights\">") {
				without++
			}
			return nil
		}
		with++
		for _, want := range []string{"after epoch 3", "<strong>average, translate</strong>", "<th class=\"num\">flip</th>",
			"<td>average</td><td class=\"num\">83.00% (0.5000)</td><td class=\"num\">84.75% (0.4500)</td>", "img/whitening.png", "2×2×3 patches of 5000 training images", "Eigenvalues: 3, 0.5"} {
			if !strings.Contains(page, want) {
				t.Errorf("the run page lacks %q:\n%s", want, page[strings.Index(page, `id="tricks"`):][:1500])
			}
		}
		pic, err := os.ReadFile(filepath.Join(filepath.Dir(p), "img", "whitening.png"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(pic))
		if err != nil {
			t.Fatal(err)
		}
		// 12 tiles of 2×2 cells of whitenCell pixels in a row, 4 pixels apart; two rows.
		if b := img.Bounds(); b.Dx() != 12*(2*whitenCell+4)-4 || b.Dy() != 2*(2*whitenCell+4)-4 {
			t.Errorf("filter picture of %v", b)
		}
		return nil
	})
	if with != 1 || without == 0 {
		t.Errorf("%d run pages show the section, %d do not; want 1 and the others", with, without)
	}
}

// TestSweepTricksTable gives the runs of a sweep with seeds evaluations
// and checks that the sweep page averages them per point over the seeds,
// while a sweep without them has no such table.
func TestSweepTricksTable(t *testing.T) {
	root := t.TempDir()
	results, out := filepath.Join(root, "results"), filepath.Join(root, "site")
	writeFixture(t, results)
	for i, acc := range map[string][2]float64{"p0-0": {0.80, 0.90}, "p0-1": {0.82, 0.92}, "p1-0": {0.70, 0.75}} {
		ev := record.Evaluations{Epoch: 2, Used: "raw, flip", LastOnly: i == "p0-0", Rows: []record.Evaluation{
			{Weights: "raw", TTA: "none", TestAcc: acc[0], TestLoss: 0.6}, {Weights: "raw", TTA: "flip", TestAcc: acc[1], TestLoss: 0.5}}}
		if err := record.WriteJSON(filepath.Join(results, "prep", i, record.EvaluationsFile), ev); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Build(Options{Results: results, Out: out, CacheDir: filepath.Join(root, "cache"), NoFetch: true}); err != nil {
		t.Fatal(err)
	}
	// The run whose last epoch alone used the augmentation says so, in
	// its table's text and under its accuracy chart.
	lastOnly := 0
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "index.html" {
			b, _ := os.ReadFile(p)
			if strings.Contains(string(b), "The last epoch's evaluation used <strong>raw, flip</strong>") &&
				strings.Contains(string(b), "The last epoch is evaluated with test-time augmentation (raw, flip), the earlier ones without.") {
				lastOnly++
			}
		}
		return nil
	})
	if lastOnly != 1 {
		t.Errorf("%d run pages say that only the last epoch used the augmentation, want 1", lastOnly)
	}
	page, other := sweepPage(t, out, "preprocess"), sweepPage(t, out, "mnist-l2")
	for _, want := range []string{`<h2 id="evaluations">`, "<th class=\"num\">raw, none</th>", "<th class=\"num\">raw, flip</th>",
		`<td class="num">2</td><td class="num">81.00 ± 1.41%</td><td class="num">91.00 ± 1.41%</td>`,
		`<td class="num">1</td><td class="num">70.00%</td><td class="num">75.00%</td>`} {
		if !strings.Contains(string(page), want) {
			t.Errorf("the sweep page lacks %s", want)
		}
	}
	if i := strings.Index(string(page), `id="evaluations"`); i >= 0 {
		table := string(page)[i:]
		table = table[:strings.Index(table, "</table>")]
		if n := strings.Count(table, "<tr>"); n != 3 {
			t.Errorf("the table has %d rows, want a header and the two points with evaluations:\n%s", n, table)
		}
	}
	if strings.Contains(string(other), `id="evaluations"`) {
		t.Errorf("a sweep without evaluations has the table")
	}
}

// sweepPage reads the sweep page of the experiment named name.
func sweepPage(t *testing.T, out, name string) []byte {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(out, "*", "index.html"))
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(b), "<title>"+name+" ") {
			return b
		}
	}
	t.Fatalf("no sweep page of %s among %v", name, dirs)
	return nil
}

// TestCompareDataWithoutValidation checks that a run trained on every
// training image gives the compare page empty validation curves rather
// than lines at 0, while a run with validation gives one value per epoch.
func TestCompareDataWithoutValidation(t *testing.T) {
	for _, tc := range []struct {
		name string
		val  float64
		want int
	}{{"no validation", 0, 0}, {"validation", 0.5, 3}} {
		rec := &record.Run{Status: record.Status{State: record.StateDone, Epochs: 3}}
		for e := 1; e <= 3; e++ {
			rec.Epochs = append(rec.Epochs, record.Epoch{Epoch: e, TrainAcc: 0.5, ValAcc: tc.val, ValLoss: tc.val, TestAcc: 0.4})
		}
		c := compareData(&run{Rec: rec, Slug: "r", Label: "r"})
		if len(c.Epochs) != 3 || len(c.Train) != 3 || len(c.ValAcc) != tc.want || len(c.ValLoss) != tc.want || c.ValAcc == nil {
			t.Errorf("%s: %d epochs, %d train, %d validation accuracies, %d validation losses; want 3, 3, %d, %d (never null)",
				tc.name, len(c.Epochs), len(c.Train), len(c.ValAcc), len(c.ValLoss), tc.want, tc.want)
		}
	}
}
