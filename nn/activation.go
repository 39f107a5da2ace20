package nn

import (
	"fmt"
	"strconv"
)

func init() {
	activationKind := func(kind Kind, doc string, keys ...Key) *LayerKind {
		return &LayerKind{Kind: kind, Doc: doc, Keys: keys, Family: FamilyActivation, Activation: true, ElementWise: true,
			Shape: sameShape, Count: perValue,
			build: func(b base, env *buildEnv) layer { return &activation{base: b} }}
	}
	away := func(spec LayerSpec) []GradCheck { // no value near the kink at 0
		return []GradCheck{{Name: string(spec.Kind), In: Shape{3, 4, 2}, Specs: []LayerSpec{spec}, Values: ValuesAwayFromZero}}
	}
	relu := activationKind(KindReLU, "max(x, 0)")
	relu.Checks = away(LayerSpec{Kind: KindReLU})
	relu.ONNX = &ONNXOp{Op: "Relu"}
	registerKind(relu)
	leaky := activationKind(KindLeakyReLU, "x for x > 0, alpha·x otherwise",
		Key{Name: "alpha", Type: KeyFloat, Doc: "slope for negative inputs", Default: Value{Float: DefaultAlpha}, Min: 0, Max: 1, MaxOpen: true,
			Set: func(s *LayerSpec, v Value) { s.Alpha = float32(v.Float) }})
	leaky.Defaults = func(s *LayerSpec) {
		if s.Alpha == 0 {
			s.Alpha = DefaultAlpha
		}
	}
	leaky.Shape = func(in Shape, s LayerSpec) (Shape, error) {
		if !(s.Alpha >= 0 && s.Alpha < 1) {
			return Shape{}, fmt.Errorf("alpha = %v, want 0 ≤ alpha < 1", s.Alpha)
		}
		return in, nil
	}
	leaky.Detail = func(s LayerSpec) string { return "alpha " + strconv.FormatFloat(float64(s.Alpha), 'g', 4, 32) }
	leaky.Checks = away(LayerSpec{Kind: KindLeakyReLU, Alpha: 0.2})
	registerKind(leaky)
	sigmoid := activationKind(KindSigmoid, "1/(1+e^−x)")
	sigmoid.Checks = []GradCheck{layerCheck("sigmoid", Shape{3, 4, 2}, LayerSpec{Kind: KindSigmoid})}
	sigmoid.ONNX = &ONNXOp{Op: "Sigmoid"}
	registerKind(sigmoid)
	tanh := activationKind(KindTanh, "tanh(x)")
	tanh.Checks = []GradCheck{layerCheck("tanh", Shape{3, 4, 2}, LayerSpec{Kind: KindTanh})}
	tanh.ONNX = &ONNXOp{Op: "Tanh"}
	registerKind(tanh)
}

// activation applies an element-wise function: relu max(x, 0), leaky_relu
// (x for x > 0, alpha·x otherwise), sigmoid 1/(1+e^−x) or tanh.
type activation struct {
	base
	x    *Tensor
	task elementwise
	out  Tensor
	dx   Tensor
}

func (l *activation) forward(x *Tensor, train bool) *Tensor {
	l.x = x
	n := x.Len()
	l.out.resize(x.N, x.H, x.W, x.C)
	y := l.out.Data
	switch l.spec.Kind {
	case KindReLU:
		l.task.apply(reluForward, y, x.Data[:n], nil, 0)
	case KindLeakyReLU:
		l.task.apply(leakyForward, y, x.Data[:n], nil, l.spec.Alpha)
	case KindSigmoid:
		l.task.apply(sigmoidForward, y, x.Data[:n], nil, 0)
	case KindTanh:
		l.task.apply(tanhForward, y, x.Data[:n], nil, 0)
	}
	return &l.out
}

func (l *activation) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	n := dy.Len()
	l.dx.resize(dy.N, dy.H, dy.W, dy.C)
	dx, d := l.dx.Data, dy.Data[:n]
	switch l.spec.Kind {
	case KindReLU:
		l.task.apply(reluBackward, dx, d, l.out.Data, 0)
	case KindLeakyReLU:
		l.task.apply(leakyBackward, dx, d, l.x.Data, l.spec.Alpha)
	case KindSigmoid:
		l.task.apply(sigmoidBackward, dx, d, l.out.Data, 0)
	case KindTanh:
		l.task.apply(tanhBackward, dx, d, l.out.Data, 0)
	}
	return &l.dx
}
