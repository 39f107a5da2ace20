package reports

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// A sweep's compare page puts the runs a reader ticks in the runs table
// side by side: what differs in their configs, their figures (parameters,
// FLOPs, time, accuracy), their learning curves overlaid, each layer's
// output size, their wrongly classified images, filters and feature maps.
// The page holds every run's data; its script shows the chosen ones, named
// in the address after "#" (run folder names, comma-separated).

// compareFile is the compare page of a sweep, beside its index.
const compareFile = "compare.html"

// compareRun is what the compare page knows of one run.
type compareRun struct {
	Slug    string            `json:"slug"`
	Label   string            `json:"label"`
	Href    string            `json:"href"`
	State   string            `json:"state"`
	Facts   map[string]string `json:"facts"`  // figure name → text
	Config  [][2]string       `json:"config"` // resolved config as key path, value, in document order
	Epochs  []float64         `json:"epochs"`
	ValAcc  []float64         `json:"val_acc"`
	Train   []float64         `json:"train_acc"`
	Loss    []float64         `json:"loss"` // training data loss
	ValLoss []float64         `json:"val_loss"`
	Layers  [][2]string       `json:"layers"`  // layer name, output H×W×C
	Wrong   []string          `json:"wrong"`   // gallery images, relative to the sweep's folder
	Filters []compareMap      `json:"filters"` // filter pictures
	Maps    []compareMap      `json:"maps"`    // the first test image's feature maps
}

type compareMap struct {
	Src    string `json:"src"`
	Layer  string `json:"layer"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
}

// compareFacts are the figures the compare page lists, in order.
var compareFacts = []string{"state", "parameters", "FLOPs per image", "training time", "epochs", "best val accuracy", "test accuracy at best val epoch"}

// compareImages is how many wrongly classified images of each run the
// compare page shows.
const compareImages = 8

// compareData gathers a run's side of the compare page from its records.
// Its pictures are those the run's page writes, named as it names them
// (and left out when the page cannot draw them), so that the compare page
// needs nothing from the run page's build.
func compareData(r *run) *compareRun {
	rec := r.Rec
	st := rec.Status
	c := &compareRun{Slug: r.Slug, Label: r.Label, Href: r.Slug + "/index.html", State: string(st.State), Facts: map[string]string{
		"state": string(st.State), "training time": duration(st.Seconds),
		"epochs":            strconv.Itoa(max(st.Epoch, len(rec.Epochs))) + " / " + strconv.Itoa(st.Epochs),
		"best val accuracy": pctMetric(r.BestVal, r.BestVal > 0).Text, "test accuracy at best val epoch": pctMetric(r.TestAcc, r.HasResult).Text,
		"parameters": "–", "FLOPs per image": "–",
	}}
	if len(rec.Arch.Layers) > 0 {
		c.Facts["parameters"], c.Facts["FLOPs per image"] = thousands(rec.Arch.Params), thousands(rec.Arch.FLOPs)
		c.Layers = append(c.Layers, [2]string{"input", shape(rec.Arch.Input)})
		for _, l := range rec.Arch.Layers {
			name := l.Name
			if l.Depth > 0 {
				name = l.Branch + "." + l.Name
			}
			c.Layers = append(c.Layers, [2]string{name, shape(l.Output)})
		}
	}
	c.Config = flattenYAML(rec.Config)
	if an := rec.Analysis; an != nil {
		for i, ex := range byConfidence(an.Wrong) {
			if _, err := pictureImage(ex.Image); err == nil && len(c.Wrong) < compareImages {
				c.Wrong = append(c.Wrong, r.Slug+"/"+galleryImage("wrong", i))
			}
		}
		for i, f := range an.Filters {
			if cols, rows, err := filterGrid(f); err == nil {
				w, h := filterSize(cols*(f.KW+1)-1, rows*(f.KH+1)-1)
				c.Filters = append(c.Filters, compareMap{Src: r.Slug + "/" + filterFile(i), Layer: f.Layer, Width: w, Height: h})
			}
		}
		if len(an.FeatureMaps) > 0 {
			fm := an.FeatureMaps[0]
			scale := mapScale(fm)
			for j, lm := range fm.Layers {
				if cols, rows, err := mapGrid(lm); err == nil {
					c.Maps = append(c.Maps, compareMap{Src: r.Slug + "/" + mapImage(0, j), Layer: lm.Layer + " · " + mapKind(lm),
						Width: (cols*(lm.W+1) - 1) * scale, Height: (rows*(lm.H+1) - 1) * scale})
				}
			}
		}
	}
	// A run without validation images has no validation curves: empty
	// lists, which the page draws as no line.
	val := hasValidation(rec.Epochs)
	c.ValAcc, c.ValLoss = []float64{}, []float64{}
	for _, ep := range rec.Epochs {
		c.Epochs = append(c.Epochs, float64(ep.Epoch))
		c.Train = append(c.Train, jsonNum(100*ep.TrainAcc))
		c.Loss = append(c.Loss, jsonNum(ep.DataLoss))
		if val {
			c.ValAcc = append(c.ValAcc, jsonNum(100*ep.ValAcc))
			c.ValLoss = append(c.ValLoss, jsonNum(ep.ValLoss))
		}
	}
	return c
}

// jsonNum rounds v for a page; a value that is not a finite number, which
// JSON cannot hold, becomes 0.
func jsonNum(v float64) float64 {
	if !isFinite(v) {
		return 0
	}
	return round6(v)
}

// flattenYAML lists a YAML document's scalars as (key path, value) in
// document order: "model[0].conv.kernel", "3". A document that does not
// parse lists nothing.
func flattenYAML(doc []byte) [][2]string {
	var root yaml.Node
	if err := yaml.Unmarshal(doc, &root); err != nil {
		return nil
	}
	var out [][2]string
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i].Value
				if path != "" {
					k = path + "." + k
				}
				walk(n.Content[i+1], k)
			}
		case yaml.SequenceNode:
			if len(n.Content) == 0 {
				out = append(out, [2]string{path, "[]"})
			}
			for i, c := range n.Content {
				walk(c, path+"["+strconv.Itoa(i)+"]")
			}
		case yaml.AliasNode:
			if n.Alias != nil {
				walk(n.Alias, path)
			}
		default:
			out = append(out, [2]string{path, strings.TrimSpace(n.Value)})
		}
	}
	walk(&root, "")
	return out
}

// compare writes a sweep's compare page.
func (b *builder) compare(e *experiment) error {
	p := page{Title: e.Name + " / compare", Root: "../", Crumbs: []crumb{{"Experiments", "../index.html"}, {e.Name, "index.html"}, {Text: "compare"}}}
	data := struct {
		page
		Name  string
		Facts []string
		Runs  []*compareRun
	}{page: p, Name: e.Name, Facts: compareFacts}
	host := b.cdn
	if host == "" {
		host = p.Root + "assets/"
	}
	data.Scripts = []string{host + echartsFile}
	for _, r := range e.Runs {
		data.Runs = append(data.Runs, compareData(r))
	}
	return b.render(e.Slug+"/"+compareFile, "compare.html", data)
}
