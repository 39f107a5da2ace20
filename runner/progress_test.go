package runner

import "testing"

func TestLossText(t *testing.T) {
	for _, tt := range []struct {
		loss float64
		want string
	}{
		{0.123456, "0.1235"},
		{2.30258, "2.3026"},
		{9999.5, "9999.5000"},
		{90407734485073657856, "9.0408e+19"},
		{-12345.678, "-12346"},
	} {
		if got := lossText(tt.loss); got != tt.want {
			t.Errorf("lossText(%v) = %q, want %q", tt.loss, got, tt.want)
		}
	}
}
