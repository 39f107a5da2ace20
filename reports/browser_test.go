package reports

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/cnnlab/cnnlab/runner/record"
)

const chromiumPath = "/usr/bin/chromium"

// pageCheck is what the browser test reads from a loaded page.
type pageCheck struct {
	Charts []struct {
		ID       string `json:"id"`
		Rendered bool   `json:"rendered"`
	} `json:"charts"`
	Images []struct {
		Src    string `json:"src"`
		Loaded bool   `json:"loaded"`
	} `json:"images"`
	Alerts []string `json:"alerts"`
	Title  string   `json:"title"`
}

const checkScript = `(() => ({
	charts: Array.from(document.querySelectorAll("div.chart")).map(d => {
		const c = d.querySelector("canvas, svg");
		return {id: d.id, rendered: !!c && c.clientWidth > 0 && c.clientHeight > 0};
	}),
	images: Array.from(document.images).map(i => ({src: i.src, loaded: i.complete && i.naturalWidth > 0})),
	alerts: window.__alerts || [],
	title: document.title,
}))()`

// TestBrowser opens pages of a generated site in headless Chromium with the
// network off and checks that they show without errors: no console errors or
// exceptions, every chart drawn, every image loaded, nothing fetched from
// outside the site, and no injected script run. Set CNNLAB_SCREENSHOTS to a
// folder to also save a full-page screenshot of each page there.
func TestBrowser(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is needed in CI: %v", err)
		}
		t.Skipf("chromium not installed at %s (apt-get install chromium); skipping the browser test", chromiumPath)
	}
	out, sum, warn := sharedSite(t)
	if sum.CDN {
		msg := "echarts could not be had, so the site cannot draw charts offline: " + warn
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	shots := os.Getenv("CNNLAB_SCREENSHOTS")

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}

	e := func(dir string) string { return slug(dir) }
	pages := []string{
		"index.html",
		"grid/index.html", "l2/index.html", "three/index.html", "prep/index.html", e(evilExpDir) + "/index.html",
		"grid/compare.html",
		"grid/run-01/index.html", // finished
		"grid/run-03/index.html", // failed
		"grid/run-08/index.html", // in progress, only status, epochs and steps
		e(evilExpDir) + "/" + e(evilRunDir) + "/index.html",
		e(evilExpDir) + "/plain/index.html", // diverged
	}
	for _, p := range pages {
		t.Run(p, func(t *testing.T) {
			checkPage(t, browser, filepath.Join(out, filepath.FromSlash(p)), p, shots)
		})
	}
}

func checkPage(t *testing.T, browser context.Context, file, name, shots string) {
	if _, err := os.Stat(file); err != nil {
		t.Fatal(err)
	}
	tab, cancelTab := chromedp.NewContext(browser)
	defer cancelTab()
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()

	var mu sync.Mutex
	var problems []string
	add := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	listen := func(f func(ctx context.Context)) { go f(ctx) }
	listen(func(ctx context.Context) {
		for ev, err := range chromedp.Events(ctx, runtime.ConsoleAPICalled) {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				add("console.%s: %s", ev.Type, strings.Join(parts, " "))
			}
		}
	})
	listen(func(ctx context.Context) {
		for ev, err := range chromedp.Events(ctx, runtime.ExceptionThrown) {
			if err != nil {
				return
			}
			add("exception: %s", (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		}
	})
	listen(func(ctx context.Context) {
		for ev, err := range chromedp.Events(ctx, cdplog.EntryAdded) {
			if err != nil {
				return
			}
			if ev.Entry != nil && ev.Entry.Level == cdplog.EntryLevelError {
				add("log error: %s %s", ev.Entry.Text, ev.Entry.URL)
			}
		}
	})
	listen(func(ctx context.Context) {
		for ev, err := range chromedp.Events(ctx, network.RequestWillBeSent) {
			if err != nil {
				return
			}
			if u := ev.Request.URL; !strings.HasPrefix(u, "file://") && !strings.HasPrefix(u, "data:") {
				add("request outside the site: %s", u)
			}
		}
	})
	listen(func(ctx context.Context) {
		for ev, err := range chromedp.Events(ctx, network.LoadingFailed) {
			if err != nil {
				return
			}
			add("loading failed: %s %s", ev.Type, ev.ErrorText)
		}
	})

	setup := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			MatchedNetworkConditions: []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}},
		}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{}); err != nil {
			return err
		}
		if _, err := cdp.Call(ctx, tg, runtime.Enable, cdp.Empty{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: `window.__alerts = []; window.alert = function (m) { window.__alerts.push(String(m)); };`,
		})
		return err
	})
	if err := chromedp.Do(ctx, setup, chromedp.Navigate("file://"+file)); err != nil {
		t.Fatalf("open %s: %v", file, err)
	}

	// Charts draw right after load; wait until every container holds one.
	var got pageCheck
	for {
		var err error
		got, err = chromedp.Run(ctx, chromedp.Evaluate[pageCheck](checkScript))
		if err != nil {
			t.Fatalf("read %s: %v", file, err)
		}
		done := true
		for _, c := range got.Charts {
			done = done && c.Rendered
		}
		for _, im := range got.Images {
			done = done && im.Loaded
		}
		if done || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	// Move every epoch slider to its first step: the label follows.
	moved, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("input[data-series]")).map(i => {
		i.value = "1"; i.dispatchEvent(new Event("input"));
		return i.parentNode.querySelector("output").textContent;
	})`))
	if err != nil {
		t.Errorf("move sliders: %v", err)
	}
	for _, label := range moved {
		if !strings.HasPrefix(label, "epoch ") {
			t.Errorf("a slider moved to its first step reads %q", label)
		}
	}
	if shots != "" {
		if b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			os.WriteFile(filepath.Join(shots, strings.ReplaceAll(name, "/", "_")+".png"), b, 0o644)
		}
	}
	time.Sleep(200 * time.Millisecond) // let late console events arrive
	cancel()

	if got.Title == "" {
		t.Errorf("%s: page has no title", file)
	}
	for _, c := range got.Charts {
		if !c.Rendered {
			t.Errorf("chart %s holds no rendered canvas or svg", c.ID)
		}
	}
	for _, im := range got.Images {
		if !im.Loaded {
			t.Errorf("image %s did not load", im.Src)
		}
	}
	for _, a := range got.Alerts {
		t.Errorf("a script from the records ran: alert(%s)", a)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range problems {
		t.Error(p)
	}
	t.Logf("%d charts, %d images", len(got.Charts), len(got.Images))
}

// startBrowser starts headless Chromium, skipping the test without it
// (outside CI).
func startBrowser(t testing.TB) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is needed in CI: %v", err)
		}
		t.Skipf("chromium not installed at %s (apt-get install chromium); skipping the browser test", chromiumPath)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return browser
}

// consoleProblems collects the console errors and exceptions of a tab.
func consoleProblems(ctx context.Context) func() []string {
	var mu sync.Mutex
	var problems []string
	go func() {
		for ev, err := range chromedp.Events(ctx, runtime.ConsoleAPICalled) {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				mu.Lock()
				problems = append(problems, "console.error: "+strings.Join(parts, " "))
				mu.Unlock()
			}
		}
	}()
	go func() {
		for ev, err := range chromedp.Events(ctx, runtime.ExceptionThrown) {
			if err != nil {
				return
			}
			mu.Lock()
			problems = append(problems, "exception: "+(&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
			mu.Unlock()
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(problems)
	}
}

// TestBrowserLiveUpdate opens the page of a running run served by a Live,
// writes the run's next epoch as the runner does, and checks that the page
// shows it within a few seconds without reloading, its charts drawn, and
// that the sweep page open beside it follows too.
func TestBrowserLiveUpdate(t *testing.T) {
	browser := startBrowser(t)
	_, sum, warn := sharedSite(t)
	if sum.CDN {
		t.Skip("echarts could not be had: " + warn)
	}
	root := t.TempDir()
	results, out := filepath.Join(root, "results"), filepath.Join(root, "site")
	if err := os.CopyFS(results, os.DirFS(shared.results)); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(out, os.DirFS(shared.out)); err != nil {
		t.Fatal(err)
	}
	l := NewLive(Options{Results: results, Out: out}, 100*time.Millisecond, nil)
	if _, err := l.Build(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(l.Handler())
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)

	type view struct {
		Text    string `json:"text"`
		Mark    bool   `json:"mark"`
		Pill    string `json:"pill"`
		Charts  int    `json:"charts"`
		Drawn   int    `json:"drawn"`
		Loading bool   `json:"loading"`
	}
	const look = `(() => ({
		text: document.querySelector("main").textContent,
		mark: window.__notReloaded === true,
		pill: (document.getElementById("cnnlab-live") || {}).textContent || "",
		charts: document.querySelectorAll("main div.chart").length,
		drawn: Array.from(document.querySelectorAll("main div.chart")).filter(d => d.querySelector("canvas")).length,
	}))()`
	var tabs []context.Context
	var problems []func() []string
	for _, p := range []string{"grid/run-08/index.html", "grid/index.html"} {
		tab, cancelTab := chromedp.NewContext(browser)
		defer cancelTab()
		tab, cancelTime := context.WithTimeout(tab, 60*time.Second)
		defer cancelTime()
		problems = append(problems, consoleProblems(tab))
		enable := chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, runtime.Enable, cdp.Empty{})
			return err
		})
		if err := chromedp.Do(tab, enable, chromedp.Navigate(srv.URL+"/"+p)); err != nil {
			t.Fatalf("open %s: %v", p, err)
		}
		if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.__notReloaded = true`)); err != nil {
			t.Fatalf("mark %s: %v", p, err)
		}
		// Wait for the page to be listening.
		for {
			v, err := chromedp.Run(tab, chromedp.Evaluate[view](look))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(v.Pill, "live") {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		tabs = append(tabs, tab)
	}
	v, _ := chromedp.Run(tabs[0], chromedp.Evaluate[view](look))
	if !strings.Contains(v.Text, "1 of 4 epochs") {
		t.Fatalf("the run's page before the epoch: %.200q", v.Text)
	}

	start := time.Now()
	appendEpoch(t, filepath.Join(results, "grid", "run-08"), record.StateRunning)
	want := []string{"2 of 4 epochs", "2/4"}
	for i, tab := range tabs {
		for {
			v, err := chromedp.Run(tab, chromedp.Evaluate[view](look))
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(v.Text, want[i]) && v.Drawn == v.Charts {
				if !v.Mark {
					t.Errorf("tab %d reloaded to show the new epoch", i)
				}
				// A later build that leaves this page as it is may have
				// said so since ("up to date" with its time).
				if !strings.Contains(v.Pill, "updated") && !strings.HasPrefix(v.Pill, "live · up to date ") {
					t.Errorf("tab %d: the live note says %q", i, v.Pill)
				}
				t.Logf("tab %d shows the new epoch %.1fs after it was written, %d charts drawn", i, time.Since(start).Seconds(), v.Drawn)
				break
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("tab %d does not show %q 10s after the epoch was written: %d of %d charts drawn, note %q", i, want[i], v.Drawn, v.Charts, v.Pill)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	time.Sleep(200 * time.Millisecond) // let late console events arrive
	for _, p := range problems {
		for _, msg := range p() {
			t.Error(msg)
		}
	}
}
