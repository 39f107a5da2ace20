//go:build unix

package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestReadFileLimit(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	os.WriteFile(small, []byte("12345"), 0o644)
	link := filepath.Join(dir, "zero-link")
	os.Symlink("/dev/zero", link)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("no fifo:", err)
	}
	tests := []struct {
		path     string
		limit    int64
		want     string
		notReg   bool
		tooLarge bool
		missing  bool
	}{
		{path: small, limit: 5, want: "12345"},
		{path: small, limit: 4, tooLarge: true},
		{path: "/dev/zero", limit: 1 << 20, notReg: true},
		{path: link, limit: 1 << 20, notReg: true},
		{path: fifo, limit: 1 << 20, notReg: true}, // must not block
		{path: dir, limit: 1 << 20, notReg: true},
		{path: filepath.Join(dir, "nosuch"), limit: 1, missing: true},
	}
	for _, tt := range tests {
		b, err := ReadFileLimit(tt.path, tt.limit)
		var tl *TooLargeError
		switch {
		case tt.notReg:
			if !errors.Is(err, ErrNotRegular) {
				t.Errorf("%s: err = %v, want not a regular file", tt.path, err)
			}
		case tt.tooLarge:
			if !errors.As(err, &tl) || tl.Limit != tt.limit {
				t.Errorf("%s: err = %v, want too large", tt.path, err)
			}
		case tt.missing:
			if !errors.Is(err, os.ErrNotExist) {
				t.Errorf("%s: err = %v, want not exist", tt.path, err)
			}
		default:
			if err != nil || string(b) != tt.want {
				t.Errorf("%s: %q, %v; want %q", tt.path, b, err, tt.want)
			}
		}
	}
}
