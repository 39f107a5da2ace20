package experiments

import (
	"fmt"
	"math"
	"slices"
)

// The experiment format outside the layers (whose keys are package nn's
// table of layer kinds): every section and key, with its type, one line of
// description, default, bounds and choices. The decoder takes the keys it
// accepts from here (and so its "did you mean" suggestions), and Schema
// writes the JSON Schema from here, so the two cannot disagree on a key.

// formatType is the type of a key's value.
type formatType int

const (
	fText      formatType = iota + 1 // any text
	fInt                             // a whole number in [Min, Max]
	fFloat                           // a number between Min and Max (see MinOpen, MaxOpen)
	fBool                            // true or false
	fEnum                            // one of Choices
	fMapping                         // a mapping of Keys
	fKind                            // one of Keys by name: bare (`adam`) or with its settings (`{adam: {lr: 0.01}}`)
	fList                            // a list of Item
	fLayers                          // a list of layers
	fBlocks                          // named blocks of layers with parameters
	fPaths                           // a mapping of key paths (text) to values
	fPathLists                       // a mapping of key paths (text) to lists of values
	fDists                           // a mapping of key paths (text) to distributions
)

// formatKey is one key of the experiment format.
type formatKey struct {
	Name    string
	Type    formatType
	Doc     string
	Default any // nil: none (or one that depends on other keys, said in Doc)

	Min, Max         float64 // fInt, fFloat: bounds (inclusive unless MinOpen, MaxOpen)
	MinOpen, MaxOpen bool
	Choices          []string    // fEnum
	Keys             []formatKey // fMapping and fKind: the keys, or the kinds with their settings
	Item             *formatKey  // fList: the type of the items
	Required         []string    // fMapping: keys that must be given
	OrList           bool        // a list of such values is accepted too (sweep.zip: one group or several)
}

// names returns the names of keys.
func names(keys []formatKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.Name
	}
	return out
}

// formatKeys returns the keys of the mapping at path (section names, and
// for a kind its name: "train", "optimizer", "adam"), as the decoder
// accepts them. It panics for a path the format does not have.
func formatKeys(path ...string) []string {
	keys := format
	for _, p := range path {
		i := slices.IndexFunc(keys, func(k formatKey) bool { return k.Name == p })
		if i < 0 {
			panic(fmt.Sprintf("experiments: no key %q in the format at %v", p, path))
		}
		if k := keys[i]; k.Item != nil {
			keys = k.Item.Keys
		} else {
			keys = k.Keys
		}
	}
	return names(keys)
}

const maxInt32 = 1<<31 - 1

var (
	keyLR = func(def float64) formatKey {
		return formatKey{Name: "lr", Type: fFloat, Doc: "learning rate", Default: def, Min: 0, MinOpen: true, Max: math.Inf(1)}
	}
	keyWarmup = formatKey{Name: "warmup", Type: fInt, Doc: "epochs of linear ramp-up of the learning rate from 0 (shorter than train.epochs)", Default: 0, Min: 0, Max: 100_000}
	keyBeta1  = formatKey{Name: "beta1", Type: fFloat, Doc: "decay of the running mean of gradients", Default: 0.9, Min: 0, MinOpen: true, Max: 1, MaxOpen: true}
	keyBeta2  = formatKey{Name: "beta2", Type: fFloat, Doc: "decay of the running mean of squared gradients", Default: 0.999, Min: 0, MinOpen: true, Max: 1, MaxOpen: true}
	keyEps    = formatKey{Name: "eps", Type: fFloat, Doc: "added to the root of the squared-gradient mean", Default: 1e-8, Min: 0, MinOpen: true, Max: math.Inf(1)}
)

// groupKeys are the settings of a group of tensors (train.groups).
var groupKeys = []formatKey{
	{Name: "lr_scale", Type: fFloat, Doc: "multiplies the learning rate of these tensors", Default: 1.0, Min: 0, MinOpen: true, Max: math.Inf(1)},
	{Name: "decay", Type: fFloat, Doc: "multiplies train.l2 and adamw's weight_decay for these tensors; 0: no weight decay on them", Default: 0.0, Min: 0, Max: math.Inf(1)},
}

// averageKeys are the settings of a weight average, with its defaults.
func averageKeys(decay float64, every int, power float64) []formatKey {
	return []formatKey{
		{Name: "decay", Type: fFloat, Doc: "at each update avg = d·avg + (1−d)·w with d = decay·(step/steps)^power", Default: decay, Min: 0, Max: 1, MaxOpen: true},
		{Name: "every", Type: fInt, Doc: "steps between updates of the average", Default: every, Min: 1, Max: 1 << 30},
		{Name: "power", Type: fFloat, Doc: "0: d is decay throughout; > 0: d grows from 0 to decay over the run", Default: power, Min: 0, Max: 100},
	}
}

// format is the experiment format, top-level keys first. A file that
// extends another may leave out anything it inherits.
var format = []formatKey{
	{Name: "name", Type: fText, Doc: "the experiment's name (letters, digits, '-', '_', '.'); default: the file name without .yaml; not inherited"},
	{Name: "description", Type: fText, Doc: "one line about the experiment; not inherited", Default: ""},
	{Name: "extends", Type: fText, Doc: "an experiment file (relative to this one) whose settings this one starts from"},
	{Name: "data", Type: fMapping, Doc: "the images to train and test on and how to prepare them", Required: []string{"set"}, Keys: []formatKey{
		{Name: "set", Type: fEnum, Doc: "the data set: a built-in one, or folder (images in ROOT/<class>/)", Choices: kindStrings([]SetName{SetMNIST, SetFashionMNIST, SetCIFAR10, SetFolder})},
		{Name: "path", Type: fText, Doc: "set: folder only: the root folder ROOT/<class>/*.png|*.jpg, relative to this file"},
		{Name: "size", Type: fInt, Doc: "set: folder only: image side in pixels (fixed for the built-in sets)", Min: 1, Max: 4096},
		{Name: "channels", Type: fInt, Doc: "set: folder only: 1 (gray) or 3 (RGB) (fixed for the built-in sets)", Min: 1, Max: 3},
		{Name: "split", Type: fMapping, Doc: "images of each part; built-in sets: val 5000, train the rest, test all; folder: val and test must be given, train 0 is the rest", Keys: []formatKey{
			{Name: "train", Type: fInt, Doc: "training images", Min: 0, Max: maxInt32},
			{Name: "val", Type: fInt, Doc: "validation images", Min: 0, Max: maxInt32},
			{Name: "test", Type: fInt, Doc: "test images", Min: 0, Max: maxInt32},
		}},
		{Name: "preprocess", Type: fEnum, Doc: "minmax: pixels scaled to [0, 1]; standardize: per-channel mean 0, std 1 from the training split; none: raw 0…255", Default: string(PreprocessMinMax),
			Choices: kindStrings([]PreprocessKind{PreprocessMinMax, PreprocessStandardize, PreprocessNone})},
		{Name: "augment", Type: fList, Doc: "random changes to training images, e.g. [flip, {crop: {pad: 4}}]", Default: []any{}, Item: &formatKey{
			Name: "augmentation", Type: fKind, Doc: "one random change to training images", Keys: []formatKey{
				{Name: string(AugmentFlip), Type: fMapping, Doc: "flip horizontally with probability 0.5 (not for digits)", Keys: []formatKey{
					{Name: "alternate", Type: fBool, Doc: "flip a random half of the images in the first epoch, then each image in every other epoch (the others in the rest)", Default: false},
				}},
				{Name: string(AugmentCrop), Type: fMapping, Doc: "pad each side with zeros, then crop back at a random place", Keys: []formatKey{
					{Name: "pad", Type: fInt, Doc: "pixels added on each side (smaller than the image)", Default: 4, Min: 1, Max: 1024},
					{Name: "reflect", Type: fBool, Doc: "pad with the image mirrored at its edges instead of zeros", Default: false},
				}},
				{Name: string(AugmentCutout), Type: fMapping, Doc: "set a square at a random place to zero", Keys: []formatKey{
					{Name: "size", Type: fInt, Doc: "side of the square in pixels", Default: 8, Min: 1, Max: 4096},
				}},
			}}},
	}},
	{Name: "blocks", Type: fBlocks, Doc: "named lists of layers with parameters, used in a list of layers as {block: {use: NAME, PARAM: value}}"},
	{Name: "model", Type: fLayers, Doc: "the layers, input first; the last one outputs the logits"},
	{Name: "train", Type: fMapping, Doc: "how to train", Keys: []formatKey{
		{Name: "epochs", Type: fInt, Doc: "passes over the training images", Default: 10, Min: 1, Max: 100_000},
		{Name: "batch", Type: fInt, Doc: "images per step", Default: 64, Min: 1, Max: 1 << 16},
		{Name: "optimizer", Type: fKind, Doc: "the optimizer: a bare name takes its defaults", Default: string(OptAdam), Keys: []formatKey{
			{Name: string(OptSGD), Type: fMapping, Doc: "stochastic gradient descent, with optional momentum", Keys: []formatKey{
				keyLR(0.01),
				{Name: "momentum", Type: fFloat, Doc: "momentum coefficient", Default: 0.0, Min: 0, Max: 1, MaxOpen: true},
				{Name: "nesterov", Type: fBool, Doc: "Nesterov momentum (needs momentum > 0)", Default: false},
			}},
			{Name: string(OptAdam), Type: fMapping, Doc: "Adam", Keys: []formatKey{keyLR(0.001), keyBeta1, keyBeta2, keyEps}},
			{Name: string(OptAdamW), Type: fMapping, Doc: "Adam with decoupled weight decay", Keys: []formatKey{keyLR(0.001), keyBeta1, keyBeta2, keyEps,
				{Name: "weight_decay", Type: fFloat, Doc: "decoupled weight decay", Default: 0.01, Min: 0, Max: math.Inf(1)},
			}},
		}},
		{Name: "schedule", Type: fKind, Doc: "how the learning rate changes over the epochs", Default: string(ScheduleConstant), Keys: []formatKey{
			{Name: string(ScheduleConstant), Type: fMapping, Doc: "the same rate throughout", Keys: []formatKey{keyWarmup}},
			{Name: string(ScheduleStep), Type: fMapping, Doc: "multiply the rate by factor every few epochs", Required: []string{"every"}, Keys: []formatKey{
				{Name: "every", Type: fInt, Doc: "epochs between steps", Min: 1, Max: 100_000},
				{Name: "factor", Type: fFloat, Doc: "what the rate is multiplied by at each step", Default: 0.1, Min: 0, MinOpen: true, Max: 1, MaxOpen: true},
				keyWarmup,
			}},
			{Name: string(ScheduleCosine), Type: fMapping, Doc: "from lr down to 0 at the last epoch along a cosine", Keys: []formatKey{keyWarmup}},
			{Name: string(ScheduleTriangle), Type: fMapping, Doc: "one cycle, step by step: from lr·start up in a straight line to lr at peak, then down to lr·end at the last step", Keys: []formatKey{
				{Name: "start", Type: fFloat, Doc: "the rate at the first step, as a fraction of lr", Default: 0.2, Min: 0, Max: math.Inf(1)},
				{Name: "peak", Type: fFloat, Doc: "where the rate is lr, as a fraction of the run's steps", Default: 0.25, Min: 0, Max: 1},
				{Name: "end", Type: fFloat, Doc: "the rate at the last step, as a fraction of lr", Default: 0.0, Min: 0, Max: math.Inf(1)},
				keyWarmup,
			}},
		}},
		{Name: "l2", Type: fFloat, Doc: "L2 coefficient: the loss adds (l2/2)·Σw² over conv and dense weights", Default: 0.0, Min: 0, Max: math.Inf(1)},
		{Name: "seed", Type: fInt, Doc: "seed of the initialisation, shuffling and dropout", Default: 1, Min: 0, Max: 1 << 53},
		{Name: "early_stop", Type: fMapping, Doc: "stop when the metric has not improved for patience epochs", Required: []string{"patience"}, Keys: []formatKey{
			{Name: "metric", Type: fEnum, Doc: "what must improve", Default: string(MetricValAcc), Choices: kindStrings([]Metric{MetricValAcc, MetricValLoss})},
			{Name: "patience", Type: fInt, Doc: "epochs without improvement before stopping", Min: 1, Max: 100_000},
		}},
		{Name: "clip_norm", Type: fFloat, Doc: "clip the global gradient norm to this; 0: no clipping", Default: 0.0, Min: 0, Max: math.Inf(1)},
		{Name: "label_smoothing", Type: fFloat, Doc: "label smoothing of the cross-entropy loss", Default: 0.0, Min: 0, Max: 1, MaxOpen: true},
		{Name: "groups", Type: fMapping, Doc: "how the tensors other than conv and dense weights train", Keys: []formatKey{
			{Name: "biases", Type: fMapping, Doc: "the biases of conv and dense layers", Keys: groupKeys},
			{Name: "norm", Type: fMapping, Doc: "batch norm's scale and shift", Keys: groupKeys},
		}},
		{Name: "average", Type: fKind, Doc: "a running average of the weights (and batch norm's statistics), which every evaluation and the saved models use; optional", Keys: []formatKey{
			{Name: string(AverageEMA), Type: fMapping, Doc: "an exponential moving average kept beside the weights", Keys: averageKeys(0.99, 1, 0)},
			{Name: string(AverageLookahead), Type: fMapping, Doc: "lookahead: the weights are moved to the average at each of its updates", Keys: averageKeys(0.95, 5, 0)},
		}},
		{Name: "tta", Type: fEnum, Doc: "test-time augmentation of the evaluations: the logits of none: the image; flip: it and its mirror; translate: flip, half and half with flip of the image moved one pixel up-left and down-right", Default: string(TTANone),
			Choices: kindStrings([]TTAKind{TTANone, TTAFlip, TTATranslate})},
		{Name: "tta_epochs", Type: fEnum, Doc: "which evaluations use tta: every epoch's, or only the last epoch's and the final test accuracy (cheaper; the other epochs are evaluated without it)", Default: string(TTAEveryEpoch),
			Choices: kindStrings([]TTAEpochs{TTAEveryEpoch, TTALastEpoch})},
	}},
	{Name: "sweep", Type: fMapping, Doc: "settings to vary: one run per point (key paths such as model[0].conv.filters or train.batch)", Keys: []formatKey{
		{Name: "variants", Type: fPaths, Doc: "named alternatives, each a mapping of key paths to values"},
		{Name: "grid", Type: fPathLists, Doc: "the cartesian product of these axes: key paths to lists of values"},
		{Name: "zip", Type: fPathLists, OrList: true, Doc: "axes that advance together (one group, or a list of groups): key paths to lists of values of one length"},
		{Name: "include", Type: fList, Doc: "extra points, not crossed with the above; `variant:` names the point", Item: &formatKey{Name: "point", Type: fPaths}},
		{Name: "exclude", Type: fList, Doc: "drop the points whose values match every key of a rule (a value, or a list of values)", Item: &formatKey{Name: "rule", Type: fPaths}},
		{Name: "seeds", Type: fInt, Doc: "replicate every point with seeds seed, seed+1, …", Default: 1, Min: 1, Max: MaxRuns},
		{Name: "random", Type: fMapping, Doc: "draw points at random: at each grid point (if any), samples points with the keys of params drawn from their distributions", Required: []string{"samples", "params"}, Keys: []formatKey{
			{Name: "samples", Type: fInt, Doc: "points drawn (at each grid point); adding samples keeps the earlier ones", Min: 1, Max: MaxRuns},
			{Name: "seed", Type: fInt, Doc: "seed of the draws: the same file gives the same points", Default: 1, Min: 0, Max: 1 << 53},
			{Name: "params", Type: fDists, Doc: "key paths (or variant) to distributions: {uniform: [LOW, HIGH]}, {loguniform: [LOW, HIGH]}, {int: [LOW, HIGH]} (both included) or {choice: [VALUES]}; numbers are rounded to 3 significant digits"},
		}},
		{Name: "halving", Type: fMapping, Doc: "successive halving: every point trains to the first rung, the best 1/factor go on to the next, from their checkpoints, until the budget", Keys: []formatKey{
			{Name: "budget", Type: fInt, Doc: "epochs of a point promoted to the end (every point's train.epochs and schedule); default: train.epochs", Min: 2, Max: 100_000},
			{Name: "factor", Type: fInt, Doc: "reduction factor: the best 1/factor of a rung (at least one) go on", Default: 3, Min: 2, Max: 1000},
			{Name: "min_epochs", Type: fInt, Doc: "epochs of the first rung; the rungs are min_epochs·factor^k below the budget, then the budget", Default: 1, Min: 1, Max: 100_000},
			{Name: "metric", Type: fEnum, Doc: "what ranks the points at a rung, at the rung's epoch (never a test metric)", Default: string(MetricValAcc), Choices: kindStrings([]Metric{MetricValAcc, MetricValLoss})},
		}},
	}},
	{Name: "report", Type: fMapping, Doc: "what the report shows", Keys: []formatKey{
		{Name: "gallery", Type: fInt, Doc: "test images shown with their predictions", Default: 24, Min: 0, Max: 1000},
		{Name: "feature_maps", Type: fMapping, Doc: "feature maps traced through the network", Keys: []formatKey{
			{Name: "images", Type: fInt, Doc: "images whose feature maps are shown", Default: 4, Min: 0, Max: 64},
		}},
	}},
}

// blockKeys are the keys of an entry of blocks:.
var blockKeys = []formatKey{
	{Name: "params", Type: fPaths, Doc: "the block's parameters and their defaults (null: a use must give it); a layer value $NAME takes the parameter"},
	{Name: "layers", Type: fLayers, Doc: "the block's layers"},
}
