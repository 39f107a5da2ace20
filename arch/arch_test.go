package arch

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/nn"
)

func load(t *testing.T, file string, sets ...string) *experiments.Experiment {
	t.Helper()
	e, err := experiments.Load(file, sets)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return e
}

// Every experiment file in the repository is valid, shapes included.
func TestExperimentFilesValid(t *testing.T) {
	n := 0
	err := filepath.WalkDir("../experiments", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || filepath.Ext(path) != ".yaml" {
			return nil
		}
		n++
		e, err := experiments.Load(path, nil)
		if err == nil {
			err = Check(e)
		}
		if err != nil {
			t.Errorf("%s:\n%v", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 8 {
		t.Errorf("found %d experiment files, want at least demo.yaml and the 7 seed files", n)
	}
}

func TestCompileMNISTSeed(t *testing.T) {
	net, err := Compile(load(t, "../experiments/seed/mnist.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		name          string
		kind          nn.Kind
		detail        string
		out           nn.Shape
		params, flops int64
	}
	// conv: 3·3·1·28 + 28 params; 26·26·28 outputs of 2·9+1 FLOPs.
	want := []row{
		{"conv1", "conv", "28@3×3 stride 1 valid", nn.Shape{H: 26, W: 26, C: 28}, 280, 26 * 26 * 28 * 19},
		{"conv1_relu", "relu", "", nn.Shape{H: 26, W: 26, C: 28}, 0, 26 * 26 * 28},
		{"pool1", "maxpool", "2×2 stride 2 valid", nn.Shape{H: 13, W: 13, C: 28}, 0, 13 * 13 * 28 * 4},
		{"flatten1", "flatten", "", nn.Shape{H: 1, W: 1, C: 4732}, 0, 0},
		{"dense1", "dense", "128 units", nn.Shape{H: 1, W: 1, C: 128}, 4732*128 + 128, 128 * (2*4732 + 1)},
		{"dense1_relu", "relu", "", nn.Shape{H: 1, W: 1, C: 128}, 0, 128},
		{"dense2", "dense", "10 units", nn.Shape{H: 1, W: 1, C: 10}, 1290, 10 * (2*128 + 1)},
	}
	if len(net.Layers) != len(want) || len(net.Specs) != len(want) {
		t.Fatalf("%d layers, %d specs, want %d", len(net.Layers), len(net.Specs), len(want))
	}
	var params, flops int64
	for i, w := range want {
		l := net.Layers[i]
		got := row{l.Name, l.Kind, l.Detail, l.Output, l.Params, l.FLOPs}
		if got != w {
			t.Errorf("layer %d: %+v\nwant %+v", i, got, w)
		}
		if net.Specs[i].Name != w.name || net.Specs[i].Kind != w.kind {
			t.Errorf("spec %d: %+v", i, net.Specs[i])
		}
		params += w.params
		flops += w.flops
	}
	if net.Params != params || net.FLOPs != flops || net.Params != 607394 {
		t.Errorf("totals %d params %d FLOPs, want %d and %d", net.Params, net.FLOPs, params, flops)
	}
	if net.Input != (nn.Shape{H: 28, W: 28, C: 1}) || net.Classes != 10 || net.ClassNames[3] != "3" {
		t.Errorf("input %v classes %d %q", net.Input, net.Classes, net.ClassNames)
	}
	// The specs build a real network with the same parameter count.
	built, err := nn.Build(net.Input, net.Specs, 1)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, p := range built.Params() {
		n += int64(len(p.Value))
	}
	if n != net.Params {
		t.Errorf("nn.Build has %d params, arch counted %d", n, net.Params)
	}
}

func TestCompileSpecs(t *testing.T) {
	net, err := Compile(load(t, "../experiments/testdata/good/features.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := []nn.LayerSpec{
		{Kind: "conv", Name: "conv1", Filters: 8, KernelH: 3, KernelW: 3, StrideH: 1, StrideW: 1, Padding: "same", NoBias: true, Init: "glorot"},
		{Kind: "leaky_relu", Name: "conv1_leaky_relu", Alpha: 0.01},
		{Kind: "batchnorm", Name: "bn1", Momentum: 0.99, Epsilon: 0.001},
		{Kind: "avgpool", Name: "pool1", KernelH: 2, KernelW: 2, StrideH: 2, StrideW: 2, Padding: "valid"},
		{Kind: "conv", Name: "conv2", Filters: 8, KernelH: 3, KernelW: 3, StrideH: 1, StrideW: 1, Padding: "explicit", PadTop: 1, PadBottom: 1, PadLeft: 1, PadRight: 1, Init: "he"},
		{Kind: "tanh", Name: "conv2_tanh"},
		{Kind: "maxpool", Name: "pool2", KernelH: 2, KernelW: 2, StrideH: 1, StrideW: 1, Padding: "same"},
		{Kind: "leaky_relu", Name: "leaky_relu1", Alpha: 0.2},
		{Kind: "sigmoid", Name: "sigmoid1"},
		{Kind: "flatten", Name: "flatten1"},
		{Kind: "dropout", Name: "dropout1", Rate: 0.5},
		{Kind: "dense", Name: "hidden", Units: 32, Init: "he"},
		{Kind: "sigmoid", Name: "hidden_sigmoid"},
		{Kind: "dense", Name: "dense2", Units: 10, Init: "glorot"},
	}
	if !reflect.DeepEqual(net.Specs, want) {
		for i := range max(len(want), len(net.Specs)) {
			var g, w nn.LayerSpec
			if i < len(net.Specs) {
				g = net.Specs[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("spec %d: %+v\nwant %+v", i, g, w)
			}
		}
	}
	// 32×32 → pool 16×16 → same pool stride 1 keeps 16×16; flatten 16·16·8.
	if out := net.Layers[9].Output; out != (nn.Shape{H: 1, W: 1, C: 2048}) {
		t.Errorf("flatten output %v", out)
	}
	if _, err := nn.Build(net.Input, net.Specs, 1); err != nil {
		t.Errorf("nn.Build: %v", err)
	}
}

func TestFolderClasses(t *testing.T) {
	net, err := Compile(load(t, "../experiments/testdata/good/folder.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if net.Input != (nn.Shape{H: 16, W: 16, C: 3}) || !reflect.DeepEqual(net.ClassNames, []string{"bird", "cat", "dog"}) {
		t.Errorf("input %v classes %q", net.Input, net.ClassNames)
	}
	// A folder that does not exist yet leaves the classes unknown and unchecked.
	e := load(t, "../experiments/testdata/good/folder.yaml", "data.path=no-such-folder", "model[2].dense.units=7")
	if net, err := Compile(e); err != nil || net.Classes != 0 {
		t.Errorf("missing folder: %v, classes %d", err, net.Classes)
	}
	// A folder with train and test parts takes its classes from train, not
	// "test" and "train".
	root := t.TempDir()
	for _, d := range []string{"train/ant", "train/bee", "train/cat", "test/ant", "test/bee"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e = load(t, "../experiments/testdata/good/folder.yaml", "data.path="+root)
	if net, err := Compile(e); err != nil {
		t.Errorf("train/test folder: %v", err)
	} else if !reflect.DeepEqual(net.ClassNames, []string{"ant", "bee", "cat"}) {
		t.Errorf("train/test folder: classes %q, want ant, bee, cat", net.ClassNames)
	}
}

func TestShapeErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"dense-no-flatten.yaml", []string{
			`../experiments/testdata/bad/dense-no-flatten.yaml:4:5: model[1] dense1: dense after a 26×26×4 feature map needs a flatten layer before it`,
		}},
		{"classes.yaml", []string{
			`../experiments/testdata/bad/classes.yaml:4:5: model[1] dense1: the last layer has 12 outputs but cifar10 has 10 classes`,
		}},
		{"softmax-last.yaml", []string{
			`../experiments/testdata/bad/softmax-last.yaml:4:5: model[1] dense1: the network must end with logits; the loss applies softmax itself, so remove the softmax`,
		}},
		{"huge-model.yaml", []string{
			`../experiments/testdata/bad/huge-model.yaml:4:5: model[1] dense1: the model passes 1.6 billion parameters here (1×1×784 → 1×1×2000000); the limit is 10⁹`,
		}},
		// Only one of the four grid points fails; it is named by its values.
		{"vanish.yaml", []string{
			`../experiments/testdata/bad/vanish.yaml:11:31: sweep.grid model[0].conv.kernel=7 with stride=2: model[2] (line 6): conv "conv2": input 5×5×4: the 6×6 window does not fit the padded input 5×5: the output would be empty`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := load(t, "../experiments/testdata/bad/"+tt.file)
			err := Check(e)
			if err == nil {
				t.Fatal("no error")
			}
			if _, ok := err.(experiments.ErrorList); !ok {
				t.Fatalf("error is %T", err)
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestMoreShapeErrors(t *testing.T) {
	const base, sweep = "../experiments/testdata/good/base.yaml", "../experiments/testdata/good/sweep.yaml"
	tests := []struct {
		file string
		sets []string
		want string
	}{
		{base, []string{"model=[{conv: {filters: 4, kernel: 3}}]"},
			`--set model=[{conv: {filters: 4, kernel: 3}}]: model[0] conv1: the network ends with a 26×26×4 feature map; end with flatten and a dense layer of 10 units`},
		{base, []string{"model=[flatten, {conv: {filters: 4, kernel: 1}}]"},
			`--set model=[flatten, {conv: {filters: 4, kernel: 1}}]: model[1] conv1: a conv layer needs an image-shaped input, but it comes after flatten or dense (input 1×1×784)`},
		// The same problem at every point of a sweep is reported once, unlabelled.
		{sweep, []string{"model[3].dense.units=3"},
			`../experiments/testdata/good/base.yaml:11:5: model[3] dense1: the last layer has 3 outputs but mnist has 10 classes`},
	}
	for _, tt := range tests {
		err := Check(load(t, tt.file, tt.sets...))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: %v\nwant %s", tt.sets, err, tt.want)
		}
	}
}

// A folder data set's classes are the ones the data reader finds: a linked
// class folder counts, as it does when the pictures are read.
func TestInputCountsLinkedClassFolders(t *testing.T) {
	root := t.TempDir()
	for _, c := range []string{"cat", ".hidden"} {
		if err := os.Mkdir(filepath.Join(root, c), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	elsewhere := t.TempDir()
	if err := os.Symlink(elsewhere, filepath.Join(root, "dog")); err != nil {
		t.Fatal(err)
	}
	_, classes := Input(experiments.Data{Set: experiments.SetFolder, Path: root, Size: 8, Channels: 1})
	if want := []string{"cat", "dog"}; !reflect.DeepEqual(classes, want) {
		t.Errorf("classes %v, want %v", classes, want)
	}
}
