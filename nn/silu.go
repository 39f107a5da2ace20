package nn

// KindSiLU is the sigmoid linear unit (swish), x·sigmoid(x).
const KindSiLU Kind = "silu"

func init() {
	registerKind(&LayerKind{
		Kind:        KindSiLU,
		Doc:         "x·sigmoid(x) = x/(1+e^−x), also called swish",
		Family:      FamilyActivation,
		Activation:  true, // an `activation: silu` shortcut may name it
		ElementWise: true,
		Shape:       sameShape,
		Count:       perValue,
		Kept:        keptPerOutput, // the derivative
		Checks: []GradCheck{
			layerCheck("silu", Shape{3, 4, 2}, LayerSpec{Kind: KindSiLU}),
			{Name: "wide inputs", In: Shape{1, 1, 40}, Specs: []LayerSpec{{Kind: KindSiLU}}, Values: DistinctValues},
		},
		build: func(b base, env *buildEnv) layer { return &silu{base: b} },
	})
}

// silu computes y = x·σ(x) value by value, σ(x) = 1/(1+e^−x), in float32
// with the exponential of expf.go. Its derivative is σ(x)·(1 + x·(1−σ(x))); a
// training forward keeps it for backward.
type silu struct {
	base
	deriv []float32 // dy/dx of the last training forward
	task  elementwise
	out   Tensor
	dx    Tensor
}

func (l *silu) forward(x *Tensor, train bool) *Tensor {
	n := x.Len()
	l.out.resize(x.N, x.H, x.W, x.C)
	var deriv []float32
	if train {
		l.deriv = grow(l.deriv, n)
		deriv = l.deriv
	}
	l.task.apply(siluForward, l.out.Data, x.Data[:n], deriv, 0)
	return &l.out
}

func (l *silu) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	l.dx.resize(dy.N, dy.H, dy.W, dy.C)
	l.task.apply(multiply, l.dx.Data, dy.Data[:dy.Len()], l.deriv, 0)
	return &l.dx
}

// siluForward sets y = x/(1+e^−x), and deriv (when not nil) to the
// derivative σ(x)·(1 + x·(1−σ(x))) (see expf.go).
func siluForward(y, x, deriv []float32, _ float32) { siluLoops.run(y, x, deriv, 0) }
