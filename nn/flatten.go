package nn

func init() {
	registerKind(&LayerKind{
		Kind:     KindFlatten,
		Doc:      "reshapes an H×W×C feature map into a flat vector of H·W·C features",
		Flattens: true,
		Family:   FamilyReshape,
		Shape:    func(in Shape, s LayerSpec) (Shape, error) { return Shape{H: 1, W: 1, C: in.Size()}, nil },
		Checks:   []GradCheck{{Name: "flatten dense", In: Shape{3, 4, 2}, Specs: []LayerSpec{{Kind: KindFlatten}, {Kind: KindDense, Units: 3}}}},
		build:    func(b base, env *buildEnv) layer { return &flatten{base: b} },
	})
}

// flatten reshapes each H×W×C example into a vector of H·W·C features (in
// NHWC order). It copies nothing: its output and input gradient share the
// data of its input and output gradient.
type flatten struct {
	base
	out Tensor
	dx  Tensor
}

func (l *flatten) forward(x *Tensor, train bool) *Tensor {
	l.out = Tensor{N: x.N, H: 1, W: 1, C: l.in.Size(), Data: x.Data[:x.Len()]}
	return &l.out
}

func (l *flatten) backward(dy *Tensor, needDx bool) *Tensor {
	if !needDx {
		return nil
	}
	l.dx = Tensor{N: dy.N, H: l.in.H, W: l.in.W, C: l.in.C, Data: dy.Data[:dy.Len()]}
	return &l.dx
}
