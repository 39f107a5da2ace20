package reports

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cnnlab/cnnlab/runner/record"
)

// Names that try to break out of HTML, JavaScript and paths.
const (
	evilExpDir  = `<img src=x onerror=alert(1)>`
	evilName    = `<script>alert(1)</script>`
	evilRunDir  = `..evil run`
	evilClass   = `<b>cat</b>`
	evilValue   = `</script><script>alert(2)</script>`
	evilLayer   = `"><svg onload=alert(3)>`
	fixtureTime = "2025-03-01T10:00:00Z"
)

// fixtureRun describes one synthetic run.
type fixtureRun struct {
	dir       string
	state     record.State
	swept     []record.KeyValue
	replicate int
	epochs    int // epochs recorded
	planned   int
	quality   float64 // 0..1: how well it learns
	l2        float64
	analysis  bool
	classes   []string
	layer     string // name of the conv layer
	slurmJob  string // the Slurm array task that trained it, if any
}

// writeFixture writes small synthetic run records under root: a two-key
// sweep with seeds (one run failed, one in progress), an L2 sweep with
// weight histograms, a three-key sweep, a sweep over named values with
// seeds, and an experiment whose names try to inject markup.
func writeFixture(t testing.TB, root string) {
	t.Helper()
	kv := func(pairs ...string) []record.KeyValue {
		var out []record.KeyValue
		for i := 0; i+1 < len(pairs); i += 2 {
			out = append(out, record.KeyValue{Key: pairs[i], Value: pairs[i+1]})
		}
		return out
	}
	digits := []string{"0", "1", "2"}
	var grid []fixtureRun
	n := 0
	for _, k := range []string{"3", "5"} {
		for _, s := range []string{"1", "2"} {
			for rep := 0; rep < 2; rep++ {
				n++
				fr := fixtureRun{
					dir: fmt.Sprintf("run-%02d", n), state: record.StateDone,
					swept:     kv("model[0].conv.kernel", k, "model[0].conv.stride", s, "seed", fmt.Sprint(1+rep)),
					replicate: rep, epochs: 4, planned: 4,
					quality:  0.5 + 0.1*float64(n%4) + 0.02*float64(rep),
					analysis: true, classes: digits, layer: "conv1",
				}
				if n == 2 {
					fr.slurmJob = "4242_1"
				}
				if n == 3 {
					fr.state, fr.epochs, fr.analysis = record.StateFailed, 2, false
				}
				if n == 8 {
					fr.state, fr.epochs, fr.analysis = record.StateRunning, 1, false
				}
				grid = append(grid, fr)
			}
		}
	}
	writeExperiment(t, root, "grid", "mnist-stride-filter", "kernel and stride of the first conv layer", grid)

	var l2 []fixtureRun
	for i, v := range []string{"0", "0.001", "0.01"} {
		f, _ := parseFloat(v)
		l2 = append(l2, fixtureRun{dir: fmt.Sprintf("l2-%d", i), state: record.StateDone, swept: kv("train.l2", v),
			epochs: 3, planned: 3, quality: 0.8 - 5*f, l2: f, analysis: true, classes: digits, layer: "conv1"})
	}
	writeExperiment(t, root, "l2", "mnist-l2", "effect of the L2 penalty", l2)

	var three []fixtureRun
	i := 0
	for _, k := range []string{"3", "5"} {
		for _, s := range []string{"1", "2"} {
			for _, lr := range []string{"0.001", "0.01"} {
				i++
				if i%3 == 0 {
					continue // not a full grid
				}
				three = append(three, fixtureRun{dir: fmt.Sprintf("t%d", i), state: record.StateDone,
					swept:  kv("model[0].conv.kernel", k, "model[0].conv.stride", s, "train.optimizer.adam.lr", lr),
					epochs: 2, planned: 2, quality: 0.4 + 0.05*float64(i), classes: digits, layer: "conv1"})
			}
		}
	}
	writeExperiment(t, root, "three", "three-keys", "", three)

	var prep []fixtureRun
	for i, v := range []string{"minmax", "standardize", "none"} {
		for rep := range 2 {
			prep = append(prep, fixtureRun{dir: fmt.Sprintf("p%d-%d", i, rep), state: record.StateDone,
				swept: kv("data.preprocess", v, "seed", fmt.Sprint(1+rep)), replicate: rep,
				epochs: 2, planned: 2, quality: 0.6 + 0.05*float64(i) + 0.02*float64(rep), classes: digits, layer: "conv1"})
		}
	}
	writeExperiment(t, root, "prep", "preprocess", "named values with seeds", prep)

	evil := []fixtureRun{
		{dir: evilRunDir, state: record.StateDone, swept: kv("train.activation", evilValue), epochs: 2, planned: 2,
			quality: 0.7, analysis: true, classes: []string{evilClass, "dog", evilName}, layer: evilLayer},
		{dir: "plain", state: record.StateDiverged, swept: kv("train.activation", "relu"), epochs: 1, planned: 2,
			quality: 0.1, classes: []string{evilClass, "dog", evilName}, layer: evilLayer},
	}
	writeExperiment(t, root, evilExpDir, evilName, evilName+` & "quotes"`, evil)
}

func parseFloat(s string) (float64, error) {
	var f float64
	_, err := fmt.Sscanf(s, "%g", &f)
	return f, err
}

func writeExperiment(t testing.TB, root, dir, name, desc string, runs []fixtureRun) {
	t.Helper()
	for i, fr := range runs {
		writeRun(t, filepath.Join(root, dir, fr.dir), name, desc, int64(100+i), fr)
	}
}

// img makes an h×w×c picture with a simple deterministic pattern.
func img(h, w, c, seed int) record.Image {
	px := make([]byte, h*w*c)
	for i := range px {
		px[i] = byte((i*37 + seed*53) % 256)
	}
	return record.Image{H: h, W: w, C: c, Pixels: px}
}

func writeRun(t testing.TB, dir, name, desc string, seed int64, fr fixtureRun) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(dir, 0o755))
	start, _ := time.Parse(time.RFC3339, fixtureTime)
	q := fr.quality
	var epochs []record.Epoch
	var steps []record.Step
	for e := 1; e <= fr.epochs; e++ {
		fe := float64(e)
		acc := 1 - (1-q)*math.Pow(0.7, fe)
		l2 := fr.l2 * (10 - fe)
		data := 2.3 * math.Pow(1-q, 0.5) / fe
		epochs = append(epochs, record.Epoch{
			Epoch: e, Loss: data + l2, DataLoss: data, L2Loss: l2, TrainAcc: acc + 0.01, ValLoss: data * 1.1, ValAcc: acc,
			TestLoss: data * 1.12, TestAcc: acc - 0.005, LR: 0.001, Seconds: 10 + fe, ImagesPerSec: 5000,
		})
		for s := 1; s <= 3; s++ {
			step := (e-1)*3 + s
			steps = append(steps, record.Step{Step: step, Epoch: e, Loss: data*1.2/float64(s) + l2, DataLoss: data * 1.2 / float64(s), L2Loss: l2, LR: 0.001})
		}
	}
	st := record.Status{
		Experiment: name, Description: desc, RunID: filepath.Base(dir), State: fr.state, Swept: fr.swept,
		Seed: seed, Replicate: fr.replicate, Epoch: fr.epochs, Epochs: fr.planned,
		Started: start, Updated: start.Add(time.Duration(fr.epochs) * time.Minute), Seconds: 11.5 * float64(fr.epochs),
		Command:  "cnnlab run experiments/" + name + ".yaml --run " + filepath.Base(dir),
		SlurmJob: fr.slurmJob,
	}
	if fr.epochs > 0 {
		best := epochs[len(epochs)-1]
		st.BestEpoch, st.BestValAcc = best.Epoch, best.ValAcc
		if fr.state == record.StateDone {
			st.TestAcc = best.TestAcc
		}
	}
	switch fr.state {
	case record.StateFailed:
		st.Error = "conv1: out of memory <allocating 1 GiB>"
	case record.StateDiverged:
		st.Error = "loss is NaN at step 4"
	}
	must(record.WriteJSON(filepath.Join(dir, record.StatusFile), st))
	must(record.WriteJSONLines(filepath.Join(dir, record.EpochsFile), epochs))
	must(record.WriteJSONLines(filepath.Join(dir, record.StepsFile), steps))
	if fr.state == record.StateRunning && fr.epochs < 2 {
		return // only status, epochs and steps exist yet
	}
	must(os.WriteFile(filepath.Join(dir, record.ConfigFile), []byte("name: "+name+"\ntrain:\n  epochs: 4\n  l2: "+fmt.Sprint(fr.l2)+"\n"), 0o644))
	must(record.WriteJSON(filepath.Join(dir, record.EnvFile), record.Env{GoVersion: "go1.26.8", OS: "linux", Arch: "amd64", CPU: "Test CPU <2 cores>", Kernel: "avx512", Threads: 2, Version: "v0.0.0-test"}))
	must(record.WriteJSON(filepath.Join(dir, record.ArchFile), record.Arch{
		Input: [3]int{6, 6, 1},
		Layers: []record.ArchLayer{
			{Name: fr.layer, Kind: "conv", Detail: "3@3×3 stride 1 valid", Output: [3]int{4, 4, 3}, Params: 30, FLOPs: 864},
			{Name: "relu1", Kind: "relu", Output: [3]int{4, 4, 3}},
			{Name: "pool1", Kind: "maxpool", Detail: "2×2", Output: [3]int{2, 2, 3}},
			{Name: "flatten", Kind: "flatten", Output: [3]int{1, 1, 12}},
			{Name: "dense1", Kind: "dense", Detail: "3 units", Output: [3]int{1, 1, 3}, Params: 39, FLOPs: 72},
		},
		Params: 69, FLOPs: 936,
	}))
	var hs record.Histograms
	for _, tp := range []struct{ layer, param string }{{fr.layer, "weights"}, {fr.layer, "bias"}, {"dense1", "weights"}, {"dense1", "bias"}} {
		width := 0.5 / (1 + 50*fr.l2)
		th := record.TensorHistogram{Layer: tp.layer, Param: tp.param}
		for b := 0; b <= 6; b++ {
			th.Edges = append(th.Edges, -width+float64(b)*width/3)
		}
		for e := 1; e <= fr.epochs; e++ {
			th.Epochs = append(th.Epochs, e)
			th.Counts = append(th.Counts, []int{1, 2 + e, 6, 6, 2 + e, 1})
		}
		if tp.layer == "dense1" {
			// As runs record them now: each epoch's bins span its values.
			for e := 1; e <= fr.epochs; e++ {
				w := width * float64(e) / 2
				th.EdgesAt = append(th.EdgesAt, []float64{-w, -w / 2, -w / 4, 0, w / 4, w / 2, w})
			}
			th.Edges = nil
		}
		hs.Tensors = append(hs.Tensors, th)
	}
	must(record.WriteJSON(filepath.Join(dir, record.HistogramsFile), hs))
	if !fr.analysis {
		return
	}
	nc := len(fr.classes)
	a := record.Analysis{Source: "best checkpoint (epoch 2, val acc 0.9)", Epoch: 2, Classes: fr.classes, TestAcc: st.TestAcc}
	for tr := 0; tr < nc; tr++ {
		row := make([]int, nc)
		for p := range row {
			if p == tr {
				row[p] = 20 + int(10*q) + tr
			} else {
				row[p] = (tr + 2*p) % 4
			}
		}
		a.Confusion = append(a.Confusion, row)
		a.ClassAcc = append(a.ClassAcc, q-0.05*float64(tr))
	}
	// probs gives pred the probability p, the true class 0.15 when it
	// differs, and the rest to the other classes.
	probs := func(truth, pred int, p float64) []float64 {
		ps := make([]float64, nc)
		rest := 1 - p
		if truth != pred {
			ps[truth], rest = 0.15, rest-0.15
		}
		ps[pred] = p
		for c := range ps {
			if c != truth && c != pred {
				ps[c] = rest / float64(nc-2)
			}
		}
		return ps
	}
	for i := 0; i < 3; i++ {
		c, w := i%nc, (i+1)%nc
		a.Correct = append(a.Correct, record.Example{Index: i, True: c, Pred: c, Prob: 0.99 - 0.01*float64(i), Probs: probs(c, c, 0.99-0.01*float64(i)), Image: img(6, 6, 1, i)})
		a.Wrong = append(a.Wrong, record.Example{Index: 10 + i, True: c, Pred: w, Prob: 0.8, Probs: probs(c, w, 0.8), Image: img(6, 6, 1, 10+i)})
	}
	// Each non-empty cell of the confusion matrix keeps up to two images.
	for tr, row := range a.Confusion {
		for p, k := range row {
			cell := record.ConfusionCell{True: tr, Pred: p}
			for j := range min(k, 2) {
				pr := 0.9 - 0.1*float64(j)
				cell.Examples = append(cell.Examples, record.Example{Index: 100*tr + 10*p + j, True: tr, Pred: p, Prob: pr, Probs: probs(tr, p, pr), Image: img(6, 6, 1, 60+tr+p+j)})
			}
			if k > 0 {
				a.Cells = append(a.Cells, cell)
			}
		}
	}
	a.Filters = []record.LayerFilters{{Layer: fr.layer, KH: 3, KW: 3, C: 1, F: 3, InC: 1, OutF: 3,
		Weights: []float32{0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8, 0.9, 0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8, 0.9, 0.1, -0.2, 0.3, -0.4, 0.5, -0.6, 0.7, -0.8, 0.9}}}
	for i := 0; i < 2; i++ {
		fm := record.FeatureMaps{Index: 40 + i, True: i, Image: img(6, 6, 1, 40+i)}
		fm.Layers = append(fm.Layers,
			record.LayerMaps{Layer: fr.layer, Kind: "conv", H: 4, W: 4, C: 3, Min: []float32{0, 0, 0}, Max: []float32{1, 1, 1}, Data: img(4, 4, 3, i).Pixels},
			record.LayerMaps{Layer: "pool1", Kind: "maxpool", H: 2, W: 2, C: 3, Min: []float32{0, 0, 0}, Max: []float32{1, 1, 1}, Data: img(2, 2, 3, i).Pixels},
		)
		a.FeatureMaps = append(a.FeatureMaps, fm)
	}
	must(record.WriteJSON(filepath.Join(dir, record.AnalysisFile), a))
}
