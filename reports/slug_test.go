package reports

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestSlug(t *testing.T) {
	tests := []struct {
		name string
		want string // "" means: only check safety
	}{
		{"mnist-seed", "mnist-seed"},
		{"run_0007.a", "run_0007.a"},
		{"../../etc", ""},
		{"<script>alert(1)</script>", ""},
		{"..", ""},
		{".hidden", ""},
		{"", ""},
		{"a/b\\c", ""},
		{"naïve run", ""},
		{strings.Repeat("x", 200), ""},
	}
	seen := map[string]string{}
	for _, tt := range tests {
		got := slug(tt.name)
		if tt.want != "" && got != tt.want {
			t.Errorf("slug(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if got == "" || got == "." || got == ".." || strings.HasPrefix(got, ".") ||
			strings.ContainsAny(got, `/\<>"'&: `) || strings.Contains(got, "..") || len(got) > 60 {
			t.Errorf("slug(%q) = %q is not a safe path element", tt.name, got)
		}
		if filepath.Base(got) != got {
			t.Errorf("slug(%q) = %q is not one path element", tt.name, got)
		}
		if prev, dup := seen[got]; dup {
			t.Errorf("slug(%q) = slug(%q) = %q", tt.name, prev, got)
		}
		seen[got] = tt.name
	}
	// Names that differ only in unsafe characters still get different slugs.
	if slug("a b") == slug("a/b") {
		t.Errorf("slug(%q) == slug(%q)", "a b", "a/b")
	}
}
