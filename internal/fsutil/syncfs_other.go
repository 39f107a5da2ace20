//go:build !linux

package fsutil

import (
	"fmt"
	"os"
	"path/filepath"
)

// SyncFS flushes to disk every file written with ReplaceFile below dir:
// here, without syncfs(2), each of files (paths relative to dir) and the
// folders holding them.
func SyncFS(dir string, files []string) error {
	dirs := map[string]bool{dir: true}
	for _, f := range files {
		p := filepath.Join(dir, f)
		if err := syncPath(p); err != nil {
			return err
		}
		dirs[filepath.Dir(p)] = true
	}
	for d := range dirs {
		syncPath(d) // folders cannot be synced everywhere; best effort
	}
	return nil
}

func syncPath(p string) error {
	f, err := os.Open(p)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sync %s: %w", p, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", p, err)
	}
	return nil
}
