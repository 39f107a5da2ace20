package nn

import "math"

// KindGELU is the Gaussian error linear unit, x·Φ(x).
const KindGELU Kind = "gelu"

// Approximation is how a gelu layer computes Φ.
type Approximation string

// The forms of GELU.
const (
	ApproxNone Approximation = "none" // the exact form, with erf; the default
	ApproxTanh Approximation = "tanh" // the tanh approximation of Hendrycks and Gimpel
)

func init() {
	registerKind(&LayerKind{
		Kind: KindGELU,
		Doc:  "x·Φ(x), Φ the standard normal distribution function: exactly 0.5·x·(1+erf(x/√2)), or its tanh approximation",
		// Kept by name: the layer reads it with s.Text("approximate").
		Keys: []Key{{Name: "approximate", Type: KeyEnum,
			Doc:     "none (the exact erf form) or tanh (0.5·x·(1+tanh(√(2/π)·(x+0.044715·x³))))",
			Default: Value{Text: string(ApproxNone)}, Choices: []string{string(ApproxNone), string(ApproxTanh)}, What: "approximation"}},
		Family:      FamilyActivation,
		Activation:  true, // an `activation: gelu` shortcut gives the exact form
		ElementWise: true,
		Shape:       sameShape,
		Count:       perValue,
		Kept:        keptPerOutput, // the derivative
		Detail: func(s LayerSpec) string {
			if Approximation(s.Text("approximate")) == ApproxTanh {
				return "tanh approximation"
			}
			return "exact (erf)"
		},
		Checks: []GradCheck{
			layerCheck("exact", Shape{3, 4, 2}, LayerSpec{Kind: KindGELU}),
			layerCheck("tanh", Shape{3, 4, 2}, LayerSpec{Kind: KindGELU}.With("approximate", Value{Text: string(ApproxTanh)})),
			{Name: "wide inputs", In: Shape{1, 1, 40}, Specs: []LayerSpec{{Kind: KindGELU}}, Values: DistinctValues},
			{Name: "tanh wide inputs", In: Shape{1, 1, 40}, Specs: []LayerSpec{LayerSpec{Kind: KindGELU}.With("approximate", Value{Text: string(ApproxTanh)})}, Values: DistinctValues},
		},
		build: func(b base, env *buildEnv) layer {
			return &gelu{base: b, tanh: Approximation(b.spec.Text("approximate")) == ApproxTanh}
		},
	})
}

// gelu computes y = x·Φ(x) value by value, Φ the standard normal
// distribution function, in float32 (see expf.go: Φ is within 3e-7 of the
// exact value). Its
// derivative is Φ(x) + x·φ(x), φ the normal density; a training forward
// keeps it for backward. The tanh form replaces Φ(x) by
// 0.5·(1+tanh(u)) = sigmoid(2u), u = √(2/π)·(x+0.044715·x³), and
// differentiates that exactly.
type gelu struct {
	base
	tanh  bool      // the tanh approximation
	deriv []float32 // dy/dx of the last training forward
	task  elementwise
	out   Tensor
	dx    Tensor
}

func (l *gelu) forward(x *Tensor, train bool) *Tensor {
	n := x.Len()
	l.out.resize(x.N, x.H, x.W, x.C)
	fn, deriv := geluForward, []float32(nil)
	if train {
		l.deriv = grow(l.deriv, n)
		deriv = l.deriv
	}
	if l.tanh {
		fn = geluTanhForward
	}
	l.task.apply(fn, l.out.Data, x.Data[:n], deriv, 0)
	return &l.out
}

func (l *gelu) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	l.dx.resize(dy.N, dy.H, dy.W, dy.C)
	l.task.apply(multiply, l.dx.Data, dy.Data[:dy.Len()], l.deriv, 0)
	return &l.dx
}

// geluForward sets y = x·Φ(x) = 0.5·x·(1+erf(x/√2)), and deriv (when not
// nil) to the derivative Φ(x) + x·φ(x) (see expf.go).
func geluForward(y, x, deriv []float32, _ float32) { geluLoops.run(y, x, deriv, 0) }

// geluTanhForward sets y = x·sigmoid(2u), u = √(2/π)·(x+0.044715·x³), which
// is 0.5·x·(1+tanh(u)), and deriv (when not nil) to its derivative
// s + 2x·s·(1−s)·u′, s = sigmoid(2u), u′ = √(2/π)·(1+3·0.044715·x²).
func geluTanhForward(y, x, deriv []float32, _ float32) { geluTanhLoops.run(y, x, deriv, 0) }

const (
	invSqrt2    = 1 / math.Sqrt2
	invSqrt2Pi  = 0.3989422804014327 // 1/√(2π)
	sqrt2OverPi = 0.7978845608028654 // √(2/π)
	geluCubic   = 0.044715
)
