package nn

import "math/rand/v2"

// GradCheck is a small network around a layer of a kind, whose backward
// pass the tests check against centred finite differences for every input
// value and every parameter (nn/gradcheck_test.go), and which they train on
// 1, 2 and 3 threads and bring back from a model file (TestEveryKindTrains).
// Each kind lists its checks in its entry (LayerKind.Checks), beside its
// forward and backward pass; a kind without any fails
// TestEveryKindGradChecked.
type GradCheck struct {
	Name   string      // what it checks, e.g. "k3 s2 valid"
	In     Shape       // the input of one example
	Specs  []LayerSpec // the network: a layer of the kind, alone or among others
	Values CheckValues // the values of the input
	// Step is the finite-difference step when not the usual 1e-2: a larger
	// one suits a layer linear in what is perturbed whose forward pass
	// rounds more (Winograd F(4×4, 3×3)).
	Step float32
}

// CheckValues is how a gradient check fills its input. Finite differences
// are only valid where the function is smooth within the step (1e-2) of
// every value: away from a kink (relu at 0) or a tie (max pooling).
type CheckValues int

const (
	NormalValues       CheckValues = iota // standard normal values
	ValuesAwayFromZero                    // magnitudes 0.1 to 1.1, random signs: no value near a kink at 0
	DistinctValues                        // a permutation of values 0.05 apart: no near ties in a window
	HalfNormalValues                      // normal, standard deviation 1/2: stacked tanh stays off its flat tails
)

// fill fills x with values of the kind v names, drawn from r.
func (v CheckValues) fill(r *rand.Rand, x []float32) {
	switch v {
	case ValuesAwayFromZero:
		for i := range x {
			f := 0.1 + r.Float64()
			if r.IntN(2) == 0 {
				f = -f
			}
			x[i] = float32(f)
		}
	case DistinctValues:
		for i, p := range r.Perm(len(x)) {
			x[i] = float32(p)*0.05 - float32(len(x))*0.025
		}
	case HalfNormalValues:
		for i := range x {
			x[i] = float32(r.NormFloat64() / 2)
		}
	default:
		for i := range x {
			x[i] = float32(r.NormFloat64())
		}
	}
}

// layerCheck is a gradient check of one layer of spec on an input of shape in.
func layerCheck(name string, in Shape, spec LayerSpec) GradCheck {
	return GradCheck{Name: name, In: in, Specs: []LayerSpec{spec}}
}
