//go:build !race

package nn

// raceDetector reports whether the race detector is on; it makes sync.Pool
// drop items on purpose, so allocation counts are meaningless then.
const raceDetector = false
