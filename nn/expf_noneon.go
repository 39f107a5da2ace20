//go:build !arm64 || purego

package nn

// The stubs below are never called: simd is never simdNEON in this build.

func sigmoidNEON(y, x, d *float32, n int, alpha float32)   { panic("nn: no NEON loops in this build") }
func tanhNEON(y, x, d *float32, n int, alpha float32)      { panic("nn: no NEON loops in this build") }
func siluNEON(y, x, d *float32, n int, alpha float32)      { panic("nn: no NEON loops in this build") }
func eluNEON(y, x, d *float32, n int, alpha float32)       { panic("nn: no NEON loops in this build") }
func geluTanhNEON(y, x, d *float32, n int, alpha float32)  { panic("nn: no NEON loops in this build") }
func geluNEON(y, x, d *float32, n int, alpha float32)      { panic("nn: no NEON loops in this build") }
func multiplyNEON(dst, a, b *float32, n int, s float32)    { panic("nn: no NEON loops in this build") }
func sigmoidBackNEON(dst, a, b *float32, n int, s float32) { panic("nn: no NEON loops in this build") }
func tanhBackNEON(dst, a, b *float32, n int, s float32)    { panic("nn: no NEON loops in this build") }
