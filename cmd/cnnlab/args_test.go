package main

import (
	"bytes"
	"strings"
	"testing"
)

// The commands that word their flag errors themselves keep cnnlab's
// messages on package flag's FlagSet, and take --flag value and --flag=value
// alike.
func TestWordedFlags(t *testing.T) {
	const m = "../../experiments/seed/mnist.yaml"
	for _, tc := range []struct {
		args []string
		code int
		msg  string // the first line of stderr, after "cnnlab CMD: "
	}{
		{[]string{"summary", m, "--point"}, 2, "--point needs a number"},
		{[]string{"summary", m, "--point=x"}, 2, `--point "x": want a point number (0, 1, …)`},
		{[]string{"summary", m, "--point", "-1"}, 2, `--point "-1": want a point number (0, 1, …)`},
		{[]string{"summary", m, "--point", "0"}, 0, ""},
		{[]string{"summary", "--point=0", m}, 0, ""},
		{[]string{"validate", m, "--frob=1"}, 2, "unknown flag --frob=1"},
		{[]string{"validate", m, "-h"}, 2, "unknown flag -h"},
		{[]string{"validate", m, "--set"}, 2, "--set needs key.path=value"},
		{[]string{"validate", m, "--set", "train.epochs=2"}, 0, ""},
		{[]string{"validate", "--set=train.epochs=2", m, "-set", "train.batch=8"}, 0, ""},
		{[]string{"bench", m, "--images=0"}, 2, `--images "0": want a whole number ≥ 1`},
		{[]string{"bench", m, "--batch", "x"}, 2, `--batch "x": want a whole number ≥ 1`},
		{[]string{"bench", m, "--point"}, 2, "--point needs a number"},
		{[]string{"data", "fetch", "--all"}, 2, "unknown flag --all"},
		{[]string{"version", "-x"}, 2, "unknown flag -x"},
	} {
		var out, errb bytes.Buffer
		code := run(tc.args, &out, &errb)
		first, _, _ := strings.Cut(errb.String(), "\n")
		want := ""
		if tc.msg != "" {
			want = "cnnlab " + tc.args[0] + ": " + tc.msg
		}
		if code != tc.code || first != want {
			t.Errorf("%q: exit %d, %q; want exit %d, %q", tc.args, code, first, tc.code, want)
		}
	}
}
