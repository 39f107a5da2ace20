package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An experiment without name: is named after its file under the same rule
// as a written name: non-ASCII names stay readable and distinct, and names
// the results folder cannot hold are refused before any work, with a
// suggestion.
func TestExperimentNames(t *testing.T) {
	body, err := os.ReadFile("testdata/good/folder.yaml")
	if err != nil {
		t.Fatal(err)
	}
	unnamed := strings.Replace(string(body), "name: folder\n", "", 1)
	unnamed = strings.Replace(unnamed, "path: ../folder", "path: "+mustAbs(t, "testdata/folder"), 1)
	long := strings.Repeat("a", 300)
	tests := []struct {
		file    string // file name in a temporary folder
		name    string // name: written in the file, "" for none
		want    string // the experiment's name; "" when refused
		wantErr string
	}{
		{file: "ünï.yaml", want: "ünï"},
		{file: "änö.yaml", want: "änö"},
		{file: "实验一.yaml", want: "实验一"},
		{file: "实验二.yaml", want: "实验二"},
		{file: "site.yaml", want: "site"},
		{file: "x.yaml", name: "实验三", want: "实验三"},
		{file: "x.yaml", name: "Messung-ä.1", want: "Messung-ä.1"},
		{file: long + ".yaml", wantErr: "names are limited to 100 bytes (it names the results folder); add a name, e.g. name: " + strings.Repeat("a", 90)},
		{file: "x.yaml", name: long, wantErr: "names are limited to 100 bytes (it names the results folder); e.g. name: " + strings.Repeat("a", 90)},
		{file: "index.html.yaml", wantErr: `"index.html" is used by the report for its own files`},
		{file: "x.yaml", name: "index.html", wantErr: `"index.html" is used by the report for its own files`},
		{file: "x.yaml", name: "Assets", wantErr: `"Assets" is used by the report for its own files`},
		{file: "my exp.yaml", wantErr: `without name:, the experiment is named after its file, "my exp": ' ' is not allowed; use letters, digits, '-', '_' and '.' (it names the results folder); add a name, e.g. name: my-exp`},
		{file: "_x.yaml", wantErr: `it starts with '_'; start with a letter or a digit`},
		{file: "x.yaml", name: "a/b", wantErr: `'/' is not allowed`},
		{file: "x.yaml", name: "..", wantErr: `it starts with '.'`},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		path := filepath.Join(dir, tt.file)
		text := unnamed
		if tt.name != "" {
			text = "name: \"" + tt.name + "\"\n" + text
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			if tt.wantErr == "" {
				t.Fatal(err)
			}
			// A file name the file system refuses cannot be tested here.
			continue
		}
		e, err := Load(path, nil)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s name %q: error %v, want %q", tt.file, tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s name %q: %v", tt.file, tt.name, err)
			continue
		}
		if e.Name != tt.want {
			t.Errorf("%s name %q: experiment named %q, want %q", tt.file, tt.name, e.Name, tt.want)
		}
	}
}

func TestSuggestNamePasses(t *testing.T) {
	for _, name := range []string{"", "my exp", "..", "index.html", "ü ü", strings.Repeat("é", 200), "\xff\xfe", "_a", "-", "a/b/c"} {
		s := SuggestName(name)
		if err := CheckName(s); err != nil {
			t.Errorf("SuggestName(%q) = %q, which is refused: %v", name, s, err)
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
