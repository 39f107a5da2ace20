package nn

import (
	"fmt"
	"math"
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
	rand  *rand.PCG
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
		drop, keep := dropBelow(l.spec.Rate), math.Float32bits(1/(1-l.spec.Rate))
		for i := range l.mask {
			l.mask[i] = math.Float32frombits(maskBits(l.rand.Uint64(), drop, keep))
		}
	}
	l.out.resize(x.N, x.H, x.W, x.C)
	l.task.apply(multiply, l.out.Data, x.Data[:n], l.mask, 0)
	return &l.out
}

// drawn24 is the 24-bit integer x that rand.Rand's Float32 takes from a
// word u of its source, returning x/2²⁴. A value is dropped when that draw
// falls below the rate; dropout computes it on the integer, straight from
// the PCG source and without a branch, which gives the masks of
// Float32() < rate from the same stream in a third of the time (the seed
// CIFAR-10 network's dropout forward: 2.2 to 0.8 ms a step, Zen 5).
func drawn24(u uint64) uint64 { return u >> 32 & (1<<24 - 1) }

// maskBits returns the bits of a value of the mask for the word u of the
// dropout stream: 0 if its draw is below drop, keep otherwise. It takes no
// branch, which would go one way or the other at random: dropped is 1 when
// the draw is below drop (the difference wraps around).
func maskBits(u, drop uint64, keep uint32) uint32 {
	dropped := uint32((drawn24(u) - drop) >> 63)
	return keep & (dropped - 1)
}

// dropBelow is the least x for which x/2²⁴ ≥ rate: x/2²⁴ < rate exactly
// when x < dropBelow(rate).
func dropBelow(rate float32) uint64 { return uint64(math.Ceil(float64(rate) * (1 << 24))) }

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
