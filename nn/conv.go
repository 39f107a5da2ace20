package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

func init() {
	registerKind(&LayerKind{
		Kind: KindConv,
		Doc:  "2-D convolution: each filter slides a kernel over all input channels and adds a bias",
		Keys: []Key{
			{Name: "filters", Type: KeyInt, Doc: "output channels", Required: true, Min: 1, Max: 1 << 20,
				Set: func(s *LayerSpec, v Value) { s.Filters = v.Int }},
			{Name: "kernel", Type: KeySize2, Doc: "kernel size: one number or [height, width]", Required: true, Min: 1, Max: 4096,
				Set: func(s *LayerSpec, v Value) { s.KernelH, s.KernelW = v.H, v.W }},
			withDefault(keyStride, Value{H: 1, W: 1}),
			keyPadding, keyBias, keyConvInit, keyActivation,
			keyInitScale, keyWhitenEps, keyFrozen, keyFreezeAfter,
		},
		Input:       ImageInput,
		Family:      FamilyConv,
		FeatureMaps: true,
		Defaults: func(s *LayerSpec) {
			if s.StrideH == 0 {
				s.StrideH = 1
			}
			if s.StrideW == 0 {
				s.StrideW = 1
			}
			if s.Padding == "" {
				s.Padding = PadValid
			}
			defaultInit(s)
		},
		Shape: func(in Shape, s LayerSpec) (Shape, error) {
			if s.Filters < 1 {
				return Shape{}, fmt.Errorf("filters = %d, want ≥ 1", s.Filters)
			}
			g, err := windowGeometry(in, s, false)
			if err != nil {
				return Shape{}, err
			}
			if err := checkWhiten(in, s); err != nil {
				return Shape{}, err
			}
			if err := checkInitScale(s); err != nil {
				return Shape{}, err
			}
			return Shape{H: g.oh, W: g.ow, C: s.Filters}, nil
		},
		// 2·KH·KW·Cin FLOPs per output value, +1 for the bias.
		Count: func(s LayerSpec, in, out Shape) (params, flops float64) {
			perOut := float64(s.KernelH) * float64(s.KernelW) * float64(in.C)
			bias := biasTerms(s)
			return perOut*float64(s.Filters) + bias*float64(s.Filters), sizeOf(out) * (2*perOut + bias)
		},
		Detail: func(s LayerSpec) string {
			return fmt.Sprintf("%d@%d×%d stride %s %s", s.Filters, s.KernelH, s.KernelW, pair(s.StrideH, s.StrideW), padText(s)) + noBiasText(s) + trainText(s)
		},
		Checks: append(convChecks(), convSettingChecks()...),
		build: func(b base, env *buildEnv) layer {
			l := newConv(b, env.init)
			l.scratch = env.scratch
			return l
		},
	})
}

// conv is a 2-D convolution (strictly, a cross-correlation) over NHWC input:
//
//	y[n,oh,ow,f] = b[f] + Σ_{kh,kw,c} x[n, oh·SH+kh−PT, ow·SW+kw−PL, c] · w[kh,kw,c,f]
//
// with x = 0 outside the input. It is lowered to one matrix product over the
// whole batch: the im2col matrix, one row per output position (N·OH·OW rows)
// and one column per weight of a filter (KH·KW·C columns), times the weights
// as a (KH·KW·C)×F matrix gives the output, already in NHWC order.
//
// A 3×3 conv with stride 1 may instead run by Winograd's F(4×4, 3×3) or
// F(2×2, 3×3) (winograd.go), in all three passes, when a cost model of the
// layer's shape says it is faster. The environment variable CNNLAB_CONV,
// read once, forces the choice: "winograd" for every 3×3 stride-1 conv
// (with the tiles the model prefers), "winograd-f2" or "winograd-f4" for
// every one with those tiles, "im2col" for none, and "auto" (or unset) for
// the model's choice; any other value is reported on stderr and read as
// auto. Either way the results agree to a few float32
// roundings and do not depend on the thread count.
type conv struct {
	base
	geom      geometry
	w, b      *Param    // b is nil without bias
	pointwise bool      // 1×1 kernel, stride 1, no padding: the input is its own im2col matrix
	direct    bool      // short im2col rows: the loops of smallconv.go instead of gemm
	directFwd bool      // rows short enough for the forward loops of smallconv.go (set with direct)
	wg        *winograd // set when the layer runs by Winograd instead
	zeros     []float32 // the bias of the direct loops when the layer has none

	x       *Tensor
	col     []float32  // im2col of x, kept for backward
	scratch *[]float32 // the network's buffer for the im2col of dY·Wᵀ, shared by the layers
	cols    colTask
	small   smallConv
	bias    biasRows
	sums    columnSums
	out     Tensor
	dx      Tensor
}

func newConv(b base, r *rand.Rand) *conv {
	s := b.spec
	g, _ := windowGeometry(b.in, s, false) // checked by OutputShape
	l := &conv{base: b, geom: g}
	l.pointwise = g.pointwise()
	l.direct = g.kh*g.kw*g.c <= smallK
	l.directFwd = g.kh*g.kw*g.c <= smallForwardK
	if m := convTile(&l.geom, s.Filters); m > 0 {
		l.wg, l.direct, l.directFwd = newWinograd(&l.geom, s.Filters, m), false, false
	}
	l.w = newParam(s.Name, "weight", true, g.kh, g.kw, g.c, s.Filters)
	initWeights(l.w.Value, s.Init, g.kh*g.kw*g.c, g.kh*g.kw*s.Filters, r)
	scaleInit(l.w.Value, s)
	if s.Init == InitDirac {
		dirac(l.w.Value, g.kh, g.kw, g.c, s.Filters)
	}
	if !s.NoBias {
		l.b = newParam(s.Name, "bias", false, s.Filters)
	} else if l.directFwd {
		l.zeros = make([]float32, s.Filters)
	}
	return l
}

func (l *conv) params() []*Param {
	if l.b == nil {
		return []*Param{l.w}
	}
	return []*Param{l.w, l.b}
}

func (l *conv) forward(x *Tensor, train bool) *Tensor {
	g := &l.geom
	f := l.spec.Filters
	if l.wg != nil {
		l.x = x
		l.out.resize(x.N, g.oh, g.ow, f)
		var bias []float32
		if l.b != nil {
			bias = l.b.Value
		}
		l.wg.forward(l.out.Data, nil, x.Data, l.w.Value, bias, x.N, l.scratchBuffer)
		return &l.out
	}
	m, k := x.N*g.oh*g.ow, g.kh*g.kw*g.c
	col := x.Data
	if !l.pointwise {
		l.col = grow(l.col, m*k)
		l.cols.im2col(l.col, x.Data, x.N, g)
		col = l.col
	}
	l.x = x
	l.out.resize(x.N, g.oh, g.ow, f)
	if l.directFwd {
		bias := l.zeros
		if l.b != nil {
			bias = l.b.Value
		}
		l.small.forward(l.out.Data, col, l.w.Value, bias, m, k, f)
		return &l.out
	}
	gemm.Sgemm(false, false, m, f, k, 1, col, k, l.w.Value, f, 0, l.out.Data, f)
	if l.b != nil {
		l.bias.addBias(l.out.Data, l.b.Value)
	}
	return &l.out
}

func (l *conv) backward(dy *Tensor, needDx bool) *Tensor {
	g := &l.geom
	f := l.spec.Filters
	if l.wg != nil {
		var db []float32
		if l.b != nil {
			db = l.b.Grad
		}
		if !needDx {
			l.wg.backward(l.w.Grad, db, nil, dy.Data, nil, l.scratchBuffer)
			return nil
		}
		l.dx.resize(dy.N, g.h, g.w, g.c)
		l.wg.backward(l.w.Grad, db, l.dx.Data, dy.Data, nil, l.scratchBuffer)
		return &l.dx
	}
	m, k := dy.N*g.oh*g.ow, g.kh*g.kw*g.c
	col := l.x.Data
	if !l.pointwise {
		col = l.col
	}
	// dW = colᵀ · dY, db = the sum of dY's rows
	switch {
	case l.direct && l.b != nil:
		l.small.weightGrad(l.w.Grad, l.b.Grad, col, dy.Data, m, k, f)
	case l.direct:
		l.small.weightGrad(l.w.Grad, nil, col, dy.Data, m, k, f)
	default:
		gemm.Sgemm(true, false, k, f, m, 1, col, k, dy.Data, f, 0, l.w.Grad, f)
		if l.b != nil {
			l.sums.sum(l.b.Grad, dy.Data)
		}
	}
	if !needDx {
		return nil
	}
	l.dx.resize(dy.N, g.h, g.w, g.c)
	if l.pointwise {
		// dX = dY · Wᵀ directly.
		gemm.Sgemm(false, true, m, k, f, 1, dy.Data, f, l.w.Value, f, 0, l.dx.Data, k)
		return &l.dx
	}
	dcol := l.scratchBuffer(m * k)
	gemm.Sgemm(false, true, m, k, f, 1, dy.Data, f, l.w.Value, f, 0, dcol, k)
	l.cols.col2im(l.dx.Data, dcol, dy.N, g)
	return &l.dx
}

// scratchBuffer returns n values of the network's shared scratch buffer (or
// of the layer's own when it has none).
func (l *conv) scratchBuffer(n int) []float32 {
	if l.scratch == nil {
		l.scratch = new([]float32)
	}
	*l.scratch = grow(*l.scratch, n)
	return *l.scratch
}

// colTask runs im2col or col2im over blocks of examples.
type colTask struct {
	col, img []float32
	g        *geometry
	adjoint  bool // col2im
}

func (t *colTask) run(lo, hi int) {
	if t.adjoint {
		col2im(t.img, t.col, lo, hi, t.g)
	} else {
		im2col(t.col, t.img, lo, hi, t.g)
	}
}

// im2col writes the im2col matrix of the n examples of x to col, in parallel.
func (t *colTask) im2col(col, x []float32, n int, g *geometry) {
	t.col, t.img, t.g, t.adjoint = col, x, g, false
	parallelFor(n, 1, t)
	t.col, t.img = nil, nil
}

// col2im sets dx to the adjoint of im2col applied to dcol, in parallel.
func (t *colTask) col2im(dx, dcol []float32, n int, g *geometry) {
	t.col, t.img, t.g, t.adjoint = dcol, dx, g, true
	parallelFor(n, 1, t)
	t.col, t.img = nil, nil
}

// shortRun is the longest run of values copied by a loop rather than by
// copy, whose call costs more than a few values.
const shortRun = 16

// im2col writes the rows of the im2col matrix for examples first..last−1 of
// x into col: row (n·OH+oh)·OW+ow holds the KH×KW×C window under output
// (oh, ow), in (kh, kw, c) order, with zeros where the window covers padding.
func im2col(col, x []float32, first, last int, g *geometry) {
	c := g.c
	rowLen := g.kh * g.kw * c
	run := g.kw * c // one row of a window
	imgSize := g.h * g.w * c
	// Windows at ow in [owLo, owHi) lie entirely inside the image across.
	owLo := min((g.pl+g.sw-1)/g.sw, g.ow)
	owHi := max(min((g.w-g.kw+g.pl)/g.sw+1, g.ow), owLo)
	for b := first; b < last; b++ {
		img := x[b*imgSize : (b+1)*imgSize]
		for oh := 0; oh < g.oh; oh++ {
			rows := col[((b*g.oh+oh)*g.ow)*rowLen : ((b*g.oh+oh)*g.ow+g.ow)*rowLen]
			for kh := 0; kh < g.kh; kh++ {
				ih := oh*g.sh + kh - g.pt
				if ih < 0 || ih >= g.h {
					for ow := 0; ow < g.ow; ow++ {
						clear(rows[ow*rowLen+kh*run : ow*rowLen+kh*run+run])
					}
					continue
				}
				src := img[ih*g.w*c : (ih+1)*g.w*c]
				for ow := 0; ow < owLo; ow++ {
					windowRow(rows[ow*rowLen+kh*run:ow*rowLen+kh*run+run], src, ow*g.sw-g.pl, g)
				}
				step := g.sw * c
				s := (owLo*g.sw - g.pl) * c
				switch {
				case run == 3: // such as a 3-wide window over one channel: one fixed-size move
					for ow := owLo; ow < owHi; ow++ {
						o := ow*rowLen + kh*run
						*(*[3]float32)(rows[o : o+3]) = *(*[3]float32)(src[s : s+3])
						s += step
					}
				case run <= shortRun:
					for ow := owLo; ow < owHi; ow++ {
						dst := rows[ow*rowLen+kh*run : ow*rowLen+kh*run+run]
						for q, v := range src[s : s+run] {
							dst[q] = v
						}
						s += step
					}
				default:
					for ow := owLo; ow < owHi; ow++ {
						copy(rows[ow*rowLen+kh*run:ow*rowLen+kh*run+run], src[s:s+run])
						s += step
					}
				}
				for ow := owHi; ow < g.ow; ow++ {
					windowRow(rows[ow*rowLen+kh*run:ow*rowLen+kh*run+run], src, ow*g.sw-g.pl, g)
				}
			}
		}
	}
}

// windowRow copies one row of a window that starts at column iw0 of the
// image row src (which may be outside it), with zeros outside.
func windowRow(dst, src []float32, iw0 int, g *geometry) {
	c := g.c
	for kw := 0; kw < g.kw; kw++ {
		iw := iw0 + kw
		if iw < 0 || iw >= g.w {
			clear(dst[kw*c : kw*c+c])
		} else {
			copy(dst[kw*c:kw*c+c], src[iw*c:iw*c+c])
		}
	}
}

// col2im is the adjoint of im2col for examples first..last−1: it sets their
// part of dx to the sum, over every row and column of dcol, of the value at
// the input position that column came from.
func col2im(dx, dcol []float32, first, last int, g *geometry) {
	c := g.c
	imgSize := g.h * g.w * c
	clear(dx[first*imgSize : last*imgSize])
	rowLen := g.kh * g.kw * c
	run := g.kw * c
	i := first * g.oh * g.ow * rowLen
	for b := first; b < last; b++ {
		img := dx[b*imgSize : (b+1)*imgSize]
		for oh := 0; oh < g.oh; oh++ {
			for ow := 0; ow < g.ow; ow++ {
				row := dcol[i : i+rowLen]
				i += rowLen
				iw0 := ow*g.sw - g.pl
				for kh := 0; kh < g.kh; kh++ {
					ih := oh*g.sh + kh - g.pt
					if ih < 0 || ih >= g.h {
						continue
					}
					src := row[kh*run : kh*run+run]
					// The columns of the window that fall inside the image.
					kw0, kw1 := max(0, -iw0), min(g.kw, g.w-iw0)
					if kw0 >= kw1 {
						continue
					}
					src = src[kw0*c : kw1*c]
					dst := img[(ih*g.w+iw0+kw0)*c : (ih*g.w+iw0+kw1)*c]
					for q, v := range src {
						dst[q] += v
					}
				}
			}
		}
	}
}

// convChecks are conv's gradient checks: kernels 1 to 7, square and not,
// strides 1 to 3, every padding, with and without bias, both
// initialisations, two convs in a row, and relu and max pooling after a
// conv, which Build fuses. Winograd is checked apart, forced on
// (TestGradConvWinograd).
func convChecks() []GradCheck {
	conv := func(f, kh, kw, sh, sw int, pad Padding) LayerSpec {
		return LayerSpec{Kind: KindConv, Filters: f, KernelH: kh, KernelW: kw, StrideH: sh, StrideW: sw, Padding: pad}
	}
	explicit := func(s LayerSpec, top, bottom, left, right int) LayerSpec {
		s.Padding, s.PadTop, s.PadBottom, s.PadLeft, s.PadRight = PadExplicit, top, bottom, left, right
		return s
	}
	noBias := conv(3, 3, 3, 3, 3, PadSame)
	noBias.NoBias = true
	glorot := conv(2, 5, 3, 1, 2, PadValid)
	glorot.Init = InitGlorot
	return []GradCheck{
		layerCheck("k1 s1 valid (pointwise)", Shape{5, 7, 3}, conv(4, 1, 1, 1, 1, PadValid)),
		layerCheck("k1 s2 same", Shape{5, 6, 2}, conv(3, 1, 1, 2, 2, PadSame)),
		layerCheck("k3 s1 same", Shape{6, 5, 2}, conv(3, 3, 3, 1, 1, PadSame)),
		layerCheck("k3 s2 valid", Shape{7, 8, 3}, conv(2, 3, 3, 2, 2, PadValid)),
		layerCheck("k3 s3 same no bias", Shape{8, 7, 2}, noBias),
		layerCheck("k5 s2 same", Shape{9, 7, 3}, conv(2, 5, 5, 2, 2, PadSame)),
		layerCheck("k5 s1 pad 2", Shape{6, 5, 2}, explicit(conv(2, 5, 5, 1, 1, ""), 2, 2, 2, 2)),
		layerCheck("k7 s3 pad 2", Shape{11, 9, 2}, explicit(conv(2, 7, 7, 3, 3, ""), 2, 2, 2, 2)),
		layerCheck("k7 s1 valid", Shape{8, 9, 1}, conv(3, 7, 7, 1, 1, PadValid)),
		layerCheck("k3x5 s2x1 uneven pad", Shape{7, 6, 3}, explicit(conv(2, 3, 5, 2, 1, ""), 1, 2, 0, 3)),
		layerCheck("k5x3 s1x2 glorot", Shape{6, 7, 2}, glorot),
		{Name: "two convs", In: Shape{8, 8, 2}, Specs: []LayerSpec{conv(3, 3, 3, 1, 1, PadSame), conv(2, 3, 3, 2, 2, PadValid)}},
		// Fused into one pass by Build (fuse.go). Small, so that none of
		// the conv's outputs comes within a step of relu's kink or of a
		// tie in a window (a step of a weight moves all of its filter's).
		{Name: "relu and 2×2 max pool (fused)", In: Shape{6, 8, 1}, Values: DistinctValues, Specs: []LayerSpec{
			conv(2, 3, 3, 1, 1, PadValid), {Kind: KindReLU}, {Kind: KindMaxPool, KernelH: 2, KernelW: 2}}},
	}
}
