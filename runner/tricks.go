package runner

import (
	"context"
	"fmt"
	"os"

	"github.com/cnnlab/cnnlab/arch"
	"github.com/cnnlab/cnnlab/data"
	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/internal/fsutil"
	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/runner/record"
)

// whitenImages is how many training images (the first of the split) a
// whitening layer takes its patch covariance from.
const whitenImages = 5000

// whiten sets the network's whitening layer, if it has one, from the
// training images, preprocessed and not augmented, and records what it
// computed. It runs once, on a fresh start: a resumed run has the filters
// in its checkpoint.
func (t *trainer) whiten() error {
	if t.net.WhitenLayer() < 0 {
		return nil
	}
	im := t.ds.train
	n := min(im.N, whitenImages)
	sub := data.Images{N: n, H: im.H, W: im.W, C: im.C, Pixels: im.Pixels[:n*im.ImageSize()], Labels: im.Labels[:n]}
	eb, err := data.NewEvalBatcher(sub, n, t.ds.preprocess)
	if err != nil {
		return fmt.Errorf("whitening: %w", err)
	}
	x := nn.NewTensor(n, im.H, im.W, im.C)
	labels := make([]int, n)
	if got, err := eb.Next(x.Data, labels); err != nil || got != n {
		return fmt.Errorf("whitening: %d of %d images: %v", got, n, err)
	}
	st, err := t.net.Whiten(x)
	if err != nil {
		return fmt.Errorf("whitening: %w", err)
	}
	w := t.net.Params()[0]
	f := w.Shape[len(w.Shape)-1]
	rec := record.Whitening{Layer: st.Layer, KernelH: st.KernelH, KernelW: st.KernelW, Channels: st.Channels,
		Images: st.Images, Eps: st.Eps, Eigenvalues: st.Eigenvalues}
	size := len(w.Value) / f
	for q := range f {
		filter := make([]float32, size)
		for i := range filter {
			filter[i] = w.Value[i*f+q]
		}
		rec.Filters = append(rec.Filters, filter)
	}
	return record.WriteJSON(t.path(record.WhitenFile), rec)
}

// trainSettings writes the per-tensor settings of train.groups onto the
// network and starts its weight average, after a fresh start or a resume.
func (t *trainer) trainSettings() error {
	tr := t.job.exp.Train
	arch.Groups(tr.Groups, t.net.Params())
	t.net.SetEpoch(t.meta.Epoch + 1)
	t.avg = nil
	cfg := arch.Average(tr.Average)
	if cfg == nil {
		return nil
	}
	var err error
	if t.avg, err = nn.NewWeightAverage(t.net, *cfg); err != nil {
		return err
	}
	if !t.resumed {
		return nil
	}
	b, err := os.ReadFile(t.path(record.AverageFile))
	if err != nil {
		return err
	}
	step, err := t.avg.UnmarshalBinary(b)
	if err != nil {
		return fmt.Errorf("%s: %w", record.AverageFile, err)
	}
	if step != t.meta.Step {
		return fmt.Errorf("%s is of step %d, the checkpoint of step %d", record.AverageFile, step, t.meta.Step)
	}
	return nil
}

// saveAverage writes the weight average beside the checkpoint.
func (t *trainer) saveAverage() error {
	if t.avg == nil {
		return nil
	}
	return fsutil.WriteFileAtomic(t.path(record.AverageFile), t.avg.MarshalBinary(t.meta.Step), 0o644)
}

// withAverage runs f with the weight average in the network's place, if
// the run keeps one and average is set.
func (t *trainer) withAverage(average bool, f func() error) error {
	if average && t.avg != nil {
		t.avg.Swap()
		defer t.avg.Swap()
	}
	return f()
}

// ttaBuffers are the buffers of test-time augmentation, allocated once.
type ttaBuffers struct {
	img  []float32 // a batch altered
	sum  []float32 // the logits summed
	part []float32 // the logits of flip or of translate
	out  nn.Tensor
}

// forwardTTA returns the logits of the batch x averaged as kind says:
// none, the network's; flip, the mean of those of x and of its mirror;
// translate, half that and half the mean over the mirror pair of x moved
// one pixel up-left and one pixel down-right (edges reflected).
func (t *trainer) forwardTTA(x *nn.Tensor, kind experiments.TTAKind) (*nn.Tensor, error) {
	if kind == experiments.TTANone || kind == "" {
		return t.net.Forward(x, false)
	}
	b := &t.tta
	out := t.net.Output()
	size := x.N * out.Size()
	if cap(b.sum) < size {
		b.sum, b.part = make([]float32, size), make([]float32, size)
	}
	if cap(b.img) < len(x.Data) {
		b.img = make([]float32, len(x.Data))
	}
	sum, part := b.sum[:size], b.part[:size]
	img := &nn.Tensor{N: x.N, H: x.H, W: x.W, C: x.C, Data: b.img[:len(x.Data)]}
	mirrorPair := func(dst []float32, dy, dx int) error {
		for k, flip := range []bool{false, true} {
			shift(img, x, dy, dx, flip)
			y, err := t.net.Forward(img, false)
			if err != nil {
				return err
			}
			for i, v := range y.Data[:size] {
				if k == 0 {
					dst[i] = v / 2
				} else {
					dst[i] += v / 2
				}
			}
		}
		return nil
	}
	if err := mirrorPair(sum, 0, 0); err != nil {
		return nil, err
	}
	if kind == experiments.TTATranslate {
		for k, d := range []int{-1, 1} {
			if err := mirrorPair(part, d, d); err != nil {
				return nil, err
			}
			for i, v := range part {
				if k == 0 {
					sum[i] /= 2
				}
				sum[i] += v / 4
			}
		}
	}
	b.out = nn.Tensor{N: x.N, H: out.H, W: out.W, C: out.C, Data: sum}
	return &b.out, nil
}

// shift sets dst to src moved by dy, dx pixels (dst[y][x] = src[y+dy][x+dx],
// reflected at the edges), mirrored left to right first when flip is set.
func shift(dst, src *nn.Tensor, dy, dx int, flip bool) {
	h, w, c := src.H, src.W, src.C
	refl := func(v, n int) int {
		if v < 0 {
			v = -v
		}
		if v >= n {
			v = 2*n - 2 - v
		}
		return min(max(v, 0), n-1)
	}
	for n := range src.N {
		s := src.Data[n*h*w*c : (n+1)*h*w*c]
		d := dst.Data[n*h*w*c : (n+1)*h*w*c]
		for y := range h {
			sy := refl(y+dy, h)
			for x := range w {
				sx := refl(x+dx, w)
				if flip {
					sx = w - 1 - sx
				}
				copy(d[(y*w+x)*c:(y*w+x+1)*c], s[(sy*w+sx)*c:(sy*w+sx+1)*c])
			}
		}
	}
}

// evaluations evaluates the final network on the test images every way
// the run's settings compare: raw weights and their average, each without
// and with each test-time augmentation.
func (t *trainer) evaluations(ctx context.Context) (record.Evaluations, error) {
	tr := t.job.exp.Train
	used := "raw"
	if t.avg != nil {
		used = "average"
	}
	ev := record.Evaluations{Epoch: t.meta.Epoch, Used: used + ", " + string(tr.TTA),
		LastOnly: tr.TTAEpochs == experiments.TTALastEpoch && tr.TTA != experiments.TTANone}
	weights := []string{"raw"}
	if t.avg != nil {
		weights = append(weights, "average")
	}
	same := t.avg != nil && t.avg.Same()
	for _, w := range weights {
		for k, kind := range []experiments.TTAKind{experiments.TTANone, experiments.TTAFlip, experiments.TTATranslate} {
			if same && w == "average" {
				// The average is the weights (lookahead's last step was
				// an update): their evaluations are the same.
				ev.Rows = append(ev.Rows, record.Evaluation{Weights: w, TTA: string(kind), TestAcc: ev.Rows[k].TestAcc, TestLoss: ev.Rows[k].TestLoss})
				continue
			}
			var loss, acc float64
			err := t.withAverage(w == "average", func() error {
				var err error
				loss, acc, err = t.evaluateWith(ctx, 1, kind)
				return err
			})
			if err != nil {
				return ev, err
			}
			ev.Rows = append(ev.Rows, record.Evaluation{Weights: w, TTA: string(kind), TestAcc: acc, TestLoss: loss})
		}
	}
	return ev, nil
}
