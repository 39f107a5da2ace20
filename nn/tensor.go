package nn

import (
	"fmt"
	"math"
)

// Tensor is a batch of N examples of shape H×W×C in NHWC order: the value at
// example n, row h, column w, channel c is Data[((n·H+h)·W+w)·C+c].
// len(Data) is N·H·W·C.
type Tensor struct {
	N, H, W, C int
	Data       []float32
}

// NewTensor returns a zeroed tensor of n examples of shape h×w×c.
func NewTensor(n, h, w, c int) *Tensor {
	return &Tensor{N: n, H: h, W: w, C: c, Data: make([]float32, n*h*w*c)}
}

// Shape is the shape of one example of t.
func (t *Tensor) Shape() Shape { return Shape{H: t.H, W: t.W, C: t.C} }

// Len is the number of values of t, N·H·W·C.
func (t *Tensor) Len() int { return t.N * t.H * t.W * t.C }

// Example returns the values of example n (shared with t, not copied).
func (t *Tensor) Example(n int) []float32 {
	size := t.H * t.W * t.C
	return t.Data[n*size : (n+1)*size]
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	c := *t
	c.Data = append([]float32(nil), t.Data[:t.Len()]...)
	return &c
}

// String describes t's shape, e.g. "64×28×28×1".
func (t *Tensor) String() string { return fmt.Sprintf("%d×%d×%d×%d", t.N, t.H, t.W, t.C) }

// String describes s as H×W×C, e.g. "28×28×1".
func (s Shape) String() string { return fmt.Sprintf("%d×%d×%d", s.H, s.W, s.C) }

// Flat reports whether s is a vector of features (H = W = 1).
func (s Shape) Flat() bool { return s.H == 1 && s.W == 1 }

// resize gives t the shape n×h×w×c, reusing its buffer when it is large
// enough. The contents are not cleared.
func (t *Tensor) resize(n, h, w, c int) {
	t.N, t.H, t.W, t.C = n, h, w, c
	t.Data = grow(t.Data, n*h*w*c)
}

// grow returns buf with length n, reallocating only when it is too small.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// checkTensor reports an error unless t is a well-formed batch of at least
// one example of shape want with finite values. what names t in the error.
func checkTensor(what string, t *Tensor, want Shape) error {
	if t == nil {
		return fmt.Errorf("%s: nil tensor", what)
	}
	if t.N < 1 {
		return fmt.Errorf("%s: empty batch (N = %d)", what, t.N)
	}
	if t.Shape() != want {
		return fmt.Errorf("%s: shape %v, want %v", what, t.Shape(), want)
	}
	if len(t.Data) < t.Len() {
		return fmt.Errorf("%s: %d values for shape %v, want %d", what, len(t.Data), t, t.Len())
	}
	if allFinite(t.Data[:t.Len()]) {
		return nil
	}
	for i, v := range t.Data[:t.Len()] {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			size := want.Size()
			return fmt.Errorf("%s: value %v at example %d, index %d (shape %v)", what, v, i/size, i%size, t)
		}
	}
	return nil
}

// allFinite reports whether no value of x is infinite or NaN (whose
// exponent bits are all ones).
func allFinite(x []float32) bool {
	for _, v := range x {
		if math.Float32bits(v)&0x7f800000 == 0x7f800000 {
			return false
		}
	}
	return true
}
