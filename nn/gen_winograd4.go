//go:build ignore

// gen_winograd4 writes the tile transforms of Winograd's F(4×4, 3×3):
// winograd4_go.go, the portable Go loops, and winograd4_amd64.s, their AVX2
// (8 channels at a time) and AVX-512 (16) twins. Both come from the one
// description below of each transform as a sequence of additions,
// subtractions, negations and multiplications by constants, so that the
// assembly does the same operations in the same order as the Go loops and
// gives the same bits. Run `go generate ./nn` after editing this file.
//
// Every transform is Y = P X Pᵀ for a 1-D transform P (a k×k block X of
// vectors of channels in, an l×l block Y out), computed in two passes of P:
// over the columns of X and then the rows of the result, or over the rows
// and then the columns. The assembly keeps the block between the passes on
// the stack.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"log"
	"maps"
	"math"
	"os"
	"sort"

	"strconv"
	"strings"
)

// opKind is one step of a 1-D transform.
type opKind uint8

const (
	opAdd opKind = iota // dst = a + b
	opSub               // dst = a − b
	opMul               // dst = a · c
	opNeg               // dst = −a
)

type op struct {
	kind opKind
	dst  string
	a, b string
	c    float32
}

// prog is a 1-D transform: inputs x0…x(in−1), outputs the named values,
// each step defines a new value (once).
type prog struct {
	in   int
	outs []string
	ops  []op
}

func add(dst, a, b string) op         { return op{kind: opAdd, dst: dst, a: a, b: b} }
func sub(dst, a, b string) op         { return op{kind: opSub, dst: dst, a: a, b: b} }
func mul(dst, a string, c float32) op { return op{kind: opMul, dst: dst, a: a, c: c} }
func neg(dst, a string) op            { return op{kind: opNeg, dst: dst, a: a} }
func outs(names ...string) []string   { return names }
func ops(steps ...op) []op            { return steps }
func sixth() float32                  { return float32(1.0 / 6) }

// Bᵀ, the input transform (points 0, ±1, ±2):
//
//	⎡4  0 −5  0 1 0⎤
//	⎢0 −4 −4  1 1 0⎥
//	⎢0  4 −4 −1 1 0⎥
//	⎢0 −2 −1  2 1 0⎥
//	⎢0  2 −1 −2 1 0⎥
//	⎣0  4  0 −5 0 1⎦
var progBT = prog{in: 6, outs: outs("y0", "y1", "y2", "y3", "y4", "y5"), ops: ops(
	mul("a", "x0", 4), mul("b", "x2", 5), sub("c", "a", "b"), add("y0", "c", "x4"),
	add("p", "x1", "x2"), add("q", "x3", "x4"), mul("p4", "p", 4), sub("y1", "q", "p4"),
	sub("r", "x1", "x2"), sub("s", "x4", "x3"), mul("r4", "r", 4), add("y2", "s", "r4"),
	sub("u", "x4", "x2"), sub("w", "x3", "x1"), mul("w2", "w", 2), add("y3", "u", "w2"), sub("y4", "u", "w2"),
	mul("e", "x1", 4), mul("f", "x3", 5), sub("g", "e", "f"), add("y5", "g", "x5"),
)}

// B = (Bᵀ)ᵀ, for the gradient of the input transform.
var progB = prog{in: 6, outs: outs("y0", "y1", "y2", "y3", "y4", "x5"), ops: ops(
	mul("y0", "x0", 4),
	add("a", "x1", "x2"), sub("b", "x2", "x1"), add("c", "x3", "x4"), sub("d", "x4", "x3"),
	mul("b4", "b", 4), mul("d2", "d", 2), add("s1", "b4", "d2"), mul("f4", "x5", 4), add("y1", "s1", "f4"),
	mul("g5", "x0", 5), mul("a4", "a", 4), add("s2", "g5", "a4"), add("s3", "s2", "c"), neg("y2", "s3"),
	add("s4", "b", "d2"), mul("f5", "x5", 5), add("s5", "s4", "f5"), neg("y3", "s5"),
	add("h", "x0", "a"), add("y4", "h", "c"),
)}

// Aᵀ, the output transform:
//
//	⎡1 1  1 1  1 0⎤
//	⎢0 1 −1 2 −2 0⎥
//	⎢0 1  1 4  4 0⎥
//	⎣0 1 −1 8 −8 1⎦
var progAT = prog{in: 6, outs: outs("y0", "y1", "y2", "y3"), ops: ops(
	add("a", "x1", "x2"), sub("b", "x1", "x2"), add("c", "x3", "x4"), sub("d", "x3", "x4"),
	add("s", "x0", "a"), add("y0", "s", "c"),
	mul("d2", "d", 2), add("y1", "b", "d2"),
	mul("c4", "c", 4), add("y2", "a", "c4"),
	mul("d8", "d", 8), add("t", "b", "d8"), add("y3", "t", "x5"),
)}

// A = (Aᵀ)ᵀ, for the gradient of the output transform.
var progA = prog{in: 4, outs: outs("x0", "y1", "y2", "y3", "y4", "x3"), ops: ops(
	add("e", "x0", "x2"), add("o", "x1", "x3"), add("y1", "e", "o"), sub("y2", "e", "o"),
	mul("a", "x2", 4), add("e2", "x0", "a"), mul("b", "x1", 2), mul("c", "x3", 8), add("o2", "b", "c"),
	add("y3", "e2", "o2"), sub("y4", "e2", "o2"),
)}

// G, the weight transform:
//
//	⎡ 1/4     0     0 ⎤
//	⎢−1/6  −1/6  −1/6 ⎥
//	⎢−1/6   1/6  −1/6 ⎥
//	⎢1/24  1/12   1/6 ⎥
//	⎢1/24 −1/12   1/6 ⎥
//	⎣  0     0     1  ⎦
var progG = prog{in: 3, outs: outs("a", "y1", "y2", "y3", "y4", "x2"), ops: ops(
	mul("a", "x0", 0.25),
	add("s", "x0", "x2"), add("t1", "s", "x1"), mul("y1", "t1", -sixth()), sub("t2", "s", "x1"), mul("y2", "t2", -sixth()),
	mul("b", "x1", 0.5), add("c", "a", "x2"), add("t3", "c", "b"), mul("y3", "t3", sixth()), sub("t4", "c", "b"), mul("y4", "t4", sixth()),
)}

// Gᵀ, for the weight gradient.
var progGT = prog{in: 6, outs: outs("y0", "y1", "y2"), ops: ops(
	add("a", "x1", "x2"), add("c", "x3", "x4"), mul("p", "a", -sixth()), mul("q", "c", sixth()),
	add("t", "x0", "q"), mul("t4", "t", 0.25), add("y0", "t4", "p"),
	sub("b", "x2", "x1"), sub("d", "x3", "x4"), mul("dh", "d", 0.5), add("bb", "b", "dh"), mul("y1", "bb", sixth()),
	add("pq", "p", "q"), add("y2", "pq", "x5"),
)}

// accessKind is how a transform reads its block X or writes its block Y.
type accessKind uint8

const (
	slices  accessKind = iota // element e is the slice (*d)[e] (an array of slice headers)
	strided                   // element e starts at p[e·stride]
)

// transform is a 2-D transform and the Go function it becomes.
type transform struct {
	name      string // the Go twin is name+"Go", the assembly name+"AVX2" and name+"AVX512"
	doc       string
	p         prog
	rowsFirst bool // the first pass runs over the rows of X
	src, dst  accessKind
	srcName   string // the Go parameter
	dstName   string
	accumDst  bool // Y is added to the destination
	bias      bool // a bias vector is added to every output
	goParams  string
	asmParams string // the Go declaration of the assembly function
	asmArgs   []string
}

var transforms = []transform{
	{
		name: "inputTile4", doc: "writes V = Bᵀ d B for one tile: for each channel q in [lo, hi), v[p·stride+q]\n// for the 36 positions p = 6·row+column, from the 6×6 block of input vectors d\n// (row-major).",
		p: progBT, src: slices, dst: strided, srcName: "d", dstName: "v",
		goParams:  "v []float32, stride int, d *[36][]float32, lo, hi int",
		asmParams: "v *float32, stride int, d *[36][]float32, n int",
		asmArgs:   []string{"v", "stride", "d", "n"},
	},
	{
		name: "outputTile4", doc: "writes Y = Aᵀ M A plus the bias for one tile: the 4×4\n// output vectors o (row-major; nil where the tile overhangs the output) from\n// m[p·stride+q].",
		p: progAT, rowsFirst: true, src: strided, dst: slices, srcName: "m", dstName: "o", bias: true,
		goParams:  "o *[16][]float32, m []float32, stride int, bias []float32, lo, hi int",
		asmParams: "o *[16][]float32, m *float32, stride int, bias *float32, n int",
		asmArgs:   []string{"o", "m", "stride", "bias", "n"},
	},
	{
		name: "gradOutputTile4", doc: "writes dM = A dY Aᵀ for one tile from the 4×4 vectors\n// of dY (row-major; zeros where the tile overhangs the output).",
		p: progA, src: slices, dst: strided, srcName: "d", dstName: "dm",
		goParams:  "dm []float32, stride int, d *[16][]float32, lo, hi int",
		asmParams: "dm *float32, stride int, d *[16][]float32, n int",
		asmArgs:   []string{"dm", "stride", "d", "n"},
	},
	{
		name: "gradInputTile4", doc: "adds B dV Bᵀ for one tile, dV read from dv[p·stride+q],\n// to the 6×6 block of vectors d (row-major).",
		p: progB, rowsFirst: true, src: strided, dst: slices, srcName: "dv", dstName: "d", accumDst: true,
		goParams:  "d *[36][]float32, dv []float32, stride int, lo, hi int",
		asmParams: "d *[36][]float32, dv *float32, stride int, n int",
		asmArgs:   []string{"d", "dv", "stride", "n"},
	},
	{
		name: "filterTransform4", doc: "writes U = G g Gᵀ for the (channel, filter) pairs\n// lo..hi−1 of the weights w ([3][3][C·F]) to u ([36][C·F]).",
		p: progG, src: strided, dst: strided, srcName: "w", dstName: "u",
		goParams:  "u, w []float32, cf, lo, hi int",
		asmParams: "u, w *float32, cf, n int",
		asmArgs:   []string{"u", "w", "cf", "n"},
	},
	{
		name: "filterGrad4", doc: "writes the weight gradient dg = Gᵀ dU G for the pairs\n// lo..hi−1 from du ([36][C·F]) to dw ([3][3][C·F]).",
		p: progGT, rowsFirst: true, src: strided, dst: strided, srcName: "du", dstName: "dw",
		goParams:  "dw, du []float32, cf, lo, hi int",
		asmParams: "dw, du *float32, cf, n int",
		asmArgs:   []string{"dw", "du", "cf", "n"},
	},
}

// lastUses returns, for each value of p, the index of the last step that
// reads it (−1 if none does).
func (p prog) lastUses() map[string]int {
	last := map[string]int{}
	for i, o := range p.ops {
		last[o.a] = i
		if o.kind == opAdd || o.kind == opSub {
			last[o.b] = i
		}
	}
	return last
}

// pass is one application of the 1-D transform inside a 2-D one: input i
// is element in[i] of the source block, output j element out[j] of the
// destination block.
type pass struct{ in, out []int }

// passes returns the two passes of t: elements of X are numbered row-major
// in a k×k block, of the middle block T and of Y in their own.
// The middle block is k×l (rows first) or l×k (columns first), row-major.
func (t transform) passes() (first, second []pass, midRows, midCols int) {
	k, l := t.p.in, len(t.p.outs)
	if t.rowsFirst { // T = X Pᵀ (k×l), Y = P T
		for i := range k {
			var ps pass
			for j := range k {
				ps.in = append(ps.in, i*k+j)
			}
			for j := range l {
				ps.out = append(ps.out, i*l+j)
			}
			first = append(first, ps)
		}
		for j := range l {
			var ps pass
			for i := range k {
				ps.in = append(ps.in, i*l+j)
			}
			for i := range l {
				ps.out = append(ps.out, i*l+j)
			}
			second = append(second, ps)
		}
		return first, second, k, l
	}
	// T = P X (l×k), Y = T Pᵀ
	for j := range k {
		var ps pass
		for i := range k {
			ps.in = append(ps.in, i*k+j)
		}
		for i := range l {
			ps.out = append(ps.out, i*k+j)
		}
		first = append(first, ps)
	}
	for i := range l {
		var ps pass
		for j := range k {
			ps.in = append(ps.in, i*k+j)
		}
		for j := range l {
			ps.out = append(ps.out, i*l+j)
		}
		second = append(second, ps)
	}
	return first, second, l, k
}

func floatLit(c float32) string { return strconv.FormatFloat(float64(c), 'g', -1, 32) }

// ---- Go ----

func genGo() []byte {
	var b bytes.Buffer
	b.WriteString("// Code generated by gen_winograd4.go; DO NOT EDIT.\n\npackage nn\n")
	for _, t := range transforms {
		fmt.Fprintf(&b, "\n// %sGo %s\nfunc %sGo(%s) {\n", t.name, t.doc, t.name, t.goParams)
		if t.bias {
			b.WriteString("for q := lo; q < hi; q++ {\nbq := bias[q]\n")
		} else {
			b.WriteString("for q := lo; q < hi; q++ {\n")
		}
		first, second, _, _ := t.passes()
		mid := map[int]string{} // element of T -> Go value
		for pi, ps := range first {
			vals := goProg(&b, t.p, fmt.Sprintf("a%d", pi), func(i int) string { return goLoad(t, t.src, t.srcName, ps.in[i]) })
			for j, e := range ps.out {
				mid[e] = vals[j]
			}
		}
		for pi, ps := range second {
			vals := goProg(&b, t.p, fmt.Sprintf("b%d", pi), func(i int) string { return mid[ps.in[i]] })
			for j, e := range ps.out {
				goStore(&b, t, e, vals[j])
			}
		}
		b.WriteString("}\n}\n")
	}
	src, err := format.Source(b.Bytes())
	if err != nil {
		log.Fatalf("%v\n%s", err, b.Bytes())
	}
	return src
}

func goLoad(t transform, k accessKind, name string, e int) string {
	if k == slices {
		return fmt.Sprintf("%s[%d][q]", name, e)
	}
	s := "stride"
	if t.name == "filterTransform4" || t.name == "filterGrad4" {
		s = "cf"
	}
	return fmt.Sprintf("%s[%d*%s+q]", name, e, s)
}

func goStore(b *bytes.Buffer, t transform, e int, v string) {
	switch {
	case t.bias:
		fmt.Fprintf(b, "if y := %s[%d]; y != nil {\ny[q] = %s + bq\n}\n", t.dstName, e, v)
	case t.accumDst:
		fmt.Fprintf(b, "%s[%d][q] += %s\n", t.dstName, e, v)
	default:
		fmt.Fprintf(b, "%s = %s\n", goLoad(t, t.dst, t.dstName, e), v)
	}
}

// goProg writes the steps of p with its values prefixed by pre, inputs
// read by load (each once, when first used), and returns the Go names of
// its outputs.
func goProg(b *bytes.Buffer, p prog, pre string, load func(int) string) []string {
	names := map[string]string{}
	val := func(v string) string {
		if n, ok := names[v]; ok {
			return n
		}
		var i int
		if _, err := fmt.Sscanf(v, "x%d", &i); err != nil || i >= p.in {
			log.Fatalf("value %s used before it is defined", v)
		}
		n := pre + v
		fmt.Fprintf(b, "%s := %s\n", n, load(i))
		names[v] = n
		return n
	}
	for _, o := range p.ops {
		n := pre + o.dst
		if _, ok := names[o.dst]; ok {
			log.Fatalf("value %s defined twice", o.dst)
		}
		switch o.kind {
		case opAdd:
			fmt.Fprintf(b, "%s := %s + %s\n", n, val(o.a), val(o.b))
		case opSub:
			fmt.Fprintf(b, "%s := %s - %s\n", n, val(o.a), val(o.b))
		case opMul: // the conversion keeps the product from fusing with an addition
			fmt.Fprintf(b, "%s := float32(%s * %s)\n", n, val(o.a), floatLit(o.c))
		case opNeg:
			fmt.Fprintf(b, "%s := -%s\n", n, val(o.a))
		}
		names[o.dst] = n
	}
	res := make([]string, len(p.outs))
	for j, v := range p.outs {
		res[j] = val(v)
	}
	return res
}

// ---- assembly ----

type isa struct {
	suffix string
	reg    string // vector register prefix
	regs   int
	lanes  int
	xor    string // the bitwise xor (negation)
}

var isas = []isa{
	{"AVX2", "Y", 16, 8, "VXORPS"},
	{"AVX512", "Z", 32, 16, "VPXORD"},
}

type asmWriter struct{ bytes.Buffer }

func (w *asmWriter) f(format string, args ...any) { fmt.Fprintf(&w.Buffer, "\t"+format+"\n", args...) }

// constants used by the transforms, at 4-byte offsets in wg4consts<>.
var constants []uint32

func constOffset(bits uint32) int {
	for i, c := range constants {
		if c == bits {
			return 4 * i
		}
	}
	constants = append(constants, bits)
	return 4 * (len(constants) - 1)
}

const signBit = 0x80000000

// General registers: AX the byte offset of the channels, CX its end, SI the
// stride in bytes, DX 3·stride, R13 5·stride; BX and DI the two pointers
// (source and destination), R10 and R11 their bases (pointer + AX + some
// elements), R12 the bias, R8 and R9 scratch.
type gen struct {
	w      *asmWriter
	is     isa
	t      transform
	free   []int          // free vector registers
	consts map[uint32]int // constant -> register
	bias   int            // bias register, −1 without
	bases  [2]int         // element of each pointer's base register, −1 when stale
	frameV int            // bytes of a vector
}

func (g *gen) reg(r int) string { return fmt.Sprintf("%s%d", g.is.reg, r) }

func (g *gen) alloc() int {
	if len(g.free) == 0 {
		log.Fatalf("%s%s: out of vector registers", g.t.name, g.is.suffix)
	}
	r := g.free[0]
	g.free = g.free[1:]
	return r
}

func (g *gen) release(r int) { g.free = append([]int{r}, g.free...) }

var offsetIndex = map[int]string{
	1: "SI*1", 2: "SI*2", 3: "DX*1", 4: "SI*4", 5: "R13*1", 6: "DX*2", 8: "SI*8",
	10: "R13*2", 12: "DX*4", 20: "R13*4", 24: "DX*8", 40: "R13*8",
}

// stridedOperand returns the operand of element e of pointer which (0: BX
// through R10, 1: DI through R11).
func (g *gen) stridedOperand(which, e int) string {
	ptr, base := [2]string{"BX", "DI"}[which], [2]string{"R10", "R11"}[which]
	if k0 := g.bases[which]; k0 >= 0 && e >= k0 {
		if e == k0 {
			return "(" + base + ")"
		}
		if idx, ok := offsetIndex[e-k0]; ok {
			return fmt.Sprintf("(%s)(%s)", base, idx)
		}
	}
	g.w.f("LEAQ (%s)(AX*1), %s", ptr, base)
	if e > 0 {
		g.w.f("IMUL3Q $%d, SI, R9", e)
		g.w.f("ADDQ R9, %s", base)
	}
	g.bases[which] = e
	return "(" + base + ")"
}

func (g *gen) slicePtr(e int) string {
	g.w.f("MOVQ %d(DI), R8", 24*e)
	return "(R8)(AX*1)"
}

func (g *gen) stack(e int) string { return fmt.Sprintf("%d(SP)", e*g.frameV) }

func (g *gen) constReg(bits uint32) string {
	r, ok := g.consts[bits]
	if !ok {
		log.Fatalf("%s: constant %#x not loaded", g.t.name, bits)
	}
	return g.reg(r)
}

// prog writes the steps of p; load(i, reg) loads input i into the
// register, store(j, reg) stores output j from it.
func (g *gen) prog(p prog, load func(i int, r string), store func(j int, r string)) {
	last := p.lastUses()
	regOf := map[string]int{}
	outAt := map[string][]int{}
	for j, v := range p.outs {
		outAt[v] = append(outAt[v], j)
	}
	get := func(v string) string {
		if r, ok := regOf[v]; ok {
			return g.reg(r)
		}
		var i int
		fmt.Sscanf(v, "x%d", &i)
		r := g.alloc()
		regOf[v] = r
		load(i, g.reg(r))
		return g.reg(r)
	}
	done := func(v string, at int) { // frees v if step at was its last reader and it is no output
		if r, ok := regOf[v]; ok && last[v] == at && len(outAt[v]) == 0 {
			delete(regOf, v)
			g.release(r)
		}
	}
	for i, o := range p.ops {
		a := get(o.a)
		var b string
		if o.kind == opAdd || o.kind == opSub {
			b = get(o.b)
		}
		done(o.a, i)
		if b != "" && o.b != o.a {
			done(o.b, i)
		}
		r := g.alloc()
		regOf[o.dst] = r
		d := g.reg(r)
		switch o.kind {
		case opAdd:
			g.w.f("VADDPS %s, %s, %s", b, a, d)
		case opSub:
			g.w.f("VSUBPS %s, %s, %s", b, a, d)
		case opMul:
			g.w.f("VMULPS %s, %s, %s", g.constReg(math.Float32bits(o.c)), a, d)
		case opNeg:
			g.w.f("%s %s, %s, %s", g.is.xor, g.constReg(signBit), a, d)
		}
		if js, ok := outAt[o.dst]; ok {
			for _, j := range js {
				store(j, d)
			}
			delete(outAt, o.dst)
			if _, used := last[o.dst]; !used || last[o.dst] <= i {
				delete(regOf, o.dst)
				g.release(r)
			}
		}
	}
	// outputs that are inputs, or values still held
	for _, v := range sortedKeys(outAt) {
		r := get(v)
		for _, j := range outAt[v] {
			store(j, r)
		}
	}
	for _, v := range sortedKeys(regOf) {
		g.release(regOf[v])
		delete(regOf, v)
	}
	if len(g.free) != g.is.regs-len(g.consts)-boolInt(g.bias >= 0) {
		log.Fatalf("%s: register leak", g.t.name)
	}
}

// sortedKeys lists the keys of m in order, so that the generated code does
// not depend on the order of a map's iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range maps.Keys(m) {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (t transform) usedConsts() []uint32 {
	var cs []uint32
	seen := map[uint32]bool{}
	for _, o := range t.p.ops {
		var bits uint32
		switch o.kind {
		case opMul:
			bits = math.Float32bits(o.c)
		case opNeg:
			bits = signBit
		default:
			continue
		}
		if !seen[bits] {
			seen[bits] = true
			cs = append(cs, bits)
		}
	}
	return cs
}

func genAsm(w *asmWriter, t transform, is isa) {
	g := &gen{w: w, is: is, t: t, consts: map[uint32]int{}, bias: -1, frameV: 4 * is.lanes}
	first, second, midRows, midCols := t.passes()
	frame := midRows * midCols * g.frameV
	argSize := 8 * len(t.asmArgs)
	fmt.Fprintf(w, "\n// func %s%s(%s)\n", t.name, is.suffix, t.asmParams)
	fmt.Fprintf(w, "TEXT ·%s%s(SB), 0, $%d-%d\n", t.name, is.suffix, frame, argSize)
	// arguments
	var ptrs []string // source then destination pointer names among the args
	for i, a := range t.asmArgs {
		off := fmt.Sprintf("%s+%d(FP)", a, 8*i)
		switch a {
		case "stride", "cf":
			w.f("MOVQ %s, SI", off)
		case "n":
			w.f("MOVQ %s, CX", off)
		case "bias":
			w.f("MOVQ %s, R12", off)
		default:
			ptrs = append(ptrs, a)
			_ = off
		}
	}
	// BX: the strided pointer (the source's when both are); DI: the other.
	var bx, di string
	srcArg, dstArg := t.srcName, t.dstName
	switch {
	case t.src == strided && t.dst == strided:
		bx, di = srcArg, dstArg
	case t.src == strided:
		bx, di = srcArg, dstArg
	default:
		bx, di = dstArg, srcArg
	}
	for i, a := range t.asmArgs {
		switch a {
		case bx:
			w.f("MOVQ %s+%d(FP), BX", a, 8*i)
		case di:
			w.f("MOVQ %s+%d(FP), DI", a, 8*i)
		}
	}
	w.f("SHLQ $2, SI")
	w.f("LEAQ (SI)(SI*2), DX")
	w.f("LEAQ (SI)(SI*4), R13")
	w.f("SHLQ $2, CX")
	w.f("XORQ AX, AX")
	// constants
	var free []int
	for r := range is.regs {
		free = append(free, r)
	}
	for _, c := range t.usedConsts() {
		r := free[len(free)-1]
		free = free[:len(free)-1]
		g.consts[c] = r
		w.f("VBROADCASTSS wg4consts<>+%d(SB), %s", constOffset(c), g.reg(r))
	}
	if t.bias {
		g.bias = free[len(free)-1]
		free = free[:len(free)-1]
	}
	g.free = free
	label := strings.ToLower(t.name + is.suffix)
	fmt.Fprintf(w, "%s_loop:\n", label)
	w.f("CMPQ AX, CX")
	w.f("JAE %s_done", label)
	if t.bias {
		w.f("VMOVUPS (R12)(AX*1), %s", g.reg(g.bias))
	}
	g.bases = [2]int{-1, -1}
	// pointer of an access: which strided base
	which := func(name string) int {
		if name == bx {
			return 0
		}
		return 1
	}
	loadSrc := func(e int, r string) {
		if t.src == slices {
			w.f("VMOVUPS %s, %s", g.slicePtr(e), r)
		} else {
			w.f("VMOVUPS %s, %s", g.stridedOperand(which(srcArg), e), r)
		}
	}
	storeDst := func(e int, r string) {
		switch {
		case t.bias:
			tmp := g.alloc()
			w.f("VADDPS %s, %s, %s", g.reg(g.bias), r, g.reg(tmp))
			w.f("VMOVUPS %s, %s", g.reg(tmp), g.slicePtr(e))
			g.release(tmp)
		case t.accumDst:
			tmp := g.alloc()
			m := g.slicePtr(e)
			w.f("VADDPS %s, %s, %s", m, r, g.reg(tmp))
			w.f("VMOVUPS %s, %s", g.reg(tmp), m)
			g.release(tmp)
		case t.dst == slices:
			w.f("VMOVUPS %s, %s", r, g.slicePtr(e))
		default:
			w.f("VMOVUPS %s, %s", r, g.stridedOperand(which(dstArg), e))
		}
	}
	for pi, ps := range first {
		fmt.Fprintf(w, "\t// first pass, %d\n", pi)
		g.prog(t.p, func(i int, r string) { loadSrc(ps.in[i], r) },
			func(j int, r string) { w.f("VMOVUPS %s, %s", r, g.stack(ps.out[j])) })
	}
	for pi, ps := range second {
		fmt.Fprintf(w, "\t// second pass, %d\n", pi)
		g.prog(t.p, func(i int, r string) { w.f("VMOVUPS %s, %s", g.stack(ps.in[i]), r) },
			func(j int, r string) { storeDst(ps.out[j], r) })
	}
	w.f("ADDQ $%d, AX", g.frameV)
	w.f("JMP %s_loop", label)
	fmt.Fprintf(w, "%s_done:\n", label)
	w.f("VZEROUPPER")
	w.f("RET")
}

func main() {
	if err := os.WriteFile("winograd4_go.go", genGo(), 0o644); err != nil {
		log.Fatal(err)
	}
	var w asmWriter
	w.WriteString("// Code generated by gen_winograd4.go; DO NOT EDIT.\n\n//go:build amd64 && !purego\n\n#include \"textflag.h\"\n")
	w.WriteString("\n// The tile transforms of Winograd's F(4×4, 3×3), 8 (AVX2) or 16 (AVX-512)\n// channels at a time (n, a multiple of that, channels in all), each the\n// same operations in the same order as its Go twin in winograd4_go.go.\n")
	for _, is := range isas {
		for _, t := range transforms {
			genAsm(&w, t, is)
		}
	}
	w.WriteString("\n")
	for i, c := range constants {
		fmt.Fprintf(&w, "DATA wg4consts<>+%d(SB)/4, $0x%08x\n", 4*i, c)
	}
	fmt.Fprintf(&w, "GLOBL wg4consts<>(SB), RODATA|NOPTR, $%d\n", 4*len(constants))
	if err := os.WriteFile("winograd4_amd64.s", w.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
