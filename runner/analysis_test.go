package runner

import (
	"fmt"
	"testing"

	"github.com/cnnlab/cnnlab/data"
)

func TestPickImagesOnePerClassInTurn(t *testing.T) {
	im := data.Images{N: 7, Labels: []uint8{2, 0, 0, 1, 2, 0, 1}}
	tests := []struct {
		n    int
		want string
	}{
		{0, "[]"},
		{2, "[1 3]"},
		{3, "[1 3 0]"},
		{5, "[1 3 0 2 6]"},
		{20, "[1 3 0 2 6 4 5]"}, // every image, when asked for more than there are
	}
	for _, tt := range tests {
		if got := fmt.Sprint(pickImages(im, 3, tt.n)); got != tt.want {
			t.Errorf("pickImages(%d) = %s, want %s", tt.n, got, tt.want)
		}
	}
}

func TestScaleMapsPerChannel(t *testing.T) {
	// Two channels interleaved (HWC): channel 0 spans -1..1, channel 1 is constant.
	lm := scaleMaps([]float32{-1, 5, 0, 5, 1, 5}, 1, 3, 2)
	if fmt.Sprint(lm.Data) != "[0 0 128 0 255 0]" {
		t.Errorf("data %v", lm.Data)
	}
	if lm.Min[0] != -1 || lm.Max[0] != 1 || lm.Min[1] != 5 || lm.Max[1] != 5 {
		t.Errorf("ranges %v %v", lm.Min, lm.Max)
	}
}
