package shapes

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		text    string
		want    Shape
		wantErr bool
	}{
		{text: "sq:N:N:4:5:6", want: Shape{Name: "sq", M: 4, N: 5, K: 6}},
		{text: "g:T:N:9:28:43264", want: Shape{Name: "g", TransA: true, M: 9, N: 28, K: 43264}},
		{text: "x:N:T:1:2:3", want: Shape{Name: "x", TransB: true, M: 1, N: 2, K: 3}},
		{text: "x:N:N:1:2", wantErr: true},
		{text: ":N:N:1:2:3", wantErr: true},
		{text: "x:Y:N:1:2:3", wantErr: true},
		{text: "x:N:N:0:2:3", wantErr: true},
		{text: "x:N:N:1:two:3", wantErr: true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.text)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q) error %v, want error %v", tt.text, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.text, got, tt.want)
		}
	}
}

func TestSeedRoundTrip(t *testing.T) {
	names := map[string]bool{}
	for _, s := range Seed {
		got, err := Parse(s.String())
		if err != nil || got != s {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", s.String(), got, err, s)
		}
		if names[s.Name] {
			t.Errorf("shape name %q twice", s.Name)
		}
		names[s.Name] = true
	}
}

func TestFLOPs(t *testing.T) {
	if got := (Shape{M: 1024, N: 1024, K: 1024}).FLOPs(); got != 2*1024*1024*1024 {
		t.Errorf("FLOPs = %g, want %d", got, 2*1024*1024*1024)
	}
}
