package experiments

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lspDir holds the package.json of the language server the editor test
// drives; `npm ci` there installs it (.ci/run does).
const lspDir = "testdata/lsp"

// TestLanguageServerUsesSchema drives yaml-language-server, the back end of
// the YAML support of VS Code, Neovim, Helix and others, over the language
// server protocol on stdio, with experiment files naming the committed
// schema in their first line: it must complete the keys of a conv layer
// and flag a misspelt key.
func TestLanguageServerUsesSchema(t *testing.T) {
	server := filepath.Join(lspDir, "node_modules", "yaml-language-server", "bin", "yaml-language-server")
	node, err := exec.LookPath("node")
	if err == nil {
		_, err = os.Stat(server)
	}
	if err != nil {
		msg := fmt.Sprintf("yaml-language-server is not installed (%v): run `npm ci` in experiments/%s (needs node)", err, lspDir)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, server, "--stdio")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cancel()
		cmd.Wait()
	}()
	c := &lspClient{t: t, ctx: ctx, in: stdin, out: bufio.NewReader(stdout)}

	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	uri := func(name string) string {
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, name))}).String()
	}
	c.call("initialize", map[string]any{
		"processId": os.Getpid(),
		"rootUri":   uri(""),
		"capabilities": map[string]any{
			"workspace":    map[string]any{"configuration": true},
			"textDocument": map[string]any{"completion": map[string]any{"completionItem": map[string]any{"snippetSupport": false}}, "publishDiagnostics": map[string]any{}},
		},
	})
	c.notify("initialized", map[string]any{})
	c.notify("workspace/didChangeConfiguration", map[string]any{"settings": map[string]any{"yaml": yamlSettings}})

	// The documents are not written to disk: they are named beside the
	// schema so that the modeline's relative path finds it.
	const head = "# yaml-language-server: $schema=cnnlab.schema.json\nname: lsp-check\ndata: {set: mnist}\nmodel:\n  - conv:\n      padding: same\n"
	complete := uri("lsp-complete.yaml")
	c.open(complete, head+"      \n  - flatten\n  - dense: {units: 10}\n")
	var list struct {
		Items []struct{ Label string } `json:"items"`
	}
	c.result(c.call("textDocument/completion", map[string]any{
		"textDocument": map[string]any{"uri": complete},
		"position":     map[string]any{"line": 6, "character": 6},
	}), &list)
	labels := map[string]bool{}
	for _, it := range list.Items {
		labels[it.Label] = true
	}
	t.Logf("completion inside conv: %d items", len(list.Items))
	for _, want := range []string{"filters", "kernel", "stride", "bias"} {
		if !labels[want] {
			t.Errorf("completion inside conv: lacks %q; got %v", want, labels)
		}
	}
	if labels["units"] || labels["padding"] {
		t.Errorf("completion inside conv: offers a key of another kind or one already given: %v", labels)
	}

	wrong := uri("lsp-wrong.yaml")
	c.open(wrong, head+"      filters: 8\n      kernal: 3\n  - flatten\n  - dense: {units: 10}\n")
	diags := c.diagnostics(wrong)
	t.Logf("diagnostics of a misspelt key: %+v", diags)
	found := false
	for _, d := range diags {
		if d.Range.Start.Line == 7 && strings.Contains(d.Message, "kernal") {
			found = true
		}
	}
	if !found {
		t.Errorf("no diagnostic about kernal on line 8; got %+v", diags)
	}
	good := uri("lsp-good.yaml")
	c.open(good, head+"      filters: 8\n      kernel: 3\n  - flatten\n  - dense: {units: 10}\n")
	if diags := c.diagnostics(good); len(diags) != 0 {
		t.Errorf("diagnostics on a valid file: %+v", diags)
	}
	c.call("shutdown", nil)
	c.notify("exit", nil)
}

var yamlSettings = map[string]any{"validate": true, "completion": true, "hover": true, "schemaStore": map[string]any{"enable": false}}

type lspDiagnostic struct {
	Message string
	Range   struct{ Start struct{ Line, Character int } }
}

// lspClient speaks JSON-RPC with Content-Length framing to a language server.
type lspClient struct {
	t      *testing.T
	ctx    context.Context
	in     io.Writer
	out    *bufio.Reader
	nextID int
	diags  map[string][]lspDiagnostic // the last diagnostics published per document
}

type lspMessage struct {
	ID     *json.RawMessage `json:"id,omitempty"`
	Method string           `json:"method,omitempty"`
	Params json.RawMessage  `json:"params,omitempty"`
	Result json.RawMessage  `json:"result,omitempty"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error,omitempty"`
}

func (c *lspClient) send(v map[string]any) {
	v["jsonrpc"] = "2.0"
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := fmt.Fprintf(c.in, "Content-Length: %d\r\n\r\n%s", len(b), b); err != nil {
		c.t.Fatalf("writing to the language server: %v", err)
	}
}

func (c *lspClient) notify(method string, params any) {
	c.send(map[string]any{"method": method, "params": params})
}

func (c *lspClient) open(uri, text string) {
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{"uri": uri, "languageId": "yaml", "version": 1, "text": text}})
}

// read returns the next message of the server, answering its requests.
func (c *lspClient) read() lspMessage {
	type res struct {
		m   lspMessage
		err error
	}
	ch := make(chan res, 1)
	go func() {
		length := -1
		for {
			line, err := c.out.ReadString('\n')
			if err != nil {
				ch <- res{err: err}
				return
			}
			line = strings.TrimSpace(line)
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length:"); ok {
				length, _ = strconv.Atoi(strings.TrimSpace(v))
			}
		}
		if length < 0 || length > 64<<20 {
			ch <- res{err: fmt.Errorf("bad Content-Length %d", length)}
			return
		}
		b := make([]byte, length)
		if _, err := io.ReadFull(c.out, b); err != nil {
			ch <- res{err: err}
			return
		}
		var m lspMessage
		ch <- res{m, json.Unmarshal(b, &m)}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			c.t.Fatalf("reading from the language server: %v", r.err)
		}
		m := r.m
		if m.ID != nil && m.Method != "" { // a request of the server
			var result any
			if m.Method == "workspace/configuration" {
				var p struct{ Items []any }
				json.Unmarshal(m.Params, &p)
				out := make([]any, len(p.Items))
				for i := range out {
					out[i] = yamlSettings
				}
				result = out
			}
			c.send(map[string]any{"id": m.ID, "result": result})
		}
		if m.Method == "textDocument/publishDiagnostics" {
			var p struct {
				URI         string
				Diagnostics []lspDiagnostic
			}
			if err := json.Unmarshal(m.Params, &p); err != nil {
				c.t.Fatal(err)
			}
			if c.diags == nil {
				c.diags = map[string][]lspDiagnostic{}
			}
			c.diags[p.URI] = p.Diagnostics
		}
		return m
	case <-c.ctx.Done():
		c.t.Fatal("the language server did not answer within 60 s")
	}
	panic("unreachable")
}

// call sends a request and returns its result.
func (c *lspClient) call(method string, params any) json.RawMessage {
	c.nextID++
	id := c.nextID
	c.send(map[string]any{"id": id, "method": method, "params": params})
	for {
		m := c.read()
		if m.ID == nil || m.Method != "" {
			continue
		}
		var got int
		if json.Unmarshal(*m.ID, &got) != nil || got != id {
			continue
		}
		if m.Error != nil {
			c.t.Fatalf("%s: %s", method, m.Error.Message)
		}
		return m.Result
	}
}

func (c *lspClient) result(raw json.RawMessage, v any) {
	if err := json.Unmarshal(raw, v); err != nil {
		c.t.Fatalf("%s: %v", raw, err)
	}
}

// diagnostics waits for the server's diagnostics of uri.
func (c *lspClient) diagnostics(uri string) []lspDiagnostic {
	for {
		if d, ok := c.diags[uri]; ok {
			return d
		}
		c.read()
	}
}
