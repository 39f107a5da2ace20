package experiments

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
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
