// Package nn is cnnlab's training engine: float32 tensors, the layers of small
// convolutional networks with their forward and backward passes, the softmax
// cross-entropy loss, L2 regularisation, optimizers, learning-rate schedules
// and the model file.
//
// # Tensors
//
// A Tensor holds a batch of N examples in NHWC order: the value at example n,
// row h, column w, channel c is Data[((n·H+h)·W+w)·C+c]. A flat vector of
// features is a Tensor with H = W = 1.
//
// # Layer kinds
//
// Kinds lists the layer kinds: for each, its name, description, the keys an
// experiment file may give it (types, defaults, bounds, how each is written
// into a LayerSpec: a field, or by name in LayerSpec.Settings), its shape
// rule, its parameter and FLOP count, its gradient checks, its ONNX operator
// when it is one, and the constructor of its layer. Each entry is registered
// from the file of its layer's forward and backward pass; the packages that
// read experiment files, compile them, export and report on them take what
// they know of a kind from it.
//
// # Building a network
//
// Build turns a list of LayerSpec into a Network. It checks every layer
// against the shape it receives (OutputShape does the same arithmetic without
// allocating anything), names unnamed layers after their kind and position
// (conv1, pool1, bn1, dense1, relu1, ...) and initialises the weights from the
// seed. A dense layer needs a flat input: after a conv or pooling layer put a
// flatten layer before it (the 1×1×C output of global pooling is flat
// already); Build refuses a dense layer on a spatial input.
//
// A residual layer holds two nested lists of specs (LayerSpec.Residual): a
// body and a shortcut (the identity when empty), both fed the layer's input;
// its output is the sum of theirs, which must have the same shape. Backward
// hands the output gradient to both and sums their input gradients. The
// nested layers are named within their list as above and their parameters
// after the block: res1.body.conv1.weight, res1.shortcut.bn1.gamma. Blocks
// nest up to 32 deep.
//
// Output sizes, for an input of size I, window K, stride S along one axis:
//
//	valid:    O = floor((I − K) / S) + 1
//	explicit: O = floor((I + P_before + P_after − K) / S) + 1
//	same:     O = ceil(I / S); the padding needed, max((O−1)·S + K − I, 0), is
//	          split with the odd value going to the bottom/right
//
// Pooling uses the same formulas (floor for sizes the window does not divide:
// the rows and columns that do not fill a window are dropped) and its stride
// defaults to the window size. Padded positions never win a max pool, and an
// average pool divides by the number of real input values under the window.
// A pooling window may not be entirely padding, so explicit pooling padding
// must be smaller than the window. An output of size zero is an error.
//
// Parameter layouts: conv weights are [KH, KW, Cin, Filters] (so a conv is
// the product of the im2col matrix, (N·OH·OW)×(KH·KW·Cin), and the weights
// seen as a (KH·KW·Cin)×Filters matrix); dense weights are [In, Units];
// biases, batch-norm scale (gamma) and shift (beta) have one value per output
// channel or feature.
//
// Initialisation: He (the default) draws weights from a normal distribution
// with standard deviation sqrt(2/fan_in); Glorot draws them uniformly from
// ±sqrt(6/(fan_in+fan_out)). fan_in is KH·KW·Cin for a conv and In for a
// dense layer; fan_out is KH·KW·Filters or Units. Biases and batch-norm
// shifts start at 0, scales at 1, running means at 0 and running variances
// at 1.
//
// # Training
//
// One step is
//
//	logits, err := net.Forward(x, true)
//	loss, correct, err := nn.SoftmaxCrossEntropy(logits, labels, smoothing, dLogits)
//	err = net.Backward(dLogits)          // overwrites every Param.Grad
//	nn.AddL2Grad(net.Params(), lambda)    // adds λ·w to conv and dense weight gradients
//	nn.ClipGradNorm(net.Params(), maxNorm) // optional
//	opt.Step(net.Params(), schedule.LR(base, step, stepsPerEpoch, totalSteps))
//
// SoftmaxCrossEntropy takes logits, so a network trained with it ends in a
// dense layer without a softmax layer after it; Probabilities applies the
// softmax for inference.
//
// Backward overwrites the parameter gradients: there is no ZeroGrad, and
// gradients of several batches are not accumulated.
//
// The L2 penalty is (λ/2)·Σw² over the conv and dense weights (Params with
// Decay set: Build sets it on no bias or batch-norm parameter; a caller may
// set it, with a DecayScale multiplying λ); its gradient is λ·w. Frozen
// tensors are left out of the penalty, its gradient and ClipGradNorm's norm.
// L2Penalty returns it apart from the data loss so that both can be reported.
//
// Batch norm uses the batch statistics in training mode (normalising with
// the biased batch variance) and the running statistics in eval mode. The
// running statistics are updated in each training-mode Forward as
// running = momentum·running + (1−momentum)·batch, with the unbiased batch
// variance. Dropout is inverted: kept values are scaled by 1/(1−rate) in
// training, and the layer is the identity in eval mode.
//
// # Random streams and determinism
//
// Every random stream derives from one run seed: NewRand(seed, stream) is a
// PCG generator from math/rand/v2 seeded with (seed, stream), where stream is
// one of the Stream constants (NewPCG gives the source, whose state can be
// saved to resume). Build draws the initial weights from StreamInit and the
// dropout masks from StreamDropout, whose state model files keep; data
// shuffling and augmentation use StreamShuffle and StreamAugment. Matrix
// products run in package gemm, whose results do not depend on its thread
// count; the layers and optimizers split their other loops over the same
// number of threads (gemm.SetThreads), in blocks fixed by the data's shape
// alone, and add up partial sums block by block in order, so their results do
// not depend on it either. So the same seed gives bit-identical losses and
// weights, run after run, on any number of threads.
//
// # Speed
//
// A conv is one matrix product (package gemm) over the im2col matrix of the
// whole batch, except when its im2col rows are short (at most 16 values, like
// a 3×3 window over one channel): then loops of its own add the bias and the
// products straight into the output, and sum the weight and bias gradients
// in one pass. The hot element-wise loops (ReLU, bias rows and sums, max
// pooling, batch norm, Adam, those direct conv loops) have AVX-512 and AVX2
// versions, and NEON versions on arm64, in Go assembly that give the same
// bits as their portable Go twins (up to which NaN comes out of an operation
// on two NaNs). One setting chooses them at run time: the level of the gemm
// micro-kernel, the best the CPU supports unless CNNLAB_GEMM_KERNEL forces
// one ("avx2" holds both the matrix products and these loops to AVX2,
// "portable" runs everything as portable Go).
//
// A 3×3 stride-1 conv runs instead by Winograd's F(4×4, 3×3) or F(2×2, 3×3)
// (winograd.go) in its forward and both backward passes when a cost model
// of its shape says that is faster: 36 (or 16) matrix products over the
// tiles of the batch replace the one over the im2col matrix, with 4 (or
// 2.25) times fewer multiply-adds, and the transforms have AVX2 and AVX-512
// versions. CNNLAB_CONV=auto|winograd|winograd-f2|winograd-f4|im2col forces
// the choice (see conv).
//
// Such a direct conv followed by relu and a 2×2 max pool that tiles its
// output (the first layers of the seed MNIST network) runs in Forward and
// Backward, on the AVX-512 and AVX2 levels, as one pass over each example, whose conv output and its
// gradient stay in the core's cache, the conv reading its windows straight
// from the image when it has stride 1 and no padding (fuse.go); the
// results are bit for bit those of the three layers, and Activations and
// Outputs still run them one by one.
//
// A training step allocates nothing once the buffers have grown to the batch
// size. SetTiming switches on per-layer timing (Timings reports it), which
// costs nothing while off; the time of fused layers counts as the first's.
//
// # Model files
//
// Save writes a network, optionally an optimizer's state, and opaque bytes of
// the caller's (epoch counters, random-stream states) to a versioned binary
// file, atomically; Load reads it back. The format is
//
//	magic    "CNNLABNN" (8 bytes)
//	version  uint32, little-endian: 3 when a layer keeps settings by name
//	         (LayerSpec.Settings), else 2; files of version 2 (gelu's and
//	         scale's settings in fields of their own) and 1 (written before
//	         residual layers) still load
//	length   uint64, the number of bytes of body that follow
//	body     input shape, layer specs (JSON), dropout stream state, every
//	         tensor (weights, biases, batch-norm scales, shifts and running
//	         statistics) by name and shape, the optimizer (kind, settings,
//	         step count, state tensors) and the caller's bytes
//	crc      uint32, CRC-32C (Castagnoli) of everything before it
//
// Load refuses a file that is not a model file, has another version, is
// shorter than its header says (truncated) or fails the checksum
// (corrupted), with an error that says which.
package nn
