package nn

import (
	"fmt"
	"math"
	"strings"
)

func init() {
	registerKind(&LayerKind{
		Kind: KindBatchNorm,
		Kept: keptPerOutput, // the normalised input
		Doc:  "batch normalisation per channel, with a learned scale and shift; running statistics for evaluation",
		Keys: []Key{
			{Name: "momentum", Type: KeyFloat, Doc: "running = momentum·running + (1−momentum)·batch", Default: Value{Float: DefaultMomentum},
				Min: 0, Max: 1, MaxOpen: true, Set: func(s *LayerSpec, v Value) { s.Momentum = float32(v.Float) }},
			{Name: "epsilon", Type: KeyFloat, Doc: "added to the variance before its square root", Default: Value{Float: DefaultEpsilon},
				Min: 0, Max: math.Inf(1), MinOpen: true, Set: func(s *LayerSpec, v Value) { s.Epsilon = float32(v.Float) }},
			keyNormScale, keyFreezeAfter,
		},
		NamePrefix: "bn",
		Family:     FamilyRegularise,
		Defaults: func(s *LayerSpec) {
			if s.Momentum == 0 {
				s.Momentum = DefaultMomentum
			}
			if s.Epsilon == 0 {
				s.Epsilon = DefaultEpsilon
			}
		},
		Shape: func(in Shape, s LayerSpec) (Shape, error) {
			if !(s.Momentum >= 0 && s.Momentum < 1) {
				return Shape{}, fmt.Errorf("momentum = %v, want 0 ≤ momentum < 1", s.Momentum)
			}
			if !(s.Epsilon > 0) {
				return Shape{}, fmt.Errorf("epsilon = %v, want > 0", s.Epsilon)
			}
			return in, nil
		},
		// 2 learnable values per channel (scale and shift), 2 FLOPs per value.
		Count: func(s LayerSpec, in, out Shape) (params, flops float64) {
			return float64(len(normTensors(s))) * float64(in.C), 2 * sizeOf(out)
		},
		Detail: func(s LayerSpec) string {
			d := trainText(s)
			if !s.Bool(keyNormScale.Name) {
				d = ", no scale" + d
			}
			return strings.TrimPrefix(d, ", ")
		},
		Checks: []GradCheck{
			layerCheck("per channel", Shape{4, 3, 3}, LayerSpec{Kind: KindBatchNorm}),
			{Name: "after conv", In: Shape{6, 5, 2}, Specs: []LayerSpec{
				{Kind: KindConv, Filters: 3, KernelH: 3, KernelW: 3, StrideH: 1, StrideW: 1},
				{Kind: KindBatchNorm, Momentum: 0.8, Epsilon: 1e-3},
			}},
			{Name: "after dense", In: Shape{1, 1, 5}, Specs: []LayerSpec{{Kind: KindDense, Units: 4}, {Kind: KindBatchNorm}}},
			{Name: "no scale", In: Shape{6, 5, 2}, Specs: []LayerSpec{
				{Kind: KindConv, Filters: 3, KernelH: 3, KernelW: 3, StrideH: 1, StrideW: 1, NoBias: true},
				LayerSpec{Kind: KindBatchNorm, Momentum: 0.6, Epsilon: 1e-3}.With(keyNormScale.Name, Value{Bool: false}),
			}},
			layerCheck("no scale alone", Shape{4, 3, 3}, LayerSpec{Kind: KindBatchNorm}.With(keyNormScale.Name, Value{Bool: false})),
		},
		build: func(b base, env *buildEnv) layer { return newBatchNorm(b) },
	})
}

// keyNormScale switches batch norm's learned scale off.
var keyNormScale = Key{Name: "scale", Type: KeyBool, OmitDefault: true,
	Doc:     "learn a scale per channel; false: the scale stays 1, only the shift is learned",
	Default: Value{Bool: true}}

// normTensors names the learned tensors of a batchnorm spec.
func normTensors(s LayerSpec) []string {
	if !s.Bool(keyNormScale.Name) {
		return []string{"beta"}
	}
	return []string{"gamma", "beta"}
}

// batchNorm normalises each channel (the last axis: a conv's channels, a
// dense layer's features) over the batch and the spatial positions, then
// scales and shifts it:
//
//	y = gamma·(x − mean)/sqrt(var + eps) + beta
//
// With scale: false gamma stays 1 and is no parameter.
//
// In training mode mean and var are the batch's (var biased) and the running
// statistics move toward them; in eval mode the running statistics are used.
type batchNorm struct {
	base
	gamma, beta     *Param // learned
	runMean, runVar *Param // state, not learned
	mean, invStd    []float64
	dGamma, dBeta   []float64
	xhat            []float32 // normalised input of the last training forward

	// Per channel: y = scale·x + shift in eval mode; y = gamma·xhat + beta
	// with xhat = (x − mean)·inv in training; dx = a·dy − b − xhat·d.
	scale, shift, mean32, inv []float32
	a, b, d                   []float32

	x, dy                          *Tensor
	partial                        []float64 // per block of rows: c sums (or 2c)
	sumTask, varTask, gradSumTask  rangeTask
	evalTask, trainTask, inputTask rangeTask
	out                            Tensor
	dx                             Tensor
}

func newBatchNorm(b base) *batchNorm {
	c := b.in.C
	l := &batchNorm{base: b,
		gamma:   newParam(b.spec.Name, "gamma", false, c),
		beta:    newParam(b.spec.Name, "beta", false, c),
		runMean: &Param{Layer: b.spec.Name, Name: "running_mean", Value: make([]float32, c), Shape: []int{c}},
		runVar:  &Param{Layer: b.spec.Name, Name: "running_var", Value: make([]float32, c), Shape: []int{c}},
		mean:    make([]float64, c), invStd: make([]float64, c),
		dGamma: make([]float64, c), dBeta: make([]float64, c),
		scale: make([]float32, c), shift: make([]float32, c), mean32: make([]float32, c), inv: make([]float32, c),
		a: make([]float32, c), b: make([]float32, c), d: make([]float32, c),
	}
	for i := range c {
		l.gamma.Value[i] = 1
		l.runVar.Value[i] = 1
	}
	l.sumTask = funcTask(l.sumBlock)
	l.varTask = funcTask(l.varBlock)
	l.gradSumTask = funcTask(l.gradSumBlock)
	l.evalTask = funcTask(l.evalBlock)
	l.trainTask = funcTask(l.trainBlock)
	l.inputTask = funcTask(l.inputGradBlock)
	return l
}

func (l *batchNorm) params() []*Param {
	if !l.spec.Bool(keyNormScale.Name) {
		return []*Param{l.beta}
	}
	return []*Param{l.gamma, l.beta}
}
func (l *batchNorm) state() []*Param { return []*Param{l.runMean, l.runVar} }

// The loops run over blocks of rows (one row is the c channels of one
// position); a reduction leaves one partial sum per block in l.partial, and
// reduce adds them up in order, so the result does not depend on how the
// blocks were shared out.

func (l *batchNorm) forward(x *Tensor, train bool) *Tensor {
	c := x.C
	n := x.Len()
	rows := n / c
	grain := rowsPerBlock(c)
	l.out.resize(x.N, x.H, x.W, c)
	l.x = x
	eps := float64(l.spec.Epsilon)
	if !train {
		for q := range c {
			inv := 1 / math.Sqrt(float64(l.runVar.Value[q])+eps)
			g := float64(l.gamma.Value[q])
			l.scale[q] = float32(g * inv)
			l.shift[q] = float32(float64(l.beta.Value[q]) - g*inv*float64(l.runMean.Value[q]))
		}
		parallelFor(rows, grain, l.evalTask)
		return &l.out
	}
	m := float64(rows) // values per channel
	l.partial = growFloat64(l.partial, blocksOf(rows, grain)*c)
	parallelFor(rows, grain, l.sumTask)
	l.reduce(l.mean, c)
	for q := range l.mean {
		l.mean[q] /= m
	}
	vars := l.invStd // reused: holds the sums of squares until converted below
	parallelFor(rows, grain, l.varTask)
	l.reduce(vars, c)
	mom := float64(l.spec.Momentum)
	for q := range vars {
		biased := vars[q] / m
		unbiased := biased
		if rows > 1 {
			unbiased = vars[q] / (m - 1)
		}
		l.runMean.Value[q] = float32(mom*float64(l.runMean.Value[q]) + (1-mom)*l.mean[q])
		l.runVar.Value[q] = float32(mom*float64(l.runVar.Value[q]) + (1-mom)*unbiased)
		l.invStd[q] = 1 / math.Sqrt(biased+eps)
		l.mean32[q] = float32(l.mean[q])
		l.inv[q] = float32(l.invStd[q])
	}
	l.xhat = grow(l.xhat, n)
	parallelFor(rows, grain, l.trainTask)
	return &l.out
}

// reduce sets sums[q] to the sum over the blocks of partial[block·width+q],
// for q < len(sums).
func (l *batchNorm) reduce(sums []float64, width int) {
	clear(sums)
	for b := 0; b+width <= len(l.partial); b += width {
		for q := range sums {
			sums[q] += l.partial[b+q]
		}
	}
}

// rowsOf returns the rows lo..hi−1 of t's values, c per row.
func rowsOf(t *Tensor, lo, hi int) []float32 { return t.Data[lo*t.C : hi*t.C] }

func (l *batchNorm) sumBlock(lo, hi int) {
	c := l.x.C
	acc := l.partial[lo/rowsPerBlock(c)*c:][:c]
	clear(acc)
	channelSums(acc, rowsOf(l.x, lo, hi))
}

func (l *batchNorm) varBlock(lo, hi int) {
	c := l.x.C
	acc := l.partial[lo/rowsPerBlock(c)*c:][:c]
	clear(acc)
	channelSquares(acc, rowsOf(l.x, lo, hi), l.mean[:c])
}

// evalBlock normalises with the running statistics.
func (l *batchNorm) evalBlock(lo, hi int) {
	c := l.x.C
	scaleShift(rowsOf(&l.out, lo, hi), rowsOf(l.x, lo, hi), l.scale[:c], l.shift[:c])
}

// trainBlock normalises with the batch statistics and keeps xhat.
func (l *batchNorm) trainBlock(lo, hi int) {
	c := l.x.C
	normalize(rowsOf(&l.out, lo, hi), l.xhat[lo*c:hi*c], rowsOf(l.x, lo, hi), l.mean32[:c], l.inv[:c], l.gamma.Value[:c], l.beta.Value[:c])
}

// backward of training mode, with m values per channel:
//
//	dbeta  = Σ dy
//	dgamma = Σ dy·xhat
//	dx     = gamma·invStd/m · (m·dy − dbeta − xhat·dgamma)
func (l *batchNorm) backward(dy *Tensor, needDx bool) *Tensor {
	c := dy.C
	rows := dy.Len() / c
	grain := rowsPerBlock(c)
	m := float64(rows)
	l.dy = dy
	l.partial = growFloat64(l.partial, blocksOf(rows, grain)*2*c)
	parallelFor(rows, grain, l.gradSumTask)
	l.reduceGrad(c)
	for q := range c {
		l.gamma.Grad[q] = float32(l.dGamma[q])
		l.beta.Grad[q] = float32(l.dBeta[q])
	}
	if !needDx {
		return nil
	}
	for q := range c {
		k := float64(l.gamma.Value[q]) * l.invStd[q] / m
		l.a[q] = float32(k * m)
		l.b[q] = float32(k * l.dBeta[q])
		l.d[q] = float32(k * l.dGamma[q])
	}
	l.dx.resize(dy.N, dy.H, dy.W, c)
	parallelFor(rows, grain, l.inputTask)
	return &l.dx
}

// reduceGrad adds up the blocks' sums of dy (first c values of a block) and
// of dy·xhat (next c values).
func (l *batchNorm) reduceGrad(c int) {
	clear(l.dBeta)
	clear(l.dGamma)
	for b := 0; b+2*c <= len(l.partial); b += 2 * c {
		for q := range c {
			l.dBeta[q] += l.partial[b+q]
			l.dGamma[q] += l.partial[b+c+q]
		}
	}
}

func (l *batchNorm) gradSumBlock(lo, hi int) {
	c := l.dy.C
	acc := l.partial[lo/rowsPerBlock(c)*2*c:][:2*c]
	clear(acc)
	channelGradSums(acc[:c], acc[c:], rowsOf(l.dy, lo, hi), l.xhat[lo*c:hi*c])
}

func (l *batchNorm) inputGradBlock(lo, hi int) {
	c := l.dy.C
	inputGrad(l.dx.Data[lo*c:hi*c], rowsOf(l.dy, lo, hi), l.xhat[lo*c:hi*c], l.a[:c], l.b[:c], l.d[:c])
}

// The loops of the training forward and backward passes work on a block of
// rows of c channels. Each has portable Go and vector versions: the vector
// loops take the channels in strips down all the rows, and the Go loop takes the channels left over. Every channel is
// summed over the rows in order whichever loop takes it, and each loop
// repeats the same operations in the same order, so the results are the
// same bits at every level. The products in the Go loops are rounded
// explicitly so that no compiler fuses them into an FMA.

// vectorChannels returns how many of c channels the vector loops of the
// level in use take: a multiple of their strip, 32 channels for AVX-512 and
// 16 for AVX2 and NEON, or 0 when there are no rows.
func vectorChannels(c, rows int) int {
	if rows == 0 {
		return 0
	}
	switch simd {
	case simdAVX512:
		return c &^ 31
	case simdAVX2, simdNEON:
		return c &^ 15
	}
	return 0
}

// channelSums adds to acc[q] the values x[r·c+q] of every row r in order,
// for the c = len(acc) channels.
func channelSums(acc []float64, x []float32) {
	c := len(acc)
	rows := len(x) / c
	w := vectorChannels(c, rows)
	if w > 0 {
		switch simd {
		case simdAVX512:
			channelSumsAVX512(&acc[0], &x[0], rows, c, w)
		case simdAVX2:
			channelSumsAVX2(&acc[0], &x[0], rows, c, w)
		case simdNEON:
			channelSumsNEON(&acc[0], &x[0], rows, c, w)
		}
	}
	channelSumsGo(acc, x, w)
}

// channelSumsGo is channelSums for channels q0 and up.
func channelSumsGo(acc []float64, x []float32, q0 int) {
	c := len(acc)
	for i := 0; i+c <= len(x); i += c {
		for q, v := range x[i+q0 : i+c] {
			acc[q0+q] += float64(v)
		}
	}
}

// channelSquares adds to acc[q] the squares of x[r·c+q] − mean[q] of every
// row r in order, in float64, for the c = len(acc) channels.
func channelSquares(acc []float64, x []float32, mean []float64) {
	c := len(acc)
	rows := len(x) / c
	w := vectorChannels(c, rows)
	if w > 0 {
		_ = mean[c-1]
		switch simd {
		case simdAVX512:
			channelSquaresAVX512(&acc[0], &x[0], &mean[0], rows, c, w)
		case simdAVX2:
			channelSquaresAVX2(&acc[0], &x[0], &mean[0], rows, c, w)
		case simdNEON:
			channelSquaresNEON(&acc[0], &x[0], &mean[0], rows, c, w)
		}
	}
	channelSquaresGo(acc, x, mean, w)
}

// channelSquaresGo is channelSquares for channels q0 and up.
func channelSquaresGo(acc []float64, x []float32, mean []float64, q0 int) {
	c := len(acc)
	mean = mean[:c]
	for i := 0; i+c <= len(x); i += c {
		for q, v := range x[i+q0 : i+c] {
			d := float64(v) - mean[q0+q]
			acc[q0+q] += float64(d * d)
		}
	}
}

// channelGradSums adds to sumD[q] the values dy[r·c+q] and to sumDH[q] the
// products dy[r·c+q]·xhat[r·c+q] of every row r in order, in float64, for
// the c = len(sumD) channels.
func channelGradSums(sumD, sumDH []float64, dy, xhat []float32) {
	c := len(sumD)
	rows := len(dy) / c
	w := vectorChannels(c, rows)
	if w > 0 {
		_, _ = sumDH[c-1], xhat[rows*c-1]
		switch simd {
		case simdAVX512:
			channelGradSumsAVX512(&sumD[0], &sumDH[0], &dy[0], &xhat[0], rows, c, w)
		case simdAVX2:
			channelGradSumsAVX2(&sumD[0], &sumDH[0], &dy[0], &xhat[0], rows, c, w)
		case simdNEON:
			channelGradSumsNEON(&sumD[0], &sumDH[0], &dy[0], &xhat[0], rows, c, w)
		}
	}
	channelGradSumsGo(sumD, sumDH, dy, xhat, w)
}

// channelGradSumsGo is channelGradSums for channels q0 and up.
func channelGradSumsGo(sumD, sumDH []float64, dy, xhat []float32, q0 int) {
	c := len(sumD)
	sumDH = sumDH[:c]
	for i := 0; i+c <= len(dy); i += c {
		h := xhat[i : i+c]
		for q, d := range dy[i+q0 : i+c] {
			sumD[q0+q] += float64(d)
			sumDH[q0+q] += float64(float64(d) * float64(h[q0+q]))
		}
	}
}

// normalize sets, for every row r of x and the c = len(mean) channels,
// xhat = (x − mean)·inv and y = g·xhat + b (r·c+q indices for y, xhat and
// x, q for the others).
func normalize(y, xhat, x, mean, inv, g, b []float32) {
	c := len(mean)
	rows := len(x) / c
	w := vectorChannels(c, rows)
	if w > 0 {
		_, _, _, _, _ = y[rows*c-1], xhat[rows*c-1], inv[c-1], g[c-1], b[c-1]
		switch simd {
		case simdAVX512:
			normalizeAVX512(&y[0], &xhat[0], &x[0], &mean[0], &inv[0], &g[0], &b[0], rows, c, w)
		case simdAVX2:
			normalizeAVX2(&y[0], &xhat[0], &x[0], &mean[0], &inv[0], &g[0], &b[0], rows, c, w)
		case simdNEON:
			normalizeNEON(&y[0], &xhat[0], &x[0], &mean[0], &inv[0], &g[0], &b[0], rows, c, w)
		}
	}
	normalizeGo(y, xhat, x, mean, inv, g, b, w)
}

// normalizeGo is normalize for channels q0 and up.
func normalizeGo(y, xhat, x, mean, inv, g, b []float32, q0 int) {
	c := len(mean)
	inv, g, b = inv[:c], g[:c], b[:c]
	for i := 0; i+c <= len(x); i += c {
		dst, hs := y[i:i+c], xhat[i:i+c]
		for q := q0; q < c; q++ {
			h := (x[i+q] - mean[q]) * inv[q]
			hs[q] = h
			dst[q] = float32(g[q]*h) + b[q]
		}
	}
}

// scaleShift sets, for every row r of x and the c = len(scale) channels,
// y = scale·x + shift (r·c+q indices for y and x, q for the others).
func scaleShift(y, x, scale, shift []float32) {
	c := len(scale)
	rows := len(x) / c
	w := vectorChannels(c, rows)
	if w > 0 {
		_, _ = y[rows*c-1], shift[c-1]
		switch simd {
		case simdAVX512:
			scaleShiftAVX512(&y[0], &x[0], &scale[0], &shift[0], rows, c, w)
		case simdAVX2:
			scaleShiftAVX2(&y[0], &x[0], &scale[0], &shift[0], rows, c, w)
		case simdNEON:
			scaleShiftNEON(&y[0], &x[0], &scale[0], &shift[0], rows, c, w)
		}
	}
	scaleShiftGo(y, x, scale, shift, w)
}

// scaleShiftGo is scaleShift for channels q0 and up.
func scaleShiftGo(y, x, scale, shift []float32, q0 int) {
	c := len(scale)
	shift = shift[:c]
	for i := 0; i+c <= len(x); i += c {
		dst := y[i : i+c]
		for q := q0; q < c; q++ {
			dst[q] = float32(scale[q]*x[i+q]) + shift[q]
		}
	}
}

// inputGrad sets, for every row r of dy and the c = len(a) channels,
// dx = a·dy − b − xhat·d (r·c+q indices for dx, dy and xhat, q for the
// others).
func inputGrad(dx, dy, xhat, a, b, d []float32) {
	c := len(a)
	rows := len(dy) / c
	w := vectorChannels(c, rows)
	if w > 0 {
		_, _, _, _ = dx[rows*c-1], xhat[rows*c-1], b[c-1], d[c-1]
		switch simd {
		case simdAVX512:
			inputGradAVX512(&dx[0], &dy[0], &xhat[0], &a[0], &b[0], &d[0], rows, c, w)
		case simdAVX2:
			inputGradAVX2(&dx[0], &dy[0], &xhat[0], &a[0], &b[0], &d[0], rows, c, w)
		case simdNEON:
			inputGradNEON(&dx[0], &dy[0], &xhat[0], &a[0], &b[0], &d[0], rows, c, w)
		}
	}
	inputGradGo(dx, dy, xhat, a, b, d, w)
}

// inputGradGo is inputGrad for channels q0 and up.
func inputGradGo(dx, dy, xhat, a, b, d []float32, q0 int) {
	c := len(a)
	b, d = b[:c], d[:c]
	for i := 0; i+c <= len(dy); i += c {
		h, dst := xhat[i:i+c], dx[i:i+c]
		for q := q0; q < c; q++ {
			dst[q] = float32(a[q]*dy[i+q]) - b[q] - float32(h[q]*d[q])
		}
	}
}
