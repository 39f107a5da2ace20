package nn

import (
	"math"
	"testing"
)

// quadratic returns parameters for f(w) = ½·Σ a_i·(w_i − c_i)², whose
// gradient is a_i·(w_i − c_i): a weight (Decay) and a bias.
type quadratic struct {
	a, c   []float64
	params []*Param
}

func newQuadratic() *quadratic {
	q := &quadratic{
		a: []float64{1, 4, 0.5, 2, 3},
		c: []float64{0.5, -1, 2, 0, 1},
	}
	w := &Param{Layer: "q", Name: "weight", Value: []float32{1, 2, -1}, Grad: make([]float32, 3), Shape: []int{3}, Decay: true}
	b := &Param{Layer: "q", Name: "bias", Value: []float32{0.25, -2}, Grad: make([]float32, 2), Shape: []int{2}}
	q.params = []*Param{w, b}
	return q
}

// values returns all parameter values in float64.
func (q *quadratic) values() []float64 {
	var v []float64
	for _, p := range q.params {
		for _, x := range p.Value {
			v = append(v, float64(x))
		}
	}
	return v
}

// grad sets the gradients and returns them in float64.
func (q *quadratic) grad() []float64 {
	var g []float64
	i := 0
	for _, p := range q.params {
		for j, x := range p.Value {
			p.Grad[j] = float32(q.a[i] * (float64(x) - q.c[i]))
			g = append(g, float64(p.Grad[j]))
			i++
		}
	}
	return g
}

func (q *quadratic) decay(i int) bool { return i < 3 }

func closeTo(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*math.Max(1, math.Abs(want[i])) {
			t.Errorf("%s: value %d = %.7g, want %.7g", what, i, got[i], want[i])
		}
	}
}

func TestSGDSteps(t *testing.T) {
	const lr, mu = 0.1, 0.9
	for _, tc := range []struct {
		name     string
		cfg      SGDConfig
		nesterov bool
	}{
		{"plain", SGDConfig{}, false},
		{"momentum", SGDConfig{Momentum: mu}, false},
		{"nesterov", SGDConfig{Momentum: mu, Nesterov: true}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := newQuadratic()
			opt := NewSGD(tc.cfg)
			w := q.values()
			v := make([]float64, len(w))
			for step := 0; step < 3; step++ {
				g := q.grad()
				opt.Step(q.params, lr)
				m := float64(tc.cfg.Momentum)
				for i := range w {
					v[i] = m*v[i] + g[i]
					if tc.nesterov {
						w[i] -= lr * (g[i] + m*v[i])
					} else {
						w[i] -= lr * v[i]
					}
				}
				closeTo(t, tc.name, q.values(), w, 1e-6)
			}
		})
	}
}

func TestAdamSteps(t *testing.T) {
	const lr, b1, b2, eps, wd = 0.01, 0.8, 0.99, 1e-6, 0.1
	for _, adamw := range []bool{false, true} {
		name := "adam"
		var opt Optimizer = NewAdam(AdamConfig{Beta1: b1, Beta2: b2, Eps: eps})
		if adamw {
			name = "adamw"
			opt = NewAdamW(AdamWConfig{Beta1: b1, Beta2: b2, Eps: eps, WeightDecay: wd})
		}
		t.Run(name, func(t *testing.T) {
			if string(opt.Kind()) != name {
				t.Errorf("Kind() = %q", opt.Kind())
			}
			q := newQuadratic()
			w := q.values()
			m := make([]float64, len(w))
			v := make([]float64, len(w))
			for step := 1; step <= 3; step++ {
				g := q.grad()
				opt.Step(q.params, lr)
				for i := range w {
					if adamw && q.decay(i) {
						w[i] -= lr * wd * w[i]
					}
					m[i] = b1*m[i] + (1-b1)*g[i]
					v[i] = b2*v[i] + (1-b2)*g[i]*g[i]
					mh := m[i] / (1 - math.Pow(b1, float64(step)))
					vh := v[i] / (1 - math.Pow(b2, float64(step)))
					w[i] -= lr * mh / (math.Sqrt(vh) + eps)
				}
				closeTo(t, name, q.values(), w, 1e-6)
			}
		})
	}
}

func TestAdamDefaults(t *testing.T) {
	o := NewAdam(AdamConfig{})
	if o.cfg.Beta1 != DefaultBeta1 || o.cfg.Beta2 != DefaultBeta2 || o.cfg.Eps != DefaultEps {
		t.Errorf("defaults = %+v", o.cfg)
	}
}

func TestOptimizerWrongParams(t *testing.T) {
	q := newQuadratic()
	opt := NewAdam(AdamConfig{})
	q.grad()
	opt.Step(q.params, 0.1)
	defer func() {
		if r := recover(); r == nil {
			t.Error("Step with another parameter list did not panic")
		}
	}()
	opt.Step(q.params[:1], 0.1)
}

func TestClipGradNorm(t *testing.T) {
	q := newQuadratic()
	g := q.grad()
	var want float64
	for _, x := range g {
		want += x * x
	}
	want = math.Sqrt(want)
	if got := ClipGradNorm(q.params, 0); math.Abs(got-want) > 1e-6 {
		t.Fatalf("norm = %v, want %v", got, want)
	}
	if got := ClipGradNorm(q.params, want*2); math.Abs(got-want) > 1e-6 || q.params[0].Grad[0] != float32(g[0]) {
		t.Fatalf("clipping above the norm changed the gradients")
	}
	ClipGradNorm(q.params, 1)
	if after := ClipGradNorm(q.params, 0); math.Abs(after-1) > 1e-6 {
		t.Errorf("norm after clipping to 1 = %v", after)
	}
	if got, want := float64(q.params[1].Grad[1]), g[4]/want; math.Abs(got-want) > 1e-6 {
		t.Errorf("clipped gradient = %v, want %v (direction kept)", got, want)
	}
}

func TestSchedule(t *testing.T) {
	const base = 0.1
	const spe, total = 10, 100 // 10 epochs of 10 steps
	tests := []struct {
		name  string
		s     Schedule
		steps []int
		want  []float64
	}{
		{"constant", Schedule{}, []int{0, 55, 99}, []float64{0.1, 0.1, 0.1}},
		{"step", Schedule{Kind: ScheduleStep, StepEvery: 3, StepFactor: 0.5}, []int{0, 29, 30, 59, 60, 99}, []float64{0.1, 0.1, 0.05, 0.05, 0.025, 0.0125}},
		{"cosine", Schedule{Kind: ScheduleCosine}, []int{0, 50, 100}, []float64{0.1, 0.05, 0}},
		{"warm-up constant", Schedule{WarmupEpochs: 2}, []int{0, 9, 19, 20}, []float64{0.005, 0.05, 0.1, 0.1}},
		{"warm-up cosine", Schedule{Kind: ScheduleCosine, WarmupEpochs: 2}, []int{0, 19, 20, 60, 100}, []float64{0.005, 0.1, 0.1, 0.05, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.s.Validate(); err != nil {
				t.Fatal(err)
			}
			for i, step := range tt.steps {
				if got := float64(tt.s.LR(base, step, spe, total)); math.Abs(got-tt.want[i]) > 1e-7 {
					t.Errorf("step %d: lr = %v, want %v", step, got, tt.want[i])
				}
			}
		})
	}
	for _, bad := range []Schedule{{Kind: "exp"}, {Kind: ScheduleStep}, {Kind: ScheduleStep, StepEvery: 2}, {WarmupEpochs: -1}} {
		if bad.Validate() == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}
