package nn

import (
	"math"
	"strconv"
)

// KindELU is the exponential linear unit of Clevert, Unterthiner and
// Hochreiter: x for x > 0, alpha·(e^x − 1) otherwise.
const KindELU Kind = "elu"

func init() {
	registerKind(&LayerKind{
		Kind: KindELU,
		Doc:  "x for x > 0, alpha·(e^x − 1) otherwise (exponential linear unit)",
		// Kept by name: the layer reads it with s.Float("alpha").
		Keys: []Key{{Name: "alpha", Type: KeyFloat, Doc: "the value the output tends to, negated, as x goes to −∞",
			Default: Value{Float: 1}, Min: 0, Max: math.Inf(1), MaxOpen: true}},
		Family:      FamilyActivation,
		Activation:  true, // an `activation: elu` shortcut gives alpha 1
		ElementWise: true,
		Shape:       sameShape,
		Count:       perValue,
		Kept:        keptPerOutput, // the derivative
		Detail:      func(s LayerSpec) string { return "alpha " + strconv.FormatFloat(float64(s.Float("alpha")), 'g', 4, 32) },
		Checks: []GradCheck{
			layerCheck("alpha 1", Shape{3, 4, 2}, LayerSpec{Kind: KindELU}),
			// The derivative jumps at 0 unless alpha is 1: no value near it.
			{Name: "alpha 0.3", In: Shape{3, 4, 2}, Specs: []LayerSpec{LayerSpec{Kind: KindELU}.With("alpha", Value{Float: 0.3})}, Values: ValuesAwayFromZero},
			{Name: "alpha 2.5", In: Shape{2, 3, 4}, Specs: []LayerSpec{LayerSpec{Kind: KindELU}.With("alpha", Value{Float: 2.5})}, Values: ValuesAwayFromZero},
			{Name: "between dense layers", In: Shape{1, 1, 6}, Specs: []LayerSpec{{Kind: KindDense, Units: 5}, {Kind: KindELU}, {Kind: KindDense, Units: 3}}},
			{Name: "wide inputs", In: Shape{1, 1, 40}, Specs: []LayerSpec{{Kind: KindELU}}, Values: DistinctValues},
		},
		ONNX:  &ONNXOp{Op: "Elu", Attrs: []ONNXAttr{{Name: "alpha", Key: "alpha"}}},
		build: func(b base, env *buildEnv) layer { return &elu{base: b, alpha: b.spec.Float("alpha")} },
	})
}

// elu computes y = x for x > 0 and y = alpha·(e^x − 1) otherwise, value by
// value, e^x − 1 in float32 by the exponential of expf.go. Its derivative is
// 1 for x > 0 and alpha·e^x = y + alpha otherwise; a training forward keeps
// it, so that backward is one multiplication per value, without a branch.
type elu struct {
	base
	alpha float32
	deriv []float32 // dy/dx of the last training forward
	task  elementwise
	out   Tensor
	dx    Tensor
}

func (l *elu) forward(x *Tensor, train bool) *Tensor {
	n := x.Len()
	l.out.resize(x.N, x.H, x.W, x.C)
	var deriv []float32
	if train {
		l.deriv = grow(l.deriv, n)
		deriv = l.deriv
	}
	l.task.apply(eluForward, l.out.Data, x.Data[:n], deriv, l.alpha)
	return &l.out
}

func (l *elu) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	l.dx.resize(dy.N, dy.H, dy.W, dy.C)
	l.task.apply(multiply, l.dx.Data, dy.Data[:dy.Len()], l.deriv, 0)
	return &l.dx
}

// eluForward sets y = x for x > 0, alpha·(e^x − 1) otherwise, and deriv
// (when not nil) to the derivative: 1, or y + alpha (see expf.go).
func eluForward(y, x, deriv []float32, alpha float32) { eluLoops.run(y, x, deriv, alpha) }
