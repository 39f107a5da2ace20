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
