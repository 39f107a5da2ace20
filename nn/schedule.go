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
	ScheduleTriangle ScheduleKind = "triangle"
)

// Schedule sets the learning rate of each step from a base rate. Kind is
// one of:
//
//	constant  lr = base                               (also when Kind is "")
//	step      lr = base·StepFactor^floor(epoch/StepEvery)
//	cosine    lr = base·(1 + cos(π·t/T))/2, t the steps since warm-up, T the
//	          steps of the whole run after warm-up
//	triangle  by step, one cycle: lr = base·TriStart at the first step, up in
//	          a straight line to base at step ⌊TriPeak·T⌋, then down in a
//	          straight line to base·TriEnd at step T (T the steps of the run)
//
// A linear warm-up over the first WarmupEpochs epochs combines with any kind:
// during it lr = base·(step+1)/(WarmupEpochs·stepsPerEpoch).
type Schedule struct {
	Kind         ScheduleKind
	StepEvery    int     // step: epochs between decays (≥ 1)
	StepFactor   float32 // step: the factor of each decay (> 0)
	WarmupEpochs int     // ≥ 0

	TriStart, TriPeak, TriEnd float32 // triangle: factors of base at the start and the end, the peak as a fraction of the run
}

// Validate reports an error for an unknown kind or settings out of range.
func (s Schedule) Validate() error {
	switch s.Kind {
	case "", ScheduleConstant, ScheduleCosine:
	case ScheduleTriangle:
		if !(s.TriStart >= 0) || !(s.TriEnd >= 0) || !(s.TriPeak >= 0 && s.TriPeak <= 1) {
			return fmt.Errorf("triangle schedule: start %v, peak %v, end %v; want start, end ≥ 0 and 0 ≤ peak ≤ 1", s.TriStart, s.TriPeak, s.TriEnd)
		}
	case ScheduleStep:
		if s.StepEvery < 1 {
			return fmt.Errorf("step schedule: every = %d epochs, want ≥ 1", s.StepEvery)
		}
		if !(s.StepFactor > 0) {
			return fmt.Errorf("step schedule: factor = %v, want > 0", s.StepFactor)
		}
	default:
		return fmt.Errorf("unknown schedule %q (want %q, %q, %q or %q)", s.Kind, ScheduleConstant, ScheduleStep, ScheduleCosine, ScheduleTriangle)
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
	case ScheduleTriangle:
		return float32(float64(base) * s.triangle(step, totalSteps))
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

// triangle is the factor of the triangle schedule at step of total steps.
func (s Schedule) triangle(step, total int) float64 {
	if total <= 0 {
		return 1
	}
	peak := int(float64(s.TriPeak) * float64(total))
	start, end := float64(s.TriStart), float64(s.TriEnd)
	step = min(step, total)
	if step < peak {
		return start + (1-start)*float64(step)/float64(peak)
	}
	if total == peak {
		return 1
	}
	return 1 + (end-1)*float64(step-peak)/float64(total-peak)
}
