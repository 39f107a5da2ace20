package gemm

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unsafe"
)

// microKernel computes one MR×NR tile of C from a packed k×MR panel of A and
// a k×NR panel of B whose rows are ldb values apart (NR when packed):
//
//	C[0:mr, 0:nr] = alpha·(Ap·Bp)[0:mr, 0:nr] + beta·C[0:mr, 0:nr]
//
// With beta == 0 the old C is not read. c points at the tile's top-left
// element; ldc is C's row stride. The arithmetic does not depend on ldb.
type microKernel func(k int, a, b, c *float32, ldc int, alpha, beta float32, mr, nr, ldb int)

// kernel is a micro-kernel with its tile shape and the cache blocking that
// suits it: mc rows of A and kc steps of k are packed per block (mc·kc should
// sit in L2), nc columns of B per block; a packed kc×nr panel of B is reused
// across the mc/mr tiles of a block from L1 or L2, whichever the kernel's
// blocking chooses (see each kernel's comment).
type kernel struct {
	name       string
	mr, nr     int
	mc, kc, nc int
	micro      microKernel
	// inPlace says the kernel reads a panel of B where B is stored as fast
	// as packed, so that compute may skip packing it (see inPlaceB).
	inPlace bool
	// short lists kernels for tiles of fewer than mr rows, fewest rows
	// first: each computes the first rows rows of a tile from the same
	// mr-row panels, each row with the same arithmetic as micro, so an
	// element's value does not depend on which one computes it. The short
	// last tile of a product with few rows (64 rows of 12-row tiles: a
	// tenth of the work) then costs only its rows.
	short []shortKernel
	// transpose, if set, packs operands that need transposing, up to
	// transposeBlock rows (and any number of columns) at a time (see
	// transposeAVX512); otherwise plain Go loops do. transposeBlock must be
	// at least mr and divide nr.
	transpose      func(src *float32, lds int, dst *float32, ldd int, rows, cols, width int)
	transposeBlock int
	// copyRuns, if set, packs operands whose panel rows are contiguous (see
	// copyRunsAVX512 and packRuns); otherwise copyRun does, one run at a
	// time.
	copyRuns copyRunsFunc
}

// copyRunsFunc copies steps runs of n values, lds apart at src, to dst as
// contiguous runs of width values, zero-padded, prefetching for the first
// prefetch runs (see copyRunsAVX512).
type copyRunsFunc func(src *float32, lds int, dst *float32, steps, n, width, prefetch int)

// shortKernel is a micro-kernel for tiles of at most rows rows.
type shortKernel struct {
	rows  int
	micro microKernel
}

// computedRows is how many rows of tiles the kernels compute for a block
// of rows rows: whole tiles of mr, and a short last tile as its short
// kernel's rows.
func (k *kernel) computedRows(rows int) int {
	whole, last := rows/k.mr*k.mr, rows%k.mr
	if last == 0 {
		return whole
	}
	for _, s := range k.short {
		if last <= s.rows {
			return whole + s.rows
		}
	}
	return whole + k.mr
}

// microFor returns the kernel for a tile of rows rows.
func (k *kernel) microFor(rows int) microKernel {
	for _, s := range k.short {
		if rows <= s.rows {
			return s.micro
		}
	}
	return k.micro
}

// knownKernels names the kernels of every build, whether this one has them
// or not, so that forcing one this CPU lacks is told apart from a typo.
var knownKernels = []string{"avx512", "avx2", "neon", "portable"}

// kernelEnv names the environment variable that forces a kernel.
const kernelEnv = "CNNLAB_GEMM_KERNEL"

// chooseKernel returns the kernel named by want (one of knownKernels), or the
// best available one when want is empty. An unknown or unavailable choice is
// reported on warn and replaced by the best kernel.
func chooseKernel(want string, available []*kernel, warn io.Writer) *kernel {
	want = strings.TrimSpace(strings.ToLower(want))
	if want == "" {
		return available[0]
	}
	for _, k := range available {
		if k.name == want {
			return k
		}
	}
	known := false
	for _, name := range knownKernels {
		known = known || name == want
	}
	if known {
		fmt.Fprintf(warn, "gemm: %s=%s: this CPU does not support the %s kernel; using %s\n", kernelEnv, want, want, available[0].name)
	} else {
		fmt.Fprintf(warn, "gemm: %s=%s: unknown kernel (want one of %s); using %s\n", kernelEnv, want, strings.Join(knownKernels, ", "), available[0].name)
	}
	return available[0]
}

// active is the kernel Sgemm uses.
var active = chooseKernel(os.Getenv(kernelEnv), platformKernels(), os.Stderr)

// Kernel names the micro-kernel in use: "avx512", "avx2", "neon" or
// "portable".
// The environment variable CNNLAB_GEMM_KERNEL forces one of them.
func Kernel() string { return active.name }

// portableKernel is the pure-Go fallback, used where no assembly kernel runs.
var portableKernel = &kernel{name: "portable", mr: 4, nr: 4, mc: 128, kc: 256, nc: 1024, micro: kernelGo}

// kernelGo is the portable 4×4 micro-kernel.
func kernelGo(k int, a, b, c *float32, ldc int, alpha, beta float32, mr, nr, ldb int) {
	ap := unsafe.Slice(a, 4*k)
	bp := unsafe.Slice(b, max(0, (k-1)*ldb+4))
	var c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33 float32
	for p := 0; p < k; p++ {
		av := ap[4*p : 4*p+4 : 4*p+4]
		bv := bp[ldb*p : ldb*p+4 : ldb*p+4]
		a0, a1, a2, a3 := av[0], av[1], av[2], av[3]
		b0, b1, b2, b3 := bv[0], bv[1], bv[2], bv[3]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		c20 += a2 * b0
		c21 += a2 * b1
		c22 += a2 * b2
		c23 += a2 * b3
		c30 += a3 * b0
		c31 += a3 * b1
		c32 += a3 * b2
		c33 += a3 * b3
	}
	tile := [16]float32{c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33}
	cs := unsafe.Slice(c, (mr-1)*ldc+nr)
	for i := 0; i < mr; i++ {
		row := cs[i*ldc : i*ldc+nr]
		for j := range row {
			if beta == 0 {
				row[j] = alpha * tile[4*i+j]
			} else {
				row[j] = float32(alpha*tile[4*i+j]) + float32(beta*row[j])
			}
		}
	}
}
