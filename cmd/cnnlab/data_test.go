package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDataCommand(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("CNNLAB_DATA", cache)
	// One damaged file makes its set "damaged".
	os.MkdirAll(filepath.Join(cache, "mnist"), 0o755)
	os.WriteFile(filepath.Join(cache, "mnist", "t10k-labels-idx1-ubyte"), []byte("bad"), 0o644)

	tests := []struct {
		args     []string
		code     int
		inStdout []string
		inStderr string
	}{
		{[]string{"data", "list"}, 0, []string{"cache folder: " + cache, "cifar10", "32×32×3", "not fetched",
			"mnist", "damaged (t10k-labels-idx1-ubyte; fetch again)"}, ""},
		{[]string{"data"}, 2, nil, "missing subcommand"},
		{[]string{"data", "fetch"}, 2, nil, "at least one data set"},
		{[]string{"data", "fetch", "imagenet"}, 2, nil, `unknown data set "imagenet"`},
		{[]string{"data", "frob"}, 2, nil, `unknown subcommand "frob"`},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.code {
			t.Errorf("run(%q) = %d, want %d (stderr %q)", tt.args, code, tt.code, errb.String())
		}
		for _, s := range tt.inStdout {
			if !strings.Contains(out.String(), s) {
				t.Errorf("run(%q) stdout lacks %q:\n%s", tt.args, s, out.String())
			}
		}
		if !strings.Contains(errb.String(), tt.inStderr) {
			t.Errorf("run(%q) stderr %q lacks %q", tt.args, errb.String(), tt.inStderr)
		}
	}
}
