package nn

import "math"

// batchNorm normalises each channel (the last axis: a conv's channels, a
// dense layer's features) over the batch and the spatial positions, then
// scales and shifts it:
//
//	y = gamma·(x − mean)/sqrt(var + eps) + beta
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

func (l *batchNorm) params() []*Param { return []*Param{l.gamma, l.beta} }
func (l *batchNorm) state() []*Param  { return []*Param{l.runMean, l.runVar} }

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
	x := rowsOf(l.x, lo, hi)
	for i := 0; i < len(x); i += c {
		for q, v := range x[i : i+c] {
			acc[q] += float64(v)
		}
	}
}

func (l *batchNorm) varBlock(lo, hi int) {
	c := l.x.C
	acc := l.partial[lo/rowsPerBlock(c)*c:][:c]
	clear(acc)
	x := rowsOf(l.x, lo, hi)
	mean := l.mean[:c]
	for i := 0; i < len(x); i += c {
		for q, v := range x[i : i+c] {
			d := float64(v) - mean[q]
			acc[q] += d * d
		}
	}
}

// evalBlock normalises with the running statistics.
func (l *batchNorm) evalBlock(lo, hi int) {
	c := l.x.C
	x, y := rowsOf(l.x, lo, hi), rowsOf(&l.out, lo, hi)
	scale, shift := l.scale[:c], l.shift[:c]
	for i := 0; i < len(x); i += c {
		dst := y[i : i+c]
		for q, v := range x[i : i+c] {
			dst[q] = scale[q]*v + shift[q]
		}
	}
}

// trainBlock normalises with the batch statistics and keeps xhat.
func (l *batchNorm) trainBlock(lo, hi int) {
	c := l.x.C
	x, y, xhat := rowsOf(l.x, lo, hi), rowsOf(&l.out, lo, hi), l.xhat[lo*c:hi*c]
	mean, inv, g, b := l.mean32[:c], l.inv[:c], l.gamma.Value[:c], l.beta.Value[:c]
	for i := 0; i < len(x); i += c {
		dst, hs := y[i:i+c], xhat[i:i+c]
		for q, v := range x[i : i+c] {
			h := (v - mean[q]) * inv[q]
			hs[q] = h
			dst[q] = g[q]*h + b[q]
		}
	}
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
	sumD, sumDH := acc[:c], acc[c:]
	dy, xhat := rowsOf(l.dy, lo, hi), l.xhat[lo*c:hi*c]
	for i := 0; i < len(dy); i += c {
		h := xhat[i : i+c]
		for q, d := range dy[i : i+c] {
			sumD[q] += float64(d)
			sumDH[q] += float64(d) * float64(h[q])
		}
	}
}

func (l *batchNorm) inputGradBlock(lo, hi int) {
	c := l.dy.C
	dy, xhat, dx := rowsOf(l.dy, lo, hi), l.xhat[lo*c:hi*c], l.dx.Data[lo*c:hi*c]
	a, b, d := l.a[:c], l.b[:c], l.d[:c]
	for i := 0; i < len(dy); i += c {
		h, dst := xhat[i:i+c], dx[i:i+c]
		for q, v := range dy[i : i+c] {
			dst[q] = a[q]*v - b[q] - h[q]*d[q]
		}
	}
}
