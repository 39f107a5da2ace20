package nn

import "math"

// activation applies an element-wise function: relu max(x, 0), leaky_relu
// (x for x > 0, alpha·x otherwise), sigmoid 1/(1+e^−x) or tanh.
type activation struct {
	base
	x   *Tensor
	out Tensor
	dx  Tensor
}

func (l *activation) forward(x *Tensor, train bool) *Tensor {
	l.x = x
	n := x.Len()
	l.out.resize(x.N, x.H, x.W, x.C)
	y := l.out.Data
	switch l.spec.Kind {
	case KindReLU:
		for i, v := range x.Data[:n] {
			y[i] = max(v, 0)
		}
	case KindLeakyReLU:
		a := l.spec.Alpha
		for i, v := range x.Data[:n] {
			if v > 0 {
				y[i] = v
			} else {
				y[i] = a * v
			}
		}
	case KindSigmoid:
		for i, v := range x.Data[:n] {
			y[i] = float32(1 / (1 + math.Exp(-float64(v))))
		}
	case KindTanh:
		for i, v := range x.Data[:n] {
			y[i] = float32(math.Tanh(float64(v)))
		}
	}
	return &l.out
}

func (l *activation) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	n := dy.Len()
	l.dx.resize(dy.N, dy.H, dy.W, dy.C)
	dx, x, y := l.dx.Data, l.x.Data, l.out.Data
	switch l.spec.Kind {
	case KindReLU:
		// Branch-free: y is +0 where x ≤ 0 and positive elsewhere, so its
		// bits minus one are negative exactly where the gradient is zero.
		for i, d := range dy.Data[:n] {
			keep := ^uint32(int32(math.Float32bits(y[i])-1) >> 31)
			dx[i] = math.Float32frombits(math.Float32bits(d) & keep)
		}
	case KindLeakyReLU:
		a := l.spec.Alpha
		for i, d := range dy.Data[:n] {
			if x[i] > 0 {
				dx[i] = d
			} else {
				dx[i] = a * d
			}
		}
	case KindSigmoid:
		for i, d := range dy.Data[:n] {
			dx[i] = d * y[i] * (1 - y[i])
		}
	case KindTanh:
		for i, d := range dy.Data[:n] {
			dx[i] = d * (1 - y[i]*y[i])
		}
	}
	return &l.dx
}
