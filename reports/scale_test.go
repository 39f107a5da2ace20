package reports

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cnnlab/cnnlab/runner/record"
)

// The scale benchmarks build the site of one sweep of scaleRuns runs, each
// with the records of the seed MNIST network trained for 13 epochs: 1,300
// step rows, histograms of six tensors, an analysis with 30 right and 30
// wrong 28×28 test images and the feature maps of four (26×26×28 and
// 13×13×28), about 330 KB of records a run.
//
//	go test ./reports -run '^$' -bench 'Sweep300|SweepPageLoad300' -benchtime 1x -timeout 30m
const scaleRuns = 300

// writeScaleRun writes the records of run i of the scale sweep.
func writeScaleRun(tb testing.TB, dir string, i int) {
	tb.Helper()
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(os.MkdirAll(dir, 0o755))
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	lr, kernel, seed := i/30, i/3%10, i%3
	q := 0.9 + 0.09*rng.Float64()
	const epochs, rowsPerEpoch, classes = 13, 100, 10
	var eps []record.Epoch
	var steps []record.Step
	var lrs []float64
	for e := 1; e <= epochs; e++ {
		fe := float64(e)
		acc := 1 - (1-q)*math.Pow(0.8, fe)
		loss := 0.5 * (1 - acc) * (1 + 0.1*rng.Float64())
		eps = append(eps, record.Epoch{Epoch: e, Loss: loss, DataLoss: loss, TrainAcc: acc + 0.005, ValLoss: loss * 1.1, ValAcc: acc,
			TestLoss: loss * 1.12, TestAcc: acc - 0.002, LR: 0.002 * math.Cos(fe/epochs*math.Pi/2), Seconds: 9 + rng.Float64(), ImagesPerSec: 6000})
		for s := 1; s <= rowsPerEpoch; s++ {
			rate := 0.002 * math.Cos((fe-1+float64(s)/rowsPerEpoch)/epochs*math.Pi/2)
			l := loss * (1 + 0.3*rng.Float64())
			steps = append(steps, record.Step{Step: (e-1)*rowsPerEpoch*17 + s*17, Epoch: e, Loss: l, DataLoss: l, LR: rate})
			lrs = append(lrs, rate)
		}
	}
	st := record.Status{
		Experiment: "scale", Description: "a sweep of 300 runs", RunID: filepath.Base(dir), State: record.StateDone,
		Swept: []record.KeyValue{{Key: "train.optimizer.adam.lr", Value: fmt.Sprint(0.001 * float64(lr+1))},
			{Key: "model[0].conv.kernel", Value: fmt.Sprint(kernel + 1)}, {Key: "seed", Value: fmt.Sprint(seed + 1)}},
		Seed: int64(seed + 1), Replicate: seed, Epoch: epochs, Epochs: epochs, BestEpoch: epochs, BestValAcc: eps[epochs-1].ValAcc,
		TestAcc: eps[epochs-1].TestAcc, Seconds: 130, Command: "cnnlab run scale.yaml",
	}
	st.Started, _ = time.Parse(time.RFC3339, fixtureTime)
	st.Updated = st.Started.Add(130 * time.Second)
	must(record.WriteJSON(filepath.Join(dir, record.StatusFile), st))
	must(record.WriteJSONLines(filepath.Join(dir, record.EpochsFile), eps))
	must(record.WriteJSONLines(filepath.Join(dir, record.StepsFile), steps))
	must(os.WriteFile(filepath.Join(dir, record.ConfigFile), []byte("name: scale\ntrain:\n  epochs: 13\n"), 0o644))
	must(record.WriteJSON(filepath.Join(dir, record.EnvFile), record.Env{GoVersion: "go1.26", OS: "linux", Arch: "amd64", CPU: "bench", Kernel: "avx512", Threads: 2}))
	must(record.WriteJSON(filepath.Join(dir, record.ArchFile), record.Arch{Input: [3]int{28, 28, 1}, Params: 693_546, FLOPs: 1_000_000,
		Layers: []record.ArchLayer{
			{Name: "conv1", Kind: "conv", Family: "conv", Detail: "28@3×3", Output: [3]int{26, 26, 28}, Params: 280},
			{Name: "pool1", Kind: "maxpool", Family: "pool", Output: [3]int{13, 13, 28}},
			{Name: "flatten", Kind: "flatten", Family: "reshape", Output: [3]int{1, 1, 4732}},
			{Name: "dense1", Kind: "dense", Family: "dense", Output: [3]int{1, 1, 128}, Params: 605_824},
			{Name: "dense2", Kind: "dense", Family: "dense", Output: [3]int{1, 1, 10}, Params: 1290},
		}}))
	var hs record.Histograms
	for _, layer := range []string{"conv1", "dense1", "dense2"} {
		for _, param := range []string{"weights", "bias"} {
			th := record.TensorHistogram{Layer: layer, Param: param}
			for b := 0; b <= 50; b++ {
				th.Edges = append(th.Edges, -0.5+float64(b)/50)
			}
			for e := 0; e <= epochs; e++ {
				th.Epochs = append(th.Epochs, e)
				counts := make([]int, 50)
				for b := range counts {
					counts[b] = int(1000 * math.Exp(-math.Pow(float64(b-25)/(5+float64(e)/3), 2)))
				}
				th.Counts = append(th.Counts, counts)
			}
			hs.Tensors = append(hs.Tensors, th)
		}
	}
	must(record.WriteJSON(filepath.Join(dir, record.HistogramsFile), hs))
	// Smooth shapes with a little noise, as digits and their feature maps
	// are: random bytes would cost PNG encoding far more than real pictures.
	picture := func(h, w, c int) record.Image {
		px := make([]byte, 0, h*w*c)
		fx, fy := 2+rng.Float64()*4, 2+rng.Float64()*4
		for y := range h {
			for x := range w {
				for ch := range c {
					v := 128 + 110*math.Sin(float64(x)/fx+float64(ch))*math.Cos(float64(y)/fy)
					px = append(px, byte(max(0, min(255, v+float64(rng.IntN(12))))))
				}
			}
		}
		return record.Image{H: h, W: w, C: c, Pixels: px}
	}
	a := record.Analysis{Source: "best checkpoint", Epoch: epochs, TestAcc: st.TestAcc, LR: lrs}
	for c := range classes {
		a.Classes = append(a.Classes, fmt.Sprint(c))
		row := make([]int, classes)
		for p := range row {
			row[p] = rng.IntN(5)
		}
		row[c] = 950
		a.Confusion = append(a.Confusion, row)
		a.ClassAcc = append(a.ClassAcc, 0.95)
	}
	probs := func(p int) []float64 {
		ps := make([]float64, classes)
		for k := range ps {
			ps[k] = 0.01
		}
		ps[p] = 0.91
		return ps
	}
	for k := range 30 {
		c := k % classes
		a.Correct = append(a.Correct, record.Example{Index: k, True: c, Pred: c, Prob: 0.91, Probs: probs(c), Image: picture(28, 28, 1)})
		a.Wrong = append(a.Wrong, record.Example{Index: 100 + k, True: c, Pred: (c + 1) % classes, Prob: 0.91, Probs: probs((c + 1) % classes), Image: picture(28, 28, 1)})
	}
	for k := range 4 {
		fm := record.FeatureMaps{Index: 200 + k, True: k, Image: picture(28, 28, 1)}
		for _, l := range []struct {
			name, kind string
			hw         int
		}{{"conv1", "conv", 26}, {"pool1", "maxpool", 13}} {
			maps := picture(l.hw, l.hw, 28)
			lo, hi := make([]float32, 28), make([]float32, 28)
			for c := range hi {
				hi[c] = 1
			}
			fm.Layers = append(fm.Layers, record.LayerMaps{Layer: l.name, Kind: l.kind, H: l.hw, W: l.hw, C: 28, Min: lo, Max: hi, Data: maps.Pixels})
		}
		a.FeatureMaps = append(a.FeatureMaps, fm)
	}
	must(record.WriteJSON(filepath.Join(dir, record.AnalysisFile), a))
}

// scaleSweep writes the scale sweep's records once per test binary.
var scaleSweep struct {
	once sync.Once
	root string
	err  error
	site string // its site, once a benchmark built it
}

func scaleResults(b *testing.B) string {
	b.Helper()
	scaleSweep.once.Do(func() {
		scaleSweep.root, scaleSweep.err = os.MkdirTemp("", "cnnlab-scale-")
		if scaleSweep.err != nil {
			return
		}
		parallel(scaleRuns, func(i int) {
			writeScaleRun(b, filepath.Join(scaleSweep.root, "results", "scale", fmt.Sprintf("r%03d", i)), i)
		})
	})
	if scaleSweep.err != nil {
		b.Fatal(scaleSweep.err)
	}
	return filepath.Join(scaleSweep.root, "results")
}

// BenchmarkBuildSweep300 builds the site of a 300-run sweep from nothing
// (full), again after one run finished an epoch (one-run-changed), and again
// with nothing changed (unchanged). Besides the wall time it reports the
// CPU time the process spent (cpu-s/op): on a machine shared with other work
// the wall time says more about the others.
func BenchmarkBuildSweep300(b *testing.B) {
	results := scaleResults(b)
	out := filepath.Join(scaleSweep.root, "site")
	opts := Options{Results: results, Out: out}
	build := func(b *testing.B) *Summary {
		start := cpuTime()
		sum, err := Build(opts)
		if err != nil {
			b.Fatal(err)
		}
		if sum.Runs != scaleRuns {
			b.Fatalf("%d runs", sum.Runs)
		}
		b.ReportMetric((cpuTime() - start).Seconds(), "cpu-s/op")
		b.ReportMetric(float64(sum.Pages-sum.Kept), "pages-made/op")
		return sum
	}
	b.Run("full", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			os.RemoveAll(out)
			b.StartTimer()
			sum := build(b)
			b.ReportMetric(float64(sum.Files), "files")
		}
		scaleSweep.site = out
	})
	b.Run("one-run-changed", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			appendEpoch(b, filepath.Join(results, "scale", "r017"), record.StateDone)
			b.StartTimer()
			build(b)
		}
	})
	b.Run("unchanged", func(b *testing.B) {
		for b.Loop() {
			build(b)
		}
	})
}

// BenchmarkSweepPageLoad300 opens the sweep page of a 300-run sweep from
// disk in headless Chromium and times it until every chart is drawn.
func BenchmarkSweepPageLoad300(b *testing.B) {
	results := scaleResults(b)
	out := scaleSweep.site
	if out == "" {
		out = filepath.Join(scaleSweep.root, "site")
		if _, err := Build(Options{Results: results, Out: out}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "assets", echartsFile)); err != nil {
		b.Skip("echarts could not be had")
	}
	browser := startBrowser(b)
	for b.Loop() {
		tab, cancel := chromedp.NewContext(browser)
		start := time.Now()
		if err := chromedp.Do(tab, chromedp.Navigate("file://"+filepath.Join(out, "scale", "index.html"))); err != nil {
			b.Fatal(err)
		}
		for {
			drawn, err := chromedp.Run(tab, chromedp.Evaluate[bool](`Array.from(document.querySelectorAll("div.chart")).every(d => d.querySelector("canvas"))`))
			if err != nil {
				b.Fatal(err)
			}
			if drawn {
				break
			}
			if time.Since(start) > time.Minute {
				b.Fatal("charts not drawn after a minute")
			}
			time.Sleep(10 * time.Millisecond)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/load")
		rows, _ := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll("#runs-table tbody tr").length`))
		if rows != scaleRuns {
			b.Errorf("the runs table has %d rows", rows)
		}
		cancel()
	}
}
