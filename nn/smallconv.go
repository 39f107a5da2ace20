package nn

// A convolution whose im2col rows are short (the MNIST conv's 3×3 window
// over one channel has 9 values) spends most of a general matrix product in
// packing and in loading and storing tiles of the output. The loops here
// compute it directly from the im2col matrix instead, 32 output channels at
// a time: the forward pass with the bias added, and the weight gradient.
// They read row i of the matrix at offsets off[p] from a[i·lda]: 0, 1, 2, …
// for the im2col matrix itself; the fused conv of fuse.go reads the windows
// straight from the image instead, a window's rows a row of the image apart.

// smallK is the longest im2col row for which conv uses these loops in
// both passes.
const smallK = 16

// smallForwardK is the longest im2col row for which conv's forward pass
// uses these loops; past smallK its weight gradient runs by gemm, which
// measured faster there. The first conv of the seed CIFAR-10 network (3×3
// over 3 channels, rows of 27) runs its forward pass here: a gemm of depth
// 27 spends much of its time packing the im2col matrix and storing tiles.
const smallForwardK = 32

// smallWidth is the number of output channels the loops handle at a time.
const smallWidth = 32

// smallRows is the number of rows of the im2col matrix in one block.
const smallRows = 512

// smallRegsK is the longest row for which the AVX-512 weight gradient holds
// its sums in registers (two per row of sums, k+1 rows, in 32 registers).
const smallRegsK = 10

// lanes returns the masks of the first n ≤ 32 lanes split over two vectors
// of 16.
func lanes(n int) (int, int) {
	return 1<<min(n, 16) - 1, 1<<max(n-16, 0) - 1
}

// contiguous are the offsets of the values of an im2col row: 0, 1, 2, …
var contiguous = func() (off [smallForwardK]int) {
	for p := range off {
		off[p] = p
	}
	return off
}()

// offsets returns off (contiguous when nil) and the span of a row, one past
// the largest offset, for rows of k values, and whether the row is
// contiguous. It panics on an offset out of bounds.
func offsets(off []int, k int) ([]int, int, bool) {
	if off == nil {
		if k > smallForwardK {
			panic("nn: small conv row too long")
		}
		return contiguous[:k], k, true
	}
	if len(off) < k {
		panic("nn: small conv offsets too short")
	}
	span, same := 0, true
	for p, o := range off[:k] {
		if o < 0 {
			panic("nn: negative small conv offset")
		}
		span, same = max(span, o+1), same && o == p
	}
	return off[:k], span, same
}

// smallForward sets, for i < m and j < n ≤ smallWidth,
//
//	c[i·ldc+j] = bias[j] + Σ_{p<k} a[i·lda+off[p]]·b[p·ldb+j]
//
// adding the products to the bias one by one in order of p. A nil off
// reads the rows contiguously (off[p] = p).
func smallForward(c []float32, ldc int, a []float32, lda int, off []int, b []float32, ldb int, bias []float32, m, n, k int) {
	if m == 0 {
		return
	}
	off, span, same := offsets(off, k)
	if (m-1)*ldc+n > len(c) || (m-1)*lda+span > len(a) || (k-1)*ldb+n > len(b) || n > len(bias) || n > smallWidth {
		panic("nn: small conv operands too short")
	}
	switch {
	case simd == simdAVX512:
		m0, m1 := lanes(n)
		smallForwardAVX512(&c[0], ldc, &a[0], lda, &off[0], &b[0], ldb, &bias[0], m, k, m0, m1)
		return
	case simd == simdAVX2:
		smallForwardAVX2(&c[0], ldc, &a[0], lda, &off[0], &b[0], ldb, &bias[0], m, k, n)
		return
	case simd == simdNEON && same:
		smallForwardNEON(&c[0], ldc, &a[0], lda, &b[0], ldb, &bias[0], m, k, n)
		return
	case same:
		smallForwardGo(c, ldc, a, lda, b, ldb, bias, m, n, k)
		return
	}
	smallForwardAtGo(c, ldc, a, lda, off, b, ldb, bias, m, n, k)
}

// smallForwardGo is smallForward in portable Go, for contiguous rows. The
// portable loops are not inlined: inlined into smallForward together, their
// inner loops ran out of registers.
//
//go:noinline
func smallForwardGo(c []float32, ldc int, a []float32, lda int, b []float32, ldb int, bias []float32, m, n, k int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		copy(row, bias[:n])
		for p, v := range a[i*lda : i*lda+k] {
			for j, w := range b[p*ldb : p*ldb+n] {
				row[j] += float32(v * w) // rounded before the add, as the assembly does
			}
		}
	}
}

// smallForwardAtGo is smallForward in portable Go, for rows read at offsets.
//
//go:noinline
func smallForwardAtGo(c []float32, ldc int, a []float32, lda int, off []int, b []float32, ldb int, bias []float32, m, n, k int) {
	for i := range m {
		row := c[i*ldc : i*ldc+n]
		copy(row, bias[:n])
		for p, o := range off[:k] {
			v := a[i*lda+o]
			for j, w := range b[p*ldb : p*ldb+n] {
				row[j] += float32(v * w)
			}
		}
	}
}

// smallWeightGrad adds, for p < k and j < n ≤ smallWidth,
//
//	Σ_{i<m} a[i·lda+off[p]]·d[i·ldd+j]
//
// to acc[p·smallWidth+j], one product at a time in order of i, and the sum
// of d's column j to acc[k·smallWidth+j] (the bias gradient). A nil off
// reads the rows of a contiguously.
func smallWeightGrad(acc []float32, a []float32, lda int, off []int, d []float32, ldd int, m, n, k int) {
	if m == 0 {
		return
	}
	off, span, same := offsets(off, k)
	if (m-1)*lda+span > len(a) || (m-1)*ldd+n > len(d) || (k+1)*smallWidth > len(acc) || n > smallWidth {
		panic("nn: small conv operands too short")
	}
	switch {
	case simd == simdAVX512 && k <= smallRegsK:
		m0, m1 := lanes(n)
		smallWeightGradRegsAVX512(&acc[0], &a[0], lda, &off[0], &d[0], ldd, m, k, m0, m1)
		return
	case simd == simdAVX512:
		m0, m1 := lanes(n)
		smallWeightGradAVX512(&acc[0], &a[0], lda, &off[0], &d[0], ldd, m, k, m0, m1)
		return
	case simd == simdAVX2:
		smallWeightGradAVX2(&acc[0], &a[0], lda, &off[0], &d[0], ldd, m, k, n)
		return
	case simd == simdNEON && same:
		smallWeightGradNEON(&acc[0], &a[0], lda, &d[0], ldd, m, k, n)
		return
	}
	smallWeightGradGo(acc, a, lda, off, d, ldd, m, n, k)
}

//go:noinline
func smallWeightGradGo(acc []float32, a []float32, lda int, off []int, d []float32, ldd int, m, n, k int) {
	for i := range m {
		drow := d[i*ldd : i*ldd+n]
		for p, o := range off[:k] {
			v := a[i*lda+o]
			dst := acc[p*smallWidth : p*smallWidth+n]
			for j, g := range drow {
				dst[j] += float32(v * g)
			}
		}
		sums := acc[k*smallWidth : k*smallWidth+n]
		for j, g := range drow {
			sums[j] += g
		}
	}
}

// smallConv runs the direct loops of one conv layer over blocks of rows of
// its im2col matrix. Each block of the weight gradient has its own partial
// sums, added up in order afterwards.
type smallConv struct {
	col, w, bias, out []float32 // forward: out = col·w + bias
	dy                []float32 // backward: partial sums of colᵀ·dy and of dy's rows
	k, f              int
	backward          bool
	partial           []float32 // per block, per group of 32 channels: k×32 sums
	total             []float64
}

func (t *smallConv) groups() int { return (t.f + smallWidth - 1) / smallWidth }

func (t *smallConv) run(lo, hi int) {
	k, f := t.k, t.f
	for g := range t.groups() {
		j0 := g * smallWidth
		n := min(smallWidth, f-j0)
		if !t.backward {
			smallForward(t.out[lo*f+j0:], f, t.col[lo*k:], k, nil, t.w[j0:], f, t.bias[j0:], hi-lo, n, k)
			continue
		}
		acc := t.block(lo, g)
		clear(acc)
		smallWeightGrad(acc, t.col[lo*k:], k, nil, t.dy[lo*f+j0:], f, hi-lo, n, k)
	}
}

// block returns the partial sums of the block of rows starting at row lo
// for the group g of channels: k+1 rows of smallWidth sums.
func (t *smallConv) block(lo, g int) []float32 {
	size := (t.k + 1) * smallWidth
	return t.partial[((lo/smallRows)*t.groups()+g)*size:][:size]
}

// forward sets out (m×f) to col (m×k) times w (k×f) plus bias.
func (t *smallConv) forward(out, col, w, bias []float32, m, k, f int) {
	t.out, t.col, t.w, t.bias, t.k, t.f, t.backward = out, col, w, bias, k, f, false
	parallelFor(m, smallRows, t)
	t.out, t.col, t.w, t.bias = nil, nil, nil, nil
}

// weightGrad sets dw (k×f) to colᵀ·dy, col being m×k and dy m×f, and db
// (unless nil) to the sum of dy's rows.
func (t *smallConv) weightGrad(dw, db, col, dy []float32, m, k, f int) {
	t.col, t.dy, t.k, t.f, t.backward = col, dy, k, f, true
	t.reserve(m)
	parallelFor(m, smallRows, t)
	t.col, t.dy = nil, nil
	t.sum(dw, db, m)
}

// reserve sizes the partial sums of the weight gradient of m rows (t.k and
// t.f set).
func (t *smallConv) reserve(m int) {
	t.partial = grow(t.partial, blocksOf(m, smallRows)*t.groups()*(t.k+1)*smallWidth)
}

// sum adds up the partial sums of the blocks of m rows in order, in
// float64, and sets dw to the weight gradient and db (unless nil) to the
// bias gradient.
func (t *smallConv) sum(dw, db []float32, m int) {
	k, f := t.k, t.f
	t.total = growFloat64(t.total, (k+1)*f)
	clear(t.total)
	for b := range blocksOf(m, smallRows) {
		for g := range t.groups() {
			acc := t.block(b*smallRows, g)
			j0 := g * smallWidth
			n := min(smallWidth, f-j0)
			for p := range k + 1 { // row k: the bias
				dst := t.total[p*f+j0 : p*f+j0+n]
				for j, v := range acc[p*smallWidth : p*smallWidth+n] {
					dst[j] += float64(v)
				}
			}
		}
	}
	for i, v := range t.total[:k*f] {
		dw[i] = float32(v)
	}
	for j, v := range t.total[k*f:] {
		if db != nil {
			db[j] = float32(v)
		}
	}
}
