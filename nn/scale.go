package nn

import (
	"fmt"
	"math"
	"strconv"
)

// KindScale multiplies every value by a constant factor.
const KindScale Kind = "scale"

func init() {
	registerKind(&LayerKind{
		Kind: KindScale,
		Doc:  "every value times a constant factor, e.g. logits scaled by 1/temperature; no parameters",
		Keys: []Key{{Name: "factor", Type: KeyFloat, Doc: "the constant the values are multiplied by", Required: true,
			Min: 0, MinOpen: true, Max: math.Inf(1), MaxOpen: true,
			Set: func(s *LayerSpec, v Value) { s.Factor = float32(v.Float) }}},
		Family:      FamilyActivation,
		ElementWise: true,
		Shape: func(in Shape, s LayerSpec) (Shape, error) {
			if !(s.Factor > 0 && s.Factor <= math.MaxFloat32) {
				return Shape{}, fmt.Errorf("factor = %v, want a finite number > 0", s.Factor)
			}
			return in, nil
		},
		Count:  perValue,
		Detail: func(s LayerSpec) string { return "× " + strconv.FormatFloat(float64(s.Factor), 'g', 6, 32) },
		build:  func(b base, env *buildEnv) layer { return &scale{base: b} },
	})
}

// scale multiplies every value by the constant Factor: y = Factor·x, so
// dx = Factor·dy. It has no parameters.
type scale struct {
	base
	task elementwise
	out  Tensor
	dx   Tensor
}

func (l *scale) forward(x *Tensor, train bool) *Tensor {
	l.out.resize(x.N, x.H, x.W, x.C)
	l.task.apply(scaleBy, l.out.Data, x.Data[:x.Len()], nil, l.spec.Factor)
	return &l.out
}

func (l *scale) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	l.dx.resize(dy.N, dy.H, dy.W, dy.C)
	l.task.apply(scaleBy, l.dx.Data, dy.Data[:dy.Len()], nil, l.spec.Factor)
	return &l.dx
}
