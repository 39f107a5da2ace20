package reports

import "testing"

func TestSeedsSummary(t *testing.T) {
	done := func(acc float64) *run { return &run{TestAcc: acc, HasResult: true} }
	tests := []struct {
		name string
		e    experiment
		want string
	}{
		{"three seeds", experiment{Seeds: 3, Runs: []*run{done(0.9899), done(0.9902), done(0.9920)}}, "99.07 ± 0.11% over 3 seeds"},
		{"one finished", experiment{Seeds: 2, Runs: []*run{done(0.99), {}}}, ""},
		{"unfinished left out", experiment{Seeds: 3, Runs: []*run{done(0.98), done(0.99), {TestAcc: 0.5}}}, "98.50 ± 0.71% over 2 seeds"},
		{"keys vary", experiment{Seeds: 2, Keys: []string{"train.l2"}, Runs: []*run{done(0.98), done(0.99)}}, ""},
		{"one seed", experiment{Seeds: 1, Runs: []*run{done(0.98), done(0.99)}}, ""},
	}
	for _, tt := range tests {
		if got := tt.e.seedsSummary(); got != tt.want {
			t.Errorf("%s: seedsSummary() = %q, want %q", tt.name, got, tt.want)
		}
	}
}
