// Package record defines the files a run leaves in its folder,
// results/<experiment>/<run-id>/, and reads and writes them. The runner writes
// them; reports read them and nothing else, so this package imports no engine
// code. Every file is written atomically: a reader sees the old version or the
// new one, never a half-written file.
package record

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/cnnlab/cnnlab/internal/fsutil"
)

// Names of the files in a run folder.
const (
	ConfigFile     = "config.yaml"     // the fully resolved experiment config of this run
	StatusFile     = "status.json"     // Status
	EpochsFile     = "epochs.jsonl"    // one Epoch per line
	StepsFile      = "steps.jsonl"     // one Step per line
	EnvFile        = "env.json"        // Env
	ArchFile       = "arch.json"       // Arch
	HistogramsFile = "histograms.json" // Histograms
	AnalysisFile   = "analysis.json"   // Analysis
	ModelFile      = "model.cnn"       // the final model (nn model file)
	CheckpointFile = "checkpoint.cnn"  // the last end-of-epoch checkpoint (nn model file)
	BestFile       = "best.cnn"        // the checkpoint with the best validation accuracy
	LockFile       = "lock"            // held (flock) by the process training the run; holds its pid
	PreprocessFile = "preprocess.json" // Preprocess
)

// State is where a run stands, as its status.json says.
type State string

// Run states.
const (
	StateRunning  State = "running"
	StateDone     State = "done"
	StateFailed   State = "failed"
	StateDiverged State = "diverged" // NaN or Inf loss
	StateStopped  State = "stopped"  // interrupted by a signal; resumes on the next run
	// StatePaused is a run of a search that reached the epoch of its rung
	// and waits for the rung to be ranked; it keeps its checkpoint.
	StatePaused State = "paused"
	// StatePruned is a run a search stopped at its rung (Status.Rung)
	// because others ranked before it. It keeps its checkpoint: a search
	// that promotes it later continues it.
	StatePruned State = "pruned"
	// StateAbandoned is never written: readers show it for a run whose
	// status says running although no process holds its lock (see Abandoned).
	StateAbandoned State = "abandoned"
)

// KeyValue is one swept key of a run and the value it takes, e.g.
// {"model[0].conv.kernel", "5"}. Values are written as YAML scalars.
type KeyValue struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Status says where a run is and how it ended.
type Status struct {
	Experiment  string     `json:"experiment"`
	Description string     `json:"description,omitempty"`
	RunID       string     `json:"run_id"`
	State       State      `json:"state"`
	Error       string     `json:"error,omitempty"`
	StopReason  string     `json:"stop_reason,omitempty"` // e.g. "early stop: val_acc did not improve for 3 epochs"
	Swept       []KeyValue `json:"swept,omitempty"`       // values of the sweep's keys at this point, in sweep order
	Seed        int64      `json:"seed"`
	Replicate   int        `json:"replicate"` // 0-based index among the sweep's seeds
	Epoch       int        `json:"epoch"`     // epochs completed
	Epochs      int        `json:"epochs"`    // epochs planned
	BestEpoch   int        `json:"best_epoch,omitempty"`
	BestValAcc  float64    `json:"best_val_acc,omitempty"`
	TestAcc     float64    `json:"test_acc,omitempty"` // at the best checkpoint
	Started     time.Time  `json:"started"`
	Updated     time.Time  `json:"updated"`
	Seconds     float64    `json:"seconds"`             // training time, summed over resumes
	Command     string     `json:"command,omitempty"`   // the command that reruns this run
	SlurmJob    string     `json:"slurm_job,omitempty"` // the Slurm job (array task "1234_5") that last trained it
	// Rung is the epoch at which a search paused or pruned the run.
	Rung int `json:"rung,omitempty"`
	// Search describes the search (random sampling, successive halving)
	// the run is a point of; nil for a run of a grid.
	Search *Search `json:"search,omitempty"`
	// Sealed is set when the run finished with checksums of its records
	// (checksums.json), so that losing them is damage, not an old run.
	Sealed bool `json:"sealed,omitempty"`
}

// Search describes the search a run is a point of, for reports: which of
// its swept keys were drawn at random (LogKeys from a log-uniform
// distribution, for a log axis) and, with successive halving, the rungs
// (epochs), the reduction factor and the metric that ranks the points.
type Search struct {
	Sampled []string `json:"sampled,omitempty"`
	LogKeys []string `json:"log_keys,omitempty"`
	Rungs   []int    `json:"rungs,omitempty"`
	Factor  int      `json:"factor,omitempty"`
	Metric  string   `json:"metric,omitempty"`
}

// Preprocess is how a run turns a picture into the network's input: the
// picture is scaled so its shorter side is Size, centre-cropped to
// Size×Size and kept with Channels channels (1 grey, 3 RGB); then each value
// v of channel c becomes (v - Offset[c]) * Scale[c], with the statistics
// fitted on the run's training images. Output i of the network is class
// Classes[i].
type Preprocess struct {
	Set      string    `json:"set"` // the data set: mnist, cifar10, ... or folder
	Size     int       `json:"size"`
	Channels int       `json:"channels"`
	Kind     string    `json:"kind"` // none, minmax or standardize
	Offset   []float32 `json:"offset"`
	Scale    []float32 `json:"scale"`
	Classes  []string  `json:"classes"`
}

// Epoch holds the metrics at the end of one epoch. Losses are means over the
// epoch; Loss = DataLoss + L2Loss.
type Epoch struct {
	Epoch        int     `json:"epoch"` // 1-based
	Loss         float64 `json:"loss"`
	DataLoss     float64 `json:"data_loss"`
	L2Loss       float64 `json:"l2_loss"`
	TrainAcc     float64 `json:"train_acc"`
	ValLoss      float64 `json:"val_loss"`
	ValAcc       float64 `json:"val_acc"`
	TestLoss     float64 `json:"test_loss"`
	TestAcc      float64 `json:"test_acc"`
	LR           float64 `json:"lr"` // at the end of the epoch
	Seconds      float64 `json:"seconds"`
	ImagesPerSec float64 `json:"images_per_sec"`
}

// HasValidation reports whether the epoch was evaluated on validation
// images: a run trained on every training image (split val: 0) records
// none, its validation loss and accuracy 0.
func (e Epoch) HasValidation() bool { return e.ValLoss != 0 || e.ValAcc != 0 }

// Step holds the training loss of one optimisation step, recorded every few steps.
type Step struct {
	Step     int     `json:"step"` // 1-based, counted over the whole run
	Epoch    int     `json:"epoch"`
	Loss     float64 `json:"loss"`
	DataLoss float64 `json:"data_loss"`
	L2Loss   float64 `json:"l2_loss"`
	LR       float64 `json:"lr"`
}

// Env describes where and how a run was trained.
type Env struct {
	GoVersion string `json:"go_version"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	CPU       string `json:"cpu"`
	Kernel    string `json:"kernel"` // the matrix-multiply kernel variant used, e.g. "avx512"
	Threads   int    `json:"threads"`
	Commit    string `json:"commit,omitempty"`
	Version   string `json:"version,omitempty"`
}

// Arch is the compiled network: one row per layer, as `cnnlab summary` prints it.
type Arch struct {
	Input  [3]int      `json:"input"` // H, W, C
	Layers []ArchLayer `json:"layers"`
	Params int64       `json:"params"`
	FLOPs  int64       `json:"flops"` // per image, forward pass
}

// ArchLayer is one layer of Arch.
type ArchLayer struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Detail string `json:"detail"` // e.g. "28@3×3 stride 1 valid"
	Output [3]int `json:"output"` // H, W, C
	Params int64  `json:"params"`
	FLOPs  int64  `json:"flops"`
	// Family groups the kinds a diagram draws alike (conv, pool,
	// regularise, dense, reshape, activation) and About says in a line what
	// the kind computes; both come from the table of layer kinds, and are
	// absent from records written before they were added.
	Family string `json:"family,omitempty"`
	About  string `json:"about,omitempty"`
	// Depth is how deeply the layer is nested in blocks (0 for a layer of
	// the model) and Branch the list of its block it belongs to ("body",
	// "shortcut"); the rows of a block's layers follow the block's row.
	// Both are absent for the layers of a model without blocks.
	Depth  int    `json:"depth,omitempty"`
	Branch string `json:"branch,omitempty"`
}

// Histograms holds, for every weight and bias tensor, its value histogram at
// every epoch, epoch 0 being the initial values. Each epoch's bins span
// that epoch's values (EdgesAt); records written before that kept one set of
// edges for every epoch (Edges), chosen from the initial values, with values
// outside clamped to the end bins.
type Histograms struct {
	Tensors []TensorHistogram `json:"tensors"`
}

// TensorHistogram is one tensor's histograms.
type TensorHistogram struct {
	Layer   string      `json:"layer"`
	Param   string      `json:"param"`              // "weights" | "bias" | "gamma" | "beta"
	Edges   []float64   `json:"edges,omitempty"`    // every epoch's edges, len(bins)+1; older records only
	EdgesAt [][]float64 `json:"edges_at,omitempty"` // [epoch index]: that epoch's edges, len(its bins)+1
	Epochs  []int       `json:"epochs"`
	Counts  [][]int     `json:"counts"` // [epoch index][bin]
}

// EdgesOf returns the bin edges of epoch index i: EdgesAt[i] when the
// record has them, else the shared Edges.
func (t *TensorHistogram) EdgesOf(i int) []float64 {
	if i >= 0 && i < len(t.EdgesAt) {
		return t.EdgesAt[i]
	}
	return t.Edges
}

// Analysis is what a run's report shows about the test set, computed from the
// checkpoint named by Source.
type Analysis struct {
	Source      string        `json:"source"` // e.g. "best checkpoint (epoch 7, val acc 0.991)"
	Epoch       int           `json:"epoch"`
	Classes     []string      `json:"classes"`
	Confusion   [][]int       `json:"confusion"` // [true][predicted] counts on the test set
	ClassAcc    []float64     `json:"class_acc"`
	TestAcc     float64       `json:"test_acc"`
	Correct     []Example     `json:"correct"` // most confident correct images, per class
	Wrong       []Example     `json:"wrong"`   // most confident wrong images, over all classes (per class in older records)
	FeatureMaps []FeatureMaps `json:"feature_maps"`
	LR          []float64     `json:"lr"` // learning rate at every step

	// Cells holds, for each non-empty cell of Confusion, its most confident
	// test images (a few per cell); Filters the filters of the conv
	// layers. Both are absent from older records.
	Cells   []ConfusionCell `json:"cells,omitempty"`
	Filters []LayerFilters  `json:"filters,omitempty"`
}

// ConfusionCell is one cell of the confusion matrix with test images that
// fall in it, most confident first.
type ConfusionCell struct {
	True     int       `json:"true"`
	Pred     int       `json:"pred"`
	Examples []Example `json:"examples"`
}

// LayerFilters is the weights of a conv layer's first F filters over its
// first C input channels (of InC and OutF in all), KH×KW×C×F in that order.
type LayerFilters struct {
	Layer   string    `json:"layer"`
	KH      int       `json:"kh"`
	KW      int       `json:"kw"`
	C       int       `json:"c"`
	F       int       `json:"f"`
	InC     int       `json:"in_c"`
	OutF    int       `json:"out_f"`
	Weights []float32 `json:"weights"`
}

// Image is a small picture as stored: H×W×C bytes, HWC order, C = 1 or 3.
type Image struct {
	H      int    `json:"h"`
	W      int    `json:"w"`
	C      int    `json:"c"`
	Pixels []byte `json:"pixels"`
}

// Example is one classified test image.
type Example struct {
	Index int       `json:"index"` // in the test set
	True  int       `json:"true"`
	Pred  int       `json:"pred"`
	Prob  float64   `json:"prob"`  // probability of Pred
	Probs []float64 `json:"probs"` // every class
	Image Image     `json:"image"`
}

// FeatureMaps holds the activations of every conv and pool layer for one
// fixed test image. Each layer's values are scaled per channel to 0..255
// (Min and Max give the range of each channel before scaling).
type FeatureMaps struct {
	Index  int         `json:"index"` // in the test set
	True   int         `json:"true"`
	Image  Image       `json:"image"`
	Layers []LayerMaps `json:"layers"`
}

// LayerMaps is one layer's activations for one image.
type LayerMaps struct {
	Layer string    `json:"layer"`
	Kind  string    `json:"kind"`
	H     int       `json:"h"`
	W     int       `json:"w"`
	C     int       `json:"c"`
	Min   []float32 `json:"min"`
	Max   []float32 `json:"max"`
	Data  []byte    `json:"data"` // H×W×C, HWC order

	// Activation names the activation layer right after a conv layer
	// (e.g. "relu") when Data holds its output rather than the conv's own.
	Activation string `json:"activation,omitempty"`
}

// WriteJSON writes v as indented JSON to path, atomically.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return fsutil.WriteFileAtomic(path, append(b, '\n'), 0o644)
}

// MaxRecordSize bounds a record file read back: far above what a run
// writes (its analysis, the largest, holds a few MiB of pictures), so that a
// damaged or replaced file cannot exhaust memory.
const MaxRecordSize = 256 << 20

// ReadFile reads a record file: a regular file of at most MaxRecordSize
// bytes. A device, pipe or socket in its place (a status.json linking to
// /dev/zero) is refused without reading it.
func ReadFile(path string) ([]byte, error) {
	return fsutil.ReadFileLimit(path, MaxRecordSize)
}

// ReadJSON reads the JSON file at path into v.
func ReadJSON(path string, v any) error {
	b, err := ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// WriteJSONLines writes one JSON value per line to path, atomically.
func WriteJSONLines[T any](path string, rows []T) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	return fsutil.WriteFileAtomic(path, buf.Bytes(), 0o644)
}

// ReadJSONLines reads a file written by WriteJSONLines. A missing file reads
// as no rows.
func ReadJSONLines[T any](path string) ([]T, error) {
	f, st, err := fsutil.OpenRegular(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > MaxRecordSize {
		return nil, &fsutil.TooLargeError{Path: path, Size: st.Size(), Limit: MaxRecordSize}
	}
	var rows []T
	sc := bufio.NewScanner(io.LimitReader(f, MaxRecordSize))
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	line := 0
	for sc.Scan() {
		line++
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r T
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return rows, nil
}

// Run is everything recorded about one run, as read back from its folder.
// Files not written yet (a run in progress) are left empty.
type Run struct {
	Dir        string
	Status     Status
	Config     []byte
	Env        Env
	Arch       Arch
	Epochs     []Epoch
	Steps      []Step
	Histograms Histograms
	Analysis   *Analysis // nil until the run has finished
}

// ReadRun reads a run folder. It needs at least a readable status file.
func ReadRun(dir string) (*Run, error) {
	r := &Run{Dir: dir}
	if err := ReadJSON(filepath.Join(dir, StatusFile), &r.Status); err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	var err error
	if r.Config, err = ReadFile(filepath.Join(dir, ConfigFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	for _, f := range []struct {
		name string
		v    any
	}{{EnvFile, &r.Env}, {ArchFile, &r.Arch}, {HistogramsFile, &r.Histograms}} {
		if err := ReadJSON(filepath.Join(dir, f.name), f.v); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("run %s: %w", dir, err)
		}
	}
	if r.Epochs, err = ReadJSONLines[Epoch](filepath.Join(dir, EpochsFile)); err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	if r.Steps, err = ReadJSONLines[Step](filepath.Join(dir, StepsFile)); err != nil {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	var a Analysis
	if err := ReadJSON(filepath.Join(dir, AnalysisFile), &a); err == nil {
		r.Analysis = &a
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("run %s: %w", dir, err)
	}
	return r, nil
}

// ReadResults reads every run under a results folder laid out as
// ROOT/<experiment>/<run-id>/, grouped by experiment folder name. Folders
// without a status file are skipped.
func ReadResults(root string) (map[string][]*Run, error) {
	exps, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	out := map[string][]*Run{}
	for _, e := range exps {
		if !e.IsDir() {
			continue
		}
		runs, err := os.ReadDir(filepath.Join(root, e.Name()))
		if err != nil {
			return nil, err
		}
		for _, rd := range runs {
			dir := filepath.Join(root, e.Name(), rd.Name())
			if !rd.IsDir() {
				continue
			}
			if _, err := os.Stat(filepath.Join(dir, StatusFile)); err != nil {
				continue
			}
			r, err := ReadRun(dir)
			if err != nil {
				return nil, err
			}
			out[e.Name()] = append(out[e.Name()], r)
		}
	}
	return out, nil
}
