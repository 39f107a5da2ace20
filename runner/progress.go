package runner

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/cnnlab/cnnlab/runner/record"
)

// reporter shows the progress of a sweep: as bars on a terminal, as plain
// lines elsewhere.
type reporter interface {
	writer() io.Writer // for messages of the data sets being fetched
	start(j *job) runProgress
	skipped(r Result)
	note(j *job, msg string)
	close()
}

// runProgress shows the progress of one run.
type runProgress interface {
	resumed(epoch, step int)
	begin(stepsPerEpoch, totalSteps, step int)
	epochStart(epoch int)
	step(step int, loss float64, images int, took time.Duration)
	epochEnd(e record.Epoch)
	done(r Result)
}

func runName(j *job, total int) string {
	name := fmt.Sprintf("[%d/%d] %s %s", j.index+1, total, j.exp.Name, j.id)
	if j.label != "" {
		name += " " + j.label
	}
	return name
}

func pct(x float64) string { return fmt.Sprintf("%.2f%%", 100*x) }

// lossText writes a loss with four decimals, or with five significant
// digits once it is large (a run on its way to diverging), so that
// 9.0408e+19 is not printed as twenty digits.
func lossText(x float64) string {
	if math.Abs(x) >= 1e4 {
		return strconv.FormatFloat(x, 'g', 5, 64)
	}
	return strconv.FormatFloat(x, 'f', 4, 64)
}

// valText is an epoch's validation accuracy, or "-" for a run without
// validation images.
func valText(e record.Epoch) string {
	if !e.HasValidation() {
		return "-"
	}
	return pct(e.ValAcc)
}

// resultLine describes how a run ended, in one line.
func resultLine(r Result) string {
	switch r.State {
	case record.StateDone:
		s := fmt.Sprintf("done: best val %s (epoch %d), test %s, %s", pct(r.BestValAcc), r.BestEpoch, pct(r.TestAcc), seconds(r.Seconds))
		if r.BestValAcc == 0 {
			s = fmt.Sprintf("done: epoch %d (no validation images), test %s, %s", r.BestEpoch, pct(r.TestAcc), seconds(r.Seconds))
		}
		if r.StopReason != "" {
			s += "; " + r.StopReason
		}
		if r.Skipped {
			s = "already " + s
		}
		return s
	case record.StatePaused:
		return fmt.Sprintf("paused at the rung of %s (of %d), best val %s", plural(r.Epoch, "epoch"), r.Epochs, pct(r.BestValAcc))
	case record.StatePruned:
		return r.StopReason
	case record.StateStopped:
		return fmt.Sprintf("stopped after %d of %d epochs; run the same command again to resume", r.Epoch, r.Epochs)
	case StateNotRun:
		if r.Note != "" {
			return "not run: " + r.Note
		}
		return "not run"
	case record.StateDiverged:
		if r.Skipped {
			return "diverged before: " + r.Error
		}
	}
	return string(r.State) + ": " + firstLine(r.Error)
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

func seconds(s float64) string {
	return (time.Duration(math.Round(s)) * time.Second).String()
}

// lines writes one line per epoch and per run.
type lines struct {
	mu    sync.Mutex
	w     io.Writer
	total int
}

func newLines(w io.Writer, total int) *lines { return &lines{w: w, total: total} }

func (l *lines) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, format, args...)
}

func (l *lines) writer() io.Writer { return lockedWriter{&l.mu, l.w} }

func (l *lines) start(j *job) runProgress {
	return &lineRun{l: l, name: runName(j, l.total), epochs: j.exp.Train.Epochs}
}

func (l *lines) skipped(r Result) {
	l.printf("%s: %s\n", resultName(r, l.total), resultLine(r))
}

func resultName(r Result, total int) string {
	name := fmt.Sprintf("%s %s", r.Experiment, r.RunID)
	if r.Label != "" {
		name += " " + r.Label
	}
	return name
}

func (l *lines) note(j *job, msg string) { l.printf("%s: %s\n", runName(j, l.total), msg) }
func (l *lines) close()                  {}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (w lockedWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(b)
}

type lineRun struct {
	l      *lines
	name   string
	epochs int
}

func (r *lineRun) resumed(epoch, step int) {
	r.l.printf("%s: resuming at epoch %d, step %d\n", r.name, epoch, step)
}
func (r *lineRun) begin(int, int, int)                   {}
func (r *lineRun) epochStart(int)                        {}
func (r *lineRun) step(int, float64, int, time.Duration) {}
func (r *lineRun) epochEnd(e record.Epoch) {
	r.l.printf("%s: epoch %d/%d  loss %s  train %s  val %s  test %s  %.0f img/s  %s\n",
		r.name, e.Epoch, r.epochs, lossText(e.Loss), pct(e.TrainAcc), valText(e), pct(e.TestAcc), e.ImagesPerSec, seconds(e.Seconds))
}
func (r *lineRun) done(res Result) { r.l.printf("%s: %s\n", r.name, resultLine(res)) }

// bars draws a bar per active run and a sweep line below them.
type bars struct {
	p       *mpb.Progress
	total   int
	sweep   *mpb.Bar
	started time.Time
	ran     atomic.Int64 // runs finished in this invocation (skipped ones excluded)
}

func newBars(w io.Writer, total int) *bars {
	b := &bars{p: mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(200*time.Millisecond)),
		total: total, started: time.Now()}
	b.sweep = b.p.New(int64(total), mpb.NopStyle(), mpb.BarPriority(math.MaxInt),
		mpb.PrependDecorators(decor.Any(func(s decor.Statistics) string {
			done := int(s.Current)
			line := fmt.Sprintf("sweep: %d of %d runs done", done, total)
			if ran := b.ran.Load(); ran > 0 && done < total {
				left := time.Duration(float64(time.Since(b.started)) / float64(ran) * float64(total-done))
				line += ", ETA " + left.Round(time.Second).String()
			}
			return line
		})))
	return b
}

func (b *bars) writer() io.Writer { return b.p }

func (b *bars) start(j *job) runProgress {
	r := &barRun{b: b, name: runName(j, b.total), epochs: j.exp.Train.Epochs}
	r.bar = b.p.New(1, mpb.BarStyle(), mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Name(r.name+" ")),
		mpb.AppendDecorators(decor.Any(r.decorate)))
	return r
}

func (b *bars) skipped(r Result) {
	fmt.Fprintf(b.p, "%s: %s\n", resultName(r, b.total), resultLine(r))
	b.sweep.Increment()
}

func (b *bars) note(j *job, msg string) { fmt.Fprintf(b.p, "%s: %s\n", runName(j, b.total), msg) }

func (b *bars) close() {
	b.sweep.SetTotal(-1, true)
	b.p.Wait()
}

type barRun struct {
	b      *bars
	bar    *mpb.Bar
	name   string
	epochs int

	mu        sync.Mutex
	epoch     int
	loss      float64
	rate      float64 // images per second, smoothed
	spe       int     // steps per epoch
	total     int
	stepsLeft int
	stepTime  float64 // seconds per step, smoothed
}

func (r *barRun) resumed(epoch, step int) {
	fmt.Fprintf(r.b.p, "%s: resuming at epoch %d, step %d\n", r.name, epoch, step)
}

func (r *barRun) begin(spe, total, step int) {
	r.mu.Lock()
	r.spe, r.total, r.stepsLeft = spe, total, total-step
	r.mu.Unlock()
	r.bar.SetTotal(int64(total), false)
	r.bar.SetCurrent(int64(step))
}

func (r *barRun) epochStart(epoch int) {
	r.mu.Lock()
	r.epoch = epoch
	r.mu.Unlock()
}

func (r *barRun) step(step int, loss float64, images int, took time.Duration) {
	r.mu.Lock()
	s := took.Seconds()
	if r.stepTime == 0 {
		r.stepTime = s
	} else {
		r.stepTime = 0.95*r.stepTime + 0.05*s
	}
	if s > 0 {
		if r.rate == 0 {
			r.rate = float64(images) / s
		} else {
			r.rate = 0.95*r.rate + 0.05*float64(images)/s
		}
	}
	r.loss = loss
	r.stepsLeft = r.total - step
	r.mu.Unlock()
	r.bar.SetCurrent(int64(step))
}

func (r *barRun) epochEnd(e record.Epoch) {
	fmt.Fprintf(r.b.p, "%s: epoch %d/%d  loss %s  val %s  test %s  %.0f img/s\n",
		r.name, e.Epoch, r.epochs, lossText(e.Loss), valText(e), pct(e.TestAcc), e.ImagesPerSec)
}

func (r *barRun) decorate(decor.Statistics) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	eta := time.Duration(r.stepTime * float64(r.stepsLeft) * float64(time.Second)).Round(time.Second)
	return fmt.Sprintf(" epoch %d/%d  loss %s  %.0f img/s  ETA %s", r.epoch, r.epochs, lossText(r.loss), r.rate, eta)
}

func (r *barRun) done(res Result) {
	fmt.Fprintf(r.b.p, "%s: %s\n", r.name, resultLine(res))
	r.bar.Abort(true)
	if !res.Skipped && res.State != StateNotRun {
		r.b.ran.Add(1)
	}
	r.b.sweep.Increment()
}
