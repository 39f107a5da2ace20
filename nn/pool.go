package nn

// maxPool takes the largest value of each KH×KW window, channel by channel.
// Padded positions are skipped, so they never win; ties go to the first
// value in (kh, kw) order.
type maxPool struct {
	base
	geom geometry
	arg  []int32 // for each output value, the index in the example's input of the winner
	out  Tensor
	dx   Tensor
}

func newMaxPool(b base) *maxPool {
	g, _ := windowGeometry(b.in, b.spec, true) // checked by OutputShape
	return &maxPool{base: b, geom: g}
}

func (l *maxPool) forward(x *Tensor, train bool) *Tensor {
	g := &l.geom
	c := g.c
	l.out.resize(x.N, g.oh, g.ow, c)
	if cap(l.arg) < l.out.Len() {
		l.arg = make([]int32, l.out.Len())
	}
	l.arg = l.arg[:l.out.Len()]
	inSize, outSize := g.h*g.w*c, g.oh*g.ow*c
	for n := 0; n < x.N; n++ {
		img := x.Data[n*inSize : (n+1)*inSize]
		for oh := 0; oh < g.oh; oh++ {
			for ow := 0; ow < g.ow; ow++ {
				h0, h1, w0, w1 := g.window(oh, ow)
				o := n*outSize + (oh*g.ow+ow)*c
				best, arg := l.out.Data[o:o+c], l.arg[o:o+c]
				// Start from the window's first value; every window holds one.
				first := (h0*g.w + w0) * c
				copy(best, img[first:first+c])
				for q := range arg {
					arg[q] = int32(first + q)
				}
				for ih := h0; ih < h1; ih++ {
					for iw := w0; iw < w1; iw++ {
						i := (ih*g.w + iw) * c
						for q, v := range img[i : i+c] {
							// Written so that the compiler can select without branching.
							a := arg[q]
							if v > best[q] {
								a = int32(i + q)
							}
							arg[q] = a
							best[q] = max(best[q], v)
						}
					}
				}
			}
		}
	}
	return &l.out
}

func (l *maxPool) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	g := &l.geom
	l.dx.resize(dy.N, g.h, g.w, g.c)
	clear(l.dx.Data)
	inSize, outSize := g.h*g.w*g.c, g.oh*g.ow*g.c
	for n := 0; n < dy.N; n++ {
		img := l.dx.Data[n*inSize : (n+1)*inSize]
		for o, d := range dy.Data[n*outSize : (n+1)*outSize] {
			img[l.arg[n*outSize+o]] += d
		}
	}
	return &l.dx
}

// avgPool averages each KH×KW window, channel by channel, over the real
// input values under it (padding is not counted).
type avgPool struct {
	base
	geom geometry
	out  Tensor
	dx   Tensor
}

func newAvgPool(b base) *avgPool {
	g, _ := windowGeometry(b.in, b.spec, true) // checked by OutputShape
	return &avgPool{base: b, geom: g}
}

// window returns the input rows h0..h1 and columns w0..w1 under output (oh, ow).
func (g *geometry) window(oh, ow int) (h0, h1, w0, w1 int) {
	return max(oh*g.sh-g.pt, 0), min(oh*g.sh-g.pt+g.kh, g.h), max(ow*g.sw-g.pl, 0), min(ow*g.sw-g.pl+g.kw, g.w)
}

func (l *avgPool) forward(x *Tensor, train bool) *Tensor {
	g := &l.geom
	c := g.c
	l.out.resize(x.N, g.oh, g.ow, c)
	inSize, outSize := g.h*g.w*c, g.oh*g.ow*c
	for n := 0; n < x.N; n++ {
		img := x.Data[n*inSize : (n+1)*inSize]
		for oh := 0; oh < g.oh; oh++ {
			for ow := 0; ow < g.ow; ow++ {
				h0, h1, w0, w1 := g.window(oh, ow)
				o := n*outSize + (oh*g.ow+ow)*c
				sum := l.out.Data[o : o+c]
				clear(sum)
				for ih := h0; ih < h1; ih++ {
					for iw := w0; iw < w1; iw++ {
						i := (ih*g.w + iw) * c
						for q, v := range img[i : i+c] {
							sum[q] += v
						}
					}
				}
				inv := 1 / float32((h1-h0)*(w1-w0))
				for q := range sum {
					sum[q] *= inv
				}
			}
		}
	}
	return &l.out
}

func (l *avgPool) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	g := &l.geom
	c := g.c
	l.dx.resize(dy.N, g.h, g.w, c)
	clear(l.dx.Data)
	inSize, outSize := g.h*g.w*c, g.oh*g.ow*c
	for n := 0; n < dy.N; n++ {
		img := l.dx.Data[n*inSize : (n+1)*inSize]
		for oh := 0; oh < g.oh; oh++ {
			for ow := 0; ow < g.ow; ow++ {
				h0, h1, w0, w1 := g.window(oh, ow)
				o := n*outSize + (oh*g.ow+ow)*c
				d := dy.Data[o : o+c]
				inv := 1 / float32((h1-h0)*(w1-w0))
				for ih := h0; ih < h1; ih++ {
					for iw := w0; iw < w1; iw++ {
						i := (ih*g.w + iw) * c
						dst := img[i : i+c]
						for q, v := range d {
							dst[q] += v * inv
						}
					}
				}
			}
		}
	}
	return &l.dx
}
