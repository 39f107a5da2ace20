package experiments

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/nn"
)

// loadErrors loads a file and returns its error lines.
func loadErrors(t *testing.T, file string, sets ...string) []string {
	t.Helper()
	_, err := Load(file, sets)
	if err == nil {
		return nil
	}
	if _, ok := err.(ErrorList); !ok {
		t.Fatalf("Load(%s) error is %T, want Errors: %v", file, err, err)
	}
	return strings.Split(err.Error(), "\n")
}

func TestBadFiles(t *testing.T) {
	tests := []struct {
		file string
		want []string
	}{
		{"unknown-key.yaml", []string{
			`testdata/bad/unknown-key.yaml:4:24: model[0].conv.kernal: unknown key; did you mean "kernel"?`,
			`testdata/bad/unknown-key.yaml:8:3: train.epoch: unknown key; did you mean "epochs"?`,
			`testdata/bad/unknown-key.yaml:9:3: train.optimiser: unknown key; did you mean "optimizer"?`,
		}},
		{"types.yaml", []string{
			`testdata/bad/types.yaml:4:18: data.split.train must be a whole number, got "many"`,
			`testdata/bad/types.yaml:6:21: model[0].conv.filters must be a whole number, got 4.5`,
			`testdata/bad/types.yaml:6:34: model[0].conv.kernel must be one number or [height, width], got 3 numbers`,
			`testdata/bad/types.yaml:6:51: model[0].conv.bias must be true or false, got "maybe"`,
			`testdata/bad/types.yaml:8:20: model[2].dense.units must be a whole number, got a list`,
			`testdata/bad/types.yaml:10:11: train.epochs must be a whole number, got "two"`,
			`testdata/bad/types.yaml:11:10: train.batch must be a whole number, got 1.5`,
			`testdata/bad/types.yaml:12:26: train.optimizer.adam.lr must be a number, got "fast"`,
		}},
		{"ranges.yaml", []string{
			`testdata/bad/ranges.yaml:4:10: data.split: train 58000 + val 5000 = 63000 is more than the 60000 training images of mnist`,
			`testdata/bad/ranges.yaml:6:21: model[0].conv.filters must be ≥ 1, got 0`,
			`testdata/bad/ranges.yaml:6:32: model[0].conv.kernel must be ≥ 1, got 0`,
			`testdata/bad/ranges.yaml:6:43: model[0].conv.stride must be ≥ 1, got 0`,
			`testdata/bad/ranges.yaml:7:21: model[1].dropout.rate must be in [0, 1), got 1.0`,
			`testdata/bad/ranges.yaml:11:11: train.epochs must be ≥ 1, got 0`,
			`testdata/bad/ranges.yaml:12:10: train.batch must be ≥ 1, got 0`,
			`testdata/bad/ranges.yaml:13:26: train.optimizer.adam.lr must be > 0, got 0`,
			`testdata/bad/ranges.yaml:14:7: train.l2 must be ≥ 0, got -1`,
			`testdata/bad/ranges.yaml:15:20: train.label_smoothing must be in [0, 1), got 1`,
		}},
		{"kinds.yaml", []string{
			`testdata/bad/kinds.yaml:2:13: data.set: unknown data set "mnst"; did you mean "mnist"?`,
			`testdata/bad/kinds.yaml:4:47: model[0].conv.activation: unknown activation "rleu"; did you mean "relu"?`,
			`testdata/bad/kinds.yaml:5:5: model[1]: unknown layer kind "maxpol"; did you mean "maxpool"?`,
			`testdata/bad/kinds.yaml:6:5: model[2]: one layer kind per entry, found keys conv, filters (are its parameters indented under conv:?)`,
			`testdata/bad/kinds.yaml:11:14: train.optimizer: unknown optimizer "adma"; did you mean "adam"?`,
			`testdata/bad/kinds.yaml:12:20: train.schedule.step: missing every`,
		}},
		// A problem inside an extended file is reported at that file's line.
		{"extends-bad.yaml", []string{
			`testdata/bad/base-bad.yaml:8:10: train.batch must be ≥ 1, got -4`,
			`testdata/bad/extends-bad.yaml:3:11: train.epochs must be ≥ 1, got 0`,
		}},
		{"cycle-a.yaml", []string{
			`testdata/bad/cycle-b.yaml:1:10: extends: cycle cycle-a.yaml → cycle-b.yaml → cycle-a.yaml`,
		}},
		{"extends-missing.yaml", []string{
			`testdata/bad/extends-missing.yaml:1:10: testdata/bad/no-such-file.yaml: no such file`,
		}},
		{"sweep-value.yaml", []string{
			`testdata/bad/sweep-value.yaml:9:31: model[0].conv.kernel=0 model[5].conv.kernel=3: model[0].conv.kernel must be ≥ 1, got 0`,
			`testdata/bad/sweep-value.yaml:10:28: model[5].conv.kernel: model has 3 items; model[5] does not exist`,
			`testdata/bad/sweep-value.yaml:12:7: sweep.exclude[0]: model[0].conv.kernl is not swept; did you mean "model[0].conv.kernel"?`,
			`testdata/bad/sweep-value.yaml:13:10: sweep.seeds must be ≥ 1, got 0`,
		}},
		{"duplicate-extends.yaml", []string{
			`testdata/bad/duplicate-extends.yaml:5:3: train.epochs: key given twice (first at line 4)`,
			`testdata/bad/duplicate-extends.yaml:6:1: train: key given twice (first at line 3)`,
			`testdata/bad/duplicate-extends.yaml:9:1: sweep: key given twice (first at line 7)`,
		}},
		{"empty-values.yaml", []string{
			`testdata/bad/empty-values.yaml:4:32: model[0].conv.kernel must be one number or [height, width], got 0 numbers`,
			`testdata/bad/empty-values.yaml:6:20: model[2].dense.units must be a whole number, got an empty mapping`,
			`testdata/bad/empty-values.yaml:9:15: sweep.grid.train.l2 must be a non-empty list of values, e.g. [3, 5], got an empty list`,
		}},
		{"sweep-common.yaml", []string{
			`testdata/bad/sweep-common.yaml:10:35: padding=bogus: model[0].conv.padding: unknown padding "bogus"; expected one of valid, same`,
		}},
		{"too-many-runs.yaml", []string{
			`testdata/bad/too-many-runs.yaml:5:1: sweep: 10,400 runs; a sweep is limited to 10,000 (split it into several files)`,
		}},
		{"alias-bomb.yaml", []string{
			`testdata/bad/alias-bomb.yaml:1:17: the file expands to more than 100000 YAML values (aliases that multiply, a "billion laughs"?); refused`,
		}},
		{"syntax.yaml", []string{
			`testdata/bad/syntax.yaml:3:1: YAML syntax: did not find expected ',' or '}' (an unclosed { or [? inside { } a key path with [ ] must be quoted: {"model[0].conv.kernel": 5})`,
		}},
		{"flow-brackets.yaml", []string{
			`testdata/bad/flow-brackets.yaml:5:1: YAML syntax: did not find expected ',' or '}' (an unclosed { or [? inside { } a key path with [ ] must be quoted: {"model[0].conv.kernel": 5})`,
		}},
		{"duplicate.yaml", []string{
			`testdata/bad/duplicate.yaml:4:21: model[1]: layer name "a" is already used at line 3`,
			`testdata/bad/duplicate.yaml:8:3: train.epochs: key given twice (first at line 7)`,
		}},
		{"not-a-map.yaml", []string{
			`testdata/bad/not-a-map.yaml:1:1: an experiment file is a mapping of keys (name, data, model, train, …), got a list`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := loadErrors(t, filepath.Join("testdata", "bad", tt.file))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestSyntaxErrorLine(t *testing.T) {
	// The line of a syntax error is where the parser found it.
	got := loadErrors(t, "testdata/bad/syntax.yaml")
	if len(got) != 1 || !strings.HasPrefix(got[0], "testdata/bad/syntax.yaml:") {
		t.Fatalf("got %q", got)
	}
}

func TestExtendsChain(t *testing.T) {
	e, err := Load("testdata/good/grandchild.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	// grandchild sets its name and epochs; child replaces the model, the
	// optimizer's values and removes early_stop; base gives the data.
	if e.Name != "grandchild" || e.Description != "" {
		t.Errorf("name %q description %q: want grandchild and no inherited description", e.Name, e.Description)
	}
	if e.Train.Epochs != 3 || e.Train.Batch != 16 {
		t.Errorf("epochs %d batch %d, want 3 and 16", e.Train.Epochs, e.Train.Batch)
	}
	wantOpt := Optimizer{Kind: OptSGD, LR: 0.05, Momentum: 0.5, Nesterov: true}
	if e.Train.Optimizer != wantOpt {
		t.Errorf("optimizer %+v, want %+v", e.Train.Optimizer, wantOpt)
	}
	if e.Train.EarlyStop != nil {
		t.Errorf("early_stop %+v, want removed by null", e.Train.EarlyStop)
	}
	if e.Data.Split != (Split{Train: 1000, Val: 100, Test: 100}) {
		t.Errorf("split %+v", e.Data.Split)
	}
	if len(e.Model) != 4 {
		t.Fatalf("model has %d layers, want child's 4", len(e.Model))
	}
	l := e.Model[0]
	if l.Name != "first" || l.Value("kernel") != (nn.Value{H: 3, W: 5}) || l.Value("padding") != (nn.Value{Text: string(nn.PadExplicit), H: 1, W: 2}) || l.Value("stride") != (nn.Value{H: 1, W: 1}) {
		t.Errorf("first layer %+v", l)
	}
	if l.At.File != "testdata/good/child.yaml" || l.At.Line != 8 {
		t.Errorf("first layer at %v, want child.yaml:8", l.At)
	}
	if got := []string{e.Model[1].Name, e.Model[2].Name, e.Model[3].Name}; !reflect.DeepEqual(got, []string{"relu1", "flatten1", "dense1"}) {
		t.Errorf("generated names %q", got)
	}
	// Without a name, a file is named after itself, not after its base.
	c, err := Load("testdata/good/child.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "child" {
		t.Errorf("child name %q, want child", c.Name)
	}
}

func TestDefaults(t *testing.T) {
	e, err := Load("testdata/good/folder.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("testdata/folder")
	wantData := Data{Set: SetFolder, Path: abs, Size: 16, Channels: 3, Split: Split{Train: 0, Val: 2, Test: 2}, Preprocess: PreprocessMinMax}
	if !reflect.DeepEqual(e.Data, wantData) {
		t.Errorf("data %+v\nwant %+v", e.Data, wantData)
	}
	wantTrain := Train{Epochs: 10, Batch: 64, Seed: 1,
		Optimizer: Optimizer{Kind: OptAdam, LR: 0.001, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8},
		Schedule:  Schedule{Kind: ScheduleCosine},
		Groups:    Groups{Biases: DefaultGroup, Norm: DefaultGroup}, TTA: TTANone, TTAEpochs: TTAEveryEpoch}
	if !reflect.DeepEqual(e.Train, wantTrain) {
		t.Errorf("train %+v\nwant %+v", e.Train, wantTrain)
	}
	if e.Report != (Report{Gallery: 24, FeatureMaps: FeatureMaps{Images: 4}}) {
		t.Errorf("report %+v", e.Report)
	}
	m, err := Load("testdata/good/features.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Data.Split != (Split{Train: 49000, Val: 1000, Test: 10000}) {
		t.Errorf("cifar10 split %+v, want the rest of the training set and the whole test set", m.Data.Split)
	}
	wantAug := []Augment{{Kind: AugmentFlip}, {Kind: AugmentCrop, Pad: 4}, {Kind: AugmentCutout, Size: 8}, {Kind: AugmentCrop, Pad: 4}}
	if !reflect.DeepEqual(m.Data.Augment, wantAug) {
		t.Errorf("augment %+v", m.Data.Augment)
	}
	pool := m.Model[2]
	if pool.Kind != nn.KindAvgPool || pool.Value("size") != (nn.Value{H: 2, W: 2}) || pool.Value("stride") != (nn.Value{H: 2, W: 2}) || pool.Name != "pool1" {
		t.Errorf("avgpool %+v", pool)
	}
	if bn := m.Model[1]; bn.Value("momentum").Float != 0.99 || bn.Value("epsilon").Float != 0.001 || bn.Name != "bn1" {
		t.Errorf("batchnorm %+v", bn)
	}
	if c := m.Model[0]; c.Value("bias").Bool || c.Value("init").Text != "glorot" || c.Activation() != nn.KindLeakyReLU || nn.Padding(c.Value("padding").Text) != nn.PadSame {
		t.Errorf("conv %+v", c)
	}
	if s := m.Train.Schedule; s != (Schedule{Kind: ScheduleStep, Every: 2, Factor: 0.5, Warmup: 1}) {
		t.Errorf("schedule %+v", s)
	}
}

func TestSweepOrder(t *testing.T) {
	e, err := Load("testdata/good/sweep.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := e.Points()
	if err != nil {
		t.Fatal(err)
	}
	// Replicates outermost, then variants, grid (last axis fastest), zip;
	// excluded: wide with kernel 5, and batch 32 with lr 0.01; include last.
	// The include point's own key (epochs) is a setting of every point, so
	// that it is told apart from the grid point it otherwise equals.
	want := []string{
		"variant=small kernel=3 batch=16 lr=0.1 momentum=0.9 epochs=1 seed=1",
		"variant=small kernel=3 batch=16 lr=0.01 momentum=0.5 epochs=1 seed=1",
		"variant=small kernel=3 batch=32 lr=0.1 momentum=0.9 epochs=1 seed=1",
		"variant=small kernel=5 batch=16 lr=0.1 momentum=0.9 epochs=1 seed=1",
		"variant=small kernel=5 batch=16 lr=0.01 momentum=0.5 epochs=1 seed=1",
		"variant=small kernel=5 batch=32 lr=0.1 momentum=0.9 epochs=1 seed=1",
		"variant=wide kernel=3 batch=16 lr=0.1 momentum=0.9 epochs=1 seed=1",
		"variant=wide kernel=3 batch=16 lr=0.01 momentum=0.5 epochs=1 seed=1",
		"variant=wide kernel=3 batch=32 lr=0.1 momentum=0.9 epochs=1 seed=1",
		"variant=wide kernel=3 batch=32 lr=0.1 momentum=0.9 epochs=2 seed=1",
	}
	if len(pts) != 2*len(want) {
		t.Fatalf("%d points, want %d", len(pts), 2*len(want))
	}
	for i, p := range pts {
		w := want[i%len(want)]
		if i >= len(want) {
			w = strings.Replace(w, "seed=1", "seed=2", 1)
		}
		if p.Label() != w || p.Index != i || p.Replicate != i/len(want) {
			t.Errorf("point %d (index %d, replicate %d): %s, want %s", i, p.Index, p.Replicate, p.Label(), w)
		}
		x := p.Experiment
		if x.Sweep != nil || x.Train.Seed != int64(1+p.Replicate) {
			t.Errorf("point %d: sweep %v seed %d", i, x.Sweep, x.Train.Seed)
		}
	}
	// The values reach the experiments.
	wide := pts[7].Experiment
	if wide.Model[0].Value("filters").Int != 16 || wide.Train.Optimizer.LR != 0.01 || wide.Train.Optimizer.Momentum != 0.5 || wide.Train.Batch != 16 {
		t.Errorf("point 7: %+v %+v", wide.Model[0], wide.Train)
	}
	if inc := pts[9].Experiment; inc.Train.Epochs != 2 || inc.Model[0].Value("filters").Int != 16 {
		t.Errorf("include point: epochs %d filters %d, want 2 and 16 (from variant wide)", inc.Train.Epochs, inc.Model[0].Value("filters").Int)
	}
	if small := pts[0].Experiment; small.Model[0].Value("filters").Int != 4 || small.Train.Epochs != 1 {
		t.Errorf("point 0: filters %d epochs %d", small.Model[0].Value("filters").Int, small.Train.Epochs)
	}
	// The base experiment describes the sweep.
	if e.Sweep == nil || e.Sweep.Seeds != 2 || len(e.Sweep.Grid) != 2 || e.Sweep.Grid[0].Key != "model[0].conv.kernel" ||
		!reflect.DeepEqual(e.Sweep.Grid[0].Values, []string{"3", "5"}) {
		t.Errorf("sweep %+v", e.Sweep)
	}
}

func TestNoSweepIsOnePoint(t *testing.T) {
	e, err := Load("testdata/good/base.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := e.Points()
	if err != nil || len(pts) != 1 || pts[0].Settings != nil || pts[0].Experiment.Name != "base" {
		t.Fatalf("points %+v, %v", pts, err)
	}
}

func TestSetOverrides(t *testing.T) {
	e, err := Load("testdata/good/base.yaml", []string{"train.epochs=2", "model[0].conv.kernel=5", "train.optimizer={adam: {lr: 0.01}}", "data.augment=[crop]", "name=renamed"})
	if err != nil {
		t.Fatal(err)
	}
	if e.Train.Epochs != 2 || e.Model[0].Value("kernel") != (nn.Value{H: 5, W: 5}) || e.Train.Optimizer.Kind != OptAdam || e.Train.Optimizer.LR != 0.01 ||
		len(e.Data.Augment) != 1 || e.Name != "renamed" {
		t.Errorf("overrides not applied: %+v %+v %+v", e.Train, e.Model[0], e.Data.Augment)
	}
	// Overrides reach every sweep point, and may change the sweep itself.
	s, err := Load("testdata/good/sweep.yaml", []string{"train.epochs=5", "sweep.seeds=1"})
	if err != nil {
		t.Fatal(err)
	}
	pts, _ := s.Points()
	if len(pts) != 10 || pts[0].Experiment.Train.Epochs != 5 || pts[9].Experiment.Train.Epochs != 2 {
		t.Errorf("%d points, epochs %d and %d", len(pts), pts[0].Experiment.Train.Epochs, pts[9].Experiment.Train.Epochs)
	}

	tests := []struct {
		set  string
		want string
	}{
		{"train.epochs=abc", `--set train.epochs=abc: train.epochs must be a whole number, got "abc"`},
		{"train.epochs", `--set train.epochs: expected key.path=value, e.g. train.epochs=2`},
		{"model[9].conv.kernel=3", `--set model[9].conv.kernel=3: model has 4 items; model[9] does not exist`},
		{"train.epoch=3", `--set train.epoch=3: train.epoch: unknown key; did you mean "epochs"?`},
		{"model[0.kernel=3", `--set model[0.kernel=3: key path "model[0.kernel": [ without ]`},
		{"train.optimizer.adam.lr=0.01", `--set train.optimizer.adam.lr=0.01: train.optimizer: one optimizer per entry, and this adds adam beside sgd; to replace the optimizer, set the whole entry, e.g. --set 'train.optimizer={adam: {…}}'`},
		{"model[0].dense.units=3", `--set model[0].dense.units=3: model[0]: one layer kind per entry, and this adds dense beside conv; to replace the layer kind, set the whole entry, e.g. --set 'model[0]={dense: {…}}'`},
		{"sweep.grid.model[0].conv.kernel=[3, 5]", `--set sweep.grid.model[0].conv.kernel=[3, 5]: the keys of sweep.grid are key paths, which --set cannot name one by one; set the whole grid, e.g. --set 'sweep.grid={"model[0].conv.kernel": [3, 5]}' (it replaces the file's)`},
		{"train.epochs=[1", `--set train.epochs=[1: YAML syntax: did not find expected ',' or ']' (an unclosed { or [? inside { } a key path with [ ] must be quoted: {"model[0].conv.kernel": 5})`},
	}
	for _, tt := range tests {
		got := loadErrors(t, "testdata/good/base.yaml", tt.set)
		if len(got) != 1 || got[0] != tt.want {
			t.Errorf("--set %s: %q\nwant %q", tt.set, got, tt.want)
		}
	}
}

func TestFileLimits(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	data := []byte("name: big\ndescription: \"" + strings.Repeat("x", MaxFileSize) + "\"\n")
	if err := os.WriteFile(big, data, 0o644); err != nil {
		t.Fatal(err)
	}
	got := loadErrors(t, big)
	want := big + ": file is " + strconv.Itoa(len(data)) + " bytes; experiment files are limited to 1048576 bytes (1 MiB)"
	if len(got) != 1 || got[0] != want {
		t.Errorf("big file: %q, want %q", got, want)
	}
	empty := filepath.Join(dir, "empty.yaml")
	os.WriteFile(empty, []byte("# nothing\n"), 0o644)
	if got := loadErrors(t, empty); len(got) != 1 || got[0] != empty+": file is empty" {
		t.Errorf("empty file: %q", got)
	}
	two := filepath.Join(dir, "two.yaml")
	os.WriteFile(two, []byte("name: a\n---\nname: b\n"), 0o644)
	if got := loadErrors(t, two); len(got) != 1 || got[0] != two+":2:1: a second YAML document (---); an experiment file holds one" {
		t.Errorf("two documents: %q", got)
	}
	missing := filepath.Join(dir, "missing.yaml")
	if got := loadErrors(t, missing); len(got) != 1 || got[0] != missing+": no such file" {
		t.Errorf("missing file: %q, want %q", got, missing+": no such file")
	}
	if got := loadErrors(t, dir); len(got) != 1 || got[0] != dir+": a folder, not an experiment file" {
		t.Errorf("folder: %q", got)
	}
}

func TestRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("testdata/good/*.yaml")
	more, _ := filepath.Glob("*.yaml")
	seed, _ := filepath.Glob("seed/*.yaml")
	files = append(append(files, more...), seed...)
	if len(files) < 10 {
		t.Fatalf("only %d files", len(files))
	}
	dir := t.TempDir()
	for _, f := range files {
		e, err := Load(f, nil)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		pts, _ := e.Points()
		for _, p := range pts {
			y, err := p.Experiment.ResolvedYAML()
			if err != nil {
				t.Fatalf("%s point %d: %v", f, p.Index, err)
			}
			out := filepath.Join(dir, "resolved.yaml")
			os.WriteFile(out, y, 0o644)
			back, err := Load(out, nil)
			if err != nil {
				t.Fatalf("%s point %d: resolved YAML does not load: %v\n%s", f, p.Index, err, y)
			}
			y2, _ := back.ResolvedYAML()
			if string(y) != string(y2) {
				t.Errorf("%s point %d: resolved YAML changes on reload:\n%s\n---\n%s", f, p.Index, y, y2)
			}
			if a, b := comparable(p.Experiment), comparable(back); !reflect.DeepEqual(a, b) {
				t.Errorf("%s point %d: reloaded experiment differs:\n%+v\n%+v", f, p.Index, a, b)
			}
		}
	}
}

// comparable strips what a reload cannot keep: file positions and the
// values written over the file's own.
func comparable(e *Experiment) Experiment {
	c := *e.clone()
	c.File, c.tree, c.points, c.changes = "", nil, nil, nil
	for i := range c.Model {
		c.Model[i].At = Pos{}
	}
	return c
}

func TestResolvedYAMLOfSweepRefused(t *testing.T) {
	e, err := Load("testdata/good/sweep.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ResolvedYAML(); err == nil {
		t.Error("ResolvedYAML of a sweep: no error")
	}
}

func TestSuggest(t *testing.T) {
	tests := []struct{ word, want string }{
		{"epoch", "epochs"}, {"optimiser", "optimizer"}, {"lr", "l2"}, {"xyz", ""}, {"bach", "batch"},
		{"earlystop", "early_stop"}, {"zzzzzz", ""},
	}
	keys := []string{"epochs", "batch", "optimizer", "schedule", "l2", "seed", "early_stop"}
	for _, tt := range tests {
		if got := suggest(tt.word, keys); got != tt.want {
			t.Errorf("suggest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestParsePath(t *testing.T) {
	good := map[string]string{"a.b": "a.b", "model[0].conv.kernel": "model[0].conv.kernel", "x[1][2].y": "x[1][2].y"}
	for in, want := range good {
		steps, err := parsePath(in)
		if err != nil || formatPath(steps) != want {
			t.Errorf("parsePath(%q) = %v, %v", in, formatPath(steps), err)
		}
	}
	for _, bad := range []string{"", "a.", "a..b", "a[", "a[x]", "a[-1]", "a[0]b", ".a"} {
		if _, err := parsePath(bad); err == nil {
			t.Errorf("parsePath(%q): no error", bad)
		}
	}
}

// An include point without a name of its own is labelled with the keys it
// sets, so it does not share the label of the grid point it resembles.
func TestIncludeLabels(t *testing.T) {
	text := `extends: base.yaml
sweep:
  grid:
    model[0].conv.kernel: [3, 5]
  include:
    - {"model[0].conv.filters": 64}
`
	e, err := loadBytes("testdata/good/include.yaml", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	pts, _ := e.Points()
	var got []string
	for _, p := range pts {
		got = append(got, p.Label())
	}
	want := []string{"kernel=3 filters=4", "kernel=5 filters=4", "kernel=3 filters=64"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("labels %q, want %q", got, want)
	}
}
