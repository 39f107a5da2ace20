// Package cachedir says where cnnlab keeps what it downloads once and reuses:
// data sets and the scripts a report needs offline.
package cachedir

import (
	"errors"
	"os"
	"path/filepath"
)

// Dir returns the cache folder: $CNNLAB_DATA if set, else
// $XDG_CACHE_HOME/cnnlab, else ~/.cache/cnnlab. It does not create it.
func Dir() (string, error) {
	if d := os.Getenv("CNNLAB_DATA"); d != "" {
		return d, nil
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "cnnlab"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil || home == "" {
		return "", errors.New("no cache folder: set CNNLAB_DATA or HOME")
	}
	return filepath.Join(home, ".cache", "cnnlab"), nil
}
