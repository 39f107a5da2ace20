package cachedir

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestDirOrder(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the order of $XDG_CACHE_HOME and ~/.cache is that of Linux")
	}
	legacyHome := t.TempDir()
	if err := os.MkdirAll(filepath.Join(legacyHome, ".cache", "cnnlab"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ data, xdg, home, want string }{
		{"/d", "/x", "/h", "/d"},
		{"", "/x", "/h", filepath.Join("/x", "cnnlab")},
		{"", "", "/h", filepath.Join("/h", ".cache", "cnnlab")},
		// os.UserCacheDir refuses a relative $XDG_CACHE_HOME; it was
		// the cache before, and stays it.
		{"", "x", "/h", filepath.Join("x", "cnnlab")},
		// $XDG_CACHE_HOME comes first even where ~/.cache/cnnlab exists.
		{"", "/x", legacyHome, filepath.Join("/x", "cnnlab")},
		{"", "", legacyHome, filepath.Join(legacyHome, ".cache", "cnnlab")},
	}
	for _, tt := range tests {
		t.Setenv("CNNLAB_DATA", tt.data)
		t.Setenv("XDG_CACHE_HOME", tt.xdg)
		t.Setenv("HOME", tt.home)
		got, err := Dir()
		if err != nil || got != tt.want {
			t.Errorf("Dir() with %+v = %q, %v; want %q", tt, got, err, tt.want)
		}
	}
	t.Setenv("HOME", "")
	t.Setenv("XDG_CACHE_HOME", "")
	if d, err := Dir(); err == nil {
		t.Errorf("no HOME: %q, want an error", d)
	}
}
