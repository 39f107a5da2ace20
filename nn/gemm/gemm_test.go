package gemm

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"unsafe"
)

// matrix is a test operand: rows×cols stored with stride ld, the padding
// filled with a sentinel so stray reads and writes show.
type matrix struct {
	rows, cols, ld int
	data           []float32
}

const sentinel = float32(-7777)

func newMatrix(rng *rand.Rand, rows, cols, pad int) matrix {
	ld := cols + pad
	data := make([]float32, max(0, (rows-1)*ld+cols)+pad)
	for i := range data {
		data[i] = sentinel
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			data[i*ld+j] = float32(rng.NormFloat64())
		}
	}
	return matrix{rows, cols, max(ld, 1), data}
}

func (x matrix) clone() matrix {
	x.data = append([]float32(nil), x.data...)
	return x
}

// at returns op(X)[i][j].
func (x matrix) at(trans bool, i, j int) float64 {
	if trans {
		i, j = j, i
	}
	return float64(x.data[i*x.ld+j])
}

// reference computes alpha·op(A)·op(B) + beta·C in float64 and, for each
// element, a bound on the float32 rounding error of any summation order.
func reference(transA, transB bool, m, n, k int, alpha float32, a, b matrix, beta float32, c matrix) (want, bound []float64) {
	want = make([]float64, m*n)
	bound = make([]float64, m*n)
	eps := math.Pow(2, -23)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, abs float64
			for p := 0; p < k; p++ {
				v := a.at(transA, i, p) * b.at(transB, p, j)
				s += v
				abs += math.Abs(v)
			}
			w := float64(alpha) * s
			e := math.Abs(float64(alpha)) * abs
			if beta != 0 {
				old := float64(c.data[i*c.ld+j])
				w += float64(beta) * old
				e += math.Abs(float64(beta) * old)
			}
			want[i*n+j] = w
			bound[i*n+j] = float64(k+3)*eps*e + 1e-30
		}
	}
	return want, bound
}

// useKernel makes kern the active kernel until the test ends.
func useKernel(t testing.TB, kern *kernel) {
	old := active
	active = kern
	t.Cleanup(func() { active = old })
}

// withBlocking returns a copy of kern with tiny cache blocks, so small
// products cross every block edge.
func withBlocking(kern *kernel, mc, kc, nc int) *kernel {
	k := *kern
	k.mc, k.kc, k.nc = roundUp(mc, k.mr), kc, roundUp(nc, k.nr)
	k.name += fmt.Sprintf("/mc%d-kc%d-nc%d", k.mc, k.kc, k.nc)
	return &k
}

// withGoPacking returns a copy of kern that packs with the portable loops.
func withGoPacking(kern *kernel) *kernel {
	k := *kern
	k.transpose, k.transposeBlock, k.copyRuns = nil, 0, nil
	k.name += "/gopack"
	return &k
}

// testKernels lists every kernel this CPU runs, with its own blocking, with
// tiny blocks and with the portable packing loops.
func testKernels() []*kernel {
	var ks []*kernel
	for _, k := range platformKernels() {
		ks = append(ks, k, withBlocking(k, 2*k.mr, 8, 2*k.nr))
		if k.transpose != nil || k.copyRuns != nil {
			ks = append(ks, withGoPacking(withBlocking(k, 2*k.mr, 24, 2*k.nr)))
		}
	}
	return ks
}

type shape struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad            int // extra columns in every leading dimension
}

func (s shape) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,alpha=%g,beta=%g,pad=%d", s.transA, s.transB, s.m, s.n, s.k, s.alpha, s.beta, s.pad)
}

// operands builds A, B and C for s; C holds NaN when beta == 0.
func (s shape) operands(rng *rand.Rand) (a, b, c matrix) {
	if s.transA {
		a = newMatrix(rng, s.k, s.m, s.pad)
	} else {
		a = newMatrix(rng, s.m, s.k, s.pad)
	}
	if s.transB {
		b = newMatrix(rng, s.n, s.k, s.pad)
	} else {
		b = newMatrix(rng, s.k, s.n, s.pad)
	}
	c = newMatrix(rng, s.m, s.n, s.pad)
	if s.beta == 0 {
		for i := 0; i < s.m; i++ {
			for j := 0; j < s.n; j++ {
				c.data[i*c.ld+j] = float32(math.NaN())
			}
		}
	}
	return a, b, c
}

func (s shape) run(a, b, c matrix) {
	Sgemm(s.transA, s.transB, s.m, s.n, s.k, s.alpha, a.data, a.ld, b.data, b.ld, s.beta, c.data, c.ld)
}

// check compares c with the float64 reference and checks that the padding
// of C is untouched.
func (s shape) check(t *testing.T, label string, a, b, c0, c matrix) {
	t.Helper()
	want, bound := reference(s.transA, s.transB, s.m, s.n, s.k, s.alpha, a, b, s.beta, c0)
	for i := range c.data {
		row, col := i/c.ld, i%c.ld
		if row >= s.m || col >= s.n {
			if c.data[i] != sentinel {
				t.Fatalf("%s %v: C padding at [%d] = %v, want untouched", label, s, i, c.data[i])
			}
			continue
		}
		got := float64(c.data[i])
		w := want[row*s.n+col]
		if math.IsNaN(got) || math.Abs(got-w) > bound[row*s.n+col] {
			t.Fatalf("%s %v: C[%d][%d] = %v, want %v (±%.3g)", label, s, row, col, got, w, bound[row*s.n+col])
		}
	}
}

// sizes are the edges sampled for m, n and k: around every tile width.
var sizes = []int{1, 2, 3, 5, 6, 7, 11, 12, 13, 15, 16, 17, 25, 31, 32, 33, 47, 48, 49, 63, 64, 65, 67}

// sampledShapes draws count shapes over sizes, every transposition and a mix
// of alpha, beta and strides, plus the K=1 cases.
func sampledShapes(rng *rand.Rand, count int) []shape {
	alphas := []float32{1, -1, 0.5, 2.5}
	betas := []float32{0, 1, -0.5, 3}
	var out []shape
	for i := 0; i < count; i++ {
		out = append(out, shape{
			transA: i&1 != 0, transB: i&2 != 0,
			m: sizes[rng.IntN(len(sizes))], n: sizes[rng.IntN(len(sizes))], k: sizes[rng.IntN(len(sizes))],
			alpha: alphas[rng.IntN(len(alphas))], beta: betas[rng.IntN(len(betas))],
			pad: []int{0, 0, 1, 5}[rng.IntN(4)],
		})
	}
	for _, m := range []int{1, 13, 40} {
		for _, n := range []int{1, 17, 33} {
			out = append(out, shape{m: m, n: n, k: 1, alpha: 1, beta: 0}, shape{transA: true, transB: true, m: m, n: n, k: 1, alpha: -2, beta: 0.5, pad: 3})
		}
	}
	return out
}

func TestKernelsAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := sampledShapes(rng, 1000)
	for _, kern := range testKernels() {
		t.Run(kern.name, func(t *testing.T) {
			useKernel(t, kern)
			for _, s := range shapes {
				a, b, c0 := s.operands(rng)
				c := c0.clone()
				s.run(a, b, c)
				s.check(t, kern.name, a, b, c0, c)
			}
		})
	}
}

func TestKernelsAgainstPortable(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	shapes := sampledShapes(rng, 200)
	for _, kern := range testKernels() {
		t.Run(kern.name, func(t *testing.T) {
			for _, s := range shapes {
				a, b, c0 := s.operands(rng)
				got, port := c0.clone(), c0.clone()
				func() {
					useKernel(t, kern)
					s.run(a, b, got)
				}()
				active = portableKernel
				s.run(a, b, port)
				_, bound := reference(s.transA, s.transB, s.m, s.n, s.k, s.alpha, a, b, s.beta, c0)
				for i := 0; i < s.m; i++ {
					for j := 0; j < s.n; j++ {
						g, p := got.data[i*got.ld+j], port.data[i*port.ld+j]
						if math.Abs(float64(g-p)) > 2*bound[i*s.n+j] {
							t.Fatalf("%v: C[%d][%d] = %v, portable %v", s, i, j, g, p)
						}
					}
				}
			}
		})
	}
}

// TestLargeBlocks crosses the real cache blocks of every kernel (k > kc,
// m > mc) with all transpositions. (Crossing nc is the same code; the tiny
// blockings of testKernels cover it.)
func TestLargeBlocks(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, kern := range platformKernels() {
		s := shape{m: kern.mc + 7, n: 2*kern.nr + 3, k: kern.kc + 9, alpha: 0.75, beta: -1, pad: 2}
		for tr := 0; tr < 4; tr++ {
			s.transA, s.transB = tr&1 != 0, tr&2 != 0
			t.Run(fmt.Sprintf("%s/%v", kern.name, s), func(t *testing.T) {
				useKernel(t, kern)
				a, b, c0 := s.operands(rng)
				c := c0.clone()
				s.run(a, b, c)
				s.check(t, kern.name, a, b, c0, c)
			})
		}
	}
}

// TestDeterminism checks that results are bit-identical from call to call
// and whatever the number of threads.
func TestDeterminism(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	shapes := []shape{
		{m: 301, n: 203, k: 700, alpha: 1, beta: 0},
		{transA: true, m: 97, n: 530, k: 300, alpha: 1, beta: 1},
		{transB: true, m: 2000, n: 28, k: 9, alpha: 1, beta: 0},
		{transA: true, m: 9, n: 28, k: 5000, alpha: 1, beta: 0},
	}
	defer SetThreads(0)
	for _, kern := range platformKernels() {
		for _, s := range shapes {
			t.Run(fmt.Sprintf("%s/%v", kern.name, s), func(t *testing.T) {
				useKernel(t, kern)
				a, b, c0 := s.operands(rng)
				var first matrix
				for i, th := range []int{1, 1, 2, 2, 3, 4, 7, 0} {
					c := c0.clone()
					if th == 0 { // SgemmSerial, whatever the thread count
						SetThreads(4)
						SgemmSerial(s.transA, s.transB, s.m, s.n, s.k, s.alpha, a.data, a.ld, b.data, b.ld, s.beta, c.data, c.ld)
					} else {
						SetThreads(th)
						s.run(a, b, c)
					}
					if i == 0 {
						first = c
						continue
					}
					for e := range c.data {
						if math.Float32bits(c.data[e]) != math.Float32bits(first.data[e]) {
							t.Fatalf("threads=%d (0: SgemmSerial): C[%d] = %v, with 1 thread %v", th, e, c.data[e], first.data[e])
						}
					}
				}
			})
		}
	}
}

// TestTilePositionDoesNotMatter checks that an element of C gets the same
// bits wherever its tile lies: the product of op(A) from row di and op(B)
// from column dj equals the matching part of the whole product, though every
// element sits at another row and column of its tile (and some move between
// full and partial tiles).
func TestTilePositionDoesNotMatter(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	shapes := []shape{
		{m: 37, n: 45, k: 29, alpha: 1.5, beta: 0, pad: 1},
		{transA: true, m: 37, n: 45, k: 29, alpha: -0.5, beta: 2},
		{transB: true, m: 30, n: 70, k: 300, alpha: 1, beta: 1, pad: 3},
		{transA: true, transB: true, m: 26, n: 19, k: 7, alpha: 2, beta: -1},
		// Few columns: the whole product and some of its parts are
		// computed as Cᵀ = op(B)ᵀ·op(A)ᵀ, others directly.
		{m: 100, n: 17, k: 41, alpha: 1, beta: 0.5},
		{transB: true, m: 64, n: 20, k: 130, alpha: 1, beta: 1, pad: 2},
	}
	for _, kern := range testKernels() {
		for _, s := range shapes {
			t.Run(fmt.Sprintf("%s/%v", kern.name, s), func(t *testing.T) {
				useKernel(t, kern)
				a, b, c0 := s.operands(rng)
				whole := c0.clone()
				s.run(a, b, whole)
				for _, off := range [][2]int{{1, 0}, {0, 1}, {3, 5}, {13, 17}} {
					di, dj := off[0], off[1]
					offA, offB := di*a.ld, dj
					if s.transA {
						offA = di
					}
					if s.transB {
						offB = dj * b.ld
					}
					part := c0.clone()
					Sgemm(s.transA, s.transB, s.m-di, s.n-dj, s.k, s.alpha, a.data[offA:], a.ld, b.data[offB:], b.ld, s.beta, part.data[di*part.ld+dj:], part.ld)
					for i := di; i < s.m; i++ {
						for j := dj; j < s.n; j++ {
							g, w := part.data[i*part.ld+j], whole.data[i*whole.ld+j]
							if math.Float32bits(g) != math.Float32bits(w) {
								t.Fatalf("offset (%d, %d): C[%d][%d] = %v, in the whole product %v", di, dj, i, j, g, w)
							}
						}
					}
				}
			})
		}
	}
}

func TestPartition(t *testing.T) {
	kern := &kernel{mr: 12, nr: 32}
	tests := []struct {
		m, n, k, threads int
		wantParts        int
	}{
		{1024, 1024, 1024, 2, 2},
		{1024, 1024, 1024, 4, 4},
		{1024, 1024, 1024, 3, 3},
		{43264, 28, 9, 2, 2},
		{9, 28, 43264, 2, 1}, // a single tile cannot be split
		{8, 8, 8, 2, 1},      // too little work to share
	}
	for _, tt := range tests {
		p := problem{m: tt.m, n: tt.n, k: tt.k, lda: tt.k, ldb: tt.n}
		parts := partition(nil, kern, &p, tt.threads)
		if len(parts) != tt.wantParts {
			t.Errorf("partition(%d×%d×%d, %d threads) = %d parts %v, want %d", tt.m, tt.n, tt.k, tt.threads, len(parts), parts, tt.wantParts)
		}
		// The parts must tile C exactly, with edges on whole tiles.
		covered := make([]int, tt.m*tt.n)
		for _, r := range parts {
			if r.i0%kern.mr != 0 || r.j0%kern.nr != 0 {
				t.Errorf("part %v does not start on a tile edge", r)
			}
			for i := r.i0; i < r.i1; i++ {
				for j := r.j0; j < r.j1; j++ {
					covered[i*tt.n+j]++
				}
			}
		}
		for e, n := range covered {
			if n != 1 {
				t.Fatalf("partition(%d×%d×%d): element %d covered %d times", tt.m, tt.n, tt.k, e, n)
			}
		}
	}
}

// TestPartitionShortTile checks that the grid weighs a short last tile of
// rows at the rows its kernel computes: 1024 rows are 85 tiles of 12 and
// one of 4, so a split by rows leaves one thread 43 whole tiles and the
// other 42 and the short one, while a split by columns is even. With only
// two tiles of columns, one of them half empty, the split by rows is still
// the cheaper.
func TestPartitionShortTile(t *testing.T) {
	kern := &kernel{mr: 12, nr: 32, short: []shortKernel{{4, nil}, {8, nil}}}
	for _, tt := range []struct {
		n      int
		byRows bool
	}{{1024, false}, {48, true}} {
		p := problem{m: 1024, n: tt.n, k: 1024, lda: 1024, ldb: tt.n}
		parts := partition(nil, kern, &p, 2)
		if len(parts) != 2 {
			t.Fatalf("n=%d: %d parts %v, want 2", tt.n, len(parts), parts)
		}
		if byRows := parts[0].j1 == p.n; byRows != tt.byRows {
			t.Errorf("n=%d: parts %v, want split by rows %v", tt.n, parts, tt.byRows)
		}
	}
}

func TestComputedRows(t *testing.T) {
	wide := &kernel{mr: 12, short: []shortKernel{{4, nil}, {8, nil}}}
	narrow := &kernel{mr: 6, short: []shortKernel{{2, nil}, {4, nil}}}
	plain := &kernel{mr: 4}
	tests := []struct {
		kern       *kernel
		rows, want int
	}{
		{wide, 0, 0}, {wide, 3, 4}, {wide, 4, 4}, {wide, 5, 8}, {wide, 9, 12},
		{wide, 12, 12}, {wide, 13, 16}, {wide, 1024, 1024}, {wide, 1025, 1028},
		{narrow, 1, 2}, {narrow, 3, 4}, {narrow, 5, 6}, {narrow, 1024, 1024}, {narrow, 1025, 1026},
		{plain, 5, 8}, {plain, 8, 8},
	}
	for _, tt := range tests {
		if got := tt.kern.computedRows(tt.rows); got != tt.want {
			t.Errorf("mr=%d: computedRows(%d) = %d, want %d", tt.kern.mr, tt.rows, got, tt.want)
		}
	}
}

func TestZeroSizes(t *testing.T) {
	// k == 0 or alpha == 0: C = beta·C, A and B unread (and may be nil).
	c := []float32{float32(math.NaN()), 2, 3, 4}
	Sgemm(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0, c, 2)
	for i, v := range c {
		if v != 0 {
			t.Fatalf("k=0, beta=0: C[%d] = %v, want 0", i, v)
		}
	}
	c = []float32{1, 2, 3, 4}
	Sgemm(false, false, 2, 2, 3, 0, make([]float32, 6), 3, make([]float32, 6), 2, 2, c, 2)
	for i, v := range c {
		if v != float32(2*(i+1)) {
			t.Fatalf("alpha=0, beta=2: C[%d] = %v, want %v", i, v, 2*(i+1))
		}
	}
	Sgemm(false, false, 0, 5, 3, 1, nil, 3, make([]float32, 15), 5, 0, nil, 5) // m == 0: nothing to do
}

func TestBadArguments(t *testing.T) {
	tests := []struct {
		name string
		call func()
		want string
	}{
		{"negative m", func() { Sgemm(false, false, -1, 2, 2, 1, nil, 2, nil, 2, 0, nil, 2) }, "negative dimension"},
		{"short a", func() {
			Sgemm(false, false, 2, 2, 2, 1, make([]float32, 3), 2, make([]float32, 4), 2, 0, make([]float32, 4), 2)
		}, "len(a)=3"},
		{"small lda", func() {
			Sgemm(true, false, 2, 3, 2, 1, make([]float32, 9), 1, make([]float32, 6), 3, 0, make([]float32, 6), 3)
		}, "lda=1"},
		{"short b transposed", func() {
			Sgemm(false, true, 2, 3, 2, 1, make([]float32, 4), 2, make([]float32, 5), 2, 0, make([]float32, 6), 3)
		}, "len(b)=5"},
		{"short c", func() {
			Sgemm(false, false, 2, 3, 2, 1, make([]float32, 4), 2, make([]float32, 6), 3, 0, make([]float32, 6), 4)
		}, "len(c)=6"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), tt.want) {
					t.Fatalf("panic %v, want one mentioning %q", r, tt.want)
				}
			}()
			tt.call()
		})
	}
}

func TestChooseKernel(t *testing.T) {
	avail := platformKernels()
	best := avail[0].name
	tests := []struct {
		want, got, warning string
	}{
		{"", best, ""},
		{"portable", "portable", ""},
		{" AVX2 ", map[bool]string{true: "avx2", false: best}[hasKernel("avx2")], map[bool]string{true: "", false: "does not support"}[hasKernel("avx2")]},
		{"avx512", map[bool]string{true: "avx512", false: best}[hasKernel("avx512")], map[bool]string{true: "", false: "does not support"}[hasKernel("avx512")]},
		{"neon", map[bool]string{true: "neon", false: best}[hasKernel("neon")], map[bool]string{true: "", false: "does not support"}[hasKernel("neon")]},
		{"sse", best, "unknown kernel"},
	}
	for _, tt := range tests {
		var warn bytes.Buffer
		k := chooseKernel(tt.want, avail, &warn)
		if k.name != tt.got {
			t.Errorf("chooseKernel(%q) = %s, want %s", tt.want, k.name, tt.got)
		}
		if (tt.warning == "") != (warn.Len() == 0) || !strings.Contains(warn.String(), tt.warning) {
			t.Errorf("chooseKernel(%q) warned %q, want %q", tt.want, warn.String(), tt.warning)
		}
	}
}

func hasKernel(name string) bool {
	for _, k := range platformKernels() {
		if k.name == name {
			return true
		}
	}
	return false
}

func TestNoAllocations(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	s := shape{m: 256, n: 256, k: 300, alpha: 1, beta: 0}
	a, b, c := s.operands(rng)
	defer SetThreads(0)
	for _, th := range []int{1, 2} {
		SetThreads(th)
		s.run(a, b, c) // warm up the buffers and workers
		if n := testing.AllocsPerRun(20, func() { s.run(a, b, c) }); n != 0 {
			t.Errorf("threads=%d: %v allocations per call, want 0", th, n)
		}
	}
}

// TestConcurrentCalls runs products from several goroutines at once; each
// must get its own result (run with -race to check the worker pool).
func TestConcurrentCalls(t *testing.T) {
	const goroutines = 4
	rng := rand.New(rand.NewPCG(11, 12))
	s := shape{transB: true, m: 300, n: 100, k: 90, alpha: 1, beta: 0}
	if parts := partition(nil, active, &problem{transB: true, m: s.m, n: s.n, k: s.k, lda: s.k, ldb: s.k}, 3); len(parts) < 2 {
		t.Fatalf("shape %v is not split between threads", s)
	}
	SetThreads(3)
	defer SetThreads(0)
	type call struct{ a, b, c0, c matrix }
	calls := make([]call, goroutines)
	for i := range calls {
		a, b, c0 := s.operands(rng)
		calls[i] = call{a, b, c0, c0.clone()}
	}
	done := make(chan struct{})
	for i := range calls {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 20 {
				s.run(calls[i].a, calls[i].b, calls[i].c)
			}
		}()
	}
	for range calls {
		<-done
	}
	for _, c := range calls {
		s.check(t, active.name, c.a, c.b, c.c0, c.c)
	}
}

func TestGrowAligned(t *testing.T) {
	var buf []float32
	for _, n := range []int{3, 100, 5000, 4000, 70000} {
		old := buf
		buf = grow(buf, n)
		if len(buf) != n {
			t.Fatalf("grow(%d): len %d", n, len(buf))
		}
		if addr := uintptr(unsafe.Pointer(&buf[0])); addr%64 != 0 {
			t.Errorf("grow(%d): buffer at %#x, want 64-byte aligned", n, addr)
		}
		if cap(old) >= n && &old[0] != &buf[0] {
			t.Errorf("grow(%d) reallocated a buffer of capacity %d", n, cap(old))
		}
	}
}

// TestSwappedRolesSameBits checks that computing C as Cᵀ = op(B)ᵀ·op(A)ᵀ
// through the scratch tile (the path of products with few columns) gives
// every element the same bits as computing C directly, for every kernel,
// every remainder of the unrolled k loops, partial tiles on both edges,
// several blocks of k, and beta zero (C holding NaN) or not; and that C's
// padding is untouched.
func TestSwappedRolesSameBits(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	betas := []float32{0, 1, -0.5}
	var shapes []shape
	for k := 1; k <= 40; k++ {
		shapes = append(shapes, shape{transA: k&1 != 0, transB: k&2 != 0, m: 10 + k, n: 10, k: k, alpha: 1.5, beta: betas[k%3], pad: k % 3})
	}
	shapes = append(shapes,
		shape{m: 64, n: 10, k: 300, alpha: 1, beta: 0},
		shape{transA: true, m: 100, n: 7, k: 2500, alpha: -1, beta: 2, pad: 1},
		shape{transB: true, m: 5, n: 70, k: 33, alpha: 0.5, beta: 1},
		shape{transA: true, transB: true, m: 130, n: 3, k: 17, alpha: 2, beta: 0, pad: 2},
	)
	for _, kern := range testKernels() {
		t.Run(kern.name, func(t *testing.T) {
			ws := new(workspace)
			for _, s := range shapes {
				a, b, c0 := s.operands(rng)
				p := problem{
					transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k,
					alpha: s.alpha, beta: s.beta, a: a.data, lda: a.ld, b: b.data, ldb: b.ld,
				}
				direct, swapped := c0.clone(), c0.clone()
				p.c, p.ldc = direct.data, direct.ld
				ws.compute(kern, &p, rect{0, p.m, 0, p.n})
				p.c = swapped.data
				q := p.swapped()
				ws.compute(kern, &q, rect{0, q.m, 0, q.n})
				s.check(t, "swapped", a, b, c0, swapped)
				for e := range direct.data {
					if math.Float32bits(swapped.data[e]) != math.Float32bits(direct.data[e]) {
						t.Fatalf("%v: C[%d] = %v swapped, %v direct", s, e, swapped.data[e], direct.data[e])
					}
				}
			}
		})
	}
}

func TestSwapRoles(t *testing.T) {
	k6x16 := &kernel{name: "6×16", mr: 6, nr: 16}
	k12x32 := &kernel{name: "12×32", mr: 12, nr: 32}
	k4x4 := &kernel{name: "4×4", mr: 4, nr: 4}
	tests := []struct {
		kern *kernel
		m, n int
		want bool
	}{
		{k6x16, 128, 10, true}, // 16 tiles swapped instead of 22
		{k6x16, 64, 10, true},
		{k6x16, 128, 128, false},
		{k6x16, 10, 128, false},
		{k6x16, 64, 4732, false}, // 3156 tiles instead of 3256: not worth the copies
		{k12x32, 128, 10, true},  // 4 tiles instead of 11
		{k12x32, 1024, 1024, false},
		{k4x4, 128, 10, false}, // a square tile gains nothing
	}
	for _, tt := range tests {
		if got := swapRoles(tt.kern, tt.m, tt.n); got != tt.want {
			t.Errorf("swapRoles(%s, m=%d, n=%d) = %v, want %v", tt.kern.name, tt.m, tt.n, got, tt.want)
		}
	}
}

// TestInPlaceB checks when compute reads B's panels in place and packs A's
// rows as one block.
func TestInPlaceB(t *testing.T) {
	inPlace := &kernel{mr: 12, nr: 32, mc: 96, kc: 1152, inPlace: true}
	packing := &kernel{mr: 12, nr: 32, mc: 96, kc: 1152}
	tests := []struct {
		name           string
		kern           *kernel
		p              problem
		rows           int
		wantIn, wantOn bool // inPlaceB, oneBlock
	}{
		{"dense layer", inPlace, problem{m: 64, n: 128, k: 4732, ldb: 128}, 64, true, true},
		{"rows 4 KiB apart", inPlace, problem{m: 96, n: 1024, k: 1024, ldb: 1024}, 96, true, true},
		{"rows farther apart", inPlace, problem{m: 96, n: 1100, k: 1024, ldb: 1100}, 96, false, true},
		{"B transposed", inPlace, problem{transB: true, m: 64, n: 128, k: 512, ldb: 512}, 64, false, true},
		{"C transposed", inPlace, problem{transC: true, m: 64, n: 128, k: 512, ldb: 128}, 64, false, true},
		{"no in-place kernel", packing, problem{m: 64, n: 128, k: 512, ldb: 128}, 64, false, true},
		// 128 rows of depth 512 are no larger than 96 of 1152.
		{"few rows, short k", inPlace, problem{m: 128, n: 256, k: 512, ldb: 256}, 128, true, true},
		{"few rows, short k, packed", packing, problem{m: 128, n: 256, k: 512, ldb: 256}, 128, false, false},
		{"many rows", inPlace, problem{m: 1024, n: 1024, k: 1024, ldb: 1024}, 1024, true, false},
		{"rows deeper than a block", inPlace, problem{m: 128, n: 128, k: 4732, ldb: 128}, 128, true, false},
	}
	for _, tt := range tests {
		r := rect{0, tt.rows, 0, tt.p.n}
		if got := inPlaceB(tt.kern, &tt.p); got != tt.wantIn {
			t.Errorf("%s: inPlaceB = %v, want %v", tt.name, got, tt.wantIn)
		}
		if got := oneBlock(tt.kern, &tt.p, r); got != tt.wantOn {
			t.Errorf("%s: oneBlock = %v, want %v", tt.name, got, tt.wantOn)
		}
	}
}
