package workers

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
		{"napping", spinTime + 10*napTime},
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

// TestSlots takes every slot, checks that none is left, and gives one back.
func TestSlots(t *testing.T) {
	var s Slots
	if _, ok := s.Take(); ok {
		t.Fatal("the zero Slots gave a slot")
	}
	s.Init(32)
	seen := map[int]bool{}
	for range 32 {
		i, ok := s.Take()
		if !ok || seen[i] || i < 0 || i >= 32 {
			t.Fatalf("Take = %d, %v after %d slots", i, ok, len(seen))
		}
		seen[i] = true
	}
	if _, ok := s.Take(); ok {
		t.Fatal("a 33rd slot")
	}
	s.Put(7)
	if i, ok := s.Take(); !ok || i != 7 {
		t.Fatalf("Take after Put(7) = %d, %v", i, ok)
	}
	for i := range 32 {
		s.Put(i)
	}
	if !s.AllFree(32) {
		t.Error("not all free after every slot was given back")
	}
}
