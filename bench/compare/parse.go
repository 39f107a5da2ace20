package main

import (
	"fmt"
	"strconv"
	"strings"
)

// cnnlabBench is what compare reads from `cnnlab bench`.
type cnnlabBench struct {
	params       int
	kernel       string
	train, infer float64 // images/s
}

// parseCnnlabBench reads the header line (parameters, gemm kernel) and the
// train and infer images/s lines of `cnnlab bench`.
func parseCnnlabBench(out string) (cnnlabBench, error) {
	var b cnnlabBench
	var haveParams, haveTrain, haveInfer bool
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, "train images/s"):
			v, err := firstNumber(strings.TrimPrefix(line, "train images/s"))
			if err != nil {
				return b, fmt.Errorf("train line %q: %w", line, err)
			}
			b.train, haveTrain = v, true
		case strings.HasPrefix(line, "infer images/s"):
			v, err := firstNumber(strings.TrimPrefix(line, "infer images/s"))
			if err != nil {
				return b, fmt.Errorf("infer line %q: %w", line, err)
			}
			b.infer, haveInfer = v, true
		case strings.Contains(line, " parameters, "):
			fields := strings.Fields(line)
			for i, f := range fields {
				if f == "parameters," && i > 0 {
					v, err := firstNumber(fields[i-1])
					if err != nil {
						return b, fmt.Errorf("header %q: %w", line, err)
					}
					b.params, haveParams = int(v), true
				}
				if f == "kernel" && i > 0 && fields[i-1] == "gemm" && i+1 < len(fields) {
					b.kernel = fields[i+1]
				}
			}
		}
	}
	if !haveParams || !haveTrain || !haveInfer || b.kernel == "" {
		return b, fmt.Errorf("want a header with parameters and gemm kernel, a train and an infer line in:\n%s", out)
	}
	return b, nil
}

// firstNumber reads the first whitespace-separated field of s as a number
// that may have thousands separators (14,157).
func firstNumber(s string) (float64, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return 0, fmt.Errorf("no number")
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(fields[0], ",", ""), 64)
	if err != nil {
		return 0, fmt.Errorf("number %q: %w", fields[0], err)
	}
	return v, nil
}

// result is one "result key=value ..." line of the timing scripts.
type result map[string]string

// parseResults reads every line that starts with "result "; other lines
// (warnings) are skipped.
func parseResults(out string) ([]result, error) {
	rs, err := parseLines(out, "result")
	if err == nil && len(rs) == 0 {
		err = fmt.Errorf("no result line in:\n%s", out)
	}
	return rs, err
}

// parseLines reads every line that starts with kind and a space, followed
// by key=value fields (such as bench/sgemm's "peak" line); there may be none.
func parseLines(out, kind string) ([]result, error) {
	var rs []result
	for _, line := range strings.Split(out, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), kind+" ")
		if !ok {
			continue
		}
		r := result{}
		for _, kv := range strings.Fields(rest) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return nil, fmt.Errorf("%s line %q: %q is not key=value", kind, line, kv)
			}
			r[k] = v
		}
		rs = append(rs, r)
	}
	return rs, nil
}

func (r result) float(key string) (float64, error) {
	v, ok := r[key]
	if !ok {
		return 0, fmt.Errorf("result has no %s", key)
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, fmt.Errorf("result %s=%q: %w", key, v, err)
	}
	return f, nil
}

func (r result) int(key string) (int, error) {
	v, ok := r[key]
	if !ok {
		return 0, fmt.Errorf("result has no %s", key)
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("result %s=%q: %w", key, v, err)
	}
	return n, nil
}

// machine is the CPU compare ran on.
type machine struct {
	model string
	kind  string // "AVX-512", "AVX2-only", "no AVX2" or the architecture
}

// detectMachine reads the model name and the vector extensions from
// /proc/cpuinfo's text.
func detectMachine(cpuinfo, goarch string) machine {
	m := machine{model: "unknown CPU", kind: goarch}
	var flags map[string]bool
	for _, line := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "model name":
			if m.model == "unknown CPU" {
				m.model = strings.TrimSpace(v)
			}
		case "flags":
			if flags == nil {
				flags = map[string]bool{}
				for _, f := range strings.Fields(v) {
					flags[f] = true
				}
			}
		}
	}
	if goarch == "amd64" || goarch == "386" {
		switch {
		case flags["avx512f"]:
			m.kind = "AVX-512"
		case flags["avx2"]:
			m.kind = "AVX2-only"
		default:
			m.kind = "no AVX2"
		}
	}
	return m
}
