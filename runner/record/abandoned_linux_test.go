package record

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestAbandoned(t *testing.T) {
	dir := t.TempDir()
	running := Status{State: StateRunning}
	if Abandoned(dir, running) {
		t.Error("a run folder without a lock file is called abandoned")
	}
	lock, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	tests := []struct {
		name string
		st   Status
		held bool
		want bool
	}{
		{"running, lock free", running, false, true},
		{"running, lock held", running, true, false},
		{"done, lock free", Status{State: StateDone}, false, false},
		{"stopped, lock free", Status{State: StateStopped}, false, false},
		{"trained by Slurm, lock free", Status{State: StateRunning, SlurmJob: "12_3"}, false, false},
	}
	for _, tt := range tests {
		how := syscall.LOCK_UN
		if tt.held {
			how = syscall.LOCK_EX | syscall.LOCK_NB
		}
		if err := syscall.Flock(int(lock.Fd()), how); err != nil {
			t.Fatal(err)
		}
		if got := Abandoned(dir, tt.st); got != tt.want {
			t.Errorf("%s: Abandoned = %v, want %v", tt.name, got, tt.want)
		}
	}
}
