package experiments

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Messages name the real problem at its place: a sweep key through the
// wrong layer kind, a whole number too large, and the split's values when
// the data set is unknown.
func TestMessages(t *testing.T) {
	const model = "model:\n  - conv: {filters: 4, kernel: 3}\n  - maxpool: {size: 2}\n  - flatten\n  - dense: {units: 10}\n"
	tests := []struct {
		name, text string
		want, not  []string
	}{
		{"sweep key through the wrong kind", "name: s\ndata: {set: mnist}\n" + model + "sweep:\n  grid:\n    model[1].conv.kernel: [3, 5]\n",
			[]string{"x.yaml:10:28: kernel=3: model[1].conv.kernel: model[1] is a maxpool entry, not conv: name its settings as model[1].maxpool.…"},
			[]string{"indented", "x.yaml:4:"}},
		{"1e30", "name: s\ndata: {set: mnist}\n" + model + "train: {epochs: 1e30, batch: -1e40}\n",
			[]string{"train.epochs must be ≤ 100000, got 1e30", "train.batch must be ≥ 1, got -1e40"},
			[]string{"whole number"}},
		{"wrong set and bad split", "name: s\ndata: {set: mnistt, split: {train: abc, val: [1]}}\n" + model,
			[]string{`unknown data set "mnistt"; did you mean "mnist"?`, `data.split.train must be a whole number, got "abc"`, "data.split.val must be a whole number, got a list"},
			nil},
	}
	for _, tt := range tests {
		f := filepath.Join(t.TempDir(), "x.yaml")
		if err := os.WriteFile(f, []byte(tt.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Load(f, nil)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error lacks %q:\n%v", tt.name, w, err)
			}
		}
		for _, w := range tt.not {
			if strings.Contains(err.Error(), w) {
				t.Errorf("%s: error has %q:\n%v", tt.name, w, err)
			}
		}
	}
}
