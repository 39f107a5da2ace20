package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/cnnlab/cnnlab/internal/fsutil"
	"github.com/cnnlab/cnnlab/nn"
	"github.com/cnnlab/cnnlab/onnx"
	"github.com/cnnlab/cnnlab/runner/record"
)

func init() {
	register(&command{
		name:    "export",
		summary: "write a trained run's network as an ONNX model",
		usage: `  cnnlab export RUN --onnx FILE [--results DIR]

Writes the network of RUN (a run folder, a run id or EXPERIMENT/best, as
for cnnlab predict; its best checkpoint) to FILE as an ONNX model, opset 13,
for inference: batch normalisation with its running statistics, dropout
left out. The model's input "input" is N×C×H×W (channels first), already
preprocessed; its output "logits" is N×K, the network's output (a softmax
gives the probabilities, unless the network ends with one). The
preprocessing and the class names are in the model's metadata_props:
cnnlab.size, cnnlab.channels, cnnlab.preprocess (v' = (v - offset[c]) ·
scale[c] on pixel values 0..255), cnnlab.offset, cnnlab.scale,
cnnlab.classes (JSON), cnnlab.resize.`,
		run: runExport,
	})
}

func runExport(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	results := fs.String("results", "results", "the results folder")
	out := fs.String("onnx", "", "the ONNX file to write")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"need one run"}
	}
	if *out == "" {
		return usageError{"need --onnx FILE"}
	}
	dir, err := findRun(*results, pos[0])
	if err != nil {
		return err
	}
	ck, _, err := loadRunModel(dir)
	if err != nil {
		return err
	}
	pre, _, err := runPreprocess(dir, stderr)
	if err != nil {
		return err
	}
	meta, err := onnxMeta(pre, dir, ck.Net)
	if err != nil {
		return err
	}
	model, err := onnx.Encode(ck.Net, meta)
	if err != nil {
		return fmt.Errorf("run %s: %w", dir, err)
	}
	if err := fsutil.WriteFileAtomic(*out, model, 0o644); err != nil {
		return err
	}
	in := ck.Net.Input()
	fmt.Fprintf(stdout, "wrote %s (ONNX opset %d, %d bytes): input N×%d×%d×%d, output N×%d (%s)\n",
		*out, onnx.Opset, len(model), in.C, in.H, in.W, ck.Net.Output().Size(), strings.Join(pre.Classes, ", "))
	return nil
}

// onnxMeta is the preprocessing of a run as metadata_props.
func onnxMeta(pre record.Preprocess, dir string, net *nn.Network) ([]onnx.KeyValue, error) {
	output := "logits: the network's output; a softmax over axis 1 gives the probabilities"
	if specs := net.Specs(); specs[len(specs)-1].Kind == nn.KindSoftmax {
		output = "probabilities: the network ends with a softmax"
	}
	classes, err := json.Marshal(pre.Classes)
	if err != nil {
		return nil, err
	}
	floats := func(v []float32) string {
		s := make([]string, len(v))
		for i, f := range v {
			s[i] = strconv.FormatFloat(float64(f), 'g', -1, 32)
		}
		return strings.Join(s, ",")
	}
	return []onnx.KeyValue{
		{Key: "cnnlab.run", Value: dir},
		{Key: "cnnlab.size", Value: strconv.Itoa(pre.Size)},
		{Key: "cnnlab.channels", Value: strconv.Itoa(pre.Channels)},
		{Key: "cnnlab.resize", Value: "scale the shorter side to size (Catmull-Rom), centre-crop to size×size, grey (luminance) or RGB"},
		{Key: "cnnlab.preprocess", Value: pre.Kind + ": input[c] = (pixel[c] - offset[c]) * scale[c], pixel values 0..255"},
		{Key: "cnnlab.offset", Value: floats(pre.Offset)},
		{Key: "cnnlab.scale", Value: floats(pre.Scale)},
		{Key: "cnnlab.classes", Value: string(classes)},
		{Key: "cnnlab.output", Value: output},
	}, nil
}
