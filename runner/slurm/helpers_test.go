package slurm

// The helpers shared with runner's tests (see package runtest), a local run
// and a sweep of the tiny experiment.

import (
	"bytes"
	"context"
	"testing"

	"github.com/cnnlab/cnnlab/runner"
	"github.com/cnnlab/cnnlab/runner/internal/runtest"
)

var (
	syntheticLoader = runtest.SyntheticLoader
	writeExperiment = runtest.WriteExperiment
	readFinal       = runtest.ReadFinal
	compareFinal    = runtest.CompareFinal
	readStatus      = runtest.ReadStatus
)

const tinyBase = runtest.TinyBase

func runLocal(t *testing.T, ctx context.Context, file, results string, force bool) (*runner.Summary, string) {
	t.Helper()
	var out bytes.Buffer
	sum, err := runner.Run(ctx, []string{file}, runner.Options{Results: results, Out: &out, LoadSet: syntheticLoader, Force: force})
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, out.String())
	}
	return sum, out.String()
}

// tinySweep is tinyBase swept over four points, then two of them again.
const tinySweep = tinyBase + `sweep:
  grid:
    train.optimizer.adam.lr: [0.01, 0.02]
    model[0].conv.filters: [2, 4]
  include:
    - {"train.optimizer.adam.lr": 0.02, "model[0].conv.filters": 2}
    - {"train.optimizer.adam.lr": 0.01, "model[0].conv.filters": 2}
`
