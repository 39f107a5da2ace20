package reports

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// chartsOfExperiment is what a golden file holds: the data behind every
// chart of a sweep page and of its run pages.
type chartsOfExperiment struct {
	Keys  []string            `json:"varying_keys"`
	Sweep []*Chart            `json:"sweep"`
	Runs  map[string][]*Chart `json:"runs"`
	Table json.RawMessage     `json:"runs_json"`
}

func TestChartDataGolden(t *testing.T) {
	root := t.TempDir()
	writeFixture(t, root)
	results, err := record.ReadResults(root)
	if err != nil {
		t.Fatal(err)
	}
	exps := buildExperiments(results)
	if len(exps) != 5 {
		t.Fatalf("got %d experiments, want 5", len(exps))
	}
	for _, e := range exps {
		t.Run(e.Slug, func(t *testing.T) {
			got := chartsOfExperiment{Keys: e.Keys, Sweep: buildSweepCharts(e).all(), Runs: map[string][]*Chart{}}
			for _, r := range e.Runs {
				got.Runs[r.ID] = buildRunCharts(r.Rec).all()
			}
			_, js, err := runTables(e)
			if err != nil {
				t.Fatal(err)
			}
			got.Table = js
			b, err := json.MarshalIndent(got, "", " ")
			if err != nil {
				t.Fatal(err)
			}
			b = append(b, '\n')
			path := filepath.Join("testdata", "golden", e.Slug+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./reports -run Golden -update to create it)", err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("chart data of %s differs from %s; run with -update if the change is intended.\n%s", e.Dir, path, firstDiff(string(b), string(want)))
			}
		})
	}
}

// firstDiff shows the first differing line of two texts.
func firstDiff(got, want string) string {
	gl, wl := bytes.Split([]byte(got), []byte("\n")), bytes.Split([]byte(want), []byte("\n"))
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w []byte
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if !bytes.Equal(g, w) {
			return "line " + strconv.Itoa(i+1) + ":\n got: " + string(g) + "\nwant: " + string(w)
		}
	}
	return ""
}
