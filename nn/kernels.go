package nn

import (
	"math"
	"sync"
)

// Free lists of tasks for the functions that are not methods of a layer or
// an optimizer (L2 and gradient clipping), so that they allocate nothing in
// steady state. Not sync.Pools: the garbage collector empties those, and an
// object put back on one processor is not found from another.
var (
	elementwiseTasks freeList[elementwise]
	sumSquaresTasks  freeList[sumSquares]
)

// freeList keeps the values of type T no longer in use for the next get.
type freeList[T any] struct {
	mu   sync.Mutex
	free []*T
}

// get takes a value from the list, or makes one.
func (l *freeList[T]) get() *T {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n := len(l.free); n > 0 {
		t := l.free[n-1]
		l.free = l.free[:n-1]
		return t
	}
	return new(T)
}

// put returns t to the list.
func (l *freeList[T]) put(t *T) {
	l.mu.Lock()
	l.free = append(l.free, t)
	l.mu.Unlock()
}

// This file holds the element-wise and row-wise loops the layers share, and
// the tasks that run them over blocks in parallel (see parallel.go).

// Block sizes, in values. They depend on nothing but these constants and the
// shape of the data, so results do not depend on the thread count.
const (
	elementGrain = 1 << 15 // values per block of an element-wise loop
	rowGrain     = 1 << 14 // values per block of a loop over rows
)

// rowsPerBlock is the number of rows of cols values in one block of a loop
// over rows.
func rowsPerBlock(cols int) int { return max(1, rowGrain/max(cols, 1)) }

// elementwise runs fn over the same index range of dst, a and b (b may be
// nil), with the scalar s.
type elementwise struct {
	fn        func(dst, a, b []float32, s float32)
	dst, a, b []float32
	s         float32
}

func (t *elementwise) run(lo, hi int) {
	var b []float32
	if t.b != nil {
		b = t.b[lo:hi]
	}
	t.fn(t.dst[lo:hi], t.a[lo:hi], b, t.s)
}

// apply runs fn over the len(dst) values in parallel.
func (t *elementwise) apply(fn func(dst, a, b []float32, s float32), dst, a, b []float32, s float32) {
	t.fn, t.dst, t.a, t.b, t.s = fn, dst, a, b, s
	parallelFor(len(dst), elementGrain, t)
	t.dst, t.a, t.b = nil, nil, nil // keep no tensor alive longer than needed
}

// reluForward sets y = max(x, 0): −0 and negative values give +0, and a NaN
// stays a NaN unless its sign bit is set (the sign bit decides).
func reluForward(y, x, _ []float32, _ float32) {
	if len(y) > 0 {
		_ = x[len(y)-1]
		switch simd {
		case simdAVX512:
			reluForwardAVX512(&y[0], &x[0], len(y))
			return
		case simdAVX2:
			reluForwardAVX2(&y[0], &x[0], len(y))
			return
		case simdNEON:
			reluForwardNEON(&y[0], &x[0], len(y))
			return
		}
	}
	reluForwardGo(y, x)
}

func reluForwardGo(y, x []float32) {
	x = x[:len(y)]
	for i, v := range x {
		b := math.Float32bits(v)
		y[i] = math.Float32frombits(b &^ uint32(int32(b)>>31))
	}
}

// reluBackward sets dx = dy where y > 0 and 0 elsewhere, y being the output
// of reluForward. Branch-free: y is +0 where the input was ≤ 0 and positive
// elsewhere, so its bits minus one are negative exactly where the gradient
// is zero.
func reluBackward(dx, dy, y []float32, _ float32) {
	if len(dx) > 0 {
		_, _ = dy[len(dx)-1], y[len(dx)-1]
		switch simd {
		case simdAVX512:
			reluBackwardAVX512(&dx[0], &dy[0], &y[0], len(dx))
			return
		case simdAVX2:
			reluBackwardAVX2(&dx[0], &dy[0], &y[0], len(dx))
			return
		case simdNEON:
			reluBackwardNEON(&dx[0], &dy[0], &y[0], len(dx))
			return
		}
	}
	reluBackwardGo(dx, dy, y)
}

func reluBackwardGo(dx, dy, y []float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	for i, d := range dy {
		keep := ^uint32(int32(math.Float32bits(y[i])-1) >> 31)
		dx[i] = math.Float32frombits(math.Float32bits(d) & keep)
	}
}

// leakyForward sets y = x for x > 0 and alpha·x otherwise.
func leakyForward(y, x, _ []float32, alpha float32) {
	x = x[:len(y)]
	for i, v := range x {
		if v > 0 {
			y[i] = v
		} else {
			y[i] = alpha * v
		}
	}
}

// leakyBackward sets dx = dy where x > 0 and alpha·dy elsewhere.
func leakyBackward(dx, dy, x []float32, alpha float32) {
	dy, x = dy[:len(dx)], x[:len(dx)]
	for i, d := range dy {
		if x[i] > 0 {
			dx[i] = d
		} else {
			dx[i] = alpha * d
		}
	}
}

// sigmoidForward sets y = 1/(1+e^−x) (see expf.go).
func sigmoidForward(y, x, _ []float32, _ float32) { sigmoidLoops.run(y, x, nil, 0) }

// sigmoidBackward sets dx = dy·y·(1−y).
func sigmoidBackward(dx, dy, y []float32, _ float32) { sigmoidBackLoops.run(dx, dy, y, 0) }

// tanhForward sets y = tanh x (see expf.go).
func tanhForward(y, x, _ []float32, _ float32) { tanhLoops.run(y, x, nil, 0) }

// tanhBackward sets dx = dy·(1−y²).
func tanhBackward(dx, dy, y []float32, _ float32) { tanhBackLoops.run(dx, dy, y, 0) }

// multiply sets dst = a·b.
func multiply(dst, a, b []float32, _ float32) { multiplyLoops.run(dst, a, b, 0) }

// addScaled sets dst = a + s·b (dst may be a).
func addScaled(dst, a, b []float32, s float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i, v := range a {
		dst[i] = v + s*b[i]
	}
}

// scaleBy sets dst = s·a (dst may be a).
func scaleBy(dst, a, _ []float32, s float32) {
	a = a[:len(dst)]
	for i, v := range a {
		dst[i] = s * v
	}
}

// biasRows adds the vector b to every row of y, len(b) values per row.
type biasRows struct {
	y, b []float32
}

func (t *biasRows) run(lo, hi int) {
	addRows(t.y[lo*len(t.b):hi*len(t.b)], t.b)
}

// addRows adds b to every row of y (rows of len(b) values).
func addRows(y, b []float32) {
	n := len(b)
	if n > 0 && len(y) >= n {
		switch simd {
		case simdAVX512:
			addRowsAVX512(&y[0], &b[0], len(y)/n, n)
			return
		case simdAVX2:
			addRowsAVX2(&y[0], &b[0], len(y)/n, n)
			return
		case simdNEON:
			addRowsNEON(&y[0], &b[0], len(y)/n, n)
			return
		}
	}
	addRowsGo(y, b)
}

func addRowsGo(y, b []float32) {
	n := len(b)
	for i := 0; i+n <= len(y); i += n {
		row := y[i : i+n]
		for j, v := range b {
			row[j] += v
		}
	}
}

// addBias adds b to every row of y (rows of len(b) values), in parallel.
func (t *biasRows) addBias(y, b []float32) {
	t.y, t.b = y, b
	n := len(b)
	parallelFor(len(y)/n, rowsPerBlock(n), t)
	t.y = nil
}

// columnSums sums the rows of a matrix in fixed blocks of at most
// sumRowsBlock rows, each summed in float32 by sumRows, whose partial sums
// are then added in float64 in order.
type columnSums struct {
	x       []float32
	cols    int
	partial []float32 // one row of cols sums per block
	total   []float64
}

// sumRowsBlock bounds the rows one float32 partial sum adds up.
const sumRowsBlock = 512

func columnSumRows(cols int) int { return min(rowsPerBlock(cols), sumRowsBlock) }

func (t *columnSums) run(lo, hi int) {
	c := t.cols
	block := lo / columnSumRows(c)
	sumRows(t.partial[block*c:block*c+c], t.x[lo*c:hi*c])
}

// sum sets s to the sum of the rows of x (rows of len(s) values).
func (t *columnSums) sum(s, x []float32) {
	t.add(x, len(s), true)
	t.result(s)
}

// add adds the rows of x (rows of c values) to the running sums, which
// first restarts at zero. The rows are summed in blocks, in parallel, and
// the blocks added up in order, so the sums do not depend on the threads.
func (t *columnSums) add(x []float32, c int, first bool) {
	rows := len(x) / c
	t.x, t.cols = x, c
	blocks := blocksOf(rows, columnSumRows(c))
	t.partial = grow(t.partial, blocks*c)
	t.total = growFloat64(t.total, c)
	parallelFor(rows, columnSumRows(c), t)
	t.x = nil
	if first {
		clear(t.total)
	}
	for b := range blocks {
		for j, v := range t.partial[b*c : b*c+c] {
			t.total[j] += float64(v)
		}
	}
}

// result sets s to the running sums.
func (t *columnSums) result(s []float32) {
	for j, v := range t.total[:len(s)] {
		s[j] = float32(v)
	}
}

// sumRows sets s to the sum of the rows of y (rows of len(s) values): for
// each column, the even rows and the odd rows are summed apart, in order, and
// the two sums added.
func sumRows(s, y []float32) {
	n := len(s)
	if n > 0 {
		switch simd {
		case simdAVX512:
			sumRowsAVX512(&s[0], unsafeData(y), len(y)/n, n)
			return
		case simdAVX2:
			sumRowsAVX2(&s[0], unsafeData(y), len(y)/n, n)
			return
		case simdNEON:
			sumRowsNEON(&s[0], unsafeData(y), len(y)/n, n)
			return
		}
	}
	sumRowsGo(s, y)
}

func sumRowsGo(s, y []float32) {
	n := len(s)
	rows := len(y) / n
	for j0 := 0; j0 < n; j0 += 16 {
		w := min(16, n-j0)
		var even, odd [16]float32
		r := 0
		for ; r+1 < rows; r += 2 {
			a, b := y[r*n+j0:r*n+j0+w], y[(r+1)*n+j0:(r+1)*n+j0+w]
			for j := range w {
				even[j] += a[j]
				odd[j] += b[j]
			}
		}
		if r < rows {
			for j, v := range y[r*n+j0 : r*n+j0+w] {
				even[j] += v
			}
		}
		for j := range w {
			s[j0+j] = even[j] + odd[j]
		}
	}
}

// unsafeData is &y[0], or nil for an empty y (which the loops then never read).
func unsafeData(y []float32) *float32 {
	if len(y) == 0 {
		return nil
	}
	return &y[0]
}

// growFloat64 is grow for float64 buffers.
func growFloat64(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}
