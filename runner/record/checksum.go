package record

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"

	"github.com/cnnlab/cnnlab/internal/fsutil"
)

// ChecksumsFile holds the SHA-256 of every record of a finished run,
// written as the run is marked done.
const ChecksumsFile = "checksums.json"

// Checksums maps a record's file name to the hex SHA-256 of its content.
type Checksums struct {
	Files map[string]string `json:"files"`
}

// sealed lists the records a finished run keeps, checked by Verify. Files
// a run may lack (histograms of a network without weights) are checked
// when the checksums name them.
var sealed = []string{ConfigFile, StatusFile, EpochsFile, StepsFile, EnvFile, ArchFile, HistogramsFile, AnalysisFile, ModelFile, BestFile, PreprocessFile, EvaluationsFile, WhitenFile}

// MarshalStatus is the content WriteJSON writes for st.
func MarshalStatus(st Status) ([]byte, error) {
	b, err := json.MarshalIndent(st, "", "  ")
	return append(b, '\n'), err
}

// Seal writes the checksums of the finished run in dir: of every record
// there, and of status, the content its status file is about to get (the
// caller writes it next, so that a run marked done always has checksums).
func Seal(dir string, status []byte) error {
	c := Checksums{Files: map[string]string{StatusFile: sum(status)}}
	for _, name := range sealed {
		if name == StatusFile {
			continue
		}
		h, err := fileSum(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("checksums: %w", err)
		}
		c.Files[name] = h
	}
	return WriteJSON(filepath.Join(dir, ChecksumsFile), c)
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// fileSum hashes the regular file at path as it streams it.
func fileSum(path string) (string, error) {
	f, _, err := fsutil.OpenRegular(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Problem is one damaged record of a run.
type Problem struct {
	File string // the record's file name
	What string // "missing", "changed since the run finished", or why it cannot be read
}

func (p Problem) String() string { return p.File + ": " + p.What }

// Verify checks the records of the run in dir. A finished run is checked
// against its checksums: every record they name must be there with the
// same content, and the model and best checkpoint must be there. A run
// finished before checksums were kept, or one still in progress, is
// checked by reading its records (its status does not say it was sealed).
// unsealed reports a finished run without checksums.
func Verify(dir string) (problems []Problem, unsealed bool) {
	var st Status
	if err := ReadJSON(filepath.Join(dir, StatusFile), &st); err != nil {
		return []Problem{{StatusFile, readProblem(err)}}, false
	}
	if st.State == StateDone {
		var c Checksums
		err := ReadJSON(filepath.Join(dir, ChecksumsFile), &c)
		switch {
		case err == nil:
			names := slices.Sorted(maps.Keys(c.Files))
			for _, name := range []string{ModelFile, BestFile, AnalysisFile, EpochsFile, ConfigFile} {
				if _, ok := c.Files[name]; !ok {
					problems = append(problems, Problem{name, "missing from " + ChecksumsFile})
				}
			}
			for _, name := range names {
				if filepath.Base(name) != name {
					problems = append(problems, Problem{ChecksumsFile, fmt.Sprintf("names %q, not a record", name)})
					continue
				}
				h, err := fileSum(filepath.Join(dir, name))
				switch {
				case err != nil:
					problems = append(problems, Problem{name, readProblem(err)})
				case h != c.Files[name]:
					problems = append(problems, Problem{name, "changed since the run finished (checksum differs)"})
				}
			}
			return problems, false
		case errors.Is(err, os.ErrNotExist) && st.Sealed:
			return []Problem{{ChecksumsFile, "missing"}}, false
		case errors.Is(err, os.ErrNotExist):
			unsealed = true
		default:
			return []Problem{{ChecksumsFile, readProblem(err)}}, false
		}
	}
	// No checksums: the records must at least read.
	if _, err := ReadRun(dir); err != nil {
		problems = append(problems, Problem{"records", err.Error()})
	}
	if st.State == StateDone {
		for _, name := range []string{ModelFile, BestFile, AnalysisFile} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				problems = append(problems, Problem{name, readProblem(err)})
			}
		}
	}
	return problems, unsealed
}

func readProblem(err error) string {
	if errors.Is(err, os.ErrNotExist) {
		return "missing"
	}
	return fmt.Sprintf("unreadable: %v", err)
}
