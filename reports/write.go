package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/cnnlab/cnnlab/internal/fsutil"
)

// pngVersion changes whenever chartPNG draws differently, so that PNGs of
// an earlier build are drawn again.
const pngVersion = "6"

// writeFile replaces a file of the site atomically; finish syncs them all
// at once before it writes the marker.
func writeFile(full string, data []byte) error {
	return fsutil.ReplaceFile(full, data, 0o644)
}

// chartHash identifies the data a PNG is drawn from.
func chartHash(c *Chart) string {
	b, _ := json.Marshal(c)
	h := sha256.New()
	h.Write([]byte(pngVersion))
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

// drawCharts draws the queued PNGs whose data changed since the last build,
// on every core.
func (w *siteWriter) drawCharts() error {
	var todo []pngJob
	for _, j := range w.jobs {
		h := chartHash(j.c)
		w.next.Charts[j.rel] = h
		if w.old.Charts[j.rel] == h {
			if _, err := os.Stat(filepath.Join(w.root, filepath.FromSlash(j.rel))); err == nil {
				continue
			}
		}
		if err := w.inside(j.rel); err != nil {
			return err
		}
		if err := w.own(j.rel); err != nil {
			return err
		}
		todo = append(todo, j)
	}
	w.drawn = len(todo)
	for _, j := range todo {
		w.changed = append(w.changed, j.rel)
	}
	jobs := make(chan pngJob)
	errs := make([]error, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for k := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				if errs[k] == nil {
					errs[k] = w.ctx.Err()
				}
				if errs[k] != nil {
					continue
				}
				b, err := chartPNG(j.c)
				if err == nil {
					err = writeFile(filepath.Join(w.root, filepath.FromSlash(j.rel)), b)
				}
				errs[k] = err
			}
		}()
	}
	for _, j := range todo {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
