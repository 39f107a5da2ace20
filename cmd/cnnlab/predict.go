package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/cnnlab/cnnlab/data"
	"github.com/cnnlab/cnnlab/experiments"
	"github.com/cnnlab/cnnlab/internal/fsutil"
	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/runner"
	"github.com/cnnlab/cnnlab/runner/record"
)

func init() {
	register(&command{
		name:    "predict",
		summary: "classify pictures with a trained run",
		usage: `  cnnlab predict RUN IMAGE|FOLDER... [--top K] [--out FILE.csv|FILE.json] [--results DIR]

RUN is a run folder (results/<experiment>/<run-id>), a run id, or
EXPERIMENT/best: the finished run of EXPERIMENT with the best validation
accuracy. Runs are looked up under DIR (default results). The network is
the run's best checkpoint (best.cnn), or its final model if it has none.

Each picture (PNG or JPEG; a FOLDER gives every .png, .jpg and .jpeg under
it) is prepared as the run's training pictures were: scaled so its shorter
side is the training size, centre-cropped, made grey or RGB, and
normalised with the statistics of the run's own training images. The K
most probable classes (default 3) are printed with their probabilities,
or written to FILE as CSV (picture,rank,class,probability) or JSON.

A picture far from those the network was trained on (much smaller, much
longer than wide, in colour for a grey network or grey for a colour one)
is predicted with a warning. A picture that cannot be read is named on
stderr and the exit status is 1; the others are still predicted.`,
		run: runPredict,
	})
}

// predictBatch is the number of pictures run through the network at once.
const predictBatch = 64

// maxPictures bounds the pictures of one predict command, so that a folder
// named by mistake (a home folder) is refused before it is read.
const maxPictures = 100_000

// classProb is one class and its probability.
type classProb struct {
	Class       string  `json:"class"`
	Index       int     `json:"index"`
	Probability float64 `json:"probability"`
}

// prediction is what predict says of one picture.
type prediction struct {
	Picture  string      `json:"picture"`
	Width    int         `json:"width"`
	Height   int         `json:"height"`
	Warnings []string    `json:"warnings,omitempty"`
	Top      []classProb `json:"top"`
}

// predictOutput is the JSON written by --out FILE.json.
type predictOutput struct {
	Run         string       `json:"run"`   // the run folder
	Model       string       `json:"model"` // the model file used
	Preprocess  preprocessJS `json:"preprocess"`
	Predictions []prediction `json:"predictions"`
}

// preprocessJS is the preprocessing in the JSON output.
type preprocessJS struct {
	Size       int       `json:"size"`
	Channels   int       `json:"channels"`
	Kind       string    `json:"kind"`
	Offset     []float32 `json:"offset"`
	Scale      []float32 `json:"scale"`
	Recomputed bool      `json:"recomputed,omitempty"` // the run did not record it
}

func runPredict(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	results := fs.String("results", "results", "the results folder")
	top := fs.Int("top", 3, "the number of classes shown per picture")
	out := fs.String("out", "", "write the predictions to this .csv or .json file")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return usageError{"need a run and at least one picture or folder"}
	}
	if *top < 1 {
		return usageError{fmt.Sprintf("--top %d, want at least 1", *top)}
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if *out != "" && ext != ".csv" && ext != ".json" {
		return usageError{fmt.Sprintf("--out %s: want a .csv or .json file", *out)}
	}
	dir, err := findRun(*results, pos[0])
	if err != nil {
		return err
	}
	ck, modelPath, err := loadRunModel(dir)
	if err != nil {
		return err
	}
	net := ck.Net
	pre, recomputed, err := runPreprocess(dir, stderr)
	if err != nil {
		return err
	}
	in := net.Input()
	if in.H != pre.Size || in.W != pre.Size || in.C != pre.Channels {
		return fmt.Errorf("run %s: the network takes %d×%d×%d inputs, the preprocessing gives %d×%d×%d", dir, in.H, in.W, in.C, pre.Size, pre.Size, pre.Channels)
	}
	if k := net.Output().Size(); k != len(pre.Classes) {
		return fmt.Errorf("run %s: the network has %d outputs for %d classes", dir, k, len(pre.Classes))
	}
	prep := data.Preprocessor{Kind: data.PreprocessKind(pre.Kind), Offset: pre.Offset, Scale: pre.Scale}

	files, err := listPictures(pos[1:])
	if err != nil {
		return err
	}
	preds, unreadable := predictFiles(net, prep, pre, files, min(*top, len(pre.Classes)), stderr)

	if *out == "" {
		if err := printPredictions(stdout, preds); err != nil {
			return err
		}
	} else {
		var buf bytes.Buffer
		if ext == ".csv" {
			err = writePredictionsCSV(&buf, preds)
		} else {
			err = writePredictionsJSON(&buf, predictOutput{Run: dir, Model: modelPath, Predictions: preds,
				Preprocess: preprocessJS{Size: pre.Size, Channels: pre.Channels, Kind: pre.Kind, Offset: pre.Offset, Scale: pre.Scale, Recomputed: recomputed}})
		}
		if err != nil {
			return err
		}
		if err := fsutil.WriteFileAtomic(*out, buf.Bytes(), 0o644); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "wrote %s to %s\n", plural(len(preds), "prediction"), *out)
	}
	if unreadable > 0 {
		fmt.Fprintf(stderr, "%s could not be read\n", plural(unreadable, "picture"))
		return exitError{1}
	}
	return nil
}

// loadRunModel loads the network of the run in dir: its best checkpoint
// (best.cnn), or its last model (model.cnn) when it has none. It returns the
// path it read too.
func loadRunModel(dir string) (*nn.Checkpoint, string, error) {
	path := filepath.Join(dir, record.BestFile)
	if _, err := os.Stat(path); err != nil {
		path = filepath.Join(dir, record.ModelFile)
	}
	ck, err := nn.Load(path)
	if err != nil {
		return nil, "", fmt.Errorf("run %s: %w", dir, err)
	}
	return ck, path, nil
}

// findRun returns the folder of the run named by name: a run folder, a run
// id under results, or EXPERIMENT/best.
func findRun(results, name string) (string, error) {
	if _, err := os.Stat(filepath.Join(name, record.StatusFile)); err == nil {
		return name, nil
	}
	if exp, ok := strings.CutSuffix(filepath.ToSlash(name), "/best"); ok && !strings.Contains(exp, "/") {
		return bestRun(results, exp)
	}
	if strings.ContainsAny(name, `/\`) {
		return "", fmt.Errorf("%s: not a run folder (no %s)", name, record.StatusFile)
	}
	matches, err := filepath.Glob(filepath.Join(results, "*", name, record.StatusFile))
	if err != nil {
		return "", err
	}
	switch len(matches) {
	case 0:
		return "", fmt.Errorf("no run %q under %s (give a run folder, a run id or EXPERIMENT/best; cnnlab runs lists them)", name, results)
	case 1:
		return filepath.Dir(matches[0]), nil
	}
	return "", fmt.Errorf("run id %q is in %d experiments under %s; give its folder", name, len(matches), results)
}

// bestRun returns the folder of the finished run of experiment exp with the
// best validation accuracy (the earliest started among equals).
func bestRun(results, exp string) (string, error) {
	all, _, err := readStatuses(results, io.Discard)
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("no results folder %s (runs are made by cnnlab run)", results)
	}
	if err != nil {
		return "", err
	}
	var done []statusOf
	for _, r := range all[exp] {
		if r.st.State == record.StateDone {
			done = append(done, r)
		}
	}
	if len(done) == 0 {
		return "", fmt.Errorf("no finished run of experiment %q in %s", exp, results)
	}
	best := slices.MinFunc(done, func(a, b statusOf) int {
		return cmp.Or(cmp.Compare(b.st.BestValAcc, a.st.BestValAcc), a.st.Started.Compare(b.st.Started))
	})
	return best.dir, nil
}

// runPreprocess returns the preprocessing the run in dir was trained with:
// as it recorded it, or, for a run from before it was recorded, fitted again
// on the data set its config names (saying so on warn).
func runPreprocess(dir string, warn io.Writer) (pre record.Preprocess, recomputed bool, err error) {
	err = record.ReadJSON(filepath.Join(dir, record.PreprocessFile), &pre)
	if err == nil {
		return pre, false, checkPreprocess(dir, pre)
	}
	if !errors.Is(err, os.ErrNotExist) {
		return pre, false, fmt.Errorf("run %s: %w", dir, err)
	}
	exp, err := experiments.Load(filepath.Join(dir, record.ConfigFile), nil)
	if err != nil {
		return pre, false, fmt.Errorf("run %s did not record its preprocessing, and its config cannot be read to fit it again: %w", dir, err)
	}
	fmt.Fprintf(warn, "note: run %s did not record its preprocessing; fitting it again on the data set %s\n", dir, cmp.Or(exp.Data.Path, string(exp.Data.Set)))
	pre, err = runner.FitPreprocess(context.Background(), exp, warn)
	if err != nil {
		return pre, true, fmt.Errorf("run %s: %w", dir, err)
	}
	return pre, true, nil
}

// checkPreprocess refuses a recorded preprocessing that does not hold
// together.
func checkPreprocess(dir string, p record.Preprocess) error {
	if p.Channels != 1 && p.Channels != 3 || p.Size < 1 || p.Size > 4096 ||
		len(p.Offset) != p.Channels || len(p.Scale) != p.Channels || len(p.Classes) < 1 {
		return fmt.Errorf("run %s: %s is damaged (size %d, %d channels, %d offsets, %d scales, %d classes)",
			dir, record.PreprocessFile, p.Size, p.Channels, len(p.Offset), len(p.Scale), len(p.Classes))
	}
	return nil
}

// listPictures expands folders into the PNG and JPEG files under them, in
// name order; files are kept as given, whatever their name.
func listPictures(args []string) ([]string, error) {
	var files []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			files = append(files, a)
			continue
		}
		n := len(files)
		err = filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if p != a && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.IsDir() && data.IsPictureName(p) {
				files = append(files, p)
			}
			if len(files) > maxPictures {
				return fmt.Errorf("%s: more than %d pictures", a, maxPictures)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(files) == n {
			return nil, fmt.Errorf("%s: no .png, .jpg or .jpeg files", a)
		}
	}
	return files, nil
}

// predictFiles reads each picture as the run's training pictures were read
// and returns the top classes of those it could read; the others are named
// on warn and counted.
func predictFiles(net *nn.Network, prep data.Preprocessor, pre record.Preprocess, files []string, top int, warn io.Writer) ([]prediction, int) {
	var preds []prediction
	unreadable := 0
	in := net.Input()
	x := nn.NewTensor(predictBatch, in.H, in.W, in.C)
	var pending []prediction
	flush := func() {
		if len(pending) == 0 {
			return
		}
		x.N = len(pending)
		p, err := net.Probabilities(&nn.Tensor{N: x.N, H: x.H, W: x.W, C: x.C, Data: x.Data[:x.N*in.Size()]})
		if err != nil {
			// The input has the network's shape and finite values: this is a bug.
			panic(err)
		}
		for i := range pending {
			pending[i].Top = topClasses(p.Example(i), pre.Classes, top)
		}
		preds = append(preds, pending...)
		pending = pending[:0]
	}
	for _, f := range files {
		pic, err := data.ReadPicture(f, pre.Size, pre.Channels)
		if err != nil {
			fmt.Fprintf(warn, "error: %v\n", err)
			unreadable++
			continue
		}
		pr := prediction{Picture: f, Width: pic.Width, Height: pic.Height, Warnings: pictureWarnings(pic, pre)}
		for _, w := range pr.Warnings {
			fmt.Fprintf(warn, "warning: %s: %s\n", f, w)
		}
		if err := prep.Convert(pic.Pixels, pre.Channels, x.Example(len(pending))); err != nil {
			panic(err) // checked against the network's input above
		}
		pending = append(pending, pr)
		if len(pending) == predictBatch {
			flush()
		}
	}
	flush()
	return preds, unreadable
}

// pictureWarnings says how a picture is far from those the network was
// trained on.
func pictureWarnings(p data.Picture, pre record.Preprocess) []string {
	var w []string
	short, long := min(p.Width, p.Height), max(p.Width, p.Height)
	if 2*short < pre.Size {
		w = append(w, fmt.Sprintf("%d×%d is enlarged %.1f× to the %d×%d the network was trained on; it may be too blurred to recognise",
			p.Width, p.Height, float64(pre.Size)/float64(short), pre.Size, pre.Size))
	}
	if long > 2*short {
		w = append(w, fmt.Sprintf("%d×%d is more than twice as long as wide: the centre square kept holds only %.0f%% of it",
			p.Width, p.Height, 100*float64(short)/float64(long)))
	}
	switch {
	case p.Colour && pre.Channels == 1:
		w = append(w, "a colour picture, read as grey: the network was trained on grey pictures")
	case !p.Colour && pre.Channels == 3:
		w = append(w, "a grey picture: the network was trained on colour pictures")
	}
	return w
}

// topClasses returns the k most probable classes of probs, most probable
// first (the lower index first among equals).
func topClasses(probs []float32, classes []string, k int) []classProb {
	idx := make([]int, len(probs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(probs[b], probs[a]) })
	out := make([]classProb, k)
	for r := range k {
		out[r] = classProb{Class: classes[idx[r]], Index: idx[r], Probability: float64(probs[idx[r]])}
	}
	return out
}

// printPredictions prints one line per picture: its name and its top
// classes with their probabilities.
func printPredictions(w io.Writer, preds []prediction) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if len(preds) > 0 {
		fmt.Fprint(tw, "PICTURE")
		for r := range preds[0].Top {
			fmt.Fprintf(tw, "\tTOP %d\t", r+1)
		}
		fmt.Fprintln(tw)
	}
	for _, p := range preds {
		fmt.Fprint(tw, p.Picture)
		for _, c := range p.Top {
			fmt.Fprintf(tw, "\t%s\t%6.2f%%", c.Class, 100*c.Probability)
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

func writePredictionsCSV(w io.Writer, preds []prediction) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"picture", "rank", "class", "probability"})
	for _, p := range preds {
		for r, c := range p.Top {
			_ = cw.Write([]string{p.Picture, strconv.Itoa(r + 1), c.Class, strconv.FormatFloat(c.Probability, 'g', 6, 64)})
		}
	}
	cw.Flush()
	return cw.Error()
}

func writePredictionsJSON(w io.Writer, out predictOutput) error {
	if out.Predictions == nil {
		out.Predictions = []prediction{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
