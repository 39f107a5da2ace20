package data

import (
	"fmt"
	"math/rand/v2"
)

// BatchOptions configures a Batcher.
type BatchOptions struct {
	Size        int          // images per batch
	Seed        uint64       // the run seed; with StreamShuffle it orders each epoch
	Preprocess  Preprocessor // fitted on the training split
	Augment     Augment      // zero value: no augmentation; check it with Augment.Validate and the set's name first
	AugmentSeed uint64       // with StreamAugment, drives the augmentation
}

// BatcherState is where a Batcher stands: the epoch and the number of
// batches of it already handed out. Saving it and restoring it into a new
// Batcher over the same images and options continues bit for bit.
type BatcherState struct {
	Epoch int `json:"epoch"`
	Batch int `json:"batch"`
}

// Batcher hands out the training images in shuffled batches, epoch after
// epoch. Epoch e's order is a permutation drawn from PCG(Seed,
// splitmix64(StreamShuffle^e)), and batch b of it is augmented from
// PCG(AugmentSeed, splitmix64(splitmix64(StreamAugment^e)+b)), so any state
// can be restored exactly without replaying earlier epochs.
//
// The last batch of an epoch is smaller when Size does not divide the
// number of images. It is kept unless it would hold a single image (batch
// statistics of one image are meaningless); that one image then sits out
// this epoch, and a different one, the shuffle permitting, the next.
type Batcher struct {
	im       Images
	opts     BatchOptions
	conv     *converter
	order    []int32
	perEpoch int
	state    BatcherState
	ordered  int // the epoch order holds, -1 for none
	pcg      *rand.PCG
	rng      *rand.Rand
}

// NewBatcher returns a Batcher at the start of epoch 0.
func NewBatcher(im Images, opts BatchOptions) (*Batcher, error) {
	if opts.Size < 1 {
		return nil, fmt.Errorf("batcher: batch size %d, want at least 1", opts.Size)
	}
	if len(im.Pixels) != im.N*im.ImageSize() || len(im.Labels) != im.N {
		return nil, fmt.Errorf("batcher: %d images of %d×%d×%d do not match %d pixel bytes and %d labels",
			im.N, im.H, im.W, im.C, len(im.Pixels), len(im.Labels))
	}
	if err := opts.Augment.Validate("", im.H, im.W); err != nil {
		return nil, fmt.Errorf("batcher: %w", err)
	}
	perEpoch := im.N / opts.Size
	if rest := im.N % opts.Size; rest > 1 {
		perEpoch++
	}
	if perEpoch == 0 {
		return nil, fmt.Errorf("batcher: %d image(s) make no batch; need at least 2", im.N)
	}
	conv, err := newConverter(im, opts.Preprocess, opts.Augment)
	if err != nil {
		return nil, fmt.Errorf("batcher: %w", err)
	}
	pcg := rand.NewPCG(0, 0)
	return &Batcher{im: im, opts: opts, conv: conv, order: make([]int32, im.N),
		perEpoch: perEpoch, ordered: -1, pcg: pcg, rng: rand.New(pcg)}, nil
}

// BatchesPerEpoch is the number of batches Next hands out in each epoch.
func (b *Batcher) BatchesPerEpoch() int { return b.perEpoch }

// State returns where the Batcher stands.
func (b *Batcher) State() BatcherState { return b.state }

// Restore moves the Batcher to a saved state.
func (b *Batcher) Restore(s BatcherState) error {
	if s.Epoch < 0 || s.Batch < 0 || s.Batch > b.perEpoch {
		return fmt.Errorf("batcher: cannot restore epoch %d batch %d (an epoch has %d batches)", s.Epoch, s.Batch, b.perEpoch)
	}
	b.state = s
	return nil
}

// Next fills x (Size×H×W×C values, NHWC) and labels (Size values) with the
// next batch and returns how many images it holds. At the end of an epoch
// it returns 0, and the call after that starts the next epoch. It
// allocates nothing.
func (b *Batcher) Next(x []float32, labels []int) (int, error) {
	sz := b.im.ImageSize()
	if len(x) < b.opts.Size*sz || len(labels) < b.opts.Size {
		return 0, fmt.Errorf("batcher: buffers hold %d values and %d labels, a batch needs %d and %d",
			len(x), len(labels), b.opts.Size*sz, b.opts.Size)
	}
	if b.state.Batch >= b.perEpoch {
		b.state = BatcherState{Epoch: b.state.Epoch + 1}
		return 0, nil
	}
	if b.ordered != b.state.Epoch {
		b.shuffle(b.state.Epoch)
	}
	start := b.state.Batch * b.opts.Size
	end := min(start+b.opts.Size, b.im.N)
	aug := b.opts.Augment.Enabled()
	if aug {
		b.pcg.Seed(b.opts.AugmentSeed, splitmix64(splitmix64(StreamAugment^uint64(b.state.Epoch))+uint64(b.state.Batch)))
	}
	for j, i := range b.order[start:end] {
		src := b.im.Pixels[int(i)*sz : (int(i)+1)*sz]
		dst := x[j*sz : (j+1)*sz]
		if aug {
			alt := b.opts.Augment.FlipAlternate && alternateFlip(b.opts.AugmentSeed, int(i), b.state.Epoch)
			b.conv.augmented(src, dst, b.rng, alt)
		} else {
			b.conv.plain(src, dst)
		}
		labels[j] = int(b.im.Labels[i])
	}
	b.state.Batch++
	return end - start, nil
}

func (b *Batcher) shuffle(epoch int) {
	for i := range b.order {
		b.order[i] = int32(i)
	}
	b.pcg.Seed(b.opts.Seed, splitmix64(StreamShuffle^uint64(epoch)))
	b.rng.Shuffle(len(b.order), func(i, j int) { b.order[i], b.order[j] = b.order[j], b.order[i] })
	b.ordered = epoch
}

// EvalBatcher hands out images in their stored order, preprocessed and
// never augmented, for evaluation. The last batch holds what is left, even
// a single image.
type EvalBatcher struct {
	im   Images
	size int
	conv *converter
	pos  int
}

// NewEvalBatcher returns an EvalBatcher at the first image.
func NewEvalBatcher(im Images, size int, p Preprocessor) (*EvalBatcher, error) {
	if size < 1 {
		return nil, fmt.Errorf("eval batcher: batch size %d, want at least 1", size)
	}
	if len(im.Pixels) != im.N*im.ImageSize() || len(im.Labels) != im.N {
		return nil, fmt.Errorf("eval batcher: %d images of %d×%d×%d do not match %d pixel bytes and %d labels",
			im.N, im.H, im.W, im.C, len(im.Pixels), len(im.Labels))
	}
	conv, err := newConverter(im, p, Augment{})
	if err != nil {
		return nil, fmt.Errorf("eval batcher: %w", err)
	}
	return &EvalBatcher{im: im, size: size, conv: conv}, nil
}

// Next fills x and labels with the next images in order and returns how
// many. After the last image it returns 0 and starts over.
func (e *EvalBatcher) Next(x []float32, labels []int) (int, error) {
	sz := e.im.ImageSize()
	if len(x) < e.size*sz || len(labels) < e.size {
		return 0, fmt.Errorf("eval batcher: buffers hold %d values and %d labels, a batch needs %d and %d",
			len(x), len(labels), e.size*sz, e.size)
	}
	if e.pos >= e.im.N {
		e.pos = 0
		return 0, nil
	}
	end := min(e.pos+e.size, e.im.N)
	for j := range end - e.pos {
		i := e.pos + j
		e.conv.plain(e.im.Pixels[i*sz:(i+1)*sz], x[j*sz:(j+1)*sz])
		labels[j] = int(e.im.Labels[i])
	}
	n := end - e.pos
	e.pos = end
	return n, nil
}
