package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/cnnlab/cnnlab/arch"
	"github.com/cnnlab/cnnlab/data"
	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/internal/fsutil"
	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/runner/record"
)

// stepRecordsPerEpoch is about how many training losses steps.jsonl keeps
// per epoch.
const stepRecordsPerEpoch = 50

// checkpointMeta is what a checkpoint stores beside the network and the
// optimizer: where training stands, so that a resumed run continues exactly.
type checkpointMeta struct {
	RunID       string            `json:"run_id"`
	Epoch       int               `json:"epoch"`     // epochs completed
	Step        int               `json:"step"`      // optimisation steps completed
	StepRows    int               `json:"step_rows"` // rows of steps.jsonl that belong to these steps
	Batcher     data.BatcherState `json:"batcher"`
	Partial     *partialEpoch     `json:"partial,omitempty"` // the epoch under way, when saved in the middle of one
	BestEpoch   int               `json:"best_epoch"`        // the epoch of best.cnn, 0 for none yet
	BestValAcc  float64           `json:"best_val_acc"`
	MetricBest  float64           `json:"metric_best"`  // best value of the early-stopping metric
	MetricEpoch int               `json:"metric_epoch"` // the epoch it was reached
	StopReason  string            `json:"stop_reason,omitempty"`
	Seconds     float64           `json:"seconds"` // time of the completed epochs, summed over resumes
	Started     time.Time         `json:"started"`
}

// partialEpoch holds the sums of an epoch under way.
type partialEpoch struct {
	DataLoss float64 `json:"data_loss"` // Σ batch loss × batch images
	L2Loss   float64 `json:"l2_loss"`   // Σ batch L2 penalty × batch images
	Correct  int     `json:"correct"`
	Images   int     `json:"images"`
	Seconds  float64 `json:"seconds"` // training seconds of the epoch so far
}

// bestMeta is the meta of best.cnn and model.cnn.
type bestMeta struct {
	RunID  string  `json:"run_id"`
	Epoch  int     `json:"epoch"`
	ValAcc float64 `json:"val_acc"`
}

// errDiverged marks a run whose loss became NaN or infinite.
var errDiverged = errors.New("diverged")

// divergedError is errDiverged with what went wrong, worded without the
// word "diverged", which the run's state already says.
type divergedError struct{ why string }

func (e divergedError) Error() string        { return e.why }
func (e divergedError) Is(target error) bool { return target == errDiverged }

// errStopped marks a run interrupted by its context.
var errStopped = errors.New("stopped")

// trainer trains one run. Its buffers are allocated once, so a training step
// allocates nothing of its own.
type trainer struct {
	job     *job
	ds      *dataset
	resumed bool // continued from a checkpoint
	hook    *hooks
	prog    runProgress

	net   *nn.Network
	opt   nn.Optimizer
	avg   *nn.WeightAverage // train.average, nil for none
	tta   ttaBuffers
	batch *data.Batcher
	evals [2]*data.EvalBatcher // validation, test

	sched         nn.Schedule
	baseLR        float32
	decay         float32 // L2 plus coupled weight decay, added to the gradients
	stepsPerEpoch int
	totalSteps    int
	logEvery      int

	meta   checkpointMeta
	status record.Status
	epochs []record.Epoch
	steps  []record.Step
	hist   record.Histograms

	x, dLogits *nn.Tensor
	xbuf       []float32
	dbuf       []float32
	labels     []int
}

func (t *trainer) path(name string) string { return filepath.Join(t.job.dir, name) }

// setup prepares a trainer for job: resumes it from its checkpoint when
// resume is set and the records agree with it, else starts it afresh.
// note receives why a resume was refused.
func setup(ctx context.Context, j *job, ds *dataset, resume bool, note func(string)) (*trainer, error) {
	tr := j.exp.Train
	t := &trainer{job: j, ds: ds, baseLR: float32(tr.Optimizer.LR)}
	var err error
	if t.sched, err = arch.Schedule(tr.Schedule); err != nil {
		return nil, err
	}
	t.decay = arch.L2(tr)
	if len(ds.classes) < 2 {
		return nil, fmt.Errorf("the data set has %d class (%s); a classifier needs at least two classes", len(ds.classes), strings.Join(ds.classes, ""))
	}
	if n := ds.train.N; tr.Batch > n {
		return nil, fmt.Errorf("train.batch %d is larger than the %d training images: an epoch would be one step; use a batch of at most %d", tr.Batch, n, n)
	}
	seed := uint64(tr.Seed)
	t.batch, err = data.NewBatcher(ds.train, data.BatchOptions{Size: tr.Batch, Seed: seed,
		Preprocess: ds.preprocess, Augment: ds.augment, AugmentSeed: seed})
	if err != nil {
		return nil, fmt.Errorf("training data: %w", err)
	}
	for i, im := range []data.Images{ds.val, ds.test} {
		if t.evals[i], err = data.NewEvalBatcher(im, tr.Batch, ds.preprocess); err != nil {
			return nil, fmt.Errorf("evaluation data: %w", err)
		}
	}
	t.stepsPerEpoch = t.batch.BatchesPerEpoch()
	t.totalSteps = t.stepsPerEpoch * tr.Epochs
	t.logEvery = max(1, t.stepsPerEpoch/stepRecordsPerEpoch)

	if resume {
		err := t.resume()
		if err == nil {
			t.resumed = true
			err = t.trainSettings()
		}
		if err == nil {
			return t, t.allocate()
		}
		t.resumed = false
		note(fmt.Sprintf("cannot resume (%v); starting over", err))
	}
	if err := t.fresh(); err != nil {
		return nil, err
	}
	if err := t.trainSettings(); err != nil {
		return nil, err
	}
	return t, t.allocate()
}

func (t *trainer) allocate() error {
	in, out := t.net.Input(), t.net.Output()
	b := t.job.exp.Train.Batch
	t.xbuf = make([]float32, b*in.Size())
	t.dbuf = make([]float32, b*out.Size())
	t.labels = make([]int, b)
	t.x = &nn.Tensor{H: in.H, W: in.W, C: in.C}
	t.dLogits = &nn.Tensor{H: out.H, W: out.W, C: out.C}
	if rows := t.totalSteps/t.logEvery + 1; cap(t.steps) < rows {
		t.steps = append(make([]record.Step, 0, rows), t.steps...)
	}
	if out.Size() != len(t.ds.classes) {
		return fmt.Errorf("the network has %d outputs but the data set has %d classes", out.Size(), len(t.ds.classes))
	}
	return nil
}

// fresh clears the run folder, all but its lock, and starts the run from
// its initial weights.
func (t *trainer) fresh() error {
	j := t.job
	if err := os.MkdirAll(j.dir, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(j.dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == record.LockFile {
			continue // removing it would let another process lock a new one
		}
		if err := os.RemoveAll(filepath.Join(j.dir, e.Name())); err != nil {
			return err
		}
	}
	if t.net, err = nn.Build(j.net.Input, j.net.Specs, uint64(j.exp.Train.Seed)); err != nil {
		return err
	}
	if err := t.whiten(); err != nil {
		return err
	}
	if t.opt, err = arch.Optimizer(j.exp.Train.Optimizer); err != nil {
		return err
	}
	if err := t.batch.Restore(data.BatcherState{}); err != nil {
		return err
	}
	t.epochs, t.steps = nil, nil
	now := time.Now().UTC()
	t.meta = checkpointMeta{RunID: j.id, BestValAcc: -1, Started: now}
	t.hist = newHistograms(t.net.Params())
	t.status = j.newStatus(now)
	if err := writeConfig(t.path(record.ConfigFile), j.config); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		v    any
	}{{record.EnvFile, j.env}, {record.ArchFile, archRecord(j.net)}, {record.HistogramsFile, t.hist},
		{record.PreprocessFile, preprocessRecord(t.ds, j.exp.Data)}} {
		if err := record.WriteJSON(t.path(f.name), f.v); err != nil {
			return err
		}
	}
	for _, name := range []string{record.EpochsFile, record.StepsFile} {
		if err := record.WriteJSONLines[struct{}](t.path(name), nil); err != nil {
			return err
		}
	}
	return record.WriteJSON(t.path(record.StatusFile), t.status)
}

// resume loads the last checkpoint and cuts the records back to it. Any
// disagreement (a record missing, shorter than the checkpoint says, of
// another run) is an error: the run is then done again.
func (t *trainer) resume() error {
	j := t.job
	cfg, err := record.ReadFile(t.path(record.ConfigFile))
	if err != nil {
		return err
	}
	if string(cfg) != string(j.config) {
		return fmt.Errorf("%s differs from this run's config", record.ConfigFile)
	}
	ck, err := nn.Load(t.path(record.CheckpointFile))
	if err != nil {
		return err
	}
	if ck.Optimizer == nil {
		return fmt.Errorf("%s holds no optimizer state", record.CheckpointFile)
	}
	if err := json.Unmarshal(ck.Meta, &t.meta); err != nil {
		return fmt.Errorf("%s: %w", record.CheckpointFile, err)
	}
	if t.meta.RunID != j.id {
		return fmt.Errorf("%s belongs to run %q", record.CheckpointFile, t.meta.RunID)
	}
	if !sameSpecs(ck.Net, j.net.Specs) {
		return fmt.Errorf("%s holds another network", record.CheckpointFile)
	}
	if t.meta.Batcher.Epoch*t.stepsPerEpoch+t.meta.Batcher.Batch != t.meta.Step || t.meta.Epoch > j.exp.Train.Epochs {
		return fmt.Errorf("%s: step %d does not match batch %d of epoch %d", record.CheckpointFile, t.meta.Step, t.meta.Batcher.Batch, t.meta.Batcher.Epoch)
	}
	if err := t.batch.Restore(t.meta.Batcher); err != nil {
		return err
	}
	if t.meta.BestEpoch > 0 {
		if err := checkBest(t.path(record.BestFile), j.id, t.meta.BestEpoch); err != nil {
			return err
		}
	}
	if err := record.ReadJSON(t.path(record.StatusFile), &t.status); err != nil {
		return err
	}
	if t.epochs, err = record.ReadJSONLines[record.Epoch](t.path(record.EpochsFile)); err != nil {
		return err
	}
	if len(t.epochs) < t.meta.Epoch {
		return fmt.Errorf("%s holds %d epochs, the checkpoint %d", record.EpochsFile, len(t.epochs), t.meta.Epoch)
	}
	t.epochs = t.epochs[:t.meta.Epoch]
	if t.steps, err = record.ReadJSONLines[record.Step](t.path(record.StepsFile)); err != nil {
		return err
	}
	if len(t.steps) < t.meta.StepRows {
		return fmt.Errorf("%s holds %d rows, the checkpoint %d", record.StepsFile, len(t.steps), t.meta.StepRows)
	}
	t.steps = t.steps[:t.meta.StepRows]
	if err := record.ReadJSON(t.path(record.HistogramsFile), &t.hist); err != nil {
		return err
	}
	if err := checkHistograms(&t.hist, ck.Net.Params(), t.meta.Epoch); err != nil {
		return err
	}
	t.net, t.opt = ck.Net, ck.Optimizer
	// Temporary files of writes a kill cut short.
	if tmps, _ := filepath.Glob(filepath.Join(j.dir, ".*.tmp-*")); len(tmps) > 0 {
		for _, f := range tmps {
			os.Remove(f)
		}
	}
	t.status = j.newStatus(t.meta.Started)
	t.status.Epoch = t.meta.Epoch
	t.status.Seconds = t.meta.Seconds
	t.status.StopReason = t.meta.StopReason
	if t.meta.BestEpoch > 0 {
		t.status.BestEpoch, t.status.BestValAcc = t.meta.BestEpoch, t.meta.BestValAcc
		t.status.TestAcc = t.epochs[t.meta.BestEpoch-1].TestAcc
	}
	return nil
}

// sameSpecs reports whether net was built from specs.
func sameSpecs(net *nn.Network, specs []nn.LayerSpec) bool {
	a, err1 := json.Marshal(net.Specs())
	b, err2 := json.Marshal(specs)
	return err1 == nil && err2 == nil && string(a) == string(b)
}

// checkBest reports whether the model file at path is the given epoch of the run.
func checkBest(path, id string, epoch int) error {
	ck, err := nn.Load(path)
	if err != nil {
		return err
	}
	var m bestMeta
	if err := json.Unmarshal(ck.Meta, &m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if m.RunID != id || m.Epoch != epoch {
		return fmt.Errorf("%s is epoch %d of run %q, want epoch %d of %q", filepath.Base(path), m.Epoch, m.RunID, epoch, id)
	}
	return nil
}

// train runs the remaining epochs. It returns errStopped when ctx ends
// (after saving a checkpoint in the middle of the epoch), an error wrapping
// errDiverged when the loss is not finite, and other errors as they come.
func (t *trainer) train(ctx context.Context) error {
	for t.meta.Epoch < t.job.target() && t.meta.StopReason == "" {
		epoch := t.meta.Epoch + 1
		acc := partialEpoch{}
		if t.meta.Partial != nil {
			acc = *t.meta.Partial
		}
		t.meta.Partial = nil
		t.net.SetEpoch(epoch)
		t.prog.epochStart(epoch)
		mark := time.Now()
		for {
			if ctx.Err() != nil {
				acc.Seconds += time.Since(mark).Seconds()
				return t.stop(acc)
			}
			n, err := t.batch.Next(t.xbuf, t.labels)
			if err != nil {
				return err
			}
			if n == 0 {
				break
			}
			if err := t.step(epoch, n, &acc); err != nil {
				return err
			}
			if t.hook != nil && t.hook.afterStep != nil {
				t.hook.afterStep(t.job.id, t.meta.Step)
			}
		}
		acc.Seconds += time.Since(mark).Seconds()
		if err := t.endEpoch(ctx, epoch, acc); err != nil {
			if errors.Is(err, errStopped) {
				// Stopped while evaluating: the epoch is trained; the
				// resumed run evaluates it again from its start.
				end := data.BatcherState{Epoch: t.batch.State().Epoch - 1, Batch: t.batch.BatchesPerEpoch()}
				if err := t.batch.Restore(end); err != nil {
					return err
				}
				return t.stop(acc)
			}
			return err
		}
		if t.hook != nil && t.hook.afterEpoch != nil {
			t.hook.afterEpoch(t.job.id, epoch)
		}
	}
	return nil
}

// step trains on the batch of n images in the trainer's buffers and adds
// its loss and accuracy to acc.
func (t *trainer) step(epoch, n int, acc *partialEpoch) error {
	tr := &t.job.exp.Train
	params := t.net.Params()
	start := time.Now()
	t.x.N, t.x.Data = n, t.xbuf[:n*t.net.Input().Size()]
	logits, err := t.net.Forward(t.x, true)
	if err != nil {
		return err
	}
	t.dLogits.N, t.dLogits.Data = n, t.dbuf[:n*t.net.Output().Size()]
	loss, correct, err := nn.SoftmaxCrossEntropy(logits, t.labels[:n], float32(tr.LabelSmoothing), t.dLogits)
	if err != nil {
		return err
	}
	var l2 float64
	if tr.L2 > 0 {
		l2 = nn.L2Penalty(params, tr.L2)
	}
	step := t.meta.Step + 1
	if !finite(loss + l2) {
		return divergedError{fmt.Sprintf("the loss is %v at epoch %d, step %d", loss+l2, epoch, step)}
	}
	if err := t.net.Backward(t.dLogits); err != nil {
		return err
	}
	if t.decay != 0 {
		nn.AddL2Grad(params, t.decay)
	}
	if tr.ClipNorm > 0 {
		nn.ClipGradNorm(params, tr.ClipNorm)
	}
	lr := t.sched.LR(t.baseLR, t.meta.Step, t.stepsPerEpoch, t.totalSteps)
	t.opt.Step(params, lr)
	if t.avg != nil {
		t.avg.Update(step, t.totalSteps)
	}
	t.meta.Step = step
	acc.DataLoss += loss * float64(n)
	acc.L2Loss += l2 * float64(n)
	acc.Correct += correct
	acc.Images += n
	if step%t.logEvery == 0 {
		t.steps = append(t.steps, record.Step{Step: step, Epoch: epoch, Loss: loss + l2, DataLoss: loss, L2Loss: l2, LR: float64(lr)})
	}
	t.prog.step(step, loss+l2, n, time.Since(start))
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// endEpoch evaluates the network, decides on the best model and early
// stopping, and saves everything: best.cnn if it improved, the records,
// then the checkpoint, then the status. A crash between any two writes
// leaves records the next resume can cut back to the checkpoint.
func (t *trainer) endEpoch(ctx context.Context, epoch int, acc partialEpoch) error {
	evalStart := time.Now()
	tta := t.job.exp.Train.TTA
	if t.job.exp.Train.TTAEpochs == experiments.TTALastEpoch && epoch < t.job.exp.Train.Epochs {
		tta = experiments.TTANone
	}
	var valLoss, valAcc float64
	if t.hasVal() {
		var err error
		if valLoss, valAcc, err = t.evaluate(ctx, 0, tta); err != nil {
			return fmt.Errorf("validation: %w", err)
		}
	}
	testLoss, testAcc, err := t.evaluate(ctx, 1, tta)
	if err != nil {
		return fmt.Errorf("test: %w", err)
	}
	if !finite(valLoss) {
		return divergedError{fmt.Sprintf("the validation loss is %v at epoch %d", valLoss, epoch)}
	}
	if !finite(testLoss) {
		return divergedError{fmt.Sprintf("the test loss is %v at epoch %d", testLoss, epoch)}
	}
	seconds := acc.Seconds + time.Since(evalStart).Seconds()
	images := float64(max(acc.Images, 1))
	row := record.Epoch{
		Epoch:    epoch,
		DataLoss: acc.DataLoss / images,
		L2Loss:   acc.L2Loss / images,
		TrainAcc: float64(acc.Correct) / images,
		ValLoss:  valLoss, ValAcc: valAcc,
		TestLoss: testLoss, TestAcc: testAcc,
		LR:      float64(t.sched.LR(t.baseLR, max(t.meta.Step-1, 0), t.stepsPerEpoch, t.totalSteps)),
		Seconds: seconds,
	}
	row.Loss = row.DataLoss + row.L2Loss
	if acc.Seconds > 0 {
		row.ImagesPerSec = float64(acc.Images) / acc.Seconds
	}
	t.epochs = append(t.epochs, row)
	t.meta.Epoch = epoch
	t.meta.Seconds += seconds
	t.meta.Batcher = t.batch.State()
	t.meta.StepRows = len(t.steps)
	addHistograms(&t.hist, t.net.Params(), epoch)

	// Without validation images nothing may choose an epoch: the best
	// model is the latest.
	if valAcc > t.meta.BestValAcc || !t.hasVal() {
		t.meta.BestEpoch, t.meta.BestValAcc = epoch, valAcc
		meta, _ := json.Marshal(bestMeta{RunID: t.job.id, Epoch: epoch, ValAcc: valAcc})
		if err := t.withAverage(true, func() error { return nn.Save(t.path(record.BestFile), t.net, nil, meta) }); err != nil {
			return err
		}
	}
	t.earlyStop(row)

	if err := t.writeRecords(); err != nil {
		return err
	}
	if err := t.saveCheckpoint(); err != nil {
		return err
	}
	t.status.State = record.StateRunning
	t.status.Epoch = epoch
	t.status.Seconds = t.meta.Seconds
	t.status.BestEpoch, t.status.BestValAcc = t.meta.BestEpoch, t.meta.BestValAcc
	t.status.TestAcc = t.epochs[t.meta.BestEpoch-1].TestAcc
	t.status.StopReason = t.meta.StopReason
	t.status.Updated = time.Now().UTC()
	if err := record.WriteJSON(t.path(record.StatusFile), t.status); err != nil {
		return err
	}
	t.prog.epochEnd(row)
	return nil
}

// earlyStop updates the early-stopping metric and sets StopReason when it
// has not improved for the experiment's patience.
func (t *trainer) earlyStop(row record.Epoch) {
	es := t.job.exp.Train.EarlyStop
	if es == nil {
		return
	}
	value, better := row.ValAcc, row.ValAcc > t.meta.MetricBest
	if es.Metric == experiments.MetricValLoss {
		value, better = row.ValLoss, row.ValLoss < t.meta.MetricBest
	}
	if t.meta.MetricEpoch == 0 || better {
		t.meta.MetricBest, t.meta.MetricEpoch = value, row.Epoch
		return
	}
	if row.Epoch-t.meta.MetricEpoch >= es.Patience && row.Epoch < t.job.exp.Train.Epochs {
		best := fmt.Sprintf("%.4g", t.meta.MetricBest)
		if es.Metric != experiments.MetricValLoss {
			best = pct(t.meta.MetricBest)
		}
		t.meta.StopReason = fmt.Sprintf("early stop after epoch %d: %s did not improve for %s (best %s at epoch %d)",
			row.Epoch, es.Metric, plural(row.Epoch-t.meta.MetricEpoch, "epoch"), best, t.meta.MetricEpoch)
	}
}

func (t *trainer) writeRecords() error {
	if err := record.WriteJSONLines(t.path(record.EpochsFile), t.epochs); err != nil {
		return err
	}
	if err := record.WriteJSONLines(t.path(record.StepsFile), t.steps); err != nil {
		return err
	}
	return record.WriteJSON(t.path(record.HistogramsFile), t.hist)
}

func (t *trainer) saveCheckpoint() error {
	meta, err := json.Marshal(t.meta)
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	// The average first: a resume checks that its step is the checkpoint's.
	if err := t.saveAverage(); err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nn.Save(t.path(record.CheckpointFile), t.net, t.opt, meta)
}

// stop saves a checkpoint in the middle of an epoch and marks the run
// stopped; the next run of the sweep continues from this very step.
func (t *trainer) stop(acc partialEpoch) error {
	t.meta.Partial = &acc
	t.meta.Batcher = t.batch.State()
	t.meta.StepRows = len(t.steps)
	if err := record.WriteJSONLines(t.path(record.StepsFile), t.steps); err != nil {
		return err
	}
	if err := t.saveCheckpoint(); err != nil {
		return err
	}
	t.status.State = record.StateStopped
	t.status.Seconds = t.meta.Seconds + acc.Seconds
	t.status.Updated = time.Now().UTC()
	if err := record.WriteJSON(t.path(record.StatusFile), t.status); err != nil {
		return err
	}
	return errStopped
}

// hasVal reports whether the run holds validation images back.
func (t *trainer) hasVal() bool { return t.ds.val.N > 0 }

// evaluate returns the mean cross-entropy (without label smoothing) and
// the accuracy of the network on the validation (0) or test (1) images,
// with the run's weight average and the test-time augmentation tta. It
// returns errStopped when ctx ends.
func (t *trainer) evaluate(ctx context.Context, which int, tta experiments.TTAKind) (loss, accuracy float64, err error) {
	err = t.withAverage(true, func() error {
		var err error
		loss, accuracy, err = t.evaluateWith(ctx, which, tta)
		return err
	})
	return loss, accuracy, err
}

// evaluateWith is evaluate with the network's weights as they are and the
// test-time augmentation kind. A stop leaves the images' batcher where it
// was; the stopped trainer is not used again.
func (t *trainer) evaluateWith(ctx context.Context, which int, kind experiments.TTAKind) (loss, accuracy float64, err error) {
	eb := t.evals[which]
	var total float64
	var correct, count int
	for {
		if ctx.Err() != nil {
			return 0, 0, errStopped
		}
		if t.hook != nil && t.hook.evalBatch != nil {
			t.hook.evalBatch(t.job.id, count)
		}
		n, err := eb.Next(t.xbuf, t.labels)
		if err != nil {
			return 0, 0, err
		}
		if n == 0 {
			break
		}
		t.x.N, t.x.Data = n, t.xbuf[:n*t.net.Input().Size()]
		logits, err := t.forwardTTA(t.x, kind)
		if err != nil {
			return 0, 0, err
		}
		l, c, err := nn.SoftmaxCrossEntropy(logits, t.labels[:n], 0, nil)
		if err != nil {
			return 0, 0, err
		}
		total += l * float64(n)
		correct += c
		count += n
	}
	if count == 0 {
		return 0, 0, fmt.Errorf("no images")
	}
	return total / float64(count), float64(correct) / float64(count), nil
}

// target is the epoch the job trains to: its rung, or the last epoch.
func (j *job) target() int {
	switch {
	case j.until > 0 && j.exp != nil:
		return min(j.until, j.exp.Train.Epochs)
	case j.until > 0:
		return j.until
	case j.exp != nil:
		return j.exp.Train.Epochs
	}
	return math.MaxInt
}

// atRung reports whether training ended at the job's rung, short of the
// run's last epoch, rather than at its end.
func (t *trainer) atRung() bool {
	return t.meta.StopReason == "" && t.meta.Epoch < t.job.exp.Train.Epochs
}

// pause marks a run that reached its rung: its checkpoint stays, and a
// search that promotes it continues from there.
func (t *trainer) pause() error {
	t.status.State = record.StatePaused
	t.status.Rung = t.meta.Epoch
	t.status.Updated = time.Now().UTC()
	return record.WriteJSON(t.path(record.StatusFile), t.status)
}

// finish writes the final model and the analysis of the best checkpoint,
// marks the run done and drops the checkpoint, which the model file and
// the records now replace.
//
// It returns errStopped when ctx ends during the final evaluations; the
// checkpoint then stays, and the resumed run finishes from it.
func (t *trainer) finish(ctx context.Context) error {
	meta, _ := json.Marshal(bestMeta{RunID: t.job.id, Epoch: t.meta.Epoch, ValAcc: t.epochs[len(t.epochs)-1].ValAcc})
	if err := t.withAverage(true, func() error { return nn.Save(t.path(record.ModelFile), t.net, nil, meta) }); err != nil {
		return err
	}
	if t.avg != nil || t.job.exp.Train.TTA != experiments.TTANone {
		ev, err := t.evaluations(ctx)
		if errors.Is(err, errStopped) {
			t.status.State = record.StateStopped
			t.status.Updated = time.Now().UTC()
			if err := record.WriteJSON(t.path(record.StatusFile), t.status); err != nil {
				return err
			}
			return errStopped
		}
		if err != nil {
			return fmt.Errorf("evaluations: %w", err)
		}
		if err := record.WriteJSON(t.path(record.EvaluationsFile), ev); err != nil {
			return err
		}
	}
	best, err := nn.Load(t.path(record.BestFile))
	if err != nil {
		return err
	}
	an, err := analyse(best.Net, t.ds, t.job.exp.Report, t.lrs())
	if err != nil {
		return fmt.Errorf("analysis: %w", err)
	}
	an.Epoch = t.meta.BestEpoch
	an.Source = fmt.Sprintf("best checkpoint (epoch %d of %d, validation accuracy %.2f%%)", t.meta.BestEpoch, t.meta.Epoch, 100*t.meta.BestValAcc)
	if !t.hasVal() {
		an.Source = fmt.Sprintf("final weights (epoch %d; no validation images, so no epoch is chosen)", t.meta.Epoch)
	}
	if err := record.WriteJSON(t.path(record.AnalysisFile), an); err != nil {
		return err
	}
	t.status.State = record.StateDone
	t.status.Epoch = t.meta.Epoch
	// The run's test accuracy is its best epoch's, evaluated as the run
	// says (test-time augmentation included); the analysis has none.
	t.status.TestAcc = t.epochs[t.meta.BestEpoch-1].TestAcc
	t.status.StopReason = t.meta.StopReason
	t.status.Updated = time.Now().UTC()
	t.status.Sealed = true
	// The checksums are written before the status that marks the run done,
	// so that a run marked done always has them.
	status, err := record.MarshalStatus(t.status)
	if err != nil {
		return err
	}
	if err := record.Seal(t.job.dir, status); err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(t.path(record.StatusFile), status, 0o644); err != nil {
		return err
	}
	if err := os.Remove(t.path(record.CheckpointFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Remove(t.path(record.AverageFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// lrs returns the learning rate of every step taken.
func (t *trainer) lrs() []float64 {
	out := make([]float64, t.meta.Step)
	for i := range out {
		out[i] = float64(t.sched.LR(t.baseLR, i, t.stepsPerEpoch, t.totalSteps))
	}
	return out
}
