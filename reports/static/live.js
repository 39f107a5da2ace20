// cnnlab serve: keeps an open page current. The server adds this script to
// every page it serves; it listens for the end of each build and, when the
// page changed, fetches it again and puts its new content in place: charts
// whose data did not change stay as they are (zoom, hidden series), tables
// keep their sort order, the reader keeps their place.
"use strict";
(function () {
  var me = document.currentScript;
  var since = me ? me.getAttribute("data-build") || "0" : "0";
  var page = decodeURIComponent(location.pathname).replace(/^\/+/, "");
  if (page === "" || page.charAt(page.length - 1) === "/") { page += "index.html"; }
  var pill = null;
  var busy = false, again = null;

  function say(text, ok) {
    if (!pill) {
      pill = document.createElement("div");
      pill.id = "cnnlab-live";
      pill.setAttribute("role", "status");
      pill.style.cssText = "position:fixed;right:12px;bottom:12px;z-index:1000;padding:4px 10px;" +
        "border-radius:12px;font:12px system-ui,sans-serif;box-shadow:0 1px 3px rgba(0,0,0,.25)";
      document.body.appendChild(pill);
    }
    pill.style.background = ok ? "#e6f4ea" : "#fdecea";
    pill.style.color = ok ? "#1e5631" : "#8a1c1c";
    pill.textContent = text;
  }
  function clock() { return new Date().toLocaleTimeString(); }

  // The site path of a link or image of this page, or "" for one elsewhere.
  function sitePath(url) {
    var u = new URL(url, location.href);
    if (u.origin !== location.origin) { return ""; }
    return decodeURIComponent(u.pathname).replace(/^\/+/, "");
  }
  function bust(root, changed, build) {
    root.querySelectorAll("img[src], a[href$='.png']").forEach(function (el) {
      var attr = el.tagName === "IMG" ? "src" : "href";
      var v = el.getAttribute(attr);
      if (changed === true || changed.indexOf(sitePath(v)) >= 0) {
        el.setAttribute(attr, v.replace(/\?v=\d+$/, "") + "?v=" + build);
      }
    });
  }
  function chartScript(fig) {
    var s = fig.querySelector("script");
    return s ? s.textContent : "";
  }
  function sortState() {
    return Array.prototype.map.call(document.querySelectorAll("main table.sortable"), function (t) {
      var cells = t.tHead ? Array.prototype.slice.call(t.tHead.rows[0].cells) : [];
      for (var i = 0; i < cells.length; i++) {
        var s = cells[i].getAttribute("aria-sort");
        if (s) { return { col: i, times: s === "ascending" ? 1 : 2 }; }
      }
      return null;
    });
  }

  // update puts the page as the server has it now in place of this one.
  function update(changed, build) {
    if (busy) { again = [changed, build]; return; }
    busy = true;
    fetch(location.pathname, { cache: "no-store" }).then(function (r) {
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.text();
    }).then(function (text) {
      var doc = new DOMParser().parseFromString(text, "text/html");
      var have = Array.prototype.map.call(document.querySelectorAll("head script[src]"), function (s) { return s.src; });
      var need = Array.prototype.filter.call(doc.querySelectorAll("head script[src]"), function (s) {
        return have.indexOf(new URL(s.getAttribute("src"), location.href).href) < 0;
      });
      var oldMain = document.querySelector("main"), newMain = doc.querySelector("main");
      if (need.length > 0 || !oldMain || !newMain || typeof cnnlab === "undefined") {
        location.reload(); // the page needs a script it does not have
        return;
      }
      var sorted = sortState();
      var fresh = document.importNode(newMain, true);
      // Scripts that arrive with a page do not run; those left once the
      // unchanged charts are put back are run below.
      var scripts = Array.prototype.slice.call(fresh.querySelectorAll("script"));
      fresh.querySelectorAll("figure.chart-card[id]").forEach(function (fig) {
        var old = oldMain.querySelector("#" + CSS.escape(fig.id));
        if (old && chartScript(old) === chartScript(fig)) { fig.replaceWith(old); }
      });
      oldMain.querySelectorAll("div.chart").forEach(function (el) {
        var c = typeof echarts !== "undefined" && echarts.getInstanceByDom(el);
        if (c) { c.dispose(); }
      });
      bust(fresh, changed, build);
      oldMain.replaceWith(fresh);
      scripts.forEach(function (s) {
        if (!fresh.contains(s)) { return; }
        var run = document.createElement("script");
        run.textContent = s.textContent;
        s.replaceWith(run);
      });
      var head = document.querySelector("header.top"), newHead = doc.querySelector("header.top");
      if (head && newHead) { head.replaceWith(document.importNode(newHead, true)); }
      document.title = doc.title;
      cnnlab.bind(fresh);
      var tables = fresh.querySelectorAll("table.sortable");
      sorted.forEach(function (s, i) {
        if (!s || !tables[i] || !tables[i].tHead) { return; }
        var th = tables[i].tHead.rows[0].cells[s.col];
        for (var k = 0; th && k < s.times; k++) { th.click(); }
      });
      say("live · updated " + clock(), true);
    }).catch(function (err) {
      say("live · could not update: " + err.message, false);
    }).finally(function () {
      busy = false;
      if (again) { var a = again; again = null; update(a[0], a[1]); }
    });
  }

  function start() {
    say("live · up to date", true);
    var es = new EventSource("/.cnnlab/events?since=" + encodeURIComponent(since));
    es.addEventListener("build", function (ev) {
      var d = JSON.parse(ev.data);
      var changed = d.all ? true : d.changed || [];
      if (changed === true || changed.indexOf(page) >= 0) {
        update(changed, d.build);
      } else {
        bust(document, changed, d.build);
        say("live · up to date " + clock(), true);
      }
    });
    es.addEventListener("open", function () { say("live · up to date", true); });
    es.addEventListener("error", function () {
      say("live · cnnlab serve stopped: this is the last update", false);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
