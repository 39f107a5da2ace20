//go:build amd64 && !purego

package nn

// winogradAsm reports whether the AVX2 tile transforms of winograd_amd64.s
// run instead of their portable twins (on the first multiple of 8
// channels): at the AVX2 and AVX-512 levels of simd, so that forcing the
// portable gemm kernel leaves all of nn's Winograd portable too.
func winogradAsm() bool { return simd == simdAVX2 || simd == simdAVX512 }

//go:noescape
func inputTileAVX2(v *float32, stride int, d *[16][]float32, n int)

//go:noescape
func outputTileAVX2(o *[4][]float32, m *float32, stride int, bias *float32, n int)

//go:noescape
func gradOutputTileAVX2(dm *float32, stride int, d *[4][]float32, n int)

//go:noescape
func gradInputTileAVX2(d *[16][]float32, dv *float32, stride int, n int)

//go:noescape
func filterTransformAVX2(u, w *float32, cf, n int)

//go:noescape
func filterGradAVX2(dw, du *float32, cf, n int)

// asmLanes is the part of n channels the assembly handles, 0 without it.
func asmLanes(n int) int {
	if !winogradAsm() {
		return 0
	}
	return n &^ 7
}

// tileVectorsHold panics unless every vector of d has n values.
func tileVectorsHold(d [][]float32, n int) {
	for _, v := range d {
		if len(v) < n {
			panic("nn: Winograd tile vector too short")
		}
	}
}

// blockHolds panics unless x holds the 16 vectors of n values, stride apart,
// of a transformed tile.
func blockHolds(x []float32, stride, n int) {
	if len(x) < 15*stride+n {
		panic("nn: Winograd transformed tile too short")
	}
}

func inputTile(v []float32, stride int, d *[16][]float32, c int) {
	if n := asmLanes(c); n > 0 {
		tileVectorsHold(d[:], n)
		blockHolds(v, stride, n)
		inputTileAVX2(&v[0], stride, d, n)
		inputTileGo(v, stride, d, n, c)
		return
	}
	inputTileGo(v, stride, d, 0, c)
}

func outputTile(o *[4][]float32, full bool, m []float32, stride int, bias []float32, f int) {
	if n := asmLanes(f); n > 0 && full {
		tileVectorsHold(o[:], n)
		if len(bias) < n {
			panic("nn: Winograd bias too short")
		}
		blockHolds(m, stride, n)
		outputTileAVX2(o, &m[0], stride, &bias[0], n)
		outputTileGo(o, m, stride, bias, n, f)
		return
	}
	outputTileGo(o, m, stride, bias, 0, f)
}

func gradOutputTile(dm []float32, stride int, d *[4][]float32, f int) {
	if n := asmLanes(f); n > 0 {
		tileVectorsHold(d[:], n)
		blockHolds(dm, stride, n)
		gradOutputTileAVX2(&dm[0], stride, d, n)
		gradOutputTileGo(dm, stride, d, n, f)
		return
	}
	gradOutputTileGo(dm, stride, d, 0, f)
}

func gradInputTile(d *[16][]float32, dv []float32, stride int, c int) {
	if n := asmLanes(c); n > 0 {
		tileVectorsHold(d[:], n)
		blockHolds(dv, stride, n)
		gradInputTileAVX2(d, &dv[0], stride, n)
		gradInputTileGo(d, dv, stride, n, c)
		return
	}
	gradInputTileGo(d, dv, stride, 0, c)
}

func filterTransform(u, w []float32, cf, lo, hi int) {
	if n := asmLanes(hi - lo); n > 0 {
		if len(u) < 15*cf+lo+n || len(w) < 8*cf+lo+n {
			panic("nn: Winograd weights too short")
		}
		filterTransformAVX2(&u[lo], &w[lo], cf, n)
		lo += n
	}
	filterTransformGo(u, w, cf, lo, hi)
}

func filterGrad(dw, du []float32, cf, lo, hi int) {
	if n := asmLanes(hi - lo); n > 0 {
		if len(du) < 15*cf+lo+n || len(dw) < 8*cf+lo+n {
			panic("nn: Winograd weights too short")
		}
		filterGradAVX2(&dw[lo], &du[lo], cf, n)
		lo += n
	}
	filterGradGo(dw, du, cf, lo, hi)
}

// The F(4×4, 3×3) transforms of winograd4_amd64.s, generated with their
// portable twins by gen_winograd4.go, at the AVX2 and AVX-512 levels.
//go:generate go run gen_winograd4.go

//go:noescape
func inputTile4AVX2(v *float32, stride int, d *[36][]float32, n int)

//go:noescape
func outputTile4AVX2(o *[16][]float32, m *float32, stride int, bias *float32, n int)

//go:noescape
func gradOutputTile4AVX2(dm *float32, stride int, d *[16][]float32, n int)

//go:noescape
func gradInputTile4AVX2(d *[36][]float32, dv *float32, stride int, n int)

//go:noescape
func filterTransform4AVX2(u, w *float32, cf, n int)

//go:noescape
func filterGrad4AVX2(dw, du *float32, cf, n int)

//go:noescape
func inputTile4AVX512(v *float32, stride int, d *[36][]float32, n int)

//go:noescape
func outputTile4AVX512(o *[16][]float32, m *float32, stride int, bias *float32, n int)

//go:noescape
func gradOutputTile4AVX512(dm *float32, stride int, d *[16][]float32, n int)

//go:noescape
func gradInputTile4AVX512(d *[36][]float32, dv *float32, stride int, n int)

//go:noescape
func filterTransform4AVX512(u, w *float32, cf, n int)

//go:noescape
func filterGrad4AVX512(dw, du *float32, cf, n int)

// lanes4 splits n channels for the F(4×4) assembly: the first wide ones to
// the AVX-512 loops (a multiple of 16, at the AVX-512 level), the next
// narrow ones to the AVX2 loops (a multiple of 8), the rest to Go.
func lanes4(n int) (wide, narrow int) {
	switch simd {
	case simdAVX512:
		wide = n &^ 15
	case simdAVX2:
	default:
		return 0, 0
	}
	return wide, (n - wide) &^ 7
}

// blockHolds4 panics unless x holds the 36 vectors of n values, stride
// apart, of a transformed F(4×4) tile.
func blockHolds4(x []float32, stride, n int) {
	if len(x) < 35*stride+n {
		panic("nn: Winograd transformed tile too short")
	}
}

// shifted sets each of dst to the same of src from value lo on.
func shifted(dst, src [][]float32, lo int) {
	for i, v := range src {
		if v != nil {
			dst[i] = v[lo:]
		}
	}
}

func inputTile4(v []float32, stride int, d *[36][]float32, c int) {
	wide, narrow := lanes4(c)
	if n := wide + narrow; n > 0 {
		tileVectorsHold(d[:], n)
		blockHolds4(v, stride, n)
	}
	if wide > 0 {
		inputTile4AVX512(&v[0], stride, d, wide)
	}
	if narrow > 0 {
		var e [36][]float32
		shifted(e[:], d[:], wide)
		inputTile4AVX2(&v[wide], stride, &e, narrow)
	}
	inputTile4Go(v, stride, d, wide+narrow, c)
}

func outputTile4(o *[16][]float32, full bool, m []float32, stride int, bias []float32, f int) {
	wide, narrow := lanes4(f)
	n := wide + narrow
	if n > 0 {
		for _, v := range o {
			if v != nil && len(v) < n {
				panic("nn: Winograd tile vector too short")
			}
		}
		if len(bias) < n {
			panic("nn: Winograd bias too short")
		}
		blockHolds4(m, stride, n)
	}
	switch {
	case full:
		if wide > 0 {
			outputTile4AVX512(o, &m[0], stride, &bias[0], wide)
		}
		if narrow > 0 {
			var e [16][]float32
			shifted(e[:], o[:], wide)
			outputTile4AVX2(&e, &m[wide], stride, &bias[wide], narrow)
		}
	case n > 0:
		// A tile that overhangs the output: the assembly writes the
		// vectors outside it to a scratch vector on the stack, up to
		// partialChunk channels at a time (AVX-512 channels, then AVX2).
		var sink [partialChunk]float32
		var e [16][]float32
		for lo := 0; lo < n; {
			hi := min(lo+partialChunk, n)
			if lo < wide {
				hi = min(hi, wide)
			}
			for i, v := range o {
				if v == nil {
					e[i] = sink[:hi-lo]
				} else {
					e[i] = v[lo:hi]
				}
			}
			if lo < wide {
				outputTile4AVX512(&e, &m[lo], stride, &bias[lo], hi-lo)
			} else {
				outputTile4AVX2(&e, &m[lo], stride, &bias[lo], hi-lo)
			}
			lo = hi
		}
	}
	outputTile4Go(o, m, stride, bias, n, f)
}

// partialChunk is the number of channels outputTile4 hands the assembly at
// a time for a tile that overhangs the output: a multiple of 16.
const partialChunk = 256

func gradOutputTile4(dm []float32, stride int, d *[16][]float32, f int) {
	wide, narrow := lanes4(f)
	if n := wide + narrow; n > 0 {
		tileVectorsHold(d[:], n)
		blockHolds4(dm, stride, n)
	}
	if wide > 0 {
		gradOutputTile4AVX512(&dm[0], stride, d, wide)
	}
	if narrow > 0 {
		var e [16][]float32
		shifted(e[:], d[:], wide)
		gradOutputTile4AVX2(&dm[wide], stride, &e, narrow)
	}
	gradOutputTile4Go(dm, stride, d, wide+narrow, f)
}

func gradInputTile4(d *[36][]float32, dv []float32, stride int, c int) {
	wide, narrow := lanes4(c)
	if n := wide + narrow; n > 0 {
		tileVectorsHold(d[:], n)
		blockHolds4(dv, stride, n)
	}
	if wide > 0 {
		gradInputTile4AVX512(d, &dv[0], stride, wide)
	}
	if narrow > 0 {
		var e [36][]float32
		shifted(e[:], d[:], wide)
		gradInputTile4AVX2(&e, &dv[wide], stride, narrow)
	}
	gradInputTile4Go(d, dv, stride, wide+narrow, c)
}

func filterTransform4(u, w []float32, cf, lo, hi int) {
	wide, narrow := lanes4(hi - lo)
	if n := wide + narrow; n > 0 && (len(u) < 35*cf+lo+n || len(w) < 8*cf+lo+n) {
		panic("nn: Winograd weights too short")
	}
	if wide > 0 {
		filterTransform4AVX512(&u[lo], &w[lo], cf, wide)
	}
	if narrow > 0 {
		filterTransform4AVX2(&u[lo+wide], &w[lo+wide], cf, narrow)
	}
	filterTransform4Go(u, w, cf, lo+wide+narrow, hi)
}

func filterGrad4(dw, du []float32, cf, lo, hi int) {
	wide, narrow := lanes4(hi - lo)
	if n := wide + narrow; n > 0 && (len(du) < 35*cf+lo+n || len(dw) < 8*cf+lo+n) {
		panic("nn: Winograd weights too short")
	}
	if wide > 0 {
		filterGrad4AVX512(&dw[lo], &du[lo], cf, wide)
	}
	if narrow > 0 {
		filterGrad4AVX2(&dw[lo+wide], &du[lo+wide], cf, narrow)
	}
	filterGrad4Go(dw, du, cf, lo+wide+narrow, hi)
}
