package nn

import "fmt"

// Freezing, learning-rate multipliers and identity initialisation: the
// settings by which a layer's tensors train differently from the others'.
//
// A conv or dense layer with frozen: true keeps its weights as they were
// initialised (a bias, if any, still trains); a conv, dense or batchnorm
// layer with freeze_after: N stops training all its tensors after epoch N.
// The optimizers skip a tensor whose Param.Frozen is set, leaving its
// optimizer state as it is; Network.SetEpoch sets Frozen for the epoch
// about to be trained.

// The keys of freezing, kept by name by the kinds that take them. They are
// left out of the canonical form and of model files at their defaults, so
// that the run ids and model files of layers without them stay as they were.
var (
	keyFreezeAfter = Key{Name: "freeze_after", Type: KeyInt, OmitDefault: true,
		Doc:     "stop training the layer's tensors after this many epochs; 0: never",
		Default: Value{Int: 0}, Min: 0, Max: 100_000}
	keyFrozen = Key{Name: "frozen", Type: KeyBool, OmitDefault: true,
		Doc:     "keep the weights as initialised (the bias still trains, until freeze_after)",
		Default: Value{Bool: false}}
	// keyInitScale multiplies the random initial weights: 1/√6 ≈ 0.408
	// gives he the spread of PyTorch's default for conv and dense layers,
	// uniform in ±1/√fan_in (standard deviation 1/√(3·fan_in)).
	keyInitScale = Key{Name: "init_scale", Type: KeyFloat, OmitDefault: true,
		Doc:     "multiplies the random initial weights (before dirac sets the identity filters); not with init whiten",
		Default: Value{Float: 1}, Min: 0, MinOpen: true, Max: 1000}
)

// scaleInit multiplies the initial weights w by the layer's init_scale.
func scaleInit(w []float32, s LayerSpec) {
	if f := s.Float(keyInitScale.Name); f != 1 {
		for i := range w {
			w[i] *= f
		}
	}
}

// checkInitScale refuses init_scale with init whiten, which sets the
// weights from the images.
func checkInitScale(s LayerSpec) error {
	if s.Init == InitWhiten && s.Float(keyInitScale.Name) != 1 {
		return fmt.Errorf("init_scale does not apply to init %s, whose weights come from the images", InitWhiten)
	}
	return nil
}

// ParamGroup names the group of a learnable tensor that training settings
// may treat apart (a learning-rate multiplier, weight decay).
type ParamGroup string

// Parameter groups.
const (
	GroupWeights ParamGroup = "weights" // conv and dense weights
	GroupBiases  ParamGroup = "biases"  // conv and dense biases
	GroupNorm    ParamGroup = "norm"    // batch norm's scale and shift
)

// Group returns the group of p, from its name.
func (p *Param) Group() ParamGroup {
	switch p.Name {
	case "bias":
		return GroupBiases
	case "gamma", "beta":
		return GroupNorm
	}
	return GroupWeights
}

// specOf returns the spec of an engine layer.
func (b *base) specOf() LayerSpec { return b.spec }

// markFreezing records on the tensors of l (and of the layers nested in
// it) the freezing its settings ask for, and freezes the fixed ones.
func markFreezing(l layer) {
	if n, ok := l.(interface{ sublayers() []layer }); ok {
		for _, s := range n.sublayers() {
			markFreezing(s)
		}
	}
	sp, ok := l.(interface{ specOf() LayerSpec })
	if !ok {
		return
	}
	s := sp.specOf()
	k := LookupKind(s.Kind)
	after, fixed := 0, false
	if _, ok := k.Key(keyFreezeAfter.Name); ok {
		after = s.Int(keyFreezeAfter.Name)
	}
	if _, ok := k.Key(keyFrozen.Name); ok {
		fixed = s.Bool(keyFrozen.Name)
	}
	for _, p := range l.params() {
		p.freezeAfter = after
		p.fixed = fixed && p.Name == "weight"
		p.Frozen = p.fixed
	}
}

// SetEpoch freezes the tensors that do not train in epoch (counted from 1):
// the fixed weights of frozen layers, and every tensor of a layer whose
// freeze_after is below epoch. Training loops call it before each epoch.
func (net *Network) SetEpoch(epoch int) {
	for _, p := range net.params {
		p.Frozen = p.fixed || p.freezeAfter > 0 && epoch > p.freezeAfter
	}
}

// decayScale is the multiplier of p's weight decay, when it has Decay set.
func (p *Param) decayScale() float32 {
	if p.DecayScale == 0 {
		return 1
	}
	return p.DecayScale
}

// lrScale is the multiplier of p's learning rate.
func (p *Param) lrScale() float32 {
	if p.LRScale == 0 {
		return 1
	}
	return p.LRScale
}

// dirac sets the first min(c, f) filters of a kh×kw×c×f kernel (layout
// [kh][kw][c][f]) to the identity: filter q passes input channel q through
// at the kernel's centre (the top-left of the two middles for an even
// side) and is 0 elsewhere. The other filters keep their values, so a
// layer with more filters than input channels keeps them trainable and
// distinct.
func dirac(w []float32, kh, kw, c, f int) {
	ch, cw := (kh-1)/2, (kw-1)/2
	for q := range min(c, f) {
		for y := range kh {
			for x := range kw {
				for i := range c {
					v := float32(0)
					if y == ch && x == cw && i == q {
						v = 1
					}
					w[((y*kw+x)*c+i)*f+q] = v
				}
			}
		}
	}
}

// convSettingChecks are the gradient checks of a conv's initialisation
// and freezing settings (the backward pass is the same; they check that
// such layers build, train alike on any thread count and come back from
// model files).
func convSettingChecks() []GradCheck {
	c := func(f, k int, init Init) LayerSpec {
		return LayerSpec{Kind: KindConv, Filters: f, KernelH: k, KernelW: k, StrideH: 1, StrideW: 1, Padding: PadSame, Init: init}
	}
	return []GradCheck{
		layerCheck("k3 dirac", Shape{5, 5, 2}, c(3, 3, InitDirac)),
		layerCheck("k2 whiten frozen", Shape{5, 5, 2}, c(16, 2, InitWhiten).
			With(keyFrozen.Name, Value{Bool: true}).With(keyFreezeAfter.Name, Value{Int: 2}).With(keyWhitenEps.Name, Value{Float: 0.01})),
	}
}
