//go:build unix

package runner

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/cnnlab/cnnlab/internal/fsutil"
	"github.com/cnnlab/cnnlab/runner/record"
)

// lockRun takes the lock of the run folder dir, so that two cnnlab
// processes never train the same run at once. The lock is an flock on
// dir/lock, which the kernel releases when the process ends however it
// ends; the file holds the owner's pid for the message the other process
// prints. If another process holds it, lockRun returns a lockedError,
// which errors.Is matches to errLocked, naming that process.
func lockRun(dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, record.LockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		owner := ""
		if b, rerr := fsutil.ReadFileLimit(path, 4096); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				owner = fmt.Sprintf(" (pid %d)", pid)
			}
		}
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, lockedError{"another cnnlab process" + owner + " is training this run"}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return func() { f.Close() }, nil
}
