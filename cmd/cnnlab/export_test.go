package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestExport(t *testing.T) {
	_, results, dir := trainTinyRun(t)
	file := filepath.Join(t.TempDir(), "model.onnx")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"export", "e2e/best", "--results", results, "--onnx", file}, &stdout, &stderr); code != 0 {
		t.Fatalf("export = %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "wrote "+file+" (ONNX opset 13") || !strings.Contains(stdout.String(), "input N×1×8×8, output N×3 (bottom, middle, top)") {
		t.Errorf("stdout %q", stdout.String())
	}
	model, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cnnlab.classes", `["bottom","middle","top"]`, "cnnlab.offset", "minmax", dir} {
		if !bytes.Contains(model, []byte(want)) {
			t.Errorf("the model's metadata lacks %q", want)
		}
	}
	// The model passes onnx.checker where python3-onnx is installed.
	for _, py := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(py, "-c", "import onnx").Run() != nil {
			continue
		}
		check := "import onnx, sys; m = onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print({p.key: p.value for p in m.metadata_props}['cnnlab.size'])"
		if out, err := exec.Command(py, "-c", check, file).CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "8" {
			t.Errorf("onnx.checker: %v\n%s", err, out)
		}
		break
	}

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no file", []string{"export", dir}, 2, "need --onnx FILE"},
		{"no run", []string{"export", "--onnx", file}, 2, "need one run"},
		{"unknown run", []string{"export", "--results", results, "zzzzzzzzzz", "--onnx", file}, 1, `no run "zzzzzzzzzz"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stderr.Reset()
			if code := run(tc.args, &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, want %d; stderr %q lacks %q", code, tc.code, stderr.String(), tc.want)
			}
		})
	}
}
