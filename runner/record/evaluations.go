package record

import (
	"errors"
	"os"
	"path/filepath"
)

// Records of the training settings that change what a run evaluates: a
// weight average, test-time augmentation, and a first layer whitened from
// the training images.

// Names of the files of these records in a run folder.
const (
	EvaluationsFile = "evaluations.json" // Evaluations
	WhitenFile      = "whiten.json"      // Whitening
	// AverageFile is the weight average at the last checkpoint (binary),
	// removed with the checkpoint when the run is done.
	AverageFile = "average.bin"
)

// Evaluations are the test accuracy and loss of the final network, of
// its raw weights and of their average (when the run keeps one), without
// and with each test-time augmentation: what each trick changes.
type Evaluations struct {
	Epoch int    `json:"epoch"` // the last epoch trained
	Used  string `json:"used"`  // the row every evaluation during training used, e.g. "average, flip"
	// LastOnly is set when only the last epoch's evaluation used the
	// test-time augmentation of Used, the others none (tta_epochs: last).
	LastOnly bool         `json:"last_only,omitempty"`
	Rows     []Evaluation `json:"rows"`
}

// Evaluation is one way of evaluating the final network.
type Evaluation struct {
	Weights  string  `json:"weights"` // "raw" or "average"
	TTA      string  `json:"tta"`     // "none", "flip" or "translate"
	TestAcc  float64 `json:"test_acc"`
	TestLoss float64 `json:"test_loss"`
}

// Whitening is what a run computed for a first layer whitened from the
// training images (init: whiten), once, before training.
type Whitening struct {
	Layer       string    `json:"layer"`
	KernelH     int       `json:"kernel_h"`
	KernelW     int       `json:"kernel_w"`
	Channels    int       `json:"channels"`
	Images      int       `json:"images"` // training images whose patches were used
	Eps         float64   `json:"eps"`
	Eigenvalues []float64 `json:"eigenvalues"` // of the patch covariance, largest first
	// Filters are the layer's initial filters, one per output channel, each
	// KernelH×KernelW×Channels values (HWC order).
	Filters [][]float32 `json:"filters"`
}

// ReadEvaluations reads a run's evaluations.json; nil without error when
// the run has none.
func ReadEvaluations(dir string) (*Evaluations, error) {
	return readOptional[Evaluations](filepath.Join(dir, EvaluationsFile))
}

// ReadWhitening reads a run's whiten.json; nil without error when the run
// has none.
func ReadWhitening(dir string) (*Whitening, error) {
	return readOptional[Whitening](filepath.Join(dir, WhitenFile))
}

func readOptional[T any](path string) (*T, error) {
	var v T
	if err := ReadJSON(path, &v); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	return &v, nil
}
