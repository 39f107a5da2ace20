//go:build !linux

package record

// lockHeld cannot tell, on this system, whether a run's lock is held.
func lockHeld(path string) (held, known bool) { return false, false }
