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

// Estimate counts the buffers a conv layer really keeps, by Winograd and by
// im2col: after a training step at batch n, each layer's kept buffers equal
// n times its per-image count plus its fixed count, and the shared scratch
// buffer is no larger than the estimate allows.
func TestEstimateCountsConvBuffers(t *testing.T) {
	const n = 9
	in := Shape{10, 10, 8}
	specs := []LayerSpec{
		{Kind: KindConv, Filters: 16, KernelH: 3, KernelW: 3, Padding: PadSame},
		{Kind: KindConv, Filters: 4, KernelH: 3, KernelW: 3},
		{Kind: KindFlatten},
		{Kind: KindDense, Units: 3},
	}
	for _, algo := range []convAlgo{convWinograd2, convWinograd4, convIm2col} {
		withConvAlgo(t, algo)
		fp, err := Estimate(in, specs)
		if err != nil {
			t.Fatal(err)
		}
		net, err := Build(in, specs, 1)
		if err != nil {
			t.Fatal(err)
		}
		x := benchInput(n, in)
		logits, err := net.Forward(x, true)
		if err != nil {
			t.Fatal(err)
		}
		d := NewTensor(n, 1, 1, 3)
		if _, _, err := SoftmaxCrossEntropy(logits, make([]int, n), 0, d); err != nil {
			t.Fatal(err)
		}
		if err := net.Backward(d); err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			l, lf := net.layers[i].(*conv), fp.Layers[i]
			if (l.wg != nil) != algo.forced() {
				t.Fatalf("algorithm %v: layer %d by Winograd: %v", algo, i+1, l.wg != nil)
			}
			kept, fixed := len(l.col), 0
			if l.wg != nil {
				kept, fixed = len(l.wg.v), len(l.wg.u)+len(l.wg.zero)
			}
			out := int64(l.out.Len()/n) + int64(l.geom.h*l.geom.w*l.geom.c)
			if got := int64(kept/n) + out; got != lf.PerImage || int64(fixed) != lf.Fixed {
				t.Errorf("algorithm %v, layer %d: keeps %d per image and %d fixed; estimate %d and %d", algo, i+1, got, fixed, lf.PerImage, lf.Fixed)
			}
		}
		if scratch, most := int64(len(net.scratch)), fp.Fixed+fp.WinogradScratch(n)+n*fp.Scratch; scratch > most {
			t.Errorf("algorithm %v: scratch buffer of %d values; estimate at most %d", algo, scratch, most)
		}
	}
}
