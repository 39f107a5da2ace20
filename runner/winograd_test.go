package runner

import (
	"os"
	"os/exec"
	"regexp"
	"testing"
)

var regexpPass = regexp.MustCompile(`(?m)^--- PASS: TestInterruptResume \(`)

// TestInterruptResumeWinograd runs TestInterruptResume again in child
// processes with every 3×3 stride-1 conv forced to Winograd, by tiles of
// 2×2 and of 4×4 outputs (CNNLAB_CONV is read once, when package nn
// starts), so that a resumed run is checked to end bit for bit where an
// uninterrupted one does on those paths too.
func TestInterruptResumeWinograd(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child test processes")
	}
	for _, algo := range []string{"winograd-f2", "winograd-f4"} {
		if os.Getenv("CNNLAB_CONV") == algo {
			continue // TestInterruptResume covers it
		}
		cmd := exec.Command(os.Args[0], "-test.run", "^TestInterruptResume$", "-test.count", "1", "-test.v")
		cmd.Env = append(os.Environ(), "CNNLAB_CONV="+algo)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("TestInterruptResume with CNNLAB_CONV=%s: %v\n%s", algo, err, out)
		}
		if !regexpPass.Match(out) {
			t.Fatalf("the child with CNNLAB_CONV=%s ran no passing TestInterruptResume:\n%s", algo, out)
		}
	}
}
