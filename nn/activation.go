package nn

// activation applies an element-wise function: relu max(x, 0), leaky_relu
// (x for x > 0, alpha·x otherwise), sigmoid 1/(1+e^−x) or tanh.
type activation struct {
	base
	x    *Tensor
	task elementwise
	out  Tensor
	dx   Tensor
}

func (l *activation) forward(x *Tensor, train bool) *Tensor {
	l.x = x
	n := x.Len()
	l.out.resize(x.N, x.H, x.W, x.C)
	y := l.out.Data
	switch l.spec.Kind {
	case KindReLU:
		l.task.apply(reluForward, y, x.Data[:n], nil, 0)
	case KindLeakyReLU:
		l.task.apply(leakyForward, y, x.Data[:n], nil, l.spec.Alpha)
	case KindSigmoid:
		l.task.apply(sigmoidForward, y, x.Data[:n], nil, 0)
	case KindTanh:
		l.task.apply(tanhForward, y, x.Data[:n], nil, 0)
	}
	return &l.out
}

func (l *activation) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	n := dy.Len()
	l.dx.resize(dy.N, dy.H, dy.W, dy.C)
	dx, d := l.dx.Data, dy.Data[:n]
	switch l.spec.Kind {
	case KindReLU:
		l.task.apply(reluBackward, dx, d, l.out.Data, 0)
	case KindLeakyReLU:
		l.task.apply(leakyBackward, dx, d, l.x.Data, l.spec.Alpha)
	case KindSigmoid:
		l.task.apply(sigmoidBackward, dx, d, l.out.Data, 0)
	case KindTanh:
		l.task.apply(tanhBackward, dx, d, l.out.Data, 0)
	}
	return &l.dx
}
