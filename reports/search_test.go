package reports

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

// writeSearch writes the records of a halving search over 6 sampled
// points with rungs of 1, 3 and 9 epochs: 4 stopped at the first rung, 1
// at the second, 1 trained to the end.
func writeSearch(t *testing.T, root string) {
	search := &record.Search{Sampled: []string{"train.optimizer.adam.lr", "variant"}, LogKeys: []string{"train.optimizer.adam.lr"},
		Rungs: []int{1, 3, 9}, Factor: 3, Metric: "val_acc"}
	runs := []struct {
		lr, variant string
		quality     float64
		epochs      int
		state       record.State
	}{
		{"0.0002", "narrow", 0.2, 1, record.StatePruned},
		{"0.003", "wide", 0.8, 9, record.StateDone},
		{"0.0071", "wide", 0.5, 3, record.StatePruned},
		{"0.00013", "narrow", 0.1, 1, record.StatePruned},
		{"0.0009", "narrow", 0.3, 1, record.StatePruned},
		{"0.0004", "wide", 0.35, 1, record.StatePruned},
	}
	for i, r := range runs {
		dir := filepath.Join(root, "search", "run-"+string(rune('a'+i)))
		writeRun(t, dir, "search", "a halving search", int64(i), fixtureRun{
			dir: filepath.Base(dir), state: r.state, epochs: r.epochs, planned: 9, quality: r.quality, analysis: r.state == record.StateDone,
			classes: []string{"a", "b", "c"}, layer: "conv1",
			swept: []record.KeyValue{{Key: "variant", Value: r.variant}, {Key: "train.optimizer.adam.lr", Value: r.lr}},
		})
		st := readStatusFile(t, dir)
		st.Search = search
		if r.state == record.StatePruned {
			st.Rung = r.epochs
			st.StopReason = "pruned at the rung"
		}
		if err := record.WriteJSON(filepath.Join(dir, record.StatusFile), st); err != nil {
			t.Fatal(err)
		}
	}
}

func readStatusFile(t *testing.T, dir string) record.Status {
	t.Helper()
	var st record.Status
	if err := record.ReadJSON(filepath.Join(dir, record.StatusFile), &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSearchSection(t *testing.T) {
	root := t.TempDir()
	results, out := filepath.Join(root, "results"), filepath.Join(root, "site")
	writeSearch(t, results)
	if _, err := Build(Options{Results: results, Out: out, NoFetch: true}); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(out, "search", "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{
		`<h2 id="search">Search</h2>`,
		"6 points drawn at random over train.optimizer.adam.lr (log-uniform), variant",
		"at rungs of 1, 3, 9 epochs the best 1/3",
		`<td class="num">1 epoch</td>`,
		`<td class="num">3 epochs</td>`,
		`<td class="num stopped">`,
		`<td class="num on">`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the sweep page lacks %q", want)
		}
	}
	// Rung 1: 6 points, 2 went on and 4 stopped; rung 3: 2 points, 1 and 1.
	rows := strings.Split(html[strings.Index(html, `<table class="rungs">`):], "</tr>")
	for i, want := range []struct{ on, stopped int }{{2, 4}, {1, 1}, {1, 0}} {
		cells := strings.Split(rows[i+1], "<td>")
		if len(cells) < 3 {
			t.Fatalf("rung row %d: %s", i, rows[i+1])
		}
		if on, stopped := strings.Count(cells[1], "<a "), strings.Count(cells[2], "<a "); on != want.on || stopped != want.stopped {
			t.Errorf("rung %d: %d went on, %d stopped; want %+v", i, on, stopped, want)
		}
	}
	// The metric against a log-uniform key on a log axis, against a key of
	// names on categories.
	for _, c := range []struct {
		id, axis string
	}{{"search-lr", "log"}, {"search-variant", "category"}} {
		if !strings.Contains(html, `id="chart-`+c.id+`"`) {
			t.Errorf("no chart %s", c.id)
			continue
		}
		i := strings.Index(html, `cnnlab.chart("chart-`+c.id+`", `)
		j := strings.Index(html[i:], ");</script>")
		var opt struct {
			XAxis []struct {
				Type string `json:"type"`
			} `json:"xAxis"`
		}
		if err := json.Unmarshal([]byte(html[i+len(`cnnlab.chart("chart-`+c.id+`", `):i+j]), &opt); err != nil {
			t.Fatalf("%s: %v", c.id, err)
		}
		if len(opt.XAxis) == 0 || opt.XAxis[0].Type != c.axis {
			t.Errorf("%s: x axis %+v, want %s", c.id, opt.XAxis, c.axis)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "search", "charts", "search-lr.png")); err != nil {
		t.Errorf("no PNG of the chart: %v", err)
	}
}
