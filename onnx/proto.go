package onnx

import (
	"encoding/binary"
	"math"
)

// message is a protocol buffer message being encoded: fields are appended
// in the order written, each as its tag and value (wire format: varint 0,
// 32-bit 5, length-delimited 2).
type message []byte

func (m *message) tag(field, wire int) { *m = binary.AppendUvarint(*m, uint64(field<<3|wire)) }

// int writes an int32 or int64 field (varint; negative values as ten bytes).
func (m *message) int(field int, v int64) {
	m.tag(field, 0)
	*m = binary.AppendUvarint(*m, uint64(v))
}

func (m *message) float(field int, v float32) {
	m.tag(field, 5)
	*m = binary.LittleEndian.AppendUint32(*m, math.Float32bits(v))
}

func (m *message) bytes(field int, b []byte) {
	m.tag(field, 2)
	*m = binary.AppendUvarint(*m, uint64(len(b)))
	*m = append(*m, b...)
}

func (m *message) string(field int, s string) { m.bytes(field, []byte(s)) }

func (m *message) msg(field int, sub message) { m.bytes(field, sub) }

// Field numbers and enums of onnx.proto (ONNX 1.8 and later).
const (
	irVersion = 7  // the IR version of opset 13
	opset     = 13 // the operator set the models use

	typeFloat = 1 // TensorProto.FLOAT
	typeInt64 = 7 // TensorProto.INT64

	attrFloat  = 1
	attrInt    = 2
	attrString = 3
	attrInts   = 7
)

// attribute is one attribute of a node.
type attribute struct {
	name string
	kind int // attrFloat, attrInt, attrString or attrInts
	f    float32
	i    int64
	s    string
	ints []int64
}

func attrF(name string, f float32) attribute { return attribute{name: name, kind: attrFloat, f: f} }
func attrI(name string, i int64) attribute   { return attribute{name: name, kind: attrInt, i: i} }
func attrIs(name string, v ...int64) attribute {
	return attribute{name: name, kind: attrInts, ints: v}
}

func (a attribute) encode() message {
	var m message
	m.string(1, a.name)
	switch a.kind {
	case attrFloat:
		m.float(2, a.f)
	case attrInt:
		m.int(3, a.i)
	case attrString:
		m.string(4, a.s)
	case attrInts:
		for _, v := range a.ints {
			m.int(8, v)
		}
	}
	m.int(20, int64(a.kind))
	return m
}

// node is one NodeProto.
type node struct {
	op      string
	name    string
	inputs  []string
	outputs []string
	attrs   []attribute
}

func (n node) encode() message {
	var m message
	for _, in := range n.inputs {
		m.string(1, in)
	}
	for _, out := range n.outputs {
		m.string(2, out)
	}
	m.string(3, n.name)
	m.string(4, n.op)
	for _, a := range n.attrs {
		m.msg(5, a.encode())
	}
	return m
}

// tensor is one TensorProto of float32 or int64 values, stored as raw
// little-endian bytes.
type tensor struct {
	name   string
	dims   []int64
	floats []float32
	ints   []int64 // used when floats is nil
}

func (t tensor) encode() message {
	var m message
	for _, d := range t.dims {
		m.int(1, d)
	}
	var raw []byte
	if t.floats != nil {
		m.int(2, typeFloat)
		raw = make([]byte, 0, 4*len(t.floats))
		for _, v := range t.floats {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
	} else {
		m.int(2, typeInt64)
		raw = make([]byte, 0, 8*len(t.ints))
		for _, v := range t.ints {
			raw = binary.LittleEndian.AppendUint64(raw, uint64(v))
		}
	}
	m.string(8, t.name)
	m.bytes(9, raw)
	return m
}

// valueInfo encodes a ValueInfoProto of a float tensor; a dimension of -1
// is the symbolic batch dimension "N".
func valueInfo(name string, dims []int64) message {
	var shape message
	for _, d := range dims {
		var dim message
		if d < 0 {
			dim.string(2, "N")
		} else {
			dim.int(1, d)
		}
		shape.msg(1, dim)
	}
	var tt message
	tt.int(1, typeFloat)
	tt.msg(2, shape)
	var typ message
	typ.msg(1, tt)
	var m message
	m.string(1, name)
	m.msg(2, typ)
	return m
}
