package nn

import (
	"fmt"
	"strconv"
	"time"
)

// KindResidual adds the output of a body of layers to that of a shortcut
// (the identity when it has no layers), both fed the block's input.
const KindResidual Kind = "residual"

// Branches are the nested layer lists of a residual block.
type Branches struct {
	Body     []LayerSpec // at least one layer in an experiment; empty is the identity
	Shortcut []LayerSpec // empty: the identity
}

// maxNesting bounds how deeply residual blocks nest, so that a model file
// cannot make the recursion over its specs run deep.
const maxNesting = 32

func init() {
	registerKind(&LayerKind{
		Kind: KindResidual,
		Doc:  "adds the output of its body to that of its shortcut (the identity when empty), both fed the block's input",
		Keys: []Key{
			{Name: "body", Type: KeyLayers, Doc: "the layers of the main path", Required: true, Min: 1,
				SetLayers: func(s *LayerSpec, l []LayerSpec) { s.branches().Body = l }},
			{Name: "shortcut", Type: KeyLayers, Doc: "the layers of the skip path: [] is the identity, or a projection such as a 1×1 conv with stride 2 when the shapes change",
				SetLayers: func(s *LayerSpec, l []LayerSpec) { s.branches().Shortcut = l }},
		},
		NamePrefix: "res",
		Family:     FamilyBlock,
		Shape: func(in Shape, s LayerSpec) (Shape, error) {
			out, _, err := branchShapes(in, s, 0)
			return out, err
		},
		Count: func(s LayerSpec, in, out Shape) (params, flops float64) {
			p, f := chainCount(in, s.Residual.body())
			sp, sf := chainCount(in, s.Residual.shortcut())
			return p + sp, f + sf + sizeOf(out) // one addition per output value
		},
		Detail: func(s LayerSpec) string {
			text := layersText(len(s.Residual.body()))
			if n := len(s.Residual.shortcut()); n > 0 {
				return text + ", shortcut of " + layersText(n)
			}
			return text + ", identity shortcut"
		},
		Checks: residualChecks(),
		build:  func(b base, env *buildEnv) layer { return newResidual(b, env) },
	})
}

// residualChecks check the residual add: the gradient reaches the input
// through the body and the shortcut, and the parameters of both.
func residualChecks() []GradCheck {
	conv3 := func(filters, stride int) LayerSpec {
		return LayerSpec{Kind: KindConv, Filters: filters, KernelH: 3, KernelW: 3, StrideH: stride, StrideW: stride, Padding: PadSame}
	}
	conv1 := func(filters, stride int) LayerSpec {
		return LayerSpec{Kind: KindConv, Filters: filters, KernelH: 1, KernelW: 1, StrideH: stride, StrideW: stride}
	}
	res := func(body, shortcut []LayerSpec) LayerSpec {
		return LayerSpec{Kind: KindResidual, Residual: &Branches{Body: body, Shortcut: shortcut}}
	}
	return []GradCheck{
		{Name: "identity", In: Shape{5, 5, 2}, Specs: []LayerSpec{
			res([]LayerSpec{conv3(2, 1), {Kind: KindBatchNorm}, {Kind: KindTanh}, conv3(2, 1)}, nil),
		}},
		{Name: "projection", In: Shape{6, 6, 2}, Specs: []LayerSpec{
			res([]LayerSpec{conv3(3, 2), {Kind: KindTanh}, conv3(3, 1)}, []LayerSpec{conv1(3, 2), {Kind: KindBatchNorm}}),
		}},
		{Name: "nested", In: Shape{4, 4, 2}, Values: HalfNormalValues, Specs: []LayerSpec{
			res([]LayerSpec{res([]LayerSpec{conv3(2, 1), {Kind: KindTanh}}, nil), conv3(3, 1)}, []LayerSpec{conv1(3, 1)}),
		}},
		{Name: "in a network", In: Shape{6, 6, 2}, Values: HalfNormalValues, Specs: []LayerSpec{
			conv3(3, 1),
			res([]LayerSpec{{Kind: KindTanh}, conv3(3, 1)}, nil),
			{Kind: KindSigmoid},
			res([]LayerSpec{{Kind: KindAvgPool, KernelH: 2, KernelW: 2}}, []LayerSpec{conv1(3, 2)}),
			{Kind: KindFlatten},
			{Kind: KindDense, Units: 3},
		}},
	}
}

// branches returns the spec's branches, allocating them if need be.
func (s *LayerSpec) branches() *Branches {
	if s.Residual == nil {
		s.Residual = &Branches{}
	}
	return s.Residual
}

func (b *Branches) body() []LayerSpec {
	if b == nil {
		return nil
	}
	return b.Body
}

func (b *Branches) shortcut() []LayerSpec {
	if b == nil {
		return nil
	}
	return b.Shortcut
}

func layersText(n int) string {
	if n == 1 {
		return "1 layer"
	}
	return strconv.Itoa(n) + " layers"
}

// branchShapes returns the output shapes of the body and the shortcut of a
// residual spec, or an error when a layer of either cannot take its input or
// the two shapes differ.
func branchShapes(in Shape, s LayerSpec, depth int) (body, short Shape, err error) {
	if depth >= maxNesting {
		return Shape{}, Shape{}, fmt.Errorf("residual blocks nested more than %d deep", maxNesting)
	}
	body, err = chainShape(in, s.Residual.body(), "body", depth)
	if err != nil {
		return Shape{}, Shape{}, err
	}
	short, err = chainShape(in, s.Residual.shortcut(), "shortcut", depth)
	if err != nil {
		return Shape{}, Shape{}, err
	}
	if body != short {
		return Shape{}, Shape{}, &BranchMismatch{In: in, Body: body, Shortcut: short, Identity: len(s.Residual.shortcut()) == 0}
	}
	return body, short, nil
}

// BranchMismatch is the error of a residual block whose body and shortcut
// give different shapes.
type BranchMismatch struct {
	In, Body, Shortcut Shape
	Identity           bool // the shortcut has no layers
}

func (e *BranchMismatch) Error() string {
	what := "the shortcut"
	if e.Identity {
		what = "the identity shortcut"
	}
	msg := fmt.Sprintf("the body gives %v but %s gives %v; they must be equal to be added", e.Body, what, e.Shortcut)
	if e.In.H%e.Body.H == 0 && e.In.W%e.Body.W == 0 && e.In.H/e.Body.H == e.In.W/e.Body.W {
		stride := e.In.H / e.Body.H
		return msg + fmt.Sprintf("; a projection shortcut makes them so: shortcut: [{conv: {filters: %d, kernel: 1, stride: %d}}]", e.Body.C, stride)
	}
	return msg + "; give the shortcut layers (a projection, e.g. a 1×1 conv) that produce the body's shape"
}

// chainShape runs OutputShape over a list of layers nested in a block.
func chainShape(in Shape, specs []LayerSpec, what string, depth int) (Shape, error) {
	names, err := layerNames(specs)
	if err != nil {
		return Shape{}, fmt.Errorf("%s: %w", what, err)
	}
	cur := in
	for i, s := range specs {
		s.Name = names[i]
		var out Shape
		if s.Kind == KindResidual {
			out, _, err = branchShapes(cur, withDefaults(s), depth+1)
			if err != nil {
				err = fmt.Errorf("%s: input %v: %w", layerLabel(s), cur, err)
			}
		} else {
			out, err = OutputShape(cur, s)
		}
		if err != nil {
			return Shape{}, fmt.Errorf("%s layer %d: %w", what, i+1, err)
		}
		cur = out
	}
	return cur, nil
}

// chainCount sums the parameters and FLOPs of a checked list of layers.
func chainCount(in Shape, specs []LayerSpec) (params, flops float64) {
	cur := in
	for _, s := range specs {
		out, err := OutputShape(cur, s)
		if err != nil {
			return params, flops
		}
		if k := LookupKind(s.Kind); k != nil && k.Count != nil {
			p, f := k.Count(withDefaults(s), cur, out)
			params += p
			flops += f
		}
		cur = out
	}
	return params, flops
}

// residual runs its body and shortcut on the same input and adds their
// outputs; backward hands the output gradient to both and adds their input
// gradients. The layers of the branches are named after the block:
// res1.body.conv1, res1.shortcut.conv1.
type residual struct {
	base
	body, shortcut []layer
	out, dx        Tensor
	add            elementwise // the sum of the two branches, in parallel

	// Timing: the network's switch and times, the slots of the layers of
	// the body and the shortcut, and the block's own slot, which the
	// network fills with the block's whole time and the block lessens by
	// that of its layers.
	timing                *bool
	times                 *[]LayerTime
	bodySlots, shortSlots []int
	self                  int

	// Outputs: the network's switch and its copies of the outputs by slot.
	tracing *bool
	outputs *[]*Tensor
}

func newResidual(b base, env *buildEnv) *residual {
	l := &residual{base: b, timing: env.timing, times: env.times, tracing: env.tracing, outputs: env.outputs}
	// The shape rule has checked the branches.
	l.body, l.bodySlots = buildChain(b.in, b.spec.Residual.body(), b.spec.Name+".body.", env)
	l.shortcut, l.shortSlots = buildChain(b.in, b.spec.Residual.shortcut(), b.spec.Name+".shortcut.", env)
	l.self = len(*l.times) // the builder adds the block's slot next
	return l
}

// buildChain builds a list of checked specs nested in a block, each layer
// named prefix + its name in the list, and returns the layers and their
// slots among the network's times.
func buildChain(in Shape, specs []LayerSpec, prefix string, env *buildEnv) ([]layer, []int) {
	names, _ := layerNames(specs)
	var ls []layer
	var slots []int
	cur := in
	for i, s := range specs {
		s.Name = prefix + names[i]
		out, _ := OutputShape(cur, s)
		ls = append(ls, LookupKind(s.Kind).build(base{spec: withDefaults(s), in: cur, out: out}, env))
		slots = append(slots, len(*env.times))
		*env.times = append(*env.times, LayerTime{Name: s.Name, Kind: s.Kind, List: prefix[:len(prefix)-1]})
		cur = out
	}
	return ls, slots
}

// runForward runs a branch on x.
func (l *residual) runForward(ls []layer, slots []int, x *Tensor, train bool) *Tensor {
	if *l.tracing {
		for j, s := range ls {
			x = s.forward(x, train)
			(*l.outputs)[slots[j]] = x.Clone()
		}
		return x
	}
	if !*l.timing {
		for _, s := range ls {
			x = s.forward(x, train)
		}
		return x
	}
	times := *l.times
	for j, s := range ls {
		start := time.Now()
		x = s.forward(x, train)
		d := time.Since(start)
		times[slots[j]].Forward += d
		times[l.self].Forward -= d
	}
	return x
}

// runBackward runs a branch backward from dy.
func (l *residual) runBackward(ls []layer, slots []int, dy *Tensor, needDx bool) *Tensor {
	timing := *l.timing
	times := *l.times
	for i := len(ls) - 1; i >= 0; i-- {
		if !timing {
			dy = ls[i].backward(dy, i > 0 || needDx)
			continue
		}
		start := time.Now()
		dy = ls[i].backward(dy, i > 0 || needDx)
		d := time.Since(start)
		times[slots[i]].Backward += d
		times[l.self].Backward -= d
	}
	return dy
}

func (l *residual) forward(x *Tensor, train bool) *Tensor {
	b := l.runForward(l.body, l.bodySlots, x, train)
	c := l.runForward(l.shortcut, l.shortSlots, x, train)
	l.out.resize(x.N, l.base.out.H, l.base.out.W, l.base.out.C)
	n := l.out.Len()
	l.add.apply(addScaled, l.out.Data[:n], b.Data[:n], c.Data[:n], 1)
	return &l.out
}

func (l *residual) backward(dy *Tensor, needDx bool) *Tensor {
	db := l.runBackward(l.body, l.bodySlots, dy, needDx)
	dc := l.runBackward(l.shortcut, l.shortSlots, dy, needDx)
	if !needDx {
		return nil
	}
	l.dx.resize(dy.N, l.in.H, l.in.W, l.in.C)
	n := l.dx.Len()
	l.add.apply(addScaled, l.dx.Data[:n], db.Data[:n], dc.Data[:n], 1)
	return &l.dx
}

func (l *residual) params() []*Param {
	var ps []*Param
	for _, s := range l.body {
		ps = append(ps, s.params()...)
	}
	for _, s := range l.shortcut {
		ps = append(ps, s.params()...)
	}
	return ps
}

func (l *residual) state() []*Param {
	var ps []*Param
	for _, s := range l.body {
		ps = append(ps, s.state()...)
	}
	for _, s := range l.shortcut {
		ps = append(ps, s.state()...)
	}
	return ps
}

// sublayers are the layers of the branches, for walks over every layer.
func (l *residual) sublayers() []layer { return append(append([]layer(nil), l.body...), l.shortcut...) }
