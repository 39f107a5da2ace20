package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Param is one learnable tensor of a network with its gradient. Value and
// Grad have the same length, the product of Shape. Decay is set on the
// tensors L2 regularisation and decoupled weight decay apply to: Build sets
// it on conv and dense weights, never on biases or batch-norm parameters
// (training settings may, see DecayScale).
type Param struct {
	Layer string // the layer's name, e.g. "conv1"
	Name  string // "weight", "bias", "gamma" or "beta"
	Value []float32
	Grad  []float32
	Shape []int
	Decay bool

	// Frozen makes the optimizers leave the tensor (and its optimizer
	// state) as it is; Network.SetEpoch sets it from the layers' frozen
	// and freeze_after settings (see freeze.go).
	Frozen bool
	// LRScale multiplies the learning rate of this tensor; 0 counts as 1.
	LRScale float32
	// DecayScale multiplies the L2 coefficient and the weight decay of a
	// tensor with Decay set; 0 counts as 1.
	DecayScale float32

	fixed       bool // never trained: the weights of a frozen layer
	freezeAfter int  // frozen from the end of this epoch on; 0: never
}

// key names p uniquely within its network, e.g. "conv1.weight".
func (p *Param) key() string { return p.Layer + "." + p.Name }

// LayerInfo describes one layer of a built network.
type LayerInfo struct {
	Name   string
	Kind   Kind
	In     Shape
	Out    Shape
	Params int // number of learnable values
}

// layer is the forward and backward pass of one layer over a batch. Each
// layer owns its output and input-gradient buffers, which are reused from
// call to call (and reallocated only when the batch grows); a returned tensor
// is valid until the next call.
type layer interface {
	// forward computes the output for x, which the layer may keep (unchanged)
	// until backward.
	forward(x *Tensor, train bool) *Tensor
	// backward takes the gradient of the loss with respect to the last
	// output, overwrites the parameter gradients, and returns the gradient
	// with respect to the input when needDx is set (nil otherwise).
	backward(dy *Tensor, needDx bool) *Tensor
	// params are the learnable tensors; state the other tensors a model file
	// keeps (batch-norm running statistics), as Params without gradients.
	params() []*Param
	state() []*Param
}

// Network is a sequence of layers built by Build. It is not safe for
// concurrent use: the layers keep their buffers between calls.
type Network struct {
	input   Shape
	specs   []LayerSpec // as given, with names filled in
	infos   []LayerInfo
	layers  []layer
	fused   []*convReLUPool // by layer: the fusion the layer is part of, if any (see fuse.go); nil without any
	params  []*Param
	dropout *rand.PCG // the dropout stream, shared by all dropout layers
	scratch []float32 // short-lived buffer the conv layers share in Backward

	trained bool // the last Forward was in training mode
	batch   int  // its batch size

	timing bool        // SetTiming(true) was called
	times  []LayerTime // one per layer, those nested in blocks before their block
	slots  []int       // the index in times of each layer of the network

	tracing bool      // Outputs is running
	outputs []*Tensor // its copies of the outputs, by slot of times
}

// LayerTime is the wall-clock time one layer spent in Forward and Backward
// (including BackwardInput and Activations) since timing was switched on.
type LayerTime struct {
	Name     string
	Kind     Kind
	List     string // the list of layers it is in: "" for the network's, "res1.body" for a block's body
	Forward  time.Duration
	Backward time.Duration
	// FusedInto names the layer whose times include this one's, when
	// Forward and Backward run them as one pass (see Build); "" otherwise.
	FusedInto string
}

// SetTiming switches per-layer timing on or off. Switching it on resets the
// totals. Timing is off by default, and then costs nothing but a test per
// Forward and Backward.
func (net *Network) SetTiming(on bool) {
	net.timing = on
	if on {
		for i := range net.times {
			net.times[i].Forward, net.times[i].Backward = 0, 0
		}
	}
}

// Timings returns the time each layer has spent since timing was last
// switched on, in layer order (all zero if it never was). The layers nested
// in a block (res1.body.conv1) come before the block, whose own time is
// then what it spends besides them (adding the branches).
func (net *Network) Timings() []LayerTime { return append([]LayerTime(nil), net.times...) }

// Build checks the layers against the input shape in, names unnamed layers
// and initialises the parameters from seed (see the package documentation).
// It may fuse a run of layers into one pass of Forward and Backward, which
// gives the same results as the layers one by one (see fuse.go).
// An error names the layer (1-based position, kind and name) and the shapes.
func Build(in Shape, specs []LayerSpec, seed uint64) (*Network, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("nn: network has no layers")
	}
	names, err := layerNames(specs)
	if err != nil {
		return nil, err
	}
	// Sizes are bounded before anything is allocated.
	if _, err := Estimate(in, specs); err != nil {
		return nil, err
	}
	net := &Network{input: in, dropout: NewPCG(seed, StreamDropout)}
	env := &buildEnv{init: NewRand(seed, StreamInit), dropout: net.dropout, scratch: &net.scratch,
		timing: &net.timing, times: &net.times, tracing: &net.tracing, outputs: &net.outputs}
	cur := in
	for i, spec := range specs {
		spec.Name = names[i]
		out, err := OutputShape(cur, spec)
		if err != nil {
			return nil, fmt.Errorf("nn: layer %d: %w", i+1, err)
		}
		l := LookupKind(spec.Kind).build(base{spec: withDefaults(spec), in: cur, out: out}, env) // OutputShape has checked the kind
		n := 0
		for _, p := range l.params() {
			n += len(p.Value)
		}
		net.specs = append(net.specs, spec)
		net.layers = append(net.layers, l)
		net.params = append(net.params, l.params()...)
		markFreezing(l)
		net.infos = append(net.infos, LayerInfo{Name: spec.Name, Kind: spec.Kind, In: cur, Out: out, Params: n})
		net.slots = append(net.slots, len(net.times))
		net.times = append(net.times, LayerTime{Name: spec.Name, Kind: spec.Kind})
		cur = out
	}
	net.fuse()
	return net, nil
}

// fuse finds the runs of layers that Forward and Backward run as one (see
// fuse.go).
func (net *Network) fuse() {
	for i := range net.layers {
		f := fuseConvReLUPool(net.layers, i)
		if f == nil {
			continue
		}
		if net.fused == nil {
			net.fused = make([]*convReLUPool, len(net.layers))
		}
		for j := range f.span() {
			net.fused[i+j] = f
			if j > 0 {
				net.times[net.slots[i+j]].FusedInto = net.specs[i].Name
			}
		}
	}
}

// fusion returns the fusion that starts (or, with last, ends) at layer i,
// or nil.
func (net *Network) fusion(i int, last bool) *convReLUPool {
	if net.fused == nil || net.fused[i] == nil {
		return nil
	}
	f := net.fused[i]
	if last && f.first+f.span()-1 == i || !last && f.first == i {
		return f
	}
	return nil
}

// namePrefix is the stem of the names Build gives unnamed layers.
func namePrefix(kind Kind) string {
	if k := LookupKind(kind); k != nil {
		return k.Prefix()
	}
	return string(kind)
}

// layerNames returns the names of the layers: their own, or prefix+k for the
// k-th layer of that prefix, skipping names already taken.
func layerNames(specs []LayerSpec) ([]string, error) {
	taken := map[string]int{}
	for i, s := range specs {
		if s.Name == "" {
			continue
		}
		if j, dup := taken[s.Name]; dup {
			return nil, fmt.Errorf("nn: layers %d and %d are both named %q", j+1, i+1, s.Name)
		}
		taken[s.Name] = i
	}
	names := make([]string, len(specs))
	count := map[string]int{}
	for i, s := range specs {
		prefix := namePrefix(s.Kind)
		count[prefix]++
		if s.Name != "" {
			names[i] = s.Name
			continue
		}
		k := count[prefix]
		name := fmt.Sprintf("%s%d", prefix, k)
		for {
			if _, dup := taken[name]; !dup {
				break
			}
			k++
			name = fmt.Sprintf("%s%d", prefix, k)
		}
		taken[name] = i
		names[i] = name
	}
	return names, nil
}

// base holds what every layer knows about itself.
type base struct {
	spec    LayerSpec // defaults applied
	in, out Shape
}

func (b *base) params() []*Param { return nil }
func (b *base) state() []*Param  { return nil }

// newParam allocates a parameter of the given shape with a gradient.
func newParam(layerName, name string, decay bool, shape ...int) *Param {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return &Param{Layer: layerName, Name: name, Value: make([]float32, n), Grad: make([]float32, n), Shape: shape, Decay: decay}
}

// initWeights fills w by the spec's initialisation (see the package doc).
func initWeights(w []float32, init Init, fanIn, fanOut int, r *rand.Rand) {
	switch init {
	case InitGlorot:
		limit := math.Sqrt(6 / float64(fanIn+fanOut))
		for i := range w {
			w[i] = float32((2*r.Float64() - 1) * limit)
		}
	default:
		std := math.Sqrt(2 / float64(fanIn))
		for i := range w {
			w[i] = float32(r.NormFloat64() * std)
		}
	}
}

// Forward runs the network on the batch x and returns the output of the last
// layer (the logits when the network ends in a dense layer). In training mode
// batch norm uses and updates batch statistics and dropout draws masks; in
// eval mode neither happens. x must have the network's input shape and finite
// values. The result belongs to the network and is overwritten by the next
// Forward; Clone it to keep it.
func (net *Network) Forward(x *Tensor, train bool) (*Tensor, error) {
	if err := checkTensor("nn: network input", x, net.input); err != nil {
		return nil, err
	}
	for i := 0; i < len(net.layers); i++ {
		if f := net.fusion(i, false); f != nil && f.runs() {
			// The time of a fusion counts as its first layer's.
			var start time.Time
			if net.timing {
				start = time.Now()
			}
			x = f.forward(x)
			f.ran = true
			if net.timing {
				net.times[net.slots[i]].Forward += time.Since(start)
			}
			i += f.span() - 1
			continue
		}
		if f := net.fusion(i, false); f != nil {
			f.ran = false
		}
		x = net.forwardLayer(i, x, train)
	}
	net.trained, net.batch = train, x.N
	return x, nil
}

// Backward propagates dLogits, the gradient of the loss with respect to the
// output of the last training-mode Forward, back through the network and
// overwrites the gradient of every parameter (there is nothing to zero between
// steps).
func (net *Network) Backward(dLogits *Tensor) error {
	_, err := net.backward(dLogits, false)
	return err
}

// BackwardInput is Backward that also returns the gradient with respect to
// the network input (owned by the network, valid until the next call).
func (net *Network) BackwardInput(dLogits *Tensor) (*Tensor, error) {
	return net.backward(dLogits, true)
}

func (net *Network) backward(dy *Tensor, needInput bool) (*Tensor, error) {
	if !net.trained {
		return nil, fmt.Errorf("nn: Backward needs a training-mode Forward first")
	}
	out := net.infos[len(net.infos)-1].Out
	if err := checkTensor("nn: gradient of the output", dy, out); err != nil {
		return nil, err
	}
	if dy.N != net.batch {
		return nil, fmt.Errorf("nn: gradient of the output has %d examples, the last Forward had %d", dy.N, net.batch)
	}
	for i := len(net.layers) - 1; i >= 0; i-- {
		if f := net.fusion(i, true); f != nil && f.ran {
			var start time.Time
			if net.timing {
				start = time.Now()
			}
			dy = f.backward(dy, f.first > 0 || needInput)
			if net.timing {
				net.times[net.slots[f.first]].Backward += time.Since(start)
			}
			i = f.first
			continue
		}
		if !net.timing {
			dy = net.layers[i].backward(dy, i > 0 || needInput)
			continue
		}
		start := time.Now()
		dy = net.layers[i].backward(dy, i > 0 || needInput)
		net.times[net.slots[i]].Backward += time.Since(start)
	}
	return dy, nil
}

// forwardLayer runs layer i on x, timing it when timing is on.
func (net *Network) forwardLayer(i int, x *Tensor, train bool) *Tensor {
	if !net.timing {
		return net.layers[i].forward(x, train)
	}
	start := time.Now()
	y := net.layers[i].forward(x, train)
	net.times[net.slots[i]].Forward += time.Since(start)
	return y
}

// Probabilities runs the network on x in eval mode and returns the class
// probabilities: the softmax of the output, or the output itself when the
// last layer is a softmax layer. The result is a new tensor.
func (net *Network) Probabilities(x *Tensor) (*Tensor, error) {
	out, err := net.Forward(x, false)
	if err != nil {
		return nil, err
	}
	p := out.Clone()
	if net.specs[len(net.specs)-1].Kind != KindSoftmax {
		softmaxRows(p.Data, p.Data, p.C)
	}
	return p, nil
}

// Activations runs the network on x in eval mode and returns a copy of the
// output of every layer, in order.
func (net *Network) Activations(x *Tensor) ([]*Tensor, error) {
	if err := checkTensor("nn: network input", x, net.input); err != nil {
		return nil, err
	}
	acts := make([]*Tensor, len(net.layers))
	for i := range net.layers {
		x = net.forwardLayer(i, x, false)
		acts[i] = x.Clone()
	}
	net.trained, net.batch = false, x.N
	return acts, nil
}

// LayerOutput is the output of one layer for a batch.
type LayerOutput struct {
	Name string // res1.body.conv1 for a layer nested in a block
	Kind Kind
	List string // the list of layers it is in, as LayerTime.List
	Out  *Tensor
}

// Outputs runs the network on x in eval mode and returns a copy of the
// output of every layer, those nested in blocks included, in the order of
// Timings: the layers of a block before the block, its body before its
// shortcut. For a network without blocks it is Activations with names.
func (net *Network) Outputs(x *Tensor) ([]LayerOutput, error) {
	if err := checkTensor("nn: network input", x, net.input); err != nil {
		return nil, err
	}
	net.outputs = make([]*Tensor, len(net.times))
	net.tracing = true
	defer func() { net.tracing, net.outputs = false, nil }()
	for i := range net.layers {
		x = net.forwardLayer(i, x, false)
		net.outputs[net.slots[i]] = x.Clone()
	}
	net.trained, net.batch = false, x.N
	out := make([]LayerOutput, len(net.times))
	for i, t := range net.times {
		out[i] = LayerOutput{Name: t.Name, Kind: t.Kind, List: t.List, Out: net.outputs[i]}
	}
	return out, nil
}

// Params returns the learnable tensors, layer by layer. The slice and the
// Params are the network's own: optimizers update them in place.
func (net *Network) Params() []*Param { return net.params }

// NumParams is the number of learnable values.
func (net *Network) NumParams() int {
	n := 0
	for _, p := range net.params {
		n += len(p.Value)
	}
	return n
}

// Layers describes the layers in order.
func (net *Network) Layers() []LayerInfo { return append([]LayerInfo(nil), net.infos...) }

// Specs returns the layer specs the network was built from, with the names
// Build gave unnamed layers.
func (net *Network) Specs() []LayerSpec { return append([]LayerSpec(nil), net.specs...) }

// Input is the shape of one input example.
func (net *Network) Input() Shape { return net.input }

// Output is the shape of one output example.
func (net *Network) Output() Shape { return net.infos[len(net.infos)-1].Out }

// savedTensors lists every tensor a model file keeps: the parameters and the
// layers' other state, layer by layer.
func (net *Network) savedTensors() []*Param {
	var ts []*Param
	for _, l := range net.layers {
		ts = append(ts, l.params()...)
		ts = append(ts, l.state()...)
	}
	return ts
}
