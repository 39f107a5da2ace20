package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cnnlab/cnnlab/internal/fsutil"
	"github.com/cnnlab/cnnlab/runner/record"
)

// A build makes the site unit by unit: a unit is one page with the files
// only it links to (a run page with its pictures and chart PNGs, a sweep
// page with its tables and charts). The marker remembers, for each unit,
// a key (a hash of everything the unit is made from) and its files; the
// next build keeps a unit whose key is the same and whose files are all
// there, without reading its records further or drawing anything. Keys
// hash the fingerprints of the run records (see fingerprint), the values
// the unit takes from other runs, and the program that builds the site, so
// that a new version of cnnlab makes every page again. A build that was
// interrupted leaves its journal, and the next one then keeps nothing.

// unitState is what the marker remembers of one unit.
type unitState struct {
	Key   string   `json:"key"`
	Files []string `json:"files"` // slash-separated, relative to the site
}

// programKey identifies the program building the site: the SHA-256 of its
// executable, so that any change to the code that makes pages changes every
// key. When the executable cannot be read, it is unique to this process,
// and nothing is kept.
var programKey = sync.OnceValue(func() string {
	h := sha256.New()
	if exe, err := os.Executable(); err == nil {
		if f, _, err := fsutil.OpenRegular(exe); err == nil {
			_, err = io.Copy(h, io.LimitReader(f, 1<<30))
			f.Close()
			if err == nil {
				return hex.EncodeToString(h.Sum(nil))
			}
		}
	}
	return fmt.Sprintf("pid %d at %d", os.Getpid(), time.Now().UnixNano())
})

// fingerprint identifies the content of a run folder without reading it:
// the name, size and modification time of every record in it (the lock and
// the temporary files of a writer left out). Every record is replaced by
// renaming a new file over it, so a change gives it a new time.
func fingerprint(dir string) (string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || name == record.LockFile || e.IsDir() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			if os.IsNotExist(err) {
				continue // replaced or removed as we looked
			}
			return "", err
		}
		fmt.Fprintf(h, "%q %d %d %o\n", name, info.Size(), info.ModTime().UnixNano(), info.Mode())
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// unitKey hashes what a unit is made from.
func unitKey(parts ...any) string {
	h := sha256.New()
	h.Write([]byte(programKey()))
	enc := json.NewEncoder(h)
	for _, p := range parts {
		enc.Encode(p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// runRef is what a page shows of a run other than its own: a link.
type runRef struct{ Label, Slug string }

func refOf(r *run) *runRef {
	if r == nil {
		return nil
	}
	return &runRef{r.Label, r.Slug}
}

// runSource is what identifies the records of one run as read.
type runSource struct {
	ID, Slug, Label string
	State           record.State // as shown: a run nobody trains shows abandoned
	Print           string       // fingerprint of its folder
}

func (b *builder) source(r *run) runSource {
	return runSource{r.ID, r.Slug, r.Label, r.State(), b.prints[r.Rec.Dir]}
}

// runKey is the key of a run page: its run, its experiment's names, and the
// runs before and after it, which it links to.
func (b *builder) runKey(r, prev, next *run) string {
	e := r.Exp
	return unitKey("run", b.cdn, e.Name, e.Slug, b.source(r), refOf(prev), refOf(next))
}

// sweepKey is the key of a sweep page: every run of the experiment.
func (b *builder) sweepKey(e *experiment) string {
	runs := make([]runSource, len(e.Runs))
	for i, r := range e.Runs {
		runs[i] = b.source(r)
	}
	return unitKey("sweep", b.cdn, e.Name, e.Slug, e.Description, runs)
}

// unit makes the unit name with make, unless the previous build made it
// from the same key and its files are all there; then it keeps them.
func (b *builder) unit(name, key string, make func(b *builder) error) error {
	if err := b.w.ctx.Err(); err != nil {
		return err
	}
	if b.w.keep(name, key) {
		b.kept.Add(1)
		return nil
	}
	var files []string
	ub := *b
	ub.w = &siteWriter{siteState: b.w.siteState, files: &files}
	if err := make(&ub); err != nil {
		return err
	}
	b.w.mu.Lock()
	b.w.next.Units[name] = unitState{Key: key, Files: files}
	b.w.mu.Unlock()
	return nil
}

// keep keeps the files of unit name as the previous build wrote them when
// its key was key, and reports whether it could.
func (w *siteWriter) keep(name, key string) bool {
	u, ok := w.old.Units[name]
	if !ok || u.Key != key || len(u.Files) == 0 {
		return false
	}
	w.mu.Lock()
	owned := !slices.ContainsFunc(u.Files, func(f string) bool { return !safeRel(f) || !w.owned[f] })
	w.mu.Unlock()
	if !owned {
		return false
	}
	for _, f := range u.Files {
		st, err := os.Lstat(filepath.Join(w.root, filepath.FromSlash(f)))
		if err != nil || !st.Mode().IsRegular() {
			return false
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, f := range u.Files {
		w.written[f] = true
		if h, ok := w.old.Charts[f]; ok {
			w.next.Charts[f] = h
			w.charts++
		}
	}
	w.next.Units[name] = u
	return true
}

// readRun reads the run folder dir while a process may be writing it:
// it takes the folder's fingerprint before and after reading, and reads
// again, a few times, while they differ. Each record is replaced whole
// (see record), so what it returns is made of whole files, at worst of two
// epochs of the run; print is the fingerprint taken before reading, so
// that the next build reads the run again if it was moving. A finished run
// is verified against its checksums unless verified holds its fingerprint
// (it was verified as it is now); ok tells it was verified.
func readRun(dir, verified string) (r *record.Run, print string, ok bool, err error) {
	for attempt := 0; ; attempt++ {
		print, err = fingerprint(dir)
		if err != nil {
			return nil, "", false, fmt.Errorf("run %s: %w", dir, err)
		}
		r, err = record.ReadRun(dir)
		ok = false
		if err == nil && r.Status.State == record.StateDone {
			if print == verified {
				ok = true
			} else if problems, unsealed := record.Verify(dir); unsealed || len(problems) == 0 {
				ok = true
			} else {
				// Runs finished before checksums were kept are read as
				// they are: the report needs no model file.
				var ps []string
				for _, p := range problems {
					ps = append(ps, p.String())
				}
				err = fmt.Errorf("run %s: damaged records (%s); cnnlab run trains it again", dir, strings.Join(ps, "; "))
			}
		}
		after, ferr := fingerprint(dir)
		if ferr == nil && after == print || attempt == 3 {
			return r, print, ok && after == print, err
		}
		time.Sleep(time.Duration(10<<attempt) * time.Millisecond)
	}
}

// runMemory keeps, for a process that builds a site again and again (see
// Live), every run as last read whole, by folder. A run whose fingerprint
// did not change is not read again; a run whose records cannot be read now
// (a writer that does not replace its files whole, caught half way) is shown
// as it was last read, rather than left out. A nil runMemory remembers
// nothing.
type runMemory struct {
	mu   sync.Mutex
	runs map[string]remembered
}

type remembered struct {
	run      *record.Run
	print    string
	verified bool
}

func newRunMemory() *runMemory { return &runMemory{runs: map[string]remembered{}} }

// recall returns the run in dir as last read, if its records are the same
// now.
func (m *runMemory) recall(dir string) (r *record.Run, print string, verified bool) {
	if m == nil {
		return nil, "", false
	}
	now, err := fingerprint(dir)
	m.mu.Lock()
	got, ok := m.runs[dir]
	m.mu.Unlock()
	if err != nil || !ok || got.print != now {
		return nil, "", false
	}
	return got.run, got.print, got.verified
}

// remember keeps what readRun returned for dir; when it failed, it gives the
// run as last read instead, if there is one, and says so on warn.
func (m *runMemory) remember(dir string, r *record.Run, print string, verified bool, err error, warn io.Writer) (*record.Run, string, error) {
	if m == nil {
		return r, print, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err == nil {
		m.runs[dir] = remembered{r, print, verified}
		return r, print, nil
	}
	got, ok := m.runs[dir]
	if !ok {
		return r, print, err
	}
	fmt.Fprintf(warn, "warning: %v; showing the run as last read\n", err)
	return got.run, got.print, nil
}

// forget drops the runs not in dirs: folders removed since.
func (m *runMemory) forget(keep func(dir string) bool) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for dir := range m.runs {
		if !keep(dir) {
			delete(m.runs, dir)
		}
	}
}
