package nn

import "testing"

// Estimate counts exactly the values Build allocates and a model file
// saves, without building.
func TestEstimateMatchesBuild(t *testing.T) {
	tests := []struct {
		name  string
		in    Shape
		specs []LayerSpec
	}{
		{"every kind", Shape{12, 12, 3}, allKindsSpecs()},
		{"no bias", Shape{8, 8, 2}, []LayerSpec{{Kind: KindConv, Filters: 5, KernelH: 3, KernelW: 2, NoBias: true}, {Kind: KindFlatten}, {Kind: KindDense, Units: 4, NoBias: true}}},
		{"strided and padded", Shape{9, 7, 1}, []LayerSpec{{Kind: KindConv, Filters: 3, KernelH: 3, KernelW: 3, StrideH: 2, StrideW: 2, Padding: PadExplicit, PadTop: 1, PadLeft: 2}, {Kind: KindBatchNorm}, {Kind: KindFlatten}, {Kind: KindDense, Units: 2}}},
	}
	for _, tt := range tests {
		fp, err := Estimate(tt.in, tt.specs)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		net, err := Build(tt.in, tt.specs, 1)
		if err != nil {
			t.Fatal(err)
		}
		saved := 0
		for _, p := range net.savedTensors() {
			saved += len(p.Value)
		}
		if fp.Params != int64(net.NumParams()) || fp.Saved() != int64(saved) {
			t.Errorf("%s: estimate %d params, %d saved; the network has %d and %d", tt.name, fp.Params, fp.Saved(), net.NumParams(), saved)
		}
		if len(fp.Layers) != len(tt.specs) || fp.Layers[len(fp.Layers)-1].Out != net.Output() {
			t.Errorf("%s: %d layers ending in %v, want %d ending in %v", tt.name, len(fp.Layers), fp.Layers[len(fp.Layers)-1].Out, len(tt.specs), net.Output())
		}
		if fp.PerImage <= int64(tt.in.Size()) {
			t.Errorf("%s: %d activation values per image", tt.name, fp.PerImage)
		}
	}
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 3 << 20: "3.0 MiB", 5 << 29: "2.5 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
}
