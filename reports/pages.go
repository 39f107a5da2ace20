package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cnnlab/cnnlab/runner/record"
)

// metric is a number as a table shows it and as it sorts.
type metric struct{ Text, Sort string }

func pctMetric(v float64, ok bool) metric {
	if !ok || !isFinite(v) {
		return metric{"–", ""}
	}
	return metric{pct(v), strconv.FormatFloat(round6(v), 'g', -1, 64)}
}

// pct formats a fraction as a percentage with two decimals.
func pct(v float64) string {
	if !isFinite(v) {
		return "–"
	}
	return strconv.FormatFloat(100*v, 'f', 2, 64) + "%"
}

// duration formats seconds as "42s", "3m 20s" or "1h 02m".
func duration(s float64) string {
	if !isFinite(s) || s <= 0 {
		return "–"
	}
	d := time.Duration(s * float64(time.Second)).Round(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	switch {
	case h > 0:
		return fmt.Sprintf("%dh %02dm", h, m)
	case m > 0:
		return fmt.Sprintf("%dm %02ds", m, sec)
	}
	return fmt.Sprintf("%ds", sec)
}

// thousands formats an integer with thin spaces between thousands.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func shape(s [3]int) string { return fmt.Sprintf("%d×%d×%d", s[0], s[1], s[2]) }

// ---- index ----

type indexExp struct {
	Name, Description, Href string
	Runs                    int
	Counts                  []stateCount
	BestTest, BestTestSort  string
	BestVal, BestValSort    string
	BestHref, BestLabel     string
	Keys                    []string
}

type runningRun struct {
	Exp, Label, Href string
	Epoch, Epochs    int
}

func (b *builder) index(exps []*experiment) error {
	data := struct {
		page
		Exps     []indexExp
		RunCount int
		Running  []runningRun
		Results  string
	}{page: page{Title: "Experiments", Crumbs: []crumb{{Text: "Experiments"}}}, Results: b.results}
	for _, e := range exps {
		ie := indexExp{Name: e.Name, Description: e.Description, Href: e.Slug + "/index.html", Runs: len(e.Runs), Counts: e.Counts, Keys: e.Keys}
		for _, r := range e.Runs {
			if r.State() == record.StateRunning {
				data.Running = append(data.Running, runningRun{e.Name, r.Label, e.Slug + "/" + r.Slug + "/index.html", r.Rec.Status.Epoch, r.Rec.Status.Epochs})
			}
		}
		ie.BestTest, ie.BestVal = "–", "–"
		if e.Best != nil {
			m := pctMetric(e.Best.TestAcc, true)
			ie.BestTest, ie.BestTestSort = m.Text, m.Sort
			m = pctMetric(e.Best.BestVal, e.Best.BestVal > 0)
			ie.BestVal, ie.BestValSort = m.Text, m.Sort
			ie.BestHref, ie.BestLabel = e.Slug+"/"+e.Best.Slug+"/index.html", e.Best.Label
		}
		data.Exps = append(data.Exps, ie)
		data.RunCount += len(e.Runs)
	}
	return b.render("index.html", "index.html", data)
}

// ---- sweep ----

type sweepRow struct {
	ID, Slug, Href, State, Time     string
	Params, FLOPs                   metric
	Values                          []string
	Replicate, Epoch, Epochs        int
	Seed                            int64
	Seconds                         string
	FinalTrain, FinalVal, FinalTest metric
	BestVal, TestAcc                metric
	Best                            bool
}

type bestView struct{ TestAcc, BestVal, Label, Href string }

func (b *builder) sweep(e *experiment) error {
	p := page{Title: e.Name, Root: "../", Crumbs: []crumb{{"Experiments", "../index.html"}, {Text: e.Name}}}
	sc := buildSweepCharts(e)
	data := struct {
		page
		Name, Description string
		Counts            []stateCount
		Keys, KeyNames    []string
		Seeds             int
		Best              *bestView
		SeedsSummary      string
		Rows              []sweepRow
		Curves, ByKey     []chartView
		Grid, Parallel    *chartView
		Points            *chartView
		Weights           []chartView
		Search            *searchView
		Tricks            *sweepTricksView
	}{Name: e.Name, Description: e.Description, Counts: e.Counts, Keys: e.Keys, Seeds: e.Seeds, SeedsSummary: e.seedsSummary()}
	for _, k := range e.Keys {
		data.KeyNames = append(data.KeyNames, e.KeyNames[k])
	}
	if e.Best != nil {
		data.Best = &bestView{pct(e.Best.TestAcc), pct(e.Best.BestVal), e.Best.Label, e.Best.Slug + "/index.html"}
	}
	for _, r := range e.Runs {
		st := r.Rec.Status
		row := sweepRow{
			ID: r.ID, Slug: r.Slug, Href: r.Slug + "/index.html", State: string(st.State), Replicate: st.Replicate, Seed: st.Seed,
			Epoch: len(r.Rec.Epochs), Epochs: st.Epochs, Time: duration(st.Seconds),
			Seconds: strconv.FormatFloat(round6(st.Seconds), 'g', -1, 64),
			BestVal: pctMetric(r.BestVal, r.BestVal > 0), TestAcc: pctMetric(r.TestAcc, r.HasResult),
			Best: r == e.Best,
		}
		if st.Epoch > row.Epoch {
			row.Epoch = st.Epoch
		}
		row.Params, row.FLOPs = metric{"–", ""}, metric{"–", ""}
		if a := r.Rec.Arch; len(a.Layers) > 0 {
			row.Params = metric{thousands(a.Params), strconv.FormatInt(a.Params, 10)}
			row.FLOPs = metric{thousands(a.FLOPs), strconv.FormatInt(a.FLOPs, 10)}
		}
		for _, k := range e.Keys {
			row.Values = append(row.Values, valueOr(r.Value, k))
		}
		if f := r.Final; f != nil {
			row.FinalTrain, row.FinalVal, row.FinalTest = pctMetric(f.TrainAcc, true), pctMetric(f.ValAcc, true), pctMetric(f.TestAcc, true)
		} else {
			row.FinalTrain, row.FinalVal, row.FinalTest = pctMetric(0, false), pctMetric(0, false), pctMetric(0, false)
		}
		data.Rows = append(data.Rows, row)
	}
	var curves []*Chart
	for _, c := range []*Chart{sc.ValAcc, sc.Loss} {
		if c != nil {
			curves = append(curves, c)
		}
	}
	data.Curves = b.charts(&p, e.Slug, curves)
	data.ByKey = b.charts(&p, e.Slug, sc.ByKey)
	if sc.Grid != nil {
		data.Grid = &b.charts(&p, e.Slug, []*Chart{sc.Grid})[0]
	}
	if sc.Parallel != nil {
		data.Parallel = &b.charts(&p, e.Slug, []*Chart{sc.Parallel})[0]
	}
	if sc.Points != nil {
		data.Points = &b.charts(&p, e.Slug, []*Chart{sc.Points})[0]
	}
	data.Weights = b.charts(&p, e.Slug, sc.Weights)
	data.Search = b.buildSearch(&p, e)
	data.Tricks = sweepTricks(e)
	data.page = p

	csvBytes, jsonBytes, err := runTables(e)
	if err != nil {
		return err
	}
	b.w.file(e.Slug+"/runs.csv", csvBytes)
	b.w.file(e.Slug+"/runs.json", jsonBytes)
	if err := b.compare(e); err != nil {
		return err
	}
	return b.render(e.Slug+"/index.html", "sweep.html", data)
}

// runSummary is one row of a sweep's runs.json.
type runSummary struct {
	Run           string            `json:"run"`
	Label         string            `json:"label"`
	State         string            `json:"state"`
	Seed          int64             `json:"seed"`
	Replicate     int               `json:"replicate"`
	Swept         map[string]string `json:"swept"`
	Epoch         int               `json:"epoch"`
	Epochs        int               `json:"epochs"`
	FinalTrainAcc *float64          `json:"final_train_acc"`
	FinalValAcc   *float64          `json:"final_val_acc"`
	FinalTestAcc  *float64          `json:"final_test_acc"`
	BestValAcc    *float64          `json:"best_val_acc"`
	TestAcc       *float64          `json:"test_acc"` // at the best checkpoint; finished runs only
	Params        *int64            `json:"params"`   // learnable parameters; nil before the architecture is recorded
	FLOPs         *int64            `json:"flops"`    // per image, forward
	Seconds       float64           `json:"seconds"`
	Error         string            `json:"error,omitempty"`
	Page          string            `json:"page"`
}

func num(v float64, ok bool) *float64 {
	if !ok || !isFinite(v) {
		return nil
	}
	v = round6(v)
	return &v
}

// runTables writes a sweep's runs as CSV and JSON.
func runTables(e *experiment) (csvBytes, jsonBytes []byte, err error) {
	var rows []runSummary
	for _, r := range e.Runs {
		st := r.Rec.Status
		s := runSummary{
			Run: r.ID, Label: r.Label, State: string(st.State), Seed: st.Seed, Replicate: st.Replicate,
			Swept: r.Value, Epoch: max(st.Epoch, len(r.Rec.Epochs)), Epochs: st.Epochs,
			BestValAcc: num(r.BestVal, r.BestVal > 0), TestAcc: num(r.TestAcc, r.HasResult),
			Seconds: round6(st.Seconds), Error: st.Error, Page: r.Slug + "/index.html",
		}
		if f := r.Final; f != nil {
			s.FinalTrainAcc, s.FinalValAcc, s.FinalTestAcc = num(f.TrainAcc, true), num(f.ValAcc, true), num(f.TestAcc, true)
		}
		if a := r.Rec.Arch; len(a.Layers) > 0 {
			s.Params, s.FLOPs = &a.Params, &a.FLOPs
		}
		rows = append(rows, s)
	}
	if rows == nil {
		rows = []runSummary{}
	}
	jsonBytes, err = json.MarshalIndent(rows, "", "  ")
	if err != nil {
		return nil, nil, fmt.Errorf("runs.json of %s: %w", e.Dir, err)
	}
	jsonBytes = append(jsonBytes, '\n')

	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	header := []string{"run", "state", "seed", "replicate"}
	header = append(header, e.Keys...)
	header = append(header, "epoch", "epochs", "final_train_acc", "final_val_acc", "final_test_acc", "best_val_acc", "test_acc", "params", "flops", "seconds", "error")
	cw.Write(safeCSV(header))
	f := func(p *float64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatFloat(*p, 'g', -1, 64)
	}
	n := func(p *int64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatInt(*p, 10)
	}
	for i, r := range e.Runs {
		s := rows[i]
		rec := []string{s.Run, s.State, strconv.FormatInt(s.Seed, 10), strconv.Itoa(s.Replicate)}
		for _, k := range e.Keys {
			rec = append(rec, r.Value[k])
		}
		rec = append(rec, strconv.Itoa(s.Epoch), strconv.Itoa(s.Epochs), f(s.FinalTrainAcc), f(s.FinalValAcc), f(s.FinalTestAcc),
			f(s.BestValAcc), f(s.TestAcc), n(s.Params), n(s.FLOPs), strconv.FormatFloat(s.Seconds, 'g', -1, 64), s.Error)
		cw.Write(safeCSV(rec))
	}
	cw.Flush()
	return buf.Bytes(), jsonBytes, cw.Error()
}

// safeCSV keeps spreadsheet programs from reading a cell as a formula.
func safeCSV(rec []string) []string {
	out := make([]string, len(rec))
	for i, s := range rec {
		if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
			if _, err := strconv.ParseFloat(s, 64); err != nil {
				s = "'" + s
			}
		}
		out[i] = s
	}
	return out
}
