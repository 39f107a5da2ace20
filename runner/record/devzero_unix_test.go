//go:build unix

package record

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A record linking to /dev/zero is refused unread, whichever record it is.
func TestRecordLinkedToDevZero(t *testing.T) {
	for _, name := range []string{StatusFile, ConfigFile, EnvFile, EpochsFile, StepsFile, AnalysisFile} {
		dir := t.TempDir()
		if name != StatusFile {
			if err := WriteJSON(filepath.Join(dir, StatusFile), Status{Experiment: "e", State: StateDone}); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink("/dev/zero", filepath.Join(dir, name)); err != nil {
			t.Skip(err)
		}
		_, err := ReadRun(dir)
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("%s linking to /dev/zero: err = %v", name, err)
		}
	}
}
