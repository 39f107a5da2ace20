package slurm

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cnnlab/cnnlab/runner"
	"github.com/cnnlab/cnnlab/runner/record"
)

// The tests in this file submit to a real Slurm cluster (a single-node one
// does: .ci/slurm-up starts one). They run when CNNLAB_SLURM_TEST=1.

// clusterWait bounds each wait for Slurm.
const clusterWait = 3 * time.Minute

func needCluster(t *testing.T) {
	t.Helper()
	if os.Getenv("CNNLAB_SLURM_TEST") != "1" {
		t.Skip("set CNNLAB_SLURM_TEST=1 to submit to the local Slurm cluster (.ci/slurm-up starts one)")
	}
	for _, cmd := range []string{"sbatch", "squeue", "scancel", "go"} {
		if _, err := exec.LookPath(cmd); err != nil {
			t.Fatalf("CNNLAB_SLURM_TEST=1 but %s is not on PATH", cmd)
		}
	}
	if out, err := exec.Command("sinfo", "-h", "-o", "%T").Output(); err != nil || !regexp.MustCompile(`idle|mix|alloc`).Match(out) {
		t.Fatalf("CNNLAB_SLURM_TEST=1 but no Slurm node takes jobs: sinfo says %q (%v)", out, err)
	}
}

// buildCnnlab builds the cnnlab command into a temporary folder.
func buildCnnlab(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cnnlab")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/cnnlab/cnnlab/cmd/cnnlab")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// writeImageFolder writes a learnable data set of size×size gray PNG images
// in three class folders: a bright band at a height of its own.
func writeImageFolder(t *testing.T, size, perClass int) string {
	t.Helper()
	root := t.TempDir()
	rng := rand.New(rand.NewPCG(5, 6))
	for c, name := range []string{"top", "middle", "bottom"} {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i := range perClass {
			img := image.NewGray(image.Rect(0, 0, size, size))
			for y := range size {
				for x := range size {
					v := rng.IntN(90)
					if y*3/size == c {
						v += 150
					}
					img.SetGray(x, y, color.Gray{Y: uint8(v)})
				}
			}
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.png", i)), buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

// cnnlab runs the built command and returns its output.
func cnnlab(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("cnnlab %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

var submittedJob = regexp.MustCompile(`submitted (\d+) of (\d+) points as Slurm job (\d+)`)

// submit runs cnnlab run --executor slurm and returns the job id and the
// number of tasks it submitted.
func submit(t *testing.T, bin, file, results string) (job string, tasks int) {
	t.Helper()
	out := cnnlab(t, bin, "run", file, "--executor", "slurm", "--results", results, "--slurm-opt", "--time=10:00 --cpus-per-task=1")
	m := submittedJob.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no job submitted:\n%s", out)
	}
	fmt.Sscan(m[1], &tasks)
	t.Logf("job %s: %d tasks", m[3], tasks)
	// Leave nothing behind in the queue, whatever happens to the test.
	t.Cleanup(func() { exec.Command("scancel", m[3]).Run() })
	return m[3], tasks
}

// waitFor polls Status until done says the points are where they
// should be, or fails after clusterWait.
func waitFor(t *testing.T, file, results, what string, done func([]runner.PointStatus) bool) []runner.PointStatus {
	t.Helper()
	deadline := time.Now().Add(clusterWait)
	for {
		pts, err := Status(context.Background(), []string{file}, StatusOptions{Results: results})
		if err != nil {
			t.Fatal(err)
		}
		if done(pts) {
			return pts
		}
		if time.Now().After(deadline) {
			q, _ := exec.Command("squeue", "-a").CombinedOutput()
			logs, _ := filepath.Glob(filepath.Join(results, "*", Folder, "*.out"))
			var tail strings.Builder
			for _, l := range logs {
				b, _ := os.ReadFile(l)
				fmt.Fprintf(&tail, "--- %s\n%s\n", l, b)
			}
			t.Fatalf("waited %v for %s; points: %+v\nsqueue:\n%s\n%s", clusterWait, what, pts, q, tail.String())
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// waitForQueue waits until Slurm's queue holds no task of job, or fails
// after clusterWait.
func waitForQueue(t *testing.T, job string) {
	t.Helper()
	deadline := time.Now().Add(clusterWait)
	for {
		// Once Slurm has forgotten the job, squeue reports an invalid id.
		out, err := exec.Command("squeue", "-h", "-j", job, "-o", "%i|%T").CombinedOutput()
		if err == nil && strings.TrimSpace(string(out)) == "" || strings.Contains(string(out), "Invalid job id") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for job %s to leave the queue: %v\n%s", clusterWait, job, err, out)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func allDone(pts []runner.PointStatus) bool {
	for _, p := range pts {
		if p.State != record.StateDone && p.State != record.StateFailed && p.State != record.StateDiverged {
			return false
		}
	}
	return true
}

// TestSlurmCluster submits a 4-point sweep to Slurm, checks that the runs
// match the same points trained here bit for bit and that submitting again
// sends only what is missing; then cancels a task in the middle of its run
// and checks that the resubmitted task resumes it from its checkpoint and
// ends as an uninterrupted run does.
func TestSlurmCluster(t *testing.T) {
	needCluster(t)
	bin := buildCnnlab(t)
	ctx := context.Background()

	// A 4-point sweep of a tiny model.
	small := writeImageFolder(t, 8, 40)
	sweepFile := writeExperiment(t, fmt.Sprintf(`name: slurm-sweep
data:
  set: folder
  path: %s
  size: 8
  channels: 1
  split: {val: 15, test: 15}
model:
  - conv: {filters: 4, kernel: 3, activation: relu}
  - maxpool: {size: 2}
  - flatten
  - dropout: {rate: 0.1}
  - dense: {units: 3}
train:
  epochs: 3
  batch: 10
  optimizer: {adam: {lr: 0.01}}
report:
  gallery: 3
  feature_maps: {images: 2}
sweep:
  grid:
    model[0].conv.kernel: [3, 5]
    train.optimizer.adam.lr: [0.01, 0.003]
`, small))
	results := filepath.Join(t.TempDir(), "results")
	job, tasks := submit(t, bin, sweepFile, results)
	if tasks != 4 {
		t.Fatalf("%d tasks, want 4", tasks)
	}
	local := t.TempDir()
	sum, err := runner.Run(ctx, []string{sweepFile}, runner.Options{Results: local})
	if err != nil || len(sum.Runs) != 4 || sum.Failed() > 0 {
		t.Fatalf("local sweep: %v %+v", err, sum)
	}
	pts := waitFor(t, sweepFile, results, "the sweep", allDone)
	check := func(pts []runner.PointStatus) {
		t.Helper()
		for i, p := range pts {
			if p.State != record.StateDone {
				t.Fatalf("point %d: %s %s", i, p.State, p.Note)
			}
			if p.RunID != sum.Runs[i].RunID {
				t.Fatalf("point %d: run %s on Slurm, %s here", i, p.RunID, sum.Runs[i].RunID)
			}
			if !strings.HasPrefix(p.SlurmJob, job+"_") {
				t.Errorf("point %d: trained by %q, want a task of job %s", i, p.SlurmJob, job)
			}
			var env record.Env
			if err := record.ReadJSON(filepath.Join(p.Dir, record.EnvFile), &env); err != nil || env.Threads != 1 {
				t.Errorf("point %d: %d threads (%v), want the 1 CPU of its task", i, env.Threads, err)
			}
			compareFinal(t, readFinal(t, sum.Runs[i].Dir), readFinal(t, p.Dir))
			log := filepath.Join(results, "slurm-sweep", Folder, p.SlurmJob+".out")
			if b, err := os.ReadFile(log); err != nil || !strings.Contains(string(b), "done: best val") {
				t.Errorf("point %d: task output %s: %v\n%s", i, log, err, b)
			}
		}
	}
	check(pts)
	if out := cnnlab(t, bin, "run", sweepFile, "--executor", "slurm", "--results", results); !strings.Contains(out, "nothing to submit") {
		t.Errorf("a finished sweep was submitted again:\n%s", out)
	}
	// A lost run is all that goes when the sweep is submitted again. The
	// job must have left the queue first: a task whose run is done may
	// still be completing in Slurm, and a point with a live task is not
	// submitted again.
	waitForQueue(t, job)
	if err := os.RemoveAll(pts[2].Dir); err != nil {
		t.Fatal(err)
	}
	if job, tasks = submit(t, bin, sweepFile, results); tasks != 1 {
		t.Fatalf("resubmitted %d tasks, want 1", tasks)
	}
	pts = waitFor(t, sweepFile, results, "the lost run", allDone)
	if pts[2].SlurmJob != job+"_0" {
		t.Errorf("point 2 trained by %q, want %s_0", pts[2].SlurmJob, job)
	}
	compareFinal(t, readFinal(t, sum.Runs[2].Dir), readFinal(t, pts[2].Dir))
	out := cnnlab(t, bin, "status", sweepFile, "--results", results)
	if !strings.Contains(out, "4 points: 4 done") {
		t.Errorf("cnnlab status:\n%s", out)
	}

	// A run of several seconds, cancelled once it has a checkpoint. It has
	// many short epochs, so that it is still running after the status and
	// report checks below even when the machine is loaded and they are slow.
	longFile := writeExperiment(t, fmt.Sprintf(`name: slurm-long
data:
  set: folder
  path: %s
  size: 16
  channels: 1
  split: {val: 30, test: 30}
model:
  - conv: {filters: 64, kernel: 3, activation: relu}
  - conv: {filters: 64, kernel: 3, activation: relu}
  - maxpool: {size: 2}
  - flatten
  - dense: {units: 64, activation: relu}
  - dense: {units: 3}
train:
  epochs: 200
  batch: 16
  optimizer: {adam: {lr: 0.001}}
report:
  gallery: 3
  feature_maps: {images: 2}
`, writeImageFolder(t, 16, 200)))
	job, _ = submit(t, bin, longFile, results)
	task := job + "_0"
	pts = waitFor(t, longFile, results, "the long run to pass epoch 2", func(pts []runner.PointStatus) bool {
		return pts[0].State == record.StateRunning && pts[0].Epoch >= 2
	})
	if pts[0].SlurmJob != task {
		t.Errorf("running in %q, want %s", pts[0].SlurmJob, task)
	}
	if out := cnnlab(t, bin, "status", longFile, "--results", results); !strings.Contains(out, "running  "+task) {
		t.Errorf("cnnlab status while running:\n%s", out)
	}
	// The report reads the shared results folder while the task writes it.
	if out := cnnlab(t, bin, "report", "--results", results, "--out", filepath.Join(t.TempDir(), "site")); !strings.Contains(out, "5 runs") {
		t.Errorf("cnnlab report during the run:\n%s", out)
	}
	if out, err := exec.Command("scancel", job).CombinedOutput(); err != nil {
		t.Fatalf("scancel %s: %v\n%s", job, err, out)
	}
	pts = waitFor(t, longFile, results, "the cancelled task to stop", func(pts []runner.PointStatus) bool {
		return pts[0].State == record.StateStopped
	})
	stoppedAt := pts[0].Epoch
	if stoppedAt < 2 || stoppedAt >= 200 {
		t.Fatalf("stopped at epoch %d", stoppedAt)
	}
	t.Logf("cancelled at epoch %d of 200", stoppedAt)
	if _, err := os.Stat(filepath.Join(pts[0].Dir, record.CheckpointFile)); err != nil {
		t.Fatalf("no checkpoint after the cancel: %v", err)
	}

	// The same run here, uninterrupted, while the cluster resumes it (once
	// the cancelled task has left the queue: see waitForQueue above).
	waitForQueue(t, job)
	job, tasks = submit(t, bin, longFile, results)
	if tasks != 1 {
		t.Fatalf("resubmitted %d tasks, want 1", tasks)
	}
	ref, err := runner.Run(ctx, []string{longFile}, runner.Options{Results: local, CPUs: 1})
	if err != nil || ref.Failed() > 0 {
		t.Fatalf("local long run: %v %+v", err, ref)
	}
	pts = waitFor(t, longFile, results, "the resumed run", allDone)
	if pts[0].State != record.StateDone || pts[0].SlurmJob != job+"_0" {
		t.Fatalf("after resubmitting: %s in %q (%s)", pts[0].State, pts[0].SlurmJob, pts[0].Note)
	}
	log, err := os.ReadFile(filepath.Join(results, "slurm-long", Folder, job+"_0.out"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "resuming at epoch") {
		t.Errorf("the resubmitted task did not resume from the checkpoint:\n%s", log)
	}
	epochs, err := record.ReadJSONLines[record.Epoch](filepath.Join(pts[0].Dir, record.EpochsFile))
	if err != nil || len(epochs) != 200 {
		t.Fatalf("%d epochs recorded (%v), want 200", len(epochs), err)
	}
	compareFinal(t, readFinal(t, ref.Runs[0].Dir), readFinal(t, pts[0].Dir))
}

// TestSlurmClusterHalving submits a successive-halving search to Slurm:
// each rung is a job array followed by a job that submits the next rung,
// and the search ends, with no command run by hand, where the same search
// run here ends: the same points done and pruned at the same epochs, and
// the winner's weights the same bits.
func TestSlurmClusterHalving(t *testing.T) {
	needCluster(t)
	bin := buildCnnlab(t)
	small := writeImageFolder(t, 8, 40)
	file := writeExperiment(t, fmt.Sprintf(`name: slurm-search
data:
  set: folder
  path: %s
  size: 8
  channels: 1
  split: {val: 15, test: 15}
model:
  - conv: {filters: 4, kernel: 3, activation: relu}
  - maxpool: {size: 2}
  - flatten
  - dense: {units: 3}
train:
  batch: 10
  optimizer: {adam: {lr: 0.01}}
  schedule: cosine
report:
  gallery: 3
  feature_maps: {images: 2}
sweep:
  random:
    samples: 4
    seed: 5
    params:
      train.optimizer.adam.lr: {loguniform: [0.001, 0.05]}
  halving: {budget: 4, factor: 2, min_epochs: 1}
`, small))
	results := filepath.Join(t.TempDir(), "results")
	if _, tasks := submit(t, bin, file, results); tasks != 4 {
		t.Fatalf("first rung: %d tasks, want 4", tasks)
	}
	local := t.TempDir()
	sum, err := runner.Run(context.Background(), []string{file}, runner.Options{Results: local, Out: io.Discard})
	if err != nil || sum.Failed() > 0 {
		t.Fatalf("local search: %v %+v", err, sum)
	}
	settled := func(pts []runner.PointStatus) bool {
		for _, p := range pts {
			if p.State != record.StateDone && p.State != record.StatePruned && p.State != record.StateFailed {
				return false
			}
		}
		return true
	}
	// Three rungs, each an array and the job after it that submits the next.
	pts := waitFor(t, file, results, "the search's three rungs", settled)
	byID := map[string]runner.PointStatus{}
	for _, p := range pts {
		byID[p.RunID] = p
	}
	done := 0
	for _, r := range sum.Runs {
		p, ok := byID[r.RunID]
		if !ok {
			t.Fatalf("run %s of the local search is not on Slurm: %+v", r.RunID, pts)
		}
		st := readStatus(t, p.Dir)
		if st.State != r.State || st.Epoch != r.Epoch {
			t.Errorf("run %s: %s at epoch %d on Slurm, %s at %d here", r.RunID, st.State, st.Epoch, r.State, r.Epoch)
		}
		if r.State == record.StateDone {
			done++
			compareFinal(t, readFinal(t, r.Dir), readFinal(t, p.Dir))
		}
	}
	if done != 1 || len(sum.Runs) != 4 {
		t.Errorf("local search: %d runs, %d done; want 4 and 1", len(sum.Runs), done)
	}
}
