package runner

import (
	"os"
	"os/exec"
	"regexp"
	"testing"
)

var regexpPass = regexp.MustCompile(`(?m)^--- PASS: TestInterruptResume \(`)

// TestInterruptResumeWinograd runs TestInterruptResume again in a child
// process with every 3×3 stride-1 conv forced to Winograd (CNNLAB_CONV is
// read once, when package nn starts), so that a resumed run is checked to end
// bit for bit where an uninterrupted one does on that path too.
func TestInterruptResumeWinograd(t *testing.T) {
	if os.Getenv("CNNLAB_CONV") == "winograd" {
		t.Skip("already forced to Winograd: TestInterruptResume covers it")
	}
	if testing.Short() {
		t.Skip("starts a child test process")
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestInterruptResume$", "-test.count", "1", "-test.v")
	cmd.Env = append(os.Environ(), "CNNLAB_CONV=winograd")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("TestInterruptResume with CNNLAB_CONV=winograd: %v\n%s", err, out)
	}
	if !regexpPass.Match(out) {
		t.Fatalf("the child ran no passing TestInterruptResume:\n%s", out)
	}
}
