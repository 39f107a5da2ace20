package arch

import (
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/nn"
)

func TestOptimizer(t *testing.T) {
	for _, tc := range []struct {
		opt  experiments.Optimizer
		want nn.OptimizerKind // the engine optimizer's kind; "" for an error
	}{
		{experiments.Optimizer{Kind: experiments.OptSGD, Momentum: 0.9, Nesterov: true}, nn.OptSGD},
		{experiments.Optimizer{Kind: experiments.OptAdam}, nn.OptAdam},
		{experiments.Optimizer{Kind: experiments.OptAdamW, WeightDecay: 0.01}, nn.OptAdamW},
		{experiments.Optimizer{Kind: "lion"}, ""},
	} {
		o, err := Optimizer(tc.opt)
		switch {
		case tc.want == "" && (err == nil || !strings.Contains(err.Error(), `unknown optimizer "lion"`)):
			t.Errorf("%+v: %v, want an unknown optimizer", tc.opt, err)
		case tc.want != "" && (err != nil || o.Kind() != tc.want):
			t.Errorf("%+v: %v, %v; want %s", tc.opt, o, err, tc.want)
		}
	}
}

func TestSchedule(t *testing.T) {
	s, err := Schedule(experiments.Schedule{Kind: experiments.ScheduleStep, Every: 3, Factor: 0.5, Warmup: 2})
	if want := (nn.Schedule{Kind: nn.ScheduleStep, StepEvery: 3, StepFactor: 0.5, WarmupEpochs: 2}); err != nil || s != want {
		t.Errorf("step: %+v, %v; want %+v", s, err, want)
	}
	if _, err := Schedule(experiments.Schedule{Kind: experiments.ScheduleStep, Every: 0, Factor: 0.5}); err == nil {
		t.Error("a step schedule without every was accepted")
	}
}

func TestL2(t *testing.T) {
	for _, tc := range []struct {
		kind experiments.OptimizerKind
		want float32
	}{{experiments.OptSGD, 0.0015}, {experiments.OptAdam, 0.0015}, {experiments.OptAdamW, 0.0005}} {
		tr := experiments.Train{L2: 0.0005, Optimizer: experiments.Optimizer{Kind: tc.kind, WeightDecay: 0.001}}
		if got := L2(tr); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.kind, got, tc.want)
		}
	}
}
