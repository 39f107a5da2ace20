package nn

import "fmt"

func init() {
	poolKind := func(kind Kind, doc string, build func(b base, env *buildEnv) layer) *LayerKind {
		return &LayerKind{Kind: kind, Doc: doc,
			Keys: []Key{
				{Name: "size", Type: KeySize2, Doc: "window size: one number or [height, width]", Default: Value{H: 2, W: 2}, Min: 1, Max: 4096,
					Set: func(s *LayerSpec, v Value) { s.KernelH, s.KernelW = v.H, v.W }},
				withDefaultFrom(keyStride, "size"),
				keyPadding,
			},
			NamePrefix: "pool", Input: ImageInput, Family: FamilyPool, FeatureMaps: true,
			Defaults: func(s *LayerSpec) {
				if s.StrideH == 0 {
					s.StrideH = s.KernelH
				}
				if s.StrideW == 0 {
					s.StrideW = s.KernelW
				}
				if s.Padding == "" {
					s.Padding = PadValid
				}
			},
			Shape: func(in Shape, s LayerSpec) (Shape, error) {
				g, err := windowGeometry(in, s, true)
				if err != nil {
					return Shape{}, err
				}
				return Shape{H: g.oh, W: g.ow, C: in.C}, nil
			},
			// KH·KW FLOPs per output value.
			Count: func(s LayerSpec, in, out Shape) (params, flops float64) {
				return 0, sizeOf(out) * float64(s.KernelH) * float64(s.KernelW)
			},
			Detail: func(s LayerSpec) string {
				return fmt.Sprintf("%d×%d stride %s %s", s.KernelH, s.KernelW, pair(s.StrideH, s.StrideW), padText(s))
			},
			build: build}
	}
	maxKind := poolKind(KindMaxPool, "the largest value of each window, channel by channel",
		func(b base, env *buildEnv) layer { return newMaxPool(b) })
	maxKind.Kept = keptPerOutput // the winner of each window
	maxKind.Checks = poolChecks(KindMaxPool)
	registerKind(maxKind)
	avgKind := poolKind(KindAvgPool, "the mean of each window's input values (padding not counted), channel by channel",
		func(b base, env *buildEnv) layer { return newAvgPool(b) })
	avgKind.Checks = poolChecks(KindAvgPool)
	registerKind(avgKind)

	// Global pooling is pooling with one window the size of the input. Its
	// 1×1×C output is flat: dense may follow it directly, and so may a
	// flatten (which changes nothing) or a 1×1 conv.
	globalKind := func(kind Kind, doc string, build func(b base, env *buildEnv) layer) *LayerKind {
		return &LayerKind{Kind: kind, Doc: doc,
			NamePrefix: "pool", Input: ImageInput, Family: FamilyPool,
			Shape: func(in Shape, s LayerSpec) (Shape, error) { return Shape{H: 1, W: 1, C: in.C}, nil },
			// H·W FLOPs per channel.
			Count: func(s LayerSpec, in, out Shape) (params, flops float64) { return 0, sizeOf(in) },
			build: build}
	}
	globalAvg := globalKind(KindGlobalAvgPool, "the mean of each channel over the whole feature map: H×W×C to 1×1×C",
		func(b base, env *buildEnv) layer {
			l := &avgPool{base: b, geom: globalGeometry(b.in)}
			l.fwd, l.bwd = funcTask(l.forwardExamples), funcTask(l.backwardExamples)
			return l
		})
	globalAvg.Checks = globalPoolChecks(KindGlobalAvgPool)
	registerKind(globalAvg)
	globalMax := globalKind(KindGlobalMaxPool, "the largest value of each channel over the whole feature map: H×W×C to 1×1×C",
		func(b base, env *buildEnv) layer {
			l := &maxPool{base: b, geom: globalGeometry(b.in)}
			l.fwd, l.bwd = funcTask(l.forwardExamples), funcTask(l.backwardExamples)
			return l
		})
	globalMax.Kept = keptPerOutput // the winner of each window
	globalMax.Checks = globalPoolChecks(KindGlobalMaxPool)
	registerKind(globalMax)
}

// poolChecks are the gradient checks of maxpool or avgpool: windows 2 and 3,
// strides 1 and 2, valid and same on an input divisible by neither with
// stride 2, the default stride, explicit uneven padding. The input values
// are distinct, so that no window has a near tie.
func poolChecks(kind Kind) []GradCheck {
	var checks []GradCheck
	for _, size := range []int{2, 3} {
		for _, stride := range []int{1, 2} {
			for _, pad := range []Padding{PadValid, PadSame} {
				checks = append(checks, GradCheck{
					Name:   fmt.Sprintf("%d stride %d %s", size, stride, pad),
					In:     Shape{7, 5, 2},
					Specs:  []LayerSpec{{Kind: kind, KernelH: size, KernelW: size, StrideH: stride, StrideW: stride, Padding: pad}},
					Values: DistinctValues,
				})
			}
		}
	}
	return append(checks,
		GradCheck{Name: "default stride", In: Shape{7, 8, 3}, Specs: []LayerSpec{{Kind: kind, KernelH: 3, KernelW: 2}}, Values: DistinctValues},
		GradCheck{Name: "explicit padding", In: Shape{6, 5, 2}, Values: DistinctValues, Specs: []LayerSpec{
			{Kind: kind, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, Padding: PadExplicit, PadTop: 1, PadBottom: 2, PadLeft: 2, PadRight: 1},
		}})
}

// globalPoolChecks are the gradient checks of a global pooling: alone, on a
// 1×1 input, and as the head of an all-conv net, dense straight after it.
// Its ties are checked apart (TestGlobalMaxPoolTies).
func globalPoolChecks(kind Kind) []GradCheck {
	return []GradCheck{
		{Name: "alone", In: Shape{5, 4, 3}, Specs: []LayerSpec{{Kind: kind}}, Values: DistinctValues},
		{Name: "1×1 input", In: Shape{1, 1, 4}, Specs: []LayerSpec{{Kind: kind}}, Values: DistinctValues},
		{Name: "between conv and dense", In: Shape{6, 5, 2}, Values: DistinctValues, Specs: []LayerSpec{
			{Kind: KindConv, Filters: 3, KernelH: 3, KernelW: 3, Padding: PadSame},
			{Kind: kind},
			{Kind: KindDense, Units: 4},
		}},
	}
}

// The global pooling kinds.
const (
	KindGlobalAvgPool Kind = "globalavgpool"
	KindGlobalMaxPool Kind = "globalmaxpool"
)

// globalGeometry is the geometry of one window covering the whole input:
// global pooling runs as a max or average pool over it, so it has the same
// passes, ties, NaN behaviour and rounding as maxpool and avgpool with
// size [H, W].
func globalGeometry(in Shape) geometry {
	g, _ := windowGeometry(in, LayerSpec{KernelH: in.H, KernelW: in.W, StrideH: 1, StrideW: 1, Padding: PadValid}, true)
	return g
}

// maxPool takes the largest value of each KH×KW window, channel by channel.
// Padded positions are skipped, so they never win; ties go to the first
// value in (kh, kw) order.
type maxPool struct {
	base
	geom     geometry
	arg      []int32 // for each output value, the index in the example's input of the winner
	x, dy    *Tensor
	fwd, bwd rangeTask
	out      Tensor
	dx       Tensor
}

func newMaxPool(b base) *maxPool {
	g, _ := windowGeometry(b.in, b.spec, true) // checked by OutputShape
	l := &maxPool{base: b, geom: g}
	l.fwd, l.bwd = funcTask(l.forwardExamples), funcTask(l.backwardExamples)
	return l
}

func (l *maxPool) forward(x *Tensor, train bool) *Tensor {
	g := &l.geom
	l.out.resize(x.N, g.oh, g.ow, g.c)
	if cap(l.arg) < l.out.Len() {
		l.arg = make([]int32, l.out.Len())
	}
	l.arg = l.arg[:l.out.Len()]
	l.x = x
	parallelFor(x.N, 1, l.fwd)
	return &l.out
}

// forwardExamples pools examples first..last−1 of l.x.
func (l *maxPool) forwardExamples(first, last int) {
	g := &l.geom
	c := g.c
	inSize, outSize := g.h*g.w*c, g.oh*g.ow*c
	// Windows at ow in [owLo, owHi) lie entirely inside the image across, so
	// along one output row they all have the same shape.
	owLo := min((g.pl+g.sw-1)/g.sw, g.ow)
	owHi := max(min((g.w-g.kw+g.pl)/g.sw+1, g.ow), owLo)
	for n := first; n < last; n++ {
		img := l.x.Data[n*inSize : (n+1)*inSize]
		best, arg := l.out.Data[n*outSize:(n+1)*outSize], l.arg[n*outSize:(n+1)*outSize]
		for oh := 0; oh < g.oh; oh++ {
			row := oh * g.ow * c
			for ow := 0; ow < g.ow; ow++ {
				if ow == owLo && owHi > owLo {
					h0, h1, w0, _ := g.window(oh, ow)
					maxWindows(best[row+ow*c:row+owHi*c], arg[row+ow*c:row+owHi*c], img, (h0*g.w+w0)*c, h1-h0, g.kw, g.w*c, c, g.sw*c)
					ow = owHi - 1
					continue
				}
				h0, h1, w0, w1 := g.window(oh, ow)
				maxWindows(best[row+ow*c:row+ow*c+c], arg[row+ow*c:row+ow*c+c], img, (h0*g.w+w0)*c, h1-h0, w1-w0, g.w*c, c, 0)
			}
		}
	}
}

// maxWindows pools len(best)/c windows of rows×cols positions of img, the
// w-th starting at index first+w·step: for each of the c channels it sets
// best[w·c+q] to the largest value and arg[w·c+q] to its index in img (the
// first one on ties). Positions are rowStride values apart down a column
// and c values apart along a row.
func maxWindows(best []float32, arg []int32, img []float32, first, rows, cols, rowStride, c, step int) {
	count := len(best) / c
	last := first + (count-1)*step + (rows-1)*rowStride + cols*c // one past the last value read
	if count == 0 || len(arg) < count*c || last > len(img) || first < 0 {
		panic("nn: max pool window outside the image")
	}
	switch simd {
	case simdAVX512:
		maxPoolAVX512(&best[0], &arg[0], &img[0], first, rows, cols, rowStride, c, count, step)
		return
	case simdAVX2:
		maxPoolAVX2(&best[0], &arg[0], &img[0], first, rows, cols, rowStride, c, count, step)
		return
	case simdNEON:
		maxPoolNEON(&best[0], &arg[0], &img[0], first, rows, cols, rowStride, c, count, step)
		return
	}
	for w := range count {
		maxWindowGo(best[w*c:w*c+c], arg[w*c:w*c+c], img, first+w*step, rows, cols, rowStride)
	}
}

// maxWindowGo is one window of maxWindows, in portable Go.
func maxWindowGo(best []float32, arg []int32, img []float32, first, rows, cols, rowStride int) {
	c := len(best)
	copy(best, img[first:first+c])
	for q := range best {
		arg[q] = int32(first + q)
	}
	for r := range rows {
		for k := range cols {
			if r == 0 && k == 0 {
				continue
			}
			i := first + r*rowStride + k*c
			for q, v := range img[i : i+c] {
				if v > best[q] {
					best[q], arg[q] = v, int32(i+q)
				}
			}
		}
	}
}

func (l *maxPool) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	g := &l.geom
	l.dx.resize(dy.N, g.h, g.w, g.c)
	l.dy = dy
	parallelFor(dy.N, 1, l.bwd)
	return &l.dx
}

// backwardExamples routes the gradient of examples first..last−1 to the winners.
func (l *maxPool) backwardExamples(first, last int) {
	g := &l.geom
	inSize, outSize := g.h*g.w*g.c, g.oh*g.ow*g.c
	if g.tiles2x2() && (simd == simdAVX512 || simd == simdAVX2) {
		// Every input position lies in exactly one window: write dx
		// window by window instead of clearing it and adding to it.
		c := g.c
		for n := first; n < last; n++ {
			img := l.dx.Data[n*inSize : (n+1)*inSize]
			for oh := range g.oh {
				o := n*outSize + oh*g.ow*c
				maxUnpool(img, l.dy.Data[o:o+g.ow*c], l.arg[o:o+g.ow*c], 2*oh*g.w*c, g.w*c, c, 2*c)
			}
		}
		return
	}
	clear(l.dx.Data[first*inSize : last*inSize])
	for n := first; n < last; n++ {
		img := l.dx.Data[n*inSize : (n+1)*inSize]
		arg := l.arg[n*outSize : (n+1)*outSize]
		for o, d := range l.dy.Data[n*outSize : (n+1)*outSize] {
			img[arg[o]] += d
		}
	}
}

// tiles2x2 reports whether the windows are 2×2 with stride 2 and no
// padding and cover the input exactly, each position once.
func (g *geometry) tiles2x2() bool {
	return g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.pt == 0 && g.pl == 0 && g.h == 2*g.oh && g.w == 2*g.ow
}

// maxUnpool writes the gradient of len(dy)/c 2×2 windows of img, the w-th
// starting at index first+w·step (rows rowStride apart, columns c apart),
// whose winners are arg: 0+dy[w·c+q] at the winner of channel q, +0 at the
// window's other positions. That is, bit for bit, what adding dy to the
// winners of a cleared img gives (maxPool.backwardExamples), as windows do
// not overlap. Only vector loops have it.
func maxUnpool(img, dy []float32, arg []int32, first, rowStride, c, step int) {
	count := len(dy) / c
	last := first + (count-1)*step + rowStride + 2*c // one past the last value written
	if count == 0 || len(arg) < count*c || last > len(img) || first < 0 {
		panic("nn: max unpool window outside the image")
	}
	switch simd {
	case simdAVX512:
		maxUnpoolAVX512(&img[0], &dy[0], &arg[0], first, rowStride, c, count, step)
	case simdAVX2:
		maxUnpoolAVX2(&img[0], &dy[0], &arg[0], first, rowStride, c, count, step)
	default:
		panic("nn: max unpool without vector loops")
	}
}

// funcTask is a rangeTask made of a function, typically a layer's method
// value made once when the layer is built.
type funcTask func(lo, hi int)

func (f funcTask) run(lo, hi int) { f(lo, hi) }

// avgPool averages each KH×KW window, channel by channel, over the real
// input values under it (padding is not counted).
type avgPool struct {
	base
	geom     geometry
	x, dy    *Tensor
	fwd, bwd rangeTask
	out      Tensor
	dx       Tensor
}

func newAvgPool(b base) *avgPool {
	g, _ := windowGeometry(b.in, b.spec, true) // checked by OutputShape
	l := &avgPool{base: b, geom: g}
	l.fwd, l.bwd = funcTask(l.forwardExamples), funcTask(l.backwardExamples)
	return l
}

// window returns the input rows h0..h1 and columns w0..w1 under output (oh, ow).
func (g *geometry) window(oh, ow int) (h0, h1, w0, w1 int) {
	return max(oh*g.sh-g.pt, 0), min(oh*g.sh-g.pt+g.kh, g.h), max(ow*g.sw-g.pl, 0), min(ow*g.sw-g.pl+g.kw, g.w)
}

func (l *avgPool) forward(x *Tensor, train bool) *Tensor {
	g := &l.geom
	l.out.resize(x.N, g.oh, g.ow, g.c)
	l.x = x
	parallelFor(x.N, 1, l.fwd)
	return &l.out
}

// forwardExamples averages examples first..last−1 of l.x.
func (l *avgPool) forwardExamples(first, last int) {
	g := &l.geom
	c := g.c
	inSize, outSize := g.h*g.w*c, g.oh*g.ow*c
	for n := first; n < last; n++ {
		img := l.x.Data[n*inSize : (n+1)*inSize]
		for oh := 0; oh < g.oh; oh++ {
			for ow := 0; ow < g.ow; ow++ {
				h0, h1, w0, w1 := g.window(oh, ow)
				o := n*outSize + (oh*g.ow+ow)*c
				sum := l.out.Data[o : o+c]
				clear(sum)
				for ih := h0; ih < h1; ih++ {
					for iw := w0; iw < w1; iw++ {
						i := (ih*g.w + iw) * c
						for q, v := range img[i : i+c] {
							sum[q] += v
						}
					}
				}
				inv := 1 / float32((h1-h0)*(w1-w0))
				for q := range sum {
					sum[q] *= inv
				}
			}
		}
	}
}

func (l *avgPool) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	g := &l.geom
	l.dx.resize(dy.N, g.h, g.w, g.c)
	l.dy = dy
	parallelFor(dy.N, 1, l.bwd)
	return &l.dx
}

// backwardExamples spreads the gradient of examples first..last−1 over their windows.
func (l *avgPool) backwardExamples(first, last int) {
	g := &l.geom
	c := g.c
	inSize, outSize := g.h*g.w*c, g.oh*g.ow*c
	clear(l.dx.Data[first*inSize : last*inSize])
	for n := first; n < last; n++ {
		img := l.dx.Data[n*inSize : (n+1)*inSize]
		for oh := 0; oh < g.oh; oh++ {
			for ow := 0; ow < g.ow; ow++ {
				h0, h1, w0, w1 := g.window(oh, ow)
				o := n*outSize + (oh*g.ow+ow)*c
				d := l.dy.Data[o : o+c]
				inv := 1 / float32((h1-h0)*(w1-w0))
				for ih := h0; ih < h1; ih++ {
					for iw := w0; iw < w1; iw++ {
						i := (ih*g.w + iw) * c
						dst := img[i : i+c]
						for q, v := range d {
							dst[q] += v * inv
						}
					}
				}
			}
		}
	}
}
