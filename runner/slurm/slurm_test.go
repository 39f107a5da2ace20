package slurm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/runner"
	"github.com/cnnlab/cnnlab/runner/record"
)

func TestSplitSbatchOptions(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [][]string
		err  string
	}{
		{"", nil, ""},
		{"--partition=x --time=2:00:00 --cpus-per-task=4", [][]string{{"--partition=x"}, {"--time=2:00:00"}, {"--cpus-per-task=4"}}, ""},
		{"-p short -c 2 --exclusive", [][]string{{"-p", "short"}, {"-c", "2"}, {"--exclusive"}}, ""},
		{`--comment='a b' --job-name "x y"`, [][]string{{"--comment=a b"}, {"--job-name", "x y"}}, ""},
		{`--comment=a\ b`, [][]string{{"--comment=a b"}}, ""},
		{`--comment="say \"hi\""`, [][]string{{`--comment=say "hi"`}}, ""},
		{"--comment='open", nil, "unclosed '"},
		{`--comment="open`, nil, `unclosed "`},
	} {
		got, err := SplitSbatchOptions(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestCheckSbatchOptions(t *testing.T) {
	for _, tc := range []struct {
		opts [][]string
		err  string
	}{
		{[][]string{{"--partition=x"}, {"-c", "2"}}, ""},
		{[][]string{{"--array=0-3"}}, "--array=0-3 cannot be set"},
		{[][]string{{"-o", "x.out"}}, "-o cannot be set"},
		{[][]string{{"--error=x"}}, "--error=x cannot be set"},
		{[][]string{{"partition=x"}}, "does not start with '-'"},
	} {
		err := checkSbatchOptions(tc.opts)
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%q: %v, want %q", tc.opts, err, tc.err)
		}
	}
}

func TestHasSbatchOption(t *testing.T) {
	for _, tc := range []struct {
		opts [][]string
		want bool
	}{
		{nil, false},
		{[][]string{{"--cpus-per-task=4"}}, true},
		{[][]string{{"--cpus-per-task", "4"}}, true},
		{[][]string{{"-c", "4"}}, true},
		{[][]string{{"-c4"}}, true},
		{[][]string{{"--comment=-c"}}, false},
		{[][]string{{"--constraint=x"}}, false},
	} {
		if got := hasSbatchOption(tc.opts, "--cpus-per-task", "-c"); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.opts, got, tc.want)
		}
	}
}

func TestParseSbatchID(t *testing.T) {
	for _, tc := range []struct {
		out, want string
		ok        bool
	}{
		{"1234\n", "1234", true},
		{"1234;cluster\n", "1234", true},
		{"Submitted batch job 12\n", "", false},
		{"", "", false},
	} {
		got, err := parseSbatchID([]byte(tc.out))
		if got != tc.want || (err == nil) != tc.ok {
			t.Errorf("%q: %q, %v; want %q", tc.out, got, err, tc.want)
		}
	}
}

func TestParseSqueue(t *testing.T) {
	got := parseSqueue([]byte("12_0|RUNNING\n12_1|PENDING\n\n13|COMPLETING\n"))
	want := Queue{"12_0": "RUNNING", "12_1": "PENDING", "13": "COMPLETING"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%v, want %v", got, want)
	}
}

func TestSlurmEnv(t *testing.T) {
	for _, tc := range []struct {
		job, arrayJob, task, cpus string
		wantJob                   string
		wantCPUs                  int
	}{
		{"", "", "", "", "", 0},
		{"57", "", "", "4", "57", 4},
		{"58", "55", "3", "2", "55_3", 2},
		{"58", "55", "3", "zero", "55_3", 0},
		{"58", "55", "3", "-1", "55_3", 0},
	} {
		t.Setenv("SLURM_JOB_ID", tc.job)
		t.Setenv("SLURM_ARRAY_JOB_ID", tc.arrayJob)
		t.Setenv("SLURM_ARRAY_TASK_ID", tc.task)
		t.Setenv("SLURM_CPUS_PER_TASK", tc.cpus)
		if got := JobFromEnv(); got != tc.wantJob {
			t.Errorf("%+v: job %q, want %q", tc, got, tc.wantJob)
		}
		if got := CPUsFromEnv(); got != tc.wantCPUs {
			t.Errorf("%+v: cpus %d, want %d", tc, got, tc.wantCPUs)
		}
	}
}

// noQueue is a Slurm queue with nothing in it.
func noQueue(context.Context, []string) (Queue, error) { return Queue{}, nil }

func TestPlanScript(t *testing.T) {
	file := writeExperiment(t, tinySweep)
	results := t.TempDir()
	arrays, err := Plan(context.Background(), []string{file}, Options{
		Results: results, Program: "/opt/cnnlab/bin/cnnlab", Sets: []string{"train.epochs=2", "name=tiny"},
		Sbatch: [][]string{{"--partition=short"}, {"--comment", "lr sweep"}}, Queue: noQueue,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(arrays) != 1 {
		t.Fatalf("%d arrays, want 1", len(arrays))
	}
	a := arrays[0]
	if a.Points != 6 || len(a.Tasks) != 4 || len(a.Skipped) != 2 {
		t.Fatalf("%d points, %d tasks, skipped %+v; want 6, 4 and the 2 duplicates", a.Points, len(a.Tasks), a.Skipped)
	}
	for i, want := range []int{0, 1, 2, 3} {
		if a.Tasks[i].Index != i || a.Tasks[i].Point != want {
			t.Errorf("task %d: %+v, want point %d", i, a.Tasks[i], want)
		}
	}
	for _, s := range a.Skipped {
		if !strings.HasPrefix(s.Reason, "same config as point") {
			t.Errorf("skipped %+v", s)
		}
	}
	if want := filepath.Join(results, "tiny", Folder); a.Dir != want {
		t.Errorf("dir %s, want %s", a.Dir, want)
	}
	for _, want := range []string{
		"#!/bin/bash\n",
		"#SBATCH --array=0-3\n",
		"#SBATCH --output=" + filepath.Join(a.Dir, "%A_%a.out") + "\n",
		"#SBATCH --cpus-per-task=1\n",
		"#SBATCH --partition=short\n",
		"#SBATCH --comment \"lr sweep\"\n",
		fmt.Sprintf("3) point=3 ;; # run %s: ", a.Tasks[3].RunID),
	} {
		if !strings.Contains(a.Script, want) {
			t.Errorf("the script lacks %q:\n%s", want, a.Script)
		}
	}
	if _, err := os.Stat(a.Dir); !os.IsNotExist(err) {
		t.Errorf("planning wrote %s", a.Dir)
	}

	// The script, run by bash as a task, starts the program with the
	// task's point.
	bin := t.TempDir()
	argsFile := filepath.Join(bin, "args")
	fake := filepath.Join(bin, "cnnlab")
	writeScript(t, fake, `printf '%s\n' "$@" > `+argsFile+"\n")
	arrays, err = Plan(context.Background(), []string{file}, Options{Results: results, Program: fake,
		Sets: []string{"train.epochs=2", "report.gallery=3"}, Force: true, Queue: noQueue})
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(bin, "job.sbatch")
	writeScript(t, script, arrays[0].Script)
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=2")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the script: %v\n%s", err, out)
	}
	got, err := os.ReadFile(argsFile)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{"run", file, "--point", "2", "--results", results,
		"--set", "train.epochs=2", "--set", "report.gallery=3", "--force"}, "\n") + "\n"
	if string(got) != want {
		t.Errorf("task 2 ran cnnlab with\n%s\nwant\n%s", got, want)
	}
	cmd = exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=9")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "not part of this sweep") {
		t.Errorf("task 9: %v, %s; want a refusal", err, out)
	}
}

func TestPlanUserCPUs(t *testing.T) {
	file := writeExperiment(t, tinyBase)
	arrays, err := Plan(context.Background(), []string{file}, Options{Results: t.TempDir(), Program: "cnnlab",
		Sbatch: [][]string{{"-c", "4"}}, Queue: noQueue})
	if err != nil {
		t.Fatal(err)
	}
	s := arrays[0].Script
	if strings.Contains(s, "--cpus-per-task=1") || !strings.Contains(s, "#SBATCH -c 4\n") {
		t.Errorf("the user's CPU count is not the only one:\n%s", s)
	}
	if _, err := Plan(context.Background(), []string{file}, Options{Sbatch: [][]string{{"--array=1-2"}}, Queue: noQueue}); err == nil {
		t.Error("--array was accepted")
	}
}

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if !strings.HasPrefix(body, "#!") {
		body = "#!/bin/sh\n" + body
	}
	if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// fakeSlurm puts sbatch and squeue stand-ins first on PATH: sbatch copies
// the script it is given to DIR/submitted and prints job id 4242; squeue
// prints DIR/queue.
func fakeSlurm(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeScript(t, filepath.Join(dir, "sbatch"), `[ "$1" = --parsable ] || { echo "want --parsable" >&2; exit 1; }
cp "$2" `+filepath.Join(dir, "submitted")+`
echo '4242;cluster'
`)
	writeScript(t, filepath.Join(dir, "squeue"), `echo "$@" > `+filepath.Join(dir, "squeue-args")+`
case "$*" in *--jobs=99*) echo "slurm_load_jobs error: Invalid job id specified" >&2; exit 1 ;; esac
cat `+filepath.Join(dir, "queue")+" 2>/dev/null\n")
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return dir
}

func TestQueryQueue(t *testing.T) {
	dir := fakeSlurm(t)
	if err := os.WriteFile(filepath.Join(dir, "queue"), []byte("7_0|RUNNING\n7_1|PENDING\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	q, err := QueryQueue(context.Background(), []string{"7", "8"})
	if err != nil || !reflect.DeepEqual(q, Queue{"7_0": "RUNNING", "7_1": "PENDING"}) {
		t.Fatalf("%v, %v", q, err)
	}
	args, _ := os.ReadFile(filepath.Join(dir, "squeue-args"))
	if !strings.Contains(string(args), "--jobs=7,8") || !strings.Contains(string(args), "--array") {
		t.Errorf("squeue %s", args)
	}
	// A single job squeue no longer knows has ended.
	if q, err := QueryQueue(context.Background(), []string{"99"}); err != nil || len(q) != 0 {
		t.Errorf("ended job: %v, %v", q, err)
	}
	if _, err := QueryQueue(context.Background(), []string{"99", "98"}); err == nil {
		t.Error("a failing squeue gave no error")
	}
}

func TestSlurmWithoutSlurm(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if err := Submit(context.Background(), []*Array{{Tasks: []Task{{}}}}); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("submit: %v, want ErrNotInstalled", err)
	}
	if _, err := QueryQueue(context.Background(), []string{"1"}); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("queue: %v, want ErrNotInstalled", err)
	}
	if !strings.Contains(ErrNotInstalled.Error(), "--dry-run") {
		t.Errorf("the message does not point to --dry-run: %v", ErrNotInstalled)
	}
	// A dry run still plans, and the status of a sweep still reads its records.
	file := writeExperiment(t, tinySweep)
	results := t.TempDir()
	arrays, err := Plan(context.Background(), []string{file}, Options{Results: results, Program: "/x/cnnlab"})
	if err != nil || len(arrays) != 1 || len(arrays[0].Tasks) != 4 {
		t.Fatalf("plan without Slurm: %v", err)
	}
	pts, err := Status(context.Background(), []string{file}, StatusOptions{Results: results})
	if err != nil || len(pts) != 6 || pts[0].State != runner.StatePending {
		t.Fatalf("status without Slurm: %+v, %v", pts, err)
	}
}

// TestSlurmSubmitAndStatus submits a sweep to a stand-in sbatch, then
// follows its points through queued, running, done and a task that died.
func TestSlurmSubmitAndStatus(t *testing.T) {
	dir := fakeSlurm(t)
	file := writeExperiment(t, tinySweep)
	results := t.TempDir()
	ctx := context.Background()
	arrays, err := Plan(ctx, []string{file}, Options{Results: results, Program: "/x/cnnlab"})
	if err != nil {
		t.Fatal(err)
	}
	if err := Submit(ctx, arrays); err != nil {
		t.Fatal(err)
	}
	a := arrays[0]
	if a.JobID != "4242" || a.ScriptFile != filepath.Join(a.Dir, "4242.sbatch") || a.Submitted.IsZero() {
		t.Fatalf("submitted %+v", a)
	}
	for _, f := range []string{a.ScriptFile, filepath.Join(dir, "submitted")} {
		if b, err := os.ReadFile(f); err != nil || string(b) != a.Script {
			t.Errorf("%s is not the script (%v)", f, err)
		}
	}
	var saved Array
	if err := record.ReadJSON(filepath.Join(a.Dir, "4242.json"), &saved); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(saved.Tasks, a.Tasks) || saved.File != file {
		t.Errorf("saved tasks %+v, want %+v", saved, a.Tasks)
	}
	if left, _ := filepath.Glob(filepath.Join(a.Dir, "submitting-*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}

	// Task 0 runs, 1 and 2 wait, 3 has ended without a record.
	queue := "4242_0|RUNNING\n4242_1|PENDING\n4242_2|PENDING\n"
	if err := os.WriteFile(filepath.Join(dir, "queue"), []byte(queue), 0o644); err != nil {
		t.Fatal(err)
	}
	// Point 1 had stopped at epoch 2 before; point 2's record is that of a
	// task that was killed.
	writeStatus(t, results, a.Tasks[1].RunID, record.Status{State: record.StateStopped, Epoch: 2})
	writeStatus(t, results, a.Tasks[2].RunID, record.Status{State: record.StateRunning, Epoch: 1, SlurmJob: "4000_7"})
	pts, err := Status(ctx, []string{file}, StatusOptions{Results: results})
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		state     record.State
		job, note string
	}{
		{record.StateRunning, "4242_0", ""},
		{runner.StateQueued, "4242_1", "resumes at epoch 3"},
		{runner.StateQueued, "4242_2", "resumes at epoch 2"},
		{runner.StatePending, "", ""},
		{runner.StateQueued, "4242_2", "resumes at epoch 2"}, // the same run as point 2
		{record.StateRunning, "4242_0", ""},                  // and as point 0
	}
	for i, p := range pts {
		if p.State != want[i].state || p.SlurmJob != want[i].job || p.Note != want[i].note || p.Point != i {
			t.Errorf("point %d: %s %q %q, want %+v", i, p.State, p.SlurmJob, p.Note, want[i])
		}
	}

	// Submitting again sends only the point that is neither queued nor
	// running.
	again, err := Plan(ctx, []string{file}, Options{Results: results, Program: "/x/cnnlab"})
	if err != nil {
		t.Fatal(err)
	}
	if got := again[0].Tasks; len(got) != 1 || got[0].Point != 3 || got[0].Index != 0 {
		t.Fatalf("resubmission tasks %+v, want only point 3", got)
	}
	reasons := map[int]string{}
	for _, s := range again[0].Skipped {
		reasons[s.Point] = s.Reason
	}
	if reasons[0] != "running in Slurm job 4242_0" || reasons[1] != "pending in Slurm job 4242_1" {
		t.Errorf("skipped %v", reasons)
	}

	// Once the array has left the queue, a record still saying running
	// belongs to a task that died.
	if err := os.WriteFile(filepath.Join(dir, "queue"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	writeStatus(t, results, a.Tasks[0].RunID, record.Status{State: record.StateRunning, Epoch: 1, SlurmJob: "4242_0"})
	pts, err = Status(ctx, []string{file}, StatusOptions{Results: results})
	if err != nil {
		t.Fatal(err)
	}
	if p := pts[0]; p.State != record.StateStopped || !strings.Contains(p.Note, "4242_0 ended") {
		t.Errorf("point 0 after its task died: %s %q", p.State, p.Note)
	}
	if p := pts[2]; p.State != record.StateStopped {
		t.Errorf("point 2: %s", p.State)
	}
	if p := pts[1]; p.State != record.StateStopped || p.Epoch != 2 {
		t.Errorf("point 1: %s at epoch %d", p.State, p.Epoch)
	}
	// Point 3 is being trained by hand inside another Slurm job.
	writeStatus(t, results, a.Tasks[3].RunID, record.Status{State: record.StateRunning, SlurmJob: "5000"})
	if err := os.WriteFile(filepath.Join(dir, "queue"), []byte("5000|RUNNING\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pts, err = Status(ctx, []string{file}, StatusOptions{Results: results})
	if err != nil {
		t.Fatal(err)
	}
	if p := pts[3]; p.State != record.StateRunning || p.SlurmJob != "5000" {
		t.Errorf("point 3 in job 5000: %s %q", p.State, p.SlurmJob)
	}
	again, err = Plan(ctx, []string{file}, Options{Results: results, Program: "/x/cnnlab"})
	if err != nil {
		t.Fatal(err)
	}
	if len(again[0].Tasks) != 3 {
		t.Errorf("after the array ended: %d tasks, want 3 (all but point 3)", len(again[0].Tasks))
	}
}

// writeStatus writes a run's status file as a task would.
func writeStatus(t *testing.T, results, id string, st record.Status) {
	t.Helper()
	dir := filepath.Join(results, "tiny", id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	st.RunID = id
	if err := record.WriteJSON(filepath.Join(dir, record.StatusFile), st); err != nil {
		t.Fatal(err)
	}
}

// TestPlanSkipsDoneRuns trains a sweep locally, then checks that a
// submission leaves out its finished runs and takes a failed one.
func TestPlanSkipsDoneRuns(t *testing.T) {
	text := strings.Replace(tinyBase, "epochs: 3", "epochs: 1", 1) + "sweep:\n  grid:\n    model[0].conv.filters: [2, 3]\n"
	file := writeExperiment(t, text)
	results := t.TempDir()
	sum, out := runLocal(t, context.Background(), file, results, false)
	if sum.Failed() > 0 {
		t.Fatalf("local sweep failed:\n%s", out)
	}
	failed := sum.Runs[1]
	st := readStatus(t, failed.Dir)
	st.State, st.Error = record.StateFailed, "out of memory"
	if err := record.WriteJSON(filepath.Join(failed.Dir, record.StatusFile), st); err != nil {
		t.Fatal(err)
	}
	arrays, err := Plan(context.Background(), []string{file}, Options{Results: results, Program: "cnnlab", Queue: noQueue})
	if err != nil {
		t.Fatal(err)
	}
	a := arrays[0]
	if len(a.Tasks) != 1 || a.Tasks[0].Point != 1 || len(a.Skipped) != 1 || a.Skipped[0].Reason != string(record.StateDone) {
		t.Fatalf("tasks %+v, skipped %+v; want point 1 only, point 0 done", a.Tasks, a.Skipped)
	}
	pts, err := Status(context.Background(), []string{file}, StatusOptions{Results: results, Queue: noQueue})
	if err != nil {
		t.Fatal(err)
	}
	if pts[0].State != record.StateDone || pts[1].State != record.StateFailed || pts[1].Note != "out of memory" {
		t.Errorf("status %+v", pts)
	}
	forced, err := Plan(context.Background(), []string{file}, Options{Results: results, Program: "cnnlab", Queue: noQueue, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(forced[0].Tasks) != 2 {
		t.Errorf("--force: %d tasks, want 2", len(forced[0].Tasks))
	}
}
