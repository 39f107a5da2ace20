package experiments

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// committedSchema is SchemaFile as seen from this package's folder.
const committedSchema = "cnnlab.schema.json"

func TestSchemaUpToDate(t *testing.T) {
	got, err := os.ReadFile(committedSchema)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, Schema()) {
		t.Fatalf("%s is stale: the format or the table of layer kinds changed; regenerate it with\n\tgo run ./cmd/cnnlab schema > %s", SchemaFile, SchemaFile)
	}
}

// compileSchema compiles the committed schema with a validator of its own.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(committedSchema, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(committedSchema)
	if err != nil {
		t.Fatalf("the schema does not compile: %v", err)
	}
	return s
}

// yamlAsJSON reads YAML text as the JSON values a schema checks.
func yamlAsJSON(t *testing.T, text []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(text, &v); err != nil {
		t.Fatal(err)
	}
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// committedExperiments lists the experiment files of the repository: all
// but the deliberately wrong ones of testdata/bad.
func committedExperiments(t *testing.T) []string {
	var files []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (p == filepath.Join("testdata", "bad") || p == filepath.Join("testdata", "lsp")):
			return filepath.SkipDir
		case !d.IsDir() && strings.HasSuffix(p, ".yaml"):
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Fatalf("found only %d experiment files: %q", len(files), files)
	}
	return files
}

func TestCommittedExperimentsMatchSchema(t *testing.T) {
	s := compileSchema(t)
	for _, f := range committedExperiments(t) {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		first, _, _ := bufio.NewReader(bytes.NewReader(text)).ReadLine()
		rel, _ := filepath.Rel(filepath.Dir(f), committedSchema)
		if want := "# yaml-language-server: $schema=" + filepath.ToSlash(rel); string(first) != want {
			t.Errorf("%s: first line %q, want %q", f, first, want)
		}
		if err := s.Validate(yamlAsJSON(t, text)); err != nil {
			t.Errorf("%s does not match the schema: %v", f, err)
		}
	}
}

// TestSchemaKindsAreTheDecoders checks that the schema defines every layer
// kind and top-level key the decoder accepts, and no other top-level key
// (both take them from format and nn.Kinds; this catches a generator that
// skips some).
func TestSchemaKindsAreTheDecoders(t *testing.T) {
	var sch map[string]any
	if err := json.Unmarshal(Schema(), &sch); err != nil {
		t.Fatal(err)
	}
	defs := sch["definitions"].(map[string]any)
	for _, k := range layerKindNames() {
		for _, prefix := range []string{"", "block"} {
			if _, ok := defs[prefix+"kind."+k]; !ok {
				t.Errorf("the schema has no definition %s", prefix+"kind."+k)
			}
		}
	}
	top := sch["properties"].(map[string]any)
	for _, k := range formatKeys() {
		if _, ok := top[k]; !ok {
			t.Errorf("the schema lacks the top-level key %s", k)
		}
	}
	if len(top) != len(formatKeys()) {
		t.Errorf("the schema has %d top-level keys, the decoder %d", len(top), len(formatKeys()))
	}
}

// TestFormatBoundsAreTheDecoders checks the bounds of every number of the
// format against the decoder: each bound is accepted (or, when open,
// refused) and a value beyond it refused, with a message naming the key.
// The keys of data whose bounds depend on the data set are left out.
func TestFormatBoundsAreTheDecoders(t *testing.T) {
	skip := map[string]bool{"data.split.train": true, "data.split.val": true, "data.split.test": true, "data.size": true, "data.channels": true}
	g := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	checked := 0
	// walk visits the numeric keys under keys; set writes the --set of a
	// value of the key called name.
	var walk func(keys []formatKey, path string, set func(name, v string) string)
	walk = func(keys []formatKey, path string, set func(name, v string) string) {
		for _, k := range keys {
			kp := join(path, k.Name)
			switch k.Type {
			case fMapping:
				walk(k.Keys, kp, func(name, v string) string { return set(k.Name+"."+name, v) })
				continue
			case fKind:
				for _, kind := range k.Keys {
					walk(kind.Keys, kp+"."+kind.Name, func(name, v string) string {
						return set(k.Name, "{"+kind.Name+": {"+name+": "+v+"}}")
					})
				}
				continue
			case fList:
				if k.Item.Type == fKind {
					for _, kind := range k.Item.Keys {
						walk(kind.Keys, kp+"[0]."+kind.Name, func(name, v string) string {
							return set(k.Name, "[{"+kind.Name+": {"+name+": "+v+"}}]")
						})
					}
				}
				continue
			case fInt, fFloat:
			default:
				continue
			}
			if skip[kp] {
				continue
			}
			var in, out []string // values the decoder must accept and refuse
			switch k.Type {
			case fInt:
				lo, hi := int64(k.Min), int64(k.Max)
				in = []string{strconv.FormatInt(lo, 10), strconv.FormatInt(hi, 10)}
				out = []string{strconv.FormatInt(lo-1, 10), strconv.FormatInt(hi+1, 10)}
			case fFloat:
				const step = 1e-3
				if k.MinOpen {
					in, out = append(in, g(k.Min+step)), append(out, g(k.Min))
				} else {
					in, out = append(in, g(k.Min)), append(out, g(k.Min-1))
				}
				if !math.IsInf(k.Max, 1) {
					if k.MaxOpen {
						in, out = append(in, g(k.Max-step)), append(out, g(k.Max))
					} else {
						in, out = append(in, g(k.Max)), append(out, g(k.Max+1))
					}
				}
			}
			for _, v := range append(in, out...) {
				_, err := Load("testdata/good/base.yaml", []string{set(k.Name, v)})
				refused := err != nil && strings.Contains(err.Error(), kp+" must")
				if want := slices.Contains(out, v); refused != want {
					t.Errorf("%s = %s (--set %s): refused %v, want %v (%v)", kp, v, set(k.Name, v), refused, want, err)
				}
			}
			checked++
		}
	}
	walk(format, "", func(name, v string) string { return name + "=" + v })
	if checked < 20 {
		t.Errorf("checked only %d keys", checked)
	}
}

// TestFormatDefaultsAreTheDecoders checks the defaults the format (and so
// the schema) gives against what the decoder fills in.
func TestFormatDefaultsAreTheDecoders(t *testing.T) {
	file := filepath.Join(t.TempDir(), "bare.yaml")
	if err := os.WriteFile(file, []byte("data: {set: mnist}\nmodel: [flatten, {dense: {units: 10}}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func(sets ...string) *Experiment {
		e, err := Load(file, sets)
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	bare := load()
	sgd := load("train.optimizer=sgd").Train.Optimizer
	adamw := load("train.optimizer=adamw").Train.Optimizer
	step := load("train.schedule={step: {every: 2}}").Train.Schedule
	early := load("train.early_stop={patience: 1}").Train.EarlyStop
	aug := load("data.augment=[crop, cutout]").Data.Augment
	flip := load("data.set=fashion-mnist", "data.augment=[flip]").Data.Augment
	tri := load("train.schedule=triangle").Train.Schedule
	ema := load("train.average=ema").Train.Average
	look := load("train.average=lookahead").Train.Average
	adam := bare.Train.Optimizer
	search := load("sweep={random: {samples: 2, params: {train.l2: {uniform: [0, 1]}}}, halving: {}}").Sweep
	got := map[string]any{
		"sweep.random.seed":                  int(search.Random.Seed),
		"sweep.halving.factor":               search.Halving.Factor,
		"sweep.halving.min_epochs":           search.Halving.MinEpochs,
		"sweep.halving.metric":               string(search.Halving.Metric),
		"description":                        bare.Description,
		"data.preprocess":                    string(bare.Data.Preprocess),
		"data.augment":                       []any{},
		"data.augment[0].crop.pad":           aug[0].Pad,
		"data.augment[0].cutout.size":        aug[1].Size,
		"data.augment[0].crop.reflect":       aug[0].Reflect,
		"data.augment[0].flip.alternate":     flip[0].Alternate,
		"train.schedule.triangle.start":      tri.Start,
		"train.schedule.triangle.peak":       tri.Peak,
		"train.schedule.triangle.end":        tri.End,
		"train.schedule.triangle.warmup":     tri.Warmup,
		"train.groups.biases.lr_scale":       bare.Train.Groups.Biases.LRScale,
		"train.groups.biases.decay":          bare.Train.Groups.Biases.Decay,
		"train.groups.norm.lr_scale":         bare.Train.Groups.Norm.LRScale,
		"train.groups.norm.decay":            bare.Train.Groups.Norm.Decay,
		"train.average.ema.decay":            ema.Decay,
		"train.average.ema.every":            ema.Every,
		"train.average.ema.power":            ema.Power,
		"train.average.lookahead.decay":      look.Decay,
		"train.average.lookahead.every":      look.Every,
		"train.average.lookahead.power":      look.Power,
		"train.tta":                          string(bare.Train.TTA),
		"train.tta_epochs":                   string(bare.Train.TTAEpochs),
		"train.epochs":                       bare.Train.Epochs,
		"train.batch":                        bare.Train.Batch,
		"train.optimizer":                    string(adam.Kind),
		"train.optimizer.sgd.lr":             sgd.LR,
		"train.optimizer.sgd.momentum":       sgd.Momentum,
		"train.optimizer.sgd.nesterov":       sgd.Nesterov,
		"train.optimizer.adam.lr":            adam.LR,
		"train.optimizer.adam.beta1":         adam.Beta1,
		"train.optimizer.adam.beta2":         adam.Beta2,
		"train.optimizer.adam.eps":           adam.Eps,
		"train.optimizer.adamw.lr":           adamw.LR,
		"train.optimizer.adamw.beta1":        adamw.Beta1,
		"train.optimizer.adamw.beta2":        adamw.Beta2,
		"train.optimizer.adamw.eps":          adamw.Eps,
		"train.optimizer.adamw.weight_decay": adamw.WeightDecay,
		"train.schedule":                     string(bare.Train.Schedule.Kind),
		"train.schedule.constant.warmup":     bare.Train.Schedule.Warmup,
		"train.schedule.step.factor":         step.Factor,
		"train.schedule.step.warmup":         step.Warmup,
		"train.schedule.cosine.warmup":       load("train.schedule=cosine").Train.Schedule.Warmup,
		"train.l2":                           bare.Train.L2,
		"train.seed":                         int(bare.Train.Seed),
		"train.early_stop.metric":            string(early.Metric),
		"train.clip_norm":                    bare.Train.ClipNorm,
		"train.label_smoothing":              bare.Train.LabelSmoothing,
		"sweep.seeds":                        1, // an experiment without sweep: has one seed
		"report.gallery":                     bare.Report.Gallery,
		"report.feature_maps.images":         bare.Report.FeatureMaps.Images,
	}
	seen := 0
	var walk func(keys []formatKey, path string)
	walk = func(keys []formatKey, path string) {
		for _, k := range keys {
			kp := join(path, k.Name)
			if k.Default != nil {
				seen++
				if g, ok := got[kp]; !ok {
					t.Errorf("%s: the format gives a default (%v) this test does not check", kp, k.Default)
				} else if !reflect.DeepEqual(g, k.Default) {
					t.Errorf("%s: the format's default is %#v, the decoder's %#v", kp, k.Default, g)
				}
			}
			switch {
			case k.Type == fKind:
				for _, kind := range k.Keys {
					walk(kind.Keys, kp+"."+kind.Name)
				}
			case k.Type == fList && k.Item.Type == fKind:
				for _, kind := range k.Item.Keys {
					walk(kind.Keys, kp+"[0]."+kind.Name)
				}
			default:
				walk(k.Keys, kp)
			}
		}
	}
	walk(format, "")
	if seen != len(got) {
		t.Errorf("the format gives %d defaults, the test checks %d", seen, len(got))
	}
}
