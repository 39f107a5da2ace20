package runner

import (
	"testing"

	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/runner/record"
)

func TestEarlyStopReason(t *testing.T) {
	for _, tt := range []struct {
		metric experiments.Metric
		want   string
	}{
		{"val_acc", "early stop after epoch 4: val_acc did not improve for 2 epochs (best 91.50% at epoch 2)"},
		{"val_loss", "early stop after epoch 4: val_loss did not improve for 2 epochs (best 0.25 at epoch 2)"},
	} {
		e := &experiments.Experiment{Train: experiments.Train{Epochs: 10, EarlyStop: &experiments.EarlyStop{Metric: tt.metric, Patience: 2}}}
		tr := &trainer{job: &job{exp: e}}
		for i, row := range []record.Epoch{
			{Epoch: 1, ValAcc: 0.9, ValLoss: 0.3}, {Epoch: 2, ValAcc: 0.915, ValLoss: 0.25},
			{Epoch: 3, ValAcc: 0.91, ValLoss: 0.26}, {Epoch: 4, ValAcc: 0.9, ValLoss: 0.27},
		} {
			tr.earlyStop(row)
			if (tr.meta.StopReason != "") != (i == 3) {
				t.Fatalf("%s: after epoch %d, stop reason %q", tt.metric, row.Epoch, tr.meta.StopReason)
			}
		}
		if tr.meta.StopReason != tt.want {
			t.Errorf("%s: %q, want %q", tt.metric, tr.meta.StopReason, tt.want)
		}
	}
}
