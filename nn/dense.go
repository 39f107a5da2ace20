package nn

import (
	"math/rand/v2"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

// dense is a fully connected layer on flat input: y = x·W + b, with x a
// batch of In features per row and W an In×Units matrix.
type dense struct {
	base
	w, b *Param // b is nil without bias
	bias biasRows
	sums columnSums
	x    *Tensor
	out  Tensor
	dx   Tensor
}

func newDense(b base, r *rand.Rand) *dense {
	s := b.spec
	in := b.in.Size()
	l := &dense{base: b}
	l.w = newParam(s.Name, "weight", true, in, s.Units)
	initWeights(l.w.Value, s.Init, in, s.Units, r)
	if !s.NoBias {
		l.b = newParam(s.Name, "bias", false, s.Units)
	}
	return l
}

func (l *dense) params() []*Param {
	if l.b == nil {
		return []*Param{l.w}
	}
	return []*Param{l.w, l.b}
}

func (l *dense) forward(x *Tensor, train bool) *Tensor {
	in, units := l.in.Size(), l.spec.Units
	l.x = x
	l.out.resize(x.N, 1, 1, units)
	gemm.Sgemm(false, false, x.N, units, in, 1, x.Data, in, l.w.Value, units, 0, l.out.Data, units)
	if l.b != nil {
		l.bias.addBias(l.out.Data, l.b.Value)
	}
	return &l.out
}

func (l *dense) backward(dy *Tensor, needDx bool) *Tensor {
	in, units := l.in.Size(), l.spec.Units
	// dW = xᵀ·dY
	gemm.Sgemm(true, false, in, units, dy.N, 1, l.x.Data, in, dy.Data, units, 0, l.w.Grad, units)
	if l.b != nil {
		l.sums.sum(l.b.Grad, dy.Data)
	}
	if !needDx {
		return nil
	}
	// dX = dY·Wᵀ
	l.dx.resize(dy.N, l.in.H, l.in.W, l.in.C)
	gemm.Sgemm(false, true, dy.N, in, units, 1, dy.Data, units, l.w.Value, units, 0, l.dx.Data, in)
	return &l.dx
}
