package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRunDispatch(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStdout string
		inStderr string
	}{
		{[]string{"help"}, 0, "Commands:", ""},
		{[]string{"version"}, 0, "cnnlab", ""},
		{[]string{"nosuch"}, 2, "", `unknown command "nosuch"`},
		{nil, 2, "Usage:", ""},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		code := run(tt.args, &out, &errb)
		if code != tt.code {
			t.Errorf("run(%q) = %d, want %d (stderr %q)", tt.args, code, tt.code, errb.String())
		}
		if !strings.Contains(out.String(), tt.inStdout) {
			t.Errorf("run(%q) stdout %q lacks %q", tt.args, out.String(), tt.inStdout)
		}
		if !strings.Contains(errb.String(), tt.inStderr) {
			t.Errorf("run(%q) stderr %q lacks %q", tt.args, errb.String(), tt.inStderr)
		}
	}
}

// A usage error shows the message and the synopsis, not the whole help that
// would push the message off the screen.
func TestUsageErrorIsShort(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"run", "--bogus"}, &out, &errb); code != 2 {
		t.Fatalf("exit %d", code)
	}
	want := "cnnlab run: flag provided but not defined: -bogus\nusage:\n  cnnlab run FILE..."
	if got := errb.String(); !strings.HasPrefix(got, want) || !strings.HasSuffix(got, "Run 'cnnlab help run' for more.\n") || strings.Count(got, "\n") > 6 {
		t.Errorf("stderr:\n%s", got)
	}
}
