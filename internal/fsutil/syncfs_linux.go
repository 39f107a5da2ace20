package fsutil

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// SyncFS flushes to disk every file written with ReplaceFile below dir,
// and the folders that name them: on Linux with one syncfs(2) of the file
// system holding dir; files lists them for the systems without it.
func SyncFS(dir string, files []string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := unix.Syncfs(int(d.Fd())); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
