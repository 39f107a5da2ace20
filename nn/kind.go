package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
)

// Kind names a layer kind, as experiment files and model files write it.
type Kind string

// LayerKind is everything cnnlab knows about one layer kind: its name, the
// keys an experiment file may give it, its shape rule, its parameter and
// FLOP counts, how it is described, and how the engine builds it. Each kind's
// entry sits in the file of its forward and backward pass and registers
// itself with registerKind; Kinds lists them. Package experiments decodes
// and writes layers from Keys, arch compiles and counts them with Count and
// Detail, runner and the run records take Family and FeatureMaps from here.
//
// A kind whose keys hold nested layer lists (residual: body and shortcut)
// gives them the type KeyLayers: experiments decodes them into nested
// layers of their own (Layer.Lists), arch compiles them and hands the specs
// to the key's SetLayers, which keeps them in a LayerSpec field omitted from
// JSON when empty (so that model files of the other kinds keep their
// bytes); its Shape rule runs OutputShape over them, its Count adds theirs
// up, and its build builds them with the same buildEnv.
type LayerKind struct {
	Kind Kind
	Doc  string // one line: what the layer computes

	// Keys are the settings an experiment file may give, in the order the
	// canonical form writes them. Every kind also takes "name".
	Keys []Key

	// NamePrefix is the stem of the names of unnamed layers (the k-th is
	// NamePrefix+k); "" means the kind itself.
	NamePrefix string

	Input    Input  // what the layer's input must look like
	Flattens bool   // its output is flat: image layers may not follow it
	Family   Family // the group it is drawn with in diagrams

	// Activation marks the kinds an `activation:` shortcut may name;
	// ElementWise those computed value by value (a conv's feature maps are
	// shown after one that follows it). FeatureMaps marks the kinds whose
	// output a report traces as feature maps.
	Activation  bool
	ElementWise bool
	FeatureMaps bool

	// Defaults fills the zero fields of a spec with the kind's defaults; nil
	// if there are none. It is what Build assumes for a spec written by hand
	// or read from a model file.
	Defaults func(s *LayerSpec)
	// Shape returns the output shape for an input of shape in (the spec has
	// its defaults), or an error saying which setting or shape is wrong.
	Shape func(in Shape, s LayerSpec) (Shape, error)
	// Count returns the learnable values and the forward FLOPs per image, in
	// float64 so that absurd sizes are caught rather than overflowing; nil
	// for a layer without either. FLOPs count a multiply-add as two.
	Count func(s LayerSpec, in, out Shape) (params, flops float64)
	// Detail describes the settings in a few words ("28@3×3 stride 1
	// valid"); nil for none.
	Detail func(s LayerSpec) string
	// Kept counts the values per image the layer keeps for its backward
	// pass besides its output and input gradient (a max pool's winners),
	// for the memory estimate; nil for none.
	Kept func(s LayerSpec, in, out Shape) int64

	// Checks are the kind's gradient checks (see GradCheck): small networks
	// around a layer of the kind, with settings that cover every path of
	// its backward pass.
	Checks []GradCheck

	// ONNX is the kind's form in an ONNX model when it is one standard
	// operator on the layer's input (relu: Relu; elu: Elu with its alpha):
	// package onnx writes it from here, without knowing the kind. nil for
	// the kinds package onnx writes itself (weights, several nodes).
	ONNX *ONNXOp

	// build makes the engine layer of a checked spec (defaults applied).
	build func(b base, env *buildEnv) layer
}

// ONNXOp is a kind's form in ONNX as one operator of opset 13 on the
// layer's input, keeping its rank (LayerKind.ONNX).
type ONNXOp struct {
	Op    string     // the operator, e.g. "Elu"
	Attrs []ONNXAttr // its attributes
}

// ONNXAttr is an attribute of an ONNXOp: its name in ONNX and the key of
// the kind, kept by name, whose value it takes. A KeyFloat gives a float
// attribute, a KeyInt or KeyBool an int, a KeyEnum a string.
type ONNXAttr struct{ Name, Key string }

// Input is what a kind needs of its input.
type Input int

const (
	AnyInput   Input = iota // any shape
	ImageInput              // a feature map: not after a layer that Flattens
	FlatInput               // a flat vector (1×1×n): a flatten layer must come first
)

// Family groups kinds that diagrams draw alike.
type Family string

// The families, in the order Kinds lists them.
const (
	FamilyConv       Family = "conv"
	FamilyPool       Family = "pool"
	FamilyRegularise Family = "regularise" // batch norm, dropout
	FamilyDense      Family = "dense"
	FamilyReshape    Family = "reshape"
	FamilyActivation Family = "activation"
	FamilyBlock      Family = "block" // a block of nested layers: residual
)

var familyOrder = []Family{FamilyConv, FamilyPool, FamilyRegularise, FamilyDense, FamilyReshape, FamilyActivation, FamilyBlock}

// KeyType is the type of a key's value in an experiment file.
type KeyType int

const (
	KeyInt        KeyType = iota + 1 // a whole number in [Min, Max]
	KeyFloat                         // a finite number between Min and Max (see MinOpen, MaxOpen)
	KeyBool                          // true or false
	KeyEnum                          // one of Choices
	KeySize2                         // a whole number in [Min, Max], or [height, width] of them
	KeyPadding                       // valid, same, pixels in [Min, Max], or [height, width] pixels
	KeyActivation                    // the kind of an activation layer to add after this one
	KeyLayers                        // a list of layers (at least Min of them), nested in this one
)

// Key is one setting of a layer kind.
type Key struct {
	Name     string // as written in an experiment file
	Type     KeyType
	Doc      string // one line
	Required bool   // the file must give it; otherwise Default applies

	// Default is the value when the key is not given, unless DefaultFrom
	// names an earlier key whose value it then takes (pooling's stride is
	// its window).
	Default     Value
	DefaultFrom string

	// Bounds of KeyInt, KeySize2 and KeyPadding numbers (inclusive) and of
	// KeyFloat (excluded when MinOpen or MaxOpen; Max may be +Inf).
	Min, Max         float64
	MinOpen, MaxOpen bool

	Choices []string // KeyEnum
	What    string   // KeyEnum: what a choice is called in messages, e.g. "initialisation"

	// Set writes the value into a field of the engine's spec. A key without
	// Set of a plain value type (KeyInt, KeyFloat, KeyBool, KeyEnum,
	// KeySize2) is kept by name in the spec's Settings, where the layer
	// reads it with LayerSpec.Float and the like: a setting of one kind
	// needs no field of LayerSpec. Set is nil too for a key that is not a
	// setting of the layer itself (activation adds a layer after it) and
	// for KeyLayers, whose compiled specs SetLayers writes. Apply writes a
	// value whichever way the key takes.
	Set       func(s *LayerSpec, v Value)
	SetLayers func(s *LayerSpec, specs []LayerSpec)

	// OmitDefault marks a key kept by name that a spec holds only when it
	// is not at its default, and that the canonical form of an experiment
	// writes only then: a key added to a kind after files were written, so
	// that their run ids and model files stay as they were.
	OmitDefault bool
}

// Value is the value of a key, in the field its Type uses: Int, Float,
// Bool, Text (KeyEnum, KeyActivation; KeyPadding's mode) or H and W
// (KeySize2; KeyPadding's explicit pixels).
type Value struct {
	Int   int     `json:",omitempty"`
	Float float64 `json:",omitempty"`
	Bool  bool    `json:",omitempty"`
	Text  string  `json:",omitempty"`
	H     int     `json:",omitempty"`
	W     int     `json:",omitempty"`
}

// Key returns the key of k called name.
func (k *LayerKind) Key(name string) (*Key, bool) {
	for i := range k.Keys {
		if k.Keys[i].Name == name {
			return &k.Keys[i], true
		}
	}
	return nil, false
}

// Prefix is the stem of the names of unnamed layers of this kind.
func (k *LayerKind) Prefix() string {
	if k.NamePrefix != "" {
		return k.NamePrefix
	}
	return string(k.Kind)
}

// buildEnv is what Build hands every layer constructor.
type buildEnv struct {
	init    *rand.Rand // the initialisation stream
	dropout *rand.PCG  // the dropout stream
	scratch *[]float32 // a buffer the layers share in Backward

	// The network's timing switch and its per-layer times; a layer that runs
	// layers of its own (residual) adds a slot for each and times them.
	timing *bool
	times  *[]LayerTime
	// Likewise the switch of Outputs and the outputs it keeps, by slot.
	tracing *bool
	outputs *[]*Tensor
}

var kinds []*LayerKind

// registerKind adds a kind to the table; each kind's file calls it from init.
func registerKind(k *LayerKind) {
	if k.Kind == "" || k.Shape == nil || k.build == nil || !slices.Contains(familyOrder, k.Family) {
		panic(fmt.Sprintf("nn: incomplete layer kind %q", k.Kind))
	}
	if LookupKind(k.Kind) != nil {
		panic(fmt.Sprintf("nn: layer kind %q registered twice", k.Kind))
	}
	if err := checkKeys(k); err != nil {
		panic(fmt.Sprintf("nn: layer kind %q: %v", k.Kind, err))
	}
	kinds = append(kinds, k)
	// Families in their order; within one, the order of registration (the
	// order of the files, then of the init calls in a file).
	slices.SortStableFunc(kinds, func(a, b *LayerKind) int {
		return slices.Index(familyOrder, a.Family) - slices.Index(familyOrder, b.Family)
	})
}

// Kinds returns the table of layer kinds: conv and pooling first, then
// regularisation, dense, reshaping, the activations and the blocks.
func Kinds() []*LayerKind { return slices.Clone(kinds) }

// LookupKind returns the entry of kind k, or nil if there is none.
func LookupKind(k Kind) *LayerKind {
	for _, lk := range kinds {
		if lk.Kind == k {
			return lk
		}
	}
	return nil
}

// withDefault returns k with the default v.
func withDefault(k Key, v Value) Key {
	k.Default = v
	return k
}

// withDefaultFrom returns k defaulting to the value of the key called from.
func withDefaultFrom(k Key, from string) Key {
	k.DefaultFrom = from
	return k
}

// sameShape is the shape rule of a layer whose output has its input's shape.
func sameShape(in Shape, s LayerSpec) (Shape, error) { return in, nil }

// perValue counts one FLOP per output value and no parameters.
func perValue(s LayerSpec, in, out Shape) (params, flops float64) { return 0, sizeOf(out) }

// keptPerOutput is the Kept of a layer that keeps one value per output
// value for its backward pass.
func keptPerOutput(s LayerSpec, in, out Shape) int64 {
	return int64(out.H) * int64(out.W) * int64(out.C)
}

func sizeOf(s Shape) float64 { return float64(s.H) * float64(s.W) * float64(s.C) }

// biasTerms is 1 for a layer with a bias, 0 without.
func biasTerms(s LayerSpec) float64 {
	if s.NoBias {
		return 0
	}
	return 1
}

// pair writes h and w as one number when they are equal.
func pair(h, w int) string {
	if h == w {
		return strconv.Itoa(h)
	}
	return fmt.Sprintf("%d×%d", h, w)
}

// padText describes a window's padding: valid, same or "pad 1" / "pad 1×2".
func padText(s LayerSpec) string {
	switch s.Padding {
	case PadExplicit:
		return "pad " + pair(s.PadTop, s.PadLeft)
	case "":
		return string(PadValid)
	}
	return string(s.Padding)
}

// defaultInit fills the zero initialisation of a spec with weights.
func defaultInit(s *LayerSpec) {
	if s.Init == "" {
		s.Init = InitHe
	}
}

func noBiasText(s LayerSpec) string {
	if s.NoBias {
		return ", no bias"
	}
	return ""
}

// The keys several kinds share.
var (
	keyBias = Key{Name: "bias", Type: KeyBool, Doc: "add a learnable bias", Default: Value{Bool: true},
		Set: func(s *LayerSpec, v Value) { s.NoBias = !v.Bool }}
	keyInit = Key{Name: "init", Type: KeyEnum, Doc: "weight initialisation: he (normal, std √(2/fan_in)), glorot (uniform, limit √(6/(fan_in+fan_out))) or dirac (he, then the first min(in, out) filters the identity)",
		Default: Value{Text: string(InitHe)}, Choices: []string{string(InitHe), string(InitGlorot), string(InitDirac)}, What: "initialisation",
		Set: func(s *LayerSpec, v Value) { s.Init = Init(v.Text) }}
	// keyConvInit is a conv's init: also whiten, from the training images.
	keyConvInit = Key{Name: "init", Type: KeyEnum, Doc: "weight initialisation: he (normal, std √(2/fan_in)), glorot (uniform, limit √(6/(fan_in+fan_out))), dirac (he, then the first min(in, out) filters the identity) or whiten (the first layer only: patch whitening from the training images)",
		Default: Value{Text: string(InitHe)}, Choices: []string{string(InitHe), string(InitGlorot), string(InitDirac), string(InitWhiten)}, What: "initialisation",
		Set: func(s *LayerSpec, v Value) { s.Init = Init(v.Text) }}
	keyActivation = Key{Name: "activation", Type: KeyActivation, Doc: "an activation layer to add right after this one"}
	keyStride     = Key{Name: "stride", Type: KeySize2, Doc: "step between windows: one number or [height, width]", Min: 1, Max: 4096,
		Set: func(s *LayerSpec, v Value) { s.StrideH, s.StrideW = v.H, v.W }}
	keyPadding = Key{Name: "padding", Type: KeyPadding, Doc: "valid (none), same (output = input / stride, rounded up), or pixels on each side: one number or [height, width]",
		Default: Value{Text: string(PadValid)}, Min: 0, Max: 1024,
		Set: func(s *LayerSpec, v Value) {
			s.Padding = Padding(v.Text)
			if s.Padding == PadExplicit {
				s.PadTop, s.PadBottom = v.H, v.H
				s.PadLeft, s.PadRight = v.W, v.W
			}
		}}
)

// ActivationKinds returns the kinds an `activation:` shortcut may name.
func ActivationKinds() []Kind {
	var out []Kind
	for _, k := range kinds {
		if k.Activation {
			out = append(out, k.Kind)
		}
	}
	return out
}
