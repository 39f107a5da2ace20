package nn

import (
	"fmt"
	"math"
)

// ScheduleKind names a learning-rate schedule.
type ScheduleKind string

// Learning-rate schedule kinds.
const (
	ScheduleConstant ScheduleKind = "constant"
	ScheduleStep     ScheduleKind = "step"
	ScheduleCosine   ScheduleKind = "cosine"
)

// Schedule sets the learning rate of each step from a base rate. Kind is
// one of:
//
//	constant  lr = base                               (also when Kind is "")
//	step      lr = base·StepFactor^floor(epoch/StepEvery)
//	cosine    lr = base·(1 + cos(π·t/T))/2, t the steps since warm-up, T the
//	          steps of the whole run after warm-up
//
// A linear warm-up over the first WarmupEpochs epochs combines with any kind:
// during it lr = base·(step+1)/(WarmupEpochs·stepsPerEpoch).
type Schedule struct {
	Kind         ScheduleKind
	StepEvery    int     // step: epochs between decays (≥ 1)
	StepFactor   float32 // step: the factor of each decay (> 0)
	WarmupEpochs int     // ≥ 0
}

// Validate reports an error for an unknown kind or settings out of range.
func (s Schedule) Validate() error {
	switch s.Kind {
	case "", ScheduleConstant, ScheduleCosine:
	case ScheduleStep:
		if s.StepEvery < 1 {
			return fmt.Errorf("step schedule: every = %d epochs, want ≥ 1", s.StepEvery)
		}
		if !(s.StepFactor > 0) {
			return fmt.Errorf("step schedule: factor = %v, want > 0", s.StepFactor)
		}
	default:
		return fmt.Errorf("unknown schedule %q (want %q, %q or %q)", s.Kind, ScheduleConstant, ScheduleStep, ScheduleCosine)
	}
	if s.WarmupEpochs < 0 {
		return fmt.Errorf("schedule: warm-up of %d epochs, want ≥ 0", s.WarmupEpochs)
	}
	return nil
}

// LR returns the learning rate of step (0-based, counted over the whole run)
// of a run of totalSteps steps with stepsPerEpoch steps per epoch.
func (s Schedule) LR(base float32, step, stepsPerEpoch, totalSteps int) float32 {
	stepsPerEpoch = max(stepsPerEpoch, 1)
	warm := s.WarmupEpochs * stepsPerEpoch
	if step < warm {
		return float32(float64(base) * float64(step+1) / float64(warm))
	}
	switch s.Kind {
	case ScheduleStep:
		if s.StepEvery < 1 {
			return base
		}
		decays := (step / stepsPerEpoch) / s.StepEvery
		return float32(float64(base) * math.Pow(float64(s.StepFactor), float64(decays)))
	case ScheduleCosine:
		span := totalSteps - warm
		if span <= 0 {
			return base
		}
		progress := min(float64(step-warm)/float64(span), 1)
		return float32(float64(base) * (1 + math.Cos(math.Pi*progress)) / 2)
	}
	return base
}
