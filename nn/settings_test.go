package nn

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestSettings checks the settings kept by name: sorted whatever the order
// they are given in (so that == compares them), read back by the typed
// accessors, the key's default when not held, floats at float32 precision
// written as their shortest decimal, and a JSON form that reads back.
func TestSettings(t *testing.T) {
	a := LayerSpec{Kind: KindScale}.With("factor", Value{Float: 0.1}).With("b", Value{Int: 3}).With("a", Value{Text: "x"})
	b := LayerSpec{Kind: KindScale}.With("a", Value{Text: "x"}).With("factor", Value{Float: 0.1}).With("b", Value{Int: 3})
	if a != b {
		t.Errorf("settings given in another order compare unequal: %+v, %+v", a.Settings, b.Settings)
	}
	if got := a.Settings.Names(); !reflect.DeepEqual(got, []string{"a", "b", "factor"}) {
		t.Errorf("names %q, want them sorted", got)
	}
	if a.Float("factor") != float32(0.1) || a.Int("b") != 3 || a.Text("a") != "x" || a.Bool("none") {
		t.Errorf("accessors give %v %v %q %v", a.Float("factor"), a.Int("b"), a.Text("a"), a.Bool("none"))
	}
	if c := a.With("b", Value{Int: 4}); c.Int("b") != 4 || c.Settings.Len() != 3 {
		t.Errorf("setting b again gives %d with %d settings", c.Int("b"), c.Settings.Len())
	}
	// Not held: the key's default.
	if got := (LayerSpec{Kind: KindGELU}).Text("approximate"); got != string(ApproxNone) {
		t.Errorf("gelu's approximate defaults to %q", got)
	}
	// float32 precision, as the shortest decimal.
	third := LayerSpec{Kind: KindScale}.With("factor", Value{Float: 1.0 / 3})
	if v, _ := third.Settings.Get("factor"); v.Float != 0.33333334 {
		t.Errorf("1/3 is kept as %v, want 0.33333334", v.Float)
	}
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if want := `"Settings":{"a":{"Text":"x"},"b":{"Int":3},"factor":{"Float":0.1}}`; !strings.Contains(string(raw), want) {
		t.Errorf("JSON %s, want it to hold %s", raw, want)
	}
	var back LayerSpec
	if err := json.Unmarshal(raw, &back); err != nil || back != a {
		t.Errorf("JSON reads back as %+v (%v), want %+v", back, err, a)
	}
	// No settings: no field, as before settings were kept by name.
	raw, _ = json.Marshal(LayerSpec{Kind: KindReLU})
	if strings.Contains(string(raw), "Settings") {
		t.Errorf("a spec without settings writes %s", raw)
	}
	full := LayerSpec{Kind: KindScale}
	for i := range MaxSettings {
		full = full.With(fmt.Sprint("k", i), Value{Int: i})
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Errorf("With past %d settings does not panic", MaxSettings)
			}
		}()
		full.With("one more", Value{})
	}()
	raw, _ = json.Marshal(full)
	over := strings.Replace(string(raw), `"Settings":{`, `"Settings":{"z":{},`, 1)
	if err := json.Unmarshal([]byte(over), &back); err == nil {
		t.Errorf("%d settings in JSON are read", MaxSettings+1)
	}
}

// TestCheckSettings checks that Build refuses settings that do not suit the
// kind: a name it has no key for, a value out of bounds or choices, a
// required one missing.
func TestCheckSettings(t *testing.T) {
	in := Shape{2, 2, 2}
	scale := LayerSpec{Kind: KindScale}
	for _, tc := range []struct {
		spec LayerSpec
		want string // "" for none
	}{
		{scale.With("factor", Value{Float: 2}), ""},
		{scale, "scale needs factor"},
		{scale.With("factor", Value{Float: 0}), "factor = 0, want a finite number in (0, +Inf)"},
		{scale.With("factor", Value{Float: -1}), "factor = -1"},
		{scale.With("factor", Value{Float: math.Inf(1)}), "factor = +Inf"},
		{scale.With("factor", Value{Float: 1e39}), "factor = +Inf"}, // beyond float32
		{scale.With("factor", Value{Float: 2}).With("bias", Value{Bool: true}), `scale has no setting "bias"`},
		{LayerSpec{Kind: KindGELU}.With("approximate", Value{Text: "erf"}), `approximate = "erf", want one of ["none" "tanh"]`},
		{LayerSpec{Kind: KindGELU}.With("approximate", Value{Text: "tanh"}), ""},
		{LayerSpec{Kind: KindReLU}.With("alpha", Value{Float: 0.1}), `relu has no setting "alpha"`},
		{LayerSpec{Kind: KindResidual, Residual: &Branches{Body: []LayerSpec{scale}}}, "scale needs factor"},
	} {
		_, err := Build(in, []LayerSpec{tc.spec}, 1)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: error %v, want %q", tc.spec, err, tc.want)
		}
	}
}

// TestCheckKeys checks that a kind whose key has no place to go in a spec
// is refused when it registers: a key without Set of a type Settings cannot
// hold, or more keys kept by name than Settings has room for.
func TestCheckKeys(t *testing.T) {
	byName := func(n int) []Key {
		var keys []Key
		for i := range n {
			keys = append(keys, Key{Name: fmt.Sprint("k", i), Type: KeyFloat, Doc: "d", Min: 0, Max: 1})
		}
		return keys
	}
	for _, tc := range []struct {
		keys []Key
		onnx *ONNXOp
		want string
	}{
		{byName(MaxSettings), nil, ""},
		{append(byName(1), keyBias, keyPadding, keyActivation), nil, ""},
		{byName(MaxSettings + 1), nil, "keys kept by name"},
		{[]Key{{Name: "pad", Type: KeyPadding, Doc: "d"}}, nil, `key "pad" has no Set`},
		{byName(2), &ONNXOp{Op: "Op", Attrs: []ONNXAttr{{"a", "k0"}, {"b", "k1"}}}, ""},
		{byName(2), &ONNXOp{Op: "Op", Attrs: []ONNXAttr{{"a", "k2"}}}, `attribute a takes "k2"`},
		{[]Key{keyBias}, &ONNXOp{Op: "Op", Attrs: []ONNXAttr{{"bias", "bias"}}}, `attribute bias takes "bias"`}, // a field
	} {
		err := checkKeys(&LayerKind{Kind: "test", Keys: tc.keys, ONNX: tc.onnx})
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%d keys: error %v, want %q", len(tc.keys), err, tc.want)
		}
	}
	for _, k := range Kinds() {
		if err := checkKeys(k); err != nil {
			t.Errorf("%s: %v", k.Kind, err)
		}
	}
}

// TestLoadVersion2 loads a model file written by version 2, where gelu's
// approximation and scale's factor had fields of their own (testdata/v2.cnn:
// a conv, gelu tanh, a residual block with scale 0.1 and exact gelu in its
// body, flatten, dense and scale 0.3, trained two steps with Adam), and
// checks that the settings come back by name and the predictions are those
// recorded when it was written (testdata/v2.probs.json, for benchInput(3,
// its input)).
func TestLoadVersion2(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "v2.cnn"))
	if err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint32(data[8:]); v != 2 {
		t.Fatalf("testdata/v2.cnn is version %d", v)
	}
	cp, err := LoadFrom(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	specs := cp.Net.Specs()
	body := specs[2].Residual.Body
	if specs[1].Text("approximate") != "tanh" || body[1].Float("factor") != 0.1 || specs[5].Float("factor") != 0.3 {
		t.Errorf("specs %+v, body %+v", specs, body)
	}
	if v, _ := body[1].Settings.Get("factor"); v.Float != 0.1 {
		t.Errorf("factor 0.1 comes back as %v", v.Float)
	}
	raw, err := os.ReadFile(filepath.Join("testdata", "v2.probs.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want []float32
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	p, err := cp.Net.Probabilities(benchInput(3, cp.Net.Input()))
	if err != nil {
		t.Fatal(err)
	}
	got := p.Data[:p.Len()]
	if len(got) != len(want) {
		t.Fatalf("%d probabilities, want %d", len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-5 {
			t.Errorf("version 2 model predicts %v, it predicted %v when written", got, want)
			break
		}
	}
	if cp.Optimizer == nil || cp.Optimizer.(*Adam).Steps() != 2 || string(cp.Meta) != `{"epoch":1}` {
		t.Errorf("optimizer %v, meta %q", cp.Optimizer, cp.Meta)
	}

	// Saved again: version 3, which reads back the same.
	var buf bytes.Buffer
	if err := SaveTo(&buf, cp.Net, cp.Optimizer, cp.Meta); err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint32(buf.Bytes()[8:]); v != ModelVersion {
		t.Errorf("a network with settings kept by name is saved as version %d, want %d", v, ModelVersion)
	}
	again, err := LoadFrom(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Net.Specs(), specs) {
		t.Errorf("saved again, the specs read back as %+v, want %+v", again.Net.Specs(), specs)
	}
}

// TestPlainModelFileBytes pins the bytes of the model file of a network
// without settings kept by name (every kind but gelu and scale, a residual
// block, an SGD state) to those version 2 wrote: such files are still
// version 2, and builds from before version 3 read them.
func TestPlainModelFileBytes(t *testing.T) {
	specs := []LayerSpec{
		{Kind: KindConv, Filters: 4, KernelH: 3, KernelW: 3, Padding: PadSame},
		{Kind: KindBatchNorm},
		{Kind: KindLeakyReLU, Alpha: 0.2},
		{Kind: KindResidual, Residual: &Branches{Body: []LayerSpec{{Kind: KindConv, Filters: 4, KernelH: 3, KernelW: 3, Padding: PadSame}, {Kind: KindSiLU}}}},
		{Kind: KindMaxPool, KernelH: 2, KernelW: 2},
		{Kind: KindDropout, Rate: 0.25},
		{Kind: KindGlobalAvgPool},
		{Kind: KindDense, Units: 3, Init: InitGlorot},
		{Kind: KindSoftmax},
	}
	net, err := Build(Shape{8, 8, 3}, specs, 5)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := SaveTo(&b, net, NewSGD(SGDConfig{Momentum: 0.9}), []byte("meta")); err != nil {
		t.Fatal(err)
	}
	const want = "6624d38b6b89e5376b160ebb0a707132042ba0731bdfa28465bb7bc7ee2ec7aa" // SHA-256 of the 4375 bytes version 2 wrote
	if got := fmt.Sprintf("%x", sha256.Sum256(b.Bytes())); got != want || b.Len() != 4375 {
		t.Errorf("%d bytes with SHA-256 %s, version 2 wrote 4375 bytes with %s", b.Len(), got, want)
	}
}
