package gemm

import "unsafe"

// problem is one Sgemm call.
type problem struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	c              []float32
	ldc            int
}

// rect is a block of C: rows i0..i1, columns j0..j1.
type rect struct{ i0, i1, j0, j1 int }

// workspace holds one thread's packing buffers, reused from call to call.
type workspace struct {
	a, b []float32
}

// grow returns buf with length n, reallocating only when it is too small.
// New buffers start on a 64-byte boundary, so that the kernels' vector loads
// of packed panels do not straddle cache lines.
func grow(buf []float32, n int) []float32 {
	if cap(buf) >= n {
		return buf[:n]
	}
	// Round up so a sequence of slightly larger shapes does not reallocate each time.
	c := n + n/4
	raw := make([]float32, c+16)
	skip := int(-uintptr(unsafe.Pointer(&raw[0])) & 63 / 4)
	return raw[skip : skip+n : skip+c]
}

// kcFor returns the depth of the k blocks for a product of depth k. It depends
// on k alone, so every element of C sees the same blocks of the reduction
// however C is split between threads.
func kcFor(kern *kernel, k int) int {
	if k <= kern.kc {
		return k
	}
	blocks := (k + kern.kc - 1) / kern.kc
	kc := (k + blocks - 1) / blocks
	return (kc + 7) &^ 7
}

// compute does the part r of C: C[r] = alpha·op(A)[r rows]·op(B)[r cols] + beta·C[r].
func (ws *workspace) compute(kern *kernel, p *problem, r rect) {
	mr, nr := kern.mr, kern.nr
	kc := kcFor(kern, p.k)
	ws.reserve(kern, p, r)
	micro := kern.micro
	for jc := r.j0; jc < r.j1; jc += kern.nc {
		nc := min(kern.nc, r.j1-jc)
		for pc := 0; pc < p.k; pc += kc {
			kb := min(kc, p.k-pc)
			packB(ws.b, kern, p, pc, kb, jc, nc)
			beta := p.beta
			if pc > 0 {
				beta = 1
			}
			for ic := r.i0; ic < r.i1; ic += kern.mc {
				mc := min(kern.mc, r.i1-ic)
				packA(ws.a, kern, p, ic, mc, pc, kb)
				for jr := 0; jr < nc; jr += nr {
					bp := &ws.b[jr*kb]
					nrr := min(nr, nc-jr)
					for ir := 0; ir < mc; ir += mr {
						micro(kb, &ws.a[ir*kb], bp, &p.c[(ic+ir)*p.ldc+jc+jr], p.ldc, p.alpha, beta, min(mr, mc-ir), nrr)
					}
				}
			}
		}
	}
}

// reserve sizes the packing buffers for computing the part r of p (or any
// part as large).
func (ws *workspace) reserve(kern *kernel, p *problem, r rect) {
	kc := kcFor(kern, p.k)
	ws.a = grow(ws.a, min(kern.mc, roundUp(r.i1-r.i0, kern.mr))*kc)
	ws.b = grow(ws.b, min(kern.nc, roundUp(r.j1-r.j0, kern.nr))*kc)
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// packA copies rows i0..i0+mc and columns p0..p0+kc of op(A) into dst as
// panels of mr rows: panel q holds, for each step p of k, the mr values
// op(A)[i0+q·mr+r][p0+p]. Rows past the end of a panel are zero.
func packA(dst []float32, kern *kernel, p *problem, i0, mc, p0, kc int) {
	a, lda, mr := p.a, p.lda, kern.mr
	for q := 0; q < mc; q += mr {
		panel := dst[q*kc : (q+mr)*kc]
		rows := min(mr, mc-q)
		if p.transA {
			// op(A)[i][p] = a[p·lda+i]: each step of k is a contiguous run.
			if kern.copyRuns != nil {
				kern.copyRuns(&a[p0*lda+i0+q], lda, &panel[0], kc, rows, mr)
				continue
			}
			for s := 0; s < kc; s++ {
				copyRun(panel[s*mr:s*mr+mr], a, (p0+s)*lda+i0+q, rows)
			}
			continue
		}
		// op(A)[i][p] = a[i·lda+p]: each row is a contiguous run.
		if kern.transpose != nil {
			tb := kern.transposeBlock
			for s := 0; s < kc; s += tb {
				kern.transpose(&a[(i0+q)*lda+p0+s], lda, &panel[s*mr], mr, rows, min(tb, kc-s), mr)
			}
			continue
		}
		for r := 0; r < rows; r++ {
			off := (i0+q+r)*lda + p0
			for s, v := range a[off : off+kc] {
				panel[s*mr+r] = v
			}
		}
		for r := rows; r < mr; r++ {
			for s := 0; s < kc; s++ {
				panel[s*mr+r] = 0
			}
		}
	}
}

// packB copies rows p0..p0+kc and columns j0..j0+nc of op(B) into dst as
// panels of nr columns: panel q holds, for each step p of k, the nr values
// op(B)[p0+p][j0+q·nr ...]. Columns past the end of a panel are zero.
func packB(dst []float32, kern *kernel, p *problem, p0, kc, j0, nc int) {
	b, ldb, nr := p.b, p.ldb, kern.nr
	for q := 0; q < nc; q += nr {
		panel := dst[q*kc : (q+nr)*kc]
		cols := min(nr, nc-q)
		if !p.transB {
			// op(B)[p][j] = b[p·ldb+j]: each step of k is a contiguous run.
			if kern.copyRuns != nil {
				kern.copyRuns(&b[p0*ldb+j0+q], ldb, &panel[0], kc, cols, nr)
				continue
			}
			for s := 0; s < kc; s++ {
				copyRun(panel[s*nr:s*nr+nr], b, (p0+s)*ldb+j0+q, cols)
			}
			continue
		}
		// op(B)[p][j] = b[j·ldb+p]: each column is a contiguous run.
		if kern.transpose != nil {
			tb := kern.transposeBlock
			for j := 0; j < nr; j += tb {
				if j >= cols {
					for s := 0; s < kc; s++ {
						clear(panel[s*nr+j : s*nr+j+tb])
					}
					continue
				}
				for s := 0; s < kc; s += tb {
					kern.transpose(&b[(j0+q+j)*ldb+p0+s], ldb, &panel[s*nr+j], nr, min(tb, cols-j), min(tb, kc-s), tb)
				}
			}
			continue
		}
		for j := 0; j < cols; j++ {
			off := (j0+q+j)*ldb + p0
			for s, v := range b[off : off+kc] {
				panel[s*nr+j] = v
			}
		}
		for j := cols; j < nr; j++ {
			for s := 0; s < kc; s++ {
				panel[s*nr+j] = 0
			}
		}
	}
}

// copyRun copies src[off:off+n] into the start of dst and zeroes the rest
// of dst. It copies all of dst's width as one fixed-size array when src is
// long enough (then zeroes the tail), which compiles to a few vector moves
// instead of calls: most runs are short and there is one per step of k.
func copyRun(dst, src []float32, off, n int) {
	w := len(dst)
	if off+w <= len(src) {
		s := src[off : off+w]
		switch w {
		case 32:
			*(*[32]float32)(dst) = *(*[32]float32)(s)
		case 16:
			*(*[16]float32)(dst) = *(*[16]float32)(s)
		case 12:
			*(*[12]float32)(dst) = *(*[12]float32)(s)
		case 8:
			*(*[8]float32)(dst) = *(*[8]float32)(s)
		case 6:
			*(*[6]float32)(dst) = *(*[6]float32)(s)
		case 4:
			*(*[4]float32)(dst) = *(*[4]float32)(s)
		default:
			copy(dst, s)
		}
		for i := n; i < w; i++ {
			dst[i] = 0
		}
		return
	}
	copy(dst, src[off:off+n])
	clear(dst[n:])
}
