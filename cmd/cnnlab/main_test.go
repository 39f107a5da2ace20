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
