// Package gemm multiplies float32 matrices, the hot path of every dense and
// convolution layer:
//
//	C = alpha·op(A)·op(B) + beta·C
//
// All matrices are row-major; op(X) is X or its transpose. A is m×k after op,
// B is k×n after op, C is m×n. lda, ldb and ldc are the row strides of the
// matrices as stored (before op).
//
// Sgemm packs panels of A and B into contiguous buffers, blocks them for the
// caches and runs a micro-kernel on each tile of C: AVX-512 or AVX2+FMA
// assembly where the CPU has it, portable Go elsewhere (see Kernel). Work is
// split over blocks of rows and columns of C only, never over k, and every
// element of C is computed by the same sequence of operations whatever the
// split, so results do not depend on the number of threads.
package gemm

import "fmt"

// Sgemm computes C = alpha·op(A)·op(B) + beta·C. With beta == 0, C is
// overwritten and its previous contents (even NaN) are ignored. With alpha ==
// 0 or k == 0, A and B are not read. C must not overlap A or B.
//
// Sgemm panics with a message naming the operand if a dimension is negative,
// a leading dimension is too small or a slice is too short for its shape.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(false, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// SgemmSerial is Sgemm computed on the calling goroutine alone, with the
// same result, for callers that run several products at once on their own
// threads (one product per thread shares no packing and waits for no one).
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(true, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func sgemm(serial, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("gemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	checkMatrix("c", false, m, n, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scale(m, n, beta, c, ldc)
		return
	}
	checkMatrix("a", transA, m, k, a, lda)
	checkMatrix("b", transB, k, n, b, ldb)
	run(active, serial, problem{
		transA: transA, transB: transB,
		m: m, n: n, k: k,
		alpha: alpha, beta: beta,
		a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc,
	})
}

// checkMatrix panics unless x holds a rows×cols matrix (cols×rows as stored
// when trans) with row stride ld.
func checkMatrix(name string, trans bool, rows, cols int, x []float32, ld int) {
	if trans {
		rows, cols = cols, rows
	}
	if ld < max(1, cols) {
		panic(fmt.Sprintf("gemm: ld%s=%d is less than the %d columns of %s", name, ld, cols, name))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; len(x) < need {
		panic(fmt.Sprintf("gemm: len(%s)=%d is too short for a %d×%d matrix with ld%s=%d (need %d)", name, len(x), rows, cols, name, ld, need))
	}
}

// scale sets C = beta·C (C = 0 when beta == 0, whatever C held).
func scale(m, n int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}
