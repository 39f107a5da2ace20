package main

import (
	"errors"
	"math"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const benchOut = `mnist-seed (experiments/seed/mnist.yaml, point 0: seed=1): input 28×28×1, 607,394 parameters, batch 64, 2 threads, gemm kernel avx512
train images/s  14,157  (2048 images in 0.14 s)
infer images/s  47,842
peak memory     50.5 MiB (peak resident set, VmHWM)
allocations     0.0 per training step

training time by layer kind:
  kind        forward ms/step  backward ms/step  share
  dense                 0.616             1.016  36.1%
`

func TestParseCnnlabBench(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    cnnlabBench
		wantErr bool
	}{
		{name: "mnist", out: benchOut, want: cnnlabBench{params: 607394, kernel: "avx512", train: 14157, infer: 47842}},
		{name: "small numbers", out: "x (f): input 32×32×3, 12 parameters, batch 8, 1 thread, gemm kernel portable\ntrain images/s  97  (8 images in 0.08 s)\ninfer images/s  1,234,567\n",
			want: cnnlabBench{params: 12, kernel: "portable", train: 97, infer: 1234567}},
		{name: "no infer line", out: strings.Replace(benchOut, "infer images/s  47,842\n", "", 1), wantErr: true},
		{name: "no kernel", out: strings.Replace(benchOut, ", gemm kernel avx512", "", 1), wantErr: true},
		{name: "bad number", out: strings.Replace(benchOut, "14,157", "fast", 1), wantErr: true},
		{name: "empty", out: "", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseCnnlabBench(tt.out)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: error %v, want error %v", tt.name, err, tt.wantErr)
			continue
		}
		if !tt.wantErr && got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestParseResults(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    []result
		wantErr bool
	}{
		{name: "seednets", out: "result net=mnist params=607394 train_img_s=2345.6\n",
			want: []result{{"net": "mnist", "params": "607394", "train_img_s": "2345.6"}}},
		{name: "warnings skipped", out: "UserWarning: something\nresult impl=numpy gflops=1.5\n  result impl=torch gflops=2\n",
			want: []result{{"impl": "numpy", "gflops": "1.5"}, {"impl": "torch", "gflops": "2"}}},
		{name: "not key=value", out: "result impl=numpy fast\n", wantErr: true},
		{name: "no result", out: "Traceback (most recent call last):\n", wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseResults(tt.out)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: error %v, want error %v", tt.name, err, tt.wantErr)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
			continue
		}
		for i := range got {
			if !mapsEqual(got[i], tt.want[i]) {
				t.Errorf("%s: result %d = %v, want %v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
}

func mapsEqual(a, b result) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestResultNumbers(t *testing.T) {
	r := result{"params": "607394", "gflops": "98.5", "bad": "x"}
	if n, err := r.int("params"); err != nil || n != 607394 {
		t.Errorf("int(params) = %d, %v", n, err)
	}
	if f, err := r.float("gflops"); err != nil || f != 98.5 {
		t.Errorf("float(gflops) = %g, %v", f, err)
	}
	for _, key := range []string{"bad", "missing"} {
		if _, err := r.float(key); err == nil {
			t.Errorf("float(%s): no error", key)
		}
		if _, err := r.int(key); err == nil {
			t.Errorf("int(%s): no error", key)
		}
	}
}

func TestDetectMachine(t *testing.T) {
	zen5 := "processor\t: 0\nmodel name\t: AMD EPYC 9B45\nflags\t\t: fpu sse avx avx2 fma avx512f avx512bw\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 9B45\nflags\t\t: fpu sse avx avx2 fma avx512f avx512bw\n"
	zen3 := "model name\t: AMD Ryzen 7 5800X 8-Core Processor\nflags\t\t: fpu sse avx avx2 fma\n"
	old := "model name\t: Intel(R) Core(TM)2 Duo\nflags\t\t: fpu sse sse2\n"
	tests := []struct {
		name, cpuinfo, goarch string
		want                  machine
	}{
		{"zen5", zen5, "amd64", machine{model: "AMD EPYC 9B45", kind: "AVX-512"}},
		{"zen3", zen3, "amd64", machine{model: "AMD Ryzen 7 5800X 8-Core Processor", kind: "AVX2-only"}},
		{"old", old, "amd64", machine{model: "Intel(R) Core(TM)2 Duo", kind: "no AVX2"}},
		{"avx512 in another field", "model name\t: X\nbugs\t\t: avx512f\nflags\t\t: avx2\n", "amd64", machine{model: "X", kind: "AVX2-only"}},
		{"arm64", "processor\t: 0\nFeatures\t: fp asimd\n", "arm64", machine{model: "unknown CPU", kind: "arm64"}},
		{"no cpuinfo", "", "amd64", machine{model: "unknown CPU", kind: "no AVX2"}},
	}
	for _, tt := range tests {
		if got := detectMachine(tt.cpuinfo, tt.goarch); got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func same(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

func TestMedianSpreadRatio(t *testing.T) {
	tests := []struct {
		xs             []float64
		median, lo, hi float64
	}{
		{[]float64{3}, 3, 3, 3},
		{[]float64{5, 1, 3}, 3, 1, 5},
		{[]float64{4, 1, 3, 2}, 2.5, 1, 4},
		{[]float64{2, 2, 9}, 2, 2, 9},
		{nil, math.NaN(), math.NaN(), math.NaN()},
	}
	for _, tt := range tests {
		in := slices.Clone(tt.xs)
		if got := median(tt.xs); !same(got, tt.median) {
			t.Errorf("median(%v) = %g, want %g", tt.xs, got, tt.median)
		}
		if !slices.Equal(in, tt.xs) {
			t.Errorf("median reordered its argument: %v, was %v", tt.xs, in)
		}
		if lo, hi := spread(tt.xs); !same(lo, tt.lo) || !same(hi, tt.hi) {
			t.Errorf("spread(%v) = %g, %g, want %g, %g", tt.xs, lo, hi, tt.lo, tt.hi)
		}
	}
	ratios := []struct{ a, b, want float64 }{
		{6, 3, 2},
		{1, 4, 0.25},
		{1, 0, math.NaN()},
		{1, math.NaN(), math.NaN()},
	}
	for _, tt := range ratios {
		if got := ratio(tt.a, tt.b); !same(got, tt.want) {
			t.Errorf("ratio(%g, %g) = %g, want %g", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestNumber(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0.0"}, {9.96, "10.0"}, {99.94, "99.9"}, {100, "100"}, {999.6, "1,000"},
		{14157.2, "14,157"}, {1234567, "1,234,567"}, {-2500, "-2,500"}, {math.NaN(), "–"},
	}
	for _, tt := range tests {
		if got := number(tt.v); got != tt.want {
			t.Errorf("number(%g) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestTable(t *testing.T) {
	tb := newTable()
	for _, v := range []float64{100, 300, 200} {
		tb.add(rowMNISTTrain, unitImages, refPyTorch, sideCnnlab, v)
	}
	for _, v := range []float64{50, 40, 60} {
		tb.add(rowMNISTTrain, unitImages, refPyTorch, sideOther, v)
	}
	tb.add("SGEMM x", unitGFLOPs, refNumpy, sideCnnlab, 10)
	tb.add("SGEMM x", unitGFLOPs, refTorchMM, sideCnnlab, 10)
	tb.add("SGEMM x", unitGFLOPs, refTorchMM, sideOther, 40)
	want := [][]string{
		{"what", "unit", "cnnlab", "spread", "other side", "value", "spread", "ratio"},
		{rowMNISTTrain, unitImages, "200", "100–300", refPyTorch, "50.0", "40.0–60.0", "4.00×"},
		{"SGEMM x", unitGFLOPs, "10.0", "10.0–10.0", refNumpy, "–", "–", "–"},
		{"SGEMM x", unitGFLOPs, "10.0", "10.0–10.0", refTorchMM, "40.0", "40.0–40.0", "0.25×"},
	}
	got := tb.cells()
	if len(got) != len(want) {
		t.Fatalf("%d lines, want %d: %q", len(got), len(want), got)
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("line %d = %q, want %q", i, got[i], want[i])
		}
	}
	var b strings.Builder
	tb.write(&b)
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(want) || !strings.HasPrefix(lines[0], "what ") || !strings.HasSuffix(lines[1], "4.00×") {
		t.Errorf("written table:\n%s", b.String())
	}
}

func TestEnvs(t *testing.T) {
	tests := []struct {
		isa             isaMode
		cnnlab, pyExtra []string
	}{
		{isaNative, nil, nil},
		{isaAVX2, []string{"CNNLAB_GEMM_KERNEL=avx2", "GODEBUG=cpu.avx512f=off"}, pythonAVX2Env},
		{isaAVX2Gemm, []string{"CNNLAB_GEMM_KERNEL=avx2"}, pythonAVX2Env},
	}
	for _, tt := range tests {
		cfg := config{isa: tt.isa, threads: 3, ompWait: "passive"}
		cnnlab, python := cfg.envs()
		if !slices.Equal(cnnlab, tt.cnnlab) {
			t.Errorf("%s: cnnlab env %q, want %q", tt.isa, cnnlab, tt.cnnlab)
		}
		wantPy := append([]string{"OPENBLAS_NUM_THREADS=3", "OMP_NUM_THREADS=3", "OMP_WAIT_POLICY=passive"}, tt.pyExtra...)
		if !slices.Equal(python, wantPy) {
			t.Errorf("%s: python env %q, want %q", tt.isa, python, wantPy)
		}
	}
	for _, want := range []string{"ONEDNN_MAX_CPU_ISA=AVX2", "DNNL_MAX_CPU_ISA=AVX2", "OPENBLAS_CORETYPE=Haswell"} {
		if !slices.Contains(pythonAVX2Env, want) {
			t.Errorf("pythonAVX2Env lacks %s", want)
		}
	}
}

func TestMissingPython(t *testing.T) {
	exitErr := exec.Command("false").Run()
	if exitErr == nil {
		t.Skip("false did not fail")
	}
	tests := []struct {
		name string
		out  string
		err  error
		want []string
	}{
		{"no python", "", errors.New("exec: \"/usr/bin/python3\": no such file"),
			[]string{"cannot run /usr/bin/python3", "python3-torch", "apt-get install python3-torch libopenblas0-pthread"}},
		{"no torch", "missing: python3-torch\ninstall: ...\n", exitErr,
			[]string{"missing python3-torch;", "apt-get install python3-torch libopenblas0-pthread"}},
		{"no openblas", "missing: libopenblas0-pthread\n", exitErr,
			[]string{"missing libopenblas0-pthread;", "apt-get install"}},
		{"script crashed", "Traceback\n", exitErr,
			[]string{"check failed", "Traceback", "apt-get install python3-torch libopenblas0-pthread"}},
	}
	for _, tt := range tests {
		msg := missingPython("/usr/bin/python3", tt.out, tt.err).Error()
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: message %q lacks %q", tt.name, msg, w)
			}
		}
	}
}

func TestConfigCheck(t *testing.T) {
	ok := config{isa: isaNative, rounds: 1, threads: 1, mnistImages: 1, cifarImages: 1, sgemmTime: 1,
		cnnlab: "main.go", sgemm: "main.go", sgemmStat: statMean}
	if err := ok.check(); err != nil {
		t.Errorf("valid config: %v", err)
	}
	p10 := ok
	p10.sgemmStat = statP10
	if err := p10.check(); err != nil {
		t.Errorf("valid config with -sgemm-stat p10: %v", err)
	}
	bad := []func(*config){
		func(c *config) { c.isa = "avx9" },
		func(c *config) { c.sgemmStat = "best" },
		func(c *config) { c.rounds = 0 },
		func(c *config) { c.threads = 0 },
		func(c *config) { c.cnnlab = "no/such/cnnlab" },
		func(c *config) { c.sgemm = "no/such/sgemm" },
	}
	for i, f := range bad {
		c := ok
		f(&c)
		if err := c.check(); err == nil {
			t.Errorf("bad config %d (%+v): no error", i, c)
		}
	}
}

// TestSgemmStatKey checks which field of a timer's line each statistic
// reads: both timers print gflops (the mean) and p10_gflops.
func TestSgemmStatKey(t *testing.T) {
	res, err := parseResults("result impl=cnnlab kernel=avx2 shape=sq m=1 n=1 k=1 gflops=150.5 p10_gflops=199.0\n")
	if err != nil || len(res) != 1 {
		t.Fatalf("parseResults: %v, %d results", err, len(res))
	}
	for stat, want := range map[sgemmStat]float64{statMean: 150.5, statP10: 199} {
		if got, err := res[0].float(stat.key()); err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v", stat, got, err, want)
		}
	}
}

// TestPeak checks that bench/sgemm's peak line is read apart from its
// result lines and that the header gives the median ceiling, or nothing
// when the kernel has no multiply-add loop to time.
func TestPeak(t *testing.T) {
	out := "result impl=cnnlab kernel=avx2 shape=sq m=1 n=1 k=1 gflops=150.5 p10_gflops=199.0\npeak kernel=avx2 threads=2 gflops=221.5\n"
	peaks, err := parseLines(out, "peak")
	if err != nil || len(peaks) != 1 || peaks[0]["gflops"] != "221.5" || peaks[0]["kernel"] != "avx2" {
		t.Fatalf("parseLines(peak) = %v, %v", peaks, err)
	}
	if res, err := parseResults(out); err != nil || len(res) != 1 {
		t.Errorf("parseResults read %d lines (%v), want the one result line", len(res), err)
	}
	if none, err := parseLines("result impl=cnnlab gflops=1\n", "peak"); err != nil || len(none) != 0 {
		t.Errorf("no peak line: %v, %v; want none and no error", none, err)
	}
	if _, err := parseLines("peak kernel=avx2 oops\n", "peak"); err == nil {
		t.Error("peak line with a field that is not key=value: no error")
	}

	cfg := config{threads: 2, rounds: 3, sgemmStat: statMean}
	inf := info{sgemmKernel: "avx2", peaks: []float64{221.5, 200, 219}}
	h := header(cfg, machine{model: "m", kind: "AVX2-only"}, inf)
	if !strings.Contains(h, "ceiling: 219 GFLOP/s (200–222), avx2's multiply-adds alone on 2 threads") {
		t.Errorf("header without the median ceiling:\n%s", h)
	}
	inf.peaks = nil
	if h := header(cfg, machine{}, inf); strings.Contains(h, "ceiling") {
		t.Errorf("header names a ceiling none was measured for:\n%s", h)
	}
}
