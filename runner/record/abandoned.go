package record

import "path/filepath"

// Abandoned reports whether the run in dir, whose status is st, says it is
// running although no process on this machine holds its lock: the process
// ended without recording why (killed, out of memory, the machine went
// down). cnnlab run resumes such a run from its last checkpoint. It only
// looks: the lock is not taken, so a process starting the run at that
// moment is not turned away. It is false whenever that cannot be told: a
// run trained by a Slurm job (perhaps on another node), a run folder
// without a lock file, a system other than Linux.
func Abandoned(dir string, st Status) bool {
	if st.State != StateRunning || st.SlurmJob != "" {
		return false
	}
	held, known := lockHeld(filepath.Join(dir, LockFile))
	return known && !held
}
