package data

import (
	"context"
	"testing"
)

// BenchmarkLoadCachedMNIST reads and verifies MNIST from a cache folder set
// up by `cnnlab data fetch mnist` (CNNLAB_DATA or the default folder).
func BenchmarkLoadCachedMNIST(b *testing.B) {
	if _, err := Load(context.Background(), "mnist", LoadOptions{NoFetch: true}); err != nil {
		b.Skipf("MNIST is not cached: %v", err)
	}
	b.SetBytes(mnistFiles[0].Size + mnistFiles[1].Size + mnistFiles[2].Size + mnistFiles[3].Size)
	for b.Loop() {
		if _, err := Load(context.Background(), "mnist", LoadOptions{NoFetch: true}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchBatcher(b *testing.B, h, c int, aug Augment) {
	im := indexed(4096, h, h, c, 10)
	p, _ := FitPreprocessor(PreprocessStandardize, im)
	bt, err := NewBatcher(im, BatchOptions{Size: 128, Seed: 1, Preprocess: p, Augment: aug, AugmentSeed: 2})
	if err != nil {
		b.Fatal(err)
	}
	x := make([]float32, 128*h*h*c)
	labels := make([]int, 128)
	b.SetBytes(int64(128 * h * h * c))
	for b.Loop() {
		if n, _ := bt.Next(x, labels); n == 0 {
			bt.Next(x, labels)
		}
	}
}

func BenchmarkBatchMNIST(b *testing.B) { benchBatcher(b, 28, 1, Augment{}) }
func BenchmarkBatchCIFAR(b *testing.B) { benchBatcher(b, 32, 3, Augment{}) }
func BenchmarkBatchCIFARAugmented(b *testing.B) {
	benchBatcher(b, 32, 3, Augment{CropPad: 4, FlipH: true, Cutout: 8})
}

func BenchmarkSplitMNISTSized(b *testing.B) {
	im := indexed(60000, 28, 28, 1, 10)
	for b.Loop() {
		if _, _, err := Split(im, 55000, 5000, 1); err != nil {
			b.Fatal(err)
		}
	}
}
