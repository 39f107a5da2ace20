package nn

import (
	"fmt"
	"math"
)

// Defaults applied when a LayerSpec field is zero.
const (
	DefaultMomentum = 0.9  // batchnorm
	DefaultEpsilon  = 1e-5 // batchnorm
	DefaultAlpha    = 0.01 // leaky_relu
)

// withDefaults returns spec with its zero fields replaced by the defaults of
// its kind (conv stride 1, pooling stride = window, padding valid, He
// initialisation, batch-norm momentum and epsilon, leaky-ReLU slope).
func withDefaults(spec LayerSpec) LayerSpec {
	if k := LookupKind(spec.Kind); k != nil && k.Defaults != nil {
		k.Defaults(&spec)
	}
	return spec
}

// layerLabel names a layer in errors: `conv "conv1"`, or just the kind.
func layerLabel(spec LayerSpec) string {
	if spec.Name == "" {
		return string(spec.Kind)
	}
	return fmt.Sprintf("%s %q", spec.Kind, spec.Name)
}

// OutputShape returns the shape a layer produces from an input of shape in,
// or an error naming the layer and the shapes when the layer cannot take
// that input: an invalid setting, a window larger than the (padded) input, an
// output that would vanish, a dense layer on a spatial input. It allocates no
// network; the formulas are in the package documentation.
func OutputShape(in Shape, spec LayerSpec) (Shape, error) {
	out, err := outputShape(in, withDefaults(spec))
	if err != nil {
		return Shape{}, fmt.Errorf("%s: input %v: %w", layerLabel(spec), in, err)
	}
	return out, nil
}

func outputShape(in Shape, s LayerSpec) (Shape, error) {
	if in.H < 1 || in.W < 1 || in.C < 1 {
		return Shape{}, fmt.Errorf("input shape must be positive")
	}
	if in.Size() > math.MaxInt32 {
		return Shape{}, fmt.Errorf("input has %d values, more than this engine supports", in.Size())
	}
	if s.Kind == "" {
		return Shape{}, fmt.Errorf("layer kind is empty")
	}
	k := LookupKind(s.Kind)
	if k == nil {
		return Shape{}, fmt.Errorf("unknown layer kind %q", s.Kind)
	}
	if err := checkSettings(k, s); err != nil {
		return Shape{}, err
	}
	return k.Shape(in, s)
}

func checkInit(init Init) error {
	switch init {
	case InitHe, InitGlorot, InitDirac, InitWhiten:
		return nil
	}
	return fmt.Errorf("unknown init %q (want %q, %q or %q)", init, InitHe, InitGlorot, InitDirac)
}

// geometry is the arithmetic of a sliding window (conv or pooling) over an
// input of h×w: output size oh×ow, padding before (top/left) each axis.
type geometry struct {
	h, w, c    int
	kh, kw     int
	sh, sw     int
	pt, pl     int // padding at the top and left
	padB, padR int // padding at the bottom and right (windows may stop short of it)
	oh, ow     int
}

// pointwise reports whether the window is a 1×1 kernel at stride 1 without
// padding, which makes the input its own im2col matrix.
func (g *geometry) pointwise() bool {
	return g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pt == 0 && g.pl == 0 && g.padB == 0 && g.padR == 0
}

// windowGeometry checks a conv or pooling spec (defaults applied) against the
// input and returns its geometry.
func windowGeometry(in Shape, s LayerSpec, pool bool) (geometry, error) {
	g := geometry{h: in.H, w: in.W, c: in.C, kh: s.KernelH, kw: s.KernelW, sh: s.StrideH, sw: s.StrideW}
	if g.kh < 1 || g.kw < 1 {
		return g, fmt.Errorf("kernel %d×%d, want ≥ 1×1", g.kh, g.kw)
	}
	if g.sh < 1 || g.sw < 1 {
		return g, fmt.Errorf("stride %d×%d, want ≥ 1×1", g.sh, g.sw)
	}
	if !pool {
		if err := checkInit(s.Init); err != nil {
			return g, err
		}
	}
	switch s.Padding {
	case PadValid:
	case PadSame:
		g.oh = (g.h + g.sh - 1) / g.sh
		g.ow = (g.w + g.sw - 1) / g.sw
		padH := max((g.oh-1)*g.sh+g.kh-g.h, 0)
		padW := max((g.ow-1)*g.sw+g.kw-g.w, 0)
		g.pt, g.padB = padH/2, padH-padH/2
		g.pl, g.padR = padW/2, padW-padW/2
		return g, nil
	case PadExplicit:
		if s.PadTop < 0 || s.PadBottom < 0 || s.PadLeft < 0 || s.PadRight < 0 {
			return g, fmt.Errorf("negative padding (top %d, bottom %d, left %d, right %d)", s.PadTop, s.PadBottom, s.PadLeft, s.PadRight)
		}
		if pool && (max(s.PadTop, s.PadBottom) >= g.kh || max(s.PadLeft, s.PadRight) >= g.kw) {
			return g, fmt.Errorf("pooling padding (top %d, bottom %d, left %d, right %d) must be smaller than the %d×%d window",
				s.PadTop, s.PadBottom, s.PadLeft, s.PadRight, g.kh, g.kw)
		}
		g.pt, g.padB, g.pl, g.padR = s.PadTop, s.PadBottom, s.PadLeft, s.PadRight
	default:
		return g, fmt.Errorf("unknown padding %q (want %q, %q or %q)", s.Padding, PadValid, PadSame, PadExplicit)
	}
	ph, pw := g.h+g.pt+g.padB, g.w+g.pl+g.padR
	if ph < g.kh || pw < g.kw {
		return g, fmt.Errorf("the %d×%d window does not fit the padded input %d×%d: the output would be empty", g.kh, g.kw, ph, pw)
	}
	g.oh = (ph-g.kh)/g.sh + 1
	g.ow = (pw-g.kw)/g.sw + 1
	return g, nil
}
