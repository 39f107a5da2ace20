package reports

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/cnnlab/cnnlab/runner/record"
)

type banner struct{ Class, Title, Text, Detail string }

type archRow struct {
	Name, Kind, Detail, Output, Params, FLOPs, Class, About string
	Width                                                   int
	Indent                                                  string // CSS padding of a layer nested in a block, "" at the top
}

// archNode is a layer of the diagram: a box, and for a block the lists of
// layers it forks its input into, side by side, before the box that joins
// them.
type archNode struct {
	Row      archRow
	Branches []archBranch
}

// archBranch is one list of a block: its layers, or a plain line for a
// shortcut without layers (the identity).
type archBranch struct {
	Name     string
	Nodes    []archNode
	Identity bool
}

// archTree arranges the rows of arch.json (each block followed by the rows
// of its layers, one level deeper, list by list) as a tree, from row *i on:
// the rows at depth in the list called branch. A block whose rows name no
// shortcut gets an identity one. A row deeper than it should be (a damaged
// record) is taken as it comes, so that every row is drawn once.
func archTree(layers []record.ArchLayer, rows []archRow, i *int, depth int, branch string) []archNode {
	var nodes []archNode
	for *i < len(layers) && (layers[*i].Depth > depth || layers[*i].Depth == depth && layers[*i].Branch == branch) {
		n := archNode{Row: rows[*i]}
		block := layers[*i].Family == "block"
		*i++
		for *i < len(layers) && layers[*i].Depth == depth+1 {
			name := layers[*i].Branch
			n.Branches = append(n.Branches, archBranch{Name: name, Nodes: archTree(layers, rows, i, depth+1, name)})
		}
		if block && !slices.ContainsFunc(n.Branches, func(b archBranch) bool { return b.Name == "shortcut" }) {
			n.Branches = append(n.Branches, archBranch{Name: "shortcut", Identity: true})
		}
		nodes = append(nodes, n)
	}
	return nodes
}

type exampleView struct {
	Src, True, Pred, Prob string
	Index                 int
	Title                 string      // every class's probability, most likely first
	Top                   []classProb // the likeliest classes, and the true class
}

// classProb is one class's probability for a gallery image, drawn as a bar.
type classProb struct {
	Class, Pct string
	Width      int  // bar length in percent
	True       bool // the image's true class
}

// classProbs describes an image's class probabilities: a title listing
// every class, most likely first, and bars for the three likeliest classes
// and the true class when it is not among them.
func classProbs(classes []string, probs []float64, truth int) (title string, top []classProb) {
	if len(probs) == 0 {
		return "", nil
	}
	order := make([]int, len(probs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case probs[a] > probs[b]:
			return -1
		case probs[b] > probs[a]:
			return 1
		}
		return 0
	})
	lines := make([]string, 0, len(order)+1)
	lines = append(lines, "class probabilities:")
	for rank, c := range order {
		p := probs[c]
		lines = append(lines, className(classes, c)+" "+pct(p))
		if rank < 3 || c == truth {
			w := 0
			if isFinite(p) {
				w = int(math.Round(100 * math.Max(0, math.Min(1, p))))
			}
			top = append(top, classProb{Class: className(classes, c), Pct: pct(p), Width: w, True: c == truth})
		}
	}
	return strings.Join(lines, "\n"), top
}

type analysisView struct {
	Source, TestAcc          string
	Correct, Wrong           []exampleView
	CorrectSheet, WrongSheet string // the galleries as PNG figures
	Problems                 []string
	Charts                   []chartView
}

type layerMapView struct {
	Src, Layer, Kind, Shape, Grid string
	Range                         string // what black and white stand for
	Width, Height                 int
}

// filterView is a conv layer's filters as a picture.
type filterView struct {
	Src, Layer, What, Scale string
	Width, Height           int
}

type featureView struct {
	Index     int
	True      string
	Input     string
	InputSize int    // pixels, at the maps' scale
	Sheet     string // the input and every layer's maps as one PNG figure
	Layers    []layerMapView
	Problems  []string
}

type keyValue struct{ Key, Value string }

// The names of a run page's pictures, relative to the page.
func galleryImage(set string, i int) string { return fmt.Sprintf("img/%s-%03d.png", set, i) }
func mapImage(image, layer int) string      { return fmt.Sprintf("img/fm%d-layer%02d.png", image, layer) }
func filterFile(layer int) string           { return fmt.Sprintf("img/filters%02d.png", layer) }

type runLink struct{ Label, Href string }

// layerClass returns the diagram's colour class of a layer: its kind's
// family, as arch.json records it.
func layerClass(l record.ArchLayer) string {
	if l.Family != "" {
		return l.Family
	}
	if f, ok := legacyFamilies[l.Kind]; ok {
		return f
	}
	return "activation"
}

// legacyFamilies are the families of the kinds that existed before arch.json
// recorded them, for the records written then. Newer kinds always come
// with their family.
var legacyFamilies = map[string]string{"conv": "conv", "maxpool": "pool", "avgpool": "pool",
	"batchnorm": "regularise", "dropout": "regularise", "dense": "dense", "flatten": "reshape"}

func (b *builder) run(r *run, prev, next *run) error {
	e := r.Exp
	dir := e.Slug + "/" + r.Slug
	rec := r.Rec
	st := rec.Status
	p := page{Title: e.Name + " / " + r.Label, Root: "../../", Crumbs: []crumb{
		{"Experiments", "../../index.html"}, {e.Name, "../index.html"}, {Text: r.Label}}}
	rc := buildRunCharts(rec)

	data := struct {
		page
		Exp, Label, ID, State  string
		Seed                   int64
		Started, Updated       string
		Prev, Next             *runLink
		Banner                 *banner
		TestAcc, BestVal, Time string
		TestAccWhat            string // which test accuracy the headline is
		Epoch, Epochs          int
		Params                 string
		Swept                  []record.KeyValue
		Arch                   []archRow
		Diagram                []archNode
		Input, FLOPs           string
		Loss                   []chartView
		L2Note                 string
		Acc                    *chartView
		EpochRows              [][]string
		Tricks                 *tricksView
		Hist                   []chartView
		Analysis               *analysisView
		FeatureMaps            []featureView
		Filters                []filterView
		FilterProblems         []string
		Cells                  *cellsView
		Command, Config        string
		Env                    []keyValue
	}{
		Exp: e.Name, Label: r.Label, ID: r.ID, State: string(st.State), Seed: st.Seed,
		Started: stamp(st.Started), Updated: stamp(st.Updated),
		TestAcc: "–", BestVal: "–", Time: duration(st.Seconds),
		Epoch: max(st.Epoch, len(rec.Epochs)), Epochs: st.Epochs, Swept: st.Swept,
		Command: st.Command, Config: string(rec.Config),
	}
	if prev != nil {
		data.Prev = &runLink{prev.Label, "../" + prev.Slug + "/index.html"}
	}
	if next != nil {
		data.Next = &runLink{next.Label, "../" + next.Slug + "/index.html"}
	}
	data.TestAccWhat = "test accuracy"
	if r.HasResult {
		data.TestAcc = pct(r.TestAcc)
		switch {
		case st.BestEpoch > 0:
			data.TestAccWhat = "test accuracy at best val epoch (" + strconv.Itoa(st.BestEpoch) + ")"
		case rec.Analysis != nil && rec.Analysis.Epoch > 0:
			data.TestAccWhat = "test accuracy at epoch " + strconv.Itoa(rec.Analysis.Epoch)
		}
	} else if r.Final != nil && st.State == record.StateRunning {
		data.TestAcc = pct(r.Final.TestAcc) + " so far"
	} else if r.Final != nil {
		data.TestAcc = pct(r.Final.TestAcc) + " at the last epoch"
	}
	if r.BestVal > 0 {
		data.BestVal = pct(r.BestVal)
		if st.BestEpoch > 0 {
			data.BestVal += " (epoch " + strconv.Itoa(st.BestEpoch) + ")"
		}
	}
	data.Banner = runBanner(st, len(rec.Epochs))

	// 1 architecture
	a := rec.Arch
	data.Params = "–"
	if len(a.Layers) > 0 {
		data.Params = thousands(a.Params)
		data.Input, data.FLOPs = shape(a.Input), thousands(a.FLOPs)
		maxSize := float64(a.Input[0] * a.Input[1] * a.Input[2])
		for _, l := range a.Layers {
			maxSize = math.Max(maxSize, float64(l.Output[0]*l.Output[1]*l.Output[2]))
		}
		for _, l := range a.Layers {
			size := float64(l.Output[0] * l.Output[1] * l.Output[2])
			width := 40
			if maxSize > 1 && size >= 1 {
				width = 30 + int(70*math.Log(size)/math.Log(maxSize))
			}
			row := archRow{
				Name: l.Name, Kind: l.Kind, Detail: l.Detail, Output: shape(l.Output),
				Params: thousands(l.Params), FLOPs: thousands(l.FLOPs), Class: layerClass(l), About: l.About, Width: min(max(width, 30), 100),
			}
			if l.Depth > 0 {
				row.Name = l.Branch + "." + l.Name
				row.Indent = strconv.FormatFloat(0.5+1.2*float64(min(l.Depth, 16)), 'f', 1, 64) + "em"
			}
			data.Arch = append(data.Arch, row)
		}
		i := 0
		data.Diagram = archTree(a.Layers, data.Arch, &i, 0, "")
	}

	// 2 learning curve, 3 accuracy
	if !hasL2(rec) && len(rec.Epochs)+len(rec.Steps) > 0 {
		data.L2Note = "The L2 term is zero throughout: this run has no L2 penalty, so its loss is all data loss."
	}
	var loss []*Chart
	for _, c := range []*Chart{rc.LossEpoch, rc.L2Epoch, rc.LossStep, rc.LRStep} {
		if c != nil {
			loss = append(loss, c)
		}
	}
	data.Loss = b.charts(&p, dir, loss)
	data.Tricks = b.tricks(rec, dir)
	if rc.AccEpoch != nil {
		if tv := data.Tricks; tv != nil && tv.LastOnly {
			addNote(rc.AccEpoch, "The last epoch is evaluated with test-time augmentation ("+tv.Used+"), the earlier ones without.")
		}
		data.Acc = &b.charts(&p, dir, []*Chart{rc.AccEpoch})[0]
	}
	f := func(v float64) string { return strconv.FormatFloat(round6(v), 'g', 6, 64) }
	for _, ep := range rec.Epochs {
		data.EpochRows = append(data.EpochRows, []string{strconv.Itoa(ep.Epoch), f(ep.Loss), f(ep.DataLoss), f(ep.L2Loss), pct(ep.TrainAcc),
			f(ep.ValLoss), pct(ep.ValAcc), f(ep.TestLoss), pct(ep.TestAcc), f(ep.LR), f(ep.Seconds), strconv.FormatFloat(ep.ImagesPerSec, 'f', 0, 64)})
	}

	// 4 weights
	data.Hist = b.charts(&p, dir, rc.Histograms)

	// 5 gallery, 6 feature maps
	if an := rec.Analysis; an != nil {
		av := &analysisView{Source: an.Source, TestAcc: pct(an.TestAcc)}
		if av.Source == "" {
			av.Source = "final model"
		}
		for _, set := range []struct {
			name  string
			ex    []record.Example
			out   *[]exampleView
			sheet *string
			what  string
		}{
			{"correct", an.Correct, &av.Correct, &av.CorrectSheet, "the most confidently right test images"},
			{"wrong", byConfidence(an.Wrong), &av.Wrong, &av.WrongSheet, "the most confidently wrong test images"},
		} {
			if len(set.ex) > 0 {
				if png, _, err := gallerySheet(sheetTitle(e.Name, r.Label, set.what), an.Classes, set.ex); err == nil {
					*set.sheet = "img/" + set.name + ".png"
					b.w.file(dir+"/"+*set.sheet, png)
				}
			}
			for i, ex := range set.ex {
				png, err := imagePNG(ex.Image)
				if err != nil {
					av.Problems = append(av.Problems, fmt.Sprintf("%s image %d: %v", set.name, ex.Index, err))
					continue
				}
				src := galleryImage(set.name, i)
				b.w.file(dir+"/"+src, png)
				v := exampleView{Src: src, Index: ex.Index,
					True: className(an.Classes, ex.True), Pred: className(an.Classes, ex.Pred), Prob: pct(ex.Prob)}
				v.Title, v.Top = classProbs(an.Classes, ex.Probs, ex.True)
				*set.out = append(*set.out, v)
			}
		}
		var cs []*Chart
		for _, c := range []*Chart{rc.Confusion, rc.ClassAcc} {
			if c != nil {
				cs = append(cs, c)
			}
		}
		av.Charts = b.charts(&p, dir, cs)
		data.Analysis = av

		for i, fm := range an.FeatureMaps {
			fv := featureView{Index: fm.Index, True: className(an.Classes, fm.True)}
			if png, err := imagePNG(fm.Image); err == nil {
				fv.Input = fmt.Sprintf("img/fm%d-input.png", i)
				b.w.file(dir+"/"+fv.Input, png)
			} else {
				fv.Problems = append(fv.Problems, "input image: "+err.Error())
			}
			// One size for a map's pixel throughout, the input's included,
			// so that a 13×13 map looks half as big as a 26×26 one.
			scale := mapScale(fm)
			fv.InputSize = max(fm.Image.W, 1) * scale
			for j, lm := range fm.Layers {
				png, cols, rows, err := featureGrid(lm)
				if err != nil {
					fv.Problems = append(fv.Problems, err.Error())
					continue
				}
				src := mapImage(i, j)
				b.w.file(dir+"/"+src, png)
				w, h := cols*(lm.W+1)-1, rows*(lm.H+1)-1
				v := layerMapView{
					Src: src, Layer: lm.Layer, Kind: mapKind(lm), Shape: fmt.Sprintf("%d×%d×%d", lm.H, lm.W, lm.C),
					Grid: fmt.Sprintf("%d maps in %d×%d", lm.C, cols, rows), Width: w * scale, Height: h * scale,
				}
				if lo, hi, ok := layerRange(lm); ok {
					v.Range = fmt.Sprintf("black %s, white %s", strconv.FormatFloat(round3(lo), 'g', -1, 64), strconv.FormatFloat(round3(hi), 'g', -1, 64))
				}
				fv.Layers = append(fv.Layers, v)
			}
			if len(fv.Problems) == 0 {
				if png, err := featureSheet(fm, an.Classes); err == nil {
					fv.Sheet = fmt.Sprintf("img/fm%d.png", i)
					b.w.file(dir+"/"+fv.Sheet, png)
				}
			}
			data.FeatureMaps = append(data.FeatureMaps, fv)
		}
		for i, f := range an.Filters {
			img, scale, err := filterImage(f)
			if err != nil {
				data.FilterProblems = append(data.FilterProblems, err.Error())
				continue
			}
			png, err := encodePNG(img)
			if err != nil {
				return err
			}
			src := filterFile(i)
			b.w.file(dir+"/"+src, png)
			w, h := filterSize(img.Bounds().Dx(), img.Bounds().Dy())
			v := filterView{Src: src, Layer: f.Layer, Width: w, Height: h,
				What:  fmt.Sprintf("%d filters of %d×%d over %s", f.F, f.KH, f.KW, plural(f.C, "input channel")),
				Scale: strconv.FormatFloat(round3(scale), 'g', -1, 64)}
			if f.F < f.OutF || f.C < f.InC {
				v.What += fmt.Sprintf(" (the first of %d filters over %d channels)", f.OutF, f.InC)
			}
			data.Filters = append(data.Filters, v)
		}
		data.Cells = b.cellImages(dir, an)
	}

	// 7 environment
	env := rec.Env
	for _, kv := range []keyValue{
		{"Go", env.GoVersion}, {"OS / arch", joinNonEmpty(env.OS, env.Arch, "/")}, {"CPU", env.CPU},
		{"matrix kernel", env.Kernel}, {"threads", intOrEmpty(env.Threads)}, {"cnnlab version", env.Version}, {"commit", env.Commit},
		{"Slurm job", st.SlurmJob},
	} {
		if kv.Value != "" {
			data.Env = append(data.Env, kv)
		}
	}
	data.page = p
	return b.render(dir+"/index.html", "run.html", data)
}

func runBanner(st record.Status, epochs int) *banner {
	done := max(st.Epoch, epochs)
	switch st.State {
	case record.StateRunning:
		return &banner{"running", "In progress:", fmt.Sprintf("%d of %d epochs done. This page shows the records as they were when the site was built; build it again to see more.", done, st.Epochs), ""}
	case record.StateFailed:
		return &banner{"failed", "Failed:", fmt.Sprintf("after %d of %d epochs. The records written before the failure are shown below.", done, st.Epochs), st.Error}
	case record.StateDiverged:
		return &banner{"diverged", "Diverged:", fmt.Sprintf("the loss became NaN or infinite after %d of %d epochs.", done, st.Epochs), st.Error}
	case record.StateAbandoned:
		return &banner{"stopped", "Abandoned:", fmt.Sprintf("after %d of %d epochs the process training this run ended without recording why (killed, out of memory, the machine went down). Running the sweep again resumes it from its last checkpoint.", done, st.Epochs), ""}
	case record.StatePruned:
		return &banner{"stopped", "Pruned:", fmt.Sprintf("the search stopped it at its rung, after %d of %d epochs: %s", done, st.Epochs, st.StopReason), ""}
	case record.StatePaused:
		return &banner{"stopped", "Paused:", fmt.Sprintf("after %d of %d epochs, at a rung of its search; the search decides whether it goes on.", done, st.Epochs), ""}
	case record.StateStopped:
		reason := st.StopReason
		if reason == "" {
			reason = "interrupted; it resumes the next time the sweep runs."
		}
		return &banner{"stopped", "Stopped:", fmt.Sprintf("after %d of %d epochs: %s", done, st.Epochs, reason), ""}
	case record.StateDone:
		if st.StopReason != "" {
			return &banner{"stopped", "Stopped early:", st.StopReason, ""}
		}
		return nil
	}
	return &banner{"stopped", "State " + string(st.State) + ":", fmt.Sprintf("%d of %d epochs done.", done, st.Epochs), st.Error}
}

func joinNonEmpty(a, b, sep string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + sep + b
}

func intOrEmpty(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// mapScale is the number of screen pixels per pixel of every map of one
// test image: the input shown about 84 pixels wide, at most 8 and at
// least 1.
func mapScale(fm record.FeatureMaps) int {
	return max(1, min(8, 84/max(fm.Image.W, fm.Image.H, 1)))
}

// mapKind names what a layer's maps show: "conv + relu" when a conv
// layer's maps are taken after the activation right behind it.
func mapKind(lm record.LayerMaps) string {
	if lm.Activation != "" {
		return lm.Kind + " + " + lm.Activation
	}
	return lm.Kind
}

// round3 rounds to three significant digits.
func round3(v float64) float64 {
	if v == 0 || !isFinite(v) {
		return v
	}
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 3, 64), 64)
	return f
}

// cellsView is what a click on a cell of the confusion matrix shows: for
// each cell with recorded test images, a strip of them.
type cellsView struct {
	Chart string                // the confusion chart's element id
	Cells map[string]cellImages // "true,pred" (class numbers) → images
}

type cellImages struct {
	True  string      `json:"true"`
	Pred  string      `json:"pred"`
	Count int         `json:"count"` // test images in the cell
	Src   string      `json:"src"`   // the strip of images
	Width int         `json:"width"` // the strip's width in pixels, shown enlarged
	Items []cellImage `json:"items"`
}

type cellImage struct {
	Index int    `json:"index"`
	Prob  string `json:"prob"`
}

// cellImages writes, for every cell of the confusion matrix with recorded
// test images, a strip of them, and returns what the page needs to show
// them. Records that kept no images per cell fall back on the gallery's.
func (b *builder) cellImages(dir string, an *record.Analysis) *cellsView {
	cells := an.Cells
	if len(cells) == 0 {
		at := map[[2]int]int{}
		for _, ex := range append(append([]record.Example(nil), an.Correct...), an.Wrong...) {
			k := [2]int{ex.True, ex.Pred}
			i, ok := at[k]
			if !ok {
				i = len(cells)
				at[k] = i
				cells = append(cells, record.ConfusionCell{True: ex.True, Pred: ex.Pred})
			}
			cells[i].Examples = append(cells[i].Examples, ex)
		}
	}
	n := len(an.Confusion)
	v := &cellsView{Chart: "chart-confusion", Cells: map[string]cellImages{}}
	for _, c := range cells {
		if c.True < 0 || c.True >= n || c.Pred < 0 || c.Pred >= len(an.Confusion[c.True]) || len(c.Examples) == 0 {
			continue
		}
		ims := make([]record.Image, len(c.Examples))
		for i, ex := range c.Examples {
			ims[i] = ex.Image
		}
		img, err := stripImage(ims)
		if err != nil {
			continue
		}
		png, err := encodePNG(img)
		if err != nil {
			continue
		}
		src := fmt.Sprintf("img/cell-%d-%d.png", c.True, c.Pred)
		b.w.file(dir+"/"+src, png)
		ci := cellImages{True: className(an.Classes, c.True), Pred: className(an.Classes, c.Pred),
			Count: an.Confusion[c.True][c.Pred], Src: src, Width: img.Bounds().Dx()}
		for _, ex := range c.Examples {
			ci.Items = append(ci.Items, cellImage{Index: ex.Index, Prob: pct(ex.Prob)})
		}
		v.Cells[strconv.Itoa(c.True)+","+strconv.Itoa(c.Pred)] = ci
	}
	if len(v.Cells) == 0 {
		return nil
	}
	return v
}

// byConfidence returns the examples most confident first: older records
// listed the wrong ones class by class.
func byConfidence(ex []record.Example) []record.Example {
	return slices.SortedStableFunc(slices.Values(ex), func(a, b record.Example) int { return cmp.Compare(b.Prob, a.Prob) })
}
