//go:build linux

package record

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"golang.org/x/sys/unix"
)

// lockHeld reports whether a process on this machine holds an flock on the
// file at path, from /proc/locks, without taking the lock (which would
// make a process starting that run at the same moment think it taken).
// known is false when the file or /proc/locks cannot be read.
func lockHeld(path string) (held, known bool) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return false, false
	}
	locks, err := os.ReadFile("/proc/locks")
	if err != nil {
		return false, false
	}
	// A lock names its file as MAJOR:MINOR:INODE, the device numbers in hex.
	dev := uint64(st.Dev)
	file := fmt.Sprintf("%02x:%02x:%d", unix.Major(dev), unix.Minor(dev), st.Ino)
	for _, line := range strings.Split(string(locks), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 2 || fields[1] == "->" { // "->": a process waiting for the lock, not holding it
			continue
		}
		if slices.Contains(fields, file) {
			return true, true
		}
	}
	return false, true
}
