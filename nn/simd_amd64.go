//go:build amd64 && !purego

package nn

import "golang.org/x/sys/cpu"

// availableLevels lists the levels of loops this CPU can run, best first,
// simdPortable last.
func availableLevels() []simdLevel {
	var ls []simdLevel
	if cpu.X86.HasAVX512F {
		ls = append(ls, simdAVX512)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ls = append(ls, simdAVX2)
	}
	return append(ls, simdPortable)
}

// The AVX-512 loops, in simd_amd64.s.

//go:noescape
func reluForwardAVX512(y, x *float32, n int)

//go:noescape
func reluBackwardAVX512(dx, dy, y *float32, n int)

//go:noescape
func addRowsAVX512(y, b *float32, rows, n int)

//go:noescape
func sumRowsAVX512(s, y *float32, rows, n int)

//go:noescape
func adamAVX512(w, grad, m, v *float32, n int, k *adamConsts)

//go:noescape
func maxPoolAVX512(best *float32, arg *int32, img *float32, first, rows, cols, rowStride, c, count, step int)

//go:noescape
func maxUnpoolAVX512(dx, dy *float32, arg *int32, first, rowStride, c, count, step int)

//go:noescape
func smallForwardAVX512(c *float32, ldc int, a *float32, lda int, off *int, b *float32, ldb int, bias *float32, m, k int, mask0, mask1 int)

//go:noescape
func smallWeightGradAVX512(acc *float32, a *float32, lda int, off *int, d *float32, ldd int, m, k int, mask0, mask1 int)

// smallWeightGradRegsAVX512 is smallWeightGradAVX512 for k ≤ smallRegsK.
//
//go:noescape
func smallWeightGradRegsAVX512(acc *float32, a *float32, lda int, off *int, d *float32, ldd int, m, k int, mask0, mask1 int)

//go:noescape
func channelSumsAVX512(acc *float64, x *float32, rows, c, w int)

//go:noescape
func channelSquaresAVX512(acc *float64, x *float32, mean *float64, rows, c, w int)

//go:noescape
func channelGradSumsAVX512(sumD, sumDH *float64, dy, xhat *float32, rows, c, w int)

//go:noescape
func normalizeAVX512(y, xhat, x, mean, inv, gamma, beta *float32, rows, c, w int)

//go:noescape
func inputGradAVX512(dx, dy, xhat, a, b, d *float32, rows, c, w int)

//go:noescape
func scaleShiftAVX512(y, x, scale, shift *float32, rows, c, w int)

// The AVX2 twins of the loops above, in simd_avx2_amd64.s. smallForwardAVX2
// and smallWeightGradAVX2 take the number of live columns n instead of masks.

//go:noescape
func reluForwardAVX2(y, x *float32, n int)

//go:noescape
func reluBackwardAVX2(dx, dy, y *float32, n int)

//go:noescape
func addRowsAVX2(y, b *float32, rows, n int)

//go:noescape
func sumRowsAVX2(s, y *float32, rows, n int)

//go:noescape
func adamAVX2(w, grad, m, v *float32, n int, k *adamConsts)

//go:noescape
func maxPoolAVX2(best *float32, arg *int32, img *float32, first, rows, cols, rowStride, c, count, step int)

//go:noescape
func maxUnpoolAVX2(dx, dy *float32, arg *int32, first, rowStride, c, count, step int)

//go:noescape
func smallForwardAVX2(c *float32, ldc int, a *float32, lda int, off *int, b *float32, ldb int, bias *float32, m, k, n int)

//go:noescape
func smallWeightGradAVX2(acc *float32, a *float32, lda int, off *int, d *float32, ldd int, m, k, n int)

//go:noescape
func channelSumsAVX2(acc *float64, x *float32, rows, c, w int)

//go:noescape
func channelSquaresAVX2(acc *float64, x *float32, mean *float64, rows, c, w int)

//go:noescape
func channelGradSumsAVX2(sumD, sumDH *float64, dy, xhat *float32, rows, c, w int)

//go:noescape
func normalizeAVX2(y, xhat, x, mean, inv, gamma, beta *float32, rows, c, w int)

//go:noescape
func inputGradAVX2(dx, dy, xhat, a, b, d *float32, rows, c, w int)

//go:noescape
func scaleShiftAVX2(y, x, scale, shift *float32, rows, c, w int)
