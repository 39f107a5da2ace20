package arch

import (
	"testing"

	"github.com/cnnlab/cnnlab/nn"
)

// TestResNet20Params checks experiments/examples/resnet20.yaml against the
// parameter count of the same network in PyTorch (convs with bias=False,
// BatchNorm2d with a weight and a bias per channel, Linear(64, 10)), worked
// out by hand:
//
//	stem      conv 3·3·3·16 = 432, bn 2·16 = 32                         464
//	stage 1   3 blocks × (2 convs 3·3·16·16 = 2·2,304, 2 bn 2·32 = 64)  3 × 4,672 = 14,016
//	stage 2   down: 3·3·16·32 = 4,608 + 64 + 3·3·32·32 = 9,216 + 64
//	          + projection 1·1·16·32 = 512 + 64                           14,528
//	          2 blocks × (2·9,216 + 2·64)                                2 × 18,560 = 37,120
//	stage 3   down: 3·3·32·64 = 18,432 + 128 + 3·3·64·64 = 36,864 + 128
//	          + projection 1·1·32·64 = 2,048 + 128                        57,728
//	          2 blocks × (2·36,864 + 2·128)                              2 × 73,984 = 147,968
//	dense     64·10 + 10                                                650
//	total                                                               272,474
//
// With the paper's option A shortcuts (zero padding, no parameters) it
// would be 272,474 − (512 + 64) − (2,048 + 128) = 269,722, the figure
// usually quoted for ResNet-20.
func TestResNet20Params(t *testing.T) {
	net, err := Compile(load(t, "../experiments/examples/resnet20.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	const want = 272_474
	if net.Params != want {
		t.Errorf("%d parameters, want %d", net.Params, want)
	}
	b, err := nn.Build(net.Input, net.Specs, 1)
	if err != nil {
		t.Fatal(err)
	}
	if b.NumParams() != want {
		t.Errorf("the engine counts %d parameters, want %d", b.NumParams(), want)
	}
	// 19 convs and a dense layer carry weights; the two projections are
	// not among the 20 layers the name counts.
	convs, dense, projections := 0, 0, 0
	for _, l := range net.Layers {
		switch {
		case l.Kind == nn.KindConv && l.Branch == "shortcut":
			projections++
		case l.Kind == nn.KindConv:
			convs++
		case l.Kind == nn.KindDense:
			dense++
		}
	}
	if convs != 19 || dense != 1 || projections != 2 {
		t.Errorf("%d convs, %d dense layers, %d projections; want 19, 1 and 2", convs, dense, projections)
	}
	if out := net.Output(); out != (nn.Shape{H: 1, W: 1, C: 10}) {
		t.Errorf("output %v", out)
	}
}
