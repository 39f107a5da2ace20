// Package onnx writes a network of package nn as an ONNX model (opset 13,
// IR version 7) for inference: other runtimes (ONNX Runtime, OpenCV's dnn
// module) then run it. The protocol buffer is encoded by hand; the format's
// wire encoding is small and the model needs only a few of its messages.
//
// The model takes one input, "input", of shape N×C×H×W (ONNX's layout: the
// network's NHWC input with its channels first), already preprocessed, and
// gives one output, "logits", of shape N×K: the network's output (apply a
// softmax for probabilities, unless the network ends with one). Inference
// mode: batch normalisation uses its running statistics and dropout is left
// out. A flatten of a feature map takes its values in cnnlab's order (rows,
// then columns, then channels), so the dense layers keep their weights.
package onnx

import (
	"fmt"
	"math"

	"github.com/cnnlab/cnnlab/nn"
)

// Opset is the ONNX operator set of the models written.
const Opset = opset

// KeyValue is one entry of a model's metadata_props.
type KeyValue struct{ Key, Value string }

// Encode returns the ONNX model of net, with meta as its metadata_props.
// A layer kind that has no ONNX form is an error naming it.
func Encode(net *nn.Network, meta []KeyValue) ([]byte, error) {
	g := &graph{tensors: net.Tensors()}
	in := net.Input()
	x := value{name: "input", shape: in, rank: 4}
	specs := net.Specs()
	out, err := g.chain(x, specs, "")
	if err != nil {
		return nil, err
	}
	g.nodes = append(g.nodes, node{op: "Flatten", name: "logits", inputs: []string{out.name}, outputs: []string{"logits"}, attrs: []attribute{attrI("axis", 1)}})

	var gm message
	for _, n := range g.nodes {
		gm.msg(1, n.encode())
	}
	gm.string(2, "cnnlab")
	for _, t := range g.inits {
		gm.msg(5, t.encode())
	}
	gm.msg(11, valueInfo("input", []int64{-1, int64(in.C), int64(in.H), int64(in.W)}))
	gm.msg(12, valueInfo("logits", []int64{-1, int64(net.Output().Size())}))

	var m message
	m.int(1, irVersion)
	m.string(2, "cnnlab")
	var op message
	op.string(1, "")
	op.int(2, opset)
	m.msg(8, op)
	m.msg(7, gm)
	for _, kv := range meta {
		var e message
		e.string(1, kv.Key)
		e.string(2, kv.Value)
		m.msg(14, e)
	}
	return m, nil
}

// value is a tensor of the graph: its name, its shape as cnnlab sees it,
// and its rank in the graph (4: N×C×H×W, 2: N×features).
type value struct {
	name  string
	shape nn.Shape
	rank  int
}

type graph struct {
	tensors map[string]*nn.Param
	nodes   []node
	inits   []tensor
	count   int
}

// op adds a node and returns the name of its output.
func (g *graph) op(op, name string, inputs []string, attrs ...attribute) string {
	g.count++
	out := fmt.Sprintf("%s:%s%d", name, op, g.count)
	g.nodes = append(g.nodes, node{op: op, name: out, inputs: inputs, outputs: []string{out}, attrs: attrs})
	return out
}

// init adds an initializer and returns its name.
func (g *graph) init(name string, dims []int64, v []float32) string {
	g.inits = append(g.inits, tensor{name: name, dims: dims, floats: v})
	return name
}

// scalar adds a one-value initializer.
func (g *graph) scalar(name string, v float32) string {
	return g.init(name, nil, []float32{v})
}

func (g *graph) param(layer, name string) (*nn.Param, error) {
	p := g.tensors[layer+"."+name]
	if p == nil {
		return nil, fmt.Errorf("onnx: layer %s has no tensor %s", layer, name)
	}
	return p, nil
}

// chain adds the layers of specs, named under prefix, to the graph.
func (g *graph) chain(x value, specs []nn.LayerSpec, prefix string) (value, error) {
	names, err := nn.LayerNames(specs)
	if err != nil {
		return x, err
	}
	for i, s := range specs {
		s = nn.WithDefaults(s)
		s.Name = prefix + names[i]
		out, err := nn.OutputShape(x.shape, s)
		if err != nil {
			return x, err
		}
		if x, err = g.layer(x, s, out); err != nil {
			return x, err
		}
		x.shape = out
	}
	return x, nil
}

// settingAttrs returns the attributes of the ONNX operator of kind k, from
// the settings of s.
func settingAttrs(k *nn.LayerKind, s nn.LayerSpec) ([]attribute, error) {
	var attrs []attribute
	for _, a := range k.ONNX.Attrs {
		key, ok := k.Key(a.Key)
		if !ok || !key.KeptByName() {
			return nil, fmt.Errorf("onnx: layer %s: attribute %s of %s takes %q, which is no setting of %s kept by name", s.Name, a.Name, k.ONNX.Op, a.Key, k.Kind)
		}
		v := s.Setting(a.Key)
		switch key.Type {
		case nn.KeyFloat:
			attrs = append(attrs, attrF(a.Name, float32(v.Float)))
		case nn.KeyInt:
			attrs = append(attrs, attrI(a.Name, int64(v.Int)))
		case nn.KeyBool:
			b := int64(0)
			if v.Bool {
				b = 1
			}
			attrs = append(attrs, attrI(a.Name, b))
		case nn.KeyEnum:
			attrs = append(attrs, attribute{name: a.Name, kind: attrString, s: v.Text})
		default:
			return nil, fmt.Errorf("onnx: layer %s: attribute %s of %s: a key of type %d has no ONNX attribute", s.Name, a.Name, k.ONNX.Op, key.Type)
		}
	}
	return attrs, nil
}

// flat makes x a rank-2 value: its features in cnnlab's order.
func (g *graph) flat(x value, name string) value {
	if x.rank == 2 {
		return x
	}
	in := x.name
	if x.shape.H*x.shape.W > 1 {
		in = g.op("Transpose", name, []string{in}, attrIs("perm", 0, 2, 3, 1))
	}
	return value{name: g.op("Flatten", name, []string{in}, attrI("axis", 1)), shape: x.shape, rank: 2}
}

// spatial makes x a rank-4 value (a flat value is 1×1×C).
func (g *graph) spatial(x value, name string) value {
	if x.rank == 4 {
		return x
	}
	g.inits = append(g.inits, tensor{name: name + ":axes", dims: []int64{2}, ints: []int64{2, 3}})
	axes := name + ":axes"
	return value{name: g.op("Unsqueeze", name, []string{x.name, axes}), shape: x.shape, rank: 4}
}

// padding returns the ONNX pads (top, left, bottom, right) of a window
// layer, as nn computes them.
func padding(in nn.Shape, s nn.LayerSpec) []int64 {
	switch s.Padding {
	case nn.PadSame:
		oh := (in.H + s.StrideH - 1) / s.StrideH
		ow := (in.W + s.StrideW - 1) / s.StrideW
		ph := max((oh-1)*s.StrideH+s.KernelH-in.H, 0)
		pw := max((ow-1)*s.StrideW+s.KernelW-in.W, 0)
		return []int64{int64(ph / 2), int64(pw / 2), int64(ph - ph/2), int64(pw - pw/2)}
	case nn.PadExplicit:
		return []int64{int64(s.PadTop), int64(s.PadLeft), int64(s.PadBottom), int64(s.PadRight)}
	}
	return []int64{0, 0, 0, 0}
}

// layer adds one layer (s has its defaults and its full name).
func (g *graph) layer(x value, s nn.LayerSpec, out nn.Shape) (value, error) {
	name := s.Name
	keep := func(y string) (value, error) { return value{name: y, shape: out, rank: x.rank}, nil }
	if k := nn.LookupKind(s.Kind); k != nil && k.ONNX != nil {
		// One operator, declared in the kind's entry.
		attrs, err := settingAttrs(k, s)
		if err != nil {
			return x, err
		}
		return keep(g.op(k.ONNX.Op, name, []string{x.name}, attrs...))
	}
	switch s.Kind {
	case nn.KindConv:
		x = g.spatial(x, name)
		w, err := g.param(name, "weight")
		if err != nil {
			return x, err
		}
		// nn: kh×kw×cin×cout; ONNX: cout×cin×kh×kw.
		kh, kw, cin, cout := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
		t := make([]float32, len(w.Value))
		for i := range kh {
			for j := range kw {
				for c := range cin {
					for f := range cout {
						t[((f*cin+c)*kh+i)*kw+j] = w.Value[((i*kw+j)*cin+c)*cout+f]
					}
				}
			}
		}
		inputs := []string{x.name, g.init(name+".weight", []int64{int64(cout), int64(cin), int64(kh), int64(kw)}, t)}
		if !s.NoBias {
			b, err := g.param(name, "bias")
			if err != nil {
				return x, err
			}
			inputs = append(inputs, g.init(name+".bias", []int64{int64(cout)}, b.Value))
		}
		y := g.op("Conv", name, inputs, attrIs("kernel_shape", int64(kh), int64(kw)),
			attrIs("strides", int64(s.StrideH), int64(s.StrideW)), attrIs("pads", padding(x.shape, s)...))
		return value{name: y, shape: out, rank: 4}, nil
	case nn.KindMaxPool, nn.KindAvgPool:
		x = g.spatial(x, name)
		attrs := []attribute{attrIs("kernel_shape", int64(s.KernelH), int64(s.KernelW)),
			attrIs("strides", int64(s.StrideH), int64(s.StrideW)), attrIs("pads", padding(x.shape, s)...)}
		op := "MaxPool"
		if s.Kind == nn.KindAvgPool {
			op = "AveragePool"
			attrs = append(attrs, attrI("count_include_pad", 0))
		}
		return value{name: g.op(op, name, []string{x.name}, attrs...), shape: out, rank: 4}, nil
	case nn.KindGlobalAvgPool, nn.KindGlobalMaxPool:
		x = g.spatial(x, name)
		op := "GlobalAveragePool"
		if s.Kind == nn.KindGlobalMaxPool {
			op = "GlobalMaxPool"
		}
		return value{name: g.op(op, name, []string{x.name}), shape: out, rank: 4}, nil
	case nn.KindDense:
		x = g.flat(x, name)
		w, err := g.param(name, "weight")
		if err != nil {
			return x, err
		}
		inputs := []string{x.name, g.init(name+".weight", []int64{int64(w.Shape[0]), int64(w.Shape[1])}, w.Value)}
		if !s.NoBias {
			b, err := g.param(name, "bias")
			if err != nil {
				return x, err
			}
			inputs = append(inputs, g.init(name+".bias", []int64{int64(w.Shape[1])}, b.Value))
		}
		return value{name: g.op("Gemm", name, inputs), shape: out, rank: 2}, nil
	case nn.KindFlatten:
		return g.flat(x, name), nil
	case nn.KindBatchNorm:
		var ts [4]string
		for i, p := range []string{"gamma", "beta", "running_mean", "running_var"} {
			t, err := g.param(name, p)
			if err != nil && p == "gamma" && !s.Bool("scale") {
				continue // a batch norm without scale: 1s, written below
			}
			if err != nil {
				return x, err
			}
			ts[i] = g.init(name+"."+p, []int64{int64(len(t.Value))}, t.Value)
		}
		if ts[0] == "" {
			ones := make([]float32, out.C)
			for i := range ones {
				ones[i] = 1
			}
			ts[0] = g.init(name+".gamma", []int64{int64(out.C)}, ones)
		}
		eps := s.Epsilon
		if eps == 0 {
			eps = nn.DefaultEpsilon
		}
		return keep(g.op("BatchNormalization", name, []string{x.name, ts[0], ts[1], ts[2], ts[3]}, attrF("epsilon", eps)))
	case nn.KindDropout:
		return value{name: x.name, shape: out, rank: x.rank}, nil
	case nn.KindLeakyReLU:
		alpha := s.Alpha
		if alpha == 0 {
			alpha = 0.01
		}
		return keep(g.op("LeakyRelu", name, []string{x.name}, attrF("alpha", alpha)))
	case nn.KindSiLU:
		sig := g.op("Sigmoid", name, []string{x.name})
		return keep(g.op("Mul", name, []string{x.name, sig}))
	case nn.KindGELU:
		var phi string // 1 + erf(x/√2), or its tanh approximation
		if nn.Approximation(s.Text("approximate")) == nn.ApproxTanh {
			x3 := g.op("Mul", name, []string{x.name, g.op("Mul", name, []string{x.name, x.name})})
			inner := g.op("Add", name, []string{x.name, g.op("Mul", name, []string{x3, g.scalar(name+":c", 0.044715)})})
			t := g.op("Tanh", name, []string{g.op("Mul", name, []string{inner, g.scalar(name+":k", float32(math.Sqrt(2/math.Pi)))})})
			phi = g.op("Add", name, []string{t, g.scalar(name+":one", 1)})
		} else {
			e := g.op("Erf", name, []string{g.op("Div", name, []string{x.name, g.scalar(name+":sqrt2", float32(math.Sqrt2))})})
			phi = g.op("Add", name, []string{e, g.scalar(name+":one", 1)})
		}
		half := g.op("Mul", name, []string{x.name, g.scalar(name+":half", 0.5)})
		return keep(g.op("Mul", name, []string{half, phi}))
	case nn.KindScale:
		return keep(g.op("Mul", name, []string{x.name, g.scalar(name+":factor", s.Float("factor"))}))
	case nn.KindSoftmax:
		return keep(g.op("Softmax", name, []string{x.name}, attrI("axis", 1)))
	case nn.KindResidual:
		var body, short []nn.LayerSpec
		if s.Residual != nil {
			body, short = s.Residual.Body, s.Residual.Shortcut
		}
		b, err := g.chain(x, body, name+".body.")
		if err != nil {
			return x, err
		}
		sc, err := g.chain(x, short, name+".shortcut.")
		if err != nil {
			return x, err
		}
		if b.rank != sc.rank {
			b, sc = g.flat(b, name), g.flat(sc, name)
		}
		return value{name: g.op("Add", name, []string{b.name, sc.name}), shape: out, rank: b.rank}, nil
	}
	return x, fmt.Errorf("onnx: layer %s: kind %q has no ONNX form", name, s.Kind)
}
