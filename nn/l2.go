package nn

// L2Penalty returns (λ/2)·Σw² over the params with Decay set (conv and dense
// weights) that are not Frozen, each tensor's sum times its DecayScale,
// summed in float64. A frozen tensor is not trained, so its penalty is a
// constant that is not part of what the optimizer minimises.
func L2Penalty(params []*Param, lambda float64) float64 {
	t := sumSquaresTasks.get()
	defer sumSquaresTasks.put(t)
	var sum float64
	for _, p := range params {
		if p.Decay && !p.Frozen {
			sum += float64(p.decayScale()) * t.sum(p.Value)
		}
	}
	return lambda / 2 * sum
}

// AddL2Grad adds the gradient of L2Penalty, λ·w, to the gradients of the
// params with Decay set that are not Frozen.
func AddL2Grad(params []*Param, lambda float32) {
	if lambda == 0 {
		return
	}
	t := elementwiseTasks.get()
	defer elementwiseTasks.put(t)
	for _, p := range params {
		if p.Decay && !p.Frozen {
			t.apply(addScaled, p.Grad, p.Grad, p.Value, lambda*p.decayScale())
		}
	}
}
