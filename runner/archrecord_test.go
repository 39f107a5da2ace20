package runner

import (
	"testing"

	"github.com/cnnlab/cnnlab/arch"
	"github.com/cnnlab/cnnlab/experiments"
)

func TestArchRecord(t *testing.T) {
	e, err := experiments.Load("../experiments/seed/mnist.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	net, err := arch.Compile(e)
	if err != nil {
		t.Fatal(err)
	}
	r := archRecord(net)
	if r.Input != [3]int{28, 28, 1} || len(r.Layers) != 7 || r.Layers[0].Output != [3]int{26, 26, 28} || r.Params != net.Params || r.FLOPs != net.FLOPs {
		t.Errorf("record %+v", r)
	}
}
