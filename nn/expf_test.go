package nn

import (
	"math"
	"math/big"
	"os"
	"testing"
)

// expKinds names the exp-based loops for the tests, with the float64
// function each computes (nil for none) and the derivative's.
var expKinds = []struct {
	name  string
	loops *actLoops
	alpha float32
	deriv bool // it sets d
}{
	{"sigmoid", &sigmoidLoops, 0, false},
	{"tanh", &tanhLoops, 0, false},
	{"silu", &siluLoops, 0, true},
	{"elu", &eluLoops, 1, true},
	{"elu alpha 0.3", &eluLoops, 0.3, true},
	{"gelu tanh", &geluTanhLoops, 0, true},
	{"gelu", &geluLoops, 0, true},
}

// ulps returns how many float32 spacings at want got is from it (for a
// want below the least normal float32, spacings of the subnormals).
func ulps(got float32, want float64) float64 {
	if math.IsInf(want, 0) || math.Abs(want) > math.MaxFloat32 {
		if math.IsInf(float64(got), int(math.Copysign(1, want))) {
			return 0
		}
		return math.Inf(1)
	}
	_, e := math.Frexp(math.Max(math.Abs(want), 0x1p-126))
	return math.Abs(float64(got)-want) / math.Ldexp(1, e-24)
}

// sweep calls f with every stride-th float32 of either sign below the
// magnitude limit, and with the special values.
func sweep(limit float32, stride uint32, f func(x float32)) {
	top := math.Float32bits(limit)
	for b := uint32(0); b <= top; b += stride {
		f(math.Float32frombits(b))
		f(-math.Float32frombits(b))
	}
	for _, v := range specialFloats {
		f(v)
	}
}

// TestExpAccuracy bounds the error of the exponential, e^x − 1 and the
// activations against float64 math over a dense sweep of inputs.
func TestExpAccuracy(t *testing.T) {
	stride := uint32(1009) // about 2 million inputs
	if testing.Short() {
		stride = 10007
	}
	for _, tc := range []struct {
		name    string
		f       func(float32) float32
		ref     func(float64) float64
		maxUlps float64 // with a result of at least 2^-126 in magnitude
		maxAbs  float64
	}{
		{"exp", exp32, math.Exp, 2, math.Inf(1)},
		{"expm1 (x ≤ 0)", func(x float32) float32 { return expm1Neg32(min(x, 0)) }, func(x float64) float64 { return math.Expm1(math.Min(x, 0)) }, 2, 1.2e-7},
		{"sigmoid", sigmoid32, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, 3, 1.2e-7},
		{"tanh", tanh32, math.Tanh, 2, 1.2e-7},
		{"normal", normal32, func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }, math.Inf(1), 3e-7},
	} {
		worstUlps, worstAbs := 0.0, 0.0
		var atUlps, atAbs float32
		sweep(120, stride, func(x float32) {
			got, want := tc.f(x), tc.ref(float64(x))
			if math.IsNaN(want) {
				if !math.IsNaN(float64(got)) {
					t.Errorf("%s(%v) = %v, want NaN", tc.name, x, got)
				}
				return
			}
			if math.Abs(want) >= 0x1p-126 {
				if u := ulps(got, want); u > worstUlps {
					worstUlps, atUlps = u, x
				}
			} else if math.Abs(float64(got)-want) > 0x1p-126 { // sigmoid flushes to 0 below −88.72
				t.Errorf("%s(%v) = %v, want %v (a subnormal or 0)", tc.name, x, got, want)
			}
			if a := math.Abs(float64(got) - want); a > worstAbs && !math.IsInf(float64(float32(want)), 0) {
				worstAbs, atAbs = a, x
			}
		})
		t.Logf("%s: at most %.2f ulp (at %v), absolute error at most %.3g (at %v)", tc.name, worstUlps, atUlps, worstAbs, atAbs)
		if worstUlps > tc.maxUlps {
			t.Errorf("%s: %.2f ulp at %v, want at most %v", tc.name, worstUlps, atUlps, tc.maxUlps)
		}
		if worstAbs > tc.maxAbs {
			t.Errorf("%s: absolute error %.3g at %v, want at most %v", tc.name, worstAbs, atAbs, tc.maxAbs)
		}
	}
	for _, tc := range []struct {
		x, want float32
	}{
		{0, 1}, {float32(math.Inf(-1)), 0}, {float32(math.Inf(1)), float32(math.Inf(1))},
		{-104, 0}, {-103.2789, math.SmallestNonzeroFloat32}, {88.72284, float32(math.Inf(1))}, {float32(math.NaN()), float32(math.NaN())},
	} {
		if got := exp32(tc.x); got != tc.want && !(got != got && tc.want != tc.want) {
			t.Errorf("exp32(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
}

// TestExpLoopsMatchFloat64 checks the layers' functions and derivatives
// against float64 math.
func TestExpLoopsMatchFloat64(t *testing.T) {
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	cdf := func(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }
	for _, tc := range []struct {
		loops  *actLoops
		alpha  float32
		f, df  func(float64) float64
		maxRel float64 // of y and d against max(|want|, 1e-3)
	}{
		{&sigmoidLoops, 0, sig, nil, 3e-7},
		{&tanhLoops, 0, math.Tanh, nil, 3e-7},
		{&siluLoops, 0, func(x float64) float64 { return x * sig(x) }, func(x float64) float64 { return sig(x) * (1 + x*(1-sig(x))) }, 1e-6},
		{&eluLoops, 0.7, func(x float64) float64 {
			if x > 0 {
				return x
			}
			return 0.7 * math.Expm1(x)
		}, func(x float64) float64 {
			if x > 0 {
				return 1
			}
			return 0.7 * math.Exp(x) // d = e + alpha: absolute error 1e-8 where e^x is tiny
		}, 1e-6},
		{&geluTanhLoops, 0, func(x float64) float64 { return x * sig(2*sqrt2OverPi*(x+geluCubic*x*x*x)) }, func(x float64) float64 {
			s := sig(2 * sqrt2OverPi * (x + geluCubic*x*x*x))
			return s + 2*x*s*(1-s)*sqrt2OverPi*(1+3*geluCubic*x*x)
		}, 1e-6},
		{&geluLoops, 0, func(x float64) float64 { return x * cdf(x) }, func(x float64) float64 { return cdf(x) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi) }, 2e-6},
	} {
		var x []float32
		for v := -30.0; v <= 30; v += 0.00137 {
			x = append(x, float32(v))
		}
		y, d := make([]float32, len(x)), make([]float32, len(x))
		tc.loops.run(y, x, d, tc.alpha)
		for i, v := range x {
			fv := float64(v)
			if e := math.Abs(float64(y[i])-tc.f(fv)) / math.Max(math.Abs(tc.f(fv)), 1e-3); e > tc.maxRel {
				t.Fatalf("%T: f(%v) = %v, want %v (error %.3g)", tc.loops.goLoop, v, y[i], tc.f(fv), e)
			}
			if tc.df != nil {
				if e := math.Abs(float64(d[i])-tc.df(fv)) / math.Max(math.Abs(tc.df(fv)), 0.1); e > tc.maxRel {
					t.Fatalf("%T: f′(%v) = %v, want %v (error %.3g)", tc.loops.goLoop, v, d[i], tc.df(fv), e)
				}
			}
		}
	}
}

// TestVectorExpLoopsMatchPortable checks that the loops of every level give
// the bits of the portable ones, for every tail length, special values and
// a wide range of magnitudes, and write nothing outside their outputs.
func TestVectorExpLoopsMatchPortable(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, k := range expKinds {
			for _, n := range []int{0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 100, 1000} {
				x, _ := guarded(t, n, uint64(n+1))
				for i := range x {
					x[i] *= float32(math.Exp2(float64(i%13) - 4)) // magnitudes 2^−4 to 2^8
				}
				sprinkle(x, 1)
				want, wantD := make([]float32, n), make([]float32, n)
				saved := simd
				simd = simdPortable
				k.loops.run(want, x, wantD, k.alpha)
				simd = saved
				y, checkY := guardedAt(t, 1, n, 99)
				d, checkD := guardedAt(t, 3, n, 98)
				k.loops.run(y, x, d, k.alpha)
				checkY()
				checkD()
				sameFloatsOrNaN(t, k.name+" y", y, want)
				if k.deriv {
					sameFloatsOrNaN(t, k.name+" d", d, wantD)
				}
				y2, checkY2 := guarded(t, n, 97)
				k.loops.run(y2, x, nil, k.alpha)
				checkY2()
				sameFloatsOrNaN(t, k.name+" y without d", y2, want)
			}
		}
	})
}

// TestVectorBackwardLoopsMatchPortable checks the loops of multiply and of
// the backward passes of sigmoid and tanh at every level against the
// portable ones.
func TestVectorBackwardLoopsMatchPortable(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, k := range []struct {
			name  string
			loops *actLoops
		}{{"multiply", &multiplyLoops}, {"sigmoid backward", &sigmoidBackLoops}, {"tanh backward", &tanhBackLoops}} {
			for _, n := range []int{0, 1, 3, 4, 7, 8, 15, 16, 17, 31, 32, 33, 100, 1000} {
				a, _ := guarded(t, n, uint64(n+1))
				b, _ := guardedAt(t, 2, n, uint64(n+50))
				sprinkle(a, 1)
				sprinkle(b, 2)
				want := make([]float32, n)
				saved := simd
				simd = simdPortable
				k.loops.run(want, a, b, 0)
				simd = saved
				got, check := guardedAt(t, 1, n, 99)
				k.loops.run(got, a, b, 0)
				check()
				sameFloatsOrNaN(t, k.name, got, want)
			}
		}
	})
}

// TestVectorExpLoopsExhaustive compares every level with the portable loops
// on all 2^32 float32 inputs. It takes minutes per loop and level: it runs
// only with CNNLAB_EXHAUSTIVE=1 (every loop) or CNNLAB_EXHAUSTIVE=NAME (the
// loop of that name in expKinds, e.g. tanh).
func TestVectorExpLoopsExhaustive(t *testing.T) {
	only := os.Getenv("CNNLAB_EXHAUSTIVE")
	if only == "" {
		t.Skip("set CNNLAB_EXHAUSTIVE=1 to compare all float32 inputs")
	}
	const block = 1 << 16
	x := make([]float32, block)
	y, d, wy, wd := make([]float32, block), make([]float32, block), make([]float32, block), make([]float32, block)
	forEachLevel(t, func(t *testing.T) {
		if simd == simdPortable {
			t.Skip("nothing to compare")
		}
		level := simd
		for _, k := range expKinds {
			if only != "1" && only != k.name {
				continue
			}
			for hi := uint64(0); hi < 1<<32; hi += block {
				for i := range x {
					x[i] = math.Float32frombits(uint32(hi) + uint32(i))
				}
				simd = level
				k.loops.run(y, x, d, k.alpha)
				simd = simdPortable
				k.loops.run(wy, x, wd, k.alpha)
				simd = level
				sameFloatsOrNaN(t, k.name+" y", y, wy)
				if k.deriv {
					sameFloatsOrNaN(t, k.name+" d", d, wd)
				}
			}
			t.Logf("%s: all inputs give the same bits", k.name)
		}
	})
}

// BenchmarkExpLoops times each loop on one block of elementGrain values,
// with the derivative.
func BenchmarkExpLoops(b *testing.B) {
	x, y, d := benchFloats(elementGrain, 1), make([]float32, elementGrain), make([]float32, elementGrain)
	for _, k := range expKinds {
		b.Run(k.name, func(b *testing.B) {
			benchLevels(b, func(b *testing.B) {
				b.SetBytes(12 * elementGrain)
				for b.Loop() {
					k.loops.run(y, x, d, k.alpha)
				}
			})
		})
	}
}

// TestFMA32 checks fma32 against a·b + c computed exactly with big.Float
// and rounded once, on cases where rounding twice (to float64, then to
// float32) goes wrong, and on random ones.
func TestFMA32(t *testing.T) {
	cases := [][3]float32{
		{1 + 0x1p-23, 1 + 0x1p-23, 0}, // exact
		{4097, 4097 * (1 + 0x1p-12), 0x1p-60},
		{float32(math.Inf(1)), 1, 1}, {float32(math.Inf(-1)), 1, 1}, {1, 1, float32(math.Inf(-1))},
		{math.MaxFloat32, 2, 0}, {0x1p-100, 0x1p-60, 0}, {0x1p-100, 0x1p-60, -0x1p-149},
	}
	// 97·172961·2^−24 = 1 + 2^−24, a float32 midpoint, plus a tiny c:
	// float64 rounds the sum to the midpoint, float32 then to even.
	cases = append(cases, [3]float32{97, 172961 * 0x1p-24, 0x1p-70}, [3]float32{97, 172961 * 0x1p-24, -0x1p-70},
		[3]float32{-97, 172961 * 0x1p-24, 0x1p-70}, [3]float32{-97, 172961 * 0x1p-24, -0x1p-70})
	r := NewRand(7, 1)
	for range 100000 {
		a := math.Float32frombits(uint32(r.Uint64()))
		b := math.Float32frombits(uint32(r.Uint64())&0x807fffff | 0x3f800000) // in ±[1, 2)
		c := float32(float64(a) * float64(b) * (1 + 0x1p-30*float64(int32(r.Uint64()))))
		cases = append(cases, [3]float32{a, b, c})
	}
	for _, c := range cases {
		got := fma32(c[0], c[1], c[2])
		want := exactFMA32(c[0], c[1], c[2])
		if math.Float32bits(got) != math.Float32bits(want) && !(got != got && want != want) {
			t.Fatalf("fma32(%g, %g, %g) = %g (%#x), want %g (%#x)", c[0], c[1], c[2], got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
}

// exactFMA32 is a·b + c rounded once to float32, with big.Float.
func exactFMA32(a, b, c float32) float32 {
	if math.IsInf(float64(a), 0) || math.IsInf(float64(b), 0) || math.IsInf(float64(c), 0) || a != a || b != b || c != c {
		return float32(float64(a)*float64(b) + float64(c))
	}
	x := new(big.Float).SetPrec(200).SetFloat64(float64(a))
	x.Mul(x, new(big.Float).SetPrec(200).SetFloat64(float64(b)))
	x.Add(x, new(big.Float).SetPrec(200).SetFloat64(float64(c)))
	f, _ := x.Float32()
	return f
}
