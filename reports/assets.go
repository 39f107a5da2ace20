package reports

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/cnnlab/cnnlab/internal/fsutil"
)

// The echarts release go-echarts v2.6.7 is written for, and the sha256 of
// its dist/echarts.min.js as published in the npm package.
const (
	echartsVersion = "5.4.3"
	echartsSHA256  = "1156429a16a38cb8604dcc6518c19406d4226142d908f8edd2e3531443c54d19"
	echartsCDN     = "https://cdn.jsdelivr.net/npm/echarts@" + echartsVersion + "/dist/"
	echartsFile    = "echarts.min.js"
	echartsInTar   = "package/dist/echarts.min.js"
	maxEchartsSize = 16 << 20 // bytes; the script is about 1 MB
)

//go:embed static
var static embed.FS

// echartsPath is where the verified echarts script is cached under the
// cache folder.
func echartsPath(cacheDir string) string {
	return filepath.Join(cacheDir, "npm", "echarts-"+echartsVersion, echartsFile)
}

// loadEcharts returns echarts.min.js from the cache folder, fetching it
// with `npm pack` from the npm registry first if it is not there. The
// script is checked against its pinned sha256 both when fetched and when
// read back.
func loadEcharts(cacheDir string) ([]byte, error) {
	path := echartsPath(cacheDir)
	if b, err := fsutil.ReadFileLimit(path, maxEchartsSize); err == nil {
		if err := checkEcharts(b); err != nil {
			return nil, fmt.Errorf("cached %s: %w (delete it to fetch it again)", path, err)
		}
		return b, nil
	}
	b, err := fetchEcharts()
	if err != nil {
		return nil, err
	}
	if err := fsutil.WriteFileAtomic(path, b, 0o644); err != nil {
		return nil, err
	}
	return b, nil
}

func checkEcharts(b []byte) error {
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != echartsSHA256 {
		return fmt.Errorf("echarts %s: sha256 %s, want %s", echartsVersion, got, echartsSHA256)
	}
	return nil
}

// fetchEcharts runs `npm pack echarts@VERSION` in a temporary folder and
// takes the script out of the package tarball.
func fetchEcharts() ([]byte, error) {
	npm, err := exec.LookPath("npm")
	if err != nil {
		return nil, fmt.Errorf("fetch echarts %s: npm not found: %w", echartsVersion, err)
	}
	tmp, err := os.MkdirTemp("", "cnnlab-echarts-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "pack", "--silent", "echarts@"+echartsVersion)
	cmd.Dir = tmp
	cmd.Env = append(os.Environ(), "npm_config_cache="+filepath.Join(tmp, "npm-cache"), "npm_config_update_notifier=false")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("fetch echarts %s: npm pack: %v: %s", echartsVersion, err, bytes.TrimSpace(stderr.Bytes()))
	}
	tgz := filepath.Join(tmp, "echarts-"+echartsVersion+".tgz")
	f, err := os.Open(tgz)
	if err != nil {
		return nil, fmt.Errorf("fetch echarts %s: %w", echartsVersion, err)
	}
	defer f.Close()
	b, err := fileFromTgz(f, echartsInTar, maxEchartsSize)
	if err != nil {
		return nil, fmt.Errorf("fetch echarts %s: %s: %w", echartsVersion, tgz, err)
	}
	if err := checkEcharts(b); err != nil {
		return nil, err
	}
	return b, nil
}

// fileFromTgz reads the file called name from a gzip-compressed tar stream,
// refusing files larger than limit bytes.
func fileFromTgz(r io.Reader, name string, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("no %s in the archive", name)
		}
		if err != nil {
			return nil, err
		}
		if h.Name != name || h.Typeflag != tar.TypeReg {
			continue
		}
		if h.Size > limit {
			return nil, fmt.Errorf("%s is %d bytes, more than %d", name, h.Size, limit)
		}
		return io.ReadAll(io.LimitReader(tr, limit))
	}
}
