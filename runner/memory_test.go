package runner

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/internal/sysmem"
)

// Networks that pass validate but cannot fit in memory are refused before
// any work, with the biggest consumers named and a batch that fits.
func TestMemoryCheckedBeforeTraining(t *testing.T) {
	gib := int64(1) << 30
	mnist := func(model string) string {
		return "name: big\ndata: {set: mnist}\nmodel:\n" + model + "train: {batch: 32, optimizer: {adam: {lr: 0.001}}}\n"
	}
	tests := []struct {
		name  string
		file  string // a path, or the text of a file when it holds a newline
		sets  []string
		limit int64
		want  []string // in the error; none: it trains
	}{
		{"batch 65536 on CIFAR-10", "../experiments/seed/cifar10.yaml", []string{"train.batch=65536"}, 8 * gib,
			[]string{"train.batch 65536 is larger than the 45000 training images"}},
		{"batch 32768 on CIFAR-10", "../experiments/seed/cifar10.yaml", []string{"train.batch=32768"}, 8 * gib,
			[]string{"training needs about 88.", "but this process may use 8.0 GiB (MemAvailable in /proc/meminfo)", "activations at batch 32768 77.7 GiB (pool1 12.0 GiB", "try a smaller batch, e.g. --set train.batch=2048 (about 5."}},
		{"dense of 300,000 units", mnist("  - conv: {filters: 4, kernel: 3, stride: 2}\n  - flatten\n  - dense: {units: 300000}\n  - dense: {units: 10}\n"), nil, 2 * gib,
			[]string{"weights and gradients 1.5 GiB (dense1 1.5 GiB", "optimizer state (adam) 1.5 GiB", "even a batch of 1 does not fit: make the network smaller"}},
		{"conv of a million filters", mnist("  - conv: {filters: 1000000, kernel: 3}\n  - maxpool: {size: 26}\n  - flatten\n  - dense: {units: 10}\n"), nil, 8 * gib,
			[]string{"activations at batch 32 161.5 GiB (pool1 80.8 GiB, conv1 80.6 GiB", "try a smaller batch, e.g. --set train.batch=1 (about 6.1 GiB)"}},
		{"fits", tinyBase, nil, 1 * gib, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			file := tt.file
			if strings.Contains(file, "\n") {
				file = writeExperiment(t, strings.Replace(file, "epochs: 3", "epochs: 1", 1))
			}
			results := filepath.Join(t.TempDir(), "results")
			limit := func() (sysmem.Limit, bool) {
				return sysmem.Limit{Bytes: tt.limit, Source: sysmem.SourceAvailable}, true
			}
			sum, err := Run(context.Background(), []string{file}, Options{Results: results, Sets: tt.sets, LoadSet: syntheticLoader, Memory: limit})
			if tt.want == nil {
				if err != nil || sum.Failed() > 0 {
					t.Fatalf("err = %v, summary %+v", err, sum)
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if _, err := os.Stat(results); !os.IsNotExist(err) {
				t.Errorf("work was done before the refusal: %v", err)
			}
		})
	}
}

// The estimate grows with the batch by the activations alone, and a run
// already done is not checked again.
func TestMemoryEstimateParts(t *testing.T) {
	exps, err := Load([]string{"../experiments/seed/cifar10.yaml"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := expandJobs(exps, Options{Results: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	m, err := EstimateMemory(jobs[0].exp, jobs[0].net)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	names := []string{}
	for _, p := range m.Parts {
		sum += p.Bytes
		names = append(names, p.What)
	}
	if sum != m.Total || m.AtBatch(m.Batch) != m.Total {
		t.Errorf("parts sum to %d, total %d, AtBatch %d", sum, m.Total, m.AtBatch(m.Batch))
	}
	want := "weights and gradients|optimizer state (adam)|Winograd conv buffers|activations at batch 128|data set (cifar10, one byte a pixel)|program, runtime and allocator slack"
	if got := strings.Join(names, "|"); got != want {
		t.Errorf("parts %s, want %s", got, want)
	}
	// Bench measured a peak of 401.2 MiB (no data set there) with three
	// of the four convs by Winograd F(4×4, 3×3); the estimate may exceed it
	// by up to 20% but never fall short.
	noData := float64(m.Total-m.dataBytes()) / (1 << 20)
	if noData < 401.2 || noData > 1.2*401.2 {
		t.Errorf("estimate without the data set %.1f MiB, bench measured 401.2", noData)
	}
	if m.AtBatch(64) >= m.Total || m.AtBatch(256) <= m.Total {
		t.Error("the estimate does not grow with the batch")
	}
}
