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
