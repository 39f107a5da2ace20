package runner

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/cnnlab/cnnlab/nn/gemm"
	"github.com/cnnlab/cnnlab/runner/record"
)

// modulePath is the module of cnnlab itself, used to recognise its source tree.
const modulePath = "github.com/cnnlab/cnnlab"

// environment describes this machine and build for the run records. Threads
// is the number of matrix-multiply threads each run uses.
func environment(threads int) record.Env {
	env := record.Env{
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		CPU:       cpuModel(),
		Kernel:    gemm.Kernel(),
		Threads:   threads,
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			env.Version = v
		}
		var rev, modified string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				modified = s.Value
			}
		}
		if rev != "" {
			env.Commit = rev
			if modified == "true" {
				env.Commit += "-dirty"
			}
		}
	}
	if env.Commit == "" {
		env.Commit = gitCommit()
	}
	return env
}

// cpuModel returns the CPU's model name from /proc/cpuinfo, or the
// architecture when that is not available.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

// gitCommit returns the commit of the cnnlab source tree the working
// folder is in (with "-dirty" when it has changes), or "" when it is not in
// one: a binary built with `go build` carries its commit in its build
// information, but `go run` and `go test` do not.
func gitCommit() string {
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return ""
	}
	mod, err := os.ReadFile(filepath.Join(strings.TrimSpace(string(top)), "go.mod"))
	if err != nil || !bytes.HasPrefix(bytes.TrimSpace(mod), []byte("module "+modulePath+"\n")) {
		return ""
	}
	rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		return ""
	}
	commit := strings.TrimSpace(string(rev))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(bytes.TrimSpace(st)) > 0 {
		commit += "-dirty"
	}
	return commit
}
