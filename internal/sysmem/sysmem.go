// Package sysmem tells how much memory this process may use: the limit of
// its cgroup (v2 memory.max, or v1 memory.limit_in_bytes) when one is set,
// else the memory the kernel reports available (MemAvailable in
// /proc/meminfo). On systems without either it reports nothing.
package sysmem

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Source names where a limit came from.
type Source string

const (
	SourceCgroup2   Source = "cgroup v2 memory.max"
	SourceCgroup1   Source = "cgroup v1 memory.limit_in_bytes"
	SourceAvailable Source = "MemAvailable in /proc/meminfo"
)

// Limit is the memory this process may use.
type Limit struct {
	Bytes  int64
	Source Source
	// Used is what the cgroup has in use already (memory.current or
	// memory.usage_in_bytes, less the page cache it can drop), 0 when the
	// limit is the available memory.
	Used int64
}

// Free is what is left for this process: the limit less what the cgroup
// uses, or the available memory.
func (l Limit) Free() int64 { return max(l.Bytes-l.Used, 0) }

// Detect reads the limit of this process from the files under root ("/" on
// a live system; tests pass a folder laid out alike). ok is false when no
// limit can be found.
func Detect(root string) (l Limit, ok bool) {
	fsys := os.DirFS(root)
	if l, ok := cgroupLimit(fsys); ok {
		return l, true
	}
	if avail, ok := memAvailable(fsys); ok {
		return Limit{Bytes: avail, Source: SourceAvailable}, true
	}
	return Limit{}, false
}

// Current is Detect on the live system.
func Current() (Limit, bool) { return Detect("/") }

// cgroupLimit finds the limit of the process's cgroup, or of its nearest
// ancestor that sets one, the smallest along the path.
func cgroupLimit(fsys fs.FS) (Limit, bool) {
	b, err := fs.ReadFile(fsys, "proc/self/cgroup")
	if err != nil {
		return Limit{}, false
	}
	var best Limit
	found := false
	for line := range strings.SplitSeq(string(b), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		path := strings.TrimPrefix(parts[2], "/")
		var base, limitFile, usageFile, cacheKey string
		var src Source
		switch {
		case parts[0] == "0" && parts[1] == "":
			base, limitFile, usageFile, cacheKey, src = "sys/fs/cgroup", "memory.max", "memory.current", "inactive_file", SourceCgroup2
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			base, limitFile, usageFile, cacheKey, src = "sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes", "total_inactive_file", SourceCgroup1
		default:
			continue
		}
		// From the process's cgroup up to the root: the smallest limit holds.
		for dir := path; ; dir = filepath.Dir(dir) {
			d := filepath.ToSlash(filepath.Join(base, dir))
			if n, ok := readNumber(fsys, d+"/"+limitFile); ok && n > 0 && n < 1<<60 {
				used, _ := readNumber(fsys, d+"/"+usageFile)
				// Page cache the kernel can drop is not in use.
				used = max(used-statValue(fsys, d+"/memory.stat", cacheKey), 0)
				if !found || n-used < best.Free() {
					best, found = Limit{Bytes: n, Source: src, Used: used}, true
				}
			}
			if dir == "." || dir == "/" || dir == "" {
				break
			}
		}
	}
	return best, found
}

// statValue reads the value of key in a memory.stat file, 0 if absent.
func statValue(fsys fs.FS, name, key string) int64 {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				return n
			}
		}
	}
	return 0
}

// readNumber reads a file holding one number ("max" reads as none).
func readNumber(fsys fs.FS, name string) (int64, bool) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	return n, err == nil
}

// memAvailable reads MemAvailable from /proc/meminfo, in bytes.
func memAvailable(fsys fs.FS) (int64, bool) {
	f, err := fsys.Open("proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "MemAvailable:"); ok {
			fields := strings.Fields(v)
			if len(fields) >= 1 {
				if kb, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
					return kb * 1024, true
				}
			}
		}
	}
	return 0, false
}
