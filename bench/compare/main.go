// Command compare measures cnnlab's speed side by side with PyTorch and
// OpenBLAS on this machine and prints one table:
//
//	go run ./bench/compare [-isa native|avx2|avx2-gemm] [-rounds 3] [-threads 2] ...
//
// (`go tool task bench-compare` builds bin/cnnlab and bin/sgemm and runs it.)
// In every round it runs, one after the other, `cnnlab bench` and
// bench/pytorch/seednets.py on the seed MNIST network (batch 64) and the seed
// CIFAR-10 network (batch 128), then bench/sgemm and bench/pytorch/sgemm.py
// on a 1024³ product and the products the seed networks spend their time in
// (numpy, which calls OpenBLAS, and torch.mm). The two sides of each pair
// swap order every round. The table gives each side's median over the
// rounds with the min–max spread, and the ratio of the medians (cnnlab ÷
// the other; above 1 means cnnlab is faster).
//
// -isa avx2 holds both sides to AVX2 on an AVX-512 machine, to stand in for
// an AVX2-only one: cnnlab gets CNNLAB_GEMM_KERNEL=avx2 and
// GODEBUG=cpu.avx512f=off (so nn's own loops take their portable paths, as
// they do on a CPU without AVX-512), PyTorch and numpy get
// ONEDNN_MAX_CPU_ISA=AVX2, DNNL_MAX_CPU_ISA=AVX2, ATEN_CPU_CAPABILITY=avx2
// and OPENBLAS_CORETYPE=Haswell. -isa avx2-gemm holds only cnnlab's gemm
// kernel to AVX2 and leaves nn's loops on AVX-512.
//
// The Python side runs with /usr/bin/python3 and Debian's python3-torch and
// libopenblas0-pthread; compare stops with the apt-get command to install
// them when they are missing.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/cnnlab/cnnlab/bench/internal/shapes"
)

// isaMode is how far the comparison holds both sides back.
type isaMode string

const (
	isaNative   isaMode = "native"    // each side uses the best the CPU has
	isaAVX2     isaMode = "avx2"      // both sides held to AVX2
	isaAVX2Gemm isaMode = "avx2-gemm" // as avx2, but only cnnlab's gemm kernel is held
)

// config is what main parsed from its flags.
type config struct {
	isa         isaMode
	rounds      int
	threads     int
	mnistImages int
	cifarImages int
	sgemmTime   time.Duration
	python      string
	cnnlab      string
	sgemm       string
	ompWait     string
	scriptDir   string
	sgemmStat   sgemmStat
}

// sgemmStat is the rate of an SGEMM timing the table gives.
type sgemmStat string

const (
	statMean sgemmStat = "mean" // the mean rate over the calls of a round
	statP10  sgemmStat = "p10"  // the rate of the 10th-percentile call: the fastest tenth
)

// key is the field of a timer's result line that holds the rate.
func (s sgemmStat) key() string {
	if s == statP10 {
		return "p10_gflops"
	}
	return "gflops"
}

func main() {
	cfg := config{}
	isa := flag.String("isa", string(isaNative), "native, avx2 (both sides held to AVX2) or avx2-gemm (only cnnlab's gemm kernel held)")
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds of measurements")
	flag.IntVar(&cfg.threads, "threads", 2, "threads on both sides")
	flag.IntVar(&cfg.mnistImages, "mnist-images", 8192, "images per MNIST measurement (batch 64)")
	flag.IntVar(&cfg.cifarImages, "cifar-images", 1024, "images per CIFAR-10 measurement (batch 128)")
	flag.DurationVar(&cfg.sgemmTime, "sgemm-time", 300*time.Millisecond, "time per product shape, library and round")
	flag.StringVar(&cfg.python, "python", "/usr/bin/python3", "Python with python3-torch")
	flag.StringVar(&cfg.cnnlab, "cnnlab", "bin/cnnlab", "the cnnlab command (go build -o bin/cnnlab ./cmd/cnnlab)")
	flag.StringVar(&cfg.sgemm, "sgemm", "bin/sgemm", "the sgemm timer (go build -o bin/sgemm ./bench/sgemm)")
	flag.StringVar(&cfg.ompWait, "omp-wait-policy", "passive", "OMP_WAIT_POLICY for PyTorch (empty: its default, spinning)")
	flag.StringVar(&cfg.scriptDir, "scripts", "bench/pytorch", "directory of seednets.py and sgemm.py")
	stat := flag.String("sgemm-stat", string(statMean), "SGEMM rate: mean (over the calls) or p10 (the fastest tenth of calls, steadier on a busy machine)")
	flag.Parse()
	cfg.isa = isaMode(*isa)
	cfg.sgemmStat = sgemmStat(*stat)
	if err := cfg.check(); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(2)
	}
	if err := run(cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "compare:", err)
		os.Exit(1)
	}
}

func (c config) check() error {
	switch c.isa {
	case isaNative, isaAVX2, isaAVX2Gemm:
	default:
		return fmt.Errorf("-isa %q: want %s, %s or %s", c.isa, isaNative, isaAVX2, isaAVX2Gemm)
	}
	if c.sgemmStat != statMean && c.sgemmStat != statP10 {
		return fmt.Errorf("-sgemm-stat %q: want %s or %s", c.sgemmStat, statMean, statP10)
	}
	if c.rounds < 1 || c.threads < 1 || c.mnistImages < 1 || c.cifarImages < 1 || c.sgemmTime <= 0 {
		return errors.New("-rounds, -threads, -mnist-images, -cifar-images and -sgemm-time must be positive")
	}
	for _, p := range []struct{ path, build string }{
		{c.cnnlab, "go build -o bin/cnnlab ./cmd/cnnlab"},
		{c.sgemm, "go build -o bin/sgemm ./bench/sgemm"},
	} {
		if _, err := os.Stat(p.path); err != nil {
			return fmt.Errorf("%s is missing; build it with `%s` (or run `go tool task bench-compare`)", p.path, p.build)
		}
	}
	return nil
}

// Environment variables that hold each side to AVX2.
var (
	cnnlabAVX2Env = []string{"CNNLAB_GEMM_KERNEL=avx2", "GODEBUG=cpu.avx512f=off"}
	cnnlabGemmEnv = []string{"CNNLAB_GEMM_KERNEL=avx2"}
	pythonAVX2Env = []string{"ONEDNN_MAX_CPU_ISA=AVX2", "DNNL_MAX_CPU_ISA=AVX2", "ATEN_CPU_CAPABILITY=avx2", "OPENBLAS_CORETYPE=Haswell"}
)

// envs returns the extra environment of cnnlab's side and of Python's.
func (c config) envs() (cnnlab, python []string) {
	python = []string{fmt.Sprintf("OPENBLAS_NUM_THREADS=%d", c.threads), fmt.Sprintf("OMP_NUM_THREADS=%d", c.threads)}
	if c.ompWait != "" {
		python = append(python, "OMP_WAIT_POLICY="+c.ompWait)
	}
	switch c.isa {
	case isaAVX2:
		cnnlab = cnnlabAVX2Env
		python = append(python, pythonAVX2Env...)
	case isaAVX2Gemm:
		cnnlab = cnnlabGemmEnv
		python = append(python, pythonAVX2Env...)
	}
	return cnnlab, python
}

// Rows of the table, in order.
const (
	rowMNISTTrain = "MNIST train, batch 64"
	rowMNISTInfer = "MNIST infer, batch 64"
	rowCIFARTrain = "CIFAR-10 train, batch 128"
	rowCIFARInfer = "CIFAR-10 infer, batch 128"
)

// Names of the other side.
const (
	refPyTorch = "PyTorch"
	refNumpy   = "numpy (OpenBLAS)"
	refTorchMM = "torch.mm"
)

// info is what the runs reported about themselves, for the table's header.
type info struct {
	pythonCheck   string         // seednets.py check's line
	cnnlabParams  map[string]int // by network
	pytorchParams map[string]int
	netKernel     string    // cnnlab bench's gemm kernel
	sgemmKernel   string    // bench/sgemm's
	peaks         []float64 // bench/sgemm's peak line, GFLOP/s, one per round
}

// net is one of the seed networks.
type net struct {
	name, file       string
	batch, images    int
	trainRow, infRow string
}

func run(cfg config, stdout, stderr io.Writer) error {
	cnnlabEnv, pythonEnv := cfg.envs()
	inf := info{cnnlabParams: map[string]int{}, pytorchParams: map[string]int{}}
	check, err := output(cfg.python, []string{cfg.scriptDir + "/seednets.py", "check"}, pythonEnv)
	if err != nil {
		return missingPython(cfg.python, check, err)
	}
	inf.pythonCheck = strings.TrimSpace(check)

	nets := []net{
		{"mnist", "experiments/seed/mnist.yaml", 64, cfg.mnistImages, rowMNISTTrain, rowMNISTInfer},
		{"cifar10", "experiments/seed/cifar10.yaml", 128, cfg.cifarImages, rowCIFARTrain, rowCIFARInfer},
	}
	var specs []string
	for _, s := range shapes.Seed {
		specs = append(specs, s.String())
	}
	t := newTable()
	threads := fmt.Sprint(cfg.threads)
	for r := range cfg.rounds {
		// A step is one side of a pair; pairs swap order every round.
		type step struct {
			label string
			do    func() error
		}
		var pairs [][2]step
		for _, n := range nets {
			pairs = append(pairs, [2]step{
				{"cnnlab " + n.name, func() error {
					out, err := output(cfg.cnnlab, []string{"bench", n.file, "--batch", fmt.Sprint(n.batch),
						"--images", fmt.Sprint(n.images), "--threads", threads}, cnnlabEnv)
					if err != nil {
						return fmt.Errorf("cnnlab bench %s: %w\n%s", n.file, err, out)
					}
					b, err := parseCnnlabBench(out)
					if err != nil {
						return fmt.Errorf("cnnlab bench %s: %w", n.file, err)
					}
					inf.cnnlabParams[n.name], inf.netKernel = b.params, b.kernel
					t.add(n.trainRow, unitImages, refPyTorch, sideCnnlab, b.train)
					t.add(n.infRow, unitImages, refPyTorch, sideCnnlab, b.infer)
					return nil
				}},
				{"PyTorch " + n.name, func() error {
					out, err := output(cfg.python, []string{cfg.scriptDir + "/seednets.py", "net", n.name,
						"--batch", fmt.Sprint(n.batch), "--images", fmt.Sprint(n.images), "--threads", threads}, pythonEnv)
					if err != nil {
						return fmt.Errorf("seednets.py %s: %w\n%s", n.name, err, out)
					}
					res, err := parseResults(out)
					if err != nil || len(res) != 1 {
						return fmt.Errorf("seednets.py %s: want one result line: %v\n%s", n.name, err, out)
					}
					p, err1 := res[0].int("params")
					train, err2 := res[0].float("train_img_s")
					infer, err3 := res[0].float("infer_img_s")
					if err := errors.Join(err1, err2, err3); err != nil {
						return fmt.Errorf("seednets.py %s: %w", n.name, err)
					}
					inf.pytorchParams[n.name] = p
					t.add(n.trainRow, unitImages, refPyTorch, sideOther, train)
					t.add(n.infRow, unitImages, refPyTorch, sideOther, infer)
					return nil
				}},
			})
		}
		minTime := cfg.sgemmTime.String()
		pairs = append(pairs, [2]step{
			{"cnnlab sgemm", func() error {
				out, err := output(cfg.sgemm, append([]string{"-threads", threads, "-min-time", minTime}, specs...), cnnlabEnv)
				if err != nil {
					return fmt.Errorf("bench/sgemm: %w\n%s", err, out)
				}
				res, err := parseResults(out)
				if err != nil {
					return fmt.Errorf("bench/sgemm: %w", err)
				}
				peaks, err := parseLines(out, "peak")
				if err != nil {
					return fmt.Errorf("bench/sgemm: %w", err)
				}
				for _, x := range peaks {
					g, err := x.float("gflops")
					if err != nil {
						return fmt.Errorf("bench/sgemm peak: %w", err)
					}
					inf.peaks = append(inf.peaks, g)
				}
				for _, x := range res {
					g, err := x.float(cfg.sgemmStat.key())
					if err != nil {
						return fmt.Errorf("bench/sgemm: %w", err)
					}
					inf.sgemmKernel = x["kernel"]
					for _, ref := range []string{refNumpy, refTorchMM} {
						t.add(sgemmRow(x), unitGFLOPs, ref, sideCnnlab, g)
					}
				}
				return nil
			}},
			{"numpy and torch.mm sgemm", func() error {
				args := append([]string{cfg.scriptDir + "/sgemm.py", "--threads", threads,
					"--min-time", fmt.Sprint(cfg.sgemmTime.Seconds())}, specs...)
				out, err := output(cfg.python, args, pythonEnv)
				if err != nil {
					return fmt.Errorf("sgemm.py: %w\n%s", err, out)
				}
				res, err := parseResults(out)
				if err != nil {
					return fmt.Errorf("sgemm.py: %w", err)
				}
				for _, x := range res {
					g, err := x.float(cfg.sgemmStat.key())
					if err != nil {
						return fmt.Errorf("sgemm.py: %w", err)
					}
					ref := refNumpy
					if x["impl"] == "torch" {
						ref = refTorchMM
					}
					t.add(sgemmRow(x), unitGFLOPs, ref, sideOther, g)
				}
				return nil
			}},
		})
		for _, p := range pairs {
			if r%2 == 1 {
				p[0], p[1] = p[1], p[0]
			}
			for _, s := range p {
				fmt.Fprintf(stderr, "round %d/%d: %s\n", r+1, cfg.rounds, s.label)
				if err := s.do(); err != nil {
					return err
				}
			}
		}
	}

	m := detectMachine(readCPUInfo(), runtime.GOARCH)
	fmt.Fprint(stdout, header(cfg, m, inf))
	t.write(stdout)
	for _, n := range nets {
		if inf.cnnlabParams[n.name] != inf.pytorchParams[n.name] {
			return fmt.Errorf("%s: cnnlab has %d parameters, PyTorch %d: the networks differ",
				n.name, inf.cnnlabParams[n.name], inf.pytorchParams[n.name])
		}
	}
	return nil
}

// sgemmRow names the row of a product: SGEMM name M×N×K.
func sgemmRow(r result) string {
	return fmt.Sprintf("SGEMM %s %s×%s×%s", r["shape"], r["m"], r["n"], r["k"])
}

// output runs name with args and extra environment, returning its stdout
// (and stderr after it when it fails).
func output(name string, args, env []string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if err != nil {
		return out.String() + errOut.String(), err
	}
	return out.String(), nil
}

// installHint is how to get the Python side on Debian and Ubuntu.
const installHint = "install with: sudo apt-get install python3-torch libopenblas0-pthread"

// missingPython explains why the Python check failed.
func missingPython(python, out string, err error) error {
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) {
		return fmt.Errorf("cannot run %s (%v): the comparison needs Python 3 with the packages python3-torch and libopenblas0-pthread; %s", python, err, installHint)
	}
	for _, line := range strings.Split(out, "\n") {
		if pkgs, ok := strings.CutPrefix(line, "missing: "); ok {
			return fmt.Errorf("PyTorch side not installed: missing %s; %s", strings.Join(strings.Fields(pkgs), ", "), installHint)
		}
	}
	return fmt.Errorf("%s bench/pytorch/seednets.py check failed (%v):\n%s\nthe comparison needs the packages python3-torch and libopenblas0-pthread; %s", python, err, out, installHint)
}

func readCPUInfo() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	return string(b)
}
