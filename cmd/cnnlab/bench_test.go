package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/internal/sysmem"
)

const benchYAML = `name: tiny
data:
  set: mnist
model:
  - conv: {filters: 4, kernel: 3, activation: relu}
  - maxpool: {size: 2}
  - batchnorm
  - flatten
  - dense: {units: 16, activation: relu}
  - dropout: {rate: 0.2}
  - dense: {units: 10}
train:
  batch: 32
  optimizer: {sgd: {lr: 0.01, momentum: 0.9}}
  l2: 0.0001
  clip_norm: 1
sweep:
  grid:
    model[0].conv.filters: [4, 6]
`

func writeBenchExperiment(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(path, []byte(benchYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBench(t *testing.T) {
	path := writeBenchExperiment(t)
	var out, errb bytes.Buffer
	code := run([]string{"bench", path, "--images", "40", "--batch=8", "--threads", "1", "--point", "1"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
	s := out.String()
	for _, want := range []string{"tiny (", ".yaml, point 1: filters=6):", "input 28×28×1", "batch 8", "1 thread,",
		"infer images/s", "peak memory", "per training step", "batchnorm", "dropout", "optimizer",
		"conv+relu+maxpool ", // run fused, timed as one
	} {
		if !strings.Contains(s, want) {
			t.Errorf("output lacks %q:\n%s", want, s)
		}
	}
	m := regexp.MustCompile(`train images/s +([0-9,]+) +\((\d+) images`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no train rate in\n%s", s)
	}
	if rate, _ := strconv.Atoi(strings.ReplaceAll(m[1], ",", "")); rate <= 0 {
		t.Errorf("train rate %s", m[1])
	}
	if m[2] != "40" { // 5 steps of 8
		t.Errorf("trained on %s images, want 40", m[2])
	}
	if mib := regexp.MustCompile(`peak memory +([0-9.]+) MiB`).FindStringSubmatch(s); mib == nil || mib[1] == "0.0" {
		t.Errorf("no peak memory in\n%s", s)
	}
}

func TestBenchErrors(t *testing.T) {
	path := writeBenchExperiment(t)
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"bench"}, 2, "one experiment file"},
		{[]string{"bench", path, path}, 2, "one experiment file"},
		{[]string{"bench", path, "--images", "0"}, 2, "--images"},
		{[]string{"bench", path, "--threads"}, 2, "--threads needs a number"},
		{[]string{"bench", path, "--batch=x"}, 2, "--batch"},
		{[]string{"bench", path, "--point", "2"}, 2, "has 2 points"},
		{[]string{"bench", path, "--frobnicate"}, 2, "unknown flag"},
		{[]string{"bench", filepath.Join(t.TempDir(), "missing.yaml")}, 1, "missing.yaml"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != tc.code || !strings.Contains(errb.String(), tc.msg) {
			t.Errorf("%q: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errb.String(), tc.code, tc.msg)
		}
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 12345: "12,345", 1234567: "1,234,567", -123: "-123", -4321: "-4,321"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}

// A batch that cannot fit in memory is refused before anything is built.
func TestBenchRefusesWhatCannotFit(t *testing.T) {
	if l, ok := sysmem.Current(); !ok || l.Free() > 150<<30 {
		t.Skip("this machine could hold the batch")
	}
	var out, errb bytes.Buffer
	code := run([]string{"bench", "../../experiments/seed/cifar10.yaml", "--set", "train.batch=40000", "--images", "10"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "activations at batch 40000 94.9 GiB") || !strings.Contains(errb.String(), "this process may use") {
		t.Errorf("bench = %d\nstdout %s\nstderr %s", code, out.String(), errb.String())
	}
}
