package data

import (
	"fmt"
	"math"
)

// PreprocessKind names a kind of preprocessing.
type PreprocessKind string

// Kinds of preprocessing.
const (
	PreprocessNone        PreprocessKind = "none"        // pixel values 0..255 as they are
	PreprocessMinMax      PreprocessKind = "minmax"      // (v - min) / (max - min): [0, 1]
	PreprocessStandardize PreprocessKind = "standardize" // (v - mean[c]) / std[c] per channel
)

// Preprocessor turns uint8 pixels into float32 inputs: each value v of
// channel c becomes (v - Offset[c]) * Scale[c]. It is fitted on the training
// split only and then applied unchanged to every split, so no statistic of
// the validation or test images leaks into training.
type Preprocessor struct {
	Kind   PreprocessKind
	Offset []float32 // per channel
	Scale  []float32 // per channel
}

// FitPreprocessor computes the preprocessing of the given kind from the
// training split: minmax uses the smallest and largest pixel value (0 and
// 255 for the real sets, so it is v/255); standardize uses each channel's
// mean and standard deviation. A constant channel gets scale 1.
func FitPreprocessor(kind PreprocessKind, train Images) (Preprocessor, error) {
	c := train.C
	if c < 1 {
		return Preprocessor{}, fmt.Errorf("preprocess: images have %d channels", c)
	}
	p := Preprocessor{Kind: kind, Offset: make([]float32, c), Scale: make([]float32, c)}
	switch kind {
	case PreprocessNone:
		for i := range p.Scale {
			p.Scale[i] = 1
		}
	case PreprocessMinMax:
		lo, hi := uint8(255), uint8(0)
		for _, v := range train.Pixels {
			lo, hi = min(lo, v), max(hi, v)
		}
		if len(train.Pixels) == 0 {
			lo, hi = 0, 255
		}
		scale := float32(1)
		if hi > lo {
			scale = 1 / float32(hi-lo)
		}
		for i := range p.Scale {
			p.Offset[i], p.Scale[i] = float32(lo), scale
		}
	case PreprocessStandardize:
		if train.N == 0 {
			return Preprocessor{}, fmt.Errorf("preprocess: standardize needs training images, have none")
		}
		sum := make([]float64, c)
		sumSq := make([]float64, c)
		for i, v := range train.Pixels {
			f := float64(v)
			sum[i%c] += f
			sumSq[i%c] += f * f
		}
		n := float64(len(train.Pixels) / c)
		for i := range c {
			mean := sum[i] / n
			std := math.Sqrt(max(sumSq[i]/n-mean*mean, 0))
			p.Offset[i] = float32(mean)
			p.Scale[i] = 1
			if std > 1e-6 {
				p.Scale[i] = float32(1 / std)
			}
		}
	default:
		return Preprocessor{}, fmt.Errorf("preprocess: unknown kind %q (want %s, %s or %s)",
			kind, PreprocessMinMax, PreprocessStandardize, PreprocessNone)
	}
	return p, nil
}

// table returns, for channel c and pixel value v, the input at [c*256+v].
func (p Preprocessor) table(channels int) ([]float32, error) {
	if channels < 1 {
		return nil, fmt.Errorf("preprocess: images have %d channels", channels)
	}
	if len(p.Offset) != channels || len(p.Scale) != channels {
		return nil, fmt.Errorf("preprocess %q was fitted for %d channels, images have %d", p.Kind, len(p.Offset), channels)
	}
	t := make([]float32, channels*256)
	for c := range channels {
		for v := range 256 {
			t[c*256+v] = (float32(v) - p.Offset[c]) * p.Scale[c]
		}
	}
	return t, nil
}

// Convert writes the preprocessed values of pixels (HWC with the given
// number of channels) to dst, which must be at least as long.
func (p Preprocessor) Convert(pixels []uint8, channels int, dst []float32) error {
	t, err := p.table(channels)
	if err != nil {
		return err
	}
	if len(dst) < len(pixels) {
		return fmt.Errorf("preprocess: %d values need a buffer of %d, have %d", len(pixels), len(pixels), len(dst))
	}
	for i, v := range pixels {
		dst[i] = t[(i%channels)*256+int(v)]
	}
	return nil
}

// OneHot writes labels as one-hot rows of length classes into dst
// (len(labels)*classes values).
func OneHot(labels []int, classes int, dst []float32) error {
	if len(dst) < len(labels)*classes {
		return fmt.Errorf("one-hot: %d labels × %d classes need %d values, have %d", len(labels), classes, len(labels)*classes, len(dst))
	}
	clear(dst[:len(labels)*classes])
	for i, l := range labels {
		if l < 0 || l >= classes {
			return fmt.Errorf("one-hot: label %d of row %d is outside the %d classes", l, i, classes)
		}
		dst[i*classes+l] = 1
	}
	return nil
}
