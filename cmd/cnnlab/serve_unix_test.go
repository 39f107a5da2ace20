//go:build unix

package main

import (
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer a command writes while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeCommand serves an empty results folder, reads the index through
// the server, and stops the server with a real SIGINT.
func TestServeCommand(t *testing.T) {
	results := t.TempDir()
	var out, errb lockedBuffer
	done := make(chan int)
	go func() {
		done <- run([]string{"serve", "--results", results, "--out", t.TempDir() + "/site", "--addr", "127.0.0.1:0"}, &out, &errb)
	}()
	addr := regexp.MustCompile(`serving http://(127\.0\.0\.1:\d+)/`)
	var m []string
	for deadline := time.Now().Add(time.Minute); m == nil; {
		select {
		case code := <-done:
			t.Fatalf("serve ended with %d: %s %s", code, out.String(), errb.String())
		case <-time.After(20 * time.Millisecond):
		}
		if m = addr.FindStringSubmatch(out.String()); m == nil && time.Now().After(deadline) {
			t.Fatalf("serve did not start: %q %q", out.String(), errb.String())
		}
	}
	resp, err := http.Get("http://" + m[1] + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "/.cnnlab/live.js") || !strings.Contains(string(body), "No run records found") {
		t.Errorf("GET /: %d %.200q", resp.StatusCode, body)
	}
	syscall.Kill(syscall.Getpid(), syscall.SIGINT)
	select {
	case code := <-done:
		if code != 0 || !strings.Contains(out.String(), "stopped") {
			t.Errorf("after SIGINT: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after SIGINT")
	}
}

func TestServeUsage(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "extra"}, `unexpected argument "extra"`},
		{[]string{"serve", "--interval", "1ms"}, "--interval 1ms: want between 100ms and 1h"},
		{[]string{"serve", "--bogus"}, "flag provided but not defined"},
	} {
		var out, errb bytes.Buffer
		if code := run(tt.args, &out, &errb); code != 2 || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and %q", tt.args, code, errb.String(), tt.want)
		}
	}
}
