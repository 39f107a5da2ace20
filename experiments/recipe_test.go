package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recipeBase is an experiment with the settings of the fast recipes.
const recipeBase = `name: r
data:
  set: cifar10
  augment: [{flip: {alternate: true}}, {crop: {pad: 2, reflect: true}}]
model:
  - conv: {filters: 24, kernel: 2, init: whiten, frozen: true, freeze_after: 3, whiten_eps: 0.001}
  - conv: {filters: 8, kernel: 3, init: dirac, bias: false}
  - batchnorm: {scale: false, freeze_after: 4}
  - flatten
  - dense: {units: 10}
train:
  schedule: {triangle: {start: 0.2, peak: 0.23, end: 0.07}}
  groups: {biases: {lr_scale: 64}, norm: {lr_scale: 32, decay: 0.5}}
  average: {lookahead: {decay: 0.77, every: 5, power: 3}}
  tta: translate
`

func writeRecipe(t *testing.T, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "x.yaml")
	if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestRecipeSettingsDecode checks that the settings of the fast recipes
// decode, come back the same from the canonical form, and are reached by
// --set key paths.
func TestRecipeSettingsDecode(t *testing.T) {
	e, err := Load(writeRecipe(t, recipeBase), nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := e.Train
	if tr.Schedule != (Schedule{Kind: ScheduleTriangle, Start: 0.2, Peak: 0.23, End: 0.07}) ||
		tr.Groups != (Groups{Biases: Group{LRScale: 64}, Norm: Group{LRScale: 32, Decay: 0.5}}) ||
		*tr.Average != (Average{Kind: AverageLookahead, Decay: 0.77, Every: 5, Power: 3}) || tr.TTA != TTATranslate {
		t.Errorf("train %+v, average %+v", tr, *tr.Average)
	}
	if a := e.Data.Augment; !a[0].Alternate || !a[1].Reflect || a[1].Pad != 2 {
		t.Errorf("augment %+v", a)
	}
	if v := e.Model[0].Values; v["init"].Text != "whiten" || !v["frozen"].Bool || v["freeze_after"].Int != 3 || v["whiten_eps"].Float != 0.001 {
		t.Errorf("model[0] %+v", v)
	}
	if v := e.Model[2].Values; v["scale"].Bool || v["freeze_after"].Int != 4 {
		t.Errorf("model[2] %+v", v)
	}
	y, err := e.ResolvedYAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"alternate: true", "reflect: true", "init: whiten", "frozen: true", "scale: false",
		"triangle: {start: 0.2, peak: 0.23, end: 0.07", "lr_scale: 64.0", "lookahead: {decay: 0.77, every: 5, power: 3.0}", "tta: translate"} {
		if !strings.Contains(string(y), want) {
			t.Errorf("canonical form lacks %q:\n%s", want, y)
		}
	}
	again, err := Load(writeRecipe(t, string(y)), nil)
	if err != nil {
		t.Fatalf("canonical form does not load: %v\n%s", err, y)
	}
	y2, _ := again.ResolvedYAML()
	if string(y) != string(y2) {
		t.Errorf("canonical form changes when loaded again:\n%s\n---\n%s", y, y2)
	}
	// Defaults are left out of the canonical form.
	plain, err := Load(writeRecipe(t, "data: {set: cifar10}\nmodel: [{conv: {filters: 4, kernel: 3}}, batchnorm, flatten, {dense: {units: 10}}]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	py, _ := plain.ResolvedYAML()
	for _, not := range []string{"frozen", "freeze_after", "scale", "whiten_eps", "groups", "average", "tta", "alternate", "reflect"} {
		if strings.Contains(string(py), not) {
			t.Errorf("canonical form of a plain file writes %q:\n%s", not, py)
		}
	}

	sets := []string{"train.average.lookahead.decay=0.5", "train.groups.norm.lr_scale=2", "train.tta=flip",
		"model[2].batchnorm.scale=true", "model[0].conv.freeze_after=1", "train.schedule.triangle.peak=0.5", "data.augment[0].flip.alternate=false", "train.tta_epochs=last"}
	e, err = Load(writeRecipe(t, recipeBase), sets)
	if err != nil {
		t.Fatal(err)
	}
	if e.Train.Average.Decay != 0.5 || e.Train.Groups.Norm.LRScale != 2 || e.Train.TTA != TTAFlip || !e.Model[2].Values["scale"].Bool ||
		e.Model[0].Values["freeze_after"].Int != 1 || e.Train.Schedule.Peak != 0.5 || e.Data.Augment[0].Alternate || e.Train.TTAEpochs != TTALastEpoch {
		t.Errorf("--set did not reach every setting: %+v", e.Train)
	}
}

// TestRecipeSettingsErrors checks that bad values of the settings are
// reported at their place.
func TestRecipeSettingsErrors(t *testing.T) {
	for _, tc := range []struct{ set, want string }{
		{"train.average.lookahead.decay=1", "x.yaml:1:1: train.average.lookahead.decay must be in [0, 1), got 1"},
		{"train.average.lookahead.every=0", "train.average.lookahead.every must be ≥ 1, got 0"},
		{"train.average=swa", `unknown weight average "swa"`},
		{"train.groups.biases.lr_scale=0", "train.groups.biases.lr_scale must be > 0, got 0"},
		{"train.groups.norm.decay=-1", "train.groups.norm.decay must be ≥ 0, got -1"},
		{"train.tta=mirror", `unknown test-time augmentation "mirror"`},
		{"train.tta_epochs=first", `unknown epochs of test-time augmentation "first"`},
		{"train.schedule.triangle.peak=1.5", "train.schedule.triangle.peak must be in [0, 1], got 1.5"},
		{"train.schedule.triangle.start=-1", "train.schedule.triangle.start must be ≥ 0, got -1"},
		{"model[0].conv.freeze_after=-1", "model[0].conv.freeze_after"},
		{"model[0].conv.init=orthogonal", `model[0].conv.init`},
		{"model[2].batchnorm.scale=2", "model[2].batchnorm.scale"},
		{"data.augment[1].crop.reflect=1", "data.augment[1].crop.reflect must be true or false"},
	} {
		_, err := Load(writeRecipe(t, recipeBase), []string{tc.set})
		if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(tc.want, "x.yaml:1:1: ")) {
			t.Errorf("--set %s: error %v, want %q", tc.set, err, tc.want)
		}
	}
	// In the file, the message carries the line and column.
	bad := strings.Replace(recipeBase, "tta: translate", "tta: mirror", 1)
	_, err := Load(writeRecipe(t, bad), nil)
	if err == nil || !strings.Contains(err.Error(), "x.yaml:15:8:") {
		t.Errorf("error %v, want one at x.yaml:15:8", err)
	}
}

// TestFastAblations checks that each variant of the ablation sweep takes
// away what its name says, and the recipe point keeps everything.
func TestFastAblations(t *testing.T) {
	final, err := Load("best/cifar10-fast.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The final runs train on every training image, over three seeds; the
	// ablation measures on the validation split the recipe was chosen on.
	if sp := final.Data.Split; sp.Train != 50000 || sp.Val != 0 || final.Sweep.Seeds != 3 {
		t.Errorf("cifar10-fast.yaml: split %+v, %d seeds; want all 50000 training images and 3 seeds", sp, final.Sweep.Seeds)
	}
	e, err := Load("best/cifar10-fast-ablation.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	pts, err := e.Points()
	if err != nil {
		t.Fatal(err)
	}
	byVariant := map[string]*Experiment{}
	for _, p := range pts {
		for _, s := range p.Settings {
			if s.Key == "variant" && p.Replicate == 0 {
				byVariant[s.Value] = p.Experiment
			}
		}
	}
	recipe := byVariant["recipe"]
	if recipe == nil || len(byVariant) != 10 || len(pts) != 10 {
		t.Fatalf("%d points, variants %v", len(pts), byVariant)
	}
	if recipe.Train.Average == nil || recipe.Model[0].Values["init"].Text != "whiten" || recipe.Model[2].Values["init"].Text != "dirac" ||
		recipe.Model[4].Values["scale"].Bool || !recipe.Data.Augment[0].Alternate {
		t.Errorf("the recipe point lost a setting: %+v", recipe.Train)
	}
	for name, x := range byVariant {
		if x.Data.Split.Val != 5000 || x.Data.Split.Train != 45000 {
			t.Errorf("variant %s: split %+v, want 45000 and 5000 for validation", name, x.Data.Split)
		}
	}
	for name, lost := range map[string]func(x *Experiment) bool{
		"no-whitening": func(x *Experiment) bool {
			return x.Model[0].Values["init"].Text == "he" && !x.Model[0].Values["frozen"].Bool
		},
		"no-dirac":           func(x *Experiment) bool { return x.Model[2].Values["init"].Text == "he" },
		"norm-scale":         func(x *Experiment) bool { return x.Model[4].Values["scale"].Bool },
		"no-norm-lr-scale":   func(x *Experiment) bool { return x.Train.Groups.Norm == Group{LRScale: 1, Decay: 1} },
		"no-lookahead":       func(x *Experiment) bool { return x.Train.Average == nil },
		"cosine-schedule":    func(x *Experiment) bool { return x.Train.Schedule.Kind == ScheduleCosine },
		"random-flip":        func(x *Experiment) bool { return !x.Data.Augment[0].Alternate && x.Data.Augment[0].Kind == AugmentFlip },
		"no-translate":       func(x *Experiment) bool { return len(x.Data.Augment) == 1 },
		"no-label-smoothing": func(x *Experiment) bool { return x.Train.LabelSmoothing == 0 },
	} {
		if x := byVariant[name]; x == nil || !lost(x) {
			t.Errorf("variant %s does not take its setting away", name)
		}
	}
}

// TestNoValidation checks that a run may train on every training image
// (split val: 0), and that what needs validation images says so at its line.
func TestNoValidation(t *testing.T) {
	e, err := Load(writeRecipe(t, "data: {set: cifar10, split: {val: 0}}\nmodel: [flatten, {dense: {units: 10}}]\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if sp := e.Data.Split; sp.Train != 50000 || sp.Val != 0 {
		t.Errorf("split %+v, want every training image and none for validation", sp)
	}
	for _, tc := range []struct{ file, want string }{
		{"data: {set: cifar10, split: {val: 0}}\nmodel: [flatten, {dense: {units: 10}}]\ntrain: {early_stop: {patience: 2}}\n",
			"x.yaml:3:21: train.early_stop watches the validation images, but data.split.val is 0"},
		{"data: {set: cifar10, split: {val: 0}}\nmodel: [flatten, {dense: {units: 10}}]\nsweep: {grid: {train.batch: [32, 64]}, halving: {budget: 4}}\n",
			"x.yaml:3:1: sweep.halving ranks the points on the validation images, but data.split.val is 0"},
		{"data: {set: cifar10, split: {train: 50000, val: 1}}\nmodel: [flatten, {dense: {units: 10}}]\n",
			"more than the 50000 training images"},
	} {
		_, err := Load(writeRecipe(t, tc.file), nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.file, err, tc.want)
		}
	}
}
