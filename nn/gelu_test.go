package nn

import (
	"math"
	"testing"
)

// TestSmoothActivationValues checks gelu (both forms) and silu, values and
// derivatives as the layers compute them in float32, against their
// definitions computed with package math in float64: within a few float32
// roundings everywhere, including the tiny values of GELU far below zero.
// There the value is e^a·(a factor near 1) for an exponent a computed in
// float32, whose rounding, about |a|·2^−24, becomes a relative error of the
// value: the tolerance of values grows with |a|.
func TestSmoothActivationValues(t *testing.T) {
	tests := []struct {
		name       string
		fn         func(y, x, deriv []float32, _ float32)
		f, df      func(x float64) float64
		exponent   func(x float64) float64 // a, 0 where none
		valueTol   float64                 // relative, times 1 + |a|
		derivTol   float64                 // relative to max(|df|, 1): GELU's derivative cancels to 0 near x = −0.75
		lo, hi, by float64
	}{
		{"gelu", geluForward,
			func(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) },
			func(x float64) float64 {
				return 0.5*math.Erfc(-x/math.Sqrt2) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
			},
			func(x float64) float64 { return min(x, 0) * x / 2 },
			4e-7, 2e-7, -13, 13, 0.001},
		{"gelu tanh", geluTanhForward,
			// 0.5·(1+tanh(u)) as 1/(1+e^−2u), which keeps its tiny values far below 0.
			func(x float64) float64 { return x / (1 + math.Exp(-2*math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x))) },
			func(x float64) float64 {
				th := math.Tanh(math.Sqrt(2/math.Pi) * (x + 0.044715*x*x*x))
				return 0.5*(1+th) + 0.5*x*(1-th*th)*math.Sqrt(2/math.Pi)*(1+3*0.044715*x*x)
			},
			func(x float64) float64 { return 2 * math.Sqrt(2/math.Pi) * min(x+0.044715*x*x*x, 0) },
			3e-7, 2e-7, -9, 13, 0.001},
		{"silu", siluForward,
			func(x float64) float64 { return x / (1 + math.Exp(-x)) },
			func(x float64) float64 { s := 1 / (1 + math.Exp(-x)); return s * (1 + x*(1-s)) },
			func(x float64) float64 { return 0 }, // −x is exact
			3e-7, 2e-7, -80, 80, 0.003},
	}
	for _, tc := range tests {
		var x []float32
		for v := tc.lo; v <= tc.hi; v += tc.by {
			x = append(x, float32(v))
		}
		y, d := make([]float32, len(x)), make([]float32, len(x))
		tc.fn(y, x, d, 0)
		yEval := make([]float32, len(x))
		tc.fn(yEval, x, nil, 0)
		worstV, worstD := 0.0, 0.0
		for i, v := range x {
			if yEval[i] != y[i] {
				t.Fatalf("%s(%v): %v in training, %v in evaluation", tc.name, v, y[i], yEval[i])
			}
			want, wantD := tc.f(float64(v)), tc.df(float64(v))
			if e := math.Abs(float64(y[i])-want) / math.Max(math.Abs(want), 1e-38) / (1 + math.Abs(tc.exponent(float64(v)))); e > worstV {
				worstV = e
			}
			if e := math.Abs(float64(d[i])-wantD) / math.Max(math.Abs(wantD), 1); e > worstD {
				worstD = e
			}
		}
		if worstV > tc.valueTol || worstD > tc.derivTol {
			t.Errorf("%s: relative error of values up to %.3g·(1+|a|) (want ≤ %g), of derivatives %.3g (want ≤ %g)", tc.name, worstV, tc.valueTol, worstD, tc.derivTol)
		}
		nan := []float32{float32(math.NaN())}
		out := []float32{0}
		tc.fn(out, nan, nil, 0)
		if out[0] == out[0] {
			t.Errorf("%s(NaN) = %v, want NaN", tc.name, out[0])
		}
	}
}

// BenchmarkSmoothActivations times a training forward and backward of gelu
// (both forms) and silu over 64×64×16 values.
func BenchmarkSmoothActivations(b *testing.B) {
	in := Shape{64, 64, 16}
	for _, spec := range []LayerSpec{{Kind: KindGELU}, LayerSpec{Kind: KindGELU}.With("approximate", Value{Text: string(ApproxTanh)}), {Kind: KindSiLU}} {
		b.Run(string(withDefaults(spec).Kind)+" "+spec.Text("approximate"), func(b *testing.B) {
			net, err := Build(in, []LayerSpec{spec}, 1)
			if err != nil {
				b.Fatal(err)
			}
			x := benchInput(1, in)
			l := net.layers[0]
			b.SetBytes(int64(4 * in.Size()))
			for range b.N {
				y := l.forward(x, true)
				l.backward(y, true)
			}
		})
	}
}
