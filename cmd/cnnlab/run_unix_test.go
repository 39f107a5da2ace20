//go:build unix

package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/runner/record"
)

// TestRunCommandSIGINT sends the process a real SIGINT once the first epoch
// is recorded, checks the run is stopped with exit status 130, and that the
// same command finishes it.
func TestRunCommandSIGINT(t *testing.T) {
	set := writeFolderSet(t, 30)
	file := folderExperiment(t, set, 200, "")
	results := t.TempDir()
	done := make(chan int)
	var out, errb bytes.Buffer
	go func() { done <- run([]string{"run", file, "--results", results}, &out, &errb) }()

	deadline := time.Now().Add(time.Minute)
	for {
		matches, _ := filepath.Glob(filepath.Join(results, "e2e", "*", record.EpochsFile))
		if len(matches) == 1 {
			if rows, err := record.ReadJSONLines[record.Epoch](matches[0]); err == nil && len(rows) >= 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no epoch recorded within a minute")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	code := <-done
	if code != 130 || !strings.Contains(errb.String(), "stopping") {
		t.Fatalf("after SIGINT: exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	all, err := record.ReadResults(results)
	if err != nil {
		t.Fatal(err)
	}
	st := all["e2e"][0].Status
	if st.State != record.StateStopped || st.Epoch < 1 || st.Epoch >= 200 {
		t.Fatalf("status after SIGINT: %s at epoch %d", st.State, st.Epoch)
	}
	if _, err := os.Stat(filepath.Join(all["e2e"][0].Dir, record.CheckpointFile)); err != nil {
		t.Fatalf("no checkpoint after SIGINT: %v", err)
	}
}

// TestRunCommandKillChild is the child process of TestRunCommandKill9.
func TestRunCommandKillChild(t *testing.T) {
	args := os.Getenv("CNNLAB_KILL_CHILD_ARGS")
	if args == "" {
		t.Skip("runs only as the child of TestRunCommandKill9")
	}
	os.Exit(run(strings.Split(args, "\x1f"), io.Discard, io.Discard))
}

// TestRunCommandKill9 kills `cnnlab run` with SIGKILL at random moments,
// checks after each kill that every record reads back whole, then lets the
// run finish and compares it with an uninterrupted one.
func TestRunCommandKill9(t *testing.T) {
	set := writeFolderSet(t, 30)
	file := folderExperiment(t, set, 40, "")
	ref := t.TempDir()
	var out, errb bytes.Buffer
	start := time.Now()
	if code := run([]string{"run", file, "--results", ref}, &out, &errb); code != 0 {
		t.Fatalf("reference run: %d\n%s", code, errb.String())
	}
	span := time.Since(start)
	results := t.TempDir()
	rng := rand.New(rand.NewPCG(3, 4))
	killed := 0
	for attempt := 0; attempt < 30 && killed < 6; attempt++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRunCommandKillChild$")
		cmd.Env = append(os.Environ(), "CNNLAB_KILL_CHILD_ARGS="+strings.Join([]string{"run", file, "--results", results}, "\x1f"))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30*time.Millisecond + time.Duration(rng.Int64N(int64(span/4)+1)))
		cmd.Process.Kill()
		if err := cmd.Wait(); err == nil {
			// It finished before the kill. On a loaded machine the reference
			// run can take longer than a child's: start over with shorter
			// delays, unless a kill already happened.
			if killed > 0 {
				break
			}
			if err := os.RemoveAll(results); err != nil {
				t.Fatal(err)
			}
			span /= 2
			continue
		}
		killed++
		dirs, _ := filepath.Glob(filepath.Join(results, "e2e", "*"))
		for _, dir := range dirs {
			if _, err := os.Stat(filepath.Join(dir, record.StatusFile)); err != nil {
				continue // killed before the run was set up
			}
			r, err := record.ReadRun(dir)
			if err != nil {
				t.Fatalf("after kill %d: %v", killed, err)
			}
			if r.Status.State == record.StateRunning && !record.Abandoned(dir, r.Status) && runtime.GOOS == "linux" {
				t.Errorf("after kill %d: the killed run is not seen as abandoned", killed)
			}
			for _, name := range []string{record.CheckpointFile, record.BestFile, record.ModelFile} {
				if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
					if _, err := nn.Load(filepath.Join(dir, name)); err != nil {
						t.Fatalf("after kill %d: %v", killed, err)
					}
				}
			}
		}
	}
	if killed == 0 {
		t.Fatal("every child finished before it could be killed")
	}
	out.Reset()
	if code := run([]string{"run", file, "--results", results}, &out, &errb); code != 0 {
		t.Fatalf("final run: %d\n%s", code, errb.String())
	}
	want, err := record.ReadResults(ref)
	if err != nil {
		t.Fatal(err)
	}
	got, err := record.ReadResults(results)
	if err != nil {
		t.Fatal(err)
	}
	w, g := want["e2e"][0], got["e2e"][0]
	if g.Status.State != record.StateDone || len(g.Epochs) != 40 {
		t.Fatalf("after the kills: state %s, %d epochs", g.Status.State, len(g.Epochs))
	}
	for i := range w.Epochs {
		a, b := w.Epochs[i], g.Epochs[i]
		a.Seconds, a.ImagesPerSec, b.Seconds, b.ImagesPerSec = 0, 0, 0, 0
		if a != b {
			t.Errorf("epoch %d: %+v, uninterrupted %+v", i+1, b, a)
		}
	}
	wm, err := nn.Load(filepath.Join(w.Dir, record.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	gm, err := nn.Load(filepath.Join(g.Dir, record.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range wm.Net.Params() {
		if fmt.Sprint(p.Value) != fmt.Sprint(gm.Net.Params()[i].Value) {
			t.Errorf("%s %s differs from the uninterrupted run", p.Layer, p.Name)
		}
	}
	t.Logf("killed %d times", killed)
}

// A run left to another process training it makes cnnlab run exit 3, not
// 0: this invocation did not see it end.
func TestRunCommandLeftToAnother(t *testing.T) {
	set := writeFolderSet(t, 20)
	file := folderExperiment(t, set, 1, "")
	results := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"run", file, "--results", results}, &out, &errb); code != 0 {
		t.Fatalf("run: %d\n%s%s", code, out.String(), errb.String())
	}
	locks, _ := filepath.Glob(filepath.Join(results, "e2e", "*", record.LockFile))
	if len(locks) != 1 {
		t.Fatalf("lock files %v", locks)
	}
	f, err := os.OpenFile(locks[0], os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"run", "--force", file, "--results", results}, &out, &errb); code != 3 {
		t.Errorf("run with the run locked elsewhere = %d, want 3\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "1 run left to another process training it") {
		t.Errorf("output:\n%s", out.String())
	}
}
