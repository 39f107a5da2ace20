//go:build !amd64 || purego

package nn

// winogradAsm is false where there is no assembly: the portable transforms run.
func winogradAsm() bool { return false }

func inputTile(v []float32, stride int, d *[16][]float32, c int) { inputTileGo(v, stride, d, 0, c) }

func outputTile(o *[4][]float32, full bool, m []float32, stride int, bias []float32, f int) {
	outputTileGo(o, m, stride, bias, 0, f)
}

func gradOutputTile(dm []float32, stride int, d *[4][]float32, f int) {
	gradOutputTileGo(dm, stride, d, 0, f)
}

func gradInputTile(d *[16][]float32, dv []float32, stride int, c int) {
	gradInputTileGo(d, dv, stride, 0, c)
}

func filterTransform(u, w []float32, cf, lo, hi int) { filterTransformGo(u, w, cf, lo, hi) }

func filterGrad(dw, du []float32, cf, lo, hi int) { filterGradGo(dw, du, cf, lo, hi) }

func inputTile4(v []float32, stride int, d *[36][]float32, c int) { inputTile4Go(v, stride, d, 0, c) }

func outputTile4(o *[16][]float32, full bool, m []float32, stride int, bias []float32, f int) {
	outputTile4Go(o, m, stride, bias, 0, f)
}

func gradOutputTile4(dm []float32, stride int, d *[16][]float32, f int) {
	gradOutputTile4Go(dm, stride, d, 0, f)
}

func gradInputTile4(d *[36][]float32, dv []float32, stride int, c int) {
	gradInputTile4Go(d, dv, stride, 0, c)
}

func filterTransform4(u, w []float32, cf, lo, hi int) { filterTransform4Go(u, w, cf, lo, hi) }

func filterGrad4(dw, du []float32, cf, lo, hi int) { filterGrad4Go(dw, du, cf, lo, hi) }
