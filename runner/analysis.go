package runner

import (
	"fmt"
	"math"
	"slices"

	"github.com/cnnlab/cnnlab/data"
	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/runner/record"
)

// analysisBatch is the number of test images classified at once.
const analysisBatch = 256

// Bounds on the test images kept for the confusion matrix's cells: at most
// cellImages per (true, predicted) pair and maxCellImages in all (fewer per
// cell when there are many classes).
const (
	cellImages    = 4
	maxCellImages = 400
)

// Bounds on the filters recorded of each conv layer: the first
// maxFilterOutputs filters, each over its first maxFilterInputs input
// channels.
const (
	maxFilterOutputs = 64
	maxFilterInputs  = 16
)

// analyse classifies the test images with net and gathers what a run's
// report shows: the confusion matrix, per-class accuracy, for each class its
// most confident correct images, the most confident wrong ones, the most
// confident images of every cell of the confusion matrix, the filters of
// the conv layers, and the feature maps of a few fixed test images. lrs is the learning rate of every step.
func analyse(net *nn.Network, ds *dataset, rep experiments.Report, lrs []float64) (*record.Analysis, error) {
	test := ds.test
	k := len(ds.classes)
	if net.Output().Size() != k {
		return nil, fmt.Errorf("the network has %d outputs for %d classes", net.Output().Size(), k)
	}
	probs, err := classify(net, test, ds.preprocess)
	if err != nil {
		return nil, err
	}
	an := &record.Analysis{Classes: append([]string(nil), ds.classes...), LR: lrs}
	an.Confusion = make([][]int, k)
	for c := range an.Confusion {
		an.Confusion[c] = make([]int, k)
	}
	preds := make([]int, test.N)
	correct := 0
	for i := range test.N {
		p := probs[i*k : (i+1)*k]
		best := 0
		for j, v := range p {
			if v > p[best] {
				best = j
			}
		}
		preds[i] = best
		y := int(test.Labels[i])
		an.Confusion[y][best]++
		if y == best {
			correct++
		}
	}
	an.TestAcc = float64(correct) / float64(max(test.N, 1))
	an.ClassAcc = make([]float64, k)
	for c, row := range an.Confusion {
		total := 0
		for _, v := range row {
			total += v
		}
		if total > 0 {
			an.ClassAcc[c] = float64(row[c]) / float64(total)
		}
	}

	conf := func(i int) float32 { return probs[i*k+preds[i]] }
	byConfidence := func(idx []int) {
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case conf(a) > conf(b):
				return -1
			case conf(b) > conf(a):
				return 1
			}
			return 0
		})
	}
	// Gallery: per true class, the images classified right with the
	// highest probability on their class; and the images classified wrong
	// with the highest probability on the wrong class, over all classes, so
	// that a class with few mistakes does not bring in doubtful ones.
	if rep.Gallery > 0 {
		perClass := (rep.Gallery + k - 1) / k
		var wrong []int
		for c := range k {
			var right []int
			for i := range test.N {
				if int(test.Labels[i]) != c {
					continue
				}
				if preds[i] == c {
					right = append(right, i)
				} else {
					wrong = append(wrong, i)
				}
			}
			byConfidence(right)
			for _, i := range right[:min(perClass, len(right))] {
				an.Correct = append(an.Correct, example(test, i, preds[i], probs[i*k:(i+1)*k]))
			}
		}
		byConfidence(wrong)
		for _, i := range wrong[:min(perClass*k, len(wrong))] {
			an.Wrong = append(an.Wrong, example(test, i, preds[i], probs[i*k:(i+1)*k]))
		}
	}

	// The confusion matrix's cells: the most confident images of each
	// (true, predicted) pair, a bounded number per cell and in all.
	perCell := min(cellImages, maxCellImages/max(k*k, 1))
	if perCell > 0 {
		cells := make([][]int, k*k)
		for i := range test.N {
			c := int(test.Labels[i])*k + preds[i]
			cells[c] = append(cells[c], i)
		}
		for c, idx := range cells {
			if len(idx) == 0 {
				continue
			}
			byConfidence(idx)
			cell := record.ConfusionCell{True: c / k, Pred: c % k}
			for _, i := range idx[:min(perCell, len(idx))] {
				cell.Examples = append(cell.Examples, example(test, i, preds[i], probs[i*k:(i+1)*k]))
			}
			an.Cells = append(an.Cells, cell)
		}
	}
	an.Filters = filters(net)

	if rep.FeatureMaps.Images > 0 {
		an.FeatureMaps, err = featureMaps(net, test, ds.preprocess, pickImages(test, k, rep.FeatureMaps.Images))
		if err != nil {
			return nil, fmt.Errorf("feature maps: %w", err)
		}
	}
	return an, nil
}

// classify returns the class probabilities of every image, image after image.
func classify(net *nn.Network, im data.Images, pre data.Preprocessor) ([]float32, error) {
	k := net.Output().Size()
	in := net.Input()
	eb, err := data.NewEvalBatcher(im, analysisBatch, pre)
	if err != nil {
		return nil, err
	}
	buf := make([]float32, analysisBatch*in.Size())
	labels := make([]int, analysisBatch)
	out := make([]float32, 0, im.N*k)
	for {
		n, err := eb.Next(buf, labels)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			break
		}
		p, err := net.Probabilities(&nn.Tensor{N: n, H: in.H, W: in.W, C: in.C, Data: buf[:n*in.Size()]})
		if err != nil {
			return nil, err
		}
		out = append(out, p.Data[:n*k]...)
	}
	return out, nil
}

func imageOf(im data.Images, i int) record.Image {
	return record.Image{H: im.H, W: im.W, C: im.C, Pixels: append([]byte(nil), im.Image(i)...)}
}

func example(im data.Images, i, pred int, probs []float32) record.Example {
	ps := make([]float64, len(probs))
	for j, v := range probs {
		ps[j] = float64(v)
	}
	return record.Example{Index: i, True: int(im.Labels[i]), Pred: pred, Prob: ps[pred], Probs: ps, Image: imageOf(im, i)}
}

// pickImages chooses n fixed test images, one per class in turn: the first
// image of class 0, of class 1, …, then the second of each, and so on.
func pickImages(im data.Images, classes, n int) []int {
	byClass := make([][]int, classes)
	for i := range im.N {
		c := int(im.Labels[i])
		byClass[c] = append(byClass[c], i)
	}
	var out []int
	for round := 0; len(out) < n; round++ {
		added := false
		for c := 0; c < classes && len(out) < n; c++ {
			if round < len(byClass[c]) {
				out = append(out, byClass[c][round])
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out
}

// featureMaps returns, for each chosen image, the output of every layer whose
// kind shows feature maps (conv, pooling), after the element-wise activation
// right behind it when the layer takes an activation: shortcut (a conv).
func featureMaps(net *nn.Network, im data.Images, pre data.Preprocessor, idx []int) ([]record.FeatureMaps, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	in := net.Input()
	x := nn.NewTensor(len(idx), in.H, in.W, in.C)
	for j, i := range idx {
		if err := pre.Convert(im.Image(i), im.C, x.Example(j)); err != nil {
			return nil, err
		}
	}
	// Every layer, those nested in blocks included (res1.body.conv1).
	outs, err := net.Outputs(x)
	if err != nil {
		return nil, err
	}
	out := make([]record.FeatureMaps, len(idx))
	for j, i := range idx {
		out[j] = record.FeatureMaps{Index: i, True: int(im.Labels[i]), Image: imageOf(im, i)}
	}
	for l, o := range outs {
		kind := nn.LookupKind(o.Kind)
		if kind == nil || !kind.FeatureMaps {
			continue
		}
		act, activation := o.Out, ""
		if _, takesActivation := kind.Key("activation"); takesActivation && l+1 < len(outs) && outs[l+1].List == o.List {
			if next := nn.LookupKind(outs[l+1].Kind); next != nil && next.Activation && next.ElementWise {
				act, activation = outs[l+1].Out, string(next.Kind)
			}
		}
		for j := range idx {
			lm := scaleMaps(act.Example(j), act.H, act.W, act.C)
			lm.Layer, lm.Kind, lm.Activation = o.Name, string(o.Kind), activation
			out[j].Layers = append(out[j].Layers, lm)
		}
	}
	return out, nil
}

// scaleMaps scales each channel of an H×W×C activation to 0..255.
func scaleMaps(v []float32, h, w, c int) record.LayerMaps {
	lm := record.LayerMaps{H: h, W: w, C: c, Min: make([]float32, c), Max: make([]float32, c), Data: make([]byte, len(v))}
	for ch := range c {
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		for p := ch; p < len(v); p += c {
			lo, hi = min(lo, v[p]), max(hi, v[p])
		}
		lm.Min[ch], lm.Max[ch] = lo, hi
		if !(hi > lo) {
			continue
		}
		scale := 255 / (hi - lo)
		for p := ch; p < len(v); p += c {
			lm.Data[p] = byte(math.Round(float64((v[p] - lo) * scale)))
		}
	}
	return lm
}

// filters returns the weights of every conv layer's filters (4-D weight
// tensors, KH×KW×C×F), bounded to the first maxFilterOutputs filters over
// the first maxFilterInputs input channels.
func filters(net *nn.Network) []record.LayerFilters {
	var out []record.LayerFilters
	for _, p := range net.Params() {
		if p.Name != "weight" || len(p.Shape) != 4 {
			continue
		}
		kh, kw, c, f := p.Shape[0], p.Shape[1], p.Shape[2], p.Shape[3]
		lf := record.LayerFilters{Layer: p.Layer, KH: kh, KW: kw, C: min(c, maxFilterInputs), F: min(f, maxFilterOutputs), InC: c, OutF: f}
		lf.Weights = make([]float32, 0, kh*kw*lf.C*lf.F)
		for y := range kh {
			for x := range kw {
				for ch := range lf.C {
					row := ((y*kw+x)*c + ch) * f
					lf.Weights = append(lf.Weights, p.Value[row:row+lf.F]...)
				}
			}
		}
		out = append(out, lf)
	}
	return out
}
