//go:build !race

package nn

// raceDetector reports whether the race detector is on; it allocates on its
// own account, so allocation counts are meaningless then.
const raceDetector = false
