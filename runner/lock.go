package runner

import (
	"errors"
	"path/filepath"

	"github.com/cnnlab/cnnlab/runner/record"
)

// errLocked matches, with errors.Is, the error lockRun returns when another
// process holds the run folder's lock.
var errLocked = errors.New("run folder locked")

// lockedError says which process holds a run folder's lock.
type lockedError struct{ msg string }

func (e lockedError) Error() string        { return e.msg }
func (e lockedError) Is(target error) bool { return target == errLocked }

// Abandoned reports whether the run in dir, whose status is st, says it is
// running although no process on this machine holds its lock: the process
// ended without recording why (killed, out of memory, the machine went
// down). cnnlab run resumes such a run from its last checkpoint. It is false
// whenever that cannot be told: a run trained by a Slurm job (perhaps on
// another node), a run folder without a lock file, a system other than
// Linux.
func Abandoned(dir string, st record.Status) bool {
	if st.State != record.StateRunning || st.SlurmJob != "" {
		return false
	}
	held, known := lockHeld(filepath.Join(dir, record.LockFile))
	return known && !held
}
