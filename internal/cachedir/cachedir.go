// Package cachedir says where cnnlab keeps what it downloads once and reuses:
// data sets and the scripts a report needs offline.
package cachedir

import (
	"errors"
	"os"
	"path/filepath"
)

// Dir returns the cache folder: $CNNLAB_DATA if set, else cnnlab in the
// user's cache folder (os.UserCacheDir: $XDG_CACHE_HOME, else ~/.cache, on
// Linux; ~/Library/Caches on macOS; %LocalAppData% on Windows). Earlier
// versions used $XDG_CACHE_HOME/cnnlab, else ~/.cache/cnnlab, on every
// system: where that folder exists, it stays the cache. Dir does not
// create the folder.
func Dir() (string, error) {
	if d := os.Getenv("CNNLAB_DATA"); d != "" {
		return d, nil
	}
	earlier := earlierDir()
	base, err := os.UserCacheDir()
	if err != nil {
		// E.g. a relative $XDG_CACHE_HOME, which earlier versions took.
		if earlier != "" {
			return earlier, nil
		}
		return "", errors.New("no cache folder: set CNNLAB_DATA or HOME")
	}
	dir := filepath.Join(base, "cnnlab")
	if earlier != "" && earlier != dir && isDir(earlier) {
		return earlier, nil
	}
	return dir, nil
}

// earlierDir is the cache folder of earlier versions, "" if there is none.
func earlierDir() string {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "cnnlab")
	}
	if home, err := os.UserHomeDir(); err == nil && home != "" {
		return filepath.Join(home, ".cache", "cnnlab")
	}
	return ""
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
