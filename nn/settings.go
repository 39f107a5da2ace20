package nn

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// MaxSettings is how many settings a layer may keep by name (see Settings);
// registerKind refuses a kind with more keys kept by name.
const MaxSettings = 4

// Settings are the settings of a layer that no field of LayerSpec holds,
// by key name. A kind declares such a key without Set (Key.KeptByName);
// arch writes the value here through Key.Apply, and the layer reads it
// with LayerSpec.Float, Int, Bool or Text, which give the key's default
// when the spec does not hold it. So a kind with a setting of its own needs
// no field in LayerSpec.
//
// The settings are a fixed array sorted by name, so that LayerSpec stays
// comparable with == and equal settings compare equal. Floats are kept at
// the precision the engine computes with (float32), as the shortest decimal
// that gives it, so that a model file writes 0.1 as 0.1. Model files store
// the settings as a JSON object from name to value (the non-zero fields of
// Value), left out when there are none.
type Settings struct {
	list [MaxSettings]setting
}

type setting struct {
	name  string
	value Value
}

// Len is the number of settings held.
func (st Settings) Len() int {
	n := 0
	for n < MaxSettings && st.list[n].name != "" {
		n++
	}
	return n
}

// Get returns the value of the setting called name, if it is held.
func (st Settings) Get(name string) (Value, bool) {
	for _, e := range st.list[:st.Len()] {
		if e.name == name {
			return e.value, true
		}
	}
	return Value{}, false
}

// Names returns the names of the settings held, sorted.
func (st Settings) Names() []string {
	names := make([]string, st.Len())
	for i := range names {
		names[i] = st.list[i].name
	}
	return names
}

// set sets name to v, keeping the list sorted; it reports false when the
// list is full.
func (st *Settings) set(name string, v Value) bool {
	v.Float = float32Decimal(v.Float)
	n := st.Len()
	i, found := slices.BinarySearchFunc(st.list[:n], name, func(e setting, name string) int {
		switch {
		case e.name < name:
			return -1
		case e.name > name:
			return 1
		}
		return 0
	})
	if found {
		st.list[i].value = v
		return true
	}
	if n == MaxSettings || name == "" {
		return false
	}
	copy(st.list[i+1:n+1], st.list[i:n])
	st.list[i] = setting{name, v}
	return true
}

// remove drops the setting called name, if it is held.
func (st *Settings) remove(name string) {
	n := st.Len()
	for i := range st.list[:n] {
		if st.list[i].name == name {
			copy(st.list[i:n], st.list[i+1:n])
			st.list[n-1] = setting{}
			return
		}
	}
}

// float32Decimal rounds v to float32 and returns the shortest decimal that
// gives that float32, as a float64.
func float32Decimal(v float64) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	f, _ := strconv.ParseFloat(strconv.FormatFloat(v, 'g', -1, 32), 64)
	return f
}

// MarshalJSON writes the settings as an object from name to value, in the
// order of the names.
func (st Settings) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range st.list[:st.Len()] {
		if i > 0 {
			b.WriteByte(',')
		}
		name, err := json.Marshal(e.name)
		if err != nil {
			return nil, err
		}
		value, err := json.Marshal(e.value)
		if err != nil {
			return nil, err
		}
		b.Write(name)
		b.WriteByte(':')
		b.Write(value)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads what MarshalJSON writes. Whether the names and values
// suit the layer's kind is checked when the layer is built.
func (st *Settings) UnmarshalJSON(data []byte) error {
	var m map[string]Value
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	if len(m) > MaxSettings {
		return fmt.Errorf("%d settings, at most %d fit", len(m), MaxSettings)
	}
	*st = Settings{}
	for name, v := range m {
		if !st.set(name, v) {
			return fmt.Errorf("setting %q: an empty name", name)
		}
	}
	return nil
}

// With returns s with the setting name set to v, for a key of s's kind kept
// by name (see Settings); it is how specs written in Go give such settings.
// It panics when the settings are full.
func (s LayerSpec) With(name string, v Value) LayerSpec {
	if !s.Settings.set(name, v) {
		panic(fmt.Sprintf("nn: no room for setting %q of %s: a layer keeps at most %d settings by name", name, s.Kind, MaxSettings))
	}
	return s
}

// Setting returns the value of the key called name of s's kind: the one s
// holds, or else the key's default.
func (s LayerSpec) Setting(name string) Value {
	if v, ok := s.Settings.Get(name); ok {
		return v
	}
	if k := LookupKind(s.Kind); k != nil {
		if key, ok := k.Key(name); ok {
			return key.Default
		}
	}
	return Value{}
}

// Float returns the setting name of a KeyFloat key (see Setting).
func (s LayerSpec) Float(name string) float32 { return float32(s.Setting(name).Float) }

// Int returns the setting name of a KeyInt key (see Setting).
func (s LayerSpec) Int(name string) int { return s.Setting(name).Int }

// Bool returns the setting name of a KeyBool key (see Setting).
func (s LayerSpec) Bool(name string) bool { return s.Setting(name).Bool }

// Text returns the setting name of a KeyEnum key (see Setting).
func (s LayerSpec) Text(name string) string { return s.Setting(name).Text }

// keptByNameTypes are the types of key whose values Settings can hold.
var keptByNameTypes = []KeyType{KeyInt, KeyFloat, KeyBool, KeyEnum, KeySize2}

// KeptByName reports whether the key's value is kept in the spec's
// Settings: it has no Set, and Settings can hold its type.
func (k *Key) KeptByName() bool { return k.Set == nil && slices.Contains(keptByNameTypes, k.Type) }

// IsSetting reports whether the key is a setting of the layer itself,
// written into its spec by Apply (not an activation added after it, nor a
// list of nested layers).
func (k *Key) IsSetting() bool { return k.Set != nil || k.KeptByName() }

// Apply writes v into the spec: through Set, or by name into its Settings.
// A key that is no setting of the layer (IsSetting) leaves it as it is.
func (k *Key) Apply(s *LayerSpec, v Value) {
	switch {
	case k.Set != nil:
		k.Set(s, v)
	case k.KeptByName():
		if k.OmitDefault && v == k.Default {
			s.Settings.remove(k.Name)
			return
		}
		if !s.Settings.set(k.Name, v) {
			panic(fmt.Sprintf("nn: no room for setting %q of %s", k.Name, s.Kind)) // registerKind bounds the keys kept by name
		}
	}
}

// checkKeys reports an error when a kind's key has no place to go: a key
// of a value type without Set that Settings cannot hold, or more keys kept
// by name than Settings has room for; or when an attribute of its ONNX
// operator takes no key kept by name.
func checkKeys(k *LayerKind) error {
	byName := 0
	for _, key := range k.Keys {
		switch {
		case key.KeptByName():
			byName++
		case key.Set == nil && key.Type != KeyActivation && key.Type != KeyLayers:
			return fmt.Errorf("key %q has no Set, and a layer cannot keep a value of its type by name", key.Name)
		}
	}
	if byName > MaxSettings {
		return fmt.Errorf("%d keys kept by name, a layer has room for %d: give some a field of LayerSpec and a Set, or raise MaxSettings", byName, MaxSettings)
	}
	if k.ONNX != nil {
		for _, a := range k.ONNX.Attrs {
			if key, ok := k.Key(a.Key); !ok || !key.KeptByName() || key.Type == KeySize2 {
				return fmt.Errorf("the ONNX attribute %s takes %q, which is no number, bool or choice kept by name", a.Name, a.Key)
			}
		}
	}
	return nil
}

// checkSettings checks the settings a spec keeps by name against its kind:
// every one is a key of the kind kept by name, every required one is
// given, and every value is within its key's bounds or choices.
func checkSettings(k *LayerKind, s LayerSpec) error {
	for _, name := range s.Settings.Names() {
		if key, ok := k.Key(name); !ok || !key.KeptByName() {
			return fmt.Errorf("%s has no setting %q", k.Kind, name)
		}
	}
	for i := range k.Keys {
		key := &k.Keys[i]
		if !key.KeptByName() {
			continue
		}
		v, ok := s.Settings.Get(key.Name)
		if !ok {
			if key.Required {
				return fmt.Errorf("%s needs %s", k.Kind, key.Name)
			}
			continue // the default, which TestKindTable checks
		}
		if err := key.check(v); err != nil {
			return fmt.Errorf("%s = %s", key.Name, err)
		}
	}
	return nil
}

// check reports an error when v is outside the key's bounds or choices.
func (k *Key) check(v Value) error {
	switch k.Type {
	case KeyInt:
		if float64(v.Int) < k.Min || float64(v.Int) > k.Max {
			return fmt.Errorf("%d, want a whole number in [%v, %v]", v.Int, k.Min, k.Max)
		}
	case KeySize2:
		if float64(v.H) < k.Min || float64(v.H) > k.Max || float64(v.W) < k.Min || float64(v.W) > k.Max {
			return fmt.Errorf("%d×%d, want whole numbers in [%v, %v]", v.H, v.W, k.Min, k.Max)
		}
	case KeyFloat:
		f := v.Float
		if math.IsNaN(f) || math.IsInf(f, 0) || f < k.Min || f > k.Max || k.MinOpen && f == k.Min || k.MaxOpen && f == k.Max {
			lo, hi := "[", "]"
			if k.MinOpen {
				lo = "("
			}
			if k.MaxOpen {
				hi = ")"
			}
			return fmt.Errorf("%v, want a finite number in %s%v, %v%s", f, lo, k.Min, k.Max, hi)
		}
	case KeyEnum:
		if !slices.Contains(k.Choices, v.Text) {
			return fmt.Errorf("%q, want one of %q", v.Text, k.Choices)
		}
	}
	return nil
}
