package nn

import (
	"strings"
	"testing"
)

// TestInitScale checks that init_scale multiplies a layer's random initial
// weights and leaves dirac's identity filters as they are.
func TestInitScale(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec LayerSpec
		in   Shape
	}{
		{"conv he", LayerSpec{Kind: KindConv, Filters: 6, KernelH: 3, KernelW: 3}, Shape{5, 5, 2}},
		{"conv dirac", LayerSpec{Kind: KindConv, Filters: 6, KernelH: 3, KernelW: 3, Init: InitDirac}, Shape{5, 5, 2}},
		{"dense glorot", LayerSpec{Kind: KindDense, Units: 4, Init: InitGlorot}, Shape{1, 1, 7}},
	} {
		weights := func(scale float64) []float32 {
			s := tc.spec
			if scale != 1 {
				s = s.With(keyInitScale.Name, Value{Float: scale})
			}
			net, err := Build(tc.in, []LayerSpec{s}, 7)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			return net.Params()[0].Value
		}
		plain, half := weights(1), weights(0.5)
		for i := range plain {
			want := plain[i] / 2
			if tc.spec.Init == InitDirac && (plain[i] == 0 || plain[i] == 1) {
				want = plain[i] // an identity filter's weights
			}
			if half[i] != want {
				t.Fatalf("%s: weight %d is %v with init_scale 0.5, want %v (%v without)", tc.name, i, half[i], want, plain[i])
			}
		}
	}
	spec := LayerSpec{Kind: KindConv, Filters: 12, KernelH: 2, KernelW: 2, Init: InitWhiten}.With(keyInitScale.Name, Value{Float: 0.5})
	if _, err := Build(Shape{8, 8, 3}, []LayerSpec{spec}, 1); err == nil || !strings.Contains(err.Error(), "init_scale does not apply") {
		t.Errorf("init_scale with init whiten: error %v", err)
	}
}
