package gemm

import (
	"sync/atomic"
	"unsafe"
)

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
	// transC says C is stored transposed: element (i, j) of the product is
	// c[j·ldc+i]. Sgemm computes a product with few columns as
	// Cᵀ = op(B)ᵀ·op(A)ᵀ, whose tiles fit it better (see swapRoles).
	transC bool
}

// rect is a block of C: rows i0..i1, columns j0..j1.
type rect struct{ i0, i1, j0, j1 int }

// workspace holds one thread's packing buffers, reused from call to call.
type workspace struct {
	a, b []float32
	tile []float32 // one mr×nr tile of a transposed C (see problem.transC)
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
	nr := kern.nr
	kc := kcFor(kern, p.k)
	ws.reserve(kern, p, r)
	if oneBlock(kern, p, r) {
		// One block of rows (see oneBlock): pack it once per block of k,
		// then B one panel at a time, used while it is in L1, instead of
		// packing nc columns to memory and reading them back (this matters
		// most when C is wide and short, as a transposed C with few
		// columns is: each panel of B then serves only a tile or two). A
		// panel a whole tile wide is read in place where it can be (see
		// inPlaceB): packing it would copy it to read it once.
		strip := nr
		inPlace := inPlaceB(kern, p)
		for pc := 0; pc < p.k; pc += kc {
			kb := min(kc, p.k-pc)
			packA(ws.a, kern, p, r.i0, r.i1-r.i0, pc, kb)
			for jc := r.j0; jc < r.j1; jc += strip {
				nc := min(strip, r.j1-jc)
				if inPlace && nc == nr {
					ws.column(kern, p, pc, kb, r.i0, r.i1-r.i0, jc, nr, &p.b[pc*p.ldb+jc], p.ldb)
					continue
				}
				packB(ws.b, kern, p, pc, kb, jc, nc)
				ws.block(kern, p, pc, kb, r.i0, r.i1-r.i0, jc, nc)
			}
		}
		return
	}
	for jc := r.j0; jc < r.j1; jc += kern.nc {
		nc := min(kern.nc, r.j1-jc)
		for pc := 0; pc < p.k; pc += kc {
			kb := min(kc, p.k-pc)
			packB(ws.b, kern, p, pc, kb, jc, nc)
			for ic := r.i0; ic < r.i1; ic += kern.mc {
				mc := min(kern.mc, r.i1-ic)
				packA(ws.a, kern, p, ic, mc, pc, kb)
				ws.block(kern, p, pc, kb, ic, mc, jc, nc)
			}
		}
	}
}

// oneBlock reports whether compute packs the rows of the part r of p as
// one block for each block of k: when they are at most mc, or when B is
// read in place (inPlaceB) and the block is no larger than mc rows of the
// deepest k block, so that it stays in L2 all the same: a product with a
// few hundred rows and a short k then packs no B at all.
func oneBlock(kern *kernel, p *problem, r rect) bool {
	rows := r.i1 - r.i0
	if rows <= kern.mc {
		return true
	}
	return inPlaceB(kern, p) && roundUp(rows, kern.mr)*kcFor(kern, p.k) <= kern.mc*kern.kc
}

// maxInPlaceLDB is the widest B, in values between rows, whose panels are
// read in place: rows at most 4 KiB apart. Farther apart they ran slower in
// place than packed (Zen 5, AVX-512, 96×n×1024 on one thread: n = 256 to
// 1024 gained 3–19%, n = 1536 to 6144 lost 12–30%).
const maxInPlaceLDB = 1024

// inPlaceB reports whether compute reads B's panels in place when it packs
// A's rows as one block: when the kernel does so as fast as packed
// (kernel.inPlace), B is stored by rows (not transposed), its rows are at
// most maxInPlaceLDB apart, and C is not transposed. The arithmetic is the
// same either way.
//
// Only the AVX-512 kernel does. Its packed panel of B (kc = 1152 steps)
// is read from L2 anyway, so reading B where it is costs no more and saves
// the copy: 5–11% on the MNIST dense layer's product (64×128×4732), 8–10%
// on the seed CIFAR-10 network's Winograd weight-gradient products
// (64×128×512, 128×256×512), 7% on its last dense layer's (Zen 5, 2
// threads). The AVX2 kernel's panel (kc = 256) stays in L1 once packed:
// read in place it gained at most 2% and lost 40% on rows 4 KiB apart.
func inPlaceB(kern *kernel, p *problem) bool {
	return kern.inPlace && !p.transB && !p.transC && p.ldb <= maxInPlaceLDB
}

// block runs the micro-kernel over the mc×nc block of C at row ic, column jc
// from the packed panels of A (ws.a) and B (ws.b) for steps pc..pc+kb of k.
func (ws *workspace) block(kern *kernel, p *problem, pc, kb, ic, mc, jc, nc int) {
	mr, nr := kern.mr, kern.nr
	if p.transC {
		beta := blockBeta(p, pc)
		for jr := 0; jr < nc; jr += nr {
			for ir := 0; ir < mc; ir += mr {
				ws.microT(kern, kb, &ws.a[ir*kb], &ws.b[jr*kb], p, ic+ir, jc+jr, beta, min(mr, mc-ir), min(nr, nc-jr))
			}
		}
		return
	}
	for jr := 0; jr < nc; jr += nr {
		ws.column(kern, p, pc, kb, ic, mc, jc+jr, min(nr, nc-jr), &ws.b[jr*kb], nr)
	}
}

// column runs the micro-kernel down the mc rows from ic of the nc ≤ nr
// columns of C from j, for steps pc..pc+kb of k: A from its packed panels
// (ws.a), B from the panel at b whose rows are ldb values apart (packed,
// ldb = nr, or in place).
func (ws *workspace) column(kern *kernel, p *problem, pc, kb, ic, mc, j, nc int, b *float32, ldb int) {
	mr, micro := kern.mr, kern.micro
	alpha, beta, c, ldc := p.alpha, blockBeta(p, pc), p.c, p.ldc
	last := mc / mr * mr // the short last tile, if any, starts here
	for ir := 0; ir < last; ir += mr {
		micro(kb, &ws.a[ir*kb], b, &c[(ic+ir)*ldc+j], ldc, alpha, beta, mr, nc, ldb)
	}
	if last < mc {
		kern.microFor(mc-last)(kb, &ws.a[last*kb], b, &c[(ic+last)*ldc+j], ldc, alpha, beta, mc-last, nc, ldb)
	}
}

// blockBeta is C's factor for the block of k from step pc: p.beta for the
// first, 1 for the others, which add to what the first left.
func blockBeta(p *problem, pc int) float32 {
	if pc > 0 {
		return 1
	}
	return p.beta
}

// microT runs the micro-kernel for the tile at row i, column j of a
// transposed C (p.transC) through ws.tile: the old values are copied in
// (when beta ≠ 0), the kernel computes the whole tile there with the same
// arithmetic as in place, and the mr×nr values are copied out.
func (ws *workspace) microT(kern *kernel, k int, a, b *float32, p *problem, i, j int, beta float32, mr, nr int) {
	tile, c, ldc, w := ws.tile, p.c, p.ldc, kern.nr
	if tb := kern.transposeBlock; kern.transpose != nil {
		// Column jj of the tile is mr contiguous values of C.
		if beta != 0 {
			for jj := 0; jj < nr; jj += tb {
				kern.transpose(&c[(j+jj)*ldc+i], ldc, &tile[jj], w, min(tb, nr-jj), mr, tb)
			}
		}
		kern.micro(k, a, b, &tile[0], w, p.alpha, beta, kern.mr, w, w)
		for jj := 0; jj < nr; jj += tb {
			kern.transpose(&tile[jj], w, &c[(j+jj)*ldc+i], ldc, mr, min(tb, nr-jj), mr)
		}
		return
	}
	if beta != 0 {
		for jj := 0; jj < nr; jj++ {
			col := c[(j+jj)*ldc+i : (j+jj)*ldc+i+mr]
			for ii, v := range col {
				tile[ii*w+jj] = v
			}
		}
	}
	kern.micro(k, a, b, &tile[0], w, p.alpha, beta, kern.mr, w, w)
	for jj := 0; jj < nr; jj++ {
		col := c[(j+jj)*ldc+i : (j+jj)*ldc+i+mr]
		for ii := range col {
			col[ii] = tile[ii*w+jj]
		}
	}
}

// swapRoles reports whether an m×n product takes fewer tiles of kern as
// Cᵀ = op(B)ᵀ·op(A)ᵀ (n rows, m columns), by enough to pay for the copies
// through a scratch tile: a product with fewer columns than a tile is wide,
// such as the last dense layer of a classifier (n = 10). It depends on m and
// n alone, and every element is computed the same way either way.
func swapRoles(kern *kernel, m, n int) bool {
	tiles := func(rows, cols int) int {
		return (rows + kern.mr - 1) / kern.mr * ((cols + kern.nr - 1) / kern.nr)
	}
	return 5*tiles(n, m) < 4*tiles(m, n)
}

// swapped returns p as the product Cᵀ = op(B)ᵀ·op(A)ᵀ.
func (p problem) swapped() problem {
	return problem{
		transA: !p.transB, transB: !p.transA, transC: !p.transC,
		m: p.n, n: p.m, k: p.k,
		alpha: p.alpha, beta: p.beta,
		a: p.b, lda: p.ldb, b: p.a, ldb: p.lda, c: p.c, ldc: p.ldc,
	}
}

// reserve sizes the packing buffers (and the scratch tile of a transposed
// C) for computing the part r of p, or any part as large. Buffers grow to
// the largest size any workspace has needed so far: which workspace a
// call takes from the pool varies when calls run at once, and each one
// sized for everything seen means none grows once every product of a
// training step has run.
func (ws *workspace) reserve(kern *kernel, p *problem, r rect) {
	kc := kcFor(kern, p.k)
	na := min(kern.mc, roundUp(r.i1-r.i0, kern.mr)) * kc
	if oneBlock(kern, p, r) {
		na = roundUp(r.i1-r.i0, kern.mr) * kc
	}
	nb := min(kern.nc, roundUp(r.j1-r.j0, kern.nr)) * kc
	ws.a = grow(ws.a, largest(&largestA, na))[:na]
	ws.b = grow(ws.b, largest(&largestB, nb))[:nb]
	if p.transC {
		nt := kern.mr * kern.nr
		ws.tile = grow(ws.tile, largest(&largestTile, nt))[:nt]
	}
}

// growToLargest gives the buffers the capacity of the largest ones needed
// so far.
func (ws *workspace) growToLargest() {
	ws.a = grow(ws.a, int(largestA.Load()))[:len(ws.a)]
	ws.b = grow(ws.b, int(largestB.Load()))[:len(ws.b)]
	ws.tile = grow(ws.tile, int(largestTile.Load()))[:len(ws.tile)]
}

// largestA, largestB and largestTile are the largest packing buffers any
// workspace has needed.
var largestA, largestB, largestTile atomic.Int64

// largest raises *most to n if n is larger and returns *most.
func largest(most *atomic.Int64, n int) int {
	for {
		m := most.Load()
		if int64(n) <= m {
			return int(m)
		}
		if most.CompareAndSwap(m, int64(n)) {
			return n
		}
	}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// packA copies rows i0..i0+mc and columns p0..p0+kc of op(A) into dst as
// panels of mr rows: panel q holds, for each step p of k, the mr values
// op(A)[i0+q·mr+r][p0+p]. Rows past the end of a panel are zero.
func packA(dst []float32, kern *kernel, p *problem, i0, mc, p0, kc int) {
	a, lda, mr := p.a, p.lda, kern.mr
	if p.transA && kern.copyRuns != nil {
		packRuns(dst, kern.copyRuns, a[p0*lda+i0:], lda, mc, kc, mr, p.k-p0)
		return
	}
	for q := 0; q < mc; q += mr {
		panel := dst[q*kc : (q+mr)*kc]
		rows := min(mr, mc-q)
		if p.transA {
			// op(A)[i][p] = a[p·lda+i]: each step of k is a contiguous run.
			for s := 0; s < kc; s++ {
				copyRun(panel[s*mr:s*mr+mr], a, (p0+s)*lda+i0+q, rows)
			}
			continue
		}
		// op(A)[i][p] = a[i·lda+p]: each row is a contiguous run.
		if kern.transpose != nil {
			kern.transpose(&a[(i0+q)*lda+p0], lda, &panel[0], mr, rows, kc, mr)
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

// packRuns packs an operand whose panels' rows are runs of its stored
// rows: the first w values of each of kc rows of src (lds apart) go into
// panels of width values, panel q holding values q·width..(q+1)·width of
// every row, zero-padded past w. The operand has left rows from src on (kc
// or more), which the copies may prefetch.
//
// When its rows are far apart, each run is prefetched 32 rows ahead, and
// when there are many rows it reads a few of them at a time and fills
// every panel from them, so that each row is read once, as a whole, rather
// than a short run of it for each panel: for the tall im2col matrix of a
// weight gradient, whose rows come from memory, the two together cut the
// packing's time to a quarter: it had taken as long as the arithmetic
// (Zen 5, 576×128×32768 with Aᵀ).
func packRuns(dst []float32, copyRuns copyRunsFunc, src []float32, lds, w, kc, width, left int) {
	// A panel's kc runs stay in L1 (32 KiB or more) from one panel to the
	// next when kc is at most 256 (a cache line each): then, and for a
	// single panel, go panel by panel, in fewer calls. Otherwise 16 rows at
	// a time (6 KiB for a block of 96 values, as the AVX-512 kernel packs
	// A), or more when they are short.
	rows := kc
	if kc > 256 && w > width {
		rows = max(16, 2048/w)
	}
	// Prefetch only runs at least four cache lines apart (the hardware
	// prefetchers follow closer ones), and not past the operand's last row.
	farRows := 0
	if lds >= 64 {
		farRows = left - prefetchRuns
	}
	for s0 := 0; s0 < kc; s0 += rows {
		steps := min(rows, kc-s0)
		prefetch := min(steps, max(0, farRows-s0))
		for q := 0; q < w; q += width {
			copyRuns(&src[s0*lds+q], lds, &dst[q*kc+s0*width], steps, min(width, w-q), width, prefetch)
		}
	}
}

// prefetchRuns is how many runs ahead copyRuns prefetches (runsAhead in
// gen_kernels.go).
const prefetchRuns = 32

// packB copies rows p0..p0+kc and columns j0..j0+nc of op(B) into dst as
// panels of nr columns: panel q holds, for each step p of k, the nr values
// op(B)[p0+p][j0+q·nr ...]. Columns past the end of a panel are zero.
func packB(dst []float32, kern *kernel, p *problem, p0, kc, j0, nc int) {
	b, ldb, nr := p.b, p.ldb, kern.nr
	if !p.transB && kern.copyRuns != nil {
		packRuns(dst, kern.copyRuns, b[p0*ldb+j0:], ldb, nc, kc, nr, p.k-p0)
		return
	}
	for q := 0; q < nc; q += nr {
		panel := dst[q*kc : (q+nr)*kc]
		cols := min(nr, nc-q)
		if !p.transB {
			// op(B)[p][j] = b[p·ldb+j]: each step of k is a contiguous run.
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
				kern.transpose(&b[(j0+q+j)*ldb+p0], ldb, &panel[j], nr, min(tb, cols-j), kc, tb)
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
