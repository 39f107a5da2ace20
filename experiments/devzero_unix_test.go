//go:build unix

package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Devices and pipes never bypass the 1 MiB limit: they are refused unread,
// as the top file and through extends:.
func TestNonRegularFilesRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.yaml")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip(err)
	}
	link := filepath.Join(dir, "zero.yaml")
	os.Symlink("/dev/zero", link)
	ext := filepath.Join(dir, "ext.yaml")
	os.WriteFile(ext, []byte("extends: zero.yaml\n"), 0o644)
	extFifo := filepath.Join(dir, "ext-fifo.yaml")
	os.WriteFile(extFifo, []byte("extends: fifo.yaml\n"), 0o644)
	for _, tt := range []struct{ file, want string }{
		{"/dev/zero", "/dev/zero: not a regular file (a device, pipe or socket)"},
		{link, "zero.yaml: not a regular file"},
		{fifo, "fifo.yaml: not a regular file"},
		{ext, "ext.yaml:1:10: " + link + " is not a regular file"},
		{extFifo, "ext-fifo.yaml:1:10: " + fifo + " is not a regular file"},
	} {
		_, err := Load(tt.file, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.file, err, tt.want)
		}
	}
}

// extends: reads experiment files only: any other path is refused unread,
// so that its content never appears in a message.
func TestExtendsOnlyExperimentFiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "token")
	os.WriteFile(secret, []byte("secret-token-abc\n"), 0o600)
	for _, target := range []string{"/etc/shadow", "/etc/passwd", "/dev/zero", secret, "notes.txt"} {
		f := filepath.Join(dir, "x.yaml")
		os.WriteFile(f, []byte("extends: "+target+"\n"), 0o644)
		_, err := Load(f, nil)
		if err == nil || !strings.Contains(err.Error(), "extends: "+target+" is not an experiment file (a .yaml or .yml file)") {
			t.Errorf("extends: %s: err = %v", target, err)
		}
		if err != nil && (strings.Contains(err.Error(), "secret-token") || strings.Contains(err.Error(), "root:")) {
			t.Errorf("extends: %s: the error shows the file's content: %v", target, err)
		}
	}
}

// A .yaml name is not enough: a link named .yaml to another file is refused
// unread, and a .yaml file that is a single value is not quoted back.
func TestExtendsDoesNotShowOtherFiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "token")
	os.WriteFile(secret, []byte("secret-token-abc\n"), 0o600)
	os.WriteFile(filepath.Join(dir, "scalar.yaml"), []byte("secret-token-abc\n"), 0o600)
	if err := os.Symlink(secret, filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ target, want string }{
		{"link.yaml", "extends: link.yaml is not an experiment file (a .yaml or .yml file)"},
		{"scalar.yaml", "got a single value"},
	} {
		f := filepath.Join(dir, "x.yaml")
		os.WriteFile(f, []byte("extends: "+tc.target+"\n"), 0o644)
		_, err := Load(f, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("extends: %s: err = %v, want %q", tc.target, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret-token") {
			t.Errorf("extends: %s: the error shows the file's content: %v", tc.target, err)
		}
	}
}
