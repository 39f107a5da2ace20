package experiments

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/cnnlab/cnnlab/nn"
)

// decoder turns a resolved node tree into an Experiment, collecting every
// problem instead of stopping at the first.
type decoder struct {
	errs ErrorList
	// suggested records, per mapping, the keys offered by "did you mean", so
	// that a misspelt required key is not also reported missing.
	suggested map[*node][]string
}

func (d *decoder) errorf(n *node, format string, args ...any) {
	if n.use != nil {
		format += " (in %s)"
		args = append(args, n.use)
	}
	d.errs.add(n.pos, format, args...)
}

// field is one key of a mapping and its value.
type field struct{ key, val *node }

// fields checks that n is a mapping whose keys are all in allowed and given
// once, and returns its fields by key. path names n in messages.
func (d *decoder) fields(n *node, path string, allowed ...string) map[string]field {
	out := map[string]field{}
	if n == nil || n.isNull() {
		return out
	}
	if !n.isMap() {
		d.errorf(n, "%s must be a mapping (key: value lines), got %s", path, n.describe())
		return out
	}
	for i := 0; i+1 < len(n.content); i += 2 {
		k, v := n.content[i], n.content[i+1]
		if prev, dup := out[k.value]; dup {
			d.errorf(k, "%s: key given twice (first at line %d)", join(path, k.value), prev.key.pos.Line)
			continue
		}
		if !slices.Contains(allowed, k.value) {
			d.errorf(k, "%s: unknown key%s", join(path, k.value), didYouMean(k.value, allowed))
			if s := suggest(k.value, allowed); s != "" {
				if d.suggested == nil {
					d.suggested = map[*node][]string{}
				}
				d.suggested[n] = append(d.suggested[n], s)
			}
			continue
		}
		out[k.value] = field{k, v}
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// intVal reads a whole number in [lo, hi].
func (d *decoder) intVal(n *node, path string, lo, hi int64) (int64, bool) {
	if !n.isScalar() || (n.tag != "!!int" && n.tag != "!!float") {
		d.errorf(n, "%s must be a whole number, got %s", path, n.describe())
		return 0, false
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(n.value, "_", ""), 0, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(strings.ReplaceAll(n.value, "_", ""), 64)
		switch {
		case (ferr == nil || errors.Is(ferr, strconv.ErrRange)) && f == math.Trunc(f) && f > float64(hi):
			// A whole number too large to hold (1e30): say so, not that it
			// is not whole.
			d.errorf(n, "%s must be ≤ %d, got %s", path, hi, n.value)
			return 0, false
		case (ferr == nil || errors.Is(ferr, strconv.ErrRange)) && f == math.Trunc(f) && f < float64(lo):
			d.errorf(n, "%s must be ≥ %d, got %s", path, lo, n.value)
			return 0, false
		case ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62:
			d.errorf(n, "%s must be a whole number, got %s", path, n.value)
			return 0, false
		}
		v = int64(f)
	}
	if v < lo {
		d.errorf(n, "%s must be ≥ %d, got %d", path, lo, v)
		return 0, false
	}
	if v > hi {
		d.errorf(n, "%s must be ≤ %d, got %d", path, hi, v)
		return 0, false
	}
	return v, true
}

func (d *decoder) intField(f map[string]field, key, path string, def int, lo, hi int64) int {
	fl, ok := f[key]
	if !ok {
		return def
	}
	v, ok := d.intVal(fl.val, join(path, key), lo, hi)
	if !ok {
		return def
	}
	return int(v)
}

// floatVal reads a finite number.
func (d *decoder) floatVal(n *node, path string) (float64, bool) {
	if !n.isScalar() || (n.tag != "!!int" && n.tag != "!!float") {
		d.errorf(n, "%s must be a number, got %s", path, n.describe())
		return 0, false
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(n.value, "_", ""), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		d.errorf(n, "%s must be a finite number, got %s", path, n.value)
		return 0, false
	}
	return v, true
}

// Ranges of float fields.
type floatRange int

const (
	positive      floatRange = iota // > 0
	nonNegative                     // ≥ 0
	unitOpen                        // 0 ≤ x < 1
	unitExclusive                   // 0 < x < 1
	unitClosed                      // 0 ≤ x ≤ 1
)

func (d *decoder) floatField(f map[string]field, key, path string, def float64, r floatRange) float64 {
	fl, ok := f[key]
	if !ok {
		return def
	}
	p := join(path, key)
	v, ok := d.floatVal(fl.val, p)
	if !ok {
		return def
	}
	bad := ""
	switch r {
	case positive:
		if v <= 0 {
			bad = "> 0"
		}
	case nonNegative:
		if v < 0 {
			bad = "≥ 0"
		}
	case unitOpen:
		if v < 0 || v >= 1 {
			bad = "in [0, 1)"
		}
	case unitExclusive:
		if v <= 0 || v >= 1 {
			bad = "in (0, 1)"
		}
	case unitClosed:
		if v < 0 || v > 1 {
			bad = "in [0, 1]"
		}
	}
	if bad != "" {
		d.errorf(fl.val, "%s must be %s, got %s", p, bad, fl.val.value)
		return def
	}
	return v
}

func (d *decoder) boolField(f map[string]field, key, path string, def bool) bool {
	fl, ok := f[key]
	if !ok {
		return def
	}
	if !fl.val.isScalar() || fl.val.tag != "!!bool" {
		d.errorf(fl.val, "%s must be true or false, got %s", join(path, key), fl.val.describe())
		return def
	}
	b, _ := strconv.ParseBool(strings.ToLower(fl.val.value))
	switch strings.ToLower(fl.val.value) {
	case "yes", "on", "y":
		b = true
	}
	return b
}

// text reads any scalar as text.
func (d *decoder) text(n *node, path string) (string, bool) {
	if !n.isScalar() || n.isNull() {
		d.errorf(n, "%s must be text, got %s", path, n.describe())
		return "", false
	}
	return n.value, true
}

func (d *decoder) textField(f map[string]field, key, path, def string) string {
	fl, ok := f[key]
	if !ok {
		return def
	}
	s, ok := d.text(fl.val, join(path, key))
	if !ok {
		return def
	}
	return s
}

// enumVal reads one of choices; what names the choices in the message
// ("data set", "optimizer").
func (d *decoder) enumVal(n *node, path, what string, choices []string) (string, bool) {
	s, ok := d.text(n, path)
	if !ok {
		return "", false
	}
	if !slices.Contains(choices, s) {
		d.errorf(n, "%s: unknown %s %q%s", path, what, s, didYouMean(s, choices))
		return "", false
	}
	return s, true
}

func (d *decoder) enumField(f map[string]field, key, path, what, def string, choices []string) string {
	fl, ok := f[key]
	if !ok {
		return def
	}
	s, ok := d.enumVal(fl.val, join(path, key), what, choices)
	if !ok {
		return def
	}
	return s
}

// enumField is d.enumField for a field of a string kind K: one of choices,
// or def.
func enumField[K ~string](d *decoder, f map[string]field, key, path, what string, def K, choices ...K) K {
	return K(d.enumField(f, key, path, what, string(def), kindStrings(choices)))
}

// enumVal is d.enumVal for a value of a string kind K.
func enumVal[K ~string](d *decoder, n *node, path, what string, choices ...K) (K, bool) {
	s, ok := d.enumVal(n, path, what, kindStrings(choices))
	return K(s), ok
}

// kindStrings returns kinds as strings.
func kindStrings[K ~string](kinds []K) []string {
	s := make([]string, len(kinds))
	for i, k := range kinds {
		s[i] = string(k)
	}
	return s
}

// kindAndParams reads a one-key mapping {kind: {params}} or a bare kind. It
// returns the kind node and the params node (nil for a bare kind).
func (d *decoder) kindAndParams(n *node, path, what string) (kind *node, params *node, ok bool) {
	switch {
	case n.isScalar() && !n.isNull():
		return n, nil, true
	case n.isMap() && len(n.content) == 2:
		return n.content[0], n.content[1], true
	case n.isMap() && len(n.content) > 2:
		var keys []string
		for i := 0; i < len(n.content); i += 2 {
			keys = append(keys, n.content[i].value)
		}
		// A --set that names another kind inside this entry (train.optimizer.sgd.lr=0.1
		// over adam) adds a key rather than replacing the kind.
		for i := 2; i < len(n.content); i += 2 {
			if k := n.content[i]; k.pos.Line == 0 && strings.HasPrefix(k.pos.File, "--set ") && k.pos.File != n.pos.File {
				d.errorf(k, "%s: one %s per entry, and this adds %s beside %s; to replace the %s, set the whole entry, e.g. --set '%s={%s: {…}}'",
					path, what, k.value, keys[0], what, path, k.value)
				return nil, nil, false
			}
		}
		d.errorf(n, "%s: one %s per entry, found keys %s (are its parameters indented under %s:?)", path, what, strings.Join(keys, ", "), keys[0])
		return nil, nil, false
	}
	d.errorf(n, "%s must name a %s, got %s", path, what, n.describe())
	return nil, nil, false
}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// decodeExperiment checks every value of a resolved tree (without sweep) and
// fills in defaults. file is the top file; its dir anchors relative paths.
func decodeExperiment(root *node, file string) (*Experiment, ErrorList) {
	d := &decoder{}
	e := &Experiment{File: file}
	top := d.fields(root, "", formatKeys()...)
	e.Name = d.textField(top, "name", "", strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)))
	if err := CheckName(e.Name); err != nil {
		if f, ok := top["name"]; ok {
			d.errorf(f.val, "name %q: %v; e.g. name: %s", e.Name, err, SuggestName(e.Name))
		} else {
			d.errorf(root, "without name:, the experiment is named after its file, %q: %v; add a name, e.g. name: %s", e.Name, err, SuggestName(e.Name))
		}
	}
	e.Description = d.textField(top, "description", "", "")
	_, hasData := top["data"]
	if !hasData {
		d.errorf(root, "data: missing; name the images to use, e.g. data: {set: mnist}")
	}
	inputOK := d.data(top["data"], &e.Data)
	before := len(d.errs)
	if m := top["model"].val; m != nil && m.isSeq() {
		// The uses of blocks are replaced by copies of their layers, in a
		// copy of the model: the tree keeps them for later points and sets.
		defs := d.blockDefs(top["blocks"])
		model := top["model"]
		model.val = m.clone()
		budget := maxNodes
		d.expandBlocks(model.val, "model", defs, nil, 0, &budget)
		top["model"] = model
	} else {
		d.blockDefs(top["blocks"])
	}
	d.model(top["model"], root, e)
	e.unchecked = !hasData || !inputOK || len(d.errs) > before
	d.train(top["train"], &e.Train)
	d.report(top["report"], &e.Report)
	if e.Data.Split.Val == 0 && e.Train.EarlyStop != nil && !e.unchecked {
		at := top["train"].val.get("early_stop")
		d.errorf(at, "train.early_stop watches the validation images, but data.split.val is 0; keep some (e.g. val: 5000) or drop early_stop")
	}
	if n := e.Data.Split.Train; n > 0 && e.Train.Batch > n {
		at := root
		if t := top["train"].val; t != nil && t.get("batch") != nil {
			at = t.get("batch")
		}
		d.errorf(at, "train.batch %d is larger than the %d training images (data.split.train): an epoch would be one step; use a batch of at most %d", e.Train.Batch, n, n)
	}
	return e, d.errs
}

// data decodes the data: mapping into data; inputOK reports whether what
// gives the input's shape and place (set, path, size, channels) decoded
// without error.
func (d *decoder) data(fl field, data *Data) (inputOK bool) {
	const p = "data"
	f := d.fields(fl.val, p, formatKeys("data")...)
	start := len(d.errs) // an unknown key of data: is no reason to leave shapes unchecked
	sets := kindStrings([]SetName{SetMNIST, SetFashionMNIST, SetCIFAR10, SetFolder})
	setField, hasSet := f["set"]
	if !hasSet && fl.key != nil {
		d.errorf(fl.key, "data: missing set (one of %s)", strings.Join(sets, ", "))
	}
	data.Set = SetName(d.enumField(f, "set", p, "data set", "", sets))
	builtin, isBuiltin := BuiltinSets[data.Set]
	switch {
	case isBuiltin:
		data.Size, data.Channels = builtin.Size, builtin.Channels
		for _, k := range []string{"path", "size", "channels"} {
			if x, ok := f[k]; ok {
				want := map[string]string{"size": strconv.Itoa(builtin.Size), "channels": strconv.Itoa(builtin.Channels)}[k]
				if k == "path" || x.val.value != want {
					d.errorf(x.key, "data.%s: %s is fixed for %s (%d×%d×%d); it is chosen only for set: folder", k, k, data.Set, builtin.Size, builtin.Size, builtin.Channels)
				}
			}
		}
	case data.Set == SetFolder:
		for _, k := range []string{"path", "size", "channels"} {
			if _, ok := f[k]; !ok {
				d.errorf(setField.val, "data: set: folder needs %s", k)
			}
		}
		if x, ok := f["path"]; ok {
			if s, ok := d.text(x.val, "data.path"); ok {
				if !filepath.IsAbs(s) {
					// Relative to the file that wrote it.
					s = filepath.Join(filepath.Dir(x.val.pos.File), s)
					if abs, err := filepath.Abs(s); err == nil {
						s = abs
					}
				}
				data.Path = s
			}
		}
		data.Size = d.intField(f, "size", p, 0, 1, 4096)
		if x, ok := f["channels"]; ok {
			if v, ok := d.intVal(x.val, "data.channels", 1, 3); ok {
				if v == 2 {
					d.errorf(x.val, "data.channels must be 1 (gray) or 3 (RGB), got 2")
				}
				data.Channels = int(v)
			}
		}
	}
	inputOK = len(d.errs) == start && data.Set != ""

	sf := d.fields(f["split"].val, "data.split", formatKeys("data", "split")...)
	sp := &data.Split
	if isBuiltin {
		sp.Val = d.intField(sf, "val", "data.split", 5000, 0, int64(builtin.Train-1))
		sp.Train = d.intField(sf, "train", "data.split", builtin.Train-sp.Val, 1, int64(builtin.Train))
		sp.Test = d.intField(sf, "test", "data.split", builtin.Test, 1, int64(builtin.Test))
		if sp.Train+sp.Val > builtin.Train {
			at := f["split"].val
			d.errorf(at, "data.split: train %d + val %d = %d is more than the %d training images of %s", sp.Train, sp.Val, sp.Train+sp.Val, builtin.Train, data.Set)
		}
	} else if data.Set == SetFolder {
		for _, k := range []string{"val", "test"} {
			if _, ok := sf[k]; !ok {
				at := setField.val
				if s := f["split"].key; s != nil {
					at = s
				}
				d.errorf(at, "data.split: set: folder needs split.%s (images carved from the folder)", k)
			}
		}
		sp.Train = d.intField(sf, "train", "data.split", 0, 0, 1<<31-1)
		sp.Val = d.intField(sf, "val", "data.split", 0, 0, 1<<31-1)
		sp.Test = d.intField(sf, "test", "data.split", 0, 1, 1<<31-1)
	} else {
		// An unknown or missing set: the split's values are still checked,
		// so that all their problems show at once.
		sp.Train = d.intField(sf, "train", "data.split", 0, 0, 1<<31-1)
		sp.Val = d.intField(sf, "val", "data.split", 0, 0, 1<<31-1)
		sp.Test = d.intField(sf, "test", "data.split", 0, 0, 1<<31-1)
	}

	data.Preprocess = PreprocessMinMax
	if x, ok := f["preprocess"]; ok {
		if x.val.isSeq() {
			d.errorf(x.val, "data.preprocess takes one value (minmax, standardize or none), not a list")
		} else {
			data.Preprocess = enumField(d, f, "preprocess", p, "preprocessing", PreprocessMinMax, PreprocessMinMax, PreprocessStandardize, PreprocessNone)
		}
	}
	if x, ok := f["augment"]; ok && !x.val.isNull() {
		if !x.val.isSeq() {
			d.errorf(x.val, "data.augment must be a list, e.g. [flip, {crop: {pad: 4}}], got %s", x.val.describe())
			return
		}
		for i, item := range x.val.content {
			ip := fmt.Sprintf("data.augment[%d]", i)
			kn, params, ok := d.kindAndParams(item, ip, "augmentation")
			if !ok {
				continue
			}
			kind, ok := enumVal(d, kn, ip, "augmentation", AugmentFlip, AugmentCrop, AugmentCutout)
			if !ok {
				continue
			}
			a := Augment{Kind: kind}
			pp := ip + "." + string(kind)
			switch kind {
			case AugmentFlip:
				pf := d.fields(params, pp, formatKeys("data", "augment", string(kind))...)
				a.Alternate = d.boolField(pf, "alternate", pp, false)
				if isBuiltin && builtin.Digits {
					d.errorf(kn, "%s: a horizontal flip turns digits into other shapes; not for %s", ip, data.Set)
				}
			case AugmentCrop:
				pf := d.fields(params, pp, formatKeys("data", "augment", string(kind))...)
				a.Pad = d.intField(pf, "pad", pp, 4, 1, 1024)
				a.Reflect = d.boolField(pf, "reflect", pp, false)
				if data.Size > 0 && a.Pad >= data.Size {
					d.errorf(kn, "%s: pad %d must be smaller than the %d-pixel image", ip, a.Pad, data.Size)
				}
			case AugmentCutout:
				pf := d.fields(params, pp, formatKeys("data", "augment", string(kind))...)
				a.Size = d.intField(pf, "size", pp, 8, 1, 4096)
				if data.Size > 0 && a.Size > data.Size {
					d.errorf(kn, "%s: size %d is larger than the %d-pixel image", ip, a.Size, data.Size)
				}
			}
			data.Augment = append(data.Augment, a)
		}
	}
	return inputOK
}

// layerKindNames lists the layer kinds of package nn's table, in its order.
func layerKindNames() []string {
	var out []string
	for _, k := range nn.Kinds() {
		out = append(out, string(k.Kind))
	}
	return out
}

// activationNames lists the kinds an activation: shortcut may name.
func activationNames() []string { return kindStrings(nn.ActivationKinds()) }

func (d *decoder) model(fl field, root *node, e *Experiment) {
	if fl.val == nil || fl.val.isNull() {
		at := root
		if fl.key != nil {
			at = fl.key
		}
		d.errorf(at, "model: missing; list the layers, e.g. [{conv: {filters: 8, kernel: 3}}, relu, flatten, {dense: {units: 10}}]")
		return
	}
	if !fl.val.isSeq() {
		d.errorf(fl.val, "model must be a list of layers, got %s", fl.val.describe())
		return
	}
	if len(fl.val.content) == 0 {
		d.errorf(fl.val, "model: the list of layers is empty")
		return
	}
	e.Model = d.layerList(fl.val.content, "model", 0)
}

// maxNesting bounds how deeply lists of layers nest (residual blocks within
// residual blocks), as package nn does.
const maxNesting = 32

// layerList decodes a list of layers (the model, or a list nested in a
// layer), names its unnamed layers and checks that its names are unique.
// p names the list in messages ("model", "model[2].residual.body").
func (d *decoder) layerList(items []*node, p string, depth int) []Layer {
	var out []Layer
	names := map[string]*node{}
	for i, item := range items {
		ip := fmt.Sprintf("%s[%d]", p, i)
		kn, params, ok := d.kindAndParams(item, ip, "layer kind")
		if !ok {
			continue
		}
		kind, ok := d.enumVal(kn, ip, "layer kind", layerKindNames())
		if !ok {
			continue
		}
		l := d.layer(nn.LookupKind(nn.Kind(kind)), kn, params, ip+"."+kind, depth)
		l.At = item.pos
		if item.use != nil {
			l.Use = item.use.String()
		}
		if l.Name != "" {
			if prev, dup := names[l.Name]; dup {
				d.errorf(params.get("name"), "%s: layer name %q is already used at line %d", ip, l.Name, prev.pos.Line)
			}
			names[l.Name] = item
		}
		out = append(out, l)
	}
	// Name unnamed layers as package nn does: the k-th layer of a kind is
	// called kind+k (pool for both poolings, bn for batchnorm), skipping
	// names already taken.
	count := map[string]int{}
	for i := range out {
		l := &out[i]
		prefix := namePrefix(l.Kind)
		count[prefix]++
		if l.Name != "" {
			continue
		}
		for k := count[prefix]; ; k++ {
			n := fmt.Sprintf("%s%d", prefix, k)
			if _, taken := names[n]; !taken {
				l.Name = n
				names[n] = nil
				break
			}
		}
	}
	return out
}

// namePrefix is the stem of the names given to unnamed layers.
func namePrefix(kind nn.Kind) string { return nn.LookupKind(kind).Prefix() }

// layer decodes the settings of one layer of kind k by the keys of its table
// entry, filling in their defaults.
func (d *decoder) layer(k *nn.LayerKind, kindNode, params *node, p string, depth int) Layer {
	l := Layer{Kind: k.Kind, Values: map[string]nn.Value{}}
	allowed := make([]string, 0, len(k.Keys)+1)
	for _, key := range k.Keys {
		allowed = append(allowed, key.Name)
	}
	f := d.fields(params, p, append(allowed, "name")...)
	if x, ok := f["name"]; ok {
		if s, ok := d.text(x.val, p+".name"); ok {
			if !namePattern.MatchString(s) {
				d.errorf(x.val, "%s.name %q: use letters, digits, '-', '_' and '.'", p, s)
			} else {
				l.Name = s
			}
		}
	}
	for _, key := range k.Keys {
		if _, ok := f[key.Name]; key.Required && !ok && !slices.Contains(d.suggested[params], key.Name) {
			at := params
			if at == nil || !at.isMap() {
				at = kindNode
			}
			d.errorf(at, "%s: missing %s", p, key.Name)
		}
	}
	for _, key := range k.Keys {
		def := key.Default
		if key.DefaultFrom != "" {
			def = l.Values[key.DefaultFrom]
		}
		if key.Type == nn.KeyLayers {
			l.Values[key.Name] = nn.Value{}
			if l.Lists == nil {
				l.Lists = map[string][]Layer{}
			}
			l.Lists[key.Name] = d.nestedList(f, key, p, depth)
			continue
		}
		l.Values[key.Name] = d.keyValue(f, key, p, def)
	}
	return l
}

// nestedList decodes the list of layers of a key of type nn.KeyLayers; an
// absent or empty list is no layers.
func (d *decoder) nestedList(f map[string]field, key nn.Key, p string, depth int) []Layer {
	fl, ok := f[key.Name]
	if !ok || fl.val.isNull() {
		return nil
	}
	kp := join(p, key.Name)
	if !fl.val.isSeq() {
		d.errorf(fl.val, "%s must be a list of layers, e.g. [{conv: {filters: 8, kernel: 3}}, relu], got %s", kp, fl.val.describe())
		return nil
	}
	if len(fl.val.content) < int(key.Min) {
		d.errorf(fl.val, "%s: the list of layers is empty; it needs at least %d", kp, int(key.Min))
		return nil
	}
	if depth+1 >= maxNesting {
		d.errorf(fl.val, "%s: layers nested more than %d deep", kp, maxNesting)
		return nil
	}
	return d.layerList(fl.val.content, kp, depth+1)
}

// keyValue decodes the value of key from f, or returns def when it is absent
// or wrong (the problem is reported).
func (d *decoder) keyValue(f map[string]field, key nn.Key, p string, def nn.Value) nn.Value {
	switch key.Type {
	case nn.KeyInt:
		return nn.Value{Int: d.intField(f, key.Name, p, def.Int, int64(key.Min), int64(key.Max))}
	case nn.KeyFloat:
		return nn.Value{Float: d.boundedFloatField(f, key, p, def.Float)}
	case nn.KeyBool:
		return nn.Value{Bool: d.boolField(f, key.Name, p, def.Bool)}
	case nn.KeyEnum:
		return nn.Value{Text: d.enumField(f, key.Name, p, key.What, def.Text, key.Choices)}
	case nn.KeyActivation:
		return nn.Value{Text: d.enumField(f, key.Name, p, "activation", def.Text, activationNames())}
	case nn.KeySize2:
		return d.size2(f, key.Name, p, def, int64(key.Min), int64(key.Max))
	case nn.KeyPadding:
		return d.padding(f, key.Name, p, int64(key.Min), int64(key.Max))
	}
	panic(fmt.Sprintf("experiments: key %s of unknown type %d", key.Name, key.Type))
}

// boundedFloatField reads a float key within the key's bounds.
func (d *decoder) boundedFloatField(f map[string]field, key nn.Key, path string, def float64) float64 {
	fl, ok := f[key.Name]
	if !ok {
		return def
	}
	p := join(path, key.Name)
	v, ok := d.floatVal(fl.val, p)
	if !ok {
		return def
	}
	low := v < key.Min || (key.MinOpen && v == key.Min)
	high := v > key.Max || (key.MaxOpen && v == key.Max)
	if low || high {
		d.errorf(fl.val, "%s must be %s, got %s", p, boundsText(key), fl.val.value)
		return def
	}
	return v
}

// boundsText writes a float key's bounds as messages give them: "> 0",
// "≥ 0", "in [0, 1)".
func boundsText(key nn.Key) string {
	g := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	if math.IsInf(key.Max, 1) {
		if key.MinOpen {
			return "> " + g(key.Min)
		}
		return "≥ " + g(key.Min)
	}
	lb, rb := "[", "]"
	if key.MinOpen {
		lb = "("
	}
	if key.MaxOpen {
		rb = ")"
	}
	return "in " + lb + g(key.Min) + ", " + g(key.Max) + rb
}

// size2 reads a height and a width in [lo, hi]: one number for both, or
// [height, width].
func (d *decoder) size2(f map[string]field, key, p string, def nn.Value, lo, hi int64) nn.Value {
	fl, ok := f[key]
	if !ok {
		return def
	}
	kp := join(p, key)
	n := fl.val
	if n.isSeq() {
		if len(n.content) != 2 {
			d.errorf(n, "%s must be one number or [height, width], got %d numbers", kp, len(n.content))
			return def
		}
		h, ok1 := d.intVal(n.content[0], kp+"[0]", lo, hi)
		w, ok2 := d.intVal(n.content[1], kp+"[1]", lo, hi)
		if !ok1 || !ok2 {
			return def
		}
		return nn.Value{H: int(h), W: int(w)}
	}
	v, ok := d.intVal(n, kp, lo, hi)
	if !ok {
		return def
	}
	return nn.Value{H: int(v), W: int(v)}
}

// padding reads a padding: valid, same, or explicit pixels in [lo, hi] on
// each side (one number, or [height, width]: H above and below, W left and
// right), as a Value with the mode in Text.
func (d *decoder) padding(f map[string]field, key, p string, lo, hi int64) nn.Value {
	fl, ok := f[key]
	if !ok {
		return nn.Value{Text: string(nn.PadValid)}
	}
	kp := join(p, key)
	n := fl.val
	switch {
	case n.isScalar() && n.tag == "!!int":
		v, ok := d.intVal(n, kp, lo, hi)
		if !ok {
			return nn.Value{Text: string(nn.PadValid)}
		}
		return nn.Value{Text: string(nn.PadExplicit), H: int(v), W: int(v)}
	case n.isSeq():
		if len(n.content) != 2 {
			d.errorf(n, "%s must be valid, same, a number of pixels or [height, width] pixels, got %d numbers", kp, len(n.content))
			return nn.Value{Text: string(nn.PadValid)}
		}
		h, ok1 := d.intVal(n.content[0], kp+"[0]", lo, hi)
		w, ok2 := d.intVal(n.content[1], kp+"[1]", lo, hi)
		if !ok1 || !ok2 {
			return nn.Value{Text: string(nn.PadValid)}
		}
		return nn.Value{Text: string(nn.PadExplicit), H: int(h), W: int(w)}
	}
	mode, ok := d.enumVal(n, kp, "padding", []string{string(nn.PadValid), string(nn.PadSame)})
	if !ok {
		return nn.Value{Text: string(nn.PadValid)}
	}
	return nn.Value{Text: mode}
}

func (d *decoder) train(fl field, t *Train) {
	const p = "train"
	f := d.fields(fl.val, p, formatKeys("train")...)
	t.Epochs = d.intField(f, "epochs", p, 10, 1, 100_000)
	t.Batch = d.intField(f, "batch", p, 64, 1, 1<<16)
	t.L2 = d.floatField(f, "l2", p, 0, nonNegative)
	t.Seed = int64(d.intField(f, "seed", p, 1, 0, 1<<53))
	t.ClipNorm = d.floatField(f, "clip_norm", p, 0, nonNegative)
	t.LabelSmoothing = d.floatField(f, "label_smoothing", p, 0, unitOpen)

	o := &t.Optimizer
	o.Kind = OptAdam
	var of map[string]field
	op := p + ".optimizer"
	if x, ok := f["optimizer"]; ok {
		kn, params, ok := d.kindAndParams(x.val, op, "optimizer")
		if ok {
			if k, ok := enumVal(d, kn, op, "optimizer", OptSGD, OptAdam, OptAdamW); ok {
				o.Kind = k
				op += "." + string(k)
				of = d.fields(params, op, formatKeys("train", "optimizer", string(k))...)
			}
		}
	}
	switch o.Kind {
	case OptSGD:
		o.LR = d.floatField(of, "lr", op, 0.01, positive)
		o.Momentum = d.floatField(of, "momentum", op, 0, unitOpen)
		o.Nesterov = d.boolField(of, "nesterov", op, false)
		if o.Nesterov && o.Momentum == 0 {
			d.errorf(of["nesterov"].val, "%s.nesterov needs a momentum > 0", op)
		}
	case OptAdam, OptAdamW:
		o.LR = d.floatField(of, "lr", op, 0.001, positive)
		o.Beta1 = d.floatField(of, "beta1", op, 0.9, unitExclusive)
		o.Beta2 = d.floatField(of, "beta2", op, 0.999, unitExclusive)
		o.Eps = d.floatField(of, "eps", op, 1e-8, positive)
		if o.Kind == OptAdamW {
			o.WeightDecay = d.floatField(of, "weight_decay", op, 0.01, nonNegative)
		}
	}

	s := &t.Schedule
	s.Kind = ScheduleConstant
	if x, ok := f["schedule"]; ok {
		sp := p + ".schedule"
		kn, params, ok := d.kindAndParams(x.val, sp, "schedule")
		if ok {
			if k, ok := enumVal(d, kn, sp, "schedule", ScheduleConstant, ScheduleStep, ScheduleCosine, ScheduleTriangle); ok {
				s.Kind = k
				sp += "." + string(k)
				var sf map[string]field
				if k == ScheduleStep {
					sf = d.fields(params, sp, formatKeys("train", "schedule", string(k))...)
					if _, ok := sf["every"]; !ok {
						if params == nil {
							d.errorf(kn, "%s: missing every (write {step: {every: 5, factor: 0.1}})", sp)
						} else {
							d.errorf(params, "%s: missing every", sp)
						}
					}
					s.Every = d.intField(sf, "every", sp, 1, 1, 100_000)
					s.Factor = d.floatField(sf, "factor", sp, 0.1, unitExclusive)
				} else if k == ScheduleTriangle {
					sf = d.fields(params, sp, formatKeys("train", "schedule", string(k))...)
					s.Start = d.floatField(sf, "start", sp, 0.2, nonNegative)
					s.Peak = d.floatField(sf, "peak", sp, 0.25, unitClosed)
					s.End = d.floatField(sf, "end", sp, 0, nonNegative)
				} else {
					sf = d.fields(params, sp, formatKeys("train", "schedule", string(k))...)
				}
				s.Warmup = d.intField(sf, "warmup", sp, 0, 0, 100_000)
				if w, ok := sf["warmup"]; ok && s.Warmup >= t.Epochs && t.Epochs > 0 {
					d.errorf(w.val, "%s.warmup (%d epochs) must be shorter than train.epochs (%d)", sp, s.Warmup, t.Epochs)
				}
			}
		}
	}

	t.Groups = Groups{Biases: DefaultGroup, Norm: DefaultGroup}
	gf := d.fields(f["groups"].val, p+".groups", formatKeys("train", "groups")...)
	for _, g := range []struct {
		name string
		to   *Group
	}{{"biases", &t.Groups.Biases}, {"norm", &t.Groups.Norm}} {
		gp := p + ".groups." + g.name
		ff := d.fields(gf[g.name].val, gp, formatKeys("train", "groups", g.name)...)
		g.to.LRScale = d.floatField(ff, "lr_scale", gp, 1, positive)
		g.to.Decay = d.floatField(ff, "decay", gp, 0, nonNegative)
	}
	if x, ok := f["average"]; ok && !x.val.isNull() {
		ap := p + ".average"
		kn, params, ok := d.kindAndParams(x.val, ap, "weight average")
		if ok {
			if k, ok := enumVal(d, kn, ap, "weight average", AverageEMA, AverageLookahead); ok {
				ap += "." + string(k)
				af := d.fields(params, ap, formatKeys("train", "average", string(k))...)
				defDecay, defEvery := 0.99, 1
				if k == AverageLookahead {
					defDecay, defEvery = 0.95, 5
				}
				t.Average = &Average{Kind: k,
					Decay: d.floatField(af, "decay", ap, defDecay, unitOpen),
					Every: d.intField(af, "every", ap, defEvery, 1, 1<<30),
					Power: d.floatField(af, "power", ap, 0, nonNegative),
				}
				if t.Average.Power > 100 {
					d.errorf(af["power"].val, "%s.power must be at most 100, got %v", ap, t.Average.Power)
				}
			}
		}
	}
	t.TTA = enumField(d, f, "tta", p, "test-time augmentation", TTANone, TTANone, TTAFlip, TTATranslate)
	t.TTAEpochs = enumField(d, f, "tta_epochs", p, "epochs of test-time augmentation", TTAEveryEpoch, TTAEveryEpoch, TTALastEpoch)

	if x, ok := f["early_stop"]; ok && !x.val.isNull() {
		ep := p + ".early_stop"
		ef := d.fields(x.val, ep, formatKeys("train", "early_stop")...)
		es := &EarlyStop{}
		es.Metric = enumField(d, ef, "metric", ep, "metric", MetricValAcc, MetricValAcc, MetricValLoss)
		if _, ok := ef["patience"]; !ok && x.val.isMap() {
			d.errorf(x.val, "%s: missing patience (epochs without improvement before stopping)", ep)
		}
		es.Patience = d.intField(ef, "patience", ep, 1, 1, 100_000)
		t.EarlyStop = es
	}
}

func (d *decoder) report(fl field, r *Report) {
	const p = "report"
	f := d.fields(fl.val, p, formatKeys("report")...)
	r.Gallery = d.intField(f, "gallery", p, 24, 0, 1000)
	ff := d.fields(f["feature_maps"].val, p+".feature_maps", formatKeys("report", "feature_maps")...)
	r.FeatureMaps.Images = d.intField(ff, "images", p+".feature_maps", 4, 0, 64)
}
