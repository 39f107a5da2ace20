package nn

import (
	"unsafe"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

// Fusion of a conv, a relu and a 2×2 max pool.
//
// A conv whose forward pass runs by the direct loops of smallconv.go (a
// short im2col row, such as the 3×3 window over one channel or three of a
// first layer) or by Winograd, then relu, then max pooling with 2×2 windows
// and stride 2 that tile the conv's output exactly (the first three layers
// of the seed MNIST network), or the pool then relu (the seed CIFAR-10
// network's four blocks), spend much of their time moving the conv's output
// through memory: the conv writes it, relu reads it and writes its own, the
// pool reads that, and backward does as much again with the gradients.
// Build fuses such a run of three layers
// of a network (not inside a block) into one pass, which Forward and
// Backward run instead of the three layers; Activations and Outputs, which
// return every layer's output, run them one by one, and nothing of the
// fusion shows outside the package: the specs, the model files and the
// results are those of the three layers.
//
// Forward computes the conv's output one example at a time into a buffer
// that stays in the core's cache (for Winograd, one row of tiles at a time:
// see rowSink), pools it from there and applies relu to the pooled values,
// a quarter of them: relu(max x) = max relu(x), as relu
// is monotonic and maps every value ≤ 0 to +0. It also drops the winner of
// every window whose pooled value is 0 (the relu's backward pass, on the
// pooled side). Backward routes the gradient of the pooled values to the
// remaining winners a few rows at a time into the buffer, and adds up the
// weight gradient from there in the
// same blocks of rows, in the same order, as the conv alone (smallConv),
// so that the conv's output and its gradient never reach memory. When the
// conv's input gradient is needed, or its weight gradient runs by gemm
// (rows longer than smallK, such as 3×3 windows over three channels),
// backward writes the whole gradient of the conv's output and runs the
// conv's own backward pass on it. A Winograd conv's gradient stage unpools
// the gradient a row of tiles at a time (rowSource), and its output
// gradient is never stored either.
//
// A conv with stride 1 and no padding does not even write its im2col
// matrix: its loops read each window straight from the image, a window's
// rows a row of the image apart. Its output then has rows as wide as the
// input's, W, whose last KW−1 positions are junk: windows that wrap around
// to the next row. Pooling skips them; backward gives them a zero gradient,
// whose products add ±0 to sums that cannot be −0 (they start at +0, and
// x + y is −0 only when both are), so the weight gradient keeps its bits.
//
// The results are those of the three layers, bit for bit, for finite
// values: the conv's output values are computed by the same operations,
// max and relu are exact, and the gradient reaching each position of the
// conv's output is 0+dy at the winner of a window whose pooled value is
// positive and +0 everywhere else, either way (when the pooled value is not
// positive, the two orders may pick different winners, but the gradient is
// zero at all of them). TestFusedConvReLUPool checks it on every level of
// vector loops and several thread counts.
//
// Only the AVX-512 and AVX2 levels run the fusion (see runs); on the
// others Forward and Backward run the three layers one by one.

// fuseLayers switches the fusion on; tests switch it off to compare.
var fuseLayers = true

// convReLUPool runs the layers first, first+1 and first+2 of a network, a
// conv, a relu and a max pool, as one pass. The conv keeps its input (and
// its im2col matrix, unless it reads windows from the input) and the pool
// its output and winners, as when they run alone, so the conv's own
// backward pass can finish the fused one when the conv's input gradient is
// needed.
type convReLUPool struct {
	first int
	conv  *conv
	pool  *maxPool

	// windows: the conv reads its windows straight from its input,
	// each value at off from its window's first (stride 1, no padding).
	windows bool
	off     []int
	ran     bool // the last Forward ran the fusion, not the layers one by one

	x, dy    *Tensor
	fwd, bwd funcTask
	unpool   funcTask
	bufs     freeList[fusedBuffer]
	buffers  int    // made so far, all in bufs between the passes
	dconv    Tensor // the gradient of the conv's output, for the conv's own backward pass
	// dconvPad holds dconv's values from dconvPad[bufferPad] on, so that
	// the pool's winners, positions in a buffer, are positions in it too.
	dconvPad []float32
}

// fusedBuffer is one thread's buffer for the conv's output of one example,
// or its gradient, from img[bufferPad] on.
type fusedBuffer struct {
	img []float32
	arg []int32 // for Winograd, a row of the pool's winners as positions in img
}

// bufferPad is where the conv's output starts in a fusedBuffer: the pool's
// winners, indices in the buffer, are never 0, which marks the windows
// whose pooled value relu sets to 0. 16 keeps the rows' alignment.
const bufferPad = 16

// fuseConvReLUPool returns the fusion of layers i, i+1 and i+2, or nil if
// they are not a direct conv, a relu and a max pool whose 2×2 windows tile
// the conv's output.
func fuseConvReLUPool(layers []layer, i int) *convReLUPool {
	if !fuseLayers || i+2 >= len(layers) {
		return nil
	}
	c, ok := layers[i].(*conv)
	if !ok || !c.directFwd && c.wg == nil {
		return nil
	}
	// relu then pool, or pool then relu: relu(max x) = max relu(x).
	isReLU := func(l layer) bool {
		r, ok := l.(*activation)
		return ok && r.spec.Kind == KindReLU
	}
	p, ok := layers[i+2].(*maxPool)
	if !ok || !isReLU(layers[i+1]) {
		p, ok = layers[i+1].(*maxPool)
		if !ok || !isReLU(layers[i+2]) {
			return nil
		}
	}
	if !p.geom.tiles2x2() || p.geom.h != c.geom.oh || p.geom.w != c.geom.ow || p.geom.c != c.spec.Filters {
		return nil
	}
	f := &convReLUPool{first: i, conv: c, pool: p}
	f.fwd, f.bwd, f.unpool = funcTask(f.forwardExamples), funcTask(f.weightGradRows), funcTask(f.unpoolExamples)
	g := &c.geom
	if c.wg == nil && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.oh == g.h-g.kh+1 && g.ow == g.w-g.kw+1 {
		f.windows = true
		for kh := range g.kh {
			for q := range g.kw * g.c {
				f.off = append(f.off, kh*g.w*g.c+q)
			}
		}
	}
	return f
}

// width is the width of the rows of the conv's output in the buffers: the
// input's when the conv reads its windows straight from it, else the
// output's.
func (f *convReLUPool) width() int {
	if f.windows {
		return f.conv.geom.w
	}
	return f.conv.geom.ow
}

// runs reports whether Forward runs the fusion rather than the three
// layers one by one: on the AVX-512 and AVX2 levels of loops. The portable
// loop of max pooling branches on each comparison, which pooling the conv's
// output before relu makes unpredictable, and neither the portable nor the
// NEON level has a max unpool loop; they run the layers as before.
func (f *convReLUPool) runs() bool { return simd == simdAVX512 || simd == simdAVX2 }

// span is the number of layers the fusion runs.
func (f *convReLUPool) span() int { return 3 }

// forward runs the three layers on x and returns the pool's output.
func (f *convReLUPool) forward(x *Tensor) *Tensor {
	c, p := f.conv, f.pool
	g := &c.geom
	c.x = x
	if !c.pointwise && !f.windows && c.wg == nil {
		c.col = grow(c.col, x.N*g.oh*g.ow*g.kh*g.kw*g.c)
	}
	p.out.resize(x.N, p.geom.oh, p.geom.ow, p.geom.c)
	if cap(p.arg) < p.out.Len() {
		p.arg = make([]int32, p.out.Len())
	}
	p.arg = p.arg[:p.out.Len()]
	if c.wg != nil {
		// The Winograd output stage gives each row of tiles to f.rows.
		f.reserveBuffers(x.N * c.wg.th)
		var bias []float32
		if c.b != nil {
			bias = c.b.Value
		}
		c.wg.forward(nil, f, x.Data, c.w.Value, bias, x.N, c.scratchBuffer)
		return &p.out
	}
	f.x = x
	f.reserveBuffers(x.N)
	parallelFor(x.N, 1, f.fwd)
	f.x = nil
	return &p.out
}

// reserveBuffers makes sure there is a buffer for each thread that a pass
// over blocks blocks runs on, so that the pass allocates nothing however
// its blocks fall on the threads.
func (f *convReLUPool) reserveBuffers(blocks int) {
	g := &f.conv.geom
	// Rows as wide as the input's, the widest; for Winograd, the rows of
	// one row of tiles.
	size, args := bufferPad+g.oh*g.w*f.conv.spec.Filters, 0
	if wg := f.conv.wg; wg != nil {
		size, args = bufferPad+wg.m*g.ow*f.conv.spec.Filters, f.pool.geom.ow*f.conv.spec.Filters
	}
	for ; f.buffers < min(gemm.Threads(), blocks); f.buffers++ {
		f.bufs.put(&fusedBuffer{img: make([]float32, size), arg: make([]int32, args)})
	}
}

// fill makes f the rowSource of its Winograd conv: it unpools the gradient
// of the pooled values of each band of the conv's output rows into the
// band, as unpoolRows does for a whole example.
func (f *convReLUPool) fill(band *fusedBuffer, n, row0, rows int) {
	p := f.pool
	pg := &p.geom
	nf := pg.c
	width := pg.w * nf
	run := pg.ow * nf
	shift := int32(row0 * width) // from positions in the example to positions in the band
	for r := 0; r < rows; r += 2 {
		o := (n*pg.oh + (row0+r)/2) * run
		for i, a := range p.arg[o : o+run] {
			if a != 0 { // 0: no winner, the pooled value was not positive
				a -= shift
			}
			band.arg[i] = a
		}
		maxUnpool(band.img, f.dy.Data[o:o+run], band.arg, bufferPad+r*width, width, nf, 2*nf)
	}
}

// band, rows and done make f the rowSink of its Winograd conv: each band
// of the conv's output rows is pooled into the pool's output as
// forwardExamples pools a whole example, and relu applied there.
func (f *convReLUPool) band() *fusedBuffer { return f.getBuffer() }

func (f *convReLUPool) done(band *fusedBuffer) { f.bufs.put(band) }

func (f *convReLUPool) rows(band *fusedBuffer, n, row0, rows int) {
	p := f.pool
	pg := &p.geom
	nf := pg.c
	width := pg.w * nf // a row of the conv's output
	run := pg.ow * nf  // a row of pooled values
	shift := int32(row0 * width)
	for r := 0; r < rows; r += 2 {
		o := (n*pg.oh + (row0+r)/2) * run
		best, arg := p.out.Data[o:o+run], p.arg[o:o+run]
		maxWindows(best, arg, band.img, bufferPad+r*width, 2, 2, width, nf, 2*nf)
		// The winners as positions in the example's output, as
		// forwardExamples gives them.
		for i := range arg {
			arg[i] += shift
		}
		reluForward(best, best, nil, 0)
		bits := unsafe.Slice((*float32)(unsafe.Pointer(&arg[0])), len(arg))
		reluBackward(bits, bits, best, 0)
	}
}

// getBuffer takes a buffer from the free list, where reserveBuffers left
// one for each thread.
func (f *convReLUPool) getBuffer() *fusedBuffer { return f.bufs.get() }

// forwardExamples runs examples first..last−1: the conv into a buffer,
// pooled from there into the pool's output, then relu on that in place.
func (f *convReLUPool) forwardExamples(first, last int) {
	c, p := f.conv, f.pool
	g, pg := &c.geom, &p.geom
	rows, k, nf := g.oh*g.ow, g.kh*g.kw*g.c, c.spec.Filters
	bias := c.zeros
	if c.b != nil {
		bias = c.b.Value
	}
	outSize, inSize := pg.oh*pg.ow*nf, g.h*g.w*g.c
	width := f.width()
	b := f.getBuffer()
	for n := first; n < last; n++ {
		var col []float32
		lda, m := k, rows
		switch {
		case f.windows:
			// Row i of the output at column i of the input; the
			// rows past the last window would run off the image.
			col, lda, m = f.x.Data[n*inSize:(n+1)*inSize], g.c, (g.oh-1)*width+g.ow
		case c.pointwise:
			col = f.x.Data[n*rows*k : (n+1)*rows*k]
		default:
			im2col(c.col, f.x.Data, n, n+1, g)
			col = c.col[n*rows*k : (n+1)*rows*k]
		}
		for j0 := 0; j0 < nf; j0 += smallWidth {
			smallForward(b.img[bufferPad+j0:], nf, col, lda, f.offsets(), c.w.Value[j0:], nf, bias[j0:], m, min(smallWidth, nf-j0), k)
		}
		best, arg := p.out.Data[n*outSize:(n+1)*outSize], p.arg[n*outSize:(n+1)*outSize]
		run := pg.ow * nf // one row of pooled values
		for ph := range pg.oh {
			maxWindows(best[ph*run:(ph+1)*run], arg[ph*run:(ph+1)*run], b.img, bufferPad+2*ph*width*nf, 2, 2, width*nf, nf, 2*nf)
		}
		reluForward(best, best, nil, 0)
		// The relu's backward pass, done here on the winners: 0, which
		// is no position in the buffer, where the pooled value is +0, so
		// that the gradient is +0 at every position of the window. The
		// loop copies the bits of arg where best is positive.
		bits := unsafe.Slice((*float32)(unsafe.Pointer(&arg[0])), len(arg))
		reluBackward(bits, bits, best, 0)
	}
	f.bufs.put(b)
}

// offsets are the offsets of a window's values the conv's loops read: nil
// for the rows of the im2col matrix.
func (f *convReLUPool) offsets() []int {
	if f.windows {
		return f.off
	}
	return nil
}

// unpoolRows writes the gradient of the conv's output of example n at rows
// 2·ph0 .. 2·ph1+1 into the buffer img (laid out as the example's output
// from img[bufferPad] on, rows of width positions): the gradient of the
// pooled values of rows ph0..ph1 at the windows' winners (none where the
// pooled value is 0), +0 elsewhere (the junk positions past the output's
// width too).
func (f *convReLUPool) unpoolRows(img []float32, n, ph0, ph1, width int) {
	p := f.pool
	pg := &p.geom
	nf := pg.c
	run := pg.ow * nf
	for ph := ph0; ph <= ph1; ph++ {
		o := (n*pg.oh + ph) * run
		maxUnpool(img, f.dy.Data[o:o+run], p.arg[o:o+run], bufferPad+2*ph*width*nf, width*nf, nf, 2*nf)
		if width > pg.w {
			for r := 2 * ph; r < 2*ph+2; r++ {
				clear(img[bufferPad+(r*width+pg.w)*nf : bufferPad+(r+1)*width*nf])
			}
		}
	}
}

// backward takes the gradient of the pool's output, sets the conv's
// parameter gradients and returns the gradient of the conv's input when
// needDx is set.
func (f *convReLUPool) backward(dy *Tensor, needDx bool) *Tensor {
	c := f.conv
	g := &c.geom
	nf := c.spec.Filters
	f.dy = dy
	defer func() { f.dy = nil }()
	if c.wg != nil {
		// The Winograd gradient stage takes each row of tiles' gradient
		// from f.fill: the conv's output gradient is never stored.
		var db, dx []float32
		if c.b != nil {
			db = c.b.Grad
		}
		if needDx {
			c.dx.resize(dy.N, g.h, g.w, g.c)
			dx = c.dx.Data
		}
		f.reserveBuffers(dy.N * c.wg.th)
		c.wg.backward(c.w.Grad, db, dx, nil, f, c.scratchBuffer)
		if needDx {
			return &c.dx
		}
		return nil
	}
	if needDx || !c.direct {
		// The conv's own backward pass needs the whole gradient of its
		// output, for the input gradient's product, and for the weight
		// gradient's when its rows are too long for the direct loops.
		f.dconvPad = grow(f.dconvPad, bufferPad+dy.N*g.oh*g.ow*nf)
		f.dconv = Tensor{N: dy.N, H: g.oh, W: g.ow, C: nf, Data: f.dconvPad[bufferPad:]}
		f.reserveBuffers(dy.N)
		parallelFor(dy.N, 1, f.unpool)
		if f.windows && !c.pointwise {
			c.col = grow(c.col, dy.N*g.oh*g.ow*g.kh*g.kw*g.c)
			c.cols.im2col(c.col, c.x.Data, dy.N, g)
		}
		return c.backward(&f.dconv, needDx)
	}
	m, k := dy.N*g.oh*g.ow, g.kh*g.kw*g.c
	t := &c.small
	t.k, t.f = k, nf
	t.reserve(m)
	f.reserveBuffers(blocksOf(m, smallRows))
	parallelFor(m, smallRows, f.bwd)
	var db []float32
	if c.b != nil {
		db = c.b.Grad
	}
	t.sum(c.w.Grad, db, m)
	return nil
}

// unpoolExamples writes the gradient of the conv's output of examples
// first..last−1 into f.dconv.
func (f *convReLUPool) unpoolExamples(first, last int) {
	pg := &f.pool.geom
	size, run := pg.h*pg.w*pg.c, pg.w*pg.c
	width := f.width()
	if !f.windows {
		// The rows of the buffer are those of dconv: unpool in place.
		for n := first; n < last; n++ {
			f.unpoolRows(f.dconvPad[n*size:], n, 0, pg.oh-1, width)
		}
		return
	}
	b := f.getBuffer()
	for n := first; n < last; n++ {
		// The winners are positions in the buffer.
		f.unpoolRows(b.img, n, 0, pg.oh-1, width)
		dconv := f.dconv.Data[n*size : (n+1)*size]
		for r := range pg.h {
			copy(dconv[r*run:(r+1)*run], b.img[bufferPad+r*width*pg.c:])
		}
	}
	f.bufs.put(b)
}

// weightGradRows adds up the weight gradient of rows lo..hi−1 of the
// conv's im2col matrix, one block of smallConv, from the gradient of the
// conv's output unpooled into a buffer.
func (f *convReLUPool) weightGradRows(lo, hi int) {
	c := f.conv
	g := &c.geom
	t := &c.small
	rows, k, nf := g.oh*g.ow, t.k, t.f
	width := f.width()
	b := f.getBuffer()
	for gr := range t.groups() {
		clear(t.block(lo, gr))
	}
	for r := lo; r < hi; {
		n := r / rows
		r0, r1 := r-n*rows, min(hi-n*rows, rows)
		f.unpoolRows(b.img, n, r0/g.ow/2, (r1-1)/g.ow/2, width)
		// Rows r0..r1−1 of the output, at v0..v1−1 in the buffer.
		v0, v1 := r0/g.ow*width+r0%g.ow, (r1-1)/g.ow*width+(r1-1)%g.ow+1
		var col []float32
		lda := k
		switch {
		case f.windows:
			inSize := g.h * g.w * g.c
			col, lda = c.x.Data[n*inSize+v0*g.c:(n+1)*inSize], g.c
		case c.pointwise:
			col = c.x.Data[(n*rows+r0)*k:]
		default:
			col = c.col[(n*rows+r0)*k:]
		}
		for gr := range t.groups() {
			j0 := gr * smallWidth
			smallWeightGrad(t.block(lo, gr), col, lda, f.offsets(), b.img[bufferPad+v0*nf+j0:], nf, v1-v0, min(smallWidth, nf-j0), k)
		}
		r = n*rows + r1
	}
	f.bufs.put(b)
}
