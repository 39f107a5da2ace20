package main

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

// One damaged status file is reported, and the other runs are still listed.
func TestRunsSkipsDamagedRun(t *testing.T) {
	results := t.TempDir()
	good := filepath.Join(results, "exp", "aaaaaaaaaa")
	bad := filepath.Join(results, "exp", "bbbbbbbbbb")
	for _, d := range []string{good, bad} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	st := record.Status{Experiment: "exp", RunID: "aaaaaaaaaa", State: record.StateDone, Epoch: 2, Epochs: 2, BestValAcc: 0.9, TestAcc: 0.875}
	if err := record.WriteJSON(filepath.Join(good, record.StatusFile), st); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, record.StatusFile), []byte(`{"state": `), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"runs", "--results", results}, &out, &errb); code != 1 {
		t.Fatalf("exit %d, want 1 as a run is left out: %s", code, errb.String())
	}
	if !strings.Contains(errb.String(), "1 run left out: status unreadable") {
		t.Errorf("stderr does not count the run left out: %q", errb.String())
	}
	if !strings.Contains(out.String(), "aaaaaaaaaa") || !strings.Contains(out.String(), "87.50%") || strings.Contains(out.String(), "bbbbbbbbbb") {
		t.Errorf("stdout:\n%s", out.String())
	}
	if !strings.Contains(errb.String(), filepath.Join(bad, record.StatusFile)) {
		t.Errorf("stderr does not name the damaged status: %q", errb.String())
	}
}

// runs --check verifies every record of every run; a damaged run is named
// with its damaged files, and the next cnnlab run trains it again and says
// so.
func TestRunsCheck(t *testing.T) {
	set := writeFolderSet(t, 20)
	file := folderExperiment(t, set, 1, "")
	results := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"run", file, "--results", results}, &out, &errb); code != 0 {
		t.Fatalf("run: %d\n%s%s", code, out.String(), errb.String())
	}
	check := func(wantCode int, want ...string) {
		t.Helper()
		out.Reset()
		errb.Reset()
		if code := run([]string{"runs", "--check", "--results", results}, &out, &errb); code != wantCode {
			t.Errorf("runs --check = %d, want %d\n%s%s", code, wantCode, out.String(), errb.String())
		}
		for _, w := range want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("runs --check output lacks %q:\n%s", w, out.String())
			}
		}
	}
	check(0, "checked 1 run: every record is intact")

	all, err := record.ReadResults(results)
	if err != nil || len(all["e2e"]) != 1 {
		t.Fatalf("%v %v", all, err)
	}
	dir := all["e2e"][0].Dir
	for _, name := range []string{record.EpochsFile, record.ArchFile} {
		p := filepath.Join(dir, name)
		b, _ := os.ReadFile(p)
		b[len(b)/2] ^= 1
		os.WriteFile(p, b, 0o644)
	}
	check(1, "damaged: e2e ", "epochs.jsonl: changed since the run finished", "arch.json: changed since the run finished", "checked 1 run: 1 damaged (cnnlab run trains them again)")

	out.Reset()
	if code := run([]string{"run", file, "--results", results}, &out, &errb); code != 0 {
		t.Fatalf("run: %d\n%s%s", code, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "done but its records are damaged (arch.json: changed since the run finished (checksum differs); epochs.jsonl") || !strings.Contains(out.String(), "1 run: 1 done") {
		t.Errorf("the damaged run was not trained again, or not said so:\n%s", out.String())
	}
	check(0, "every record is intact")
}

// A picture whose header claims 100000×100000 pixels is refused by validate
// and fails its run cleanly, before any decode; the run is listed.
func TestHugePictureRefused(t *testing.T) {
	set := writeFolderSet(t, 20)
	// A PNG header (IHDR) claiming 100000×100000 RGBA pixels; nothing more
	// is read.
	ihdr := []byte("IHDR\x00\x01\x86\xa0\x00\x01\x86\xa0\x08\x06\x00\x00\x00")
	huge := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0d"), ihdr...)
	huge = binary.BigEndian.AppendUint32(huge, crc32.ChecksumIEEE(ihdr))
	if err := os.WriteFile(filepath.Join(set, "top", "huge.png"), huge, 0o644); err != nil {
		t.Fatal(err)
	}
	file := folderExperiment(t, set, 1, "")
	results := t.TempDir()
	var out, errb bytes.Buffer
	if code := run([]string{"validate", file}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "huge.png: png image of 100000×100000 = 10000 megapixels; pictures are limited to 50 megapixels") {
		t.Errorf("validate = %d: %s", code, errb.String())
	}
	out.Reset()
	if code := run([]string{"run", file, "--results", results}, &out, &errb); code != 1 || !strings.Contains(out.String(), "failed: data set") {
		t.Errorf("run = %d:\n%s", code, out.String())
	}
	out.Reset()
	if code := run([]string{"runs", "--results", results}, &out, &errb); code != 0 || !strings.Contains(out.String(), "failed") {
		t.Errorf("runs = %d:\n%s", code, out.String())
	}
}
