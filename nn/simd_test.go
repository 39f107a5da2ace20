package nn

import (
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

// guarded returns a slice of n random values followed by guard values, and
// a check that the guards are untouched.
func guarded(t *testing.T, n int, seed uint64) ([]float32, func()) {
	t.Helper()
	buf := make([]float32, n+17)
	normalInput(NewRand(seed, 5), buf[:n])
	for i := n; i < len(buf); i++ {
		buf[i] = 12345
	}
	return buf[:n], func() {
		t.Helper()
		for i := n; i < len(buf); i++ {
			if buf[i] != 12345 {
				t.Fatalf("n=%d: wrote past the end (index %d)", n, i)
			}
		}
	}
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

func TestVectorElementwiseMatchesPortable(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for n := 0; n <= 67; n++ {
			x, _ := guarded(t, n, uint64(n))
			if n > 2 {
				x[1] = float32(math.Copysign(0, -1)) // −0 must give +0
				x[2] = 0
			}
			y, ok := guarded(t, n, 1000)
			want := make([]float32, n)
			reluForward(y, x, nil, 0)
			ok()
			reluForwardGo(want, x)
			sameFloats(t, "relu forward", y, want)

			dy, _ := guarded(t, n, uint64(n)+77)
			dx, ok := guarded(t, n, 2000)
			reluBackward(dx, dy, y, 0)
			ok()
			reluBackwardGo(want, dy, y)
			sameFloats(t, "relu backward", dx, want)
		}
	})
}

func TestVectorRowsMatchPortable(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, n := range []int{1, 3, 15, 16, 17, 28, 31, 32, 33, 64, 100} {
			for _, rows := range []int{0, 1, 2, 3, 7, 64} {
				b, _ := guarded(t, n, 3)
				y, ok := guarded(t, rows*n, 4)
				want := append([]float32(nil), y...)
				addRows(y, b)
				ok()
				addRowsGo(want, b)
				sameFloats(t, "add rows", y, want)

				s, ok := guarded(t, n, 5)
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
	})
}

func TestVectorAdamMatchesPortable(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		k := &adamConsts{b1: 0.9, ob1: 1 - 0.9, b2: 0.999, ob2: 1 - 0.999, c1: 1 / (1 - 0.9*0.9), c2: 1 / (1 - 0.999*0.999), lr: 1e-3, eps: 1e-8}
		for _, decay := range []float32{0, 1e-4} {
			k.decay = decay
			for n := 0; n <= 67; n++ {
				w, okW := guarded(t, n, 1)
				g, _ := guarded(t, n, 2)
				m, okM := guarded(t, n, 3)
				v, okV := guarded(t, n, 4)
				for i := range v {
					v[i] = v[i] * v[i] // second moments are not negative
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
	})
}

func TestVectorMaxWindowMatchesPortable(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, c := range []int{1, 5, 16, 17, 28, 40} {
			const h, w = 7, 6
			img, _ := guarded(t, h*w*c, uint64(c))
			for i := 0; i < len(img); i += 7 {
				img[i] = 0.5 // ties: the first one must win
			}
			for _, win := range [][4]int{{0, 0, 1, 1}, {0, 0, 2, 2}, {1, 2, 3, 3}, {4, 3, 3, 3}, {6, 5, 1, 1}, {2, 0, 5, 2}} {
				r0, c0, rows, cols := win[0], win[1], win[2], win[3]
				first := (r0*w + c0) * c
				best, okB := guarded(t, c, 9)
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
		for _, c := range []int{1, 3, 16, 28, 33} {
			const h, w = 6, 13
			img, _ := guarded(t, h*w*c, uint64(c))
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

// TestPortableLoopsTrainTheSameNetwork trains the whole network on the
// portable loops and on those of every other level and compares the weights.
func TestPortableLoopsTrainTheSameNetwork(t *testing.T) {
	train := func() []*Param {
		net, err := Build(Shape{24, 24, 3}, allKindsSpecs(), 4)
		if err != nil {
			t.Fatal(err)
		}
		x := benchInput(16, Shape{24, 24, 3})
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
			sameFloats(t, fast[i].key(), fast[i].Value, portable[i].Value)
		}
	}
}

func TestVectorSmallConvMatchesPortable(t *testing.T) {
	forEachLevel(t, func(t *testing.T) {
		for _, n := range []int{1, 7, 16, 17, 28, 32} {
			for _, k := range []int{1, 3, 9, 16} {
				for _, m := range []int{0, 1, 3, 4, 5, 9} {
					a, _ := guarded(t, m*(k+2), 1)
					b, _ := guarded(t, k*(n+5), 2)
					bias, _ := guarded(t, n, 3)
					const ldc = 40
					c, ok := guarded(t, m*ldc, 4)
					want := append([]float32(nil), c...)
					// lda = k+2 and ldb = n+5 test the strides.
					if m > 0 {
						smallForward(c, ldc, a, k+2, b, n+5, bias, m, n, k)
						smallForwardGo(want, ldc, a, k+2, b, n+5, bias, m, n, k)
					}
					ok()
					sameFloats(t, "small forward", c, want)

					acc, ok := guarded(t, (k+1)*smallWidth, 5)
					wantAcc := append([]float32(nil), acc...)
					d, _ := guarded(t, m*ldc, 6)
					if m > 0 {
						smallWeightGrad(acc, a, k+2, d, ldc, m, n, k)
						smallWeightGradGo(wantAcc, a, k+2, d, ldc, m, n, k)
					}
					ok()
					for p := range k + 1 { // columns past n are the assembly's to use
						sameFloats(t, "small weight gradient", acc[p*smallWidth:p*smallWidth+n], wantAcc[p*smallWidth:p*smallWidth+n])
					}
				}
			}
		}
	})
}
