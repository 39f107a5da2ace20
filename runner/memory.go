package runner

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/cnnlab/cnnlab/arch"
	"github.com/cnnlab/cnnlab/data"
	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/internal/sysmem"
	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/runner/record"
)

// What a training process holds besides the parts counted: the program,
// the Go runtime and the matrix-multiply packing buffers (runtimeBytes),
// and the buffers a first step outgrows before the collector frees them
// (slackPercent of the weights, optimizer state and activations). Fitted to
// the peak resident set `cnnlab bench` measures (VmHWM) on the seed MNIST
// network at batch 64 (50.9 MiB) and the seed CIFAR-10 network at batch 128
// (578.9 MiB).
const (
	runtimeBytes = 12 << 20
	slackPercent = 13
)

// MemoryPart is one consumer of a memory estimate.
type MemoryPart struct {
	What  string // e.g. "activations at batch 128"
	Bytes int64
	// Top names the layers that take the most of it, biggest first, e.g.
	// "conv1 1.2 GiB"; nil for parts not made of layers.
	Top []string
}

// MemoryEstimate is what training a network of an experiment needs.
type MemoryEstimate struct {
	Parts []MemoryPart // weights, optimizer state, activations, data set, runtime
	Total int64
	Batch int
	net   *nn.Footprint
	opt   experiments.Optimizer
	fixed int64 // the parts that grow neither with the batch nor with the runtime's share
}

// EstimateMemory estimates the memory training e's network (compiled by
// arch) needs at its batch size: weights and their gradients, the
// optimizer's state, the activations and buffers kept for one batch, the
// data set in memory (one byte per pixel) and the runtime. The data set of
// a folder is counted from its listing; one that cannot be listed counts as
// empty.
func EstimateMemory(e *experiments.Experiment, net *arch.Network) (*MemoryEstimate, error) {
	fp, err := nn.Estimate(net.Input, net.Specs)
	if err != nil {
		return nil, err
	}
	m := &MemoryEstimate{Batch: e.Train.Batch, net: fp, opt: e.Train.Optimizer}
	slots, name := optimizerSlots(e.Train.Optimizer)
	weights := MemoryPart{What: "weights and gradients", Bytes: 8*fp.Params + 4*fp.State, Top: topLayers(fp, func(l nn.LayerFootprint) int64 { return 8*l.Params + 4*l.State })}
	m.Parts = append(m.Parts, weights)
	if slots > 0 {
		m.Parts = append(m.Parts, MemoryPart{What: "optimizer state (" + name + ")", Bytes: int64(slots) * 4 * fp.Params,
			Top: topLayers(fp, func(l nn.LayerFootprint) int64 { return int64(slots) * 4 * l.Params })})
	}
	if fp.Fixed > 0 {
		m.Parts = append(m.Parts, MemoryPart{What: "Winograd conv buffers", Bytes: m.winograd(m.Batch),
			Top: topLayers(fp, func(l nn.LayerFootprint) int64 { return 4 * l.Fixed })})
	}
	m.Parts = append(m.Parts, m.activations(m.Batch))
	if n := dataBytes(e.Data, net.Input); n > 0 {
		m.Parts = append(m.Parts, MemoryPart{What: "data set (" + string(e.Data.Set) + ", one byte a pixel)", Bytes: n})
	}
	m.Parts = append(m.Parts, MemoryPart{What: "program, runtime and allocator slack", Bytes: m.runtime(m.Batch)})
	for _, p := range m.Parts {
		m.Total += p.Bytes
	}
	m.fixed = m.Total - m.Parts[m.activationsIndex()].Bytes - m.runtime(m.Batch) - m.winograd(m.Batch)
	return m, nil
}

// winograd is the part of the estimate for the Winograd convs at batch size
// batch: their transformed weights, and the most they ask of the shared
// scratch buffer, which grows with the batch up to a chunk of examples.
func (m *MemoryEstimate) winograd(batch int) int64 {
	return 4*m.net.Fixed + 4*m.net.WinogradScratch(batch)
}

// runtime is the part of the estimate beyond the network and the data at
// batch size batch.
func (m *MemoryEstimate) runtime(batch int) int64 {
	slots, _ := optimizerSlots(m.opt)
	network := (8+4*int64(slots))*m.net.Params + 4*m.net.State + m.winograd(batch) + m.activations(batch).Bytes
	return runtimeBytes + network*slackPercent/100
}

func (m *MemoryEstimate) activationsIndex() int {
	for i, p := range m.Parts {
		if strings.HasPrefix(p.What, "activations") {
			return i
		}
	}
	return -1
}

// activations is the part of the estimate that grows with the batch: the
// outputs, input gradients and buffers of every layer, the trainer's input
// and gradient buffers.
func (m *MemoryEstimate) activations(batch int) MemoryPart {
	fp := m.net
	last := fp.Layers[len(fp.Layers)-1].Out
	per := 4*fp.PerImage + 4*int64(last.Size()) // and the gradient of the loss
	return MemoryPart{What: fmt.Sprintf("activations at batch %d", batch), Bytes: per * int64(batch),
		Top: topLayers(fp, func(l nn.LayerFootprint) int64 { return 4 * l.PerImage * int64(batch) })}
}

// AtBatch is the total at another batch size.
func (m *MemoryEstimate) AtBatch(batch int) int64 {
	return m.fixed + m.winograd(batch) + m.activations(batch).Bytes + m.runtime(batch)
}

// optimizerSlots is how many values per parameter the optimizer keeps.
func optimizerSlots(o experiments.Optimizer) (int, string) {
	switch o.Kind {
	case experiments.OptAdam, experiments.OptAdamW:
		return 2, string(o.Kind)
	case experiments.OptSGD:
		if o.Momentum > 0 {
			return 1, "sgd with momentum"
		}
	}
	return 0, string(o.Kind)
}

// dataBytes is the size of the data set in memory: the official parts of a
// built-in set, or the pictures of a folder at the experiment's size.
func dataBytes(d experiments.Data, in nn.Shape) int64 {
	if d.Set == experiments.SetFolder {
		n, ok := data.CountFolder(d.Path)
		if !ok {
			return 0
		}
		return int64(n) * int64(in.Size())
	}
	info, err := data.Describe(string(d.Set))
	if err != nil {
		return 0
	}
	return int64(info.Images) * int64(info.H*info.W*info.C)
}

// topLayers names the (at most three) layers of fp with the largest size,
// with their share.
func topLayers(fp *nn.Footprint, size func(nn.LayerFootprint) int64) []string {
	ls := append([]nn.LayerFootprint(nil), fp.Layers...)
	slices.SortStableFunc(ls, func(a, b nn.LayerFootprint) int { return cmp.Compare(size(b), size(a)) })
	var out []string
	for _, l := range ls[:min(3, len(ls))] {
		if b := size(l); b > 0 {
			out = append(out, l.Name+" "+nn.Bytes(b))
		}
	}
	return out
}

// CheckBatch is Check for the network alone at batch size batch, without
// the data set: what `cnnlab bench` holds.
func (m *MemoryEstimate) CheckBatch(batch int, limit sysmem.Limit) error {
	n := *m
	n.Batch = batch
	n.Parts = nil
	for _, p := range m.Parts {
		switch {
		case strings.HasPrefix(p.What, "data set"):
			continue
		case strings.HasPrefix(p.What, "activations"):
			p = m.activations(batch)
		case strings.HasPrefix(p.What, "program"):
			p.Bytes = m.runtime(batch)
		}
		n.Parts = append(n.Parts, p)
	}
	n.Total = 0
	for _, p := range n.Parts {
		n.Total += p.Bytes
	}
	n.fixed = n.Total - n.activations(batch).Bytes - n.runtime(batch)
	return n.Check(limit)
}

// Check compares the estimate with the memory this process may use and
// returns an error naming the biggest consumers and a batch that fits, or
// nil when it fits or no limit is known.
func (m *MemoryEstimate) Check(limit sysmem.Limit) error {
	free := limit.Free()
	if m.Total <= free {
		return nil
	}
	parts := append([]MemoryPart(nil), m.Parts...)
	slices.SortStableFunc(parts, func(a, b MemoryPart) int { return cmp.Compare(b.Bytes, a.Bytes) })
	var b strings.Builder
	fmt.Fprintf(&b, "training needs about %s but this process may use %s (%s", nn.Bytes(m.Total), nn.Bytes(free), limit.Source)
	if limit.Used > 0 {
		fmt.Fprintf(&b, " %s, %s in use", nn.Bytes(limit.Bytes), nn.Bytes(limit.Used))
	}
	b.WriteString("): ")
	for i, p := range parts[:min(3, len(parts))] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s %s", p.What, nn.Bytes(p.Bytes))
		if len(p.Top) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(p.Top, ", "))
		}
	}
	batch := m.Batch
	for batch > 1 && m.AtBatch(batch) > free {
		batch /= 2
	}
	if m.AtBatch(batch) <= free && batch < m.Batch {
		fmt.Fprintf(&b, "; try a smaller batch, e.g. --set train.batch=%d (about %s)", batch, nn.Bytes(m.AtBatch(batch)))
	} else {
		b.WriteString("; even a batch of 1 does not fit: make the network smaller")
	}
	return fmt.Errorf("%s", b.String())
}

// checkMemory estimates the memory of every run that will train (not those
// already done, unless forced) and refuses, before any work, a run that
// cannot fit in the memory this process may use; with parallel runs, the
// biggest that train at once must fit together (a data set they share
// counted once).
func checkMemory(jobs []*job, parallel int, opts Options) error {
	detect := opts.Memory
	if detect == nil {
		detect = sysmem.Current
	}
	limit, ok := detect()
	if !ok {
		return nil
	}
	type est struct {
		j *job
		m *MemoryEstimate
	}
	var ests []est
	for _, j := range jobs {
		if j.dupOf >= 0 {
			continue
		}
		if !opts.Force {
			var st record.Status
			if record.ReadJSON(filepath.Join(j.dir, record.StatusFile), &st) == nil && st.State == record.StateDone {
				continue
			}
		}
		m, err := EstimateMemory(j.exp, j.net)
		if err != nil {
			return fmt.Errorf("%s: %w", where(j), err)
		}
		if err := m.Check(limit); err != nil {
			return fmt.Errorf("%s: %w", where(j), err)
		}
		ests = append(ests, est{j, m})
	}
	if parallel < 2 || len(ests) < 2 {
		return nil
	}
	slices.SortStableFunc(ests, func(a, b est) int { return cmp.Compare(b.m.Total, a.m.Total) })
	var total int64
	sets := map[string]bool{}
	for _, e := range ests[:min(parallel, len(ests))] {
		total += e.m.Total - e.m.dataBytes()
		key := dataSetKey(e.j.exp.Data)
		if !sets[key] {
			sets[key] = true
			total += e.m.dataBytes()
		}
	}
	if total > limit.Free() {
		return fmt.Errorf("%d runs at once need about %s but this process may use %s (%s); use --parallel 1 or a smaller batch",
			min(parallel, len(ests)), nn.Bytes(total), nn.Bytes(limit.Free()), limit.Source)
	}
	return nil
}

// dataBytes is the data set's part of the estimate.
func (m *MemoryEstimate) dataBytes() int64 {
	for _, p := range m.Parts {
		if strings.HasPrefix(p.What, "data set") {
			return p.Bytes
		}
	}
	return 0
}

// where names a run in messages: its file, and its point in a sweep.
func where(j *job) string {
	if j.label != "" {
		return fmt.Sprintf("%s, point %d (%s)", j.exp.File, j.point.Index, j.label)
	}
	return j.exp.File
}
