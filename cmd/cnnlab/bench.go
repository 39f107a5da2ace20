package main

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cnnlab/cnnlab/arch"
	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/internal/sysmem"
	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/nn/gemm"
	"github.com/cnnlab/cnnlab/runner"
)

func init() {
	register(&command{
		name:    "bench",
		summary: "measure how fast an experiment's network trains and infers on this machine",
		usage: `  cnnlab bench FILE [--images N] [--threads T] [--batch B] [--point P] [--set key.path=value]...

Builds the experiment's network and trains it on random inputs of the data
set's shape (no data is read) for N images (default 4096) after a warm-up of
3 steps, the way a run trains: its optimizer, L2, clipping and label
smoothing, at its batch size unless --batch is given. Then runs inference on
as many images. Prints train and inference images/s, peak memory, heap
allocations per training step and the share of the training time spent in
each kind of layer. --threads sets the number of threads (default: all
cores); --point picks a point of a sweep (default 0).`,
		run: runBench,
	})
}

// benchConfig is what runBench parsed from its arguments.
type benchConfig struct {
	file    string
	sets    []string
	images  int
	threads int // 0: default
	batch   int // 0: the experiment's
	point   int
}

func parseBenchArgs(args []string) (benchConfig, error) {
	var cfg benchConfig
	f := newWordedFlags("bench")
	number := func(name string, min int) func(string) string {
		return func(v string) string { return fmt.Sprintf("--%s %q: want a whole number ≥ %d", name, v, min) }
	}
	images := f.Int("images", 4096, 1, number("images", 1))
	threads := f.Int("threads", 0, 1, number("threads", 1))
	batch := f.Int("batch", 0, 1, number("batch", 1))
	point := f.Int("point", 0, 0, number("point", 0))
	sets := f.Sets()
	files, err := f.parse(args)
	if err != nil {
		return cfg, err
	}
	if len(files) != 1 {
		return cfg, usageError{"bench takes one experiment file"}
	}
	cfg = benchConfig{file: files[0], sets: *sets, images: *images, threads: *threads, batch: *batch, point: *point}
	return cfg, nil
}

func runBench(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseBenchArgs(args)
	if err != nil {
		return err
	}
	e, err := loadChecked(cfg.file, cfg.sets)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError{1}
	}
	points, err := e.Points()
	if err != nil {
		return err
	}
	if cfg.point >= len(points) {
		return usageError{fmt.Sprintf("--point %d: %s has %d points (0..%d)", cfg.point, cfg.file, len(points), len(points)-1)}
	}
	p := points[cfg.point]
	if cfg.threads > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(cfg.threads))
		gemm.SetThreads(cfg.threads)
		defer gemm.SetThreads(0)
	}
	res, err := benchmark(p.Experiment, cfg.batch, cfg.images)
	if err != nil {
		return fmt.Errorf("%s: %w", cfg.file, err)
	}
	label := ""
	if len(points) > 1 {
		label = fmt.Sprintf(", point %d: %s", p.Index, p.Label())
	}
	res.print(stdout, fmt.Sprintf("%s%s", cfg.file, label))
	return nil
}

// benchResult holds the measurements of one benchmark.
type benchResult struct {
	name            string
	input           nn.Shape
	params          int
	batch, images   int
	threads         int
	kernel          string
	trainTime       time.Duration
	inferTime       time.Duration
	steps           int
	allocsPerStep   float64
	peakBytes       uint64
	peakSource      string
	kinds           []kindTime
	optimizer, loss time.Duration // outside the layers, over all measured steps
}

// kindTime is the training time of the layers of one kind.
type kindTime struct {
	kind              nn.Kind
	forward, backward time.Duration
}

// benchmark trains e's network on random inputs for images images at the
// given batch size (0: the experiment's), after a warm-up, then infers.
func benchmark(e *experiments.Experiment, batch, images int) (*benchResult, error) {
	a, err := arch.Compile(e)
	if err != nil {
		return nil, err
	}
	tr := e.Train
	if batch == 0 {
		batch = tr.Batch
	}
	// The network and one batch must fit: bench holds no data set.
	if m, err := runner.EstimateMemory(e, a); err != nil {
		return nil, err
	} else if limit, ok := sysmem.Current(); ok {
		if err := m.CheckBatch(batch, limit); err != nil {
			return nil, err
		}
	}
	net, err := nn.Build(a.Input, a.Specs, uint64(tr.Seed))
	if err != nil {
		return nil, err
	}
	classes := net.Output().Size()
	opt, err := arch.Optimizer(tr.Optimizer)
	if err != nil {
		return nil, err
	}
	in := net.Input()
	x := nn.NewTensor(batch, in.H, in.W, in.C)
	r := nn.NewRand(uint64(tr.Seed), nn.StreamAugment)
	for i := range x.Data {
		x.Data[i] = float32(r.Float64()) // like min-max scaled pixels
	}
	labels := make([]int, batch)
	for i := range labels {
		labels[i] = r.IntN(classes)
	}
	d := nn.NewTensor(batch, 1, 1, classes)
	params := net.Params()
	lr := float32(tr.Optimizer.LR)
	res := &benchResult{name: e.Name, input: in, params: net.NumParams(), batch: batch,
		threads: gemm.Threads(), kernel: gemm.Kernel()}
	timed := false
	step := func() error {
		logits, err := net.Forward(x, true)
		if err != nil {
			return err
		}
		start := time.Now()
		if _, _, err := nn.SoftmaxCrossEntropy(logits, labels, float32(tr.LabelSmoothing), d); err != nil {
			return err
		}
		if tr.L2 > 0 {
			nn.L2Penalty(params, tr.L2)
		}
		lossTime := time.Since(start)
		if err := net.Backward(d); err != nil {
			return err
		}
		start = time.Now()
		if tr.L2 > 0 {
			nn.AddL2Grad(params, float32(tr.L2))
		}
		if tr.ClipNorm > 0 {
			nn.ClipGradNorm(params, tr.ClipNorm)
		}
		opt.Step(params, lr)
		if timed {
			res.loss += lossTime
			res.optimizer += time.Since(start)
		}
		return nil
	}
	for range 3 { // grow every buffer, start the threads, warm the caches
		if err := step(); err != nil {
			return nil, err
		}
	}
	steps := max(1, (images+batch-1)/batch)
	res.steps, res.images = steps, steps*batch
	net.SetTiming(true)
	timed = true
	// Collect the warm-up's garbage first: otherwise a collection cycle it
	// sets off can run during the steps, and what the runtime allocates for
	// itself then (its mark workers wait on semaphores, its scavenger sets
	// timers) counts as allocations of the steps.
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	res.trainTime = time.Since(start)
	runtime.ReadMemStats(&after)
	net.SetTiming(false)
	res.allocsPerStep = float64(after.Mallocs-before.Mallocs) / float64(steps)
	res.kinds = kindTimes(net.Timings())

	if _, err := net.Forward(x, false); err != nil { // warm up eval mode
		return nil, err
	}
	start = time.Now()
	for range steps {
		if _, err := net.Forward(x, false); err != nil {
			return nil, err
		}
	}
	res.inferTime = time.Since(start)
	res.peakBytes, res.peakSource = peakMemory()
	return res, nil
}

// kindTimes adds up the layer times by kind, slowest kind first. Layers the
// engine may run fused as one pass count as one kind, "conv+relu+maxpool",
// timed as a whole.
func kindTimes(times []nn.LayerTime) []kindTime {
	group := make([]int, len(times)) // the index of the first layer of each one's fusion, or its own
	first := map[string]int{}        // by layer name, among the layers of one list
	labels := make([]nn.Kind, len(times))
	for i, t := range times {
		group[i], labels[i] = i, t.Kind
		if j, ok := first[t.List+"/"+t.FusedInto]; ok && t.FusedInto != "" {
			group[i] = j
			labels[j] += "+" + t.Kind
		}
		first[t.List+"/"+t.Name] = i
	}
	byKind := map[nn.Kind]*kindTime{}
	var kinds []*kindTime
	for i, t := range times {
		t.Kind = labels[group[i]]
		k := byKind[t.Kind]
		if k == nil {
			k = &kindTime{kind: t.Kind}
			byKind[t.Kind] = k
			kinds = append(kinds, k)
		}
		k.forward += t.Forward
		k.backward += t.Backward
	}
	slices.SortStableFunc(kinds, func(a, b *kindTime) int {
		return cmp.Compare(b.forward+b.backward, a.forward+a.backward)
	})
	out := make([]kindTime, len(kinds))
	for i, k := range kinds {
		out[i] = *k
	}
	return out
}

// peakMemory returns the peak resident memory of the process (VmHWM) where
// /proc has it, else the memory the Go runtime has obtained from the system.
func peakMemory() (uint64, string) {
	if f, err := os.Open("/proc/self/status"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			v, ok := strings.CutPrefix(sc.Text(), "VmHWM:")
			if !ok {
				continue
			}
			fields := strings.Fields(v)
			if len(fields) == 2 && fields[1] == "kB" {
				if kb, err := strconv.ParseUint(fields[0], 10, 64); err == nil {
					return kb * 1024, "peak resident set, VmHWM"
				}
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.Sys, "obtained from the system by the Go runtime"
}

func (r *benchResult) trainRate() float64 { return float64(r.images) / r.trainTime.Seconds() }
func (r *benchResult) inferRate() float64 { return float64(r.images) / r.inferTime.Seconds() }

func (r *benchResult) print(w io.Writer, source string) {
	fmt.Fprintf(w, "%s (%s): input %v, %s parameters, batch %d, %s, gemm kernel %s\n",
		r.name, source, r.input, thousands(int64(r.params)), r.batch, plural(r.threads, "thread"), r.kernel)
	fmt.Fprintf(w, "train images/s  %s  (%d images in %.2f s)\n", thousands(int64(math.Round(r.trainRate()))), r.images, r.trainTime.Seconds())
	fmt.Fprintf(w, "infer images/s  %s\n", thousands(int64(math.Round(r.inferRate()))))
	fmt.Fprintf(w, "peak memory     %.1f MiB (%s)\n", float64(r.peakBytes)/(1<<20), r.peakSource)
	fmt.Fprintf(w, "allocations     %.1f per training step\n", r.allocsPerStep)
	fmt.Fprintln(w, "\ntraining time by layer kind:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%-10s\tforward ms/step\tbackward ms/step\tshare\t\n", "kind")
	perStep := func(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()*1000/float64(r.steps)) }
	share := func(d time.Duration) string { return fmt.Sprintf("%.1f%%", 100*d.Seconds()/r.trainTime.Seconds()) }
	var inLayers time.Duration
	for _, k := range r.kinds {
		fmt.Fprintf(tw, "%-10s\t%s\t%s\t%s\t\n", k.kind, perStep(k.forward), perStep(k.backward), share(k.forward+k.backward))
		inLayers += k.forward + k.backward
	}
	fmt.Fprintf(tw, "%-10s\t%s\t\t%s\t\n", "loss", perStep(r.loss), share(r.loss))
	fmt.Fprintf(tw, "%-10s\t\t%s\t%s\t\n", "optimizer", perStep(r.optimizer), share(r.optimizer))
	if rest := r.trainTime - inLayers - r.loss - r.optimizer; rest > 0 {
		fmt.Fprintf(tw, "%-10s\t\t\t%s\t\n", "other", share(rest))
	}
	tw.Flush()
}

// thousands writes n with commas between groups of three digits: 12,345.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
