package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/cnnlab/cnnlab/arch"
	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/internal/sysmem"
	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/runner"
)

func init() {
	register(&command{
		name:    "summary",
		summary: "print an experiment's layers, shapes, parameters and FLOPs",
		usage: `  cnnlab summary FILE [--point N] [--set key.path=value]...

For one network: a table of its layers with output shape, parameters and
MFLOPs per image, and an estimate of the memory training needs (weights,
optimizer state, activations at the batch size, data set) beside the memory
this process may use. For a sweep: one row per point with its swept values,
parameters, MFLOPs and memory; --point N prints the layer table of point N.`,
		run: runSummary,
	})
}

func runSummary(args []string, stdout, stderr io.Writer) error {
	f := newWordedFlags("summary")
	pointFlag := f.Int("point", -1, 0, func(v string) string { return fmt.Sprintf("--point %q: want a point number (0, 1, …)", v) })
	setFlags := f.Sets()
	files, err := f.parse(args)
	if err != nil {
		return err
	}
	point, sets := *pointFlag, []string(*setFlags)
	if len(files) != 1 {
		return usageError{"summary takes one experiment file"}
	}
	e, err := loadChecked(files[0], sets)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return exitError{1}
	}
	pts, _ := e.Points()
	if point >= len(pts) {
		return usageError{fmt.Sprintf("--point %d: the experiment has %d points (0…%d)", point, len(pts), len(pts)-1)}
	}
	if e.Sweep == nil || point >= 0 {
		p := pts[max(point, 0)]
		net, err := arch.Compile(p.Experiment)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitError{1}
		}
		fmt.Fprintf(stdout, "%s: %s\n", e.File, describe(p.Experiment, net))
		if p.Label() != "" {
			fmt.Fprintf(stdout, "point %d: %s\n", p.Index, p.Label())
		}
		writeLayers(stdout, net)
		m, err := runner.EstimateMemory(p.Experiment, net)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return exitError{1}
		}
		writeMemory(stdout, m)
		return nil
	}
	return writePoints(stdout, e, pts)
}

func describe(e *experiments.Experiment, net *arch.Network) string {
	classes := "unknown classes"
	if net.Classes > 0 {
		classes = fmt.Sprintf("%d classes", net.Classes)
	}
	return fmt.Sprintf("%s on %s, input %v, %s", e.Name, e.Data.Set, net.Input, classes)
}

// writeLayers prints a Keras-like table of a network's layers: names, kinds
// and details left-aligned, shapes and numbers right-aligned.
func writeLayers(w io.Writer, net *arch.Network) {
	rows := [][]string{{"layer", "kind", "detail", "output", "params", "MFLOPs"}, {"input", "", "", net.Input.String(), "", ""}}
	for _, l := range net.Layers {
		// The layers of a block are indented under it and named after the
		// list they are in; the block's numbers include theirs.
		name := l.Name
		if l.Depth > 0 {
			name = strings.Repeat("  ", l.Depth) + l.Branch + "." + l.Name
		}
		rows = append(rows, []string{name, string(l.Kind), l.Detail, l.Output.String(), thousands(l.Params), mflops(l.FLOPs)})
	}
	rows = append(rows, []string{"total", "", "", "", thousands(net.Params), mflops(net.FLOPs)})
	writeTable(w, rows, 3)
}

// writeTable prints rows as columns two spaces apart, the first left
// columns aligned left and the others right.
func writeTable(w io.Writer, rows [][]string, left int) {
	var width []int
	for _, r := range rows {
		for i, c := range r {
			if i == len(width) {
				width = append(width, 0)
			}
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if i < left {
				b.WriteString(c + pad)
			} else {
				b.WriteString(pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// writePoints prints one row per distinct point of a sweep.
func writePoints(w io.Writer, e *experiments.Experiment, pts []experiments.Point) error {
	var keys []string
	for _, s := range pts[0].Settings {
		if s.Key != "seed" {
			keys = append(keys, s.Key)
		}
	}
	seeds := e.Sweep.Seeds
	runs := len(pts)
	fmt.Fprintf(w, "%s: sweep of %d points", e.File, runs/seeds)
	if seeds > 1 {
		fmt.Fprintf(w, " × %d seeds = %d runs", seeds, runs)
	}
	fmt.Fprintf(w, "; %s\n", e.CostText())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "point\t")
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t", k)
	}
	fmt.Fprintln(tw, "output\tparams\tMFLOPs\tmemory\t")
	for _, p := range pts {
		if p.Replicate != 0 {
			continue
		}
		net, err := arch.Compile(p.Experiment)
		if err != nil {
			return err
		}
		fmt.Fprintf(tw, "%d\t", p.Index)
		for _, s := range p.Settings {
			if s.Key != "seed" {
				v := s.Value
				if v == "" {
					v = "-"
				}
				fmt.Fprintf(tw, "%s\t", v)
			}
		}
		mem := "-"
		if m, err := runner.EstimateMemory(p.Experiment, net); err == nil {
			mem = nn.Bytes(m.Total)
		}
		fmt.Fprintf(tw, "%v\t%s\t%s\t%s\t\n", net.Output(), thousands(net.Params), mflops(net.FLOPs), mem)
	}
	tw.Flush()
	fmt.Fprintln(w, "(cnnlab summary FILE --point N prints the layers of point N)")
	return nil
}

func mflops(f int64) string { return strconv.FormatFloat(float64(f)/1e6, 'f', 3, 64) }

// writeMemory prints the memory estimate of training, part by part, and
// the memory this process may use.
func writeMemory(w io.Writer, m *runner.MemoryEstimate) {
	fmt.Fprintf(w, "\nmemory to train at batch %d (estimate): %s\n", m.Batch, nn.Bytes(m.Total))
	var rows [][]string
	for _, p := range m.Parts {
		rows = append(rows, []string{"  " + p.What, nn.Bytes(p.Bytes)})
	}
	var table strings.Builder
	writeTable(&table, rows, 1)
	for i, line := range strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n") {
		if top := m.Parts[i].Top; len(top) > 0 {
			line += "  most in " + strings.Join(top, ", ")
		}
		fmt.Fprintln(w, line)
	}
	limit, ok := sysmem.Current()
	if !ok {
		return
	}
	fmt.Fprintf(w, "this process may use %s (%s)\n", nn.Bytes(limit.Free()), limit.Source)
	if err := m.Check(limit); err != nil {
		fmt.Fprintf(w, "warning: %v\n", err)
	}
}
