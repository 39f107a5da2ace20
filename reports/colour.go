package reports

import (
	"fmt"
	"math"
	"slices"
)

// The colours of a sweep's series follow its swept values: a sequential
// scale along a numeric key (light to dark as the value grows), distinct
// hues for a key of names, and line patterns for a second key, so that a
// reader can tell a point from its line without the legend and no two
// series of a chart look alike.

// sequentialStops is the sequential scale, low values first: viridis,
// without its palest yellow, which vanishes on white.
var sequentialStops = []string{"#b5de2b", "#5ec962", "#21918c", "#3b528b", "#440154"}

// categoricalColours are distinct hues for up to ten names; more get hues
// spread round the colour wheel (see categorical).
var categoricalColours = []string{
	"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
	"#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#7f7f7f",
}

// sequential returns the colour of the i-th of n ordered values.
func sequential(i, n int) string {
	t := 0.5
	if n > 1 {
		t = float64(i) / float64(n-1)
	}
	stops := make([][3]float64, len(sequentialStops))
	for j, h := range sequentialStops {
		c := hexColor(h)
		stops[j] = [3]float64{float64(c.R), float64(c.G), float64(c.B)}
	}
	pos := t * float64(len(stops)-1)
	k := min(int(pos), len(stops)-2)
	f := pos - float64(k)
	var rgb [3]uint8
	for ch := range 3 {
		rgb[ch] = uint8(math.Round(stops[k][ch] + f*(stops[k+1][ch]-stops[k][ch])))
	}
	return fmt.Sprintf("#%02x%02x%02x", rgb[0], rgb[1], rgb[2])
}

// categorical returns the colour of the i-th of n unordered names: the
// ten distinct hues for n ≤ 10, else n hues spread evenly round the colour
// wheel, alternately darker and lighter.
func categorical(i, n int) string {
	if n <= len(categoricalColours) {
		return categoricalColours[i]
	}
	h := 360 * float64(i) / float64(n)
	l := 0.42
	if i%2 == 1 {
		l = 0.58
	}
	return hsl(h, 0.65, l)
}

// hsl converts hue (degrees), saturation and lightness (0..1) to #rrggbb.
func hsl(h, s, l float64) string {
	c := (1 - math.Abs(2*l-1)) * s
	hp := math.Mod(h, 360) / 60
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	var r, g, b float64
	switch int(hp) {
	case 0:
		r, g = c, x
	case 1:
		r, g = x, c
	case 2:
		g, b = c, x
	case 3:
		g, b = x, c
	case 4:
		r, b = x, c
	default:
		r, b = c, x
	}
	m := l - c/2
	u := func(v float64) uint8 { return uint8(math.Round(255 * (v + m))) }
	return fmt.Sprintf("#%02x%02x%02x", u(r), u(g), u(b))
}

// look is how a point's series are drawn.
type look struct {
	Hex  string
	Dash Dash
}

// pointLooks gives every point of the sweep among runs (named by
// pointName) its look: colour by the first compared key's value, pattern
// by the second's; when that would draw two points alike (more keys, more
// values of the second key than patterns, named alternatives), each point
// gets a colour of its own. The note says how to read the colours.
func pointLooks(e *experiment, runs []*run) (looks map[string]look, note string) {
	var names []string
	first := map[string]*run{}
	for _, r := range runs {
		n := e.pointName(r)
		if _, ok := first[n]; !ok {
			first[n] = r
			names = append(names, n)
		}
	}
	looks = map[string]look{}
	keys := e.GridKeys
	if len(keys) >= 1 && len(keys) <= 2 {
		v1 := keyValues(runs, keys[0])
		num := numeric(v1)
		var v2 []string
		if len(keys) == 2 {
			v2 = keyValues(runs, keys[1])
		}
		seen := map[look]bool{}
		ok := len(v2) <= len(dashes)
		for _, n := range names {
			r := first[n]
			if !ok || e.isAlternative(r) {
				ok = false
				break
			}
			i := slices.Index(v1, valueOr(r.Value, keys[0]))
			l := look{Hex: categorical(i, len(v1))}
			if num {
				l.Hex = sequential(i, len(v1))
			}
			if v2 != nil {
				l.Dash = dashes[slices.Index(v2, valueOr(r.Value, keys[1]))]
			}
			if seen[l] {
				ok = false
				break
			}
			seen[l] = true
			looks[n] = l
		}
		if ok {
			name := e.KeyNames[keys[0]]
			note = "Colour follows " + name
			if num {
				note += ", light to dark as it grows"
			}
			if v2 != nil {
				note += "; the line's pattern follows " + e.KeyNames[keys[1]] + " (" + dashNames(v2) + ")"
			}
			return looks, note + "."
		}
	}
	clear(looks)
	for i, n := range names {
		looks[n] = look{Hex: categorical(i, len(names))}
	}
	return looks, ""
}

// dashNames says which pattern stands for which value.
func dashNames(vals []string) string {
	words := map[Dash]string{DashSolid: "solid", DashDashed: "dashed", DashDotted: "dotted", DashDashDot: "dash-dot", DashLong: "long dashes"}
	s := ""
	for i, v := range vals {
		if i > 0 {
			s += ", "
		}
		s += v + " " + words[dashes[i]]
	}
	return s
}
