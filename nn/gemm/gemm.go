// Package gemm multiplies float32 matrices, the hot path of every dense and
// convolution layer:
//
//	C = alpha·op(A)·op(B) + beta·C
//
// All matrices are row-major; op(X) is X or its transpose. A is m×k after op,
// B is k×n after op, C is m×n. lda, ldb and ldc are the row strides of the
// matrices as stored (before op).
package gemm

// Sgemm computes C = alpha·op(A)·op(B) + beta·C. With beta == 0, C is
// overwritten and its previous contents (even NaN) are ignored.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
		} else if beta != 1 {
			for j := range row {
				row[j] *= beta
			}
		}
		for p := 0; p < k; p++ {
			var av float32
			if transA {
				av = a[p*lda+i]
			} else {
				av = a[i*lda+p]
			}
			av *= alpha
			if av == 0 {
				continue
			}
			if transB {
				for j := range row {
					row[j] += av * b[j*ldb+p]
				}
			} else {
				brow := b[p*ldb : p*ldb+n]
				for j, bv := range brow {
					row[j] += av * bv
				}
			}
		}
	}
}
