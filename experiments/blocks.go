package experiments

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// Reusable blocks: a top-level `blocks:` mapping names lists of layers with
// parameters,
//
//	blocks:
//	  basic:
//	    params: {filters: 16, stride: 1}   # defaults; null: the use must give it
//	    layers:
//	      - conv: {filters: $filters, kernel: 3, stride: $stride, padding: same}
//	      - relu
//
// and a layer `- block: {use: basic, filters: 32, stride: 2}` of the model
// (or of a list nested in a layer, or of another block) stands for the
// block's layers, each value written `$name` replaced by the use's value of
// the parameter, or its default. The expansion happens before the layers are
// decoded, so the layers of a use are named, checked and written in the
// canonical form as if written out in its place (an experiment gives the
// same run id either way). Every problem found in them is reported at the
// block's line, naming the use: "(in block basic used at model[3], line 40)".

// maxBlockNesting bounds blocks used within blocks.
const maxBlockNesting = 16

var paramPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// blockDef is one entry of blocks:.
type blockDef struct {
	name   string
	params []string         // in the order written
	values map[string]*node // defaults; nil for a parameter the use must give
	layers *node            // a list of layers
}

// useSite is a use of a block, which every node of its expansion points to.
type useSite struct {
	block string
	path  string // the list entry it stands at, e.g. "model[3]"
	at    Pos
	outer *useSite // the use whose expansion holds this one, or nil
}

func (u *useSite) String() string {
	s := fmt.Sprintf("block %s used at %s", u.block, u.path)
	if u.at.Line > 0 {
		s += fmt.Sprintf(", line %d", u.at.Line)
	} else if u.at.File != "" {
		s += ", " + u.at.File
	}
	if u.outer != nil {
		s += ", in " + u.outer.String()
	}
	return s
}

// blockDefs decodes the blocks: mapping.
func (d *decoder) blockDefs(fl field) map[string]*blockDef {
	defs := map[string]*blockDef{}
	n := fl.val
	if n == nil || n.isNull() {
		return defs
	}
	if !n.isMap() {
		d.errorf(n, "blocks must be a mapping of block names to {params: {…}, layers: […]}, got %s", n.describe())
		return defs
	}
	for i := 0; i+1 < len(n.content); i += 2 {
		k, v := n.content[i], n.content[i+1]
		name := k.value
		p := "blocks." + name
		if !namePattern.MatchString(name) {
			d.errorf(k, "%s: a block name uses letters, digits, '-', '_' and '.'", p)
			continue
		}
		if _, dup := defs[name]; dup {
			d.errorf(k, "%s: block given twice", p)
			continue
		}
		f := d.fields(v, p, names(blockKeys)...)
		def := &blockDef{name: name, values: map[string]*node{}}
		if pf, ok := f["params"]; ok && !pf.val.isNull() {
			if !pf.val.isMap() {
				d.errorf(pf.val, "%s.params must be a mapping of parameter names to defaults (null: no default), got %s", p, pf.val.describe())
			} else {
				for j := 0; j+1 < len(pf.val.content); j += 2 {
					pk, pv := pf.val.content[j], pf.val.content[j+1]
					switch {
					case !paramPattern.MatchString(pk.value) || pk.value == "use":
						d.errorf(pk, "%s.params.%s: a parameter name uses letters, digits and '_', and is not use", p, pk.value)
					case slices.Contains(def.params, pk.value):
						d.errorf(pk, "%s.params.%s: parameter given twice", p, pk.value)
					default:
						def.params = append(def.params, pk.value)
						if !pv.isNull() {
							def.values[pk.value] = pv
						}
					}
				}
			}
		}
		lf, ok := f["layers"]
		switch {
		case !ok && v.isMap():
			d.errorf(v, "%s: missing layers", p)
			continue
		case !ok:
			continue
		case !lf.val.isSeq() || len(lf.val.content) == 0:
			d.errorf(lf.val, "%s.layers must be a list of at least one layer, got %s", p, lf.val.describe())
			continue
		}
		def.layers = lf.val
		defs[name] = def
	}
	return defs
}

// isUse reports whether a list item is a use of a block.
func isUse(item *node) bool {
	return item.isMap() && len(item.content) == 2 && item.content[0].value == "block"
}

// expandBlocks replaces every use of a block in the list seq (whose path is
// p), and in the lists nested in its layers, by the block's layers. outer
// is the use whose expansion seq belongs to, if any. It stops at the first
// expansion that would exceed the node budget.
func (d *decoder) expandBlocks(seq *node, p string, defs map[string]*blockDef, outer *useSite, depth int, budget *int) {
	if !seq.isSeq() {
		return
	}
	var out []*node
	for i, item := range seq.content {
		ip := fmt.Sprintf("%s[%d]", p, i)
		if !isUse(item) {
			d.expandNested(item, ip, defs, outer, depth, budget)
			out = append(out, item)
			continue
		}
		layers := d.use(item, ip, defs, outer, depth, budget)
		out = append(out, layers...)
	}
	seq.content = out
}

// expandNested expands the uses in the lists nested anywhere in a layer.
func (d *decoder) expandNested(n *node, p string, defs map[string]*blockDef, outer *useSite, depth int, budget *int) {
	if n.isMap() {
		for i := 0; i+1 < len(n.content); i += 2 {
			k, v := n.content[i], n.content[i+1]
			if v.isSeq() {
				d.expandBlocks(v, join(p, k.value), defs, outer, depth, budget)
			} else {
				d.expandNested(v, join(p, k.value), defs, outer, depth, budget)
			}
		}
	}
}

// use returns the layers a use of a block stands for: a copy of the block's
// layers with its parameters replaced, every node pointing at the use.
func (d *decoder) use(item *node, p string, defs map[string]*blockDef, outer *useSite, depth int, budget *int) []*node {
	if *budget < 0 {
		return nil // reported once, at the use that went over
	}
	params := item.content[1]
	bp := p + ".block"
	names := slices.Sorted(maps.Keys(defs))
	u := params.get("use")
	if u == nil {
		at := params
		if !params.isMap() {
			at = item.content[0]
		}
		if len(names) == 0 {
			d.errorf(at, "%s: missing use (the name of a block), and there is no blocks: mapping to name one from", bp)
		} else {
			d.errorf(at, "%s: missing use (the name of a block: %s)", bp, strings.Join(names, ", "))
		}
		return nil
	}
	name, ok := d.enumVal(u, bp+".use", "block", names)
	if !ok {
		return nil
	}
	def := defs[name]
	site := &useSite{block: name, path: p, at: item.pos, outer: outer}
	for o := outer; o != nil; o = o.outer {
		if o.block == name {
			d.errorf(item, "%s: block %s uses itself", bp, name) // the message names the use
			return nil
		}
	}
	if depth >= maxBlockNesting {
		d.errorf(item, "%s: blocks used within blocks more than %d deep", bp, maxBlockNesting)
		return nil
	}
	f := d.fields(params, bp, append([]string{"use"}, def.params...)...)
	values := map[string]*node{}
	for _, prm := range def.params {
		if x, ok := f[prm]; ok {
			values[prm] = x.val
		} else if v := def.values[prm]; v != nil {
			values[prm] = v
		} else {
			d.errorf(params, "%s: missing %s (block %s has no default for it)", bp, prm, name)
		}
	}
	*budget -= def.layers.size()
	if *budget < 0 {
		d.errorf(item, "%s: the blocks expand to more than %d YAML values; use fewer or smaller blocks", bp, maxNodes)
		return nil
	}
	expanded := d.substitute(def.layers, def, values, site, budget)
	if *budget < 0 {
		d.errorf(item, "%s: the blocks expand to more than %d YAML values; use fewer or smaller blocks", bp, maxNodes)
		return nil
	}
	d.expandBlocks(expanded, fmt.Sprintf("blocks.%s.layers", name), defs, site, depth+1, budget)
	return expanded.content
}

// substitute copies n, replacing the scalars $name by the values of the
// block's parameters and marking every node with the use.
func (d *decoder) substitute(n *node, def *blockDef, values map[string]*node, site *useSite, budget *int) *node {
	if n.isScalar() && n.tag == "!!str" && strings.HasPrefix(n.value, "$") {
		prm := n.value[1:]
		v, ok := values[prm]
		switch {
		case !slices.Contains(def.params, prm):
			c := *n
			c.use = site
			if len(def.params) == 0 {
				d.errorf(&c, "%s is not a parameter of block %s, which has none (declare it under blocks.%s.params)", n.value, def.name, def.name)
			} else {
				d.errorf(&c, "%s is not a parameter of block %s (its parameters: %s)%s", n.value, def.name, strings.Join(def.params, ", "), didYouMean(prm, def.params))
			}
			return &c
		case ok:
			*budget -= v.size()
			if *budget < 0 {
				return n
			}
			c := v.clone()
			c.setUse(site)
			c.pos = n.pos // problems with the value are shown where the block uses it
			return c
		}
	}
	c := *n
	c.use = site
	if n.content != nil {
		c.content = make([]*node, len(n.content))
		for i, x := range n.content {
			c.content[i] = d.substitute(x, def, values, site, budget)
		}
	}
	return &c
}

// setUse marks n and its descendants with the use site.
func (n *node) setUse(u *useSite) {
	n.use = u
	for _, c := range n.content {
		c.setUse(u)
	}
}
