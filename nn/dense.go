package nn

import (
	"fmt"
	"math/rand/v2"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

func init() {
	registerKind(&LayerKind{
		Kind: KindDense,
		Doc:  "fully connected layer on a flat input: y = x·W + b",
		Keys: []Key{
			{Name: "units", Type: KeyInt, Doc: "output features", Required: true, Min: 1, Max: 1 << 24,
				Set: func(s *LayerSpec, v Value) { s.Units = v.Int }},
			keyBias, keyInit, keyInitScale, keyActivation, keyFrozen, keyFreezeAfter,
		},
		Input:    FlatInput,
		Flattens: true,
		Family:   FamilyDense,
		Defaults: defaultInit,
		Shape: func(in Shape, s LayerSpec) (Shape, error) {
			if s.Units < 1 {
				return Shape{}, fmt.Errorf("units = %d, want ≥ 1", s.Units)
			}
			if !in.Flat() {
				return Shape{}, fmt.Errorf("dense needs a flat input (1×1×n); put a flatten layer before it")
			}
			if err := checkInit(s.Init); err != nil {
				return Shape{}, err
			}
			if s.Init == InitWhiten {
				return Shape{}, fmt.Errorf("init %s is for a conv layer, not dense", InitWhiten)
			}
			return Shape{H: 1, W: 1, C: s.Units}, nil
		},
		// 2·In FLOPs per unit, +1 for the bias.
		Count: func(s LayerSpec, in, out Shape) (params, flops float64) {
			inSize, bias := sizeOf(in), biasTerms(s)
			return inSize*float64(s.Units) + bias*float64(s.Units), float64(s.Units) * (2*inSize + bias)
		},
		Detail: func(s LayerSpec) string { return fmt.Sprintf("%d units", s.Units) + noBiasText(s) + trainText(s) },
		Checks: []GradCheck{
			layerCheck("dense", Shape{1, 1, 7}, LayerSpec{Kind: KindDense, Units: 5}),
			layerCheck("no bias glorot", Shape{1, 1, 6}, LayerSpec{Kind: KindDense, Units: 4, NoBias: true, Init: InitGlorot}),
			layerCheck("dirac frozen", Shape{1, 1, 4}, LayerSpec{Kind: KindDense, Units: 6, Init: InitDirac}.
				With(keyFrozen.Name, Value{Bool: true}).With(keyFreezeAfter.Name, Value{Int: 3})),
		},
		build: func(b base, env *buildEnv) layer { return newDense(b, env.init) },
	})
}

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
	scaleInit(l.w.Value, s)
	if s.Init == InitDirac {
		dirac(l.w.Value, 1, 1, in, s.Units)
	}
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
