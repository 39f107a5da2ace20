package nn

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

func init() {
	registerKind(&LayerKind{
		Kind: KindDropout,
		Kept: keptPerOutput, // the mask
		Doc:  "inverted dropout: in training, zeroes each value with probability rate and scales the rest by 1/(1−rate)",
		Keys: []Key{
			{Name: "rate", Type: KeyFloat, Doc: "the probability of dropping a value", Required: true, Min: 0, Max: 1, MaxOpen: true,
				Set: func(s *LayerSpec, v Value) { s.Rate = float32(v.Float) }},
		},
		Family: FamilyRegularise,
		Shape: func(in Shape, s LayerSpec) (Shape, error) {
			if !(s.Rate >= 0 && s.Rate < 1) {
				return Shape{}, fmt.Errorf("rate = %v, want 0 ≤ rate < 1", s.Rate)
			}
			return in, nil
		},
		Detail: func(s LayerSpec) string { return "rate " + strconv.FormatFloat(float64(s.Rate), 'g', 4, 32) },
		// The checks freeze the mask drawn by the first forward pass.
		Checks: []GradCheck{
			layerCheck("fixed mask", Shape{3, 4, 2}, LayerSpec{Kind: KindDropout, Rate: 0.4}),
			{Name: "after dense", In: Shape{1, 1, 6}, Specs: []LayerSpec{{Kind: KindDense, Units: 8}, {Kind: KindDropout, Rate: 0.5}, {Kind: KindDense, Units: 3}}},
		},
		build: func(b base, env *buildEnv) layer { return &dropout{base: b, rand: env.dropout} },
	})
}

// dropout zeroes each value with probability Rate in training mode and scales
// the kept ones by 1/(1−Rate) (inverted dropout), so eval mode is the
// identity. Masks come from the network's dropout stream.
type dropout struct {
	base
	rand  *rand.Rand
	mask  []float32 // 0 or 1/(1−Rate) per value of the last training forward
	fixed bool      // reuse mask instead of drawing one (gradient checks)
	task  elementwise
	out   Tensor
	dx    Tensor
}

func (l *dropout) forward(x *Tensor, train bool) *Tensor {
	if !train || l.spec.Rate == 0 {
		l.mask = l.mask[:0]
		return x
	}
	n := x.Len()
	if !l.fixed || len(l.mask) != n {
		l.mask = grow(l.mask, n)
		rate, keep := l.spec.Rate, 1/(1-l.spec.Rate)
		for i := range l.mask {
			if l.rand.Float32() < rate {
				l.mask[i] = 0
			} else {
				l.mask[i] = keep
			}
		}
	}
	l.out.resize(x.N, x.H, x.W, x.C)
	l.task.apply(multiply, l.out.Data, x.Data[:n], l.mask, 0)
	return &l.out
}

func (l *dropout) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	if len(l.mask) == 0 { // rate 0: identity
		return dy
	}
	l.dx.resize(dy.N, dy.H, dy.W, dy.C)
	l.task.apply(multiply, l.dx.Data, dy.Data[:dy.Len()], l.mask, 0)
	return &l.dx
}
