package nn

import (
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestKindTable checks that every entry of the table of layer kinds is
// complete enough for the packages that read it (experiments decodes and
// writes its keys; arch counts and describes it; a JSON Schema could be
// generated from its keys).
func TestKindTable(t *testing.T) {
	if len(Kinds()) == 0 {
		t.Fatal("no layer kinds")
	}
	for _, k := range Kinds() {
		if k.Doc == "" {
			t.Errorf("%s: no description", k.Kind)
		}
		if LookupKind(k.Kind) != k {
			t.Errorf("%s: LookupKind finds another entry", k.Kind)
		}
		seen := map[string]bool{"name": true} // every kind takes name
		for _, key := range k.Keys {
			where := string(k.Kind) + "." + key.Name
			if seen[key.Name] {
				t.Errorf("%s: key given twice (or it is name, which every kind has)", where)
			}
			seen[key.Name] = true
			if key.Doc == "" {
				t.Errorf("%s: no description", where)
			}
			if key.Required && key.Default != (Value{}) {
				t.Errorf("%s: required, yet has a default", where)
			}
			if key.DefaultFrom != "" && !slices.ContainsFunc(k.Keys[:slices.IndexFunc(k.Keys, func(o Key) bool { return o.Name == key.Name })],
				func(o Key) bool { return o.Name == key.DefaultFrom && o.Type == key.Type }) {
				t.Errorf("%s: defaults to %q, which is not an earlier key of the same type", where, key.DefaultFrom)
			}
			switch key.Type {
			case KeyInt, KeySize2, KeyPadding:
				if key.Min != math.Trunc(key.Min) || key.Max != math.Trunc(key.Max) || key.Min > key.Max {
					t.Errorf("%s: bounds [%v, %v] are not whole numbers in order", where, key.Min, key.Max)
				}
				if !key.IsSetting() {
					t.Errorf("%s: no Set, and not kept by name", where)
				}
			case KeyFloat:
				if !(key.Min < key.Max) {
					t.Errorf("%s: bounds %v, %v out of order", where, key.Min, key.Max)
				}
				if d := key.Default.Float; !key.Required && (d < key.Min || d > key.Max || key.MinOpen && d == key.Min || key.MaxOpen && d == key.Max) {
					t.Errorf("%s: default %v outside its bounds", where, d)
				}
				if !key.IsSetting() {
					t.Errorf("%s: no Set, and not kept by name", where)
				}
			case KeyEnum:
				if len(key.Choices) < 2 || key.What == "" || !slices.Contains(key.Choices, key.Default.Text) {
					t.Errorf("%s: an enum needs choices, a word for them and a default among them", where)
				}
				if !key.IsSetting() {
					t.Errorf("%s: no Set, and not kept by name", where)
				}
			case KeyBool:
				if !key.IsSetting() {
					t.Errorf("%s: no Set, and not kept by name", where)
				}
			case KeyLayers:
				if key.Set != nil || key.SetLayers == nil || key.Default != (Value{}) {
					t.Errorf("%s: a list of layers has SetLayers, no Set and no default", where)
				}
			case KeyActivation:
				if key.Set != nil || key.Default.Text != "" {
					t.Errorf("%s: an activation shortcut adds a layer: no Set, no default", where)
				}
			default:
				t.Errorf("%s: unknown key type %d", where, key.Type)
			}
		}
	}
}

// defaultSpec is a spec of kind k with its required keys at their smallest
// values (a number inside an open bound) and the other keys at their
// defaults, set through the table.
func defaultSpec(k *LayerKind) LayerSpec {
	s := LayerSpec{Kind: k.Kind}
	values := map[string]Value{}
	for _, key := range k.Keys {
		v := key.Default
		switch {
		case key.DefaultFrom != "":
			v = values[key.DefaultFrom]
		case key.Required:
			m, f := int(key.Min), key.Min
			if key.MinOpen { // a number inside the bounds
				f = min(key.Min+1, (key.Min+key.Max)/2)
			}
			v = Value{Int: m, Float: f, H: m, W: m}
		}
		values[key.Name] = v
		key.Apply(&s, v)
		if key.Type == KeyLayers && key.Required {
			key.SetLayers(&s, []LayerSpec{{Kind: KindTanh}}) // the shortest list
		}
	}
	return s
}

// TestKindDefaultsAgree checks that the defaults of the keys are those Build
// assumes for zero fields: a spec with every key at its default is left
// unchanged by the engine's defaults, and it builds.
func TestKindDefaultsAgree(t *testing.T) {
	for _, k := range Kinds() {
		s := defaultSpec(k)
		if got := withDefaults(s); got != s {
			t.Errorf("%s: the keys' defaults give %+v, the engine's %+v", k.Kind, s, got)
		}
		in := Shape{H: 6, W: 6, C: 2}
		if k.Input == FlatInput {
			in = Shape{H: 1, W: 1, C: 6}
		}
		if _, err := Build(in, []LayerSpec{s}, 1); err != nil {
			t.Errorf("%s with its defaults: %v", k.Kind, err)
		}
	}
}

// TestKindsHaveReadmeRows fails when a kind of the table has no row in the
// README's table of layer kinds, or its row leaves out one of its keys.
func TestKindsHaveReadmeRows(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[Kind]string{}
	for _, line := range strings.Split(string(readme), "\n") {
		if rest, ok := strings.CutPrefix(line, "| `"); ok {
			if name, _, ok := strings.Cut(rest, "` |"); ok {
				rows[Kind(name)] = line
			}
		}
	}
	for _, k := range Kinds() {
		row, ok := rows[k.Kind]
		if !ok {
			t.Errorf("README.md has no row | `%s` | in its table of layer kinds", k.Kind)
			continue
		}
		for _, key := range k.Keys {
			if !strings.Contains(row, "`"+key.Name+"`") {
				t.Errorf("README.md: the row of %s does not mention `%s`", k.Kind, key.Name)
			}
		}
	}
}
