package record

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRecords checks that no status, epoch records or checksums make the
// readers panic. In a plain `go test` it runs the seed corpus only.
func FuzzRecords(f *testing.F) {
	f.Add([]byte(`{"experiment":"e","run_id":"a","state":"done","epoch":1,"epochs":1}`), []byte(`{"epoch":1,"loss":0.5}`+"\n"), []byte(`{"files":{"status.json":"00"}}`))
	f.Add([]byte(`{"state":"running"}`), []byte("not json\n"), []byte(`{"files":{"../x":"00"}}`))
	f.Add([]byte(`{"state": `), []byte(""), []byte(""))
	f.Fuzz(func(t *testing.T, status, epochs, checksums []byte) {
		dir := t.TempDir()
		for name, b := range map[string][]byte{StatusFile: status, EpochsFile: epochs, ChecksumsFile: checksums} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if r, err := ReadRun(dir); err == nil && r == nil {
			t.Fatal("no run and no error")
		}
		Verify(dir)
	})
}
