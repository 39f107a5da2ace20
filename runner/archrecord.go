package runner

import (
	"github.com/cnnlab/cnnlab/arch"
	"github.com/cnnlab/cnnlab/runner/record"
)

// archRecord returns the compiled network as the run record's arch.json
// describes it. It lives here, not in arch, so that arch knows nothing of run
// records: data flows from the compiled network into the records, never back.
func archRecord(n *arch.Network) record.Arch {
	a := record.Arch{Input: [3]int{n.Input.H, n.Input.W, n.Input.C}, Params: n.Params, FLOPs: n.FLOPs}
	for _, l := range n.Layers {
		a.Layers = append(a.Layers, record.ArchLayer{Name: l.Name, Kind: string(l.Kind), Detail: l.Detail,
			Output: [3]int{l.Output.H, l.Output.W, l.Output.C}, Params: l.Params, FLOPs: l.FLOPs,
			Family: string(l.Family), About: l.About, Depth: l.Depth, Branch: l.Branch})
	}
	return a
}
