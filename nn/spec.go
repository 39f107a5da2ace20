package nn

// Shape is the shape of one example as it flows through a network, in NHWC
// order without the batch dimension: height, width, channels. A flat vector
// of n features has Shape{H: 1, W: 1, C: n}.
type Shape struct {
	H, W, C int
}

// Size is the number of values in one example of this shape.
func (s Shape) Size() int { return s.H * s.W * s.C }

// Layer kinds understood by Build; each is described by its entry in the
// table of kinds (see Kinds), in the file of its forward and backward pass.
// Activations are layers of their own; an experiment's `activation:`
// shortcut is expanded into one before it reaches nn.
const (
	KindConv      Kind = "conv"
	KindMaxPool   Kind = "maxpool"
	KindAvgPool   Kind = "avgpool"
	KindBatchNorm Kind = "batchnorm"
	KindDropout   Kind = "dropout"
	KindDense     Kind = "dense"
	KindFlatten   Kind = "flatten"
	KindReLU      Kind = "relu"
	KindLeakyReLU Kind = "leaky_relu"
	KindSigmoid   Kind = "sigmoid"
	KindTanh      Kind = "tanh"
	KindSoftmax   Kind = "softmax"
)

// Padding is the padding mode of a conv or pooling layer.
type Padding string

// Padding modes.
const (
	PadValid    Padding = "valid"    // no padding
	PadSame     Padding = "same"     // output = ceil(input / stride); extra padding goes to bottom/right
	PadExplicit Padding = "explicit" // PadTop, PadBottom, PadLeft, PadRight as given
)

// Init is a weight initialisation.
type Init string

// Weight initialisations.
const (
	InitHe     Init = "he"     // normal, std = sqrt(2 / fan_in); the default
	InitGlorot Init = "glorot" // uniform, limit = sqrt(6 / (fan_in + fan_out))
	InitDirac  Init = "dirac"  // he, then the first min(in, out) filters the identity (see dirac)
	InitWhiten Init = "whiten" // conv: set from the training images' patches before training (see Whiten)
)

// LayerSpec describes one layer completely: it is what arch compiles an
// experiment's layer list into, and what a model file stores so that a saved
// network can be rebuilt without the experiment file. Fields that do not apply
// to a kind are zero and ignored.
type LayerSpec struct {
	Kind Kind   // one of the Kind constants
	Name string // unique within a network, e.g. "conv1"; Build names unnamed layers

	// conv: Filters output channels, a KernelH×KernelW kernel.
	// maxpool/avgpool: a KernelH×KernelW window.
	Filters           int
	KernelH, KernelW  int
	StrideH, StrideW  int     // ≥ 1; when zero, 1 for conv and the window size for pooling
	Padding           Padding // PadValid, PadSame or PadExplicit ("" = valid)
	PadTop, PadBottom int
	PadLeft, PadRight int
	NoBias            bool // conv, dense: no bias term

	// dense
	Units int

	// dropout: the probability of dropping a value, 0 ≤ Rate < 1.
	Rate float32

	// batchnorm: running statistics are updated as
	// running = Momentum·running + (1−Momentum)·batch. Defaults 0.9 and 1e-5 when zero.
	Momentum float32
	Epsilon  float32

	// leaky_relu: slope for negative inputs (default 0.01 when zero).
	Alpha float32

	// The settings of kinds that no field here holds (gelu's approximate,
	// scale's factor), by key name; see Settings. Left out of model files
	// when empty, so that the files of the other kinds keep their bytes.
	Settings Settings `json:",omitzero"`

	// conv, dense: weight initialisation (InitHe when "").
	Init Init

	// residual: the nested layers. A pointer, so that specs stay
	// comparable with == (which compares it as a pointer: reflect.DeepEqual
	// compares the nested specs); left out of model files for the other
	// kinds.
	Residual *Branches `json:",omitempty"`
}
