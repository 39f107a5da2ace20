package nn

import (
	"encoding/json"
	"fmt"
	"math"
)

// Optimizer updates parameters from their gradients. A Param with Frozen
// set is left alone, its state too; one with LRScale takes lr·LRScale. An optimizer binds to the
// parameter list of its first Step (its state has one slot per parameter) and
// must then always be given the same list, in the same order; calling Step
// with a list of other shapes is a programming error and panics. Its state is
// saved in model files (see Save).
type Optimizer interface {
	// Step updates the parameters with learning rate lr.
	Step(params []*Param, lr float32)
	// Kind is OptSGD, OptAdam or OptAdamW.
	Kind() OptimizerKind

	config() any
	getState() optimizerState
	setState(optimizerState) error
}

// optimizerState is what a model file keeps of an optimizer.
type optimizerState struct {
	steps int64
	slots [][][]float32 // slot (velocity; or m, v) → parameter → values
}

// OptimizerKind names an optimizer; model files record it.
type OptimizerKind string

// Optimizer kinds.
const (
	OptSGD   OptimizerKind = "sgd"
	OptAdam  OptimizerKind = "adam"
	OptAdamW OptimizerKind = "adamw"
)

// bindSlot returns slot unchanged if it matches params, or allocates it if it
// is empty; any other mismatch panics.
func bindSlot(kind OptimizerKind, slot [][]float32, params []*Param) [][]float32 {
	if len(slot) == 0 {
		slot = make([][]float32, len(params))
		for i, p := range params {
			slot[i] = make([]float32, len(p.Value))
		}
		return slot
	}
	if len(slot) != len(params) {
		panic(fmt.Sprintf("nn: %s optimizer holds state for %d parameters, Step was given %d", kind, len(slot), len(params)))
	}
	for i, p := range params {
		if len(slot[i]) != len(p.Value) {
			panic(fmt.Sprintf("nn: %s optimizer state %d has %d values, parameter %s has %d", kind, i, len(slot[i]), p.key(), len(p.Value)))
		}
	}
	return slot
}

// SGDConfig configures stochastic gradient descent. Momentum 0 is plain SGD.
type SGDConfig struct {
	Momentum float32 `json:"momentum"`
	Nesterov bool    `json:"nesterov"`
}

// SGD is stochastic gradient descent with optional (Nesterov) momentum:
//
//	v = μ·v + g
//	w = w − lr·v             (classical)
//	w = w − lr·(g + μ·v)     (Nesterov)
type SGD struct {
	cfg      SGDConfig
	velocity [][]float32
	task     sgdTask
}

// NewSGD returns SGD with the given settings.
func NewSGD(cfg SGDConfig) *SGD { return &SGD{cfg: cfg} }

// Kind is OptSGD.
func (o *SGD) Kind() OptimizerKind { return OptSGD }

// Step takes one SGD step with learning rate lr.
func (o *SGD) Step(params []*Param, lr float32) {
	t := &o.task
	t.lr, t.mu, t.nesterov = lr, o.cfg.Momentum, o.cfg.Nesterov
	if t.mu != 0 {
		o.velocity = bindSlot(OptSGD, o.velocity, params)
	}
	for k, p := range params {
		if p.Frozen {
			continue
		}
		t.lr = lr * p.lrScale()
		t.w, t.g, t.v = p.Value, p.Grad, nil
		if t.mu != 0 {
			t.v = o.velocity[k]
		}
		parallelFor(len(p.Value), elementGrain, t)
	}
	t.w, t.g, t.v = nil, nil, nil
}

// sgdTask updates a block of one parameter.
type sgdTask struct {
	w, g, v  []float32 // v is nil without momentum
	lr, mu   float32
	nesterov bool
}

func (t *sgdTask) run(lo, hi int) {
	w, g := t.w[lo:hi], t.g[lo:hi]
	lr, mu := t.lr, t.mu
	if t.v == nil {
		for i, gi := range g {
			w[i] -= lr * gi
		}
		return
	}
	v := t.v[lo:hi]
	for i, gi := range g {
		v[i] = mu*v[i] + gi
		if t.nesterov {
			w[i] -= lr * (gi + mu*v[i])
		} else {
			w[i] -= lr * v[i]
		}
	}
}

func (o *SGD) config() any { return o.cfg }

func (o *SGD) getState() optimizerState {
	if o.velocity == nil {
		return optimizerState{}
	}
	return optimizerState{slots: [][][]float32{o.velocity}}
}

func (o *SGD) setState(s optimizerState) error {
	switch len(s.slots) {
	case 0:
		o.velocity = nil
	case 1:
		o.velocity = s.slots[0]
	default:
		return fmt.Errorf("sgd state has %d slots, want 0 or 1", len(s.slots))
	}
	return nil
}

// Adam defaults, used for zero fields of AdamConfig and AdamWConfig.
const (
	DefaultBeta1 = 0.9
	DefaultBeta2 = 0.999
	DefaultEps   = 1e-8
)

// AdamConfig configures Adam; zero fields take the defaults.
type AdamConfig struct {
	Beta1 float32 `json:"beta1"`
	Beta2 float32 `json:"beta2"`
	Eps   float32 `json:"eps"`
}

// AdamWConfig configures AdamW: Adam with weight decay decoupled from the
// gradient. Zero Beta1, Beta2, Eps take the defaults.
type AdamWConfig struct {
	Beta1       float32 `json:"beta1"`
	Beta2       float32 `json:"beta2"`
	Eps         float32 `json:"eps"`
	WeightDecay float32 `json:"weight_decay"`
}

// Adam is the Adam optimizer (and AdamW when built by NewAdamW). At step t
// (counting from 1), for each value with gradient g:
//
//	m = β1·m + (1−β1)·g
//	v = β2·v + (1−β2)·g²
//	w = w − lr·wd·w                                  (AdamW, Decay params only)
//	w = w − lr·(m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + ε)
type Adam struct {
	cfg   AdamWConfig
	kind  OptimizerKind
	steps int64
	m, v  [][]float32
	task  adamTask
}

func adamDefaults(cfg AdamWConfig) AdamWConfig {
	if cfg.Beta1 == 0 {
		cfg.Beta1 = DefaultBeta1
	}
	if cfg.Beta2 == 0 {
		cfg.Beta2 = DefaultBeta2
	}
	if cfg.Eps == 0 {
		cfg.Eps = DefaultEps
	}
	return cfg
}

// NewAdam returns Adam with the given settings.
func NewAdam(cfg AdamConfig) *Adam {
	return &Adam{kind: OptAdam, cfg: adamDefaults(AdamWConfig{Beta1: cfg.Beta1, Beta2: cfg.Beta2, Eps: cfg.Eps})}
}

// NewAdamW returns AdamW with the given settings.
func NewAdamW(cfg AdamWConfig) *Adam {
	return &Adam{kind: OptAdamW, cfg: adamDefaults(cfg)}
}

// Kind is OptAdam or OptAdamW.
func (o *Adam) Kind() OptimizerKind { return o.kind }

// Steps is the number of steps taken so far.
func (o *Adam) Steps() int64 { return o.steps }

// Step takes one Adam (or AdamW) step with learning rate lr.
func (o *Adam) Step(params []*Param, lr float32) {
	o.m = bindSlot(o.kind, o.m, params)
	o.v = bindSlot(o.kind, o.v, params)
	o.steps++
	b1, b2, eps := o.cfg.Beta1, o.cfg.Beta2, o.cfg.Eps
	t := &o.task
	k := &t.consts
	k.b1, k.ob1, k.b2, k.ob2, k.eps, k.lr = b1, 1-b1, b2, 1-b2, eps, lr
	k.c1 = float32(1 / (1 - math.Pow(float64(b1), float64(o.steps))))
	k.c2 = float32(1 / (1 - math.Pow(float64(b2), float64(o.steps))))
	for i, p := range params {
		if p.Frozen {
			continue
		}
		t.w, t.g, t.m, t.v = p.Value, p.Grad, o.m[i], o.v[i]
		k.lr = lr * p.lrScale()
		k.decay = 0
		if o.kind == OptAdamW && p.Decay {
			k.decay = k.lr * o.cfg.WeightDecay * p.decayScale()
		}
		parallelFor(len(p.Value), elementGrain, t)
	}
	t.w, t.g, t.m, t.v = nil, nil, nil, nil
}

// adamTask updates a block of one parameter.
type adamTask struct {
	w, g, m, v []float32
	consts     adamConsts
}

// adamConsts are the scalars of one Adam step, laid out for the assembly
// loops (adamAVX512, adamAVX2).
type adamConsts struct {
	b1, ob1, b2, ob2 float32 // β1, 1−β1, β2, 1−β2
	c1, c2           float32 // 1/(1−β1^t), 1/(1−β2^t)
	lr, eps          float32
	decay            float32 // lr·weight decay (AdamW), or 0
}

func (t *adamTask) run(lo, hi int) {
	adamUpdate(t.w[lo:hi], t.g[lo:hi], t.m[lo:hi], t.v[lo:hi], &t.consts)
}

// adamUpdate is the Adam update of len(w) values.
func adamUpdate(w, g, m, v []float32, k *adamConsts) {
	if len(w) > 0 {
		_, _, _ = g[len(w)-1], m[len(w)-1], v[len(w)-1]
		switch simd {
		case simdAVX512:
			adamAVX512(&w[0], &g[0], &m[0], &v[0], len(w), k)
			return
		case simdAVX2:
			adamAVX2(&w[0], &g[0], &m[0], &v[0], len(w), k)
			return
		case simdNEON:
			adamNEON(&w[0], &g[0], &m[0], &v[0], len(w), k)
			return
		}
	}
	adamUpdateGo(w, g, m, v, k)
}

func adamUpdateGo(w, g, m, v []float32, k *adamConsts) {
	g, m, v = g[:len(w)], m[:len(w)], v[:len(w)]
	b1, ob1, b2, ob2, c1, c2, lr, eps, decay := k.b1, k.ob1, k.b2, k.ob2, k.c1, k.c2, k.lr, k.eps, k.decay
	for i, gi := range g {
		// The conversions round each product before the add, as the
		// assembly does: without them a compiler may fuse a·b+c into one
		// FMA (Go does on arm64 and for GOAMD64=v3) and change the bits.
		wi := w[i]
		wi -= float32(decay * wi)
		mi := float32(b1*m[i]) + float32(ob1*gi)
		vi := float32(b2*v[i]) + float32(ob2*gi*gi)
		m[i], v[i] = mi, vi
		mh := mi * c1
		vh := vi * c2
		w[i] = wi - lr*mh/(float32(math.Sqrt(float64(vh)))+eps)
	}
}

func (o *Adam) config() any {
	if o.kind == OptAdam {
		return AdamConfig{Beta1: o.cfg.Beta1, Beta2: o.cfg.Beta2, Eps: o.cfg.Eps}
	}
	return o.cfg
}

func (o *Adam) getState() optimizerState {
	if o.m == nil {
		return optimizerState{steps: o.steps}
	}
	return optimizerState{steps: o.steps, slots: [][][]float32{o.m, o.v}}
}

func (o *Adam) setState(s optimizerState) error {
	switch len(s.slots) {
	case 0:
		o.m, o.v = nil, nil
	case 2:
		if len(s.slots[0]) != len(s.slots[1]) {
			return fmt.Errorf("%s state has %d first moments and %d second moments", o.kind, len(s.slots[0]), len(s.slots[1]))
		}
		o.m, o.v = s.slots[0], s.slots[1]
	default:
		return fmt.Errorf("%s state has %d slots, want 0 or 2", o.kind, len(s.slots))
	}
	if s.steps < 0 {
		return fmt.Errorf("%s state has step count %d", o.kind, s.steps)
	}
	o.steps = s.steps
	return nil
}

// newOptimizer makes an optimizer of the given kind from its JSON settings,
// as a model file stores them.
func newOptimizer(kind OptimizerKind, cfg []byte) (Optimizer, error) {
	switch kind {
	case OptSGD:
		var c SGDConfig
		if err := json.Unmarshal(cfg, &c); err != nil {
			return nil, fmt.Errorf("sgd settings: %w", err)
		}
		return NewSGD(c), nil
	case OptAdam:
		var c AdamConfig
		if err := json.Unmarshal(cfg, &c); err != nil {
			return nil, fmt.Errorf("adam settings: %w", err)
		}
		return NewAdam(c), nil
	case OptAdamW:
		var c AdamWConfig
		if err := json.Unmarshal(cfg, &c); err != nil {
			return nil, fmt.Errorf("adamw settings: %w", err)
		}
		return NewAdamW(c), nil
	}
	return nil, fmt.Errorf("unknown optimizer %q", kind)
}

// ClipGradNorm scales the gradients of params so that their global L2 norm
// (over all values of the gradients of the params that are not Frozen) is
// at most maxNorm, and returns the norm before scaling. maxNorm ≤ 0 only
// measures the norm. Frozen params' gradients are left as they are.
func ClipGradNorm(params []*Param, maxNorm float64) float64 {
	t := sumSquaresTasks.get()
	defer sumSquaresTasks.put(t)
	var sum float64
	for _, p := range params {
		if !p.Frozen {
			sum += t.sum(p.Grad)
		}
	}
	norm := math.Sqrt(sum)
	if maxNorm > 0 && norm > maxNorm {
		e := elementwiseTasks.get()
		defer elementwiseTasks.put(e)
		scale := float32(maxNorm / norm)
		for _, p := range params {
			if !p.Frozen {
				e.apply(scaleBy, p.Grad, p.Grad, nil, scale)
			}
		}
	}
	return norm
}

// sumSquares sums the squares of a vector in float64, in fixed blocks whose
// partial sums are then added in order.
type sumSquares struct {
	x       []float32
	partial []float64
}

func (t *sumSquares) run(lo, hi int) {
	var s float64
	for _, v := range t.x[lo:hi] {
		s += float64(v) * float64(v)
	}
	t.partial[lo/elementGrain] = s
}

// sum returns Σ x².
func (t *sumSquares) sum(x []float32) float64 {
	t.x = x
	t.partial = growFloat64(t.partial, blocksOf(len(x), elementGrain))
	parallelFor(len(x), elementGrain, t)
	var s float64
	for _, v := range t.partial {
		s += v
	}
	t.x = nil
	return s
}
