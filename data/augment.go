package data

import (
	"fmt"
	"math/rand/v2"
)

// Augment says how training images are randomly altered, batch by batch;
// the zero value alters nothing. Validation and test images are never
// altered.
type Augment struct {
	// CropPad pads each side with CropPad black pixels and crops a random
	// H×W window back out (0: off).
	CropPad int
	// CropReflect pads with the image mirrored at its edges (the pixel one
	// inside the edge first) instead of black.
	CropReflect bool
	// FlipH mirrors an image left to right with probability 1/2. It is
	// refused for digit sets, whose meaning a mirror changes.
	FlipH bool
	// FlipAlternate, with FlipH, flips image i in epoch e (from 0) when
	// e is even for a random half of the images and odd for the others
	// (the half a hash of the augmentation seed and i picks): each image
	// is seen both ways in every two epochs, instead of at random.
	FlipAlternate bool
	// Cutout sets a Cutout×Cutout square at a random centre to 0 after
	// preprocessing, clipped at the borders (0: off).
	Cutout int
}

// Enabled reports whether a alters anything.
func (a Augment) Enabled() bool { return a.CropPad > 0 || a.FlipH || a.Cutout > 0 }

// Validate checks a against a data set of h×w images called setName (a
// known set, whose digits must not be mirrored, or any other name).
func (a Augment) Validate(setName string, h, w int) error {
	if a.CropPad < 0 || a.Cutout < 0 {
		return fmt.Errorf("augment: crop padding %d and cutout %d must not be negative", a.CropPad, a.Cutout)
	}
	if a.FlipH {
		if s, ok := catalog[setName]; ok && s.Digits {
			return fmt.Errorf("augment: horizontal flip is refused for %s: it holds digits, and a mirrored digit is not the same digit (a mirrored 2 is no 2)", setName)
		}
	}
	if a.CropReflect && a.CropPad > 0 && (a.CropPad >= h || a.CropPad >= w) {
		return fmt.Errorf("augment: reflected crop padding %d needs images larger than %d×%d", a.CropPad, h, w)
	}
	if a.CropPad > 0 && (a.CropPad > h || a.CropPad > w) {
		return fmt.Errorf("augment: crop padding %d is larger than the %d×%d images", a.CropPad, h, w)
	}
	if a.Cutout > 0 && (a.Cutout > h || a.Cutout > w) {
		return fmt.Errorf("augment: cutout %d is larger than the %d×%d images", a.Cutout, h, w)
	}
	return nil
}

// converter turns uint8 images into preprocessed, possibly augmented,
// float32 inputs without allocating.
type converter struct {
	h, w, c int
	table   []float32 // see Preprocessor.table
	aug     Augment
}

func newConverter(im Images, p Preprocessor, aug Augment) (*converter, error) {
	t, err := p.table(im.C)
	if err != nil {
		return nil, err
	}
	return &converter{h: im.H, w: im.W, c: im.C, table: t, aug: aug}, nil
}

// plain converts one image without augmentation.
func (cv *converter) plain(src []uint8, dst []float32) {
	if cv.c == 1 {
		t := cv.table[:256]
		for i, v := range src {
			dst[i] = t[v]
		}
		return
	}
	for i := 0; i < len(src); i += cv.c {
		for ch := range cv.c {
			dst[i+ch] = cv.table[ch*256+int(src[i+ch])]
		}
	}
}

// augmented converts one image with the random choices drawn from rng, in
// a fixed order: crop offsets, flip, cutout centre. An alternating flip
// draws nothing: flipAlt says whether this image is flipped this epoch.
func (cv *converter) augmented(src []uint8, dst []float32, rng *rand.Rand, flipAlt bool) {
	a := cv.aug
	h, w, c := cv.h, cv.w, cv.c
	dy, dx := 0, 0
	if a.CropPad > 0 {
		dy = rng.IntN(2*a.CropPad+1) - a.CropPad
		dx = rng.IntN(2*a.CropPad+1) - a.CropPad
	}
	var flip bool
	switch {
	case a.FlipH && a.FlipAlternate:
		flip = flipAlt
	case a.FlipH:
		flip = rng.IntN(2) == 1
	}
	if dy == 0 && dx == 0 && !flip {
		cv.plain(src, dst)
	} else {
		for y := range h {
			sy := y + dy
			row := dst[y*w*c : (y+1)*w*c]
			for x := range w {
				wx := x
				if flip {
					wx = w - 1 - x
				}
				sx := wx + dx
				out := row[x*c : (x+1)*c]
				if a.CropReflect {
					sy, sx = reflect(sy, h), reflect(sx, w)
				}
				if sy < 0 || sy >= h || sx < 0 || sx >= w {
					for ch := range c {
						out[ch] = cv.table[ch*256] // padding: black
					}
					continue
				}
				in := src[(sy*w+sx)*c : (sy*w+sx+1)*c]
				for ch := range c {
					out[ch] = cv.table[ch*256+int(in[ch])]
				}
			}
		}
	}
	if a.Cutout > 0 {
		cy, cx := rng.IntN(h), rng.IntN(w)
		y0, x0 := max(cy-a.Cutout/2, 0), max(cx-a.Cutout/2, 0)
		y1, x1 := min(cy-a.Cutout/2+a.Cutout, h), min(cx-a.Cutout/2+a.Cutout, w)
		for y := y0; y < y1; y++ {
			clear(dst[(y*w+x0)*c : (y*w+x1)*c])
		}
	}
}

// reflect maps a coordinate up to n−1 outside [0, n) into it, mirrored at
// the edge without repeating the edge pixel: −1 → 1, n → n−2.
func reflect(v, n int) int {
	if v < 0 {
		return -v
	}
	if v >= n {
		return 2*n - 2 - v
	}
	return v
}

// alternateFlip says whether image i is flipped in epoch e by the
// alternating rule of Augment.FlipAlternate.
func alternateFlip(seed uint64, i, epoch int) bool {
	half := splitmix64(seed^splitmix64(StreamAugment+uint64(i)))&1 == 1
	return half != (epoch%2 == 1)
}
