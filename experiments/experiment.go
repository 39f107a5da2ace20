// Package experiments reads experiment files: YAML that describes a data set,
// a network, how to train it, and a sweep over any of those settings. It
// resolves extends: chains and --set overrides, checks every value, reports
// every problem at once as FILE:LINE:COL: message, and expands a sweep into
// its points. Shape checks need the layer arithmetic of package arch.
//
// An experiment file, with every default shown:
//
//	name: mnist-seed              # default: the file name without .yaml; not inherited
//	description: ""               # not inherited
//	extends: base.yaml            # optional; relative to this file
//	data:
//	  set: mnist                  # mnist | fashion-mnist | cifar10 | folder
//	  path: ""                    # folder only: ROOT/<class>/*.png|*.jpg
//	  size: 28                    # image side in pixels (fixed for the built-in sets)
//	  channels: 1                 # 1 or 3 (fixed for the built-in sets)
//	  split: {train: 55000, val: 5000, test: 10000}
//	  preprocess: minmax          # minmax | standardize | none
//	  augment: []                 # flip | {crop: {pad: 4}} | {cutout: {size: 8}}
//	                              # flip takes {alternate: true}, crop {reflect: true}
//	blocks: {}                    # named lists of layers with parameters (see blocks.go)
//	model:
//	  - conv: {filters: 28, kernel: 3, stride: 1, padding: valid}
//	  - relu
//	  - maxpool: {size: 2}
//	  - flatten
//	  - dense: {units: 128, activation: relu}
//	  - dense: {units: 10}
//	train:
//	  epochs: 10
//	  batch: 64
//	  optimizer: {adam: {lr: 0.001, beta1: 0.9, beta2: 0.999, eps: 1e-08}}
//	                              # or {sgd: {lr: 0.01, momentum: 0, nesterov: false}}
//	                              # or {adamw: {lr: 0.001, …, weight_decay: 0.01}}; a bare name takes the defaults
//	  schedule: {constant: {warmup: 0}}   # or cosine, or {step: {every: 5, factor: 0.1}},
//	                              # or {triangle: {start: 0.2, peak: 0.25, end: 0}};
//	                              # warmup: epochs of linear ramp-up, with any kind
//	  l2: 0
//	  seed: 1
//	  early_stop: {metric: val_acc, patience: 3}   # optional
//	  clip_norm: 0                # 0: no clipping
//	  label_smoothing: 0
//	  groups: {biases: {lr_scale: 1, decay: 0}, norm: {lr_scale: 1, decay: 0}}
//	  average: {ema: {decay: 0.99, every: 1, power: 0}}   # optional; or lookahead
//	  tta: none                   # none | flip | translate
//	  tta_epochs: every           # every | last
//	sweep: …                      # see Sweep
//	report:
//	  gallery: 24
//	  feature_maps: {images: 4}
//
// Splits: for the built-in sets, train and val are carved from the official
// training set (the rest is left out) and test is a prefix of the official
// test set; val defaults to 5,000, train to the rest, test to all of it. For
// a folder, train, val and test are carved from the folder's images; val and
// test must be given and train 0 means all the rest.
//
// A layer is a kind alone (`- relu`) or a kind with its parameters
// (`- conv: {filters: 8, kernel: 3}`). The kinds, their keys with types,
// defaults and bounds, and the order the canonical form writes them in are
// those of package nn's table of layer kinds (nn.Kinds). Every layer takes
// an optional name (the k-th layer of a kind, if unnamed, is called conv<k>,
// pool<k>, bn<k>, dense<k>, relu<k>, …). Flatten is never implicit: a dense
// layer after a conv or pooling layer needs a flatten layer between them,
// which arch reports. The `activation:` of a conv or dense layer
// is a shortcut for an activation layer right after it. The last layer outputs
// logits: the loss applies softmax itself. A residual layer holds two lists
// of layers, `body` and `shortcut` (empty: the identity), decoded like the
// model into Layer.Lists; the names of their layers are unique within each
// list.
//
// A mapping in a file that extends another is merged key by key into the
// inherited one; a list (such as model) replaces the inherited list whole; a
// key set to null removes the inherited key.
//
// The keys of the sections other than the layers, with their types,
// descriptions, defaults and bounds, are one table (format.go) that the
// decoder takes its keys from; Schema writes a JSON Schema of the whole
// format from it and nn.Kinds, for editors (`cnnlab schema`, kept as
// experiments/cnnlab.schema.json, named by the first line of experiment
// files: `# yaml-language-server: $schema=../cnnlab.schema.json`).
package experiments

import "github.com/cnnlab/cnnlab/nn"

// Experiment is one fully checked experiment. Load fills in every default.
type Experiment struct {
	Name        string
	Description string
	File        string // the file it was loaded from
	Data        Data
	Model       []Layer
	Train       Train
	Sweep       *Sweep // nil when the experiment sweeps nothing
	Report      Report

	tree    *node    // the resolved tree without its sweep, for expanding points
	points  []Point  // the expanded sweep
	changes []change // the --set and sweep values written over the file's own, in the order applied
	// unchecked is set on a point of a file with errors when its data
	// input (set, path, size, channels) or its model did not decode: Check
	// leaves it out, since shapes and folders cannot be checked.
	unchecked bool
}

// Data says which images to train and test on and how to prepare them.
type Data struct {
	Set        SetName // SetMNIST, SetFashionMNIST, SetCIFAR10 or SetFolder
	Path       string  // SetFolder: the root folder (absolute once loaded)
	Size       int     // image height and width in pixels
	Channels   int     // 1 (gray) or 3 (RGB)
	Split      Split
	Preprocess PreprocessKind // PreprocessMinMax, PreprocessStandardize or PreprocessNone
	Augment    []Augment
}

// Split gives the number of images of each part.
type Split struct {
	Train, Val, Test int
}

// Augment is one random change applied to training images only.
type Augment struct {
	Kind      AugmentKind // AugmentFlip (horizontal, p = 0.5), AugmentCrop or AugmentCutout
	Pad       int         // crop: pad each side by Pad pixels (zeros), then crop back at a random place
	Reflect   bool        // crop: pad with the image mirrored at its edges instead of zeros
	Size      int         // cutout: side of the square set to zero at a random place
	Alternate bool        // flip: each image flipped in every other epoch (a random half in the first), not at random
}

// SetName names a data set: a built-in one, or SetFolder.
type SetName string

// Data sets.
const (
	SetMNIST        SetName = "mnist"
	SetFashionMNIST SetName = "fashion-mnist"
	SetCIFAR10      SetName = "cifar10"
	SetFolder       SetName = "folder"
)

// PreprocessKind says how pixel values become network inputs.
type PreprocessKind string

// Preprocessing.
const (
	PreprocessMinMax      PreprocessKind = "minmax"      // pixels scaled to [0, 1]
	PreprocessStandardize PreprocessKind = "standardize" // per-channel mean 0, std 1, from the training split
	PreprocessNone        PreprocessKind = "none"        // raw 0…255 values
)

// AugmentKind is a kind of random change to training images.
type AugmentKind string

// Augmentations.
const (
	AugmentFlip   AugmentKind = "flip"
	AugmentCrop   AugmentKind = "crop"
	AugmentCutout AugmentKind = "cutout"
)

// BuiltinSet describes a data set cnnlab knows.
type BuiltinSet struct {
	Size, Channels int
	Train, Test    int // images in the official training and test sets
	Classes        []string
	Digits         bool // images of digits: a horizontal flip changes their meaning
}

// BuiltinSets are the data sets that need no path.
var BuiltinSets = map[SetName]BuiltinSet{
	SetMNIST: {Size: 28, Channels: 1, Train: 60000, Test: 10000, Digits: true,
		Classes: []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}},
	SetFashionMNIST: {Size: 28, Channels: 1, Train: 60000, Test: 10000,
		Classes: []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}},
	SetCIFAR10: {Size: 32, Channels: 3, Train: 50000, Test: 10000,
		Classes: []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}},
}

// Layer is one entry of the model list. Its keys are those of its kind in
// the table of package nn (nn.LookupKind(Kind).Keys).
type Layer struct {
	Kind nn.Kind
	Name string // unique in the model; the k-th unnamed layer of a kind is named after its kind's prefix: conv<k>, pool<k>, bn<k>, …

	// Values holds every key of the kind, as given or defaulted; a key
	// that does not apply to a kind is absent. A key of type nn.KeyLayers
	// has a zero value here and its layers in Lists.
	Values map[string]nn.Value
	// Lists holds the nested layers of the keys of type nn.KeyLayers (a
	// residual block's body and shortcut), each list named on its own
	// (conv1, bn1, … within it); nil for kinds without such keys.
	Lists map[string][]Layer

	At Pos // where the layer is written
	// Use names the use of a block the layer comes from ("block basic used
	// at model[3], line 40"), "" for a layer written in place; messages
	// about the layer, at its line in the block, add it.
	Use string
}

// Value returns the value of the layer's key (zero if its kind has no such key).
func (l Layer) Value(key string) nn.Value { return l.Values[key] }

// Activation is the kind of the activation layer the `activation:`
// shortcut adds after this one, or "" for none.
func (l Layer) Activation() nn.Kind { return nn.Kind(l.Values["activation"].Text) }

// Train says how to train.
type Train struct {
	Epochs         int
	Batch          int
	Optimizer      Optimizer
	Schedule       Schedule
	L2             float64 // adds (L2/2)·Σw² over conv and dense weights (not biases) to the loss
	Seed           int64   // seeds initialisation, shuffling, dropout and augmentation
	EarlyStop      *EarlyStop
	ClipNorm       float64  // clip the global gradient norm to this; 0 = off
	LabelSmoothing float64  // 0 ≤ x < 1
	Groups         Groups   // how biases and batch-norm tensors train
	Average        *Average // a weight average used for evaluation; nil: none
	TTA            TTAKind  // test-time augmentation of the evaluations TTAEpochs says
	TTAEpochs      TTAEpochs
}

// Groups says how the tensors other than conv and dense weights train.
type Groups struct {
	Biases Group // conv and dense biases
	Norm   Group // batch norm's scale and shift
}

// Group is a learning-rate multiplier and a multiplier of the weight
// decay (train.l2, adamw's weight_decay) the tensors take.
type Group struct {
	LRScale float64 // > 0; default 1
	Decay   float64 // ≥ 0; default 0: none
}

// DefaultGroup is a group's settings when the file gives none.
var DefaultGroup = Group{LRScale: 1}

// Average is a running average of the weights (see nn.AverageConfig):
// every Every steps avg = d·avg + (1−d)·w with d = Decay·(step/steps)^Power.
type Average struct {
	Kind  AverageKind // AverageEMA or AverageLookahead
	Decay float64     // 0 ≤ Decay < 1
	Every int         // ≥ 1
	Power float64     // ≥ 0
}

// AverageKind names a weight average.
type AverageKind string

// Weight averages.
const (
	AverageEMA       AverageKind = "ema"       // the average is kept beside the weights
	AverageLookahead AverageKind = "lookahead" // the weights are moved to the average at each update
)

// TTAEpochs says which epochs' evaluations use the test-time augmentation.
type TTAEpochs string

const (
	TTAEveryEpoch TTAEpochs = "every"
	// TTALastEpoch evaluates the other epochs without it, which is cheaper:
	// only the last epoch's numbers, and the final test accuracy, have it.
	TTALastEpoch TTAEpochs = "last"
)

// TTAKind names a test-time augmentation: the logits averaged over
// altered copies of each image.
type TTAKind string

// Test-time augmentations.
const (
	TTANone      TTAKind = "none"
	TTAFlip      TTAKind = "flip"      // the image and its mirror
	TTATranslate TTAKind = "translate" // flip, averaged half and half with the flip of the image moved one pixel up-left and down-right
)

// Optimizer and its parameters; those that do not apply to Kind are zero.
type Optimizer struct {
	Kind        OptimizerKind // sgd, adam or adamw
	LR          float64       // > 0; default 0.01 for sgd, 0.001 for adam and adamw
	Momentum    float64       // sgd; default 0
	Nesterov    bool          // sgd
	Beta1       float64       // adam, adamw; default 0.9
	Beta2       float64       // adam, adamw; default 0.999
	Eps         float64       // adam, adamw; default 1e-8
	WeightDecay float64       // adamw only: decoupled weight decay, default 0.01 (use train.l2 with sgd or adam)
}

// OptimizerKind names an optimizer.
type OptimizerKind string

// Optimizers.
const (
	OptSGD   OptimizerKind = "sgd"
	OptAdam  OptimizerKind = "adam"
	OptAdamW OptimizerKind = "adamw"
)

// Schedule changes the learning rate epoch by epoch.
type Schedule struct {
	Kind   ScheduleKind // constant, step, cosine or triangle
	Every  int          // step: multiply the rate by Factor every Every epochs
	Factor float64      // step: 0 < Factor < 1
	Warmup int          // any kind: ramp the rate up linearly over the first Warmup epochs

	// triangle, by step: lr·Start at the first step, lr at Peak (a
	// fraction of the run), lr·End at the last, in straight lines.
	Start, Peak, End float64
}

// ScheduleKind names a learning-rate schedule.
type ScheduleKind string

// Schedules.
const (
	ScheduleConstant ScheduleKind = "constant"
	ScheduleStep     ScheduleKind = "step"
	ScheduleCosine   ScheduleKind = "cosine"   // from lr down to 0 at the last epoch
	ScheduleTriangle ScheduleKind = "triangle" // one cycle by step: up in a line, then down in a line
)

// EarlyStop ends training when Metric has not improved for Patience epochs.
type EarlyStop struct {
	Metric   Metric // MetricValAcc or MetricValLoss
	Patience int
}

// Metric names a validation metric early stopping watches.
type Metric string

// Metrics.
const (
	MetricValAcc  Metric = "val_acc"  // validation accuracy: higher is better
	MetricValLoss Metric = "val_loss" // validation loss: lower is better
)

// Report says what the report shows about each run.
type Report struct {
	Gallery     int // about this many correct test images are shown, the same number per class (Gallery/classes rounded up), and as many wrong ones, the most confident over all classes
	FeatureMaps FeatureMaps
}

// FeatureMaps says how many fixed test images are traced through every conv
// and pooling layer.
type FeatureMaps struct {
	Images int
}
