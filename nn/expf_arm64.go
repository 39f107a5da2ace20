//go:build arm64 && !purego

package nn

// The NEON loops of the exp-based activations, in expf_arm64.s. n is a
// positive multiple of 4; d may be nil.

//go:noescape
func sigmoidNEON(y, x, d *float32, n int, alpha float32)

//go:noescape
func tanhNEON(y, x, d *float32, n int, alpha float32)

//go:noescape
func siluNEON(y, x, d *float32, n int, alpha float32)

//go:noescape
func eluNEON(y, x, d *float32, n int, alpha float32)

//go:noescape
func geluTanhNEON(y, x, d *float32, n int, alpha float32)

//go:noescape
func geluNEON(y, x, d *float32, n int, alpha float32)

//go:noescape
func multiplyNEON(dst, a, b *float32, n int, s float32)

//go:noescape
func sigmoidBackNEON(dst, a, b *float32, n int, s float32)

//go:noescape
func tanhBackNEON(dst, a, b *float32, n int, s float32)
