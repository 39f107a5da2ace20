package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/nn"
)

// TestSummaryOfPoolingAndActivationKinds validates small MNIST models with
// global pooling, GELU, SiLU and scale layers and checks their rows of
// `cnnlab summary`: name, kind, detail, output shape, parameters and
// MFLOPs per image.
func TestSummaryOfPoolingAndActivationKinds(t *testing.T) {
	tests := []struct {
		name  string
		model string
		row   []string // the layer's cells, the empty detail left out
		total string   // parameters of the whole model
	}{
		// conv 26×26×8 (80 params), pooled to 1×1×8, dense 10 (90 params).
		{"globalavgpool then dense", "[{conv: {filters: 8, kernel: 3}}, globalavgpool, {dense: {units: 10}}]",
			[]string{"pool1", "globalavgpool", "1×1×8", "0", "0.005"}, "170"},
		{"globalmaxpool then flatten", "[{conv: {filters: 8, kernel: 3}}, globalmaxpool, flatten, {dense: {units: 10}}]",
			[]string{"pool1", "globalmaxpool", "1×1×8", "0", "0.005"}, "170"},
		{"globalmaxpool after maxpool", "[{conv: {filters: 8, kernel: 3}}, {maxpool: {size: 2}}, globalmaxpool, {dense: {units: 10}}]",
			[]string{"pool2", "globalmaxpool", "1×1×8", "0", "0.001"}, "170"},
		{"gelu shortcut", "[{conv: {filters: 8, kernel: 3, activation: gelu}}, flatten, {dense: {units: 10}}]",
			[]string{"conv1_gelu", "gelu", "exact (erf)", "26×26×8", "0", "0.005"}, "54,170"},
		{"gelu tanh", "[{conv: {filters: 8, kernel: 3}}, {gelu: {approximate: tanh}}, flatten, {dense: {units: 10}}]",
			[]string{"gelu1", "gelu", "tanh approximation", "26×26×8", "0", "0.005"}, "54,170"},
		{"silu shortcut", "[flatten, {dense: {units: 32, activation: silu}}, {dense: {units: 10}}]",
			[]string{"dense1_silu", "silu", "1×1×32", "0", "0.000"}, "25,450"},
		{"scale the logits", "[flatten, {dense: {units: 10}}, {scale: {factor: 0.125}}]",
			[]string{"scale1", "scale", "× 0.125", "1×1×10", "0", "0.000"}, "7,850"},
	}
	dir := t.TempDir()
	cells := regexp.MustCompile(`\s{2,}`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".yaml")
			writeTestFile(t, file, []byte("data: {set: mnist}\nmodel: "+tt.model+"\n"))
			var out, errb bytes.Buffer
			if code := run([]string{"validate", file}, &out, &errb); code != 0 || !strings.Contains(out.String(), ": ok") {
				t.Fatalf("validate: exit %d\n%s%s", code, out.String(), errb.String())
			}
			out.Reset()
			if code := run([]string{"summary", file}, &out, &errb); code != 0 {
				t.Fatalf("summary: exit %d\n%s", code, errb.String())
			}
			var row, total []string
			for _, line := range strings.Split(out.String(), "\n") {
				c := cells.Split(strings.TrimSpace(line), -1)
				switch c[0] {
				case tt.row[0]:
					row = c
				case "total":
					total = c
				}
			}
			if !slices.Equal(row, tt.row) {
				t.Errorf("row %q, want %q:\n%s", row, tt.row, out.String())
			}
			if len(total) < 2 || total[1] != tt.total {
				t.Errorf("total %q, want %s parameters:\n%s", total, tt.total, out.String())
			}
		})
	}
}

// TestValidateGlobalPoolingAndScale checks the messages for global pooling,
// GELU and scale layers used where they cannot stand or with bad settings,
// and that a global pooling may give the logits itself or be followed by a
// 1×1 conv.
func TestValidateGlobalPoolingAndScale(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ model, want string }{
		{"[flatten, globalavgpool, {dense: {units: 10}}]", "a globalavgpool layer needs an image-shaped input"},
		{"[flatten, {dense: {units: 10}}, {scale: {factor: 0}}]", "model[2].scale.factor must be > 0, got 0"},
		{"[flatten, {dense: {units: 10}}, {scale: {}}]", "model[2].scale: missing factor"},
		{"[{gelu: {approximate: erf}}, flatten, {dense: {units: 10}}]", `unknown approximation "erf"`},
		{"[{conv: {filters: 10, kernel: 3}}, globalmaxpool]", ": ok"},
		{"[{conv: {filters: 8, kernel: 3}}, globalavgpool, {conv: {filters: 10, kernel: 1}}]", ": ok"},
	} {
		file := filepath.Join(dir, "bad.yaml")
		writeTestFile(t, file, []byte("data: {set: mnist}\nmodel: "+tc.model+"\n"))
		var out, errb bytes.Buffer
		run([]string{"validate", file}, &out, &errb)
		if !strings.Contains(out.String()+errb.String(), tc.want) {
			t.Errorf("%s: output lacks %q:\n%s%s", tc.model, tc.want, out.String(), errb.String())
		}
	}
}

// TestAllConvExample checks the example all-conv network: it validates,
// and its summary gives the shapes, parameters and FLOPs counted by hand.
func TestAllConvExample(t *testing.T) {
	const file = "../../experiments/examples/allconv.yaml"
	var out, errb bytes.Buffer
	if code := run([]string{"validate", file}, &out, &errb); code != 0 || !strings.Contains(out.String(), "allconv.yaml: ok") {
		t.Fatalf("validate: exit %d\n%s%s", code, out.String(), errb.String())
	}
	out.Reset()
	if code := run([]string{"summary", file}, &out, &errb); code != 0 {
		t.Fatalf("summary: exit %d\n%s", code, errb.String())
	}
	// 3·3·3·32 + 3·3·32·64 + 3·3·64·64 + 3·3·64·128 conv weights, 10·128+10
	// for the 1×1 conv, and 2·(32+64+64+128) batch-norm values.
	for _, w := range []string{"input 32×32×3, 10 classes", "gelu1  gelu", "silu2  silu", "8×8×128", "1×1×10", "131,754", "39.905"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, out.String())
		}
	}
	if !regexp.MustCompile(`\npool1 +globalavgpool +1×1×10 +0 +0\.001\n`).MatchString(out.String()) {
		t.Errorf("summary has no row for the global average pooling:\n%s", out.String())
	}
}

// TestRunAndReportPoolingAndActivationKinds trains networks with global
// pooling, GELU (both forms), SiLU and scale on a small folder data set, loads the model files it saved, and builds the
// report: the diagram colours each layer by its family.
func TestRunAndReportPoolingAndActivationKinds(t *testing.T) {
	set := writeFolderSet(t, 30)
	model := func(pool string) string {
		return `{model: [{conv: {filters: 6, kernel: 3, padding: same, activation: gelu}}, {conv: {filters: 6, kernel: 3, padding: same}},
      {gelu: {approximate: tanh}}, silu, ` + pool + `, {dense: {units: 3}}, {scale: {factor: 0.5}}]}`
	}
	file := folderExperiment(t, set, 1, "sweep:\n  variants:\n    avg: "+model("globalavgpool")+"\n    max: "+model("globalmaxpool")+"\n")
	results := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"run", file, "--results", results}, &out, &errb); code != 0 || !strings.Contains(out.String(), "2 runs: 2 done") {
		t.Fatalf("cnnlab run = %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}

	var models []string
	filepath.WalkDir(results, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == "model.cnn" {
			models = append(models, path)
		}
		return nil
	})
	if len(models) != 2 {
		t.Fatalf("%d model files, want 2", len(models))
	}
	pools := map[nn.Kind]bool{}
	for _, m := range models {
		cp, err := nn.Load(m)
		if err != nil {
			t.Fatal(err)
		}
		specs := cp.Net.Specs()
		if len(specs) != 8 || specs[1].Kind != nn.KindGELU || specs[3].Text("approximate") != string(nn.ApproxTanh) || specs[4].Kind != nn.KindSiLU || specs[7].Float("factor") != 0.5 {
			t.Errorf("%s: specs %+v", m, specs)
		}
		pools[specs[5].Kind] = true
	}
	if !pools[nn.KindGlobalAvgPool] || !pools[nn.KindGlobalMaxPool] {
		t.Errorf("the model files hold the poolings %v", pools)
	}

	site := filepath.Join(t.TempDir(), "site")
	out.Reset()
	if code := run([]string{"report", "--results", results, "--out", site}, &out, &errb); code != 0 {
		t.Fatalf("cnnlab report = %d\n%s", code, errb.String())
	}
	var pages strings.Builder
	filepath.WalkDir(site, func(path string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".html") {
			b, _ := os.ReadFile(path)
			if bytes.Contains(b, []byte("layer stack")) {
				pages.Write(b)
			}
		}
		return nil
	})
	for _, want := range []string{
		`class="layer pool"[^>]*>pool1 · globalavgpool<`,
		`class="layer pool"[^>]*>pool1 · globalmaxpool<`,
		`class="layer activation"[^>]*>conv1_gelu · gelu<`,
		`class="layer activation" title="x·Φ\(x\)[^>]*>gelu1 · gelu<`,
		`class="layer activation"[^>]*>silu1 · silu<`,
		`class="layer activation"[^>]*>scale1 · scale<`,
	} {
		if !regexp.MustCompile(want).MatchString(pages.String()) {
			t.Errorf("no run page matches %s", want)
		}
	}
}
