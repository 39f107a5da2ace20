package nn

import (
	"fmt"
	"math"
)

// SoftmaxCrossEntropy returns the mean over the batch of the cross-entropy
// between softmax(logits) and the labels, and how many examples the logits
// classify correctly (arg max = label). Each example's logits are its H·W·C
// values (normally a 1×1×K output).
//
// With label smoothing s the target of an example with label y is
// (1−s)·onehot(y) + s/K, so the loss of one example is
//
//	−Σ_k target_k · log softmax(logits)_k,  log softmax_k = z_k − max z − log Σ_j e^(z_j − max z)
//
// If dLogits is not nil it receives the gradient of the mean loss, which is
// (softmax(logits) − target)/N; it must have the shape of logits.
func SoftmaxCrossEntropy(logits *Tensor, labels []int, smoothing float32, dLogits *Tensor) (loss float64, correct int, err error) {
	if logits == nil || logits.N < 1 {
		return 0, 0, fmt.Errorf("nn: softmax cross-entropy: empty batch of logits")
	}
	k := logits.H * logits.W * logits.C
	if len(logits.Data) < logits.Len() {
		return 0, 0, fmt.Errorf("nn: softmax cross-entropy: %d values for logits %v", len(logits.Data), logits)
	}
	if len(labels) != logits.N {
		return 0, 0, fmt.Errorf("nn: softmax cross-entropy: %d labels for %d examples of logits", len(labels), logits.N)
	}
	if !(smoothing >= 0 && smoothing < 1) {
		return 0, 0, fmt.Errorf("nn: softmax cross-entropy: label smoothing %v, want 0 ≤ s < 1", smoothing)
	}
	if dLogits != nil && (dLogits.N != logits.N || dLogits.Shape() != logits.Shape() || len(dLogits.Data) < logits.Len()) {
		return 0, 0, fmt.Errorf("nn: softmax cross-entropy: gradient tensor %v does not match logits %v", dLogits, logits)
	}
	for i, y := range labels {
		if y < 0 || y >= k {
			return 0, 0, fmt.Errorf("nn: softmax cross-entropy: label %d of example %d is outside 0..%d", y, i, k-1)
		}
	}
	s := float64(smoothing)
	off := s / float64(k) // target of a wrong class
	on := 1 - s + off     // target of the right class
	invN := 1 / float64(logits.N)
	var total float64
	for n, y := range labels {
		z := logits.Data[n*k : (n+1)*k]
		best := 0
		for j, v := range z {
			if v > z[best] {
				best = j
			}
		}
		if best == y {
			correct++
		}
		m := float64(z[best])
		var sum float64
		for _, v := range z {
			sum += math.Exp(float64(v) - m)
		}
		logSum := m + math.Log(sum)
		// −Σ target_k·(z_k − logSum) = logSum − Σ target_k·z_k
		var dot float64
		for j, v := range z {
			t := off
			if j == y {
				t = on
			}
			dot += t * float64(v)
		}
		total += logSum - dot
		if dLogits != nil {
			d := dLogits.Data[n*k : (n+1)*k]
			for j, v := range z {
				t := off
				if j == y {
					t = on
				}
				d[j] = float32((math.Exp(float64(v)-logSum) - t) * invN)
			}
		}
	}
	return total * invN, correct, nil
}
