package arch

import (
	"fmt"

	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/nn"
)

// Optimizer builds the engine's optimizer for an experiment's
// train.optimizer, with its settings; the learning rate is given to each
// step by the schedule.
func Optimizer(o experiments.Optimizer) (nn.Optimizer, error) {
	switch o.Kind {
	case experiments.OptSGD:
		return nn.NewSGD(nn.SGDConfig{Momentum: float32(o.Momentum), Nesterov: o.Nesterov}), nil
	case experiments.OptAdam:
		return nn.NewAdam(nn.AdamConfig{Beta1: float32(o.Beta1), Beta2: float32(o.Beta2), Eps: float32(o.Eps)}), nil
	case experiments.OptAdamW:
		return nn.NewAdamW(nn.AdamWConfig{Beta1: float32(o.Beta1), Beta2: float32(o.Beta2), Eps: float32(o.Eps),
			WeightDecay: float32(o.WeightDecay)}), nil
	}
	return nil, fmt.Errorf("unknown optimizer %q", o.Kind)
}

// Schedule is the engine's learning-rate schedule for an experiment's
// train.schedule, checked.
func Schedule(s experiments.Schedule) (nn.Schedule, error) {
	ns := nn.Schedule{Kind: nn.ScheduleKind(s.Kind), StepEvery: s.Every, StepFactor: float32(s.Factor), WarmupEpochs: s.Warmup,
		TriStart: float32(s.Start), TriPeak: float32(s.Peak), TriEnd: float32(s.End)}
	if err := ns.Validate(); err != nil {
		return nn.Schedule{}, err
	}
	return ns, nil
}

// L2 is the coupled weight decay the engine adds to the gradients of
// weights: train.l2. AdamW's weight_decay is decoupled and applied by the
// optimizer itself; the experiment format has weight_decay for AdamW only,
// so the term added for other optimizers matters only for a Train built by
// hand.
func L2(tr experiments.Train) float32 {
	decay := float32(tr.L2)
	if tr.Optimizer.Kind != experiments.OptAdamW {
		decay += float32(tr.Optimizer.WeightDecay)
	}
	return decay
}

// Groups writes train.groups onto the network's tensors: the learning-rate
// multiplier of biases and of batch-norm tensors, and the multiplier of the
// weight decay they take (0: none; conv and dense weights always take it
// whole).
func Groups(g experiments.Groups, params []*nn.Param) {
	for _, p := range params {
		var x experiments.Group
		switch p.Group() {
		case nn.GroupBiases:
			x = g.Biases
		case nn.GroupNorm:
			x = g.Norm
		default:
			continue
		}
		p.LRScale = float32(x.LRScale)
		p.Decay, p.DecayScale = x.Decay > 0, float32(x.Decay)
	}
}

// Average is the engine's weight average for train.average, or nil for
// none.
func Average(a *experiments.Average) *nn.AverageConfig {
	if a == nil {
		return nil
	}
	return &nn.AverageConfig{Kind: nn.AverageKind(a.Kind), Decay: a.Decay, Every: a.Every, Power: a.Power}
}
