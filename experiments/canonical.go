package experiments

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/cnnlab/cnnlab/nn"
	"gopkg.in/yaml.v3"
)

// ResolvedYAML writes the experiment as canonical YAML: no extends, no
// sweep, every default explicit, keys in a fixed order. It is what a run
// saves and hashes; loading it gives back the same Experiment. For a sweep,
// call it on a point's Experiment.
func (e *Experiment) ResolvedYAML() ([]byte, error) {
	if e.Sweep != nil {
		return nil, fmt.Errorf("%s: ResolvedYAML describes one run; call it on a point of the sweep", e.File)
	}
	root := mapping(false,
		"name", str(e.Name),
		"description", str(e.Description),
		"data", e.Data.yamlNode(),
		"model", modelNode(e.Model),
		"train", e.Train.yamlNode(),
		"report", mapping(false,
			"gallery", integer(e.Report.Gallery),
			"feature_maps", mapping(true, "images", integer(e.Report.FeatureMaps.Images))),
	)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("%s: write resolved YAML: %w", e.File, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("%s: write resolved YAML: %w", e.File, err)
	}
	return buf.Bytes(), nil
}

func (d Data) yamlNode() *yaml.Node {
	kv := []any{"set", str(string(d.Set))}
	if d.Set == SetFolder {
		kv = append(kv, "path", str(d.Path))
	}
	kv = append(kv,
		"size", integer(d.Size),
		"channels", integer(d.Channels),
		"split", mapping(true, "train", integer(d.Split.Train), "val", integer(d.Split.Val), "test", integer(d.Split.Test)),
		"preprocess", str(string(d.Preprocess)),
	)
	aug := seq(true)
	for _, a := range d.Augment {
		switch a.Kind {
		case AugmentCrop:
			kv := []any{"pad", integer(a.Pad)}
			if a.Reflect { // written only when set, so that earlier run ids stay
				kv = append(kv, "reflect", boolean(true))
			}
			aug.Content = append(aug.Content, mapping(true, string(a.Kind), mapping(true, kv...)))
		case AugmentFlip:
			if a.Alternate {
				aug.Content = append(aug.Content, mapping(true, string(a.Kind), mapping(true, "alternate", boolean(true))))
			} else {
				aug.Content = append(aug.Content, str(string(a.Kind)))
			}
		case AugmentCutout:
			aug.Content = append(aug.Content, mapping(true, string(a.Kind), mapping(true, "size", integer(a.Size))))
		default:
			aug.Content = append(aug.Content, str(string(a.Kind)))
		}
	}
	kv = append(kv, "augment", aug)
	return mapping(false, kv...)
}

// modelNode writes every key of each layer in the order of its kind's table
// entry, then its name; an activation shortcut only when there is one.
//
// A kind with nested lists of layers (residual) writes its settings in
// block style, its lists as modelNode does; the other kinds keep the flow
// style that run ids of earlier results hash.
func modelNode(layers []Layer) *yaml.Node {
	out := seq(false)
	for _, l := range layers {
		var kv []any
		flow := true
		for _, key := range nn.LookupKind(l.Kind).Keys {
			v := l.Values[key.Name]
			if key.OmitDefault && v == key.Default {
				continue // a later key at its default: earlier run ids stay
			}
			var n *yaml.Node
			switch key.Type {
			case nn.KeyInt:
				n = integer(v.Int)
			case nn.KeyFloat:
				n = float(v.Float)
			case nn.KeyBool:
				n = boolean(v.Bool)
			case nn.KeyEnum:
				n = str(v.Text)
			case nn.KeyActivation:
				if v.Text == "" {
					continue
				}
				n = str(v.Text)
			case nn.KeySize2:
				n = size2(v)
			case nn.KeyPadding:
				n = paddingNode(v)
			case nn.KeyLayers:
				n, flow = modelNode(l.Lists[key.Name]), false
				if len(n.Content) == 0 {
					n.Style = yaml.FlowStyle // []
				}
			default:
				panic(fmt.Sprintf("experiments: key %s of unknown type %d", key.Name, key.Type))
			}
			kv = append(kv, key.Name, n)
		}
		kv = append(kv, "name", str(l.Name))
		out.Content = append(out.Content, mapping(false, string(l.Kind), mapping(flow, kv...)))
	}
	return out
}

func (t Train) yamlNode() *yaml.Node {
	o := t.Optimizer
	var okv []any
	switch o.Kind {
	case OptSGD:
		okv = []any{"lr", float(o.LR), "momentum", float(o.Momentum), "nesterov", boolean(o.Nesterov)}
	default:
		okv = []any{"lr", float(o.LR), "beta1", float(o.Beta1), "beta2", float(o.Beta2), "eps", float(o.Eps)}
		if o.Kind == OptAdamW {
			okv = append(okv, "weight_decay", float(o.WeightDecay))
		}
	}
	s := t.Schedule
	var skv []any
	switch s.Kind {
	case ScheduleStep:
		skv = []any{"every", integer(s.Every), "factor", float(s.Factor)}
	case ScheduleTriangle:
		skv = []any{"start", float(s.Start), "peak", float(s.Peak), "end", float(s.End)}
	}
	skv = append(skv, "warmup", integer(s.Warmup))
	kv := []any{
		"epochs", integer(t.Epochs),
		"batch", integer(t.Batch),
		"optimizer", mapping(true, string(o.Kind), mapping(true, okv...)),
		"schedule", mapping(true, string(s.Kind), mapping(true, skv...)),
		"l2", float(t.L2),
		"seed", integer64(t.Seed),
	}
	if t.EarlyStop != nil {
		kv = append(kv, "early_stop", mapping(true, "metric", str(string(t.EarlyStop.Metric)), "patience", integer(t.EarlyStop.Patience)))
	}
	kv = append(kv, "clip_norm", float(t.ClipNorm), "label_smoothing", float(t.LabelSmoothing))
	// The later settings are written only away from their defaults, so
	// that the run ids of earlier results stay.
	if t.Groups != (Groups{Biases: DefaultGroup, Norm: DefaultGroup}) {
		g := func(x Group) *yaml.Node {
			return mapping(true, "lr_scale", float(x.LRScale), "decay", float(x.Decay))
		}
		kv = append(kv, "groups", mapping(true, "biases", g(t.Groups.Biases), "norm", g(t.Groups.Norm)))
	}
	if a := t.Average; a != nil {
		kv = append(kv, "average", mapping(true, string(a.Kind), mapping(true,
			"decay", float(a.Decay), "every", integer(a.Every), "power", float(a.Power))))
	}
	if t.TTA != TTANone && t.TTA != "" {
		kv = append(kv, "tta", str(string(t.TTA)))
	}
	if t.TTAEpochs == TTALastEpoch {
		kv = append(kv, "tta_epochs", str(string(t.TTAEpochs)))
	}
	return mapping(false, kv...)
}

func size2(s nn.Value) *yaml.Node {
	if s.H == s.W {
		return integer(s.H)
	}
	return seqOf(integer(s.H), integer(s.W))
}

func paddingNode(p nn.Value) *yaml.Node {
	if nn.Padding(p.Text) != nn.PadExplicit {
		return str(p.Text)
	}
	if p.H == p.W {
		return integer(p.H)
	}
	return seqOf(integer(p.H), integer(p.W))
}

// mapping builds a mapping node from key, value pairs; flow writes it on one line.
func mapping(flow bool, kv ...any) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	for i := 0; i+1 < len(kv); i += 2 {
		n.Content = append(n.Content, str(kv[i].(string)), kv[i+1].(*yaml.Node))
	}
	return n
}

func seq(flow bool) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	if flow {
		n.Style = yaml.FlowStyle
	}
	return n
}

func seqOf(items ...*yaml.Node) *yaml.Node {
	n := seq(true)
	n.Content = items
	return n
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }
func integer(v int) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}
}
func integer64(v int64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}
}
func boolean(b bool) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
}

// float writes the shortest text that reads back as the same float64.
func float(v float64) *yaml.Node {
	s := strconv.FormatFloat(v, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: s}
}
