package nn

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/cnnlab/cnnlab/internal/fsutil"
)

// Model file framing; the layout is in the package documentation.
const (
	modelMagic = "CNNLABNN"
	// ModelVersion is the newest model file version this build writes and
	// reads. Version 3 keeps the settings of gelu, scale and the kinds
	// declared since in LayerSpec.Settings, by name (version 2 had fields
	// Approximate and Factor); it is written only for networks with such
	// settings, so that the files of the other networks are those version 2
	// wrote, byte for byte, and older builds still read them. Version 2
	// added residual blocks (nested specs); version 1 files, written before
	// them, have the same layout. Both still load.
	ModelVersion       = 3
	plainModelVersion  = 2 // what a network without Settings is written as
	oldestModelVersion = 1
	headerSize         = 8 + 4 + 8
	trailerSize        = 4
	// MaxModelSize bounds a model file: the largest network's values and
	// those of an optimizer with two slots per parameter, with room for
	// the specs and the caller's bytes.
	MaxModelSize = 3*4*MaxNetworkValues + 64<<20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Checkpoint is the content of a model file.
type Checkpoint struct {
	Net       *Network
	Optimizer Optimizer // nil if none was saved
	Meta      []byte    // the caller's bytes, as saved
}

// Errors a model file can be refused with; Load wraps them with details.
var (
	ErrNotModel    = errors.New("not a cnnlab model file")
	ErrVersion     = errors.New("unsupported model file version")
	ErrTruncated   = errors.New("model file truncated")
	ErrCorrupted   = errors.New("model file corrupted")
	errMismatching = errors.New("model file does not match its architecture")
)

// Save writes net, the state of opt (nil for none) and meta to path
// atomically: a reader sees the old file or the new one, never a mix.
func Save(path string, net *Network, opt Optimizer, meta []byte) error {
	if err := fsutil.WriteAtomic(path, 0o644, func(w io.Writer) error {
		return SaveTo(w, net, opt, meta)
	}); err != nil {
		return fmt.Errorf("nn: save model: %w", err)
	}
	return nil
}

// SaveTo writes a model file to w.
func SaveTo(w io.Writer, net *Network, opt Optimizer, meta []byte) error {
	var e encoder
	e.u32(uint32(net.input.H))
	e.u32(uint32(net.input.W))
	e.u32(uint32(net.input.C))
	// The specs are stored as JSON under LayerSpec's Go field names: a field
	// may be added to LayerSpec, but renaming one would lose its value when
	// older files are read.
	specs, err := json.Marshal(net.specs)
	if err != nil {
		return fmt.Errorf("nn: encode layer specs: %w", err)
	}
	e.bytes(specs)
	rng, err := net.dropout.MarshalBinary()
	if err != nil {
		return fmt.Errorf("nn: encode dropout stream: %w", err)
	}
	e.bytes(rng)
	tensors := net.savedTensors()
	e.u32(uint32(len(tensors)))
	for _, t := range tensors {
		e.str(t.key())
		e.u32(uint32(len(t.Shape)))
		for _, d := range t.Shape {
			e.u32(uint32(d))
		}
		e.floats(t.Value)
	}
	if opt == nil {
		e.str("")
	} else {
		e.str(string(opt.Kind()))
		cfg, err := json.Marshal(opt.config())
		if err != nil {
			return fmt.Errorf("nn: encode optimizer settings: %w", err)
		}
		e.bytes(cfg)
		st := opt.getState()
		for _, slot := range st.slots {
			if err := checkSlot(slot, net.params); err != nil {
				return fmt.Errorf("nn: save model: the %s optimizer does not belong to this network: %w", opt.Kind(), err)
			}
		}
		e.u64(uint64(st.steps))
		e.u32(uint32(len(st.slots)))
		for _, slot := range st.slots {
			e.u32(uint32(len(slot)))
			for _, v := range slot {
				e.floats(v)
			}
		}
	}
	e.bytes(meta)

	file := make([]byte, 0, headerSize+len(e.buf)+trailerSize)
	file = append(file, modelMagic...)
	version := uint32(plainModelVersion)
	if holdsSettings(net.specs) {
		version = ModelVersion
	}
	file = binary.LittleEndian.AppendUint32(file, version)
	file = binary.LittleEndian.AppendUint64(file, uint64(len(e.buf)))
	file = append(file, e.buf...)
	file = binary.LittleEndian.AppendUint32(file, crc32.Checksum(file, castagnoli))
	_, err = w.Write(file)
	return err
}

// Load reads a model file written by Save and rebuilds the network, its
// optimizer (if one was saved) and the caller's bytes. A file that is not a
// model file, has another version, is truncated or corrupted is refused with
// an error that says which (and wraps ErrNotModel, ErrVersion, ErrTruncated
// or ErrCorrupted).
func Load(path string) (*Checkpoint, error) {
	data, err := fsutil.ReadFileLimit(path, MaxModelSize)
	if err != nil {
		return nil, fmt.Errorf("nn: load model: %w", err)
	}
	cp, err := decodeModel(data)
	if err != nil {
		return nil, fmt.Errorf("nn: load model %s: %w", path, err)
	}
	return cp, nil
}

// LoadFrom reads a model file from r (see Load).
func LoadFrom(r io.Reader) (*Checkpoint, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxModelSize+1))
	if err != nil {
		return nil, fmt.Errorf("nn: load model: %w", err)
	}
	if int64(len(data)) > MaxModelSize {
		return nil, fmt.Errorf("nn: load model: more than %d bytes", int64(MaxModelSize))
	}
	cp, err := decodeModel(data)
	if err != nil {
		return nil, fmt.Errorf("nn: load model: %w", err)
	}
	return cp, nil
}

func decodeModel(data []byte) (*Checkpoint, error) {
	n := min(len(data), len(modelMagic))
	if !bytes.Equal(data[:n], []byte(modelMagic)[:n]) {
		return nil, fmt.Errorf("%w: it does not start with %q", ErrNotModel, modelMagic)
	}
	if len(data) < headerSize {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrTruncated, len(data), headerSize)
	}
	version := binary.LittleEndian.Uint32(data[8:])
	if version < oldestModelVersion || version > ModelVersion {
		return nil, fmt.Errorf("%w %d: this build reads versions %d to %d", ErrVersion, version, oldestModelVersion, ModelVersion)
	}
	length := binary.LittleEndian.Uint64(data[12:])
	want := uint64(headerSize) + length + trailerSize
	if length > MaxModelSize || uint64(len(data)) < want {
		return nil, fmt.Errorf("%w: %d bytes, the header says %d", ErrTruncated, len(data), want)
	}
	if uint64(len(data)) > want {
		return nil, fmt.Errorf("%w: %d bytes after the end of the model", ErrCorrupted, uint64(len(data))-want)
	}
	body := data[headerSize : headerSize+length]
	sum := binary.LittleEndian.Uint32(data[headerSize+length:])
	if got := crc32.Checksum(data[:headerSize+length], castagnoli); got != sum {
		return nil, fmt.Errorf("%w: checksum %08x, the file says %08x", ErrCorrupted, got, sum)
	}
	cp, err := decodeBody(&decoder{buf: body}, version)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupted, err)
	}
	return cp, nil
}

func decodeBody(d *decoder, version uint32) (*Checkpoint, error) {
	in := Shape{H: int(d.u32()), W: int(d.u32()), C: int(d.u32())}
	specsJSON := d.bytes()
	rng := d.bytes()
	if d.err != nil {
		return nil, d.err
	}
	specs, err := decodeSpecs(specsJSON, version)
	if err != nil {
		return nil, fmt.Errorf("layer specs: %w", err)
	}
	// Compare the network's size with the body before building it, so that
	// specs claiming a huge network allocate nothing: every saved value
	// takes 4 bytes of what is left.
	fp, err := Estimate(in, specs)
	if err != nil {
		return nil, err
	}
	if d.err == nil && fp.Saved() > int64(len(d.buf)/4) {
		return nil, fmt.Errorf("%w: the network has %d values, the %d bytes left hold at most %d", errMismatching, fp.Saved(), len(d.buf), len(d.buf)/4)
	}
	net, err := Build(in, specs, 0)
	if err != nil {
		return nil, err
	}
	if err := net.dropout.UnmarshalBinary(rng); err != nil {
		return nil, fmt.Errorf("dropout stream: %w", err)
	}
	tensors := net.savedTensors()
	if n := int(d.u32()); d.err == nil && n != len(tensors) {
		return nil, fmt.Errorf("%w: %d tensors, the network has %d", errMismatching, n, len(tensors))
	}
	for _, t := range tensors {
		key := d.str()
		dims := make([]int, d.count(4))
		for i := range dims {
			dims[i] = int(d.u32())
		}
		values := d.floats()
		if d.err != nil {
			return nil, d.err
		}
		if key != t.key() || !equalInts(dims, t.Shape) || len(values) != len(t.Value) {
			return nil, fmt.Errorf("%w: tensor %s %v, the network expects %s %v", errMismatching, key, dims, t.key(), t.Shape)
		}
		copy(t.Value, values)
	}
	cp := &Checkpoint{Net: net}
	if kind := d.str(); kind != "" && d.err == nil {
		opt, err := newOptimizer(OptimizerKind(kind), d.bytes())
		if err != nil {
			return nil, err
		}
		st := optimizerState{steps: int64(d.u64())}
		st.slots = make([][][]float32, d.count(4))
		for s := range st.slots {
			st.slots[s] = make([][]float32, d.count(8))
			if d.err == nil && len(st.slots[s]) != len(net.params) {
				return nil, fmt.Errorf("%w: optimizer state for %d parameters, the network has %d", errMismatching, len(st.slots[s]), len(net.params))
			}
			for i := range st.slots[s] {
				st.slots[s][i] = d.floats()
				if d.err == nil && len(st.slots[s][i]) != len(net.params[i].Value) {
					return nil, fmt.Errorf("%w: optimizer state of %s has %d values, want %d", errMismatching, net.params[i].key(), len(st.slots[s][i]), len(net.params[i].Value))
				}
			}
		}
		if d.err != nil {
			return nil, d.err
		}
		if err := opt.setState(st); err != nil {
			return nil, err
		}
		cp.Optimizer = opt
	}
	cp.Meta = d.bytes()
	if d.err != nil {
		return nil, d.err
	}
	if len(d.buf) != 0 {
		return nil, fmt.Errorf("%d unread bytes at the end of the body", len(d.buf))
	}
	return cp, nil
}

// holdsSettings reports whether a spec of the list, or one nested in it,
// keeps settings by name.
func holdsSettings(specs []LayerSpec) bool {
	for _, s := range specs {
		if s.Settings.Len() > 0 || holdsSettings(s.Residual.body()) || holdsSettings(s.Residual.shortcut()) {
			return true
		}
	}
	return false
}

// decodeSpecs reads the layer specs of a model file of the given version.
func decodeSpecs(data []byte, version uint32) ([]LayerSpec, error) {
	if version > plainModelVersion {
		var specs []LayerSpec
		err := json.Unmarshal(data, &specs)
		return specs, err
	}
	var old []specV2
	if err := json.Unmarshal(data, &old); err != nil {
		return nil, err
	}
	return upgradeSpecs(old, 0)
}

// specV2 is a layer spec as model files of versions 1 and 2 store it: the
// settings of gelu and scale in fields of their own.
type specV2 struct {
	LayerSpec
	Approximate string                             `json:",omitempty"`
	Factor      float32                            `json:",omitempty"`
	Residual    *struct{ Body, Shortcut []specV2 } `json:",omitempty"`
}

// upgradeSpecs moves the fields of version 2 into Settings.
func upgradeSpecs(old []specV2, depth int) ([]LayerSpec, error) {
	if depth >= maxNesting {
		return nil, fmt.Errorf("residual blocks nested more than %d deep", maxNesting)
	}
	if old == nil {
		return nil, nil
	}
	specs := make([]LayerSpec, len(old))
	for i, o := range old {
		s := o.LayerSpec
		s.Settings = Settings{}
		if o.Approximate != "" {
			s = s.With("approximate", Value{Text: o.Approximate})
		}
		if o.Factor != 0 {
			s = s.With("factor", Value{Float: float64(o.Factor)})
		}
		if o.Residual != nil {
			body, err := upgradeSpecs(o.Residual.Body, depth+1)
			if err != nil {
				return nil, err
			}
			short, err := upgradeSpecs(o.Residual.Shortcut, depth+1)
			if err != nil {
				return nil, err
			}
			s.Residual = &Branches{Body: body, Shortcut: short}
		}
		specs[i] = s
	}
	return specs, nil
}

// checkSlot reports an error unless slot holds one tensor per parameter, of
// the parameter's size.
func checkSlot(slot [][]float32, params []*Param) error {
	if len(slot) != len(params) {
		return fmt.Errorf("state for %d parameters, the network has %d", len(slot), len(params))
	}
	for i, p := range params {
		if len(slot[i]) != len(p.Value) {
			return fmt.Errorf("state of %s has %d values, want %d", p.key(), len(slot[i]), len(p.Value))
		}
	}
	return nil
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// encoder appends little-endian values to buf.
type encoder struct{ buf []byte }

func (e *encoder) u32(v uint32) { e.buf = binary.LittleEndian.AppendUint32(e.buf, v) }
func (e *encoder) u64(v uint64) { e.buf = binary.LittleEndian.AppendUint64(e.buf, v) }
func (e *encoder) str(s string) { e.bytes([]byte(s)) }

func (e *encoder) bytes(b []byte) {
	e.u64(uint64(len(b)))
	e.buf = append(e.buf, b...)
}

func (e *encoder) floats(v []float32) {
	e.u64(uint64(len(v)))
	for _, x := range v {
		e.u32(math.Float32bits(x))
	}
}

// decoder reads what encoder wrote. The first error sticks: later reads
// return zero values.
type decoder struct {
	buf []byte
	err error
}

func (d *decoder) take(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.buf)) {
		d.err = fmt.Errorf("body ends early: want %d more bytes, %d left", n, len(d.buf))
		return nil
	}
	b := d.buf[:n]
	d.buf = d.buf[n:]
	return b
}

func (d *decoder) u32() uint32 {
	b := d.take(4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (d *decoder) u64() uint64 {
	b := d.take(8)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(b)
}

// count reads a u32 count of items of at least minSize bytes each, refusing
// counts the rest of the body cannot hold.
func (d *decoder) count(minSize int) int {
	n := uint64(d.u32())
	if d.err == nil && n*uint64(minSize) > uint64(len(d.buf)) {
		d.err = fmt.Errorf("count %d does not fit in the %d bytes left", n, len(d.buf))
		return 0
	}
	return int(n)
}

func (d *decoder) bytes() []byte {
	n := d.u64()
	b := d.take(n)
	return append([]byte(nil), b...)
}

func (d *decoder) str() string { return string(d.bytes()) }

func (d *decoder) floats() []float32 {
	n := d.u64()
	if d.err == nil && n > uint64(len(d.buf))/4 {
		d.err = fmt.Errorf("%d floats do not fit in the %d bytes left", n, len(d.buf))
		return nil
	}
	b := d.take(4 * n)
	v := make([]float32, n)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}
