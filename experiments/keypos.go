package experiments

// KeyPos returns where the key at path (such as "data.path") is written: the
// key's line and column in the file that set it last, or the command-line
// override that set its value. It returns the experiment's file alone when
// the key is not written anywhere (its value is a default) or path is not a
// key path.
func (e *Experiment) KeyPos(path string) Pos {
	steps, err := parsePath(path)
	if err != nil || len(steps) == 0 || steps[len(steps)-1].key == "" {
		return Pos{File: e.File}
	}
	parent := getPath(e.tree, steps[:len(steps)-1])
	last := steps[len(steps)-1].key
	k, v := parent.keyNode(last), parent.get(last)
	switch {
	case k == nil || v == nil:
		return Pos{File: e.File}
	case v.pos.Line == 0 && v.pos.File != "":
		// Set by --set key=value, which kept the file's key.
		return v.pos
	}
	return k.pos
}
