// Package arch compiles the layer list of an experiment into the layer specs
// of package nn, for the input shape of its data set: it infers every layer's
// output shape, parameter count and FLOPs, and checks what only shapes show
// (a feature map that vanishes, a dense layer on a spatial input, a last
// layer whose units differ from the number of classes).
//
// Flatten is never implicit: a dense layer after a conv or pooling layer is
// an error that asks for a flatten layer, so the written model is the model
// that runs. An `activation:` shortcut becomes a layer of its own, named
// after its layer (conv1_relu).
//
// What arch knows of each kind (its keys, the input it needs, its shape rule,
// how its parameters and FLOPs are counted, how its settings are described)
// comes from the table of layer kinds of package nn.
//
// Counting: Params are trainable values (weights, biases, batch-norm scale
// and shift; running statistics are not counted). FLOPs are per image for
// one forward pass, a multiply-add counting two: conv 2·KH·KW·Cin per output
// value (+1 for the bias), dense 2·In per unit (+1), pooling KH·KW per output
// value, batch norm 2 per value, other element-wise layers 1 per value,
// dropout and flatten 0.
//
// Beside the layers, arch translates the rest of what the engine is given
// to train: the optimizer, its learning-rate schedule and the coupled
// weight decay (Optimizer, Schedule, L2).
package arch

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/cnnlab/cnnlab/data"
	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/nn"
)

// MaxParams is the largest model compiled.
const MaxParams = 1_000_000_000

// Network is a compiled model.
type Network struct {
	Input      nn.Shape
	Classes    int      // 0 when unknown (a folder that does not exist yet)
	ClassNames []string // when known
	Specs      []nn.LayerSpec
	Layers     []Layer // one per spec, each followed by the layers nested in it
	Params     int64
	FLOPs      int64 // per image, forward pass
}

// Layer is one row of a summary.
type Layer struct {
	Name   string
	Kind   nn.Kind
	Detail string // e.g. "28@3×3 stride 1 valid"
	Output nn.Shape
	Params int64
	FLOPs  int64
	Family nn.Family // from the kind's table entry, as About
	About  string    // what the kind computes, in a line

	// Depth is 0 for a layer of the model, 1 for one nested in a block of
	// the model (a residual's body or shortcut), and so on; Branch names the
	// list of its block it is in ("body", "shortcut"), "" at depth 0. The
	// rows of a block's layers follow the block's row; its Params and FLOPs
	// include theirs.
	Depth  int
	Branch string
}

// Input returns the image shape and the class names of an experiment's data
// set. For a folder, the classes are the sub-folders of its path (of
// path/train when it holds both train and test folders, as data.LoadFolder
// reads it), or nil when the path does not exist (yet).
func Input(d experiments.Data) (nn.Shape, []string) {
	shape := nn.Shape{H: d.Size, W: d.Size, C: d.Channels}
	if b, ok := experiments.BuiltinSets[d.Set]; ok {
		return nn.Shape{H: b.Size, W: b.Size, C: b.Channels}, append([]string(nil), b.Classes...)
	}
	return shape, data.FolderClasses(d.Path)
}

// Compile turns an experiment's model into nn layer specs and checks it
// against the input shape of its data set. Problems are experiments.ErrorList
// at the line of the layer concerned.
func Compile(e *experiments.Experiment) (*Network, error) {
	var errs experiments.ErrorList
	fail := func(at experiments.Pos, format string, args ...any) (*Network, error) {
		errs = append(errs, experiments.Error{Pos: at, Msg: fmt.Sprintf(format, args...)})
		return nil, errs
	}
	if len(e.Model) == 0 {
		return fail(experiments.Pos{File: e.File}, "model: no layers")
	}
	in, classes := Input(e.Data)
	net := &Network{Input: in, ClassNames: classes, Classes: len(classes)}
	if in.H < 1 || in.W < 1 || in.C < 1 {
		return fail(experiments.Pos{File: e.File}, "data: input shape %v is not an image", in)
	}
	var c compiler
	specs, rows, cur, err := c.list(e.Model, in, "model", 0, false)
	if err != nil {
		errs = append(errs, *err)
		return nil, errs
	}
	net.Specs, net.Layers = specs, rows
	for _, r := range rows {
		if r.Depth == 0 {
			net.Params += r.Params
			net.FLOPs += r.FLOPs
		}
	}
	last := e.Model[len(e.Model)-1]
	lastSpec := net.Specs[len(net.Specs)-1]
	if last.Use != "" {
		fail = func(at experiments.Pos, format string, args ...any) (*Network, error) {
			msg := fmt.Sprintf(format, args...) + " (in " + last.Use + ")"
			errs = append(errs, experiments.Error{Pos: at, Msg: msg})
			return nil, errs
		}
	}
	switch {
	case lastSpec.Kind == nn.KindSoftmax:
		return fail(last.At, "model[%d] %s: the network must end with logits; the loss applies softmax itself, so remove the softmax", len(e.Model)-1, last.Name)
	case !cur.Flat():
		return fail(last.At, "model[%d] %s: the network ends with a %v feature map; end with flatten and a dense layer of %s units", len(e.Model)-1, last.Name, cur, classCount(net.Classes))
	case net.Classes > 0 && cur.C != net.Classes:
		return fail(last.At, "model[%d] %s: the last layer has %d outputs but %s has %d classes", len(e.Model)-1, last.Name, cur.C, setName(e.Data), net.Classes)
	}
	return net, nil
}

// compiler compiles lists of layers, the model and those nested in blocks.
type compiler struct {
	total float64 // parameters of the model's layers so far
}

// list compiles the layers of a list taking in: their specs, their rows
// (each followed by the rows of the layers nested in it, one level deeper),
// and the output shape. p names the list in messages; flattened says a
// flatten or dense layer came before it.
func (c *compiler) list(layers []experiments.Layer, in nn.Shape, p string, depth int, flattened bool) ([]nn.LayerSpec, []Layer, nn.Shape, *experiments.Error) {
	var use string // of the layer being compiled
	fail := func(at experiments.Pos, format string, args ...any) ([]nn.LayerSpec, []Layer, nn.Shape, *experiments.Error) {
		msg := fmt.Sprintf(format, args...)
		if use != "" {
			msg += " (in " + use + ")"
		}
		return nil, nil, nn.Shape{}, &experiments.Error{Pos: at, Msg: msg}
	}
	taken := map[string]bool{}
	for _, l := range layers {
		taken[l.Name] = true
	}
	var specs []nn.LayerSpec
	var rows []Layer
	cur := in
	for i, l := range layers {
		where := fmt.Sprintf("%s[%d] %s", p, i, l.Name)
		use = l.Use
		kind := nn.LookupKind(l.Kind)
		switch kind.Input {
		case nn.ImageInput:
			if flattened {
				return fail(l.At, "%s: a %s layer needs an image-shaped input, but it comes after flatten or dense (input %v)", where, l.Kind, cur)
			}
		case nn.FlatInput:
			if !cur.Flat() {
				return fail(l.At, "%s: %s after a %v feature map needs a flatten layer before it", where, l.Kind, cur)
			}
		}
		first := spec(kind, l)
		if first.Init == nn.InitWhiten && (depth > 0 || i > 0) {
			return fail(l.At, "%s: init %s sets a layer from the training images' patches, so only the first layer of the model may take it", where, nn.InitWhiten)
		}
		var nested []Layer
		for _, key := range kind.Keys {
			if key.Type != nn.KeyLayers {
				continue
			}
			kp := fmt.Sprintf("%s[%d].%s.%s", p, i, l.Kind, key.Name)
			s, r, _, err := c.list(l.Lists[key.Name], cur, kp, depth+1, flattened)
			if err != nil {
				return nil, nil, nn.Shape{}, err
			}
			for j := range r {
				if r[j].Depth == depth+1 {
					r[j].Branch = key.Name
				}
			}
			key.SetLayers(&first, s)
			nested = append(nested, r...)
		}
		if kind.Flattens {
			flattened = true
		}
		layerSpecs := []nn.LayerSpec{first}
		if act := l.Activation(); act != "" {
			name := l.Name + "_" + string(act)
			for k := 2; taken[name]; k++ {
				name = l.Name + "_" + string(act) + strconv.Itoa(k)
			}
			taken[name] = true
			layerSpecs = append(layerSpecs, defaultSpec(nn.LookupKind(act), name))
		}
		for j, s := range layerSpecs {
			out, err := nn.OutputShape(cur, s)
			if err != nil {
				var bm *nn.BranchMismatch
				if errors.As(err, &bm) {
					return fail(l.At, "%s: %v", where, bm)
				}
				return fail(l.At, "%s[%d]: %v", p, i, err)
			}
			params, flops := count(s, cur, out)
			sk := nn.LookupKind(s.Kind)
			var detail string
			if sk.Detail != nil {
				detail = sk.Detail(s)
			}
			if depth == 0 {
				c.total += params
				if c.total > MaxParams {
					return fail(l.At, "%s: the model passes %s parameters here (%v → %v); the limit is 10⁹", where, human(c.total), cur, out)
				}
			}
			specs = append(specs, s)
			rows = append(rows, Layer{Name: s.Name, Kind: s.Kind, Detail: detail, Output: out,
				Params: int64(params), FLOPs: int64(math.Min(flops, math.MaxInt64/4)), Family: sk.Family, About: sk.Doc, Depth: depth})
			if j == 0 {
				rows = append(rows, nested...)
			}
			cur = out
		}
	}
	return specs, rows, cur, nil
}

func classCount(n int) string {
	if n == 0 {
		return "<classes>"
	}
	return strconv.Itoa(n)
}

func setName(d experiments.Data) string {
	if d.Set == experiments.SetFolder {
		return d.Path
	}
	return string(d.Set)
}

// Check compiles every point of an experiment's sweep (replicates share one
// check) and returns every problem as experiments.ErrorList; a problem found
// only at some points is prefixed with their swept values, e.g.
// "kernel=7 stride=2: …".
func Check(e *experiments.Experiment) error {
	return e.Check(Compiles)
}

// Compiles checks one point as Check does: the form experiments.Validate
// takes, to check shapes in the same pass as values.
func Compiles(x *experiments.Experiment) error {
	_, err := Compile(x)
	return err
}

// spec converts a layer of kind k to its nn spec (without its activation
// shortcut): each key of the kind writes its value, into a field or by
// name (nn.Key.Apply).
func spec(k *nn.LayerKind, l experiments.Layer) nn.LayerSpec {
	s := nn.LayerSpec{Kind: l.Kind, Name: l.Name}
	for _, key := range k.Keys {
		key.Apply(&s, l.Values[key.Name])
	}
	return s
}

// defaultSpec is a layer of kind k with the defaults of its keys (the layer
// an activation: shortcut adds).
func defaultSpec(k *nn.LayerKind, name string) nn.LayerSpec {
	s := nn.LayerSpec{Kind: k.Kind, Name: name}
	for _, key := range k.Keys {
		if !key.Required {
			key.Apply(&s, key.Default)
		}
	}
	return s
}

// count returns the parameters and forward FLOPs per image of a layer, in
// float64 so that absurd sizes are caught rather than overflowing.
func count(s nn.LayerSpec, in, out nn.Shape) (params, flops float64) {
	if k := nn.LookupKind(s.Kind); k.Count != nil {
		return k.Count(s, in, out)
	}
	return 0, 0
}

// human writes a large count as "1.2 billion" or "3,400,000".
func human(f float64) string {
	if f >= 1e9 {
		return strconv.FormatFloat(f/1e9, 'f', 1, 64) + " billion"
	}
	return strconv.FormatFloat(f, 'f', 0, 64)
}

// Output is the shape of the network's output: that of its last layer.
func (n *Network) Output() nn.Shape {
	for i := len(n.Layers) - 1; i >= 0; i-- {
		if n.Layers[i].Depth == 0 {
			return n.Layers[i].Output
		}
	}
	return n.Input
}
