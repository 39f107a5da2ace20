package nn

import (
	"fmt"
	"math"
)

// MaxNetworkValues bounds the values a network keeps (its parameters and
// the state of its layers): 2^28 float32 values, 1 GiB, some eighty times
// the seed CIFAR-10 network. Estimate refuses a bigger network, and so does
// a model file's reader before building anything.
const MaxNetworkValues = 1 << 28

// maxSide bounds a side of an input or output and a window, stride or
// padding, so that products of a few of them stay far from overflowing.
const maxSide = 1 << 20

// maxPerImage bounds the activation values of one image summed over the
// layers (2^32, 16 GiB), so that sums stay far from overflowing.
const maxPerImage = 1 << 32

// LayerFootprint is the memory one layer needs.
type LayerFootprint struct {
	Name     string
	Kind     Kind
	In, Out  Shape
	Params   int64 // trainable values (each has a gradient beside it)
	State    int64 // other saved values: batch norm running statistics
	PerImage int64 // float32 values kept per image of a training batch: output, input gradient, buffers
	Fixed    int64 // float32 buffers whatever the batch: a Winograd conv's transformed weights
}

// Footprint is the memory a network needs to train, computed from its specs
// alone, without building it or allocating anything of its size.
type Footprint struct {
	Input    Shape
	Layers   []LayerFootprint
	Params   int64 // trainable values of all layers
	State    int64 // other saved values of all layers
	PerImage int64 // float32 values per image of a batch: the input, every layer's, and the conv scratch
	Scratch  int64 // of PerImage, the im2col scratch the conv layers share
	// Fixed counts the float32 buffers whatever the batch: the layers'.
	Fixed int64
	// winograd holds what each Winograd conv asks of the shared scratch
	// buffer, which grows with the batch up to a chunk of examples.
	winograd []winogradScratch
}

// WinogradScratch is the most, in float32 values, a Winograd conv asks of
// the shared scratch buffer in a training step at the given batch size.
func (f *Footprint) WinogradScratch(batch int) int64 {
	var most int64
	for _, s := range f.winograd {
		most = max(most, s.at(int64(batch)))
	}
	return most
}

// Estimate computes the footprint of the network Build would make from in
// and specs, with the same checks of shapes and settings, and refuses a
// network of more than MaxNetworkValues values. Sizes are summed without
// overflow whatever the specs claim (a model file is read from outside).
func Estimate(in Shape, specs []LayerSpec) (*Footprint, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("nn: network has no layers")
	}
	if in.H < 1 || in.W < 1 || in.C < 1 || in.H > maxSide || in.W > maxSide || in.C > maxSide || int64(in.H)*int64(in.W)*int64(in.C) > math.MaxInt32 {
		return nil, fmt.Errorf("nn: input %d×%d×%d: sides must be 1 to %d and the input at most %d values", in.H, in.W, in.C, maxSide, math.MaxInt32)
	}
	f := &Footprint{Input: in, PerImage: int64(in.Size())}
	e := estimator{f: f}
	if _, err := e.list(in, specs, "", 0); err != nil {
		return nil, err
	}
	f.PerImage += f.Scratch
	return f, nil
}

// estimator adds up the footprints of the layers of a network, those
// nested in blocks included.
type estimator struct {
	f *Footprint
}

// list adds the footprints of a list of layers taking in, each named prefix
// + its name (a block's layers: res1.body.conv1), and returns its output
// shape. The layers nested in a block come before the block in f.Layers.
func (e *estimator) list(in Shape, specs []LayerSpec, prefix string, depth int) (Shape, error) {
	f := e.f
	names, err := layerNames(specs)
	if err != nil {
		return Shape{}, err
	}
	cur := in
	for i, spec := range specs {
		spec.Name = names[i]
		name := prefix + spec.Name
		s := withDefaults(spec)
		for _, v := range []int{s.KernelH, s.KernelW, s.StrideH, s.StrideW, s.PadTop, s.PadBottom, s.PadLeft, s.PadRight} {
			if v > maxSide || v < -maxSide {
				return Shape{}, fmt.Errorf("nn: layer %d (%s): a window, stride or padding of %d; at most %d", i+1, name, v, maxSide)
			}
		}
		if s.Filters > MaxNetworkValues || s.Units > MaxNetworkValues {
			return Shape{}, fmt.Errorf("nn: layer %d (%s): %d outputs; this engine supports at most %d values in a network", i+1, name, max(s.Filters, s.Units), MaxNetworkValues)
		}
		if s.Kind == KindResidual {
			// The nested layers are checked one by one before the block's
			// shape rule runs over them.
			if depth >= maxNesting {
				return Shape{}, fmt.Errorf("nn: layer %d (%s): residual blocks nested more than %d deep", i+1, name, maxNesting)
			}
			if _, err := e.list(cur, s.Residual.body(), name+".body.", depth+1); err != nil {
				return Shape{}, err
			}
			if _, err := e.list(cur, s.Residual.shortcut(), name+".shortcut.", depth+1); err != nil {
				return Shape{}, err
			}
		}
		// OutputShape checks the input's size; a huge filter or unit count
		// is caught below before the next layer sees it.
		out, err := OutputShape(cur, spec)
		if err != nil {
			if prefix != "" {
				return Shape{}, fmt.Errorf("nn: layer %d of %s: %w", i+1, prefix[:len(prefix)-1], err)
			}
			return Shape{}, fmt.Errorf("nn: layer %d: %w", i+1, err)
		}
		l := LayerFootprint{Name: name, Kind: spec.Kind, In: cur, Out: out}
		si, so := int64(cur.Size()), int64(out.H)*int64(out.W)*int64(out.C)
		if out.H > maxSide || out.W > maxSide || out.C > math.MaxInt32 || so > math.MaxInt32 {
			return Shape{}, fmt.Errorf("nn: layer %d (%s): output %v has more than %d values, more than this engine supports", i+1, name, out, math.MaxInt32)
		}
		l.PerImage = so + si // output and input gradient
		switch s.Kind {
		case KindConv:
			g, _ := windowGeometry(cur, s, false)
			k := int64(g.kh) * int64(g.kw) * int64(g.c)
			l.Params = k*int64(s.Filters) + bias(s, int64(s.Filters))
			if k > MaxNetworkValues {
				l.Params = MaxNetworkValues + 1
			}
			switch {
			case g.pointwise():
			case convByWinograd(&g, s.Filters):
				per, fixed, scratch := winogradFootprint(&g, s.Filters)
				l.PerImage += per // the transformed input kept for backward
				l.Fixed = fixed
				f.winograd = append(f.winograd, scratch)
			default:
				col := int64(g.oh) * int64(g.ow) * k
				l.PerImage += col // im2col kept for backward
				f.Scratch = max(f.Scratch, col)
			}
		case KindDense:
			l.Params = si*int64(s.Units) + bias(s, int64(s.Units))
			if si > MaxNetworkValues {
				l.Params = MaxNetworkValues + 1
			}
		case KindBatchNorm:
			learned := int64(len(normTensors(s)))
			l.Params, l.State = learned*int64(cur.C), 2*int64(cur.C)
			l.Fixed = (2 - learned) * int64(cur.C) // a scale not learned stays, as 1s, and is not saved
		case KindFlatten:
			l.PerImage = 0 // a view of its input
		}
		if k := LookupKind(s.Kind); k.Kept != nil { // OutputShape has checked the kind
			l.PerImage += k.Kept(s, cur, out)
		}
		f.Params += l.Params
		f.State += l.State
		f.Fixed += l.Fixed
		f.PerImage += l.PerImage
		f.Layers = append(f.Layers, l)
		if f.Params+f.State > MaxNetworkValues {
			return Shape{}, fmt.Errorf("nn: layer %d (%s) brings the network to %d values (%s of weights); this engine supports at most %d",
				i+1, name, f.Params+f.State, Bytes(4*(f.Params+f.State)), MaxNetworkValues)
		}
		if f.PerImage > maxPerImage {
			return Shape{}, fmt.Errorf("nn: layer %d (%s) brings the activations of one image to more than %d values", i+1, name, int64(maxPerImage))
		}
		cur = out
	}
	return cur, nil
}

func bias(s LayerSpec, n int64) int64 {
	if s.NoBias {
		return 0
	}
	return n
}

// Saved is the number of float32 values a model file of the network holds.
func (f *Footprint) Saved() int64 { return f.Params + f.State }

// Bytes formats a byte count for people: "512 B", "3.2 MiB", "1.5 GiB".
func Bytes(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	case n < 1<<30:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
}
