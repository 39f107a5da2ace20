//go:build !amd64 || purego

package nn

// The stubs below are never called: simd is never simdAVX512 or simdAVX2 in
// this build.

func sigmoidAVX512(y, x, d *float32, n int, alpha float32) {
	panic("nn: no AVX-512 loops in this build")
}
func tanhAVX512(y, x, d *float32, n int, alpha float32) { panic("nn: no AVX-512 loops in this build") }
func siluAVX512(y, x, d *float32, n int, alpha float32) { panic("nn: no AVX-512 loops in this build") }
func eluAVX512(y, x, d *float32, n int, alpha float32)  { panic("nn: no AVX-512 loops in this build") }
func geluTanhAVX512(y, x, d *float32, n int, alpha float32) {
	panic("nn: no AVX-512 loops in this build")
}
func geluAVX512(y, x, d *float32, n int, alpha float32)   { panic("nn: no AVX-512 loops in this build") }
func sigmoidAVX2(y, x, d *float32, n int, alpha float32)  { panic("nn: no AVX2 loops in this build") }
func tanhAVX2(y, x, d *float32, n int, alpha float32)     { panic("nn: no AVX2 loops in this build") }
func siluAVX2(y, x, d *float32, n int, alpha float32)     { panic("nn: no AVX2 loops in this build") }
func eluAVX2(y, x, d *float32, n int, alpha float32)      { panic("nn: no AVX2 loops in this build") }
func geluTanhAVX2(y, x, d *float32, n int, alpha float32) { panic("nn: no AVX2 loops in this build") }
func geluAVX2(y, x, d *float32, n int, alpha float32)     { panic("nn: no AVX2 loops in this build") }
func multiplyAVX512(dst, a, b *float32, n int, s float32) {
	panic("nn: no AVX-512 loops in this build")
}
func sigmoidBackAVX512(dst, a, b *float32, n int, s float32) {
	panic("nn: no AVX-512 loops in this build")
}
func tanhBackAVX512(dst, a, b *float32, n int, s float32) {
	panic("nn: no AVX-512 loops in this build")
}
func multiplyAVX2(dst, a, b *float32, n int, s float32)    { panic("nn: no AVX2 loops in this build") }
func sigmoidBackAVX2(dst, a, b *float32, n int, s float32) { panic("nn: no AVX2 loops in this build") }
func tanhBackAVX2(dst, a, b *float32, n int, s float32)    { panic("nn: no AVX2 loops in this build") }
