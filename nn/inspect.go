package nn

// Tensors returns every tensor a model file keeps (the parameters and the
// batch-norm running statistics), keyed by layer and name:
// "conv1.weight", "res1.body.batchnorm1.running_var". The values are the
// network's own, not copies. Exporters read a network through it.
func (net *Network) Tensors() map[string]*Param {
	out := map[string]*Param{}
	for _, p := range net.savedTensors() {
		out[p.key()] = p
	}
	return out
}

// LayerNames returns the names Build gives the layers of specs (given
// names kept, the others named after their kind: conv1, conv2, ...); the
// layers of a residual block's body and shortcut are named so under the
// block's name and ".body." or ".shortcut.".
func LayerNames(specs []LayerSpec) ([]string, error) { return layerNames(specs) }

// WithDefaults returns spec with the defaults of its kind filled in, as
// Build uses it (a pooling stride of zero becomes the window size, ...).
func WithDefaults(spec LayerSpec) LayerSpec { return withDefaults(spec) }
