package peak

import (
	"math"
	"runtime"
	"testing"
	"time"
)

func TestGFLOPS(t *testing.T) {
	tests := []struct {
		kernel string
		want   bool // a loop exists (on amd64 when the CPU has the instructions)
	}{
		{"avx512", runtime.GOARCH == "amd64" && hasLoop("avx512")},
		{"avx2", runtime.GOARCH == "amd64" && hasLoop("avx2")},
		{"portable", false},
		{"", false},
	}
	for _, tt := range tests {
		g, ok := GFLOPS(tt.kernel, 1, 2*time.Millisecond)
		if ok != tt.want {
			t.Errorf("GFLOPS(%q): ok = %v, want %v", tt.kernel, ok, tt.want)
		}
		// A core does at least one multiply-add a nanosecond and no
		// more than a few hundred float32 operations per nanosecond.
		if ok && (math.IsNaN(g) || g < 1 || g > 1000) {
			t.Errorf("GFLOPS(%q) = %g, want a rate between 1 and 1000 on one thread", tt.kernel, g)
		}
		if !ok && g != 0 {
			t.Errorf("GFLOPS(%q) = %g without a loop, want 0", tt.kernel, g)
		}
	}
	if _, ok := GFLOPS("avx2", 0, time.Millisecond); ok {
		t.Error("GFLOPS with 0 threads: ok, want not")
	}
}

func hasLoop(kernel string) bool {
	loop, _ := loopFor(kernel)
	return loop != nil
}
