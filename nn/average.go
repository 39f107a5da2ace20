package nn

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

// AverageKind names a way of averaging the weights over training.
type AverageKind string

// Weight averages.
const (
	// AverageEMA keeps an exponential moving average of the weights beside
	// them; training goes on with the weights as they are.
	AverageEMA AverageKind = "ema"
	// AverageLookahead also moves the weights to the average after each
	// update of it (the fast weights restart from the slow ones).
	AverageLookahead AverageKind = "lookahead"
)

// AverageConfig says how a WeightAverage updates. Every Every steps (the
// 1-based step count a multiple of Every) the average moves toward the
// weights:
//
//	avg = d·avg + (1 − d)·w,  d = Decay·(step/total)^Power
//
// so that with Power > 0 the average follows the weights closely early in
// training and holds on to its past more and more towards the end.
type AverageConfig struct {
	Kind  AverageKind
	Decay float64 // in [0, 1)
	Every int     // ≥ 1
	Power float64 // ≥ 0
}

// Validate reports settings out of range.
func (c AverageConfig) Validate() error {
	if c.Kind != AverageEMA && c.Kind != AverageLookahead {
		return fmt.Errorf("unknown weight average %q (want %q or %q)", c.Kind, AverageEMA, AverageLookahead)
	}
	if !(c.Decay >= 0 && c.Decay < 1) || c.Every < 1 || !(c.Power >= 0) || math.IsInf(c.Power, 1) {
		return fmt.Errorf("%s: decay %v, every %d, power %v; want 0 ≤ decay < 1, every ≥ 1, power ≥ 0", c.Kind, c.Decay, c.Every, c.Power)
	}
	return nil
}

// WeightAverage is a running average of a network's tensors: its
// parameters and its other state (batch norm's running statistics), which
// model files keep. Its buffers are allocated once: Update allocates
// nothing.
type WeightAverage struct {
	cfg     AverageConfig
	tensors []*Param
	avg     [][]float32
	spare   [][]float32 // the weights while the average is swapped in
	swapped bool
	task    averageTask
}

// NewWeightAverage starts an average of net's tensors at their values now.
func NewWeightAverage(net *Network, cfg AverageConfig) (*WeightAverage, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	a := &WeightAverage{cfg: cfg, tensors: net.savedTensors()}
	for _, p := range a.tensors {
		a.avg = append(a.avg, append([]float32(nil), p.Value...))
		a.spare = append(a.spare, make([]float32, len(p.Value)))
	}
	return a, nil
}

// Decay is d at the 1-based step of a run of total steps.
func (a *WeightAverage) Decay(step, total int) float32 {
	d := a.cfg.Decay
	if a.cfg.Power != 0 && total > 0 {
		d *= math.Pow(float64(min(step, total))/float64(total), a.cfg.Power)
	}
	return float32(d)
}

// Update is called after the optimizer's step number step (from 1) of a
// run of total steps: at every Every-th step it moves the average, and for
// lookahead the weights to it. Each value is computed on its own, so the
// result does not depend on the thread count.
func (a *WeightAverage) Update(step, total int) {
	if a.swapped {
		panic("nn: WeightAverage.Update while the average is swapped in")
	}
	if step%a.cfg.Every != 0 {
		return
	}
	t := &a.task
	t.d = a.Decay(step, total)
	t.copyBack = a.cfg.Kind == AverageLookahead
	for i, p := range a.tensors {
		t.avg, t.w = a.avg[i], p.Value
		parallelFor(len(p.Value), elementGrain, t)
	}
	t.avg, t.w = nil, nil
}

type averageTask struct {
	avg, w   []float32
	d        float32
	copyBack bool
}

func (t *averageTask) run(lo, hi int) {
	avg, w := t.avg[lo:hi], t.w[lo:hi]
	d, od := t.d, 1-t.d
	for i, v := range w {
		// Rounded apart, so that no compiler fuses them into an FMA.
		m := float32(d*avg[i]) + float32(od*v)
		avg[i] = m
		if t.copyBack {
			w[i] = m
		}
	}
}

// Swap puts the average in the network's place, or (called again) the
// weights back, without allocating: evaluating the average is Swap,
// evaluate, Swap.
func (a *WeightAverage) Swap() {
	for i, p := range a.tensors {
		if !a.swapped {
			copy(a.spare[i], p.Value)
			copy(p.Value, a.avg[i])
		} else {
			copy(p.Value, a.spare[i])
		}
	}
	a.swapped = !a.swapped
}

// Same reports whether the average holds the very bits of the weights, as
// lookahead's does right after its update: evaluating it would repeat the
// weights' evaluation.
func (a *WeightAverage) Same() bool {
	for i, p := range a.tensors {
		want := p.Value
		if a.swapped {
			want = a.spare[i]
		}
		for j, v := range a.avg[i] {
			if math.Float32bits(v) != math.Float32bits(want[j]) {
				return false
			}
		}
	}
	return true
}

// averageMagic starts a saved WeightAverage.
const averageMagic = "cnnlab-average\x00\x01"

// MarshalBinary writes the average with the step it was taken at, to be
// saved beside a checkpoint.
func (a *WeightAverage) MarshalBinary(step int) []byte {
	b := []byte(averageMagic)
	b = binary.LittleEndian.AppendUint64(b, uint64(step))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(a.avg)))
	for _, v := range a.avg {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(v)))
		for _, f := range v {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
		}
	}
	return b
}

// UnmarshalBinary restores what MarshalBinary wrote over the average of
// the same network and returns its step; tensors of other sizes are an
// error.
func (a *WeightAverage) UnmarshalBinary(data []byte) (step int, err error) {
	if !bytes.HasPrefix(data, []byte(averageMagic)) || len(data) < len(averageMagic)+12 {
		return 0, fmt.Errorf("not a saved weight average")
	}
	d := data[len(averageMagic):]
	step = int(binary.LittleEndian.Uint64(d))
	n := int(binary.LittleEndian.Uint32(d[8:]))
	d = d[12:]
	if n != len(a.avg) {
		return 0, fmt.Errorf("saved weight average holds %d tensors, the network %d", n, len(a.avg))
	}
	for i, v := range a.avg {
		if len(d) < 4 || int(binary.LittleEndian.Uint32(d)) != len(v) || len(d) < 4+4*len(v) {
			return 0, fmt.Errorf("saved weight average: tensor %d (%s) does not have %d values", i, a.tensors[i].key(), len(v))
		}
		d = d[4:]
		for j := range v {
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(d[4*j:]))
		}
		d = d[4*len(v):]
	}
	if len(d) != 0 {
		return 0, fmt.Errorf("saved weight average: %d bytes too many", len(d))
	}
	return step, nil
}
