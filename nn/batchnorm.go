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
	gamma, beta     *Param
	runMean, runVar *Param // state, not learned
	mean, invStd    []float64
	dGamma, dBeta   []float64
	xhat            []float32 // normalised input of the last training forward
	out             Tensor
	dx              Tensor
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
	}
	for i := range c {
		l.gamma.Value[i] = 1
		l.runVar.Value[i] = 1
	}
	return l
}

func (l *batchNorm) params() []*Param { return []*Param{l.gamma, l.beta} }
func (l *batchNorm) state() []*Param  { return []*Param{l.runMean, l.runVar} }

func (l *batchNorm) forward(x *Tensor, train bool) *Tensor {
	c := x.C
	n := x.Len()
	l.out.resize(x.N, x.H, x.W, c)
	eps := float64(l.spec.Epsilon)
	if !train {
		for q := range c {
			l.mean[q] = float64(l.runMean.Value[q])
			l.invStd[q] = 1 / math.Sqrt(float64(l.runVar.Value[q])+eps)
		}
		l.normalise(x.Data[:n], l.out.Data, nil)
		return &l.out
	}
	m := n / c // values per channel
	clear(l.mean)
	for i := 0; i < n; i += c {
		for q, v := range x.Data[i : i+c] {
			l.mean[q] += float64(v)
		}
	}
	for q := range l.mean {
		l.mean[q] /= float64(m)
	}
	vars := l.invStd // reused: holds the variance until converted below
	clear(vars)
	for i := 0; i < n; i += c {
		for q, v := range x.Data[i : i+c] {
			d := float64(v) - l.mean[q]
			vars[q] += d * d
		}
	}
	mom := float64(l.spec.Momentum)
	for q := range vars {
		biased := vars[q] / float64(m)
		unbiased := biased
		if m > 1 {
			unbiased = vars[q] / float64(m-1)
		}
		l.runMean.Value[q] = float32(mom*float64(l.runMean.Value[q]) + (1-mom)*l.mean[q])
		l.runVar.Value[q] = float32(mom*float64(l.runVar.Value[q]) + (1-mom)*unbiased)
		l.invStd[q] = 1 / math.Sqrt(biased+eps)
	}
	l.xhat = grow(l.xhat, n)
	l.normalise(x.Data[:n], l.out.Data, l.xhat)
	return &l.out
}

// normalise writes y = gamma·(x − mean)·invStd + beta, and the normalised
// values to xhat unless it is nil.
func (l *batchNorm) normalise(x, y, xhat []float32) {
	c := len(l.mean)
	g, b := l.gamma.Value, l.beta.Value
	for i := 0; i < len(x); i += c {
		for q, v := range x[i : i+c] {
			h := float32((float64(v) - l.mean[q]) * l.invStd[q])
			if xhat != nil {
				xhat[i+q] = h
			}
			y[i+q] = g[q]*h + b[q]
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
	n := dy.Len()
	m := float64(n / c)
	clear(l.dGamma)
	clear(l.dBeta)
	for i := 0; i < n; i += c {
		h := l.xhat[i : i+c]
		for q, d := range dy.Data[i : i+c] {
			l.dBeta[q] += float64(d)
			l.dGamma[q] += float64(d) * float64(h[q])
		}
	}
	for q := range c {
		l.gamma.Grad[q] = float32(l.dGamma[q])
		l.beta.Grad[q] = float32(l.dBeta[q])
	}
	if !needDx {
		return nil
	}
	l.dx.resize(dy.N, dy.H, dy.W, c)
	for i := 0; i < n; i += c {
		h := l.xhat[i : i+c]
		dst := l.dx.Data[i : i+c]
		for q, d := range dy.Data[i : i+c] {
			k := float64(l.gamma.Value[q]) * l.invStd[q] / m
			dst[q] = float32(k * (m*float64(d) - l.dBeta[q] - float64(h[q])*l.dGamma[q]))
		}
	}
	return &l.dx
}
