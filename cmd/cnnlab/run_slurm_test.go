package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunExecutorUsage(t *testing.T) {
	file := folderExperiment(t, writeFolderSet(t, 5), 1, "sweep:\n  grid:\n    model[0].conv.kernel: [3, 5]\n")
	other := folderExperiment(t, writeFolderSet(t, 5), 1, "")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"run", file, "--executor", "cloud"}, `--executor "cloud": want local or slurm`},
		{[]string{"run", file, "--dry-run"}, "go with --executor slurm"},
		{[]string{"run", file, "--slurm-opt", "--time=1:00"}, "go with --executor slurm"},
		{[]string{"run", file, "--executor", "slurm", "--point", "1"}, "--executor slurm submits every missing point"},
		{[]string{"run", file, other, "--point", "0"}, "--point K needs one experiment file"},
		{[]string{"run", file, "--point", "-2"}, "--point K needs one experiment file and K ≥ 0"},
		{[]string{"run", file, "--executor", "slurm", "--dry-run", "--slurm-opt", "--comment='open"}, "--slurm-opt: unclosed '"},
	} {
		var out, errb bytes.Buffer
		if code := run(tc.args, &out, &errb); code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
	// A point beyond the sweep is an error of the run, not of its usage.
	var out, errb bytes.Buffer
	if code := run([]string{"run", file, "--point", "2", "--results", t.TempDir()}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "point 2: the sweep has 2 points") {
		t.Errorf("--point 2: exit %d, %q", code, errb.String())
	}
}

func TestRunSlurmWithoutSlurm(t *testing.T) {
	file := folderExperiment(t, writeFolderSet(t, 5), 1, "sweep:\n  grid:\n    model[0].conv.kernel: [3, 5]\n")
	results := filepath.Join(t.TempDir(), "results")
	t.Setenv("PATH", t.TempDir())
	var out, errb bytes.Buffer
	if code := run([]string{"run", file, "--executor", "slurm", "--results", results}, &out, &errb); code != 1 ||
		!strings.Contains(errb.String(), "Slurm is not installed here") {
		t.Errorf("exit %d, stderr %q; want 1 and a clear message", code, errb.String())
	}
	out.Reset()
	errb.Reset()
	code := run([]string{"run", file, "--executor", "slurm", "--dry-run", "--results", results,
		"--slurm-opt", "--partition=short --time 1:00:00", "--set", "train.batch=5"}, &out, &errb)
	if code != 0 {
		t.Fatalf("--dry-run: exit %d\n%s", code, errb.String())
	}
	for _, want := range []string{"would submit 2 of 2 points", "#SBATCH --array=0-1\n", "#SBATCH --partition=short\n",
		"#SBATCH --time 1:00:00\n", "#SBATCH --cpus-per-task=1\n", "--point \"$point\"", "--set train.batch=5"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the dry run does not print %q:\n%s", want, out.String())
		}
	}
	if _, err := os.Stat(results); !os.IsNotExist(err) {
		t.Errorf("the dry run wrote %s", results)
	}
}

func TestStatusCommand(t *testing.T) {
	file := folderExperiment(t, writeFolderSet(t, 20), 1, "sweep:\n  grid:\n    model[0].conv.kernel: [3, 5]\n")
	results := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"run", file, "--point", "1", "--results", results}, &out, &errb); code != 0 {
		t.Fatalf("run --point 1: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "1 run: 1 done") || strings.Contains(out.String(), "kernel=3") {
		t.Errorf("run --point 1 trained more than point 1:\n%s", out.String())
	}
	out.Reset()
	if code := run([]string{"status", file, "--results", results}, &out, &errb); code != 0 {
		t.Fatalf("status: exit %d\n%s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "EXPERIMENT") ||
		!strings.Contains(lines[1], "pending") || !strings.Contains(lines[1], "kernel=3") ||
		!strings.Contains(lines[2], "done") || !strings.Contains(lines[2], "kernel=5") ||
		lines[3] != "2 points: 1 pending, 1 done" {
		t.Errorf("status:\n%s", out.String())
	}
	if code := run([]string{"status"}, &out, &errb); code != 2 {
		t.Errorf("status without a file: exit %d", code)
	}
}
