package cachedir

import (
	"path/filepath"
	"testing"
)

func TestDirOrder(t *testing.T) {
	tests := []struct{ data, xdg, home, want string }{
		{"/d", "/x", "/h", "/d"},
		{"", "/x", "/h", filepath.Join("/x", "cnnlab")},
		{"", "", "/h", filepath.Join("/h", ".cache", "cnnlab")},
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
}
