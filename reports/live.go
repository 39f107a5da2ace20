package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cnnlab/cnnlab/runner/record"
)

// A Live keeps a site current while runs train and serves it over HTTP:
// it looks at the run records every Interval, builds the site again
// (incrementally, see unit) when they changed, and tells the open pages
// which files changed, so that a page fetches itself again and updates in
// place. The pages learn this through a script the server adds to every
// page it serves; the files of the site are those of a plain build, so the
// folder opened from disk shows exactly what it always did.
//
// It only reads the results: records are replaced whole by their writer,
// a run that changes while it is read is read again (see readRun), and no
// lock is taken, so training is never held up.
type Live struct {
	opts     Options
	interval time.Duration
	log      io.Writer
	id       string // this server among others on the same address, one after the other

	mu      sync.Mutex
	build   uint64            // builds done; the pages' clock
	changed map[string]uint64 // site file → the build that last changed it
	wake    chan struct{}     // closed and replaced after each build
	lastErr string            // the last failure, said once
	print   string            // the records as the last build found them (see resultsPrint)
	built   bool              // Build succeeded
}

// liveDir is where the server answers for itself: no site file starts with
// a dot (slugs never do), and the server never serves one from the folder.
const liveDir = "/.cnnlab/"

// maxLiveChanges bounds the list of changed files an event carries; a page
// that is further behind reloads whatever changed.
const maxLiveChanges = 2000

// maxPageSize bounds a page read to add the live script to it.
const maxPageSize = 256 << 20

// NewLive prepares to keep the site o.Out current with the records under
// o.Results, looking every interval (1 s when 0) and saying what it does
// on log (nil: nothing). Warnings go to o.Warn, each only once.
func NewLive(o Options, interval time.Duration, log io.Writer) *Live {
	if interval <= 0 {
		interval = time.Second
	}
	if log == nil {
		log = io.Discard
	}
	if o.Warn == nil {
		o.Warn = io.Discard
	}
	o.Warn = &onceWriter{w: o.Warn, seen: map[string]bool{}}
	o.memory = newRunMemory()
	return &Live{opts: o, interval: interval, log: log, id: strconv.FormatInt(time.Now().UnixNano(), 36),
		changed: map[string]uint64{}, wake: make(chan struct{})}
}

// Build builds the site once, as the first step of Run; its error is the
// one Build returned.
func (l *Live) Build(ctx context.Context) (*Summary, error) {
	print, _ := resultsPrint(l.opts.Results)
	sum, err := BuildContext(ctx, l.opts)
	if err != nil {
		return nil, err
	}
	l.print, l.built = print, true
	l.publish(sum.Changed)
	return sum, nil
}

// Run looks at the records every interval and builds the site again when
// they changed, until ctx is done. A build that fails is reported and tried
// again at the next change; Run only returns when ctx is done.
func (l *Live) Run(ctx context.Context) {
	last, failed := l.print, !l.built
	t := time.NewTicker(l.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, err := resultsPrint(l.opts.Results)
		if err == nil && now == last && !failed {
			continue
		}
		start := time.Now()
		sum, err := BuildContext(ctx, l.opts)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			failed = true
			l.say("build failed: %v (trying again at the next change)", err)
			last = now
			continue
		}
		failed, last = false, now
		l.publish(sum.Changed)
		l.mu.Lock()
		l.lastErr = ""
		l.mu.Unlock()
		fmt.Fprintf(l.log, "%s rebuilt in %.1fs: %d runs, %d of %d pages made again, %d files changed\n",
			time.Now().Format("15:04:05"), time.Since(start).Seconds(), sum.Runs, sum.Pages-sum.Kept, sum.Pages, len(sum.Changed))
	}
}

// say reports a failure once, until another or a success.
func (l *Live) say(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	same := msg == l.lastErr
	l.lastErr = msg
	l.mu.Unlock()
	if !same {
		fmt.Fprintln(l.opts.Warn, "warning: "+msg)
	}
}

// publish starts a new build number and wakes the pages waiting for it.
func (l *Live) publish(changed []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.build++
	for _, f := range changed {
		l.changed[f] = l.build
	}
	close(l.wake)
	l.wake = make(chan struct{})
}

// since returns the current build, the files changed after build n (nil
// with all set when there are too many to list), and a channel closed at
// the next build.
func (l *Live) since(n uint64) (cur uint64, files []string, all bool, wake <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cur, wake = l.build, l.wake
	if n >= cur {
		return cur, nil, false, wake
	}
	for f, b := range l.changed {
		if b > n {
			files = append(files, f)
			if len(files) > maxLiveChanges {
				return cur, nil, true, wake
			}
		}
	}
	slices.Sort(files)
	return cur, files, false, wake
}

// resultsPrint fingerprints every run folder under root (see fingerprint):
// it changes whenever a record is written, a run appears or goes.
func resultsPrint(root string) (string, error) {
	var b strings.Builder
	exps, err := os.ReadDir(root)
	if err != nil {
		return "", err
	}
	for _, e := range exps {
		if !e.IsDir() {
			continue
		}
		runs, err := os.ReadDir(filepath.Join(root, e.Name()))
		if err != nil {
			continue
		}
		for _, r := range runs {
			if !r.IsDir() {
				continue
			}
			dir := filepath.Join(root, e.Name(), r.Name())
			p, err := fingerprint(dir)
			if err != nil {
				continue
			}
			// A run nobody trains any more shows abandoned: that depends
			// on its lock, not on its files.
			fmt.Fprintf(&b, "%q %s %v\n", dir, p, lockedRunning(dir))
		}
	}
	return b.String(), nil
}

// lockedRunning tells, for a run that says it is running, whether a process
// holds its lock; false for any other run.
func lockedRunning(dir string) bool {
	var st record.Status
	if record.ReadJSON(filepath.Join(dir, record.StatusFile), &st) != nil || st.State != record.StateRunning {
		return false
	}
	return !record.Abandoned(dir, st)
}

// Handler serves the site: its files (never one whose name starts with a
// dot: the marker, the journal, a file being written), every page with the
// live script added, and the events the script listens to. It answers only
// requests addressed to this machine by name (localhost, 127.0.0.1, ::1), so
// that a web page elsewhere cannot read the records through a name of its
// own pointing here.
func (l *Live) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !localHost(r.Host) {
			http.Error(w, "cnnlab serve answers only requests to localhost", http.StatusForbidden)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		switch r.URL.Path {
		case liveDir + "live.js":
			b, err := static.ReadFile("static/live.js")
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			w.Write(b)
		case liveDir + "events":
			l.events(w, r)
		default:
			l.file(w, r)
		}
	})
}

// localHost reports whether the Host of a request names this machine.
func localHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// file serves one file of the site.
func (l *Live) file(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if strings.HasSuffix(r.URL.Path, "/") || name == "" {
		name = path.Join(name, "index.html")
	}
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") {
			http.NotFound(w, r)
			return
		}
	}
	root, err := os.OpenRoot(l.opts.Out)
	if err != nil {
		http.Error(w, "site folder: "+err.Error(), http.StatusInternalServerError)
		return
	}
	defer root.Close()
	// The kind is checked before opening, so that a named pipe put in the
	// site folder cannot block the server, and again on the open file.
	st, err := root.Stat(filepath.FromSlash(name))
	if err == nil && st.IsDir() {
		http.Redirect(w, r, "/"+name+"/", http.StatusMovedPermanently)
		return
	}
	if err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	f, err := root.Open(filepath.FromSlash(name))
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	if st, err = f.Stat(); err != nil || !st.Mode().IsRegular() {
		http.NotFound(w, r)
		return
	}
	// Every response is checked again with the server before it is used,
	// so that a page shows what the last build made.
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if !strings.HasSuffix(name, ".html") {
		http.ServeContent(w, r, name, st.ModTime(), f)
		return
	}
	if st.Size() > maxPageSize {
		http.Error(w, "page too large", http.StatusInternalServerError)
		return
	}
	page, err := io.ReadAll(io.LimitReader(f, maxPageSize))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	l.mu.Lock()
	build := l.build
	l.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	http.ServeContent(w, r, name, st.ModTime(), bytes.NewReader(withLiveScript(page, l.stamp(build))))
}

// stamp names build n of this server, as pages and event ids carry it.
func (l *Live) stamp(n uint64) string { return l.id + "-" + strconv.FormatUint(n, 10) }

// buildOf reads a stamp: the build of this server it names; ok is false
// for a stamp of another server (one that ran before this one), whose pages
// cannot know what changed since.
func (l *Live) buildOf(stamp string) (build uint64, ok bool) {
	id, n, ok := strings.Cut(stamp, "-")
	if !ok || id != l.id {
		return 0, false
	}
	b, err := strconv.ParseUint(n, 10, 64)
	return b, err == nil
}

// withLiveScript adds the live script to a page, at the end of its head,
// telling it the build the page is from.
func withLiveScript(page []byte, stamp string) []byte {
	tag := []byte(`<script src="` + liveDir + `live.js" data-build="` + html.EscapeString(stamp) + `"></script>` + "\n")
	i := bytes.Index(page, []byte("</head>"))
	if i < 0 {
		i = bytes.Index(page, []byte("</body>"))
	}
	if i < 0 {
		i = len(page)
	}
	return slices.Concat(page[:i], tag, page[i:])
}

// liveEvent is what a page hears after a build.
type liveEvent struct {
	Build   uint64   `json:"build"`
	Changed []string `json:"changed"`       // files changed since the build the page knows
	All     bool     `json:"all,omitempty"` // too many to list: anything may have changed
}

// events streams server-sent events: one at once if the site changed since
// the build the page is from (?since=STAMP, or the Last-Event-ID of a page
// reconnecting; see stamp), then one after each build, until the page goes
// or the server stops.
func (l *Live) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	stamp := r.URL.Query().Get("since")
	if last := r.Header.Get("Last-Event-ID"); last != "" {
		stamp = last
	}
	since, known := l.buildOf(stamp)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n\n")
	flusher.Flush()
	keepAlive := time.NewTicker(20 * time.Second)
	defer keepAlive.Stop()
	for {
		cur, files, all, wake := l.since(since)
		if !known {
			files, all, known = nil, true, true
		}
		if cur > since || all {
			b, err := json.Marshal(liveEvent{Build: cur, Changed: files, All: all})
			if err != nil {
				return
			}
			if _, err := fmt.Fprintf(w, "id: %s\nevent: build\ndata: %s\n\n", l.stamp(cur), b); err != nil {
				return
			}
			flusher.Flush()
			since = cur
		}
		select {
		case <-wake:
		case <-keepAlive.C:
			if _, err := fmt.Fprint(w, ": still here\n\n"); err != nil {
				return
			}
			flusher.Flush()
		case <-r.Context().Done():
			return
		}
	}
}

// onceWriter writes each line once: a build every second would otherwise
// repeat the same warnings.
type onceWriter struct {
	mu   sync.Mutex
	w    io.Writer
	seen map[string]bool
	part []byte
}

func (o *onceWriter) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.part = append(o.part, p...)
	for {
		i := bytes.IndexByte(o.part, '\n')
		if i < 0 {
			break
		}
		line := string(o.part[:i+1])
		o.part = o.part[i+1:]
		if o.seen[line] {
			continue
		}
		if len(o.seen) < 10000 {
			o.seen[line] = true
		}
		if _, err := io.WriteString(o.w, line); err != nil {
			return len(p), err
		}
	}
	return len(p), nil
}

// Serve serves the site on the listener until ctx is done, then stops
// accepting, ends the pages' event streams and waits for the answers under
// way.
func (l *Live) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: l.Handler(), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return ctx }}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
