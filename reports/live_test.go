package reports

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cnnlab/cnnlab/runner/record"
)

// liveSite starts a Live on a copy of the fixture's site and serves it.
func liveSite(t *testing.T) (l *Live, srv *httptest.Server, results string) {
	t.Helper()
	results, out := copySite(t)
	l = NewLive(Options{Results: results, Out: out, CacheDir: t.TempDir(), NoFetch: true}, 50*time.Millisecond, nil)
	if _, err := l.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv = httptest.NewServer(l.Handler())
	t.Cleanup(srv.Close)
	return l, srv, results
}

func get(t *testing.T, url, host string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestLiveServesTheSite(t *testing.T) {
	l, srv, _ := liveSite(t)
	tests := []struct {
		path, host string
		code       int
		has        string
	}{
		{"/", "", 200, `<script src="/.cnnlab/live.js" data-build="` + l.stamp(1) + `"></script>`},
		{"/grid/run-01/", "", 200, `live.js`},
		{"/grid/runs.csv", "", 200, "run,state"},
		{"/.cnnlab/live.js", "", 200, "EventSource"},
		{"/assets/site.js", "", 200, "cnnlab"},
		{"/" + markerFile, "", 404, ""},
		{"/" + journalFile, "", 404, ""},
		{"/grid/../../results", "", 404, ""},
		{"/nosuch.html", "", 404, ""},
		{"/", "localhost:8080", 200, "live.js"},
		{"/", "[::1]:8080", 200, "live.js"},
		{"/", "attacker.example:8080", 403, ""},
		{"/.cnnlab/events", "attacker.example", 403, ""},
	}
	for _, tt := range tests {
		code, body := get(t, srv.URL+tt.path, tt.host)
		if code != tt.code || !strings.Contains(body, tt.has) {
			t.Errorf("GET %s (Host %q): %d, %.80q; want %d with %q", tt.path, tt.host, code, body, tt.code, tt.has)
		}
	}
	// A named pipe in the site folder does not hold the server up.
	if err := syscallMkfifo(filepath.Join(l.opts.Out, "pipe.html")); err == nil {
		if code, _ := get(t, srv.URL+"/pipe.html", ""); code != 404 {
			t.Errorf("GET a named pipe: %d, want 404", code)
		}
	}
	// The site's files are not changed by serving them.
	b, err := os.ReadFile(filepath.Join(fixtureSite.out, "index.html"))
	if err != nil || strings.Contains(string(b), "live.js") {
		t.Errorf("the page on disk holds the live script (or cannot be read: %v)", err)
	}
	// A folder without its slash is sent to it.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/grid", nil)
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusMovedPermanently || loc != "/grid/" {
		t.Errorf("GET /grid: %d to %q, want 301 to /grid/", resp.StatusCode, loc)
	}
}

// readEvent reads the next build event of a stream.
func readEvent(t *testing.T, r *bufio.Reader) liveEvent {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("event stream: %v", err)
		}
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			var ev liveEvent
			if err := json.Unmarshal([]byte(data), &ev); err != nil {
				t.Fatal(err)
			}
			return ev
		}
	}
}

// A record changes while a page listens: Run builds again, and the page
// hears which files changed; the page of that run is among them.
func TestLiveRebuildsAndTells(t *testing.T) {
	l, srv, results := liveSite(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		l.Run(ctx)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Run did not return after its context was cancelled")
		}
	}()

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/.cnnlab/events?since="+l.stamp(1), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("events: Content-Type %q", ct)
	}
	appendEpoch(t, filepath.Join(results, "grid", "run-08"), record.StateRunning)
	events := bufio.NewReader(resp.Body)
	ev := readEvent(t, events)
	if ev.Build != 2 || !slices.Contains(ev.Changed, "grid/run-08/index.html") || !slices.Contains(ev.Changed, "grid/index.html") {
		t.Errorf("after an epoch: %+v; want build 2 naming the run's and the sweep's pages", ev)
	}
	if slices.Contains(ev.Changed, "grid/run-01/index.html") {
		t.Errorf("after an epoch of run-08 the page of run-01 changed: %v", ev.Changed)
	}
	if _, body := get(t, srv.URL+"/grid/run-08/index.html", ""); !strings.Contains(body, "2 of 4 epochs") {
		t.Error("the run's page does not show its new epoch")
	}

	// A page from build 1 that connects now hears at once what it missed,
	// and so does one from a server before this one, which hears of every
	// file.
	_, files, all, _ := l.since(1)
	if all || !slices.Contains(files, "grid/run-08/index.html") || slices.Contains(files, "grid/run-01/index.html") {
		t.Errorf("since build 1: %v, %v", files, all)
	}
	for stamp, want := range map[string]bool{l.stamp(1): true, "other-1": false, "": false, l.id + "-x": false} {
		if _, ok := l.buildOf(stamp); ok != want {
			t.Errorf("buildOf(%q) known = %v", stamp, ok)
		}
	}
	req, _ = http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/.cnnlab/events?since=other-1", nil)
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp2.Body.Close()
	if ev := readEvent(t, bufio.NewReader(resp2.Body)); !ev.All {
		t.Errorf("a page of an earlier server hears %+v, want everything", ev)
	}
	// A record that cannot be read (a writer that does not replace files
	// whole, caught half way) is not taken for the truth: the run is shown
	// as last read, and the server goes on.
	st := filepath.Join(results, "grid", "run-08", record.StatusFile)
	whole, _ := os.ReadFile(st)
	os.WriteFile(st, whole[:len(whole)/2], 0o644)
	if ev := readEvent(t, events); len(ev.Changed) > 0 {
		t.Errorf("a run with a half-written status: files changed: %v", ev.Changed)
	}
	if _, body := get(t, srv.URL+"/grid/run-08/index.html", ""); !strings.Contains(body, "2 of 4 epochs") {
		t.Error("the page of a run with a half-written status is gone")
	}
	os.WriteFile(st, whole, 0o644)
	appendEpoch(t, filepath.Join(results, "grid", "run-08"), record.StateRunning) // whole again, one epoch on
	for i := 0; ; i++ {
		ev := readEvent(t, events)
		if slices.Contains(ev.Changed, "grid/run-08/index.html") {
			break
		}
		if i == 3 {
			t.Fatal("no build changed the run's page")
		}
	}
	if _, body := get(t, srv.URL+"/grid/run-08/index.html", ""); !strings.Contains(body, "3 of 4 epochs") {
		t.Error("the run's page does not show its new epoch")
	}
}

func TestWithLiveScript(t *testing.T) {
	tests := []struct{ page, want string }{
		{"<html><head><title>x</title></head><body></body></html>", `<html><head><title>x</title><script src="/.cnnlab/live.js" data-build="7"></script>` + "\n</head><body></body></html>"},
		{"<body>x</body>", `<body>x<script src="/.cnnlab/live.js" data-build="7"></script>` + "\n</body>"},
		{"text", `text<script src="/.cnnlab/live.js" data-build="7"></script>` + "\n"},
	}
	for _, tt := range tests {
		if got := string(withLiveScript([]byte(tt.page), "7")); got != tt.want {
			t.Errorf("withLiveScript(%q) = %q, want %q", tt.page, got, tt.want)
		}
	}
}

func TestOnceWriter(t *testing.T) {
	var b strings.Builder
	w := &onceWriter{w: &b, seen: map[string]bool{}}
	io.WriteString(w, "warning: a\nwarning: b\n")
	io.WriteString(w, "warning: a\nwarn")
	io.WriteString(w, "ing: c\n")
	if got := b.String(); got != "warning: a\nwarning: b\nwarning: c\n" {
		t.Errorf("got %q", got)
	}
}

func TestLocalHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "localhost:80": true, "127.0.0.1:8080": true, "[::1]:1": true, "app.localhost": true,
		"127.0.0.2": true, "example.com": false, "10.0.0.1:80": false, "localhost.example.com": false, "": false,
	} {
		if got := localHost(host); got != want {
			t.Errorf("localHost(%q) = %v, want %v", host, got, want)
		}
	}
}
