package runner

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/cnnlab/cnnlab/data"
	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/runner/record"
)

// splitSeed chooses the training, validation and test images. It is the same
// for every run, whatever its seed, so that the runs of a sweep (replicates
// included) are measured on the same validation and test images.
const splitSeed uint64 = 1

// SetLoader returns the data set an experiment names, whole: its training
// part and, if it has one, its test part.
type SetLoader func(ctx context.Context, d experiments.Data) (*data.Set, error)

// loadSet is the SetLoader of real runs: the built-in sets from the cache
// (fetched on first use), folders from disk.
func loadSet(log io.Writer) SetLoader {
	return func(ctx context.Context, d experiments.Data) (*data.Set, error) {
		if d.Set == experiments.SetFolder {
			return data.LoadFolder(d.Path, d.Size, d.Channels)
		}
		return data.Load(ctx, string(d.Set), data.LoadOptions{Log: log})
	}
}

// dataset is the images of one run, split and with its preprocessing fitted
// on the training part. Runs with the same data settings share one.
type dataset struct {
	classes          []string
	train, val, test data.Images
	preprocess       data.Preprocessor
	augment          data.Augment
}

// datasets loads each data set once and shares its splits between runs.
type datasets struct {
	load SetLoader

	mu     sync.Mutex
	sets   map[string]*setEntry
	splits map[string]*splitEntry
}

type setEntry struct {
	once sync.Once
	set  *data.Set
	err  error
}

type splitEntry struct {
	once sync.Once
	ds   *dataset
	err  error
}

func newDatasets(load SetLoader) *datasets {
	return &datasets{load: load, sets: map[string]*setEntry{}, splits: map[string]*splitEntry{}}
}

// dataSetKey names the pictures an experiment's data settings load: runs
// with the same key share one data set in memory.
func dataSetKey(d experiments.Data) string {
	return fmt.Sprintf("%s|%s|%d|%d", d.Set, d.Path, d.Size, d.Channels)
}

// get returns the split data of an experiment, loading the set if needed.
func (c *datasets) get(ctx context.Context, d experiments.Data) (*dataset, error) {
	setKey := dataSetKey(d)
	splitKey := fmt.Sprintf("%s|%d|%d|%d|%s", setKey, d.Split.Train, d.Split.Val, d.Split.Test, d.Preprocess)
	c.mu.Lock()
	se := c.sets[setKey]
	if se == nil {
		se = &setEntry{}
		c.sets[setKey] = se
	}
	sp := c.splits[splitKey]
	if sp == nil {
		sp = &splitEntry{}
		c.splits[splitKey] = sp
	}
	c.mu.Unlock()

	se.once.Do(func() { se.set, se.err = c.load(ctx, d) })
	if se.err != nil {
		return nil, fmt.Errorf("data set %s: %w", setLabel(d), se.err)
	}
	sp.once.Do(func() { sp.ds, sp.err = splitSet(se.set, d) })
	if sp.err != nil {
		return nil, fmt.Errorf("data set %s: %w", setLabel(d), sp.err)
	}
	ds := *sp.ds
	aug, err := augmentOf(d)
	if err != nil {
		return nil, fmt.Errorf("data set %s: %w", setLabel(d), err)
	}
	ds.augment = aug
	return &ds, nil
}

func setLabel(d experiments.Data) string {
	if d.Set == experiments.SetFolder {
		return d.Path
	}
	return string(d.Set)
}

// splitSet carves the training, validation and test parts an experiment
// asks for and fits the preprocessing on the training part. For the
// built-in sets, train and val come from the official training set and test
// is a prefix of the official test set. For a folder with a test part, test is
// a stratified subset of it; without one, test is carved from the folder too.
func splitSet(set *data.Set, d experiments.Data) (*dataset, error) {
	if set.H != d.Size || set.W != d.Size || set.C != d.Channels {
		return nil, fmt.Errorf("images are %d×%d×%d, the experiment expects %d×%d×%d", set.H, set.W, set.C, d.Size, d.Size, d.Channels)
	}
	sp := d.Split
	all := set.Train
	var test data.Images
	var err error
	switch {
	case set.Test.N == 0:
		if sp.Test >= all.N {
			return nil, fmt.Errorf("split: test %d leaves nothing of the %d images to train on", sp.Test, all.N)
		}
		if all, test, err = data.Split(all, all.N-sp.Test, sp.Test, splitSeed); err != nil {
			return nil, err
		}
	case d.Set == experiments.SetFolder:
		if sp.Test > set.Test.N {
			return nil, fmt.Errorf("split: test %d, but the test part has %d images", sp.Test, set.Test.N)
		}
		if test, err = data.Subset(set.Test, sp.Test, splitSeed); err != nil {
			return nil, err
		}
	default:
		if sp.Test > set.Test.N {
			return nil, fmt.Errorf("split: test %d, but the test set has %d images", sp.Test, set.Test.N)
		}
		test = prefix(set.Test, sp.Test)
	}
	nTrain := sp.Train
	if nTrain == 0 {
		nTrain = all.N - sp.Val
	}
	train, val, err := data.Split(all, nTrain, sp.Val, splitSeed)
	if err != nil {
		return nil, err
	}
	pre, err := data.FitPreprocessor(data.PreprocessKind(d.Preprocess), train)
	if err != nil {
		return nil, err
	}
	classes := set.Classes
	if len(classes) == 0 {
		return nil, fmt.Errorf("the set has no class names")
	}
	return &dataset{classes: classes, train: train, val: val, test: test, preprocess: pre}, nil
}

func prefix(im data.Images, n int) data.Images {
	sz := im.ImageSize()
	return data.Images{N: n, H: im.H, W: im.W, C: im.C, Pixels: im.Pixels[:n*sz], Labels: im.Labels[:n]}
}

// augmentOf turns an experiment's augmentation list into data's settings.
func augmentOf(d experiments.Data) (data.Augment, error) {
	var a data.Augment
	for _, x := range d.Augment {
		switch x.Kind {
		case experiments.AugmentFlip:
			a.FlipH, a.FlipAlternate = true, x.Alternate
		case experiments.AugmentCrop:
			a.CropPad, a.CropReflect = x.Pad, x.Reflect
		case experiments.AugmentCutout:
			a.Cutout = x.Size
		default:
			return a, fmt.Errorf("unknown augmentation %q", x.Kind)
		}
	}
	if err := a.Validate(string(d.Set), d.Size, d.Size); err != nil {
		return a, err
	}
	return a, nil
}

// preprocessRecord is what a run records of how it turns a picture into
// the network's input.
func preprocessRecord(ds *dataset, d experiments.Data) record.Preprocess {
	p := ds.preprocess
	return record.Preprocess{Set: string(d.Set), Size: d.Size, Channels: d.Channels, Kind: string(p.Kind),
		Offset: slices.Clone(p.Offset), Scale: slices.Clone(p.Scale), Classes: slices.Clone(ds.classes)}
}

// FitPreprocess recomputes the preprocessing a run of exp was trained with
// (for runs that did not record it): it loads the data set (built-in sets
// from the cache, fetched if need be; log receives the progress), splits it
// as the run did and fits the statistics on the training part.
func FitPreprocess(ctx context.Context, exp *experiments.Experiment, log io.Writer) (record.Preprocess, error) {
	ds, err := newDatasets(loadSet(log)).get(ctx, exp.Data)
	if err != nil {
		return record.Preprocess{}, err
	}
	return preprocessRecord(ds, exp.Data), nil
}
