package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

// The vector loops of every level must give the same bits as their portable
// twins, write nothing outside their output, and handle every tail length.

// forEachLevel runs f as a subtest once for each level of loops this CPU
// can run, with simd set to it.
func forEachLevel(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	defer func(saved simdLevel) { simd = saved }(simd)
	for _, l := range availableLevels() {
		simd = l
		t.Run(l.String(), f)
	}
}

func TestLevelFor(t *testing.T) {
	for _, tc := range []struct {
		kernel string
		want   simdLevel
	}{
		{"avx512", simdAVX512},
		{"avx2", simdAVX2},
		{"portable", simdPortable},
		{"", simdPortable},
		{"neon", simdNEON},
	} {
		if got := levelFor(tc.kernel); got != tc.want {
			t.Errorf("levelFor(%q) = %v, want %v", tc.kernel, got, tc.want)
		}
	}
	if got, want := simd, levelFor(gemm.Kernel()); got != want {
		t.Errorf("simd = %v with gemm kernel %q, want %v", got, gemm.Kernel(), want)
	}
	levels := availableLevels()
	if len(levels) == 0 || levels[len(levels)-1] != simdPortable {
		t.Errorf("availableLevels() = %v, want simdPortable last", levels)
	}
	for i := 1; i < len(levels); i++ {
		if levels[i] >= levels[i-1] {
			t.Errorf("availableLevels() = %v, want best first", levels)
		}
	}
	for _, l := range []simdLevel{simdPortable, simdAVX2, simdAVX512, simdNEON} {
		if levelFor(l.String()) != l {
			t.Errorf("levelFor(%v.String()) = %v", l, levelFor(l.String()))
		}
	}
}

// guarded returns a slice of n random values that starts off values into
// its buffer, between guard values, and a check that the guards are
// untouched. An odd off makes the slice start off the alignment of a vector.
func guardedAt(t *testing.T, off, n int, seed uint64) ([]float32, func()) {
	t.Helper()
	buf := make([]float32, off+n+17)
	normalInput(NewRand(seed, 5), buf[off:off+n])
	for i := range buf {
		if i < off || i >= off+n {
			buf[i] = 12345
		}
	}
	return buf[off : off+n], func() {
		t.Helper()
		for i := range buf {
			if (i < off || i >= off+n) && buf[i] != 12345 {
				t.Fatalf("n=%d at %d: wrote outside the slice (buffer index %d)", n, off, i)
			}
		}
	}
}

// guarded is guardedAt at the start of its buffer.
func guarded(t *testing.T, n int, seed uint64) ([]float32, func()) {
	t.Helper()
	return guardedAt(t, 0, n, seed)
}

func sameFloats(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if !sameBits(got, want) {
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%s: index %d of %d: %v %v (%#x), portable %v (%#x)", what, i, len(got), simd, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
			}
		}
	}
}

// specialFloats are values whose sign, zero or NaN handling a vector loop
// could get wrong.
var specialFloats = []float32{
	0, float32(math.Copysign(0, -1)),
	float32(math.NaN()), math.Float32frombits(0xffc00000), // quiet NaNs, + and −
	math.Float32frombits(0x7f800001), math.Float32frombits(0xff800123), // signalling NaNs
	float32(math.Inf(1)), float32(math.Inf(-1)),
	math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
	math.MaxFloat32, -math.MaxFloat32, 1, -1,
}

// sprinkle overwrites some of x, from index i0 on, with the special values.
func sprinkle(x []float32, i0 int) {
	for i := i0; i < len(x); i += 3 {
		x[i] = specialFloats[(i/3)%len(specialFloats)]
	}
}

func TestVectorReLUMatchesPortable(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, off := range []int{0, 1, 3} {
			for n := 0; n <= 67; n++ {
				x, _ := guardedAt(t, off, n, uint64(n))
				sprinkle(x, n%3)
				y, ok := guardedAt(t, off, n, 1000)
				want := make([]float32, n)
				reluForward(y, x, nil, 0)
				ok()
				reluForwardGo(want, x)
				sameFloats(t, "relu forward", y, want)
				for i, v := range y { // and it is a ReLU
					if math.Float32bits(v)>>31 != 0 || (x[i] > 0 && v != x[i]) || (x[i] <= 0 && v != 0) {
						t.Fatalf("relu(%v) = %v", x[i], v)
					}
				}

				// The gradient for y as reluForward leaves it, and for any y.
				for _, anyY := range []bool{false, true} {
					if anyY {
						normalInput(NewRand(uint64(n), 9), y)
						sprinkle(y, (n+1)%3)
					}
					dy, _ := guardedAt(t, off, n, uint64(n)+77)
					sprinkle(dy, (n+2)%3)
					dx, ok := guardedAt(t, 2-off%2, n, 2000)
					reluBackward(dx, dy, y, 0)
					ok()
					reluBackwardGo(want, dy, y)
					sameFloats(t, "relu backward", dx, want)
				}
			}
		}
	})
}

func TestVectorRowsMatchPortable(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, off := range []int{0, 1} {
			for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 15, 16, 17, 23, 24, 25, 28, 31, 32, 33, 40, 64, 100} {
				for _, rows := range []int{0, 1, 2, 3, 7, 64} {
					b, _ := guardedAt(t, off, n, 3)
					y, ok := guardedAt(t, 1-off, rows*n, 4)
					want := append([]float32(nil), y...)
					addRows(y, b)
					ok()
					addRowsGo(want, b)
					sameFloats(t, "add rows", y, want)

					s, ok := guardedAt(t, off+2, n, 5)
					sumRows(s, y)
					ok()
					ws := make([]float32, n)
					sumRowsGo(ws, y)
					sameFloats(t, "sum rows", s, ws)
					for j := range n { // and the sum is right
						var exact float64
						for r := range rows {
							exact += float64(y[r*n+j])
						}
						if math.Abs(exact-float64(s[j])) > 1e-4*(1+math.Abs(exact)) {
							t.Fatalf("sum rows n=%d rows=%d column %d: %v, want %v", n, rows, j, s[j], exact)
						}
					}
				}
			}
		}
	})
}

func TestVectorAdamMatchesPortable(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		k := &adamConsts{b1: 0.9, ob1: 1 - 0.9, b2: 0.999, ob2: 1 - 0.999, c1: 1 / (1 - 0.9*0.9), c2: 1 / (1 - 0.999*0.999), lr: 1e-3, eps: 1e-8}
		for _, decay := range []float32{0, 1e-4} {
			k.decay = decay
			for _, off := range []int{0, 1} {
				for n := 0; n <= 67; n++ {
					w, okW := guardedAt(t, off, n, 1)
					g, _ := guardedAt(t, 1-off, n, 2)
					m, okM := guardedAt(t, off, n, 3)
					v, okV := guardedAt(t, 1-off, n, 4)
					for i := range v {
						v[i] = v[i] * v[i] // second moments are not negative
					}
					if n > 2 {
						g[n-1], v[n-2], m[n-2] = 0, 0, 0
					}
					w2, m2, v2 := append([]float32(nil), w...), append([]float32(nil), m...), append([]float32(nil), v...)
					adamUpdate(w, g, m, v, k)
					okW()
					okM()
					okV()
					adamUpdateGo(w2, g, m2, v2, k)
					sameFloats(t, "adam w", w, w2)
					sameFloats(t, "adam m", m, m2)
					sameFloats(t, "adam v", v, v2)
				}
			}
		}
	})
}

// poolImage is an h×w×c image of random values with ties (the first one
// must win), NaNs (which never win, but stay if they come first), zeros of
// both signs and infinities.
func poolImage(t *testing.T, h, w, c int) []float32 {
	img, _ := guarded(t, h*w*c, uint64(c))
	for i := 0; i < len(img); i += 7 {
		img[i] = 0.5
	}
	for i := 3; i < len(img); i += 11 {
		img[i] = specialFloats[(i/11)%len(specialFloats)]
	}
	return img
}

func TestVectorMaxWindowMatchesPortable(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, c := range []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 28, 33, 40} {
			const h, w = 7, 6
			img := poolImage(t, h, w, c)
			for _, win := range [][4]int{{0, 0, 1, 1}, {0, 0, 2, 2}, {1, 2, 3, 3}, {4, 3, 3, 3}, {6, 5, 1, 1}, {2, 0, 5, 2}, {0, 0, 7, 6}} {
				r0, c0, rows, cols := win[0], win[1], win[2], win[3]
				first := (r0*w + c0) * c
				best, okB := guardedAt(t, 1, c, 9)
				arg := make([]int32, c+3)
				maxWindows(best, arg[:c], img, first, rows, cols, w*c, c, 0)
				okB()
				if arg[c] != 0 {
					t.Fatalf("c=%d: wrote past the end of arg", c)
				}
				wantBest, wantArg := make([]float32, c), make([]int32, c)
				maxWindowGo(wantBest, wantArg, img, first, rows, cols, w*c)
				sameFloats(t, "max pool", best, wantBest)
				for q := range c {
					if arg[q] != wantArg[q] {
						t.Fatalf("c=%d window %v channel %d: winner %d, portable %d", c, win, q, arg[q], wantArg[q])
					}
				}
			}
		}
	})
}

func TestVectorMaxWindowsMatchPortable(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, c := range []int{1, 3, 8, 12, 16, 28, 33} {
			const h, w = 6, 13
			img := poolImage(t, h, w, c)
			for _, tc := range []struct{ first, rows, cols, step, count int }{
				{0, 2, 2, 2 * c, 6}, {w * c, 3, 3, 2 * c, 5}, {c, 2, 3, 3 * c, 3}, {2 * w * c, 1, 1, c, 13},
			} {
				best, okB := guarded(t, tc.count*c, 9)
				arg := make([]int32, tc.count*c+3)
				maxWindows(best, arg[:tc.count*c], img, tc.first, tc.rows, tc.cols, w*c, c, tc.step)
				okB()
				if arg[tc.count*c] != 0 {
					t.Fatalf("c=%d: wrote past the end of arg", c)
				}
				for k := range tc.count {
					wantBest, wantArg := make([]float32, c), make([]int32, c)
					maxWindowGo(wantBest, wantArg, img, tc.first+k*tc.step, tc.rows, tc.cols, w*c)
					sameFloats(t, "max pool", best[k*c:k*c+c], wantBest)
					for q := range c {
						if arg[k*c+q] != wantArg[q] {
							t.Fatalf("c=%d %+v window %d channel %d: winner %d, portable %d", c, tc, k, q, arg[k*c+q], wantArg[q])
						}
					}
				}
			}
		}
	})
}

// TestVectorMaxUnpoolMatchesPortable checks the backward pass of 2×2 max
// pooling, which the vector levels write window by window (maxUnpool)
// where the portable loop adds the gradient into a cleared dx: the same
// bits, with ties, NaNs, zeros of both signs and infinities among the
// inputs and the gradients, and nothing written outside the images.
func TestVectorMaxUnpoolMatchesPortable(t *testing.T) {
	const batch = 2
	for _, c := range []int{1, 3, 8, 12, 16, 17, 28, 33} {
		in := Shape{H: 6, W: 8, C: c}
		net, err := Build(in, []LayerSpec{{Kind: KindMaxPool, KernelH: 2, KernelW: 2}}, 1)
		if err != nil {
			t.Fatal(err)
		}
		l := net.layers[0].(*maxPool)
		if !l.geom.tiles2x2() {
			t.Fatalf("c=%d: 2×2 pooling of 6×8 does not tile it", c)
		}
		x := NewTensor(batch, in.H, in.W, in.C)
		copy(x.Data, poolImage(t, batch*in.H, in.W, c))
		dy := NewTensor(batch, 3, 4, c)
		g, _ := guarded(t, len(dy.Data), uint64(c))
		copy(dy.Data, g)
		for i := 1; i < len(dy.Data); i += 5 {
			dy.Data[i] = specialFloats[(i/5)%len(specialFloats)]
		}
		backward := func() []float32 {
			l.forward(x, true)
			l.dx.resize(batch, in.H, in.W, in.C)
			for i := range l.dx.Data {
				l.dx.Data[i] = 12345 // every value must be written
			}
			l.dy = dy
			l.backwardExamples(0, batch)
			return append([]float32(nil), l.dx.Data...)
		}
		saved := simd
		simd = simdPortable
		want := backward()
		simd = saved
		t.Run(fmt.Sprintf("c=%d", c), func(t *testing.T) {
			forEachLevel(t, func(t *testing.T) {
				sameFloats(t, "max pool gradient", backward(), want)
			})
		})
	}
}

// guarded64 is guardedAt for float64 values.
func guarded64(t *testing.T, off, n int, seed uint64) ([]float64, func()) {
	t.Helper()
	x, _ := guardedAt(t, 0, n, seed)
	buf := make([]float64, off+n+9)
	for i := range buf {
		buf[i] = 12345
		if i >= off && i < off+n {
			buf[i] = float64(x[i-off])
		}
	}
	return buf[off : off+n], func() {
		t.Helper()
		for i := range buf {
			if (i < off || i >= off+n) && buf[i] != 12345 {
				t.Fatalf("n=%d at %d: wrote outside the slice (buffer index %d)", n, off, i)
			}
		}
	}
}

// sameFloat64s checks that got and want have the same bits, except that any
// NaN matches any NaN: which NaN an operation on two NaNs gives depends on
// the order of its operands, which Go does not fix for an addition or a
// multiplication.
func sameFloat64s(t *testing.T, what string, got, want []float64) {
	t.Helper()
	for i := range got {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
			t.Fatalf("%s: index %d of %d: %v %v, portable %v", what, i, len(got), simd, got[i], want[i])
		}
	}
}

// sameFloatsOrNaN is sameFloat64s for float32 values.
func sameFloatsOrNaN(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(math.IsNaN(g) && math.IsNaN(w)) {
			t.Fatalf("%s: index %d of %d: %v %v (%#x), portable %v (%#x)", what, i, len(got), simd, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

func TestVectorBatchNormLoopsMatchPortable(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, c := range []int{1, 5, 15, 16, 17, 31, 32, 33, 48, 64, 100} {
			for _, rows := range []int{0, 1, 2, 7, 33} {
				off := (c + rows) % 3 // unaligned starts too
				n := rows * c
				x, _ := guardedAt(t, off, n, 1)
				sprinkle(x, c%3)
				mean, _ := guarded64(t, 1, c, 2)
				what := fmt.Sprintf("c=%d rows=%d", c, rows)

				acc, ok := guarded64(t, off, c, 3)
				want := append([]float64(nil), acc...)
				channelSums(acc, x)
				ok()
				channelSumsGo(want, x, 0)
				sameFloat64s(t, "channel sums "+what, acc, want)

				acc, ok = guarded64(t, 2-off, c, 4)
				want = append([]float64(nil), acc...)
				channelSquares(acc, x, mean)
				ok()
				channelSquaresGo(want, x, mean, 0)
				sameFloat64s(t, "channel squares "+what, acc, want)

				dy, _ := guardedAt(t, 1, n, 5)
				sumD, okD := guarded64(t, off, c, 6)
				sumDH, okDH := guarded64(t, 1, c, 7)
				wantD, wantDH := append([]float64(nil), sumD...), append([]float64(nil), sumDH...)
				channelGradSums(sumD, sumDH, dy, x)
				okD()
				okDH()
				channelGradSumsGo(wantD, wantDH, dy, x, 0)
				sameFloat64s(t, "channel gradient sums of dy "+what, sumD, wantD)
				sameFloat64s(t, "channel gradient sums of dy·xhat "+what, sumDH, wantDH)

				m, _ := guardedAt(t, 2, c, 8)
				inv, _ := guardedAt(t, 0, c, 9)
				g, _ := guardedAt(t, 1, c, 10)
				b, _ := guardedAt(t, 2, c, 11)
				y, okY := guardedAt(t, off, n, 12)
				xhat, okH := guardedAt(t, 2-off, n, 13)
				wantY, wantH := append([]float32(nil), y...), append([]float32(nil), xhat...)
				normalize(y, xhat, x, m, inv, g, b)
				okY()
				okH()
				normalizeGo(wantY, wantH, x, m, inv, g, b, 0)
				sameFloatsOrNaN(t, "normalize y "+what, y, wantY)
				sameFloatsOrNaN(t, "normalize xhat "+what, xhat, wantH)

				dx, okX := guardedAt(t, 1-off%2, n, 14)
				wantX := append([]float32(nil), dx...)
				inputGrad(dx, dy, x, m, inv, g)
				okX()
				inputGradGo(wantX, dy, x, m, inv, g, 0)
				sameFloatsOrNaN(t, "input gradient "+what, dx, wantX)

				y, okY = guardedAt(t, 2-off, n, 15)
				wantY = append([]float32(nil), y...)
				scaleShift(y, x, g, b)
				okY()
				scaleShiftGo(wantY, x, g, b, 0)
				sameFloatsOrNaN(t, "scale and shift "+what, y, wantY)
			}
		}
	})
}

// TestPortableLoopsTrainTheSameNetwork trains whole networks (one with a
// layer of every kind, and the seed MNIST network, whose conv runs the loops
// of smallconv.go) on the portable loops and on those of every other level,
// and compares the weights.
func TestPortableLoopsTrainTheSameNetwork(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    Shape
		specs []LayerSpec
	}{
		{"all kinds", Shape{24, 24, 3}, allKindsSpecs()},
		{"mnist", Shape{28, 28, 1}, mnistSpecs()},
	} {
		train := func() []*Param {
			net, err := Build(tc.in, tc.specs, 4)
			if err != nil {
				t.Fatal(err)
			}
			x := benchInput(16, tc.in)
			labels := make([]int, 16)
			for i := range labels {
				labels[i] = i % 10
			}
			trainSteps(t, net, NewAdam(AdamConfig{}), x, labels, 3, 1e-2)
			return net.savedTensors()
		}
		defer func(saved simdLevel) { simd = saved }(simd)
		simd = simdPortable
		portable := train()
		for _, l := range availableLevels() {
			if l == simdPortable {
				continue
			}
			simd = l
			fast := train()
			for i := range fast {
				sameFloats(t, tc.name+" "+fast[i].key(), fast[i].Value, portable[i].Value)
			}
		}
	}
}

// TestVectorSmallConvMatchesPortable checks the direct conv loops against
// their portable twins, on rows of an im2col matrix (contiguous) and on
// windows read from an image (rows of 3 values 11 apart, windows 2 apart,
// overlapping), with a as short as the loops accept.
func TestVectorSmallConvMatchesPortable(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for n := 1; n <= smallWidth; n++ {
			for _, k := range []int{1, 3, 9, 10, 11, 16, 27, smallForwardK} {
				for _, windows := range []bool{false, true} {
					for _, m := range []int{0, 1, 2, 3, 4, 5, 9} {
						smallConvCase(t, n, k, m, windows)
					}
				}
			}
		}
	})
}

// smallConvCase checks one shape of TestVectorSmallConvMatchesPortable.
func smallConvCase(t *testing.T, n, k, m int, windows bool) {
	t.Helper()
	var off []int
	lda, span := k+2, k
	if windows {
		off = make([]int, k)
		for p := range off {
			off[p] = p/3*11 + p%3
		}
		lda, span = 2, off[k-1]+1
	}
	all, _, _ := offsets(off, k)
	a, _ := guardedAt(t, n%2, max(m-1, 0)*lda+span, 1)
	b, _ := guarded(t, k*(n+5), 2)
	bias, _ := guardedAt(t, 1, n, 3)
	const ldc = 40
	c, ok := guardedAt(t, n%3, m*ldc, 4)
	want := append([]float32(nil), c...)
	// lda and ldb = n+5 test the strides.
	if m > 0 {
		smallForward(c, ldc, a, lda, off, b, n+5, bias, m, n, k)
		if windows {
			smallForwardAtGo(want, ldc, a, lda, all, b, n+5, bias, m, n, k)
		} else {
			smallForwardGo(want, ldc, a, lda, b, n+5, bias, m, n, k)
		}
	}
	ok()
	sameFloats(t, "small forward", c, want)

	// d is as short as the loops accept: its last row ends at column n.
	acc, ok := guarded(t, (k+1)*smallWidth, 5)
	wantAcc := append([]float32(nil), acc...)
	d, _ := guardedAt(t, 1, max(m-1, 0)*ldc+n, 6)
	if m > 0 {
		smallWeightGrad(acc, a, lda, off, d, ldc, m, n, k)
		smallWeightGradGo(wantAcc, a, lda, all, d, ldc, m, n, k)
	}
	ok()
	for p := range k + 1 { // columns past n are the assembly's to use
		sameFloats(t, "small weight gradient", acc[p*smallWidth:p*smallWidth+n], wantAcc[p*smallWidth:p*smallWidth+n])
	}
}

// benchLevels runs f as a sub-benchmark once for each level of loops this
// CPU can run, with simd set to it.
func benchLevels(b *testing.B, f func(b *testing.B)) {
	defer func(saved simdLevel) { simd = saved }(simd)
	for _, l := range availableLevels() {
		simd = l
		b.Run(l.String(), f)
	}
}

// benchFloats returns n normal random values.
func benchFloats(n int, seed uint64) []float32 {
	x := make([]float32, n)
	normalInput(NewRand(seed, 5), x)
	return x
}

// The benchmarks of the vector loops run them on one block of the sizes the
// layers hand them (elementGrain values, rowGrain values of rows) or, for
// max pooling and the direct conv loops, on one example or block of the seed
// MNIST network.

func BenchmarkReLUForward(b *testing.B) {
	x, y := benchFloats(elementGrain, 1), make([]float32, elementGrain)
	benchLevels(b, func(b *testing.B) {
		b.SetBytes(8 * elementGrain)
		for b.Loop() {
			reluForward(y, x, nil, 0)
		}
	})
}

func BenchmarkReLUBackward(b *testing.B) {
	y, dy, dx := benchFloats(elementGrain, 1), benchFloats(elementGrain, 2), make([]float32, elementGrain)
	reluForward(y, y, nil, 0)
	benchLevels(b, func(b *testing.B) {
		b.SetBytes(12 * elementGrain)
		for b.Loop() {
			reluBackward(dx, dy, y, 0)
		}
	})
}

func BenchmarkAddRows(b *testing.B) {
	for _, n := range []int{10, 28, 100, 128} {
		y, bias := benchFloats(rowsPerBlock(n)*n, 1), benchFloats(n, 2)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			benchLevels(b, func(b *testing.B) {
				b.SetBytes(int64(8 * len(y)))
				for b.Loop() {
					addRows(y, bias)
				}
			})
		})
	}
}

func BenchmarkSumRows(b *testing.B) {
	for _, n := range []int{10, 28, 128} {
		y, s := benchFloats(columnSumRows(n)*n, 1), make([]float32, n)
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			benchLevels(b, func(b *testing.B) {
				b.SetBytes(int64(4 * len(y)))
				for b.Loop() {
					sumRows(s, y)
				}
			})
		})
	}
}

func BenchmarkAdam(b *testing.B) {
	w, g, m, v := benchFloats(elementGrain, 1), benchFloats(elementGrain, 2), make([]float32, elementGrain), make([]float32, elementGrain)
	k := &adamConsts{b1: 0.9, ob1: 1 - 0.9, b2: 0.999, ob2: 1 - 0.999, c1: 10, c2: 1000, lr: 1e-3, eps: 1e-8}
	benchLevels(b, func(b *testing.B) {
		b.SetBytes(28 * elementGrain)
		for b.Loop() {
			adamUpdate(w, g, m, v, k)
		}
	})
}

// BenchmarkMaxPool pools one 26×26×28 example of the seed MNIST network
// with 2×2 windows, row of windows by row of windows, as the layer does.
func BenchmarkMaxPool(b *testing.B) {
	const h, w, c, oh, ow = 26, 26, 28, 13, 13
	img := benchFloats(h*w*c, 1)
	best, arg := make([]float32, oh*ow*c), make([]int32, oh*ow*c)
	benchLevels(b, func(b *testing.B) {
		b.SetBytes(4 * h * w * c)
		for b.Loop() {
			for r := range oh {
				o := r * ow * c
				maxWindows(best[o:o+ow*c], arg[o:o+ow*c], img, 2*r*w*c, 2, 2, w*c, c, 2*c)
			}
		}
	})
}

// BenchmarkMaxPoolBackward routes the gradient of one 26×26×28 example of
// the seed MNIST network back through its 2×2 windows, as the layer does.
func BenchmarkMaxPoolBackward(b *testing.B) {
	in := Shape{H: 26, W: 26, C: 28}
	net, err := Build(in, []LayerSpec{{Kind: KindMaxPool, KernelH: 2, KernelW: 2}}, 1)
	if err != nil {
		b.Fatal(err)
	}
	l := net.layers[0].(*maxPool)
	x, dy := benchInput(1, in), benchInput(1, Shape{H: 13, W: 13, C: 28})
	benchLevels(b, func(b *testing.B) {
		l.forward(x, true)
		l.dx.resize(1, in.H, in.W, in.C)
		l.dy = dy
		b.SetBytes(4 * int64(in.Size()))
		for b.Loop() {
			l.backwardExamples(0, 1)
		}
	})
}

// BenchmarkSmallConv runs the direct conv loops on one block of rows of the
// seed MNIST conv (3×3 window over one channel, 28 filters).
func BenchmarkSmallConv(b *testing.B) {
	const m, k, f = smallRows, 9, 28
	col, wt, bias, d := benchFloats(m*k, 1), benchFloats(k*f, 2), benchFloats(f, 3), benchFloats(m*f, 4)
	out, acc := make([]float32, m*f), make([]float32, (k+1)*smallWidth)
	flops := 2 * float64(m*k*f)
	b.Run("forward", func(b *testing.B) {
		benchLevels(b, func(b *testing.B) {
			for b.Loop() {
				smallForward(out, f, col, k, nil, wt, f, bias, m, f, k)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	})
	b.Run("weight gradient", func(b *testing.B) {
		benchLevels(b, func(b *testing.B) {
			for b.Loop() {
				smallWeightGrad(acc, col, k, nil, d, f, m, f, k)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	})
}

// BenchmarkBatchNorm runs a training forward and backward pass of batch norm,
// and an eval-mode forward pass, over 16×16×64 examples (the first batch
// norm of the seed CIFAR-10 network) and over 512 features (one of its dense
// blocks), at batch 32.
func BenchmarkBatchNorm(b *testing.B) {
	for _, in := range []Shape{{16, 16, 64}, {1, 1, 512}} {
		const batch = 32
		net, err := Build(in, []LayerSpec{{Kind: KindBatchNorm}}, 1)
		if err != nil {
			b.Fatal(err)
		}
		l := net.layers[0].(*batchNorm)
		x, dy := benchInput(batch, in), benchInput(batch, in)
		b.Run(fmt.Sprintf("%dx%dx%d", in.H, in.W, in.C), func(b *testing.B) {
			benchLevels(b, func(b *testing.B) {
				b.SetBytes(4 * batch * int64(in.Size()))
				for b.Loop() {
					l.forward(x, true)
					l.backward(dy, true)
				}
			})
		})
		b.Run(fmt.Sprintf("%dx%dx%d eval", in.H, in.W, in.C), func(b *testing.B) {
			benchLevels(b, func(b *testing.B) {
				b.SetBytes(4 * batch * int64(in.Size()))
				for b.Loop() {
					l.forward(x, false)
				}
			})
		})
	}
}
