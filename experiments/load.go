package experiments

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cnnlab/cnnlab/internal/fsutil"
	"gopkg.in/yaml.v3"
)

// maxExtends bounds the length of an extends: chain.
const maxExtends = 16

// Load reads the experiment file at path, resolves its extends: chain,
// applies the overrides in sets ("key.path=value", the same key paths as
// sweeps, values written as YAML), checks every value of every sweep point,
// and fills in defaults. On failure the error is an ErrorList holding every
// problem found, each at its FILE:LINE:COL.
//
// Shapes (a feature map that vanishes, a dense layer without flatten, the
// number of classes) are checked by arch.Check, which needs Load's result;
// Validate checks values and shapes in one pass.
func Load(path string, sets []string) (*Experiment, error) {
	root, errs := resolveFile(path, nil, Pos{File: path})
	if errs != nil {
		return nil, errs.Sorted()
	}
	e, errs := finish(root, path, sets)
	if errs != nil {
		return nil, errs.Sorted()
	}
	return e, nil
}

// Validate is Load for a file being checked: it reports Load's problems and
// those that each check finds, in one list sorted by place. The checks run
// through Check, also when other values of the file are wrong, on every
// point whose data input (set, path, size, channels) and model decoded
// cleanly; a shape problem is thus not hidden behind a misspelt learning
// rate. The experiment is returned when there is no problem.
func Validate(path string, sets []string, checks ...func(*Experiment) error) (*Experiment, error) {
	root, errs := resolveFile(path, nil, Pos{File: path})
	if errs != nil {
		return nil, errs.Sorted()
	}
	e, errs := finish(root, path, sets)
	if e != nil {
		for _, check := range checks {
			errs = append(errs, asErrors(e.Check(check), Pos{File: path})...)
		}
	}
	if errs != nil {
		return nil, errs.Sorted()
	}
	return e, nil
}

// loadBytes is Load for a top file already in memory (extends: still reads
// files, relative to name).
func loadBytes(name string, data []byte, sets []string) (*Experiment, error) {
	root, errs := resolveData(name, data, nil)
	if errs != nil {
		return nil, errs.Sorted()
	}
	e, errs := finish(root, name, sets)
	if errs != nil {
		return nil, errs.Sorted()
	}
	return e, nil
}

// finish applies the overrides in sets to root and builds the experiment;
// with errors, the experiment may still come back, as build says.
func finish(root *node, file string, sets []string) (*Experiment, ErrorList) {
	var errs ErrorList
	var changes []change
	for _, s := range sets {
		c, serrs := applySet(root, s)
		errs = append(errs, serrs...)
		if serrs == nil {
			changes = addChange(changes, c)
		}
	}
	if errs != nil {
		return nil, errs
	}
	return build(root, file, changes)
}

// resolveFile reads file and resolves its extends: chain. stack holds the
// files that extend it, to refuse cycles; at is where file was named.
func resolveFile(file string, stack []string, at Pos) (*node, ErrorList) {
	// A file named by extends: is named in the message; the top file is
	// already named by the position.
	named := file
	if at.Line == 0 && at.File == file {
		named = ""
	}
	info, err := os.Stat(file)
	if err != nil {
		return nil, ErrorList{{Pos: at, Msg: readProblem(named, err)}}
	}
	if info.IsDir() {
		msg := "a folder, not an experiment file"
		if named != "" {
			msg = named + " is " + msg
		}
		return nil, ErrorList{{Pos: at, Msg: msg}}
	}
	data, err := fsutil.ReadFileLimit(file, MaxFileSize)
	var large *fsutil.TooLargeError
	switch {
	case errors.As(err, &large):
		return nil, ErrorList{{Pos: Pos{File: file}, Msg: fmt.Sprintf("file is %d bytes; experiment files are limited to %d bytes (1 MiB)", large.Size, MaxFileSize)}}
	case errors.Is(err, fsutil.ErrNotRegular):
		msg := "not a regular file (a device, pipe or socket); experiment files are regular files of at most 1 MiB"
		if named != "" {
			msg = named + " is " + msg
		}
		return nil, ErrorList{{Pos: at, Msg: msg}}
	case err != nil:
		return nil, ErrorList{{Pos: at, Msg: readProblem(named, err)}}
	}
	return resolveData(file, data, stack)
}

// readProblem says why file could not be read; file is "" when the
// message's position already names it.
func readProblem(file string, err error) string {
	switch {
	case errors.Is(err, fs.ErrNotExist) && file == "":
		return "no such file"
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("%s: no such file", file)
	case file == "":
		return fmt.Sprintf("cannot read it: %v", err)
	}
	return fmt.Sprintf("cannot read %s: %v", file, err)
}

func resolveData(file string, data []byte, stack []string) (*node, ErrorList) {
	root, err := parseYAML(file, data)
	if err != nil {
		return nil, asErrors(err, Pos{File: file})
	}
	if !root.isMap() {
		got := root.describe()
		if len(stack) > 0 && root.kind == yaml.ScalarNode {
			// A file reached through extends is not quoted: it may not be
			// the user's own.
			got = "a single value"
		}
		return nil, ErrorList{{Pos: Pos{File: file, Line: root.pos.Line, Col: root.pos.Col},
			Msg: fmt.Sprintf("an experiment file is a mapping of keys (name, data, model, train, …), got %s", got)}}
	}
	ext := root.get("extends")
	if ext == nil {
		return root, nil
	}
	root.remove("extends")
	if ext.isNull() {
		return root, nil
	}
	if !ext.isScalar() || ext.tag != "!!str" {
		return nil, ErrorList{{Pos: Pos{File: file, Line: ext.pos.Line, Col: ext.pos.Col}, Msg: fmt.Sprintf("extends must name one file, got %s", ext.describe())}}
	}
	basePath := ext.value
	if !filepath.IsAbs(basePath) {
		basePath = filepath.Join(filepath.Dir(file), basePath)
	}
	// Only experiment files are read: a path to any other file
	// (extends: /etc/shadow), or a link to one, is refused unread, so its
	// content never appears in a message. (A link to something that is not
	// a regular file is refused as such when it is read.)
	if !yamlName(ext.value) || !yamlName(linkedFile(basePath)) {
		return nil, ErrorList{{Pos: Pos{File: file, Line: ext.pos.Line, Col: ext.pos.Col},
			Msg: fmt.Sprintf("extends: %s is not an experiment file (a .yaml or .yml file)", ext.value)}}
	}
	here := absPath(file)
	chain := append(append([]string(nil), stack...), here)
	for i, s := range chain {
		if s == absPath(basePath) {
			names := make([]string, 0, len(chain)-i+1)
			for _, c := range chain[i:] {
				names = append(names, filepath.Base(c))
			}
			names = append(names, filepath.Base(basePath))
			return nil, ErrorList{{Pos: Pos{File: file, Line: ext.pos.Line, Col: ext.pos.Col}, Msg: "extends: cycle " + strings.Join(names, " → ")}}
		}
	}
	if len(chain) >= maxExtends {
		return nil, ErrorList{{Pos: Pos{File: file, Line: ext.pos.Line, Col: ext.pos.Col}, Msg: fmt.Sprintf("extends: chain longer than %d files", maxExtends)}}
	}
	base, errs := resolveFile(basePath, chain, ext.pos)
	if errs != nil {
		return nil, errs
	}
	// The name and description belong to the file that writes them.
	base.remove("name")
	base.remove("description")
	return mergeNodes(base, root), nil
}

// yamlName reports whether a file's name ends in .yaml or .yml.
func yamlName(p string) bool {
	e := strings.ToLower(filepath.Ext(p))
	return e == ".yaml" || e == ".yml"
}

// linkedFile is the regular file p leads to through symbolic links, or p
// itself when it leads to no regular file (missing, a device: reading it
// says so).
func linkedFile(p string) string {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return p
	}
	if st, err := os.Stat(r); err != nil || !st.Mode().IsRegular() {
		return p
	}
	return r
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return filepath.Clean(a)
	}
	return filepath.Clean(p)
}

// mergeNodes merges child over base: mappings key by key (recursively), any
// other value replaced whole; a null value removes the key.
func mergeNodes(base, child *node) *node {
	if !base.isMap() || !child.isMap() {
		return child
	}
	out := &node{kind: yaml.MappingNode, pos: child.pos, content: append([]*node(nil), base.content...)}
	seen := map[string]bool{}
	for i := 0; i+1 < len(child.content); i += 2 {
		k, v := child.content[i], child.content[i+1]
		if seen[k.value] {
			// A key given twice in the child: keep both, so that decoding
			// reports it as it does in a file that extends nothing.
			out.content = append(out.content, k, v)
			continue
		}
		seen[k.value] = true
		if v.isNull() {
			out.remove(k.value)
			continue
		}
		if old := out.get(k.value); old != nil {
			out.set(k.value, mergeNodes(old, v), k.pos)
			// The key now points at the file that set it last.
			for j := 0; j+1 < len(out.content); j += 2 {
				if out.content[j].value == k.value {
					out.content[j] = k
				}
			}
			continue
		}
		out.content = append(out.content, k, v)
	}
	return out
}

// applySet applies one command-line override "key.path=value" and returns
// it as a change.
func applySet(root *node, s string) (change, ErrorList) {
	at := Pos{File: "--set " + s}
	key, value, ok := strings.Cut(s, "=")
	if !ok {
		return change{}, ErrorList{{Pos: Pos{File: at.File}, Msg: "expected key.path=value, e.g. train.epochs=2"}}
	}
	steps, err := parsePath(strings.TrimSpace(key))
	if err != nil {
		return change{}, ErrorList{{Pos: Pos{File: at.File}, Msg: err.Error()}}
	}
	if len(steps) > 2 && steps[0].key == "sweep" && (steps[1].key == "grid" || steps[1].key == "zip") && steps[2].key != "" {
		// The keys of a grid are key paths themselves: model[0].conv.kernel
		// would be read as grid → model → [0] → …
		return change{}, ErrorList{{Pos: Pos{File: at.File}, Msg: fmt.Sprintf("the keys of sweep.%s are key paths, which --set cannot name one by one; "+
			"set the whole %s, e.g. --set 'sweep.%s={\"%s\": %s}' (it replaces the file's)",
			steps[1].key, steps[1].key, steps[1].key, formatPath(steps[2:]), strings.TrimSpace(value))}}
	}
	var v *node
	if strings.TrimSpace(value) == "" {
		v = &node{kind: yaml.ScalarNode, tag: "!!null", value: ""}
	} else {
		var perr error
		v, perr = parseYAML(at.File, []byte(value))
		if perr != nil {
			es := asErrors(perr, at)
			for i := range es {
				es[i].Line, es[i].Col = 0, 0
			}
			return change{}, es
		}
	}
	place(v, at)
	if err := setPath(root, steps, v, at, false); err != nil {
		return change{}, ErrorList{{Pos: Pos{File: at.File}, Msg: err.Error()}}
	}
	return change{steps: steps, val: v, keyAt: at}, nil
}

// place moves every position of a tree to p.
func place(n *node, p Pos) {
	n.pos = p
	for _, c := range n.content {
		place(c, p)
	}
}
