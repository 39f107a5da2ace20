package experiments

import (
	"path/filepath"
	"testing"
)

func TestKeyPos(t *testing.T) {
	tests := []struct {
		file string
		sets []string
		path string
		want Pos
	}{
		{"testdata/good/folder.yaml", nil, "data.path", Pos{"testdata/good/folder.yaml", 5, 3}},
		{"testdata/good/folder.yaml", nil, "data.split", Pos{"testdata/good/folder.yaml", 8, 3}},
		{"testdata/good/folder.yaml", []string{"data.path=elsewhere"}, "data.path", Pos{File: "--set data.path=elsewhere"}},
		{"testdata/good/folder.yaml", nil, "train.epochs", Pos{File: "testdata/good/folder.yaml"}},
		{"testdata/good/folder.yaml", nil, "model[0]", Pos{File: "testdata/good/folder.yaml"}},
		{"testdata/good/folder.yaml", nil, "data..", Pos{File: "testdata/good/folder.yaml"}},
	}
	for _, tt := range tests {
		e, err := Load(tt.file, tt.sets)
		if err != nil {
			t.Fatal(err)
		}
		got := e.KeyPos(tt.path)
		got.File = filepath.ToSlash(got.File)
		if got != tt.want {
			t.Errorf("%s %v: KeyPos(%q) = %v, want %v", tt.file, tt.sets, tt.path, got, tt.want)
		}
	}
}
