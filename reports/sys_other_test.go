//go:build !unix

package reports

import (
	"errors"
	"time"
)

// cpuTime is not known here: the benchmarks report 0.
func cpuTime() time.Duration { return 0 }

func syscallMkfifo(path string) error { return errors.New("no named pipes here") }
