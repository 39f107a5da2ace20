package data

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// indexed returns n images of h×w×c whose first two values encode the image
// index (hi, lo) and the rest are 255, with labels i%classes.
func indexed(n, h, w, c, classes int) Images {
	im := Images{N: n, H: h, W: w, C: c, Pixels: make([]uint8, n*h*w*c), Labels: make([]uint8, n)}
	for i := range n {
		px := im.Image(i)
		for j := range px {
			px[j] = 255
		}
		px[0], px[1] = uint8(i>>8), uint8(i&255)
		im.Labels[i] = uint8(i % classes)
	}
	return im
}

func identity(c int) Preprocessor {
	p, _ := FitPreprocessor(PreprocessNone, Images{C: c})
	return p
}

// epochOf collects the image indices of one epoch's batches and their sizes.
func epochOf(t *testing.T, b *Batcher, im Images) (order []int, sizes []int) {
	t.Helper()
	sz := im.ImageSize()
	x := make([]float32, b.opts.Size*sz)
	labels := make([]int, b.opts.Size)
	for {
		n, err := b.Next(x, labels)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return order, sizes
		}
		sizes = append(sizes, n)
		for j := range n {
			i := int(x[j*sz])<<8 | int(x[j*sz+1])
			if labels[j] != int(im.Labels[i]) {
				t.Fatalf("image %d came with label %d, want %d", i, labels[j], im.Labels[i])
			}
			order = append(order, i)
		}
	}
}

func TestBatcherEpochs(t *testing.T) {
	tests := []struct {
		n, size   int
		wantSizes []int
	}{
		{10, 4, []int{4, 4, 2}}, // a partial batch is kept
		{9, 4, []int{4, 4}},     // except a batch of one
		{8, 4, []int{4, 4}},
		{3, 8, []int{3}},
	}
	for _, tt := range tests {
		im := indexed(tt.n, 2, 2, 1, 3)
		b, err := NewBatcher(im, BatchOptions{Size: tt.size, Seed: 1, Preprocess: identity(1)})
		if err != nil {
			t.Fatal(err)
		}
		if b.BatchesPerEpoch() != len(tt.wantSizes) {
			t.Errorf("n=%d size=%d: %d batches per epoch, want %d", tt.n, tt.size, b.BatchesPerEpoch(), len(tt.wantSizes))
		}
		var orders [][]int
		for epoch := range 3 {
			if b.State() != (BatcherState{Epoch: epoch}) {
				t.Fatalf("state %+v at the start of epoch %d", b.State(), epoch)
			}
			order, sizes := epochOf(t, b, im)
			if !slices.Equal(sizes, tt.wantSizes) {
				t.Errorf("n=%d size=%d epoch %d: batch sizes %v, want %v", tt.n, tt.size, epoch, sizes, tt.wantSizes)
			}
			sorted := slices.Clone(order)
			slices.Sort(sorted)
			if len(slices.Compact(sorted)) != len(order) {
				t.Errorf("epoch %d repeats an image: %v", epoch, order)
			}
			orders = append(orders, order)
		}
		if tt.n >= 8 && slices.Equal(orders[0], orders[1]) && slices.Equal(orders[1], orders[2]) {
			t.Errorf("n=%d: three epochs in the same order", tt.n)
		}
	}
	if _, err := NewBatcher(indexed(1, 2, 2, 1, 1), BatchOptions{Size: 4, Preprocess: identity(1)}); err == nil {
		t.Error("a batcher over one image with batches of 4: no error")
	}
}

func TestBatcherRestoreIsExact(t *testing.T) {
	im := indexed(50, 4, 4, 3, 5)
	opts := BatchOptions{Size: 8, Seed: 42, Preprocess: identity(3),
		Augment: Augment{CropPad: 1, FlipH: true, Cutout: 2}, AugmentSeed: 9}
	record := func(b *Batcher, batches int) [][]float32 {
		var out [][]float32
		labels := make([]int, 8)
		for len(out) < batches {
			x := make([]float32, 8*48)
			n, err := b.Next(x, labels)
			if err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				out = append(out, x[:n*48])
			}
		}
		return out
	}
	a, _ := NewBatcher(im, opts)
	full := record(a, 17) // 7 per epoch: into the third epoch
	for _, at := range []int{0, 3, 7, 10, 14} {
		b, _ := NewBatcher(im, opts)
		if err := b.Restore(BatcherState{Epoch: at / 7, Batch: at % 7}); err != nil {
			t.Fatal(err)
		}
		rest := record(b, 17-at)
		for k := range rest {
			if !slices.Equal(rest[k], full[at+k]) {
				t.Fatalf("restored at batch %d: batch %d differs", at, at+k)
			}
		}
	}
	b, _ := NewBatcher(im, opts)
	if err := b.Restore(BatcherState{Epoch: 0, Batch: 8}); err == nil {
		t.Error("restoring past the end of an epoch: no error")
	}
}

func TestBatcherDoesNotAllocate(t *testing.T) {
	im := indexed(300, 8, 8, 3, 10)
	for _, aug := range []Augment{{}, {CropPad: 2, FlipH: true, Cutout: 3}} {
		b, _ := NewBatcher(im, BatchOptions{Size: 32, Seed: 1, Preprocess: identity(3), Augment: aug})
		x := make([]float32, 32*8*8*3)
		labels := make([]int, 32)
		b.Next(x, labels) // the first call of an epoch shuffles in place
		if allocs := testing.AllocsPerRun(50, func() { b.Next(x, labels) }); allocs != 0 {
			t.Errorf("augment %+v: Next allocates %.1f times per batch", aug, allocs)
		}
	}
}

func TestBatcherBufferTooSmall(t *testing.T) {
	b, _ := NewBatcher(indexed(10, 2, 2, 1, 2), BatchOptions{Size: 4, Preprocess: identity(1)})
	if _, err := b.Next(make([]float32, 15), make([]int, 4)); err == nil || !strings.Contains(err.Error(), "a batch needs 16") {
		t.Errorf("error %v", err)
	}
}

// gradient returns one 5×5 grey image with pixel (y, x) = 10*y + x + 1.
func gradient() Images {
	im := Images{N: 1, H: 5, W: 5, C: 1, Pixels: make([]uint8, 25), Labels: []uint8{0}}
	for y := range 5 {
		for x := range 5 {
			im.Pixels[y*5+x] = uint8(10*y + x + 1)
		}
	}
	return im
}

func TestAugmentFlipAndCrop(t *testing.T) {
	im := gradient()
	cv, _ := newConverter(im, identity(1), Augment{})
	plain := make([]float32, 25)
	cv.plain(im.Pixels, plain)
	mirror := make([]float32, 25)
	for y := range 5 {
		for x := range 5 {
			mirror[y*5+x] = plain[y*5+4-x]
		}
	}
	b, _ := NewBatcher(Images{N: 2, H: 5, W: 5, C: 1, Pixels: append(slices.Clone(im.Pixels), im.Pixels...), Labels: []uint8{0, 0}},
		BatchOptions{Size: 2, Preprocess: identity(1), Augment: Augment{FlipH: true}, AugmentSeed: 3})
	x := make([]float32, 50)
	flipped, kept := 0, 0
	for range 40 {
		if n, _ := b.Next(x, make([]int, 2)); n == 0 {
			continue
		}
		for j := range 2 {
			switch {
			case slices.Equal(x[j*25:(j+1)*25], plain):
				kept++
			case slices.Equal(x[j*25:(j+1)*25], mirror):
				flipped++
			default:
				t.Fatalf("flip gave an image that is neither the original nor its mirror: %v", x[j*25:(j+1)*25])
			}
		}
	}
	if flipped < 10 || kept < 10 {
		t.Errorf("of 40 images %d were flipped and %d kept; want about half each", flipped, kept)
	}

	// A crop is the image shifted by at most CropPad, black outside.
	crop, _ := newConverter(im, identity(1), Augment{CropPad: 2})
	shifts := map[[2]int]bool{}
	rng := newTestRand(5)
	out := make([]float32, 25)
	for range 200 {
		crop.augmented(im.Pixels, out, rng, false)
		found := false
		for dy := -2; dy <= 2 && !found; dy++ {
			for dx := -2; dx <= 2 && !found; dx++ {
				match := true
				for y := range 5 {
					for x := range 5 {
						want := float32(0)
						if sy, sx := y+dy, x+dx; sy >= 0 && sy < 5 && sx >= 0 && sx < 5 {
							want = plain[sy*5+sx]
						}
						match = match && out[y*5+x] == want
					}
				}
				if match {
					found = true
					shifts[[2]int{dy, dx}] = true
				}
			}
		}
		if !found {
			t.Fatalf("crop gave an image that is no shift of the original: %v", out)
		}
	}
	if len(shifts) != 25 {
		t.Errorf("200 crops used %d of the 25 possible shifts", len(shifts))
	}
}

func TestAugmentCutout(t *testing.T) {
	im := indexed(1, 12, 12, 3, 1)
	mm, err := FitPreprocessor(PreprocessMinMax, Images{N: 1, C: 3, Pixels: []uint8{0, 255, 0}})
	if err != nil {
		t.Fatal(err)
	}
	cv, _ := newConverter(im, mm, Augment{Cutout: 4})
	out := make([]float32, 12*12*3)
	rng := newTestRand(1)
	sawFull := false
	for range 100 {
		cv.augmented(im.Pixels, out, rng, false)
		zeros := 0
		for i, v := range out[6:] { // the first two pixels hold the index
			if v == 0 {
				zeros++
			} else if v != 1 {
				t.Fatalf("value %d = %v, want 0 or 1", i+6, v)
			}
		}
		if zeros > 16*3 || zeros%3 != 0 {
			t.Fatalf("cutout zeroed %d values, want whole pixels, at most 4×4", zeros)
		}
		sawFull = sawFull || zeros == 16*3
	}
	if !sawFull {
		t.Error("no cutout square lay wholly inside the image in 100 tries")
	}
}

func TestAugmentValidate(t *testing.T) {
	tests := []struct {
		set  string
		aug  Augment
		want string // "" for no error
	}{
		{"mnist", Augment{FlipH: true}, "horizontal flip is refused for mnist"},
		{"mnist", Augment{CropPad: 2, Cutout: 8}, ""},
		{"cifar10", Augment{FlipH: true, CropPad: 4, Cutout: 16}, ""},
		{"fashion-mnist", Augment{FlipH: true}, ""},
		{"cifar10", Augment{CropPad: -1}, "must not be negative"},
		{"cifar10", Augment{Cutout: 33}, "cutout 33 is larger than the 32×32 images"},
		{"cifar10", Augment{CropPad: 40}, "crop padding 40 is larger"},
	}
	for _, tt := range tests {
		info, _ := Describe(tt.set)
		err := tt.aug.Validate(tt.set, info.H, info.W)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("Validate(%s, %+v) = %v, want %q", tt.set, tt.aug, err, tt.want)
		}
	}
}

func TestPreprocessors(t *testing.T) {
	// Two RGB pixels: channel means 10, 100, 50.
	train := Images{N: 1, H: 1, W: 2, C: 3, Pixels: []uint8{5, 90, 50, 15, 110, 50}, Labels: []uint8{0}}
	tests := []struct {
		kind PreprocessKind
		want []float32
	}{
		{PreprocessNone, []float32{5, 90, 50, 15, 110, 50}},
		{PreprocessMinMax, []float32{0, 85.0 / 105, 45.0 / 105, 10.0 / 105, 1, 45.0 / 105}},
		{PreprocessStandardize, []float32{-1, -1, 0, 1, 1, 0}},
	}
	for _, tt := range tests {
		p, err := FitPreprocessor(tt.kind, train)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, 6)
		if err := p.Convert(train.Pixels, 3, got); err != nil {
			t.Fatal(err)
		}
		for i := range got {
			if math.Abs(float64(got[i]-tt.want[i])) > 1e-6 {
				t.Errorf("%s: got %v, want %v", tt.kind, got, tt.want)
				break
			}
		}
	}
	if _, err := FitPreprocessor("zscore", train); err == nil || !strings.Contains(err.Error(), `unknown kind "zscore"`) {
		t.Errorf("unknown kind: %v", err)
	}
	p, _ := FitPreprocessor(PreprocessStandardize, train)
	if err := p.Convert([]uint8{1}, 1, make([]float32, 1)); err == nil || !strings.Contains(err.Error(), "fitted for 3 channels") {
		t.Errorf("channel mismatch: %v", err)
	}
}

func TestOneHot(t *testing.T) {
	dst := []float32{9, 9, 9, 9, 9, 9}
	if err := OneHot([]int{2, 0}, 3, dst); err != nil || !slices.Equal(dst, []float32{0, 0, 1, 1, 0, 0}) {
		t.Errorf("OneHot = %v, %v", dst, err)
	}
	if err := OneHot([]int{3}, 3, dst); err == nil {
		t.Error("label 3 of 3 classes: no error")
	}
}

func TestEvalBatcher(t *testing.T) {
	im := indexed(9, 2, 2, 1, 4)
	e, err := NewEvalBatcher(im, 4, identity(1))
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 16)
	labels := make([]int, 4)
	for pass := range 2 {
		var order, sizes []int
		for {
			n, err := e.Next(x, labels)
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			sizes = append(sizes, n)
			for j := range n {
				order = append(order, int(x[j*4])<<8|int(x[j*4+1]))
			}
		}
		if !slices.Equal(sizes, []int{4, 4, 1}) || !slices.Equal(order, []int{0, 1, 2, 3, 4, 5, 6, 7, 8}) {
			t.Errorf("pass %d: sizes %v order %v", pass, sizes, order)
		}
	}
}

func newTestRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0)) }

// TestAlternateFlip checks that with the alternating rule every image is
// flipped in exactly one of two consecutive epochs, about half of them in
// the first, and that a reflected crop shows only pixels of the image.
func TestAlternateFlip(t *testing.T) {
	const n = 40
	im := Images{N: n, H: 3, W: 4, C: 1, Pixels: make([]uint8, n*12), Labels: make([]uint8, n)}
	for i := range im.Pixels {
		im.Pixels[i] = uint8(1 + i%12)
	}
	for i := range n {
		im.Pixels[i*12] = uint8(100 + i) // the top-left pixel names the image
	}
	run := func(aug Augment, epochs int, see func(epoch int, img []float32)) {
		b, err := NewBatcher(im, BatchOptions{Size: n, Preprocess: identity(1), Augment: aug, AugmentSeed: 3})
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, n*12)
		labels := make([]int, n)
		for epoch := range epochs {
			if got, err := b.Next(x, labels); err != nil || got != n {
				t.Fatalf("epoch %d: %d images, %v", epoch, got, err)
			}
			for j := range n {
				see(epoch, x[j*12:(j+1)*12])
			}
			if got, _ := b.Next(x, labels); got != 0 {
				t.Fatal("an epoch did not end")
			}
		}
	}
	flipped := map[int][]bool{}
	run(Augment{FlipH: true, FlipAlternate: true}, 4, func(epoch int, img []float32) {
		if img[0] >= 100 {
			flipped[int(img[0])-100] = append(flipped[int(img[0])-100], false)
		} else {
			flipped[int(img[3])-100] = append(flipped[int(img[3])-100], true)
		}
	})
	first := 0
	for id, f := range flipped {
		if len(f) != 4 {
			t.Fatalf("image %d seen %d times in 4 epochs", id, len(f))
		}
		for e := 1; e < 4; e++ {
			if f[e] == f[e-1] {
				t.Errorf("image %d flipped %v in epochs 0..3: not alternating", id, f)
				break
			}
		}
		if f[0] {
			first++
		}
	}
	if first < 10 || first > 30 {
		t.Errorf("%d of %d images flipped in the first epoch; want about half", first, n)
	}
	run(Augment{CropPad: 2, CropReflect: true}, 3, func(epoch int, img []float32) {
		for _, v := range img {
			if v == 0 {
				t.Fatalf("epoch %d: a reflected crop shows padding: %v", epoch, img)
			}
		}
	})
}
