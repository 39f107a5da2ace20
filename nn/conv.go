package nn

import (
	"math/rand/v2"

	"github.com/cnnlab/cnnlab/nn/gemm"
)

// conv is a 2-D convolution (strictly, a cross-correlation) over NHWC input:
//
//	y[n,oh,ow,f] = b[f] + Σ_{kh,kw,c} x[n, oh·SH+kh−PT, ow·SW+kw−PL, c] · w[kh,kw,c,f]
//
// with x = 0 outside the input. It is lowered to one matrix product over the
// whole batch: the im2col matrix, one row per output position (N·OH·OW rows)
// and one column per weight of a filter (KH·KW·C columns), times the weights
// as a (KH·KW·C)×F matrix gives the output, already in NHWC order.
type conv struct {
	base
	geom      geometry
	w, b      *Param // b is nil without bias
	pointwise bool   // 1×1 kernel, stride 1, no padding: the input is its own im2col matrix

	x    *Tensor
	col  []float32 // im2col of x, kept for backward
	dcol []float32
	acc  []float64 // bias-gradient sums
	out  Tensor
	dx   Tensor
}

func newConv(b base, r *rand.Rand) *conv {
	s := b.spec
	g, _ := windowGeometry(b.in, s, false) // checked by OutputShape
	l := &conv{base: b, geom: g}
	l.pointwise = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.padB == 0 && g.padR == 0
	l.w = newParam(s.Name, "weight", true, g.kh, g.kw, g.c, s.Filters)
	initWeights(l.w.Value, s.Init, g.kh*g.kw*g.c, g.kh*g.kw*s.Filters, r)
	if !s.NoBias {
		l.b = newParam(s.Name, "bias", false, s.Filters)
		l.acc = make([]float64, s.Filters)
	}
	return l
}

func (l *conv) params() []*Param {
	if l.b == nil {
		return []*Param{l.w}
	}
	return []*Param{l.w, l.b}
}

func (l *conv) forward(x *Tensor, train bool) *Tensor {
	g := &l.geom
	f := l.spec.Filters
	m, k := x.N*g.oh*g.ow, g.kh*g.kw*g.c
	col := x.Data
	if !l.pointwise {
		l.col = grow(l.col, m*k)
		im2col(l.col, x.Data, x.N, g)
		col = l.col
	}
	l.x = x
	l.out.resize(x.N, g.oh, g.ow, f)
	gemm.Sgemm(false, false, m, f, k, 1, col, k, l.w.Value, f, 0, l.out.Data, f)
	if l.b != nil {
		addBias(l.out.Data, l.b.Value)
	}
	return &l.out
}

func (l *conv) backward(dy *Tensor, needDx bool) *Tensor {
	g := &l.geom
	f := l.spec.Filters
	m, k := dy.N*g.oh*g.ow, g.kh*g.kw*g.c
	col := l.x.Data
	if !l.pointwise {
		col = l.col
	}
	// dW = colᵀ · dY
	gemm.Sgemm(true, false, k, f, m, 1, col, k, dy.Data, f, 0, l.w.Grad, f)
	if l.b != nil {
		sumRows(l.b.Grad, dy.Data, l.acc)
	}
	if !needDx {
		return nil
	}
	l.dx.resize(dy.N, g.h, g.w, g.c)
	if l.pointwise {
		// dX = dY · Wᵀ directly.
		gemm.Sgemm(false, true, m, k, f, 1, dy.Data, f, l.w.Value, f, 0, l.dx.Data, k)
		return &l.dx
	}
	l.dcol = grow(l.dcol, m*k)
	gemm.Sgemm(false, true, m, k, f, 1, dy.Data, f, l.w.Value, f, 0, l.dcol, k)
	col2im(l.dx.Data, l.dcol, dy.N, g)
	return &l.dx
}

// im2col writes the im2col matrix of the n examples of x into col: row
// (n·OH+oh)·OW+ow holds the KH×KW×C window under output (oh, ow), in
// (kh, kw, c) order, with zeros where the window covers padding.
func im2col(col, x []float32, n int, g *geometry) {
	c := g.c
	rowLen := g.kh * g.kw * c
	i := 0
	for b := 0; b < n; b++ {
		img := x[b*g.h*g.w*c : (b+1)*g.h*g.w*c]
		for oh := 0; oh < g.oh; oh++ {
			for ow := 0; ow < g.ow; ow++ {
				row := col[i : i+rowLen]
				i += rowLen
				j := 0
				for kh := 0; kh < g.kh; kh++ {
					ih := oh*g.sh + kh - g.pt
					if ih < 0 || ih >= g.h {
						clear(row[j : j+g.kw*c])
						j += g.kw * c
						continue
					}
					for kw := 0; kw < g.kw; kw++ {
						iw := ow*g.sw + kw - g.pl
						if iw < 0 || iw >= g.w {
							clear(row[j : j+c])
						} else {
							copy(row[j:j+c], img[(ih*g.w+iw)*c:])
						}
						j += c
					}
				}
			}
		}
	}
}

// col2im is the adjoint of im2col: it sets dx to the sum, over every row and
// column of dcol, of the value at the input position that column came from.
func col2im(dx, dcol []float32, n int, g *geometry) {
	clear(dx[:n*g.h*g.w*g.c])
	c := g.c
	rowLen := g.kh * g.kw * c
	i := 0
	for b := 0; b < n; b++ {
		img := dx[b*g.h*g.w*c : (b+1)*g.h*g.w*c]
		for oh := 0; oh < g.oh; oh++ {
			for ow := 0; ow < g.ow; ow++ {
				row := dcol[i : i+rowLen]
				i += rowLen
				j := 0
				for kh := 0; kh < g.kh; kh++ {
					ih := oh*g.sh + kh - g.pt
					if ih < 0 || ih >= g.h {
						j += g.kw * c
						continue
					}
					for kw := 0; kw < g.kw; kw++ {
						iw := ow*g.sw + kw - g.pl
						if iw >= 0 && iw < g.w {
							dst := img[(ih*g.w+iw)*c : (ih*g.w+iw)*c+c]
							for q, v := range row[j : j+c] {
								dst[q] += v
							}
						}
						j += c
					}
				}
			}
		}
	}
}

// addBias adds b to every row of y (rows of len(b) values).
func addBias(y, b []float32) {
	n := len(b)
	for i := 0; i+n <= len(y); i += n {
		row := y[i : i+n]
		for j, v := range b {
			row[j] += v
		}
	}
}

// sumRows sets s to the sum of the rows of y (rows of len(s) values),
// accumulating in float64 in acc (len(acc) ≥ len(s)).
func sumRows(s, y []float32, acc []float64) {
	n := len(s)
	acc = acc[:n]
	clear(acc)
	for i := 0; i+n <= len(y); i += n {
		for j, v := range y[i : i+n] {
			acc[j] += float64(v)
		}
	}
	for j := range s {
		s[j] = float32(acc[j])
	}
}
