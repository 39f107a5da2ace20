package nn

import "math"

func init() {
	registerKind(&LayerKind{
		Kind:       KindSoftmax,
		Doc:        "softmax over the channels: exponentials normalised to sum to 1",
		Family:     FamilyActivation,
		Activation: true,
		Shape:      sameShape,
		Count:      perValue,
		Checks: []GradCheck{
			layerCheck("flat", Shape{1, 1, 6}, LayerSpec{Kind: KindSoftmax}),
			layerCheck("per position", Shape{2, 3, 4}, LayerSpec{Kind: KindSoftmax}),
		},
		build: func(b base, env *buildEnv) layer { return &softmax{base: b} },
	})
}

// softmax turns each row of C values (the channels at one position; for a
// flat input, the features of one example) into probabilities:
//
//	y_i = e^(x_i − max x) / Σ_j e^(x_j − max x)
//
// Its backward is dx_i = y_i·(dy_i − Σ_j dy_j·y_j).
type softmax struct {
	base
	out Tensor
	dx  Tensor
}

func (l *softmax) forward(x *Tensor, train bool) *Tensor {
	l.out.resize(x.N, x.H, x.W, x.C)
	softmaxRows(l.out.Data, x.Data[:x.Len()], x.C)
	return &l.out
}

func (l *softmax) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	c := dy.C
	l.dx.resize(dy.N, dy.H, dy.W, c)
	for i := 0; i < dy.Len(); i += c {
		y, d := l.out.Data[i:i+c], dy.Data[i:i+c]
		var dot float64
		for j := range y {
			dot += float64(d[j]) * float64(y[j])
		}
		for j := range y {
			l.dx.Data[i+j] = float32(float64(y[j]) * (float64(d[j]) - dot))
		}
	}
	return &l.dx
}

// softmaxRows writes the softmax of each row of c values of x to y (y may be x).
func softmaxRows(y, x []float32, c int) {
	for i := 0; i+c <= len(x); i += c {
		row := x[i : i+c]
		m := row[0]
		for _, v := range row {
			m = max(m, v)
		}
		var sum float64
		for j, v := range row {
			e := math.Exp(float64(v - m))
			y[i+j] = float32(e)
			sum += e
		}
		inv := 1 / sum
		for j := range row {
			y[i+j] = float32(float64(y[i+j]) * inv)
		}
	}
}
