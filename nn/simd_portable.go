//go:build (!amd64 && !arm64) || purego

package nn

// availableLevels lists the levels of loops this build can run: without
// assembly, the portable loops alone.
func availableLevels() []simdLevel { return []simdLevel{simdPortable} }
