//go:build amd64 && !purego

package nn

// The AVX-512 and AVX2 loops of the exp-based activations, in expf_amd64.s.
// n is a positive multiple of 16 (AVX-512) or 8 (AVX2); d may be nil.

//go:noescape
func sigmoidAVX512(y, x, d *float32, n int, alpha float32)

//go:noescape
func tanhAVX512(y, x, d *float32, n int, alpha float32)

//go:noescape
func siluAVX512(y, x, d *float32, n int, alpha float32)

//go:noescape
func eluAVX512(y, x, d *float32, n int, alpha float32)

//go:noescape
func geluTanhAVX512(y, x, d *float32, n int, alpha float32)

//go:noescape
func geluAVX512(y, x, d *float32, n int, alpha float32)

//go:noescape
func sigmoidAVX2(y, x, d *float32, n int, alpha float32)

//go:noescape
func tanhAVX2(y, x, d *float32, n int, alpha float32)

//go:noescape
func siluAVX2(y, x, d *float32, n int, alpha float32)

//go:noescape
func eluAVX2(y, x, d *float32, n int, alpha float32)

//go:noescape
func geluTanhAVX2(y, x, d *float32, n int, alpha float32)

//go:noescape
func geluAVX2(y, x, d *float32, n int, alpha float32)

//go:noescape
func multiplyAVX512(dst, a, b *float32, n int, s float32)

//go:noescape
func sigmoidBackAVX512(dst, a, b *float32, n int, s float32)

//go:noescape
func tanhBackAVX512(dst, a, b *float32, n int, s float32)

//go:noescape
func multiplyAVX2(dst, a, b *float32, n int, s float32)

//go:noescape
func sigmoidBackAVX2(dst, a, b *float32, n int, s float32)

//go:noescape
func tanhBackAVX2(dst, a, b *float32, n int, s float32)
