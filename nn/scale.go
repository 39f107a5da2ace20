package nn

import (
	"math"
	"strconv"
)

// KindScale multiplies every value by a constant factor.
const KindScale Kind = "scale"

func init() {
	registerKind(&LayerKind{
		Kind: KindScale,
		Doc:  "every value times a constant factor, e.g. logits scaled by 1/temperature; no parameters",
		// Kept by name: the layer reads it with s.Float("factor").
		Keys: []Key{{Name: "factor", Type: KeyFloat, Doc: "the constant the values are multiplied by", Required: true,
			Min: 0, MinOpen: true, Max: math.Inf(1), MaxOpen: true}},
		Family:      FamilyActivation,
		ElementWise: true,
		Shape:       sameShape,
		Count:       perValue,
		Detail:      func(s LayerSpec) string { return "× " + strconv.FormatFloat(float64(s.Float("factor")), 'g', 6, 32) },
		Checks: []GradCheck{
			layerCheck("1/8", Shape{3, 4, 2}, LayerSpec{Kind: KindScale}.With("factor", Value{Float: 0.125})),
			{Name: "dense scale 3", In: Shape{1, 1, 5}, Specs: []LayerSpec{{Kind: KindDense, Units: 4}, LayerSpec{Kind: KindScale}.With("factor", Value{Float: 3})}},
		},
		build: func(b base, env *buildEnv) layer { return &scale{base: b, factor: b.spec.Float("factor")} },
	})
}

// scale multiplies every value by the constant factor: y = factor·x, so
// dx = factor·dy. It has no parameters.
type scale struct {
	base
	factor float32
	task   elementwise
	out    Tensor
	dx     Tensor
}

func (l *scale) forward(x *Tensor, train bool) *Tensor {
	l.out.resize(x.N, x.H, x.W, x.C)
	l.task.apply(scaleBy, l.out.Data, x.Data[:x.Len()], nil, l.factor)
	return &l.out
}

func (l *scale) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	l.dx.resize(dy.N, dy.H, dy.W, dy.C)
	l.task.apply(scaleBy, l.dx.Data, dy.Data[:dy.Len()], nil, l.factor)
	return &l.dx
}
