package nn

import "math"

// This file holds the activations built on the exponential — sigmoid, tanh,
// silu, elu and both forms of gelu — as fixed sequences of float32
// operations: the portable Go loops below and their vector twins (expf_*.s),
// which run the same operations in the same order with the same fused
// multiply-adds, so every level gives the same bits (expf_test.go checks it,
// and measures the error against float64 math). The products of the
// backward passes (multiply, sigmoid's and tanh's) have vector twins here
// too.
//
// The exponential, exp32: x is clamped to [−104, 89] (NaN stays NaN), split
// as x = n·ln2 + r with n = round(x·log2 e) and r reduced in two fused steps
// by the two parts of ln 2 (Cody and Waite), e^r is Cephes' degree-7
// polynomial 1 + r + r²·q(r) in Horner form, and the result p·2^n is
// p·2^(n>>1)·2^(n−n>>1): the first product is exact, the second rounds once,
// so subnormal results round correctly, e^x underflows to 0 below about
// −103.97 and overflows to +Inf above about 88.72. Over a dense sweep of
// inputs with a normal result it is within 1.0 ulp of e^x (expf_test.go).
//
// Every fused multiply-add of a portable loop is fma32, an exact float32
// fused multiply-add in float64 arithmetic. Products and sums that are not
// fused are rounded explicitly with float32(), so that no compiler fuses
// them (Go may on arm64 and for GOAMD64=v3).

// The constants of the exponential and of the activations. actK holds each
// replicated over 16 lanes, for the vector loops (expf_*.s read it at
// offsets 64·index; keep the order).
const (
	expLo   float32 = -104 // e^x rounds to 0 below it
	expHi   float32 = 89   // e^x overflows above it
	log2E   float32 = 1.44269504088896341
	ln2Hi   float32 = 0.693359375 // ln 2 = ln2Hi + ln2Lo; n·ln2Hi is exact for |n| ≤ 2^15
	ln2Lo   float32 = -2.12194440e-4
	expP0   float32 = 1.9875691500e-4 // Cephes expf: e^r ≈ 1 + r + r²·(P5 + r·(P4 + ...))
	expP1   float32 = 1.3981999507e-3
	expP2   float32 = 8.3334519073e-3
	expP3   float32 = 4.1665795894e-2
	expP4   float32 = 1.6666665459e-1
	expP5   float32 = 5.0000001201e-1
	expm1Lo float32 = -87 // below it e^x − 1 rounds to −1; above it 2^n is a normal float32

	tanhSmall float32 = 0.625 // below it tanh uses its own polynomial (Cephes tanhf)
	tanhT0    float32 = -5.70498872745e-3
	tanhT1    float32 = 2.06390887954e-2
	tanhT2    float32 = -5.37397155531e-2
	tanhT3    float32 = 1.33314422036e-1
	tanhT4    float32 = -3.33332819422e-1

	geluG0  float32 = -2 * sqrt2OverPi             // the exponent of the tanh form: x·(G0 + G1·x²)
	geluG1  float32 = -2 * sqrt2OverPi * geluCubic // = −2u
	geluH0  float32 = 2 * sqrt2OverPi              // its derivative's factor H0 + H1·x²
	geluH1  float32 = 2 * sqrt2OverPi * 3 * geluCubic
	geluCap float32 = 1e4 // x² beyond it changes no derivative (σ(1−σ) is 0) but could overflow

	// erfc(z) ≈ t·e^(−z²+Q(t)), t = 1/(1+z/2), Q of degree 9: the
	// Chebyshev fit of Press et al., Numerical Recipes (erfcc), with a
	// relative error below 1.2e-7 for all z ≥ 0.
	erfcQ0 float32 = -1.26551223
	erfcQ1 float32 = 1.00002368
	erfcQ2 float32 = 0.37409196
	erfcQ3 float32 = 0.09678418
	erfcQ4 float32 = -0.18628806
	erfcQ5 float32 = 0.27886807
	erfcQ6 float32 = -1.13520398
	erfcQ7 float32 = 1.48851587
	erfcQ8 float32 = -0.82215223
	erfcQ9 float32 = 0.17087277
)

// The indices of actK; the assembly reads constant i at offset 64·i.
const (
	kExpLo = iota
	kExpHi
	kLog2E
	kLn2Hi
	kLn2Lo
	kP0
	kP1
	kP2
	kP3
	kP4
	kP5
	kOne
	kBias // the integer 127, the exponent bias
	kAbs  // the bits 0x7fffffff
	kExpm1Lo
	kTanhSmall
	kT0
	kT1
	kT2
	kT3
	kT4
	kG0
	kG1
	kH0
	kH1
	kGeluCap
	kInvSqrt2
	kHalf
	kQ9
	kQ8
	kQ7
	kQ6
	kQ5
	kQ4
	kQ3
	kQ2
	kQ1
	kQ0
	kMinusHalf
	kInvSqrt2Pi
	kTwo
	kSign // the bits 0x80000000
	kCount
)

// actK is the table of constants of the vector loops, each over 16 lanes.
var actK = func() (k [kCount][16]uint32) {
	f := math.Float32bits
	v := [kCount]uint32{
		kExpLo: f(expLo), kExpHi: f(expHi), kLog2E: f(log2E), kLn2Hi: f(ln2Hi), kLn2Lo: f(ln2Lo),
		kP0: f(expP0), kP1: f(expP1), kP2: f(expP2), kP3: f(expP3), kP4: f(expP4), kP5: f(expP5),
		kOne: f(1), kBias: 127, kAbs: 0x7fffffff, kExpm1Lo: f(expm1Lo),
		kTanhSmall: f(tanhSmall), kT0: f(tanhT0), kT1: f(tanhT1), kT2: f(tanhT2), kT3: f(tanhT3), kT4: f(tanhT4),
		kG0: f(geluG0), kG1: f(geluG1), kH0: f(geluH0), kH1: f(geluH1), kGeluCap: f(geluCap),
		kInvSqrt2: f(invSqrt2), kHalf: f(0.5),
		kQ9: f(erfcQ9), kQ8: f(erfcQ8), kQ7: f(erfcQ7), kQ6: f(erfcQ6), kQ5: f(erfcQ5),
		kQ4: f(erfcQ4), kQ3: f(erfcQ3), kQ2: f(erfcQ2), kQ1: f(erfcQ1), kQ0: f(erfcQ0),
		kMinusHalf: f(-0.5), kInvSqrt2Pi: f(invSqrt2Pi), kTwo: f(2), kSign: 1 << 31,
	}
	for i, b := range v {
		for j := range k[i] {
			k[i][j] = b
		}
	}
	return k
}()

// fma32 is a·b + c rounded once to float32, as a fused multiply-add of
// the vector loops computes it. a·b is exact in float64; the sum, rounded
// to odd in float64 (to the neighbour with an odd last bit when inexact),
// then rounds to nearest float32 as the exact value would: float64 has more
// than twice float32's precision plus two bits (Boldo and Melquiond). A
// plain float32(math.FMA(a, b, c)) could round twice, differently.
func fma32(a, b, c float32) float32 {
	p, z := float64(a)*float64(b), float64(c)
	s := p + z
	bb := s - p
	if e := (p - (s - bb)) + (z - bb); e > 0 || e < 0 { // inexact (Knuth's two-sum); not NaN
		bits := math.Float64bits(s)
		if bits&1 == 0 {
			if (e > 0) == (s > 0) {
				bits++
			} else {
				bits--
			}
			s = math.Float64frombits(bits)
		}
	}
	return float32(s)
}

// expReduce clamps x to [lo, expHi] and splits it as n·ln2 + r, returning n
// (an integer, or NaN for a NaN x), r, and r + r²·q(r), the polynomial of
// e^r less 1.
func expReduce(x, lo float32) (n, r, pm1 float32) {
	if expHi < x { // as the vector min: a NaN x stays
		x = expHi
	}
	if lo > x {
		x = lo
	}
	n = float32(math.RoundToEven(float64(float32(x * log2E))))
	r = fma32(-n, ln2Hi, x)
	r = fma32(-n, ln2Lo, r)
	q := fma32(expP0, r, expP1)
	q = fma32(q, r, expP2)
	q = fma32(q, r, expP3)
	q = fma32(q, r, expP4)
	q = fma32(q, r, expP5)
	return n, r, fma32(q, float32(r*r), r)
}

// pow2 returns 2^k for an integer k in [−126, 127] from its exponent bits.
func pow2(k int32) float32 { return math.Float32frombits(uint32(k+127) << 23) }

// exp32 returns e^x (see the note at the top of the file).
func exp32(x float32) float32 {
	n, _, pm1 := expReduce(x, expLo)
	p := pm1 + 1
	k := int32(n) // n is in [−150, 129]; a NaN gives any k, and p is NaN
	k1 := k >> 1
	return float32(float32(p*pow2(k1)) * pow2(k-k1))
}

// expm1Neg32 returns e^x − 1 for x ≤ 0 (x > 0 is taken as 0), accurate for
// small |x| too: 2^n·(e^r − 1) + (2^n − 1) in one fused step.
func expm1Neg32(x float32) float32 {
	if x > 0 { // as the vector min: a NaN x stays
		x = 0
	}
	n, _, pm1 := expReduce(x, expm1Lo)
	s := pow2(int32(n)) // n is in [−126, 0]
	return fma32(s, pm1, s-1)
}

// abs32 returns |x|, clearing the sign bit (of a NaN too).
func abs32(x float32) float32 { return math.Float32frombits(math.Float32bits(x) &^ (1 << 31)) }

// sigmoid32 returns 1/(1+e^−x).
func sigmoid32(x float32) float32 { return 1 / (exp32(-x) + 1) }

// tanh32 returns tanh x: for |x| < 0.625 Cephes' odd polynomial
// x + x·z·T(z), z = x², else 1 − 2/(e^2|x| + 1) with the sign of x.
func tanh32(x float32) float32 {
	ax := abs32(x)
	if ax < tanhSmall {
		z := float32(x * x)
		t := fma32(tanhT0, z, tanhT1)
		t = fma32(t, z, tanhT2)
		t = fma32(t, z, tanhT3)
		t = fma32(t, z, tanhT4)
		return fma32(float32(t*z), x, x)
	}
	big := 1 - 2/(exp32(2*ax)+1)
	return math.Float32frombits(math.Float32bits(big) | math.Float32bits(x)&(1<<31))
}

// sigmoidLoopGo sets y = 1/(1+e^−x).
func sigmoidLoopGo(y, x, _ []float32, _ float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] = sigmoid32(v)
	}
}

// tanhLoopGo sets y = tanh x.
func tanhLoopGo(y, x, _ []float32, _ float32) {
	x = x[:len(y)]
	for i, v := range x {
		y[i] = tanh32(v)
	}
}

// siluLoopGo sets y = x·s, s = 1/(1+e), e = e^−x, and d (when not nil) to
// the derivative s·(1 + x·(1−s)), 1−s computed as e·s.
func siluLoopGo(y, x, d []float32, _ float32) {
	x = x[:len(y)]
	if d != nil {
		d = d[:len(y)]
	}
	for i, v := range x {
		e := exp32(-v)
		s := 1 / (e + 1)
		y[i] = float32(v * s)
		if d != nil {
			d[i] = float32(s * fma32(v, float32(e*s), 1)) // 1−s = e·s, without cancellation
		}
	}
}

// eluLoopGo sets y = x for x > 0 and e = alpha·(e^x − 1) otherwise, and d
// (when not nil) to the derivative: 1, or e + alpha.
func eluLoopGo(y, x, d []float32, alpha float32) {
	x = x[:len(y)]
	if d != nil {
		d = d[:len(y)]
	}
	for i, v := range x {
		yi, di := v, float32(1)
		if !(v > 0) {
			e := float32(alpha * expm1Neg32(v))
			yi, di = e, e+alpha
		}
		y[i] = yi
		if d != nil {
			d[i] = di
		}
	}
}

// geluTanhLoopGo sets y = x·s, s = 1/(1+e) = sigmoid(2u), e = e^(−2u), 2u =
// x·(H0 + 2·√(2/π)·0.044715·x²) the tanh form's argument doubled, and d
// (when not nil) to the derivative s + x·s·(1−s)·(H0 + H1·x²), 1−s
// computed as e·s.
func geluTanhLoopGo(y, x, d []float32, _ float32) {
	x = x[:len(y)]
	if d != nil {
		d = d[:len(y)]
	}
	for i, v := range x {
		x2 := float32(v * v)
		e := exp32(float32(v * fma32(x2, geluG1, geluG0)))
		s := 1 / (e + 1)
		y[i] = float32(v * s)
		if d != nil {
			if geluCap < x2 {
				x2 = geluCap
			}
			q := float32(float32(s*float32(e*s)) * v) // 1−s = e·s, without cancellation
			d[i] = fma32(q, fma32(x2, geluH1, geluH0), s)
		}
	}
}

// normal32 returns Φ(x), the standard normal distribution function:
// erfc(|x|/√2)/2 for x < 0 and 1 − erfc(|x|/√2)/2 otherwise, erfc by the
// approximation of Numerical Recipes (see erfcQ0).
func normal32(x float32) float32 {
	z := float32(abs32(x) * float32(invSqrt2))
	t := 1 / fma32(z, 0.5, 1)
	q := fma32(erfcQ9, t, erfcQ8)
	q = fma32(q, t, erfcQ7)
	q = fma32(q, t, erfcQ6)
	q = fma32(q, t, erfcQ5)
	q = fma32(q, t, erfcQ4)
	q = fma32(q, t, erfcQ3)
	q = fma32(q, t, erfcQ2)
	q = fma32(q, t, erfcQ1)
	q = fma32(q, t, erfcQ0)
	e := float32(float32(t*0.5) * exp32(fma32(-z, z, q)))
	if x < 0 {
		return e
	}
	return 1 - e
}

// geluLoopGo sets y = x·Φ(x), and d (when not nil) to the derivative
// Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π).
func geluLoopGo(y, x, d []float32, _ float32) {
	x = x[:len(y)]
	if d != nil {
		d = d[:len(y)]
	}
	for i, v := range x {
		cdf := normal32(v)
		y[i] = float32(v * cdf)
		if d != nil {
			pdf := float32(exp32(float32(float32(v*v)*-0.5)) * float32(invSqrt2Pi))
			d[i] = fma32(v, pdf, cdf)
		}
	}
}

// actLoops is one element-wise loop of the activations: its portable loop
// and its vector twins, which take a positive multiple of their width of
// values. The loops of the forward passes set y (and d, the derivative,
// when not nil) from x; those of the backward passes and multiply set y
// from x and a third input d.
type actLoops struct {
	goLoop             func(y, x, d []float32, alpha float32)
	avx512, avx2, neon func(y, x, d *float32, n int, alpha float32)
}

// The exp-based activations.
var (
	sigmoidLoops  = actLoops{sigmoidLoopGo, sigmoidAVX512, sigmoidAVX2, sigmoidNEON}
	tanhLoops     = actLoops{tanhLoopGo, tanhAVX512, tanhAVX2, tanhNEON}
	siluLoops     = actLoops{siluLoopGo, siluAVX512, siluAVX2, siluNEON}
	eluLoops      = actLoops{eluLoopGo, eluAVX512, eluAVX2, eluNEON}
	geluTanhLoops = actLoops{geluTanhLoopGo, geluTanhAVX512, geluTanhAVX2, geluTanhNEON}
	geluLoops     = actLoops{geluLoopGo, geluAVX512, geluAVX2, geluNEON}

	multiplyLoops    = actLoops{multiplyLoopGo, multiplyAVX512, multiplyAVX2, multiplyNEON}
	sigmoidBackLoops = actLoops{sigmoidBackLoopGo, sigmoidBackAVX512, sigmoidBackAVX2, sigmoidBackNEON}
	tanhBackLoops    = actLoops{tanhBackLoopGo, tanhBackAVX512, tanhBackAVX2, tanhBackNEON}
)

// multiplyLoopGo sets dst = a·b.
func multiplyLoopGo(dst, a, b []float32, _ float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i, v := range a {
		dst[i] = v * b[i]
	}
}

// sigmoidBackLoopGo sets dx = dy·y·(1−y).
func sigmoidBackLoopGo(dx, dy, y []float32, _ float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	for i, d := range dy {
		dx[i] = float32(d*y[i]) * (1 - y[i])
	}
}

// tanhBackLoopGo sets dx = dy·(1−y²).
func tanhBackLoopGo(dx, dy, y []float32, _ float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	for i, d := range dy {
		dx[i] = d * (1 - float32(y[i]*y[i]))
	}
}

// run sets y from x (and d, when not nil) with the vector loop of the level
// in use, the last values that fill no vector with the portable loop.
func (l *actLoops) run(y, x, d []float32, alpha float32) {
	x = x[:len(y)]
	if d != nil {
		d = d[:len(y)]
	}
	var vec func(y, x, d *float32, n int, alpha float32)
	width := 0
	switch simd {
	case simdAVX512:
		vec, width = l.avx512, 16
	case simdAVX2:
		vec, width = l.avx2, 8
	case simdNEON:
		vec, width = l.neon, 4
	}
	if n := len(y) &^ (width - 1); vec != nil && n > 0 {
		var dp *float32
		if d != nil {
			dp = &d[0]
			d = d[n:]
		}
		vec(&y[0], &x[0], dp, n, alpha)
		y, x = y[n:], x[n:]
	}
	l.goLoop(y, x, d, alpha)
}
