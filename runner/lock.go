package runner

import "errors"

// errLocked matches, with errors.Is, the error lockRun returns when another
// process holds the run folder's lock.
var errLocked = errors.New("run folder locked")

// lockedError says which process holds a run folder's lock.
type lockedError struct{ msg string }

func (e lockedError) Error() string        { return e.msg }
func (e lockedError) Is(target error) bool { return target == errLocked }
