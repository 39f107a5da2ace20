//go:build !arm64 || purego

package nn

// The stubs below are never called: simd is never simdNEON in this build.

func reluForwardNEON(y, x *float32, n int)       { panic("nn: no NEON loops in this build") }
func reluBackwardNEON(dx, dy, y *float32, n int) { panic("nn: no NEON loops in this build") }
func addRowsNEON(y, b *float32, rows, n int)     { panic("nn: no NEON loops in this build") }
func sumRowsNEON(s, y *float32, rows, n int)     { panic("nn: no NEON loops in this build") }
func adamNEON(w, grad, m, v *float32, n int, k *adamConsts) {
	panic("nn: no NEON loops in this build")
}
func maxPoolNEON(best *float32, arg *int32, img *float32, first, rows, cols, rowStride, c, count, step int) {
	panic("nn: no NEON loops in this build")
}

func smallForwardNEON(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, bias *float32, m, k, n int) {
	panic("nn: no NEON loops in this build")
}

func smallWeightGradNEON(acc *float32, a *float32, lda int, d *float32, ldd int, m, k, n int) {
	panic("nn: no NEON loops in this build")
}

func channelSumsNEON(acc *float64, x *float32, rows, c, w int) {
	panic("nn: no NEON loops in this build")
}

func channelSquaresNEON(acc *float64, x *float32, mean *float64, rows, c, w int) {
	panic("nn: no NEON loops in this build")
}

func channelGradSumsNEON(sumD, sumDH *float64, dy, xhat *float32, rows, c, w int) {
	panic("nn: no NEON loops in this build")
}

func normalizeNEON(y, xhat, x, mean, inv, gamma, beta *float32, rows, c, w int) {
	panic("nn: no NEON loops in this build")
}

func inputGradNEON(dx, dy, xhat, a, b, d *float32, rows, c, w int) {
	panic("nn: no NEON loops in this build")
}

func scaleShiftNEON(y, x, scale, shift *float32, rows, c, w int) {
	panic("nn: no NEON loops in this build")
}
