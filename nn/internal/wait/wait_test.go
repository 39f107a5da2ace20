package wait

import (
	"testing"
	"time"
)

// TestReceive sends a value after each phase of Receive's wait: at once,
// while it spins, while it naps and once it blocks.
func TestReceive(t *testing.T) {
	for _, tc := range []struct {
		name  string
		delay time.Duration
	}{
		{"waiting", 0},
		{"spinning", spinTime / 4},
		{"napping", 10 * napTime},
		{"blocked", idleTime + 20*time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := make(chan int, 1)
			if tc.delay == 0 {
				ch <- 7
			} else {
				go func() {
					time.Sleep(tc.delay)
					ch <- 7
				}()
			}
			start := time.Now()
			if got := Receive(ch); got != 7 {
				t.Fatalf("Receive = %d, want 7", got)
			}
			if took := time.Since(start); took < tc.delay/2 {
				t.Errorf("returned after %v, before the value was sent (%v)", took, tc.delay)
			}
		})
	}
}
