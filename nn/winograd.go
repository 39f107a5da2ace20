package nn

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

// A 3×3 convolution with stride 1 can be computed by Winograd's minimal
// filtering algorithm F(m×m, 3×3), here m = 2 or 4. With F(2×2, 3×3), each 2×2 block of the output (a tile) is
//
//	Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A
//
// with d the 4×4 block of the (zero-padded) input under it and g the 3×3
// kernel. 16 products per tile and channel pair replace the 36 of the direct
// sum. Over channels, the element-wise product becomes, for each of the 16
// positions p of the transformed 4×4 block, one matrix product over the
// tiles of a chunk of examples:
//
//	M[p] = V[p] · U[p]    [tiles×C]·[C×F]
//
// with V[p] the transformed input and U[p] the transformed weights, which
// gemm.Sgemm computes. The backward passes are the adjoints of the same
// steps: with dM[p] = (A dY Aᵀ)[p] for every tile,
//
//	dU[p] = Σ_chunks V[p]ᵀ · dM[p],  dg = Gᵀ dU G
//	dV[p] = dM[p] · U[p]ᵀ,  dX = Σ_tiles B dV Bᵀ (tiles overlap by 2)
//
// The gradient with respect to the input is the correlation of dY with the
// kernel rotated by 180° (channels and filters swapped); computing it as the
// adjoint of the forward transforms, as here, is that correlation done by
// Winograd over the same tiles, and shares the transform of dY with the
// weight gradient.
//
// F(4×4, 3×3) does the same with 4×4 tiles of the output, 6×6 blocks of
// the input and 36 positions: 36 products per tile and channel pair replace
// 144, against F(2×2)'s 16 for 36, so the matrix products have 0.56 times
// the multiply-adds of F(2×2)'s, and the transformed input kept for
// backward is 0.56 times as large. Its transforms (winograd4_go.go,
// generated with their assembly twins by gen_winograd4.go) multiply by 2,
// 4, 5, 8, 1/4 and 1/6 where F(2×2)'s only add and halve, so its results
// lose about ten times more to float32 rounding: measured, 1.1e-5 of the
// sum of absolute terms at worst against F(2×2)'s 1.1e-6 and im2col's
// 3e-7 (winograd_test.go). On Zen 5, F(4×4) runs the three passes of the
// seed CIFAR-10 convs past the first in 0.6 to 0.7 times F(2×2)'s time
// (BenchmarkConvLayer), and the cost model gives it every layer whose
// output is larger than 2×2.
//
// The transforms are vectorised over the channels, contiguous in NHWC.

// convAlgo names how a conv layer is computed.
type convAlgo uint8

const (
	convAuto      convAlgo = iota // Winograd where the cost model prefers it
	convWinograd                  // Winograd for every 3×3 stride-1 conv, tiles by the cost model
	convIm2col                    // im2col and one matrix product everywhere
	convWinograd2                 // Winograd F(2×2, 3×3) for every 3×3 stride-1 conv
	convWinograd4                 // Winograd F(4×4, 3×3) for every 3×3 stride-1 conv
)

// convEnv names the environment variable that forces an algorithm.
const convEnv = "CNNLAB_CONV"

// parseConvAlgo reads the value of CNNLAB_CONV: auto (or empty), winograd,
// winograd-f2, winograd-f4 or im2col. Anything else is reported on warn and
// read as auto.
func parseConvAlgo(s string, warn io.Writer) convAlgo {
	switch strings.TrimSpace(strings.ToLower(s)) {
	case "", "auto":
		return convAuto
	case "winograd":
		return convWinograd
	case "winograd-f2":
		return convWinograd2
	case "winograd-f4":
		return convWinograd4
	case "im2col":
		return convIm2col
	}
	fmt.Fprintf(warn, "nn: %s=%s: unknown algorithm (want auto, winograd, winograd-f2, winograd-f4 or im2col); using auto\n", convEnv, s)
	return convAuto
}

// forced reports whether a choices forces Winograd on every conv it fits.
func (a convAlgo) forced() bool {
	return a == convWinograd || a == convWinograd2 || a == convWinograd4
}

// convChoice is the algorithm Build gives conv layers. Tests set it.
var convChoice = parseConvAlgo(os.Getenv(convEnv), os.Stderr)

// winogradFits reports whether Winograd's F(m×m, 3×3) can compute a conv of
// geometry g.
func winogradFits(g *geometry) bool {
	return g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1
}

// convByWinograd reports whether a conv layer of geometry g and f filters
// runs by Winograd.
func convByWinograd(g *geometry, f int) bool { return convTile(g, f) > 0 }

// convTile is the size m of the output tiles of Winograd's F(m×m, 3×3) that
// a conv layer of geometry g and f filters runs by, 0 when it does not:
// what winogradTile says, except that the direct loops of smallconv.go keep
// a layer with short im2col rows unless Winograd is forced.
func convTile(g *geometry, f int) int {
	if g.kh*g.kw*g.c <= smallK && !convChoice.forced() {
		return 0
	}
	return winogradTile(convChoice, g, f)
}

// winogradFootprint is the memory a Winograd layer of geometry g and f
// filters needs, in float32 values: perImage kept per example of a batch
// (the transformed input, for backward), fixed whatever the batch (the
// transformed weights and the zeros), and scratch, what it asks of the
// network's shared scratch buffer (the products of one chunk of examples).
func winogradFootprint(g *geometry, f int) (perImage, fixed int64, scratch winogradScratch) {
	m := int64(convTile(g, f))
	th, tw := (int64(g.oh)+m-1)/m, (int64(g.ow)+m-1)/m
	pos := (m + 2) * (m + 2)
	per, c, ff := th*tw, int64(g.c), int64(f)
	scratch = winogradScratch{chunk: max(1, chunkTiles/(th*tw)), per: per, padded: (m*th + 2) * (m*tw + 2), c: c, f: ff, pos: pos}
	return pos * per * c, pos*c*ff + max(c, ff), scratch
}

// winogradScratch describes what a Winograd layer asks of the shared
// scratch buffer: backwardScratch of its arguments for a chunk of examples,
// or the whole batch when that is smaller.
type winogradScratch struct{ chunk, per, padded, c, f, pos int64 }

// at is the scratch a training step at batch size batch asks for.
func (s winogradScratch) at(batch int64) int64 {
	_, all := backwardScratch(max(1, min(s.chunk, batch)), s.per, s.padded, s.c, s.f, s.pos)
	return all
}

// backwardScratch is the room backward asks of the scratch buffer, the most
// any pass does, for chunks of examples with per tiles and padded values of
// padded input each, c channels, f filters and pos positions of a
// transformed tile: first for dM (and then the padded dX of the chunk), all
// of it for dM, dV and dU together.
func backwardScratch[T int | int64](examples, per, padded, c, f, pos T) (first, all T) {
	first = max(pos*examples*per*f, examples*padded*c)
	return first, first + pos*examples*per*c + pos*c*f
}

// winogradTile decides, under choice, whether a conv of geometry g with f
// filters runs by Winograd and with which tiles: the size m of F(m×m, 3×3),
// 2 or 4, or 0 for im2col.
func winogradTile(choice convAlgo, g *geometry, f int) int {
	if !winogradFits(g) {
		return 0
	}
	best := 2
	if winogradCost(g, f, 4) < winogradCost(g, f, 2) {
		best = 4
	}
	switch choice {
	case convWinograd2:
		return 2
	case convWinograd4:
		return 4
	case convWinograd:
		return best
	case convIm2col:
		return 0
	}
	if winogradCost(g, f, best) < im2colCost(g, f) {
		return best
	}
	return 0
}

// The cost model counts a training step (forward and both backward passes)
// of one example in multiply-adds of the matrix products, and prices the
// passes over memory in the same unit: a value of a tile transform (16
// strided loads or stores and 32 adds per 16 values) as about 8
// multiply-adds when the AVX2 loops handle it and 24 when plain Go does, a
// value copied by im2col or col2im as 4 (an F(4×4) transform: see
// transformCost). Its choices agree with BenchmarkConvLayer on Zen 5
// (AVX-512 and AVX2 gemm kernels): for the seed CIFAR-10 layers with 64
// channels or more, F(2×2) is 1.8 to 2.2 times faster than im2col and
// F(4×4) 1.4 to 1.7 times faster again, and the model gives them F(4×4);
// for the 3-channel first layer both are 1.6 to 2 times slower than
// im2col, which the model gives it.
const (
	im2colCopyCost   = 4
	transformAsmCost = 8
	transformGoCost  = 24
	// with the portable gemm kernel a multiply-add costs several times more,
	// so the (portable) transforms cost relatively less
	transformPortableCost = 6
)

// transformCost prices a value of the transform of a vector of n channels
// for F(m×m, 3×3). A value of an F(4×4) transform takes about three times
// the arithmetic of an F(2×2) one and as many loads and stores: half as much
// again in the assembly loops, four times as much in plain Go, where the
// arithmetic dominates.
func transformCost(n, m int) float64 {
	asm, goCost, portable := float64(transformAsmCost), float64(transformGoCost), float64(transformPortableCost)
	if m == 4 {
		asm, goCost, portable = 1.5*asm, 4*goCost, 4*portable
	}
	switch {
	case gemm.Kernel() == "portable":
		return float64(n) * portable
	case winogradAsm():
		return float64(n&^7)*asm + float64(n&7)*goCost
	}
	return float64(n) * goCost
}

// winogradCost prices F(m×m, 3×3).
func winogradCost(g *geometry, f, m int) float64 {
	tiles := float64(((g.oh + m - 1) / m) * ((g.ow + m - 1) / m))
	pos := float64((m + 2) * (m + 2))
	c, ff := float64(g.c), float64(f)
	return tiles*pos*(3*c*ff) + tiles*pos*2*(transformCost(g.c, m)+transformCost(f, m))
}

func im2colCost(g *geometry, f int) float64 {
	p := float64(g.oh * g.ow)
	k, ff := float64(g.kh*g.kw*g.c), float64(f)
	return p*(3*k*ff) + 2*p*k*im2colCopyCost
}

// wgOp is the step a winogradTask runs.
type wgOp uint8

const (
	wgInput      wgOp = iota // V from x, over rows of tiles
	wgOutput                 // y from M, over rows of tiles
	wgGradOutput             // dM from dY, over rows of tiles
	wgGradInput              // dX from dV, over examples
	wgFilter                 // U from the weights, over C·F
	wgGradFilter             // the weight gradient from dU, over C·F
)

// winograd is the state of a conv layer computed by F(m×m, 3×3).
type winograd struct {
	g      *geometry
	f      int
	m      int       // outputs across and down a tile: 2 or 4
	pos    int       // values of a transformed tile: (m+2)²
	th, tw int       // tiles down and across an example
	chunk  int       // examples whose tiles go through the products together
	n      int       // examples in the last forward
	tiles  int       // n·th·tw
	u      []float32 // pos blocks of C×F: the transformed weights
	v      []float32 // pos blocks of tiles×C: the transformed input, kept for backward
	zero   []float32 // max(C, F) zeros, read for values outside the input or output
	sums   columnSums
	task   winogradTask
	prod   wgProductTask
}

// tileSumPos is the position p of dM = A dY Aᵀ that holds the sum of the
// tile's dY (row 1 of A is all ones, for F(2×2) and F(4×4) alike), of
// which the bias gradient is the sum over the tiles.
func (w *winograd) tileSumPos() int { return w.m + 3 }

// chunkTiles is about the number of tiles whose products are computed
// together: M[p] (and dM[p], dV[p]) then exist for one chunk of examples at
// a time, small enough to stay in the caches between the transforms and the
// products, and the products are still large enough for gemm to run at full
// speed.
const chunkTiles = 512

// newWinograd returns the state of a conv of geometry g and f filters run
// by F(m×m, 3×3), m 2 or 4.
func newWinograd(g *geometry, f, m int) *winograd {
	w := &winograd{
		g: g, f: f, m: m, pos: (m + 2) * (m + 2),
		th:   (g.oh + m - 1) / m,
		tw:   (g.ow + m - 1) / m,
		zero: make([]float32, max(g.c, f)),
	}
	w.u = make([]float32, w.pos*g.c*f)
	w.chunk = max(1, chunkTiles/(w.th*w.tw))
	return w
}

// padded returns the size of the zero-padded input the tiles of one example
// cover: m·th+2 rows by m·tw+2 columns.
func (w *winograd) padded() (int, int) { return w.m*w.th + 2, w.m*w.tw + 2 }

// forward sets out (already sized N×OH×OW×F) to the convolution of the n
// examples x with the weights wt plus bias (nil without), or gives it to
// sink a band of rows at a time when sink is not nil (out is then unused).
// scratch(k) returns a short-lived buffer of k values, here for the
// products M[p] of a chunk of examples.
func (w *winograd) forward(out []float32, sink rowSink, x, wt, bias []float32, n int, scratch func(int) []float32) {
	f, c, per, pos := w.f, w.g.c, w.th*w.tw, w.pos
	w.n = n
	w.tiles = n * per
	t := w.tiles
	w.v = grow(w.v, pos*t*c)
	w.task.w = wt
	w.run(wgFilter, filterGrain, 0, c*f)
	m := scratch(pos * min(w.chunk, n) * per * f)
	if bias == nil {
		bias = w.zero[:f]
	}
	for n0 := 0; n0 < n; n0 += w.chunk {
		nc := min(w.chunk, n-n0)
		t0, tc := n0*per, nc*per
		w.task.x, w.task.n0 = x, n0
		w.run(wgInput, 1, n0*w.th, nc*w.th)
		w.products(wgForwardProducts, m, nil, nil, t0, tc, 0)
		w.task.y, w.task.m, w.task.bias, w.task.n0, w.task.nc, w.task.sink = out, m, bias, n0, nc, sink
		w.run(wgOutput, 1, n0*w.th, nc*w.th)
	}
}

// backward sets the weight gradient dw from dy (or from the gradient src
// gives a band of rows at a time, when src is not nil), the bias gradient
// db when not nil and, when dx is not nil, dx (N×H×W×C) to the gradient
// with respect to the input. scratch(k) is as for forward: here it holds
// dU and, for a chunk of examples, dM, dV and the padded dX.
func (w *winograd) backward(dw, db, dx, dy []float32, src rowSource, scratch func(int) []float32) {
	f, c, per, pos := w.f, w.g.c, w.th*w.tw, w.pos
	hp, wp := w.padded()
	most := min(w.chunk, w.n)
	first, all := backwardScratch(most, per, hp*wp, c, f, pos)
	buf := scratch(all)
	dm, dv, du := buf[:first], buf[first:first+pos*most*per*c], buf[first+pos*most*per*c:]
	for n0 := 0; n0 < w.n; n0 += w.chunk {
		nc := min(w.chunk, w.n-n0)
		t0, tc := n0*per, nc*per
		w.task.y, w.task.m, w.task.n0, w.task.nc, w.task.src = dy, dm, n0, nc, src
		w.run(wgGradOutput, 1, n0*w.th, nc*w.th)
		if db != nil { // the sums of the tiles, read from dM: 1/pos of dY's size
			p := w.tileSumPos()
			w.sums.add(dm[p*tc*f:(p+1)*tc*f], f, n0 == 0)
		}
		beta := float32(1) // dU sums over the chunks, in order
		if n0 == 0 {
			beta = 0
		}
		if dx == nil {
			w.products(wgFilterProducts, dm, du, nil, t0, tc, beta)
			continue
		}
		w.products(wgBackwardProducts, dm, du, dv, t0, tc, beta)
		// dM is spent: its room holds the padded dX of the chunk.
		w.task.x, w.task.m, w.task.pad, w.task.n0, w.task.nc = dx, dv, dm, n0, nc
		w.run(wgGradInput, 1, n0, nc)
	}
	w.task.w, w.task.m = dw, du
	w.run(wgGradFilter, filterGrain, 0, c*f)
	switch {
	case db == nil:
	case w.n == 0:
		clear(db)
	default:
		w.sums.result(db)
	}
}

// wgProducts names the matrix products of one chunk of examples, one
// for each position p of the transformed tiles.
type wgProducts uint8

const (
	wgForwardProducts wgProducts = iota // M[p] = V[p]·U[p]
	wgFilterProducts                    // dU[p] = V[p]ᵀ·dM[p] + beta·dU[p]
	// dU[p] as wgFilterProducts, then dV[p] = dM[p]·U[p]ᵀ: the second
	// product finds dM[p] still in the caches
	wgBackwardProducts
)

// products runs the products which of the chunk of tc tiles from tile t0,
// one for each position, with m its M (or dM), du and dv the results of the
// backward products and beta dU's factor. The positions are shared out
// between the threads, each product computed whole by one thread: the
// products are many and alike, and splitting each of them instead would
// make the threads meet once per product. When the threads do not divide
// the positions (36 positions on 8 threads), the last round would leave
// threads idle (half of them on 8), so the positions past the last whole
// round are computed one after another, each product split between all the
// threads. Either way a product gives the same bits (see gemm.SgemmSerial).
func (w *winograd) products(which wgProducts, m, du, dv []float32, t0, tc int, beta float32) {
	w.prod = wgProductTask{wg: w, which: which, m: m, du: du, dv: dv, t0: t0, tc: tc, beta: beta}
	whole := wholeRounds(w.pos, gemm.Threads())
	parallelFor(whole, 1, &w.prod)
	if whole < w.pos {
		w.prod.split = true
		w.prod.run(whole, w.pos)
	}
	w.prod = wgProductTask{wg: w}
}

// wholeRounds is how many of n products t threads compute in whole rounds,
// one product per thread in each round.
func wholeRounds(n, t int) int {
	if t <= 1 {
		return n
	}
	return n - n%t
}

// wgProductTask is the products of a chunk for a range of positions.
type wgProductTask struct {
	wg        *winograd
	which     wgProducts
	m, du, dv []float32
	t0, tc    int
	beta      float32
	split     bool // each product split between the threads (gemm.Sgemm)
}

func (k *wgProductTask) run(lo, hi int) {
	w, m, du, dv, t0, tc, beta := k.wg, k.m, k.du, k.dv, k.t0, k.tc, k.beta
	f, c, t := w.f, w.g.c, w.tiles
	mul := gemm.SgemmSerial
	if k.split {
		mul = gemm.Sgemm
	}
	for p := lo; p < hi; p++ {
		v := w.v[p*t*c+t0*c:]
		switch k.which {
		case wgForwardProducts:
			mul(false, false, tc, f, c, 1, v, c, w.u[p*c*f:], f, 0, m[p*tc*f:], f)
		case wgFilterProducts:
			mul(true, false, c, f, tc, 1, v, c, m[p*tc*f:], f, beta, du[p*c*f:], f)
		case wgBackwardProducts:
			mul(true, false, c, f, tc, 1, v, c, m[p*tc*f:], f, beta, du[p*c*f:], f)
			mul(false, true, tc, c, f, 1, m[p*tc*f:], f, w.u[p*c*f:], f, 0, dv[p*tc*c:], c)
		}
	}
}

// filterGrain is the number of (channel, filter) pairs in a block of the
// weight transforms.
const filterGrain = 1024

// run runs op over [first, first+n) in blocks of grain, with the operands
// already set in w.task, which it then clears.
func (w *winograd) run(op wgOp, grain, first, n int) {
	w.task.op, w.task.wg, w.task.first = op, w, first
	parallelFor(n, grain, &w.task)
	w.task = winogradTask{}
}

// winogradTask is one transform step over a range of rows of tiles,
// examples or weights. Products (M, dM, dV) and the padded dX hold the nc
// examples from n0 on.
type winogradTask struct {
	op      wgOp
	wg      *winograd
	first   int // added to the range parallelFor gives
	n0, nc  int
	x, y, m []float32
	w, bias []float32
	pad     []float32
	sink    rowSink   // when set, wgOutput gives it the output instead of writing y
	src     rowSource // when set, wgGradOutput takes dY from it instead of y
}

func (k *winogradTask) run(lo, hi int) {
	lo, hi = lo+k.first, hi+k.first
	cf := k.wg.g.c * k.wg.f
	switch k.op {
	case wgInput:
		k.wg.inputRows(k.x, lo, hi)
	case wgOutput:
		if k.sink != nil {
			k.wg.outputBands(k.sink, k.m, k.bias, k.n0, k.nc, lo, hi)
			return
		}
		k.wg.outputRows(k.y, k.m, k.bias, k.n0, k.nc, lo, hi)
	case wgGradOutput:
		if k.src != nil {
			k.wg.gradOutputBands(k.src, k.m, k.n0, k.nc, lo, hi)
			return
		}
		k.wg.gradOutputRows(k.m, k.y, k.n0, k.nc, lo, hi)
	case wgGradInput:
		k.wg.gradInputExamples(k.x, k.m, k.pad, k.n0, k.nc, lo, hi)
	case wgFilter:
		if k.wg.m == 4 {
			filterTransform4(k.wg.u, k.w, cf, lo, hi)
		} else {
			filterTransform(k.wg.u, k.w, cf, lo, hi)
		}
	case wgGradFilter:
		if k.wg.m == 4 {
			filterGrad4(k.w, k.m, cf, lo, hi)
		} else {
			filterGrad(k.w, k.m, cf, lo, hi)
		}
	}
}

// inputRows writes V for the tiles in rows lo..hi−1 of tiles (row r is row
// r mod th of example r / th) from the input x.
func (w *winograd) inputRows(x []float32, lo, hi int) {
	g, c, m, a := w.g, w.g.c, w.m, w.m+2
	stride := w.tiles * c
	imgSize := g.h * g.w * c
	zero := w.zero[:c]
	var d [36][]float32
	for r := lo; r < hi; r++ {
		img := x[r/w.th*imgSize : (r/w.th+1)*imgSize]
		ih0 := m*(r%w.th) - g.pt
		for j := range w.tw {
			iw0 := m*j - g.pl
			for i := range a {
				ih := ih0 + i
				for k := range a {
					iw := iw0 + k
					if ih < 0 || ih >= g.h || iw < 0 || iw >= g.w {
						d[i*a+k] = zero
					} else {
						o := (ih*g.w + iw) * c
						d[i*a+k] = img[o : o+c]
					}
				}
			}
			v := w.v[(r*w.tw+j)*c:]
			if m == 4 {
				inputTile4(v, stride, &d, c)
			} else {
				inputTile(v, stride, (*[16][]float32)(d[:16]), c)
			}
		}
	}
}

// outputTiles points o at the output vectors of the tile at row oh0 and
// column ow0 of the output img, nil where the tile overhangs it, and reports
// whether none does. img has rows rows.
func (w *winograd) outputTiles(o *[16][]float32, img []float32, oh0, ow0, rows int) (full bool) {
	g, f, m := w.g, w.f, w.m
	full = true
	for a := range m {
		for b := range m {
			if oh0+a < rows && ow0+b < g.ow {
				i := ((oh0+a)*g.ow + ow0 + b) * f
				o[a*m+b] = img[i : i+f]
			} else {
				o[a*m+b], full = nil, false
			}
		}
	}
	return full
}

// outputRows writes the output of the tiles in rows lo..hi−1 of tiles from
// m, the products of the nc examples from n0 on, adding the bias.
func (w *winograd) outputRows(y, m, bias []float32, n0, nc, lo, hi int) {
	g, f := w.g, w.f
	imgSize := g.oh * g.ow * f
	for r := lo; r < hi; r++ {
		img := y[r/w.th*imgSize : (r/w.th+1)*imgSize]
		w.outputTileRow(img, m, bias, n0, nc, r, w.m*(r%w.th), g.oh)
	}
}

// outputTileRow writes the output of row r of tiles from m (as outputRows)
// into img, an image of rows rows whose row oh0 is the tiles' first.
func (w *winograd) outputTileRow(img, m, bias []float32, n0, nc, r, oh0, rows int) {
	f := w.f
	t0 := n0 * w.th * w.tw
	stride := nc * w.th * w.tw * f
	var o [16][]float32
	for j := range w.tw {
		full := w.outputTiles(&o, img, oh0, w.m*j, rows)
		mt := m[(r*w.tw+j-t0)*f:]
		if w.m == 4 {
			outputTile4(&o, full, mt, stride, bias, f)
		} else {
			outputTile((*[4][]float32)(o[:4]), full, mt, stride, bias, f)
		}
	}
}

// rowSink takes the output of a conv run by Winograd a band of rows at a
// time, instead of the output tensor: a fusion with the layers after the
// conv (see convReLUPool), which the output then never reaches memory for.
type rowSink interface {
	bands
	// rows takes rows row0..row0+rows−1 of example n's output, in band.
	rows(band *fusedBuffer, n, row0, rows int)
}

// rowSource gives the gradient of a conv's output run by Winograd a band
// of rows at a time, instead of the gradient tensor (see convReLUPool).
type rowSource interface {
	bands
	// fill writes rows row0..row0+rows−1 of the gradient of example n's
	// output into band.
	fill(band *fusedBuffer, n, row0, rows int)
}

// bands lends buffers for the w.m rows of a row of tiles, laid out as rows
// of the output from img[bufferPad] on.
type bands interface {
	band() *fusedBuffer
	done(band *fusedBuffer) // gives the band back
}

// outputBands computes the output of the tiles in rows lo..hi−1 of tiles
// as outputRows does, each row of tiles into a band of sink's, which then
// takes it.
func (w *winograd) outputBands(sink rowSink, m, bias []float32, n0, nc, lo, hi int) {
	band := sink.band()
	for r := lo; r < hi; r++ {
		row0 := w.m * (r % w.th)
		rows := min(w.m, w.g.oh-row0)
		w.outputTileRow(band.img[bufferPad:], m, bias, n0, nc, r, 0, rows)
		sink.rows(band, r/w.th, row0, rows)
	}
	sink.done(band)
}

// gradOutputRows writes dM = A dY Aᵀ for the tiles in rows lo..hi−1, into
// dm holding the nc examples from n0 on.
func (w *winograd) gradOutputRows(dm, dy []float32, n0, nc, lo, hi int) {
	g := w.g
	imgSize := g.oh * g.ow * w.f
	for r := lo; r < hi; r++ {
		img := dy[r/w.th*imgSize : (r/w.th+1)*imgSize]
		w.gradOutputTileRow(dm, img, n0, nc, r, w.m*(r%w.th), g.oh)
	}
}

// gradOutputTileRow writes dM for row r of tiles (as gradOutputRows) from
// img, an image of dY of rows rows whose row oh0 is the tiles' first.
func (w *winograd) gradOutputTileRow(dm, img []float32, n0, nc, r, oh0, rows int) {
	f := w.f
	t0 := n0 * w.th * w.tw
	stride := nc * w.th * w.tw * f
	zero := w.zero[:f]
	var d [16][]float32
	for j := range w.tw {
		w.outputTiles(&d, img, oh0, w.m*j, rows)
		for i := range d[:w.m*w.m] {
			if d[i] == nil {
				d[i] = zero
			}
		}
		dt := dm[(r*w.tw+j-t0)*f:]
		if w.m == 4 {
			gradOutputTile4(dt, stride, &d, f)
		} else {
			gradOutputTile(dt, stride, (*[4][]float32)(d[:4]), f)
		}
	}
}

// gradOutputBands computes dM for the tiles in rows lo..hi−1 of tiles as
// gradOutputRows does, from the gradient src fills a band with for each
// row of tiles.
func (w *winograd) gradOutputBands(src rowSource, dm []float32, n0, nc, lo, hi int) {
	band := src.band()
	for r := lo; r < hi; r++ {
		row0 := w.m * (r % w.th)
		rows := min(w.m, w.g.oh-row0)
		src.fill(band, r/w.th, row0, rows)
		w.gradOutputTileRow(dm, band.img[bufferPad:], n0, nc, r, 0, rows)
	}
	src.done(band)
}

// gradInputExamples sets examples lo..hi−1 of dx from dV, which holds the nc
// examples from n0 on: the tiles of an example are added up in a
// zero-padded copy (in pad, also from n0 on), in order, whose inside is then
// copied to dx.
func (w *winograd) gradInputExamples(dx, dv, pad []float32, n0, nc, lo, hi int) {
	g, c, m, a := w.g, w.g.c, w.m, w.m+2
	hp, wp := w.padded()
	stride := nc * w.th * w.tw * c
	imgSize := g.h * g.w * c
	var d [36][]float32
	for n := lo; n < hi; n++ {
		p := pad[(n-n0)*hp*wp*c : (n-n0+1)*hp*wp*c]
		clear(p)
		for i := range w.th {
			for j := range w.tw {
				for r := range a {
					for k := range a {
						o := ((m*i+r)*wp + m*j + k) * c
						d[r*a+k] = p[o : o+c]
					}
				}
				dt := dv[(((n-n0)*w.th+i)*w.tw+j)*c:]
				if m == 4 {
					gradInputTile4(&d, dt, stride, c)
				} else {
					gradInputTile((*[16][]float32)(d[:16]), dt, stride, c)
				}
			}
		}
		img := dx[n*imgSize : (n+1)*imgSize]
		for ih := range g.h {
			o := ((ih+g.pt)*wp + g.pl) * c
			copy(img[ih*g.w*c:(ih+1)*g.w*c], p[o:o+g.w*c])
		}
	}
}

// inputTileGo writes V = Bᵀ d B for one tile: for each channel q in [lo, hi),
// v[p·stride+q] for the 16 positions p = 4·row+column, from the 4×4 block
// of input vectors d (row-major), with
//
//	Bᵀ = ⎡1  0 −1  0⎤
//	     ⎢0  1  1  0⎥
//	     ⎢0 −1  1  0⎥
//	     ⎣0  1  0 −1⎦
func inputTileGo(v []float32, stride int, d *[16][]float32, lo, hi int) {
	var t [16]float32
	for q := lo; q < hi; q++ {
		for b := range 4 { // Bᵀ d, a column at a time
			d0, d1, d2, d3 := d[b][q], d[4+b][q], d[8+b][q], d[12+b][q]
			t[b], t[4+b], t[8+b], t[12+b] = d0-d2, d1+d2, d2-d1, d1-d3
		}
		for a := range 4 { // (Bᵀ d) B, a row at a time
			t0, t1, t2, t3 := t[4*a], t[4*a+1], t[4*a+2], t[4*a+3]
			v[(4*a)*stride+q] = t0 - t2
			v[(4*a+1)*stride+q] = t1 + t2
			v[(4*a+2)*stride+q] = t2 - t1
			v[(4*a+3)*stride+q] = t1 - t3
		}
	}
}

// outputTileGo writes Y = Aᵀ M A plus the bias for one tile: the 2×2
// output vectors o (row-major; nil where the tile overhangs the output) from
// m[p·stride+q], with
//
//	Aᵀ = ⎡1 1  1  0⎤
//	     ⎣0 1 −1 −1⎦
func outputTileGo(o *[4][]float32, m []float32, stride int, bias []float32, lo, hi int) {
	var s [8]float32
	for q := lo; q < hi; q++ {
		for b := range 4 { // Aᵀ M, a column at a time
			m0, m1, m2, m3 := m[b*stride+q], m[(4+b)*stride+q], m[(8+b)*stride+q], m[(12+b)*stride+q]
			s[b], s[4+b] = m0+m1+m2, m1-m2-m3
		}
		bq := bias[q]
		for a := range 2 { // (Aᵀ M) A, a row at a time
			s0, s1, s2, s3 := s[4*a], s[4*a+1], s[4*a+2], s[4*a+3]
			if y := o[2*a]; y != nil {
				y[q] = s0 + s1 + s2 + bq
			}
			if y := o[2*a+1]; y != nil {
				y[q] = s1 - s2 - s3 + bq
			}
		}
	}
}

// gradOutputTileGo writes dM = A dY Aᵀ for one tile from the 2×2 vectors
// of dY (row-major; zeros where the tile overhangs the output).
func gradOutputTileGo(dm []float32, stride int, d *[4][]float32, lo, hi int) {
	var t [8]float32
	for q := lo; q < hi; q++ {
		for b := range 2 { // A dY, a column at a time
			d0, d1 := d[b][q], d[2+b][q]
			t[b], t[2+b], t[4+b], t[6+b] = d0, d0+d1, d0-d1, -d1
		}
		for a := range 4 { // (A dY) Aᵀ, a row at a time
			t0, t1 := t[2*a], t[2*a+1]
			dm[(4*a)*stride+q] = t0
			dm[(4*a+1)*stride+q] = t0 + t1
			dm[(4*a+2)*stride+q] = t0 - t1
			dm[(4*a+3)*stride+q] = -t1
		}
	}
}

// gradInputTileGo adds B dV Bᵀ for one tile, dV read from dv[p·stride+q],
// to the 4×4 block of vectors d (row-major).
func gradInputTileGo(d *[16][]float32, dv []float32, stride int, lo, hi int) {
	var t [16]float32
	for q := lo; q < hi; q++ {
		for a := range 4 { // dV Bᵀ, a row at a time
			x0, x1, x2, x3 := dv[(4*a)*stride+q], dv[(4*a+1)*stride+q], dv[(4*a+2)*stride+q], dv[(4*a+3)*stride+q]
			t[4*a], t[4*a+1], t[4*a+2], t[4*a+3] = x0, x1-x2+x3, x1+x2-x0, -x3
		}
		for b := range 4 { // B (dV Bᵀ), a column at a time
			t0, t1, t2, t3 := t[b], t[4+b], t[8+b], t[12+b]
			d[b][q] += t0
			d[4+b][q] += t1 - t2 + t3
			d[8+b][q] += t1 + t2 - t0
			d[12+b][q] += -t3
		}
	}
}

// filterTransformGo writes U = G g Gᵀ for the (channel, filter) pairs
// lo..hi−1 of the weights w ([3][3][C·F]) to u ([16][C·F]), with
//
//	G = ⎡ 1    0    0 ⎤
//	    ⎢1/2  1/2  1/2⎥
//	    ⎢1/2 −1/2  1/2⎥
//	    ⎣ 0    0    1 ⎦
func filterTransformGo(u, w []float32, cf, lo, hi int) {
	var t [12]float32
	for q := lo; q < hi; q++ {
		for b := range 3 { // G g, a column at a time
			g0, g1, g2 := w[b*cf+q], w[(3+b)*cf+q], w[(6+b)*cf+q]
			t[b], t[3+b], t[6+b], t[9+b] = g0, (g0+g1+g2)*0.5, (g0-g1+g2)*0.5, g2
		}
		for a := range 4 { // (G g) Gᵀ, a row at a time
			t0, t1, t2 := t[3*a], t[3*a+1], t[3*a+2]
			u[(4*a)*cf+q] = t0
			u[(4*a+1)*cf+q] = (t0 + t1 + t2) * 0.5
			u[(4*a+2)*cf+q] = (t0 - t1 + t2) * 0.5
			u[(4*a+3)*cf+q] = t2
		}
	}
}

// filterGradGo writes the weight gradient dg = Gᵀ dU G for the pairs
// lo..hi−1 from du ([16][C·F]) to dw ([3][3][C·F]).
func filterGradGo(dw, du []float32, cf, lo, hi int) {
	var t [12]float32
	for q := lo; q < hi; q++ {
		for b := range 4 { // Gᵀ dU, a column at a time
			x0, x1, x2, x3 := du[b*cf+q], du[(4+b)*cf+q], du[(8+b)*cf+q], du[(12+b)*cf+q]
			t[b], t[4+b], t[8+b] = x0+(x1+x2)*0.5, (x1-x2)*0.5, (x1+x2)*0.5+x3
		}
		for a := range 3 { // (Gᵀ dU) G, a row at a time
			t0, t1, t2, t3 := t[4*a], t[4*a+1], t[4*a+2], t[4*a+3]
			dw[(3*a)*cf+q] = t0 + (t1+t2)*0.5
			dw[(3*a+1)*cf+q] = (t1 - t2) * 0.5
			dw[(3*a+2)*cf+q] = (t1+t2)*0.5 + t3
		}
	}
}
