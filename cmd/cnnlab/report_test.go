package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReportCommand(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"report", "--results", filepath.Join(empty, "nosuch")}, 1, "", "results folder"},
		{[]string{"report", "--bogus"}, 2, "", "flag provided but not defined"},
		{[]string{"report", "extra"}, 2, "", `unexpected argument "extra"`},
		{[]string{"report", "--results", empty, "--out", filepath.Join(empty, "site")}, 1, "", "is inside the results folder"},
		{[]string{"report", "--results", empty, "--out", empty}, 1, "", "is inside the results folder"},
		{[]string{"report", "--results", empty}, 0, "0 experiments, 0 runs, 1 page,", ""},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.code {
			t.Errorf("run(%q) = %d, want %d (stderr %q)", tt.args, code, tt.code, errb.String())
		}
		if !strings.Contains(out.String(), tt.inStdout) || !strings.Contains(errb.String(), tt.inStderr) {
			t.Errorf("run(%q): stdout %q stderr %q; want %q and %q", tt.args, out.String(), errb.String(), tt.inStdout, tt.inStderr)
		}
	}
	if _, err := os.Stat(filepath.Join(empty+"-site", "index.html")); err != nil {
		t.Errorf("report wrote no index: %v", err)
	}
}

func TestPlural(t *testing.T) {
	for n, want := range map[int]string{0: "0 runs", 1: "1 run", 2: "2 runs"} {
		if got := plural(n, "run"); got != want {
			t.Errorf("plural(%d) = %q, want %q", n, got, want)
		}
	}
}
