package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"
)

// modelBody encodes the start of a model body: the input shape, the specs
// and a dropout stream, then extra (tensors and the rest).
func modelBody(in Shape, specs []LayerSpec, extra []byte) []byte {
	var e encoder
	e.u32(uint32(in.H))
	e.u32(uint32(in.W))
	e.u32(uint32(in.C))
	js, _ := json.Marshal(specs)
	e.bytes(js)
	rng, _ := NewPCG(0, StreamDropout).MarshalBinary()
	e.bytes(rng)
	return append(e.buf, extra...)
}

// frameModel wraps a body in the header and a valid checksum.
func frameModel(body []byte) []byte {
	file := append([]byte(modelMagic), 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(file[8:], ModelVersion)
	file = binary.LittleEndian.AppendUint64(file, uint64(len(body)))
	file = append(file, body...)
	return binary.LittleEndian.AppendUint32(file, crc32.Checksum(file, castagnoli))
}

// Small model files with valid checksums whose specs claim networks far
// bigger than their bodies are refused before anything of the network's size
// is allocated; a 318-byte file used to panic in makeslice.
func TestLoadRefusesHugeClaims(t *testing.T) {
	flat := Shape{H: 28, W: 28, C: 1}
	tests := []struct {
		name  string
		in    Shape
		specs []LayerSpec
		want  string
	}{
		{"dense of 2^40 units", Shape{1, 1, 10}, []LayerSpec{{Kind: KindDense, Units: 1 << 40}}, "at most"},
		{"dense of 300,000 units", flat, []LayerSpec{{Kind: KindFlatten}, {Kind: KindDense, Units: 300000}}, "the network has 235500000 values"},
		{"conv of a million filters", Shape{32, 32, 3}, []LayerSpec{{Kind: KindConv, Filters: 1 << 20, KernelH: 3, KernelW: 3}}, "the network has 29360128 values"},
		{"kernel of 2^40", Shape{32, 32, 3}, []LayerSpec{{Kind: KindConv, Filters: 1, KernelH: 1 << 40, KernelW: 1}}, "at most"},
		{"padding of 2^62", Shape{32, 32, 3}, []LayerSpec{{Kind: KindMaxPool, KernelH: 2, KernelW: 2, Padding: PadExplicit, PadTop: 1 << 62}}, "at most"},
		{"input of 2^31 rows", Shape{1 << 31, 1, 1}, []LayerSpec{{Kind: KindFlatten}}, "sides must be"},
		{"input of 2^20 cubed", Shape{1 << 20, 1 << 20, 1 << 20}, []LayerSpec{{Kind: KindFlatten}}, "at most"},
		{"two big dense layers", Shape{1, 1, 1 << 14}, []LayerSpec{{Kind: KindDense, Units: 1 << 14}, {Kind: KindDense, Units: 1 << 14}}, "supports at most 268435456"},
	}
	for _, tt := range tests {
		file := frameModel(modelBody(tt.in, tt.specs, make([]byte, 64)))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := LoadFrom(bytes.NewReader(file))
		runtime.ReadMemStats(&after)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s (%d bytes): err = %v, want %q", tt.name, len(file), err, tt.want)
		}
		if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
			t.Errorf("%s: %d bytes allocated before refusing", tt.name, got)
		}
	}
}

// FuzzModelFile checks that no model file makes the reader panic or
// allocate beyond its bounds. The body is fuzzed apart from the framing,
// whose checksum would otherwise refuse nearly every input. In a plain
// `go test` it runs the seed corpus only.
func FuzzModelFile(f *testing.F) {
	net, err := Build(Shape{4, 4, 1}, []LayerSpec{{Kind: KindConv, Filters: 2, KernelH: 3, KernelW: 3}, {Kind: KindBatchNorm}, {Kind: KindDropout, Rate: 0.5}, {Kind: KindFlatten}, {Kind: KindDense, Units: 3}}, 1)
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	opt := NewAdam(AdamConfig{})
	opt.Step(net.Params(), 0.1)
	if err := SaveTo(&buf, net, opt, []byte("meta")); err != nil {
		f.Fatal(err)
	}
	good := buf.Bytes()
	f.Add(good[headerSize : len(good)-trailerSize])
	f.Add(modelBody(Shape{1, 1, 10}, []LayerSpec{{Kind: KindDense, Units: 1 << 40}}, nil))
	// A residual network, and one claiming a huge layer inside a block.
	resNet, err := Build(Shape{4, 4, 2}, []LayerSpec{res([]LayerSpec{conv3(2, 1), {Kind: KindBatchNorm}}, []LayerSpec{conv1(2, 1)}), {Kind: KindFlatten}, {Kind: KindDense, Units: 2}}, 1)
	if err != nil {
		f.Fatal(err)
	}
	buf.Reset()
	if err := SaveTo(&buf, resNet, nil, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(append([]byte(nil), buf.Bytes()[headerSize:buf.Len()-trailerSize]...))
	// Settings kept by name, nested too.
	tanh := LayerSpec{Kind: KindGELU}.With("approximate", Value{Text: string(ApproxTanh)})
	setNet, err := Build(Shape{3, 3, 2}, []LayerSpec{tanh, res([]LayerSpec{LayerSpec{Kind: KindScale}.With("factor", Value{Float: 0.5}), LayerSpec{Kind: KindELU}.With("alpha", Value{Float: 0.2})}, nil)}, 1)
	if err != nil {
		f.Fatal(err)
	}
	buf.Reset()
	if err := SaveTo(&buf, setNet, nil, nil); err != nil {
		f.Fatal(err)
	}
	f.Add(append([]byte(nil), buf.Bytes()[headerSize:buf.Len()-trailerSize]...))
	f.Add(modelBody(Shape{8, 8, 2}, []LayerSpec{res([]LayerSpec{{Kind: KindConv, Filters: 1 << 30, KernelH: 3, KernelW: 3}}, nil)}, nil))
	f.Add(modelBody(Shape{28, 28, 1}, []LayerSpec{{Kind: KindFlatten}, {Kind: KindDense, Units: 300000}}, make([]byte, 64)))
	f.Fuzz(func(t *testing.T, body []byte) {
		cp, err := LoadFrom(bytes.NewReader(frameModel(body)))
		if err != nil {
			return
		}
		if cp.Net == nil {
			t.Fatal("no network and no error")
		}
		var out bytes.Buffer
		if err := SaveTo(&out, cp.Net, cp.Optimizer, cp.Meta); err != nil {
			t.Fatalf("a loaded model cannot be saved: %v", err)
		}
		if _, err := LoadFrom(&out); err != nil {
			t.Fatalf("a saved model cannot be loaded again: %v", err)
		}
	})
}
