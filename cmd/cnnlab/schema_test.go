package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

const schemaPath = "../../experiments/cnnlab.schema.json"

// schemaGood is a valid experiment; each case of TestSchemaAndValidateReject
// replaces one line of it.
const schemaGood = `name: good
data: {set: mnist, split: {train: 1000, val: 100, test: 100}}
model:
  - conv: {filters: 4, kernel: 3, padding: same}
  - residual: {body: [{conv: {filters: 4, kernel: 3, padding: same}}, relu], shortcut: []}
  - dropout: {rate: 0.25}
  - flatten
  - dense: {units: 10}
train: {epochs: 1, batch: 32, optimizer: {adam: {lr: 0.001}}}
report: {gallery: 0}
`

func TestSchemaCommandPrintsCommittedSchema(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"schema"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	want, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatal("cnnlab schema differs from experiments/cnnlab.schema.json; regenerate it with\n\tgo run ./cmd/cnnlab schema > experiments/cnnlab.schema.json")
	}
	out.Reset()
	errb.Reset()
	if code := run([]string{"schema", "extra"}, &out, &errb); code != 2 || out.Len() != 0 || !strings.Contains(errb.String(), "takes no arguments") {
		t.Errorf("cnnlab schema extra: exit %d, stdout %d bytes, stderr %q; want 2, nothing, a usage error", code, out.Len(), errb.String())
	}
}

// TestSchemaAndValidateReject checks that the schema and cnnlab validate
// both reject each wrong file, and both accept the good one.
func TestSchemaAndValidateReject(t *testing.T) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(must(os.ReadFile(schemaPath))))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("cnnlab.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("cnnlab.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new string
		where          string // the instance location the schema reports
		validate       string // part of cnnlab validate's message
	}{
		{"good", "", "", "", ""},
		{"unknown top-level key", "name: good", "nmae: good", "", `nmae: unknown key; did you mean "name"?`},
		{"unknown train key", "epochs: 1,", "epoch: 1,", "/train", `train.epoch: unknown key; did you mean "epochs"?`},
		{"unknown optimizer key", "{lr: 0.001}", "{learning_rate: 0.001}", "/train/optimizer", "train.optimizer.adam.learning_rate: unknown key"},
		{"unknown layer key", "{units: 10}", "{unit: 10}", "/model/4", `model[4].dense.unit: unknown key; did you mean "units"?`},
		{"misspelt key in a residual body", "{body: [{conv: {filters: 4, kernel: 3,", "{body: [{conv: {filters: 4, kernal: 3,", "/model/1",
			`model[1].residual.body[0].conv.kernal: unknown key; did you mean "kernel"?`},
		{"unknown layer kind", "  - flatten", "  - flaten", "/model/3", `model[3]: unknown layer kind "flaten"; did you mean "flatten"?`},
		{"unknown data set", "set: mnist", "set: mnst", "/data/set", `data.set: unknown data set "mnst"`},
		{"wrong type: text for a number", "batch: 32", "batch: many", "/train/batch", `train.batch must be a whole number, got "many"`},
		{"wrong type: fraction for a whole number", "- conv: {filters: 4,", "- conv: {filters: 4.5,", "/model/0",
			"model[0].conv.filters must be a whole number, got 4.5"},
		{"wrong type: unknown padding", "padding: same}\n  - residual", "padding: middle}\n  - residual", "/model/0", `model[0].conv.padding: unknown padding "middle"`},
		{"out of range: epochs", "epochs: 1,", "epochs: 0,", "/train/epochs", "train.epochs must be ≥ 1, got 0"},
		{"out of range: dropout rate", "rate: 0.25", "rate: 1.0", "/model/2", "model[2].dropout.rate must be in [0, 1), got 1.0"},
		{"out of range: lr", "{lr: 0.001}", "{lr: 0}", "/train/optimizer", "train.optimizer.adam.lr must be > 0, got 0"},
		{"out of range: gallery", "gallery: 0", "gallery: 5000", "/report/gallery", "report.gallery must be ≤ 1000, got 5000"},
	}
	dir := t.TempDir()
	for i, tt := range tests {
		text := strings.Replace(schemaGood, tt.old, tt.new, 1)
		if tt.old != "" && text == schemaGood {
			t.Fatalf("%s: %q is not in the good file", tt.name, tt.old)
		}
		file := filepath.Join(dir, "case"+string(rune('a'+i))+".yaml")
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		var v any
		if err := yaml.Unmarshal([]byte(text), &v); err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(must(json.Marshal(v))))
		if err != nil {
			t.Fatal(err)
		}
		schemaErr := sch.Validate(inst)
		var out, errb bytes.Buffer
		code := run([]string{"validate", file}, &out, &errb)
		if tt.validate == "" {
			if schemaErr != nil || code != 0 {
				t.Errorf("%s: the good file is rejected: schema %v; validate exit %d: %s", tt.name, schemaErr, code, errb.String())
			}
			continue
		}
		if schemaErr == nil {
			t.Errorf("%s: the schema accepts\n%s", tt.name, text)
		} else if !strings.Contains(schemaErr.Error(), "'"+tt.where) {
			t.Errorf("%s: the schema's error does not point at %s:\n%v", tt.name, tt.where, schemaErr)
		}
		if code != 1 || !strings.Contains(errb.String(), tt.validate) {
			t.Errorf("%s: cnnlab validate exits %d with\n%s\nwant 1 and %q", tt.name, code, errb.String(), tt.validate)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
