// Package shapes names the matrix products the speed comparison times, and
// writes and reads them as name:TA:TB:M:N:K, the form bench/sgemm and
// bench/pytorch/sgemm.py take on their command lines.
package shapes

import (
	"fmt"
	"strconv"
	"strings"
)

// Shape is C = op(A)·op(B) with op(A) M×K and op(B) K×N, all row-major; a
// transposed operand is stored transposed (K×M for A, N×K for B).
type Shape struct {
	Name           string
	TransA, TransB bool
	M, N, K        int
}

// FLOPs is the number of floating-point operations of one product.
func (s Shape) FLOPs() float64 { return 2 * float64(s.M) * float64(s.N) * float64(s.K) }

// String writes s as name:TA:TB:M:N:K.
func (s Shape) String() string {
	t := func(b bool) string {
		if b {
			return "T"
		}
		return "N"
	}
	return fmt.Sprintf("%s:%s:%s:%d:%d:%d", s.Name, t(s.TransA), t(s.TransB), s.M, s.N, s.K)
}

// Parse reads name:TA:TB:M:N:K, TA and TB being N or T.
func Parse(text string) (Shape, error) {
	parts := strings.Split(text, ":")
	if len(parts) != 6 || parts[0] == "" {
		return Shape{}, fmt.Errorf("shape %q: want name:TA:TB:M:N:K", text)
	}
	s := Shape{Name: parts[0]}
	for i, dst := range []*bool{&s.TransA, &s.TransB} {
		switch parts[1+i] {
		case "N":
		case "T":
			*dst = true
		default:
			return Shape{}, fmt.Errorf("shape %q: transpose flag %q: want N or T", text, parts[1+i])
		}
	}
	for i, dst := range []*int{&s.M, &s.N, &s.K} {
		v, err := strconv.Atoi(parts[3+i])
		if err != nil || v < 1 {
			return Shape{}, fmt.Errorf("shape %q: dimension %q: want a whole number ≥ 1", text, parts[3+i])
		}
		*dst = v
	}
	return s, nil
}

// Seed lists a square product and the products the seed networks spend their
// time in (experiments/seed: MNIST at batch 64, CIFAR-10 at batch 128), with
// the operand layouts package nn uses: im2col rows × weights stored in×out.
var Seed = []Shape{
	{Name: "square1024", M: 1024, N: 1024, K: 1024},
	// MNIST conv 28@3×3 valid on 28×28×1: 64·26·26 im2col rows of 9.
	{Name: "mnistConvFwd", M: 64 * 26 * 26, N: 28, K: 9},
	{Name: "mnistConvGradW", TransA: true, M: 9, N: 28, K: 64 * 26 * 26},
	// MNIST dense 13·13·28 = 4732 → 128.
	{Name: "mnistDenseFwd", M: 64, N: 128, K: 4732},
	{Name: "mnistDenseGradW", TransA: true, M: 4732, N: 128, K: 64},
	{Name: "mnistDenseGradX", TransB: true, M: 64, N: 4732, K: 128},
	// CIFAR-10 conv 64→128 3×3 same on 16×16.
	{Name: "cifarConv2Fwd", M: 128 * 16 * 16, N: 128, K: 64 * 9},
	{Name: "cifarConv2GradW", TransA: true, M: 64 * 9, N: 128, K: 128 * 16 * 16},
	{Name: "cifarConv2GradX", TransB: true, M: 128 * 16 * 16, N: 64 * 9, K: 128},
	// CIFAR-10 conv 256→512 3×3 same on 4×4.
	{Name: "cifarConv4Fwd", M: 128 * 4 * 4, N: 512, K: 256 * 9},
	// CIFAR-10 dense 512 → 1024.
	{Name: "cifarDense4Fwd", M: 128, N: 1024, K: 512},
}
