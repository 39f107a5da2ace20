package reports

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserInteractions drives the pages as a reader would, in headless
// Chromium: sorting the runs table, ticking runs and opening the compare
// page, clicking a cell of the confusion matrix to see its images, and
// moving a histogram's epoch slider.
func TestBrowserInteractions(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("chromium is needed in CI: %v", err)
		}
		t.Skipf("chromium not installed at %s (apt-get install chromium); skipping the browser test", chromiumPath)
	}
	out, sum, warn := sharedSite(t)
	if sum.CDN {
		if os.Getenv("CI") != "" {
			t.Fatal("echarts could not be had: " + warn)
		}
		t.Skip("echarts could not be had: " + warn)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	open := func(t *testing.T, rel string) context.Context {
		tab, cancelTab := chromedp.NewContext(browser)
		t.Cleanup(cancelTab)
		ctx, cancel := context.WithTimeout(tab, 60*time.Second)
		t.Cleanup(cancel)
		if err := chromedp.Do(ctx, chromedp.Navigate("file://"+filepath.Join(out, filepath.FromSlash(rel)))); err != nil {
			t.Fatalf("open %s: %v", rel, err)
		}
		return ctx
	}
	// wait evaluates js until it returns true.
	wait := func(t *testing.T, ctx context.Context, what, js string) {
		t.Helper()
		for {
			ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
			if err == nil && ok {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("waiting for %s: %v", what, err)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}

	t.Run("sort the runs table", func(t *testing.T) {
		ctx := open(t, "grid/index.html")
		wait(t, ctx, "the table", `document.querySelectorAll("#runs-table tbody tr").length > 2`)
		// The column of best validation accuracy, by its header.
		col := `Array.from(document.querySelectorAll("#runs-table thead th")).findIndex(th => th.textContent.startsWith("best val acc"))`
		read := `(() => { const c = ` + col + `; return Array.from(document.querySelectorAll("#runs-table tbody tr")).map(r => r.cells[c].getAttribute("data-sort")).filter(v => v !== "").map(Number); })()`
		click := `(() => { document.querySelectorAll("#runs-table thead th")[` + col + `].click(); return true; })()`
		for _, dir := range []string{"ascending", "descending"} {
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](click)); err != nil {
				t.Fatal(err)
			}
			got, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](read))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) < 2 {
				t.Fatalf("%d values in the column", len(got))
			}
			for i := 1; i < len(got); i++ {
				if dir == "ascending" && got[i] < got[i-1] || dir == "descending" && got[i] > got[i-1] {
					t.Errorf("clicked to sort %s, the column reads %v", dir, got)
					break
				}
			}
		}
	})

	t.Run("choose runs to compare", func(t *testing.T) {
		ctx := open(t, "grid/index.html")
		wait(t, ctx, "the table", `document.querySelectorAll("input.pick").length > 2`)
		state, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`(() => {
			const b = document.getElementById("compare-button"), before = b.disabled;
			const picks = document.querySelectorAll("input.pick");
			picks[0].click(); picks[2].click();
			return [before, b.disabled, b.textContent, picks[0].value, picks[2].value];
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if state[0] != true || state[1] != false || !strings.Contains(state[2].(string), "2") {
			t.Fatalf("compare button before, after ticking two runs: %v", state)
		}
		a, b := state[3].(string), state[4].(string)
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { document.getElementById("compare-button").click(); return true; })()`)); err != nil {
			t.Fatal(err)
		}
		wait(t, ctx, "the compare page", `location.pathname.endsWith("/compare.html") && !!document.querySelector("#compare table")`)
		wait(t, ctx, "the compare charts", `document.querySelectorAll("#compare div.chart canvas").length === 2`)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`(() => [
			location.hash,
			Array.from(document.querySelectorAll("#compare table")[0].querySelectorAll("thead a")).map(a => a.getAttribute("href")).join(" "),
			String(document.querySelectorAll("#compare-pick input:checked").length),
			String(document.querySelectorAll("#compare .compare-pics img").length),
		])()`))
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != "#"+a+","+b || got[1] != a+"/index.html "+b+"/index.html" || got[2] != "2" || got[3] == "0" {
			t.Errorf("compare page: hash %q, columns %q, %s ticked, %s pictures", got[0], got[1], got[2], got[3])
		}
		// Every picture the compare page shows is one a run page wrote.
		wait(t, ctx, "the compared pictures", `Array.from(document.querySelectorAll("#compare img")).every(i => i.complete && i.naturalWidth > 0)`)
		// Ticking a third run on the compare page adds a column.
		wait(t, ctx, "a third column", `(() => {
			const boxes = document.querySelectorAll("#compare-pick input:not(:checked)");
			if (boxes.length && document.querySelectorAll("#compare table")[0].querySelectorAll("thead a").length === 2) { boxes[0].click(); }
			return document.querySelectorAll("#compare table")[0].querySelectorAll("thead a").length === 3;
		})()`)
	})

	t.Run("confusion matrix cell opens its images", func(t *testing.T) {
		ctx := open(t, "grid/run-01/index.html")
		wait(t, ctx, "the confusion matrix", `!!(window.cnnlab && cnnlab.byId["chart-confusion"])`)
		// The pixel of the cell (true 0, predicted 0) on the page.
		xy, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => {
			document.getElementById("chart-confusion").scrollIntoView({block: "center"});
			const c = cnnlab.byId["chart-confusion"], r = document.getElementById("chart-confusion").getBoundingClientRect();
			const p = c.convertToPixel({seriesIndex: 0}, [0, 0]);
			return [r.left + p[0], r.top + p[1]];
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, chromedp.MouseClickXY(xy[0], xy[1])); err != nil {
			t.Fatal(err)
		}
		wait(t, ctx, "the cell's images", `(() => { const b = document.getElementById("cell-images"), i = b && b.querySelector("img");
			return !!b && !b.hidden && !!i && i.complete && i.naturalWidth > 0; })()`)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.querySelector("#cell-images").getAttribute("data-cell"), document.querySelector("#cell-images h3").textContent, String(document.querySelectorAll("#cell-images li").length)]`))
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != "0,0" || !strings.HasPrefix(got[1], "true ") || !strings.Contains(got[1], "predicted ") || got[2] != "2" {
			t.Errorf("after a click on cell (true 0, predicted 0): cell %q, heading %q, %s images listed", got[0], got[1], got[2])
		}
	})

	t.Run("histogram epoch slider", func(t *testing.T) {
		ctx := open(t, "grid/run-01/index.html")
		wait(t, ctx, "a slider", `!!document.querySelector("input[data-series]") && !!cnnlab.byId[document.querySelector("input[data-series]").getAttribute("data-chart")]`)
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]any](`(() => {
			const i = document.querySelector("input[data-series]"), names = JSON.parse(i.getAttribute("data-series"));
			const c = cnnlab.byId[i.getAttribute("data-chart")];
			const out = [];
			for (let k = 1; k < names.length; k++) {
				i.value = String(k); i.dispatchEvent(new Event("input"));
				const sel = c.getOption().legend[0].selected;
				const shown = names.filter(n => sel[n] !== false);
				out.push(shown.join("|") + " / " + i.parentNode.querySelector("output").textContent);
			}
			return [names, out];
		})()`))
		if err != nil {
			t.Fatal(err)
		}
		names := got[0].([]any)
		steps := got[1].([]any)
		if len(steps) < 2 {
			t.Fatalf("slider steps %v", steps)
		}
		for k, s := range steps {
			want := names[0].(string) + "|" + names[k+1].(string) + " / " + names[k+1].(string)
			if s != want {
				t.Errorf("slider at %d shows %q, want %q", k+1, s, want)
			}
		}
	})
}
