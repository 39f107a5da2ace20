//go:build arm64 && !purego

package nn

// availableLevels lists the levels of loops this CPU can run, best first,
// simdPortable last. Advanced SIMD is part of every arm64 CPU.
func availableLevels() []simdLevel { return []simdLevel{simdNEON, simdPortable} }

// The NEON loops, in simd_arm64.s. Each gives the same bits as its Go twin.

//go:noescape
func reluForwardNEON(y, x *float32, n int)

//go:noescape
func reluBackwardNEON(dx, dy, y *float32, n int)

//go:noescape
func addRowsNEON(y, b *float32, rows, n int)

//go:noescape
func sumRowsNEON(s, y *float32, rows, n int)

//go:noescape
func adamNEON(w, grad, m, v *float32, n int, k *adamConsts)

//go:noescape
func maxPoolNEON(best *float32, arg *int32, img *float32, first, rows, cols, rowStride, c, count, step int)

// smallForwardNEON and smallWeightGradNEON take the column count n (≤ 32)
// where the AVX-512 loops take lane masks.
//
//go:noescape
func smallForwardNEON(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, bias *float32, m, k, n int)

//go:noescape
func smallWeightGradNEON(acc *float32, a *float32, lda int, d *float32, ldd int, m, k, n int)

// Batch norm's loops take the first w channels, a multiple of 16.

//go:noescape
func channelSumsNEON(acc *float64, x *float32, rows, c, w int)

//go:noescape
func channelSquaresNEON(acc *float64, x *float32, mean *float64, rows, c, w int)

//go:noescape
func channelGradSumsNEON(sumD, sumDH *float64, dy, xhat *float32, rows, c, w int)

//go:noescape
func normalizeNEON(y, xhat, x, mean, inv, gamma, beta *float32, rows, c, w int)

//go:noescape
func inputGradNEON(dx, dy, xhat, a, b, d *float32, rows, c, w int)

//go:noescape
func scaleShiftNEON(y, x, scale, shift *float32, rows, c, w int)
