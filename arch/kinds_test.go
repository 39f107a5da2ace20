package arch

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/nn"
)

// testValue returns a valid value of key other than its default, as YAML
// and as the value it decodes to.
func testValue(t *testing.T, key nn.Key) (string, nn.Value) {
	t.Helper()
	switch key.Type {
	case nn.KeyInt:
		v := int(key.Min) + 1
		if v == key.Default.Int {
			v++
		}
		return fmt.Sprint(v), nn.Value{Int: v}
	case nn.KeyFloat:
		v := key.Min + 0.5
		if !math.IsInf(key.Max, 1) {
			v = (key.Min + key.Max) / 2
		}
		if v == key.Default.Float {
			v = (v + key.Min) / 2
		}
		return fmt.Sprint(v), nn.Value{Float: v}
	case nn.KeyBool:
		return fmt.Sprint(!key.Default.Bool), nn.Value{Bool: !key.Default.Bool}
	case nn.KeyEnum:
		for _, c := range key.Choices {
			if c != key.Default.Text {
				return c, nn.Value{Text: c}
			}
		}
	case nn.KeyActivation:
		for _, k := range nn.ActivationKinds() {
			if nn.LookupKind(k).ElementWise {
				return string(k), nn.Value{Text: string(k)}
			}
		}
	case nn.KeySize2:
		h, w := int(key.Min)+1, int(key.Min)+2
		return fmt.Sprintf("[%d, %d]", h, w), nn.Value{H: h, W: w}
	case nn.KeyPadding:
		h, w := int(key.Min), int(key.Min)+1 // less than a 2×2 pooling window
		return fmt.Sprintf("[%d, %d]", h, w), nn.Value{Text: string(nn.PadExplicit), H: h, W: w}
	case nn.KeyLayers:
		return "[relu]", nn.Value{} // the layers are in Layer.Lists
	}
	t.Fatalf("key %s: no test value for type %d", key.Name, key.Type)
	return "", nn.Value{}
}

// TestEveryKeyDecodes writes, for every key of every kind in nn's table, a
// layer that gives the key a value other than its default, and checks that
// experiments decodes it, writes it in the canonical form and reads it back,
// and that arch hands it to the engine spec and the network builds. A kind
// or key added to the table is covered without touching this test.
func TestEveryKeyDecodes(t *testing.T) {
	dir := t.TempDir()
	for _, k := range nn.Kinds() {
		// The required keys at their test values.
		var required []string
		for _, key := range k.Keys {
			if key.Required {
				y, _ := testValue(t, key)
				required = append(required, key.Name+": "+y)
			}
		}
		cases := []*nn.Key{nil} // nil: the required keys alone
		for i := range k.Keys {
			if !k.Keys[i].Required {
				cases = append(cases, &k.Keys[i])
			}
		}
		for _, key := range cases {
			name := string(k.Kind)
			settings := slices.Clone(required)
			var want nn.Value
			if key != nil {
				name += "." + key.Name
				var y string
				y, want = testValue(t, *key)
				settings = append(settings, key.Name+": "+y)
			}
			t.Run(name, func(t *testing.T) {
				layer := fmt.Sprintf("{%s: {%s}}", k.Kind, strings.Join(settings, ", "))
				model := "[" + layer + ", flatten, {dense: {units: 10}}]"
				if k.Input == nn.FlatInput {
					model = "[flatten, " + layer + ", {dense: {units: 10}}]"
				}
				file := filepath.Join(dir, strings.ReplaceAll(name, ".", "-")+".yaml")
				if err := os.WriteFile(file, []byte("data: {set: mnist}\nmodel: "+model+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				e, err := experiments.Load(file, nil)
				if err != nil {
					t.Fatalf("%s: %v", layer, err)
				}
				l := e.Model[slices.IndexFunc(e.Model, func(l experiments.Layer) bool { return l.Kind == k.Kind })]
				if key != nil && l.Value(key.Name) != want {
					t.Errorf("%s decodes to %+v, want %+v", layer, l.Value(key.Name), want)
				}
				for _, other := range k.Keys {
					if _, ok := l.Values[other.Name]; !ok {
						t.Errorf("%s: key %s has no value (not even its default)", layer, other.Name)
					}
				}

				// The canonical form reads back as the same layer.
				y, err := e.ResolvedYAML()
				if err != nil {
					t.Fatal(err)
				}
				again := filepath.Join(dir, "again.yaml")
				if err := os.WriteFile(again, y, 0o644); err != nil {
					t.Fatal(err)
				}
				e2, err := experiments.Load(again, nil)
				if err != nil {
					t.Fatalf("canonical form %s: %v", y, err)
				}
				if !reflect.DeepEqual(e2.Model[0].Values, e.Model[0].Values) || len(e2.Model) != len(e.Model) {
					t.Errorf("canonical form reads back as %+v, want %+v", e2.Model, e.Model)
				}

				net, err := Compile(e)
				if err != nil {
					t.Fatalf("%s: %v", layer, err)
				}
				if _, err := nn.Build(net.Input, net.Specs, 1); err != nil {
					t.Fatalf("%s: nn.Build: %v", layer, err)
				}
				if key == nil || !key.IsSetting() {
					return
				}
				// The key reaches the engine: its spec differs from the one
				// with the key's default.
				var def nn.LayerSpec
				key.Apply(&def, key.Default)
				var got nn.LayerSpec
				key.Apply(&got, want)
				if def == got {
					t.Errorf("key %s: its test value and its default give the same spec", key.Name)
				}
				i := slices.IndexFunc(net.Specs, func(s nn.LayerSpec) bool { return s.Kind == k.Kind })
				spec := net.Specs[i]
				key.Apply(&spec, want)
				if spec != net.Specs[i] {
					t.Errorf("%s: compiled spec %+v does not hold the value %+v", layer, net.Specs[i], want)
				}
			})
		}
	}
}

// TestEveryFamilyHasAColour checks that the report's style sheet colours
// every family of layer kinds that arch.json may record.
func TestEveryFamilyHasAColour(t *testing.T) {
	css, err := os.ReadFile("../reports/static/site.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range nn.Kinds() {
		if !strings.Contains(string(css), ".layer."+string(k.Family)+" {") {
			t.Errorf("reports/static/site.css has no rule .layer.%s for %s", k.Family, k.Kind)
		}
	}
}
