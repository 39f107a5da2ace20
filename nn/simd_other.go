//go:build !amd64 || purego

package nn

// The stubs below are never called: simd is never simdAVX512 or simdAVX2 in
// this build.

func reluForwardAVX512(y, x *float32, n int)       { panic("nn: no AVX-512 loops in this build") }
func reluBackwardAVX512(dx, dy, y *float32, n int) { panic("nn: no AVX-512 loops in this build") }
func addRowsAVX512(y, b *float32, rows, n int)     { panic("nn: no AVX-512 loops in this build") }
func sumRowsAVX512(s, y *float32, rows, n int)     { panic("nn: no AVX-512 loops in this build") }
func adamAVX512(w, grad, m, v *float32, n int, k *adamConsts) {
	panic("nn: no AVX-512 loops in this build")
}
func maxPoolAVX512(best *float32, arg *int32, img *float32, first, rows, cols, rowStride, c, count, step int) {
	panic("nn: no AVX-512 loops in this build")
}
func maxUnpoolAVX512(dx, dy *float32, arg *int32, first, rowStride, c, count, step int) {
	panic("nn: no AVX-512 loops in this build")
}

func smallForwardAVX512(c *float32, ldc int, a *float32, lda int, off *int, b *float32, ldb int, bias *float32, m, k int, mask0, mask1 int) {
	panic("nn: no AVX-512 loops in this build")
}

func smallWeightGradAVX512(acc *float32, a *float32, lda int, off *int, d *float32, ldd int, m, k int, mask0, mask1 int) {
	panic("nn: no AVX-512 loops in this build")
}

func smallWeightGradRegsAVX512(acc *float32, a *float32, lda int, off *int, d *float32, ldd int, m, k int, mask0, mask1 int) {
	panic("nn: no AVX-512 loops in this build")
}

func reluForwardAVX2(y, x *float32, n int)       { panic("nn: no AVX2 loops in this build") }
func reluBackwardAVX2(dx, dy, y *float32, n int) { panic("nn: no AVX2 loops in this build") }
func addRowsAVX2(y, b *float32, rows, n int)     { panic("nn: no AVX2 loops in this build") }
func sumRowsAVX2(s, y *float32, rows, n int)     { panic("nn: no AVX2 loops in this build") }
func adamAVX2(w, grad, m, v *float32, n int, k *adamConsts) {
	panic("nn: no AVX2 loops in this build")
}
func maxPoolAVX2(best *float32, arg *int32, img *float32, first, rows, cols, rowStride, c, count, step int) {
	panic("nn: no AVX2 loops in this build")
}
func maxUnpoolAVX2(dx, dy *float32, arg *int32, first, rowStride, c, count, step int) {
	panic("nn: no AVX2 loops in this build")
}

func smallForwardAVX2(c *float32, ldc int, a *float32, lda int, off *int, b *float32, ldb int, bias *float32, m, k, n int) {
	panic("nn: no AVX2 loops in this build")
}

func smallWeightGradAVX2(acc *float32, a *float32, lda int, off *int, d *float32, ldd int, m, k, n int) {
	panic("nn: no AVX2 loops in this build")
}

func channelSumsAVX512(acc *float64, x *float32, rows, c, w int) {
	panic("nn: no AVX-512 loops in this build")
}

func channelSquaresAVX512(acc *float64, x *float32, mean *float64, rows, c, w int) {
	panic("nn: no AVX-512 loops in this build")
}

func channelGradSumsAVX512(sumD, sumDH *float64, dy, xhat *float32, rows, c, w int) {
	panic("nn: no AVX-512 loops in this build")
}

func normalizeAVX512(y, xhat, x, mean, inv, gamma, beta *float32, rows, c, w int) {
	panic("nn: no AVX-512 loops in this build")
}

func inputGradAVX512(dx, dy, xhat, a, b, d *float32, rows, c, w int) {
	panic("nn: no AVX-512 loops in this build")
}

func channelSumsAVX2(acc *float64, x *float32, rows, c, w int) {
	panic("nn: no AVX2 loops in this build")
}

func channelSquaresAVX2(acc *float64, x *float32, mean *float64, rows, c, w int) {
	panic("nn: no AVX2 loops in this build")
}

func channelGradSumsAVX2(sumD, sumDH *float64, dy, xhat *float32, rows, c, w int) {
	panic("nn: no AVX2 loops in this build")
}

func normalizeAVX2(y, xhat, x, mean, inv, gamma, beta *float32, rows, c, w int) {
	panic("nn: no AVX2 loops in this build")
}

func inputGradAVX2(dx, dy, xhat, a, b, d *float32, rows, c, w int) {
	panic("nn: no AVX2 loops in this build")
}

func scaleShiftAVX512(y, x, scale, shift *float32, rows, c, w int) {
	panic("nn: no AVX-512 loops in this build")
}

func scaleShiftAVX2(y, x, scale, shift *float32, rows, c, w int) {
	panic("nn: no AVX2 loops in this build")
}
